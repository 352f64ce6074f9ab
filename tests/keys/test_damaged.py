"""Damaged key material never raises and never hides: it comes back as a
KeyInfo the parsers built themselves (not the last-resort catch-all)."""

from __future__ import annotations

import random

import pytest

from .conftest import Written, analyse, assert_handled, damaged_variants

_RNG = random.Random(20261201)


def _noise(n: int) -> bytes:
    """Random bytes from a fixed seed: the same test ids in every pytest worker."""
    return _RNG.randbytes(n)


@pytest.mark.parametrize("algorithm", ["rsa", "ed25519"])
def test_truncated_and_flipped_material_of_every_format(
    samples: dict[str, dict[str, Written]], algorithm: str
) -> None:
    for name, sample in samples[algorithm].items():
        if name in ("openssh-weak", "openssh-strong"):
            continue  # bcrypt: covered once below, slow
        for damaged in damaged_variants(sample.data):
            assert_handled(damaged)


def test_truncated_encrypted_openssh(samples: dict[str, dict[str, Written]]) -> None:
    data = samples["ed25519"]["openssh-weak"].data
    assert_handled(data[: len(data) // 2])


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\x00",
        _noise(64),
        _noise(4096),
        b"\x30\x82\xff\xff" + _noise(100),
        b"\xfe\xed\xfe\xed" + _noise(50),
        b"\xce\xce\xce\xce\x00\x00\x00\x02\x00\x00\x00\x05",
        b"-----BEGIN RSA PRIVATE KEY-----\nnot base64 at all!!\n-----END RSA PRIVATE KEY-----",
        b"-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
        b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
        b"-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQdGBF\n=abcd\n-----END PGP PRIVATE KEY BLOCK-----",
        b"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nPublic-Lines: 99\nAAAA\n",
        b"PuTTY-User-Key-File-2: ssh-rsa\nPublic-Lines: x\n",
        b"(21:protected-private-key(3:rsa(1:n9999:abc",
        b"(" * 5000,
        b"Key: (private-key (rsa (n #zz#)(e #010001#)))",
        b"Key: (private-key (ecc (curve Ed25519)(q #4001#)))",
        b'{"kty": "RSA", "n": "!!", "e": "AQAB", "d": "x"}',
        b'{"kty": "EC", "crv": "P-256", "x": "AAAA", "y": "AAAA", "d": "x"}',
        b'{"kty": "OKP", "crv": "Ed25519", "x": "AAAA"}',
        b'{"keys": [1, "two", {"kty": "oct", "k": "c2VjcmV0"}]}',
        b"[" * 100_000,
        b'{"type": "service_account", "private_key": "-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----"}',
        b"client-key-data: " + b"QUFB" * 40,
        b"\x95\x01\x0d\x04" + _noise(40),
        b"\xc5\xff\xff\xff\xff\xff" + _noise(10),
    ],
)
def test_garbage_never_raises(data: bytes) -> None:
    assert_handled(data)


def test_wrong_passphrase_leaves_identity_unknown(samples: dict[str, dict[str, Written]]) -> None:
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(samples["p256"]["pkcs8-pem"].data, None)
    data = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"not-in-the-list-42"),
    )
    [info] = analyse(data)
    assert (info.parsed, info.encrypted, info.public_known, info.weak_passphrase) == (
        True,
        True,
        False,
        False,
    )
    assert "spki_sha256" not in info.fingerprints
    assert info.note == "encrypted; no well-known passphrase opens it"


def test_placeholder_key_is_unparsable_not_dropped() -> None:
    data = b"-----BEGIN RSA PRIVATE KEY-----\nYOUR_KEY_HERE\n-----END RSA PRIVATE KEY-----"
    [info] = analyse(data)
    assert not info.parsed
    assert info.format == "pkcs1-pem"


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("store.bks", "bks"), ("vault.kdbx", "keepass"), ("x.p12", "pkcs12"), ("blob", "binary")],
)
def test_unreadable_binary_is_named_by_its_extension(name: str, fmt: str) -> None:
    [info] = analyse(b"\x01\x02\x03\x04" + bytes(range(256)), path=name)
    assert (info.parsed, info.format) == (False, fmt)
