"""An archive's own bytes outside the members read, and damaged archives, through the
real CLI (`sources/archives/outside.py`, `budget.damaged`): each case was a clean
pass, or a warning only, with a token plain in the archive's bytes."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import keysweep_with_token_rule, token

from scanner.config import Config
from scanner.model import Item, Origin
from scanner.sources.archives import expand
from scanner.sources.archives.outside import OUTSIDE


def _stored(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def _bad_crc(line: bytes) -> bytes:
    data = bytearray(_stored("prod.env", line))
    central = data.find(b"PK\x01\x02")
    data[14:18] = data[central + 16 : central + 20] = bytes(4)  # both CRCs zeroed
    return bytes(data)


def _truncated(line: bytes) -> bytes:
    data = _stored("prod.env", line)
    return data[: data.find(b"PK\x01\x02")]  # cut before the central directory


def _unlisted(line: bytes) -> bytes:
    return _truncated(line) + _stored("readme.txt", b"hi\n")


def _zip_comment(line: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("r.txt", b"hi\n")
        archive.comment = line
    return buffer.getvalue()


def _member_comment(line: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        info = zipfile.ZipInfo("r.txt")
        info.comment = line
        archive.writestr(info, b"hi\n")
    return buffer.getvalue()


def _pax(line: bytes) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("r.txt")
        info.size = 3
        info.pax_headers = {"comment": line.decode()}
        archive.addfile(info, io.BytesIO(b"hi\n"))
    return buffer.getvalue()


def _self_extracting(line: bytes) -> bytes:
    return b"MZ" + bytes(5000) + _stored("prod.env", line)


CASES: dict[str, tuple[str, Callable[[bytes], bytes], str | None]] = {
    # name: (file name, builder, the unscanned-content message expected, if any)
    "stored member with a wrong CRC": ("deploy.zip", _bad_crc, "damaged archive member"),
    "zip cut before its index": ("deploy.zip", _truncated, "damaged zip archive"),
    "local entry the index does not list": ("deploy.zip", _unlisted, "does not list"),
    "zip comment": ("deploy.zip", _zip_comment, None),
    "member comment": ("deploy.zip", _member_comment, None),
    "tar PAX header": ("deploy.tar", _pax, None),
    "zip behind an MZ stub": ("setup.exe", _self_extracting, None),
}


def _scan(folder: Path, tmp_path: Path) -> tuple[int, dict[str, Any]]:
    code, out = keysweep_with_token_rule(folder, tmp_path, "scan", ".", "--format", "json")
    return code, json.JSONDecoder().raw_decode(out, out.index("{"))[0]


@pytest.mark.parametrize("case", CASES)
def test_a_token_in_an_archives_own_bytes_fails_the_gate(tmp_path: Path, case: str) -> None:
    name, build, unscanned = CASES[case]
    secret = token()
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / name).write_bytes(build(f'GITHUB_TOKEN="{secret}"\n'.encode()))
    code, report = _scan(folder, tmp_path)
    assert code == 1
    found = [f for f in report["findings"] if f["rule"] == "test.kswtest-token"]
    assert [f["path"] for f in found] == [name]
    messages = [f["message"] for f in report["findings"] if f["rule"] == "unscanned-content"]
    assert [m for m in messages if unscanned and unscanned in m] == messages
    assert bool(messages) == bool(unscanned)
    assert secret not in json.dumps(report)


def test_a_members_secret_is_reported_once_at_the_member(tmp_path: Path) -> None:
    secret = token()
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "deploy.zip").write_bytes(_stored("prod.env", f"T={secret}\n".encode()))
    code, report = _scan(folder, tmp_path)
    assert code == 1
    assert [(f["path"], f["archive_member"]) for f in report["findings"]] == [
        ("deploy.zip", "prod.env")
    ]


def test_an_executable_with_a_stray_zip_signature_stays_a_binary(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "tool.exe").write_bytes(b"MZ" + bytes(3000) + b"PK\x05\x06" + bytes(18))
    lying = b"PK\x05\x06" + bytes(4) + b"\x01\x00\x01\x00" + b"\x2e\x00\x00\x00" + bytes(6)
    (folder / "other.exe").write_bytes(b"MZ" + bytes(3000) + lying)  # one entry, no index
    code, report = _scan(folder, tmp_path)
    assert code == 0
    assert report["summary"]["skipped"] == {"binary": 2}


def test_the_outside_text_leaves_out_the_members_read_and_keeps_names_and_comments() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("conf/app.env", b"member body\n")
        archive.comment = b"the archive comment"
    data = buffer.getvalue()
    item = Item(origin=Origin(path="a.zip"), data=data)
    events = [e for e in expand(item, data, Config()) if isinstance(e, Item)]
    outside = [e.data or b"" for e in events if e.origin.archive_member == OUTSIDE]
    assert len(outside) == 1
    assert b"the archive comment" in outside[0]
    assert b"conf/app.env" in outside[0]
    assert b"member body" not in outside[0]
    assert b"\x00" not in outside[0]
