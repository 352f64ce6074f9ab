"""is_key_container: which binary files go to key analysis (cheap checks only)."""

from __future__ import annotations

import os
from typing import Any

import pytest

from scanner.keys import is_key_container

from .conftest import Written


@pytest.mark.parametrize(
    "path",
    [
        "certs/client.p12",
        "C:\\Users\\dev\\cert.PFX",
        "android/debug.keystore",
        "app/release.jks",
        "store.jceks",
        "key.der",
        "AuthKey_X.p8",
        "home/.gnupg/private-keys-v1.d/0123ABCD.key",
    ],
)
def test_by_name(path: str) -> None:
    assert is_key_container(path, os.urandom(32))


@pytest.mark.parametrize("case", ["der", "der-encrypted", "der-traditional", "pkcs12", "jks-weak"])
def test_by_content_whatever_the_name(samples: dict[str, dict[str, Written]], case: str) -> None:
    assert is_key_container("blob.bin", samples["rsa"][case].data)


@pytest.mark.parametrize(
    "data",
    [b"\x89PNG\r\n\x1a\n" + os.urandom(64), b"\x30\x03\x02\x01\x05", os.urandom(256), b""],
)
def test_other_binaries_are_not(data: bytes) -> None:
    assert not is_key_container("picture.png", data)


def test_a_certificate_alone_is_not_a_key(
    samples: dict[str, dict[str, Written]], keys: Any
) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    from .conftest import analyse, certificate

    der = certificate(keys["rsa"]).public_bytes(Encoding.DER)
    assert not is_key_container("blob.bin", der)
    assert analyse(der) == []
