"""Key material as rules capture it: escaped, quoted, indented, bundled, fragments."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from .conftest import Written, analyse, spki


def _pem(samples: dict[str, dict[str, Written]], algorithm: str, case: str = "pkcs8-pem") -> str:
    return samples[algorithm][case].data.decode()


def test_one_line_pem_with_spaces(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]]
) -> None:
    pem = _pem(samples, "rsa", "traditional")
    one_line = " ".join(pem.strip().split("\n"))
    [info] = analyse(one_line.encode())
    assert info.fingerprints["spki_sha256"] == spki(keys["rsa"])


def test_crlf_and_yaml_block_indentation(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]]
) -> None:
    pem = _pem(samples, "p256", "traditional")
    indented = "tls:\n  key: |\n" + "".join(f"    {line}\r\n" for line in pem.strip().split("\n"))
    [info] = analyse(indented.encode())
    assert info.format == "sec1-pem"
    assert info.fingerprints["spki_sha256"] == spki(keys["p256"])


def test_single_quoted_escaped_pem(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]]
) -> None:
    material = "'" + _pem(samples, "ed25519").replace("\n", "\\n") + "'"
    [info] = analyse(material.encode())
    assert info.fingerprints["spki_sha256"] == spki(keys["ed25519"])


def test_bundle_of_two_keys_gives_two_infos(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]]
) -> None:
    bundle = _pem(samples, "rsa") + "\n" + _pem(samples, "p384")
    infos = analyse(bundle.encode())
    assert [i.fingerprints["spki_sha256"] for i in infos] == [spki(keys["rsa"]), spki(keys["p384"])]


def test_jwks_with_several_keys(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]]
) -> None:
    jwks = {
        "keys": [
            json.loads(samples["rsa"]["jwk"].data),
            json.loads(samples["p256"]["jwk"].data),
            {"kty": "oct", "k": "c2VjcmV0LXNlY3JldC1zZWNyZXQ"},
        ]
    }
    infos = analyse(json.dumps(jwks).encode())
    assert [i.format for i in infos] == ["jwks", "jwks", "jwks"]
    assert infos[0].fingerprints["spki_sha256"] == spki(keys["rsa"])
    assert infos[1].fingerprints["spki_sha256"] == spki(keys["p256"])
    assert not infos[2].parsed and "symmetric" in (infos[2].note or "")


def test_jwk_fragment_without_braces(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]]
) -> None:
    fragment = json.dumps(json.loads(samples["p384"]["jwk"].data))[1:-1] + ","
    [info] = analyse(fragment.encode())
    assert info.format == "jwk"
    assert info.fingerprints["spki_sha256"] == spki(keys["p384"])


def test_terraform_state_with_an_escaped_key(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]]
) -> None:
    state = {
        "version": 4,
        "resources": [
            {
                "type": "tls_private_key",
                "instances": [
                    {"attributes": {"private_key_pem": _pem(samples, "rsa", "traditional")}}
                ],
            }
        ],
    }
    [info] = analyse(json.dumps(state, indent=2).encode(), path="terraform.tfstate")
    assert info.format == "pkcs1-pem"
    assert info.fingerprints["spki_sha256"] == spki(keys["rsa"])


def test_base64_of_der(keys: dict[str, Any], samples: dict[str, dict[str, Written]]) -> None:
    blob = base64.b64encode(samples["p256"]["der"].data)
    [info] = analyse(blob)
    assert info.format == "base64-der"
    assert info.fingerprints["spki_sha256"] == spki(keys["p256"])


def test_base64_inside_quotes_in_a_yaml_value(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]]
) -> None:
    value = base64.b64encode(samples["rsa"]["traditional"].data).decode()
    [info] = analyse(f'    client-key-data: "{value}"\n'.encode())
    assert info.format == "kubeconfig"
    assert info.note == "base64 of pkcs1-pem"
    assert info.fingerprints["spki_sha256"] == spki(keys["rsa"])


def _atom(data: bytes) -> bytes:
    return str(len(data)).encode() + b":" + data


def test_gnupg_canonical_sexp_files(keys: dict[str, Any]) -> None:
    """GnuPG 2.1/2.2 write private-keys-v1.d files as canonical s-expressions."""
    from scanner.keys import is_key_container

    numbers = keys["rsa"].private_numbers()
    n = numbers.public_numbers.n.to_bytes(257, "big")
    e = numbers.public_numbers.e.to_bytes(3, "big")
    protected = b"(9:protected25:openpgp-s2k3-sha1-aes-cbc" + _atom(b"\x01" * 48) + b")"
    for root, tail, encrypted in (
        (b"private-key", _atom(b"d") + _atom(b"\x07" * 256), False),
        (b"protected-private-key", protected[1:-1], True),
    ):
        body = b"(3:rsa(1:n" + _atom(n) + b")(1:e" + _atom(e) + b")(" + tail + b"))"
        data = b"(" + _atom(root) + body + b")"
        path = ".gnupg/private-keys-v1.d/ABCDEF.key"
        assert is_key_container(path, data)
        [info] = analyse(data, path=path)
        assert info.format == "gnupg-private-keys-v1"
        assert info.encrypted is encrypted
        assert info.fingerprints["spki_sha256"] == spki(keys["rsa"])


def test_certificates_and_public_keys_alone_are_no_key(keys: dict[str, Any]) -> None:
    from cryptography.hazmat.primitives import serialization

    from .conftest import certificate

    cert = certificate(keys["rsa"]).public_bytes(serialization.Encoding.PEM)
    public = (
        keys["p256"]
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    assert analyse(cert) == []
    assert analyse(cert + public) == []


def test_jwk_x5c_certificate_is_reported(keys: dict[str, Any]) -> None:
    import hashlib

    from cryptography.hazmat.primitives.serialization import Encoding

    from .conftest import certificate, private_jwk

    der = certificate(keys["p256"]).public_bytes(Encoding.DER)
    jwk = dict(private_jwk(keys["p256"]), x5c=[base64.b64encode(der).decode()])
    [info] = analyse(json.dumps(jwk).encode())
    assert info.fingerprints["x509_sha256"] == hashlib.sha256(der).hexdigest()


def test_a_whole_kubeconfig_gives_its_client_key(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]]
) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    from .conftest import certificate

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode()

    ca = certificate(keys["rsa"]).public_bytes(Encoding.PEM)
    client = certificate(keys["p256"]).public_bytes(Encoding.PEM)
    config = (
        "apiVersion: v1\nclusters:\n- cluster:\n"
        f"    certificate-authority-data: {b64(ca)}\n    server: https://k8s.example.test\n"
        "users:\n- name: admin\n  user:\n"
        f"    client-certificate-data: {b64(client)}\n"
        f"    client-key-data: {b64(samples['p256']['traditional'].data)}\n"
    )
    [info] = analyse(config.encode(), path=".kube/config")
    assert info.format == "kubeconfig"
    assert info.fingerprints["spki_sha256"] == spki(keys["p256"])
    without_key = config.rsplit("    client-key-data", 1)[0]
    assert analyse(without_key.encode()) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (b'(iv "a\\nb")', b"a\nb"),
        (b'(iv "\\x00\\xff\\101")', b"\x00\xffA"),
        (b'(iv "tab\\there \\"q\\" \\\\")', b'tab\there "q" \\'),
        (b'(iv "con\\\ntinued")', b"continued"),
        (b'(iv "raw\xfe\x01bytes")', b"raw\xfe\x01bytes"),
    ],
)
def test_quoted_strings_follow_libgcrypt_escapes(text: bytes, value: bytes) -> None:
    # gpg-agent writes an IV or salt as a quoted string when its bytes allow it;
    # a wrong escape there makes the weak-passphrase check miss a key at random.
    from scanner.keys import sexp

    assert sexp.parse(text) == [b"iv", value]
