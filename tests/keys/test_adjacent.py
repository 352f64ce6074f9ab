"""An encrypted key whose own file hides its public part: the public key or
certificate beside it names it, as ssh does with id_rsa.pub."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from scanner.keys.adjacent import candidates

from .conftest import STRONG, Written, analyse, certificate, spki

Write = Callable[[str, bytes], Path]
E = serialization.Encoding


def _locked_pkcs8(key: PrivateKeyTypes) -> bytes:
    return key.private_bytes(
        E.PEM, serialization.PrivateFormat.PKCS8, serialization.BestAvailableEncryption(STRONG)
    )


def _locked_p12(key: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import pkcs12

    encryption = serialization.BestAvailableEncryption(STRONG)
    return pkcs12.serialize_key_and_certificates(b"t", key, certificate(key), None, encryption)


@pytest.mark.parametrize(
    ("key_name", "public_name", "kind"),
    [
        ("server.pem", "server.pub.pem", "spki"),
        ("server.pem", "server.pem.pub", "spki"),
        ("server.key", "server.crt", "cert-pem"),
        ("server.key", "server.cer", "cert-der"),
        ("id_rsa", "id_rsa.pub", "ssh"),
        ("tls.key", "tls-cert.pem", "cert-pem"),
    ],
)
def test_public_part_read_from_the_file_beside_it(
    keys: dict[str, Any], write: Write, key_name: str, public_name: str, kind: str
) -> None:
    key = keys["rsa"]
    path = write(key_name, _locked_pkcs8(key))
    write(public_name, _public_bytes(key, kind))
    [info] = analyse(path.read_bytes(), path=key_name, fs_path=str(path))
    assert (info.encrypted, info.weak_passphrase, info.public_known) == (True, False, True)
    assert info.fingerprints["spki_sha256"] == spki(key)
    assert info.note == f"public part read from {public_name}"
    if kind.startswith("cert"):
        assert len(info.certificates) == 1


def _public_bytes(key: PrivateKeyTypes, kind: str) -> bytes:
    public = key.public_key()
    if kind == "spki":
        return public.public_bytes(E.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    if kind == "ssh":
        return public.public_bytes(E.OpenSSH, serialization.PublicFormat.OpenSSH) + b" me@host\n"
    cert = certificate(key)
    return cert.public_bytes(E.PEM if kind == "cert-pem" else E.DER)


def test_locked_pkcs12_named_by_its_certificate_beside_it(
    keys: dict[str, Any], write: Write
) -> None:
    key = keys["p256"]
    path = write("client.p12", _locked_p12(key))
    write("client.crt", certificate(key).public_bytes(E.PEM))
    [info] = analyse(path.read_bytes(), path="client.p12", fs_path=str(path))
    assert info.format == "pkcs12"
    assert info.public_known and info.encrypted and not info.weak_passphrase
    assert info.fingerprints["spki_sha256"] == spki(key)


def test_without_a_file_beside_it_the_identity_is_unknown(
    keys: dict[str, Any], write: Write
) -> None:
    path = write("lonely.p12", _locked_p12(keys["ed25519"]))
    write("other.crt", certificate(keys["rsa"]).public_bytes(E.PEM))
    [info] = analyse(path.read_bytes(), path="lonely.p12", fs_path=str(path))
    assert (info.parsed, info.encrypted, info.public_known) == (True, True, False)
    assert not info.fingerprints


def test_no_adjacent_lookup_for_material_not_on_disk(keys: dict[str, Any], write: Write) -> None:
    key = keys["rsa"]
    path = write("server.pem", _locked_pkcs8(key))
    write("server.pub", _public_bytes(key, "ssh"))
    [info] = analyse(path.read_bytes(), path="server.pem", fs_path=None)
    assert not info.public_known


def test_a_damaged_neighbour_is_ignored(keys: dict[str, Any], write: Write) -> None:
    path = write("a.key", _locked_pkcs8(keys["rsa"]))
    write("a.pub", b"ssh-rsa AAAAnot-really\n")
    write("a.crt", b"\x30\x82garbage")
    [info] = analyse(path.read_bytes(), path="a.key", fs_path=str(path))
    assert not info.public_known


def test_candidate_names() -> None:
    names = [Path(p).name for p in candidates("/k/id_rsa")]
    assert names[0] == "id_rsa.pub"
    assert "server.crt" in [Path(p).name for p in candidates("/k/server.key")]
    assert "server.pem" not in [Path(p).name for p in candidates("/k/server.pem")]


def test_a_certificate_in_the_same_bundle_names_a_locked_key(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]]
) -> None:
    key = keys["p384"]
    bundle = _locked_pkcs8(key) + certificate(key).public_bytes(E.PEM)
    [info] = analyse(bundle)
    assert info.public_known
    assert info.fingerprints["spki_sha256"] == spki(key)
    assert info.note == "public part read from the certificate stored with the key"
