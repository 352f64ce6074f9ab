"""Archives are opened in memory, bounded, and name the member a finding came from."""

from __future__ import annotations

import bz2
import gzip
import io
import json
import lzma
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import pytest

from scanner.config import Config
from scanner.model import Item, Origin, ScanWarning
from scanner.sources import Skipped
from scanner.sources.archives import expand, is_archive, kind_of, safe_name
from scanner.sources.archives.outside import OUTSIDE
from scanner.unscanned import Unscanned

SECRET = b"aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY\n"


def _zip(members: dict[str, bytes], **kwargs: Any) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED, **kwargs) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def _tar(members: dict[str, bytes], mode: str = "w") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _expand(path: str, data: bytes, config: Config | None = None) -> list[object]:
    item = Item(origin=Origin(path=path), data=data)
    return list(expand(item, data, config or Config()))


def _members(events: list[object]) -> dict[str, bytes]:
    """The members read, without the archive's own bytes (`(outside members)`)."""
    items = [e for e in events if isinstance(e, Item)]
    return {
        e.origin.archive_member or "": e.data or b""
        for e in items
        if not (e.origin.archive_member or "").endswith(OUTSIDE)
    }


def _errors(events: list[object]) -> list[str]:
    return [str(e) for e in events if isinstance(e, ScanWarning)]


def test_zip_members_come_out_with_their_member_path() -> None:
    data = _zip({"conf/app.env": SECRET, "README": b"hello"})
    assert is_archive("bundle.zip", data)
    assert _members(_expand("bundle.zip", data)) == {"conf/app.env": SECRET, "README": b"hello"}


@pytest.mark.parametrize("mode", ["w", "w:gz", "w:bz2", "w:xz"])
def test_tar_in_every_compression_is_opened(mode: str) -> None:
    data = _tar({"etc/key.pem": SECRET}, mode)
    assert is_archive("backup.tar", data)
    assert _members(_expand("backup.tar", data)) == {"etc/key.pem": SECRET}


@pytest.mark.parametrize(
    ("name", "packed"),
    [
        ("notes.txt.gz", gzip.compress(SECRET, mtime=0)),
        ("notes.txt.bz2", bz2.compress(SECRET)),
        ("notes.txt.xz", lzma.compress(SECRET)),
    ],
)
def test_single_compressed_file_is_one_member(name: str, packed: bytes) -> None:
    assert _members(_expand(name, packed)) == {"notes.txt": SECRET}


def test_key_inside_zip_inside_tar_names_the_nested_member() -> None:
    inner = _zip({"keys/deploy.pem": SECRET})
    outer = _tar({"inner.zip": inner}, "w:gz")
    assert _members(_expand("home.tgz", outer)) == {"inner.zip!keys/deploy.pem": SECRET}


def test_nesting_stops_at_the_depth_limit() -> None:
    data = _zip({"k.env": SECRET})
    for level in range(4):
        data = _zip({f"level{level}.zip": data})
    events = _expand("deep.zip", data, Config(archive_max_depth=3))
    assert _members(events) == {}
    assert any("nested deeper" in e for e in _errors(events))


def test_zip_bomb_stops_at_the_byte_budget_with_a_warning() -> None:
    bomb = _zip({f"zeros{i}.bin": bytes(16 * 1024 * 1024) for i in range(10)})
    assert len(bomb) < 1024 * 1024
    events = _expand("bomb.zip", bomb, Config(archive_max_bytes=100 * 1024 * 1024))
    assert any("archive bomb? stopped at" in e for e in _errors(events))
    assert sum(len(v) for v in _members(events).values()) <= 100 * 1024 * 1024


def test_one_huge_member_is_refused_before_it_is_inflated() -> None:
    bomb = _zip({"zeros.bin": bytes(600 * 1024 * 1024)})
    events = _expand("bomb.zip", bomb)
    assert any("archive bomb? stopped at 0 bytes" in e for e in _errors(events))


def test_a_lying_declared_size_is_caught_while_reading() -> None:
    """A header that claims a small size cannot smuggle a large member past the bound."""
    data = bytearray(_zip({"big.txt": b"A" * 4096, "tail.txt": SECRET}))
    local = data.find(b"PK\x03\x04")
    central = data.find(b"PK\x01\x02")
    # uncompressed size fields: local header offset 22, central directory offset 24
    data[local + 22 : local + 26] = (10).to_bytes(4, "little")
    data[central + 24 : central + 28] = (10).to_bytes(4, "little")
    events = _expand("liar.zip", bytes(data), Config(max_file_size=1000))
    assert "big.txt" not in _members(events)
    assert _members(events).get("tail.txt") == SECRET


def test_member_count_is_bounded() -> None:
    data = _zip({f"f{i}.txt": b"x" for i in range(50)})
    events = _expand("many.zip", data, Config(archive_max_members=10))
    assert len(_members(events)) == 10
    assert any("more than 10 archive members" in e for e in _errors(events))


def test_oversized_member_is_skipped_and_the_rest_scanned() -> None:
    data = _zip({"huge.log": b"y" * 5000, "app.env": SECRET})
    events = _expand("logs.zip", data, Config(max_file_size=1000))
    assert _members(events) == {"app.env": SECRET}
    assert [e.reason for e in events if isinstance(e, Skipped)] == ["too-large"]


def test_truncated_tar_reports_a_warning_and_keeps_earlier_members() -> None:
    data = _tar({"a.env": SECRET, "b.bin": b"z" * 20000})
    events = _expand("cut.tar", data[:3000])
    assert _members(events) == {"a.env": SECRET}
    assert any("cut.tar" in e and "truncated" in e for e in _errors(events))


