"""Class 2: every key-derivation and MAC cost is checked before it is paid, per
key and per file, and the scan's time budget holds inside an item."""

from __future__ import annotations

import base64
import datetime
import os
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from hostile_support import run

from scanner.keys import der


def _tlv(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    octets = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + content


def _integer(value: int) -> bytes:
    return _tlv(0x02, value.to_bytes(value.bit_length() // 8 + 1, "big"))


def _pkcs12_with_mac_iterations(iterations: int) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hostile")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(datetime.datetime(2024, 1, 1))
        .not_valid_after(datetime.datetime(2034, 1, 1))
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"k", key, cert, None, serialization.BestAvailableEncryption(b"changeit")
    )
    version, auth_safe, mac = der.children(data, der.header(data, 0))
    digest, salt, _ = der.children(data, mac)
    kept = b"".join(data[n[1] - _hl(data, n) : n[2]] for n in (digest, salt))
    new_mac = _tlv(0x30, kept + _integer(iterations))
    parts = [data[n[1] - _hl(data, n) : n[2]] for n in (version, auth_safe)]
    return _tlv(0x30, b"".join(parts) + new_mac)


def _hl(data: bytes, node: der.Node) -> int:
    """Header length of a DER node (its content starts after it)."""
    size = node[2] - node[1]
    return 2 if size < 0x80 else 2 + (size.bit_length() + 7) // 8


def test_pkcs12_mac_iterations_are_bounded_before_any_load(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "store.p12").write_bytes(_pkcs12_with_mac_iterations(2**31 - 1))
    result = run(tree, "scan", ".", "--fail-on", "low")
    result.bounded()
    assert result.cpu < 30  # a first load with this MAC count takes minutes
    assert result.code == 1
    [finding] = result.report["findings"]
    assert finding["path"] == "store.p12"
    assert "too costly" in finding["message"], finding["message"]


def _scrypt_pkcs8(n: int, r: int, p: int) -> bytes:
    def oid(dotted: str) -> bytes:
        return _tlv(0x06, bytes.fromhex(dotted))

    params = _tlv(0x04, os.urandom(16)) + _integer(n) + _integer(r) + _integer(p)
    scrypt = _tlv(0x30, oid("2B06010401DA47040B") + _tlv(0x30, params))
    cipher = _tlv(0x30, oid("60864801650304012A") + _tlv(0x04, os.urandom(16)))
    pbes2 = _tlv(0x30, oid("2A864886F70D01050D") + _tlv(0x30, scrypt + cipher))
    body = _tlv(0x30, pbes2 + _tlv(0x04, os.urandom(160)))
    text = base64.encodebytes(body).decode().replace("\n", "")
    lines = [text[i : i + 64] for i in range(0, len(text), 64)]
    pem = ["-----BEGIN ENCRYPTED PRIVATE KEY-----", *lines, "-----END ENCRYPTED PRIVATE KEY-----"]
    return ("\n".join(pem) + "\n").encode()


def test_scrypt_whose_product_is_huge_is_never_tried(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    # each parameter alone looks ordinary; together: 128·N·r = 8 GiB
    (tree / "k.pem").write_bytes(_scrypt_pkcs8(1 << 16, 1024, 1))
    result = run(tree, "scan", ".", "--fail-on", "low")
    result.bounded()
    assert result.cpu < 30
    assert result.code == 1
    [finding] = result.report["findings"]
    assert finding["path"] == "k.pem"
    assert "too costly" in finding["message"], finding["message"]


def _ppk_v3(memory: int, passes: int, lanes: int) -> bytes:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    blob = key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
    public = blob.split()[1].decode()
    private = base64.b64encode(os.urandom(48)).decode()
    return (
        "PuTTY-User-Key-File-3: ssh-ed25519\n"
        "Encryption: aes256-cbc\n"
        "Comment: hostile\n"
        f"Public-Lines: 1\n{public}\n"
        "Key-Derivation: Argon2id\n"
        f"Argon2-Memory: {memory}\n"
        f"Argon2-Passes: {passes}\n"
        f"Argon2-Parallelism: {lanes}\n"
        f"Argon2-Salt: {os.urandom(16).hex()}\n"
        f"Private-Lines: 1\n{private}\n"
        f"Private-MAC: {os.urandom(32).hex()}\n"
    ).encode()


def test_putty_argon2_work_is_bounded(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    # memory and passes each within their own limit; memory x passes is not
    (tree / "id.ppk").write_bytes(_ppk_v3(256 * 1024, 200, 1))
    (tree / "lanes.ppk").write_bytes(_ppk_v3(64 * 1024, 1, 100_000))
    result = run(tree, "scan", ".")
    result.bounded()
    assert result.cpu < 30
    assert result.code == 1
    assert sorted(f["path"] for f in result.report["findings"]) == ["id.ppk", "lanes.ppk"]


def _costly_openssh_keys(count: int) -> bytes:
    """`count` different keys (one secret each), every one costly to try."""
    encryption = (
        serialization.PrivateFormat.OpenSSH.encryption_builder().kdf_rounds(120).build(b"x9")
    )
    return b"".join(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption
        )
        for _ in range(count)
    )


def test_many_costly_keys_in_one_file_share_one_budget(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "keys.txt").write_bytes(_costly_openssh_keys(40))  # 40 x 3 s per key unbounded
    result = run(tree, "scan", ".")
    result.bounded()
    assert result.cpu < 60  # CPU seconds: the per-item budget counts CPU
    assert result.code == 1
    assert len(result.report["findings"]) == 40


def test_the_time_budget_holds_inside_an_item(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "keys.txt").write_bytes(_costly_openssh_keys(40))
    (tree / ".keysweep.yaml").write_text("max_seconds: 3\n")
    result = run(tree, "scan", ".")
    result.bounded()
    assert result.cpu < 20  # with neither budget, the 40 keys would cost 120 CPU seconds
    assert result.code == 1
    assert result.report["summary"]["partial"] is True
    # Stopped inside the item, or (on a slow start) before it: either way unscanned.
    assert any("stopped" in f["message"] for f in result.unscanned())
