"""Keys whose key derivation would stall a scan are not tried, and say so.

The bounds are CPU seconds of this process (`time.process_time`): the derivations
refused cost many CPU seconds, while wall time on a loaded machine says nothing."""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from scanner.keys.kdfcost import kdf_cost

from .conftest import Written, analyse, certificate

Write = Callable[[str, bytes], Path]


@functools.cache
def _costly_p12(key: Any, rounds: int) -> bytes:
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(rounds)
        .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
        .hmac_hash(hashes.SHA256())
        .build(b"changeit")
    )
    return pkcs12.serialize_key_and_certificates(b"t", key, certificate(key), None, encryption)


def test_cost_is_read_from_clear_parameters(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]]
) -> None:
    assert 0 < kdf_cost(samples["rsa"]["der-encrypted"].data) <= 100_000
    assert 0 < kdf_cost(samples["rsa"]["pkcs12-weak"].data) <= 100_000
    assert kdf_cost(_costly_p12(keys["p256"], 1_500_000)) == 1_500_000
    assert kdf_cost(b"\x30\x82\xff") == 0


def test_a_pkcs12_with_millions_of_rounds_is_not_tried(keys: dict[str, Any]) -> None:
    data = _costly_p12(keys["p256"], 1_500_000)  # its passphrase is even a weak one
    started = time.process_time()
    [info] = analyse(data)
    assert time.process_time() - started < 1.0
    assert (info.encrypted, info.public_known, info.weak_passphrase) == (True, False, False)
    assert "not tried" in (info.note or "")


def test_putty_v3_asking_for_gigabytes_is_not_tried(
    tool: Callable[[str], str], write: Write, samples: dict[str, dict[str, Written]]
) -> None:
    import subprocess

    source = write("id_key", samples["ed25519"]["openssh"].data)
    secret = write("pass.txt", b"changeit\n")
    target = source.parent / "key.ppk"
    subprocess.run(
        [
            tool("puttygen"),
            str(source),
            "-O",
            "private",
            "-o",
            str(target),
            "--new-passphrase",
            str(secret),
        ],
        check=True,
        capture_output=True,
    )
    lines = target.read_text().splitlines()
    hostile = "\n".join(
        "Argon2-Memory: 4194304" if line.startswith("Argon2-Memory:") else line for line in lines
    )
    started = time.process_time()
    [info] = analyse(hostile.encode())
    assert time.process_time() - started < 1.0
    assert info.public_known and info.encrypted and not info.weak_passphrase


def test_openssh_with_many_bcrypt_rounds_is_not_tried(
    samples: dict[str, dict[str, Written]],
) -> None:
    import base64
    import struct

    from scanner.keys.armor import pem_blocks
    from scanner.keys.openssh import MAGIC, read_string

    [block] = pem_blocks(samples["ed25519"]["openssh-weak"].data.decode())
    der = bytearray(block.der)
    _, pos = read_string(bytes(der), len(MAGIC))  # cipher
    _, pos = read_string(bytes(der), pos)  # kdf name
    options_at = pos + 4
    _salt, after_salt = read_string(bytes(der), options_at)
    struct.pack_into(">I", der, after_salt, 1_000_000)  # a hostile rounds count
    body = base64.b64encode(bytes(der)).decode()
    pem = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + body + "\n-----END OPENSSH PRIVATE KEY-----\n"
    started = time.process_time()
    [info] = analyse(pem.encode())
    assert time.process_time() - started < 1.0
    assert info.public_known and info.encrypted and not info.weak_passphrase