def test_damaged_zip_is_unscanned_content() -> None:
    events = _expand("broken.zip", b"PK\x03\x04" + b"\x00" * 40)
    assert _members(events) == {}
    damaged = [e for e in events if isinstance(e, Unscanned) and "damaged zip" in e.message]
    assert [e.path for e in damaged] == ["broken.zip"]


def test_encrypted_zip_member_is_a_warning_and_others_are_scanned() -> None:
    data = bytearray(_zip({"secret.txt": b"s" * 100, "plain.txt": SECRET}))
    for signature, flag_offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = data.find(signature)
        data[at + flag_offset] |= 0x1
    events = _expand("locked.zip", bytes(data))
    assert _members(events) == {"plain.txt": SECRET}
    assert any("encrypted" in e for e in _errors(events))


def test_member_paths_are_sanitised_for_display() -> None:
    assert safe_name("../../etc/passwd") == "etc/passwd"
    assert safe_name("/abs/key.pem") == "abs/key.pem"
    assert safe_name("C:\\Users\\me\\key.pem") == "Users/me/key.pem"
    assert safe_name("a/\x1b[31mred") == "a/?[31mred"
    data = _tar({"../../evil.env": SECRET})
    assert _members(_expand("evil.tar", data)) == {"evil.env": SECRET}


def test_archive_bytes_are_an_archive_whatever_the_name_and_text_is_not(tmp_path: Path) -> None:
    assert is_archive("store.p12", _zip({"a": b"b"}))  # no key format starts as a zip
    assert not is_archive("id_rsa", b"-----BEGIN RSA PRIVATE KEY-----\n")
    assert not is_archive("notes.tar", b"just text, not a tar" * 40)
    assert not is_archive("BZh.txt", b"BZh hello there")


def test_v7_tar_without_magic_is_recognised_by_extension_and_checksum() -> None:
    data = bytearray(_tar({"old.env": SECRET}))
    data[257:265] = bytes(8)  # drop the ustar magic, fix the checksum
    data[148:156] = b" " * 8
    data[148:156] = f"{sum(data[:512]):06o}\x00 ".encode()
    assert is_archive("old.tar", bytes(data))
    assert not is_archive("old.bin", bytes(data))


def test_every_kind_is_told_by_its_leading_bytes_and_tar_by_name_in_any_case() -> None:
    text = SECRET * 40
    made = {
        "zip": _zip({"a.env": text}),
        "tar": _tar({"a.env": text}),
        "gz": gzip.compress(text),
        "bz2": bz2.compress(text),
        "xz": lzma.compress(text),
    }
    for kind, data in made.items():
        assert kind_of("blob", data) == kind
        assert kind_of("Keys/STORE.P12", data) == kind  # the bytes decide, not a key name
        assert kind_of("blob", data[:5]) is None  # too short to tell
    v7 = bytearray(made["tar"])
    v7[257:265] = bytes(8)
    v7[148:156] = b" " * 8
    v7[148:156] = f"{sum(v7[:512]):06o}\x00 ".encode()
    for name in ("OLD.TAR", "old.Tar", "dir.tar/old.tar"):
        assert kind_of(name, bytes(v7)) == "tar"
    for name in ("old.tar.txt", "oldtar", "tar"):
        assert kind_of(name, bytes(v7)) is None
    for lead in (b"PK\x03\x05", b"\x1f\x8b\x09", b"BZh9 not bz2", b"7z\xbc\xaf", b"\xfd7zXY"):
        assert kind_of("blob", lead + b"x" * 300) is None


def test_office_documents_are_opened_as_zips() -> None:
    data = _zip({"word/document.xml": b"<w:t>" + SECRET + b"</w:t>"})
    assert is_archive("notes.docx", data)
    assert "word/document.xml" in _members(_expand("notes.docx", data))


def test_sevenzip_when_py7zr_is_installed() -> None:
    py7zr = pytest.importorskip("py7zr")
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w") as archive:
        archive.writestr(SECRET, "keys/app.env")
    data = buffer.getvalue()
    assert is_archive("keys.7z", data)
    assert _members(_expand("keys.7z", data)) == {"keys/app.env": SECRET}


def test_sevenzip_bomb_is_refused_from_its_declared_size() -> None:
    py7zr = pytest.importorskip("py7zr")
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w") as archive:
        archive.writestr(bytes(8 * 1024 * 1024), "zeros.bin")
    events = _expand("bomb.7z", buffer.getvalue(), Config(archive_max_bytes=1024 * 1024))
    assert _members(events) == {}
    assert any("archive bomb?" in e for e in _errors(events))


def test_scan_reports_a_key_inside_an_archive_by_its_member_path(
    tmp_path: Path, rsa_pem: bytes
) -> None:
    from click.testing import CliRunner

    from scanner.cli import cli

    (tmp_path / "release.tgz").write_bytes(_tar({"config/signing.pem": rsa_pem}, "w:gz"))
    args = ["scan", str(tmp_path), "--format", "json"]
    result = CliRunner().invoke(cli, args)
    report = json.loads(result.stdout)
    members = {(f["path"], f["archive_member"]) for f in report["findings"]}
    assert ("release.tgz", "config/signing.pem") in members
    assert rsa_pem.decode() not in result.stdout
    skipped = CliRunner().invoke(cli, [*args, "--no-archives"])
    assert json.loads(skipped.stdout)["findings"] == []
