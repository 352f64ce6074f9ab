"""Files git calls binary that hold text (`scanner/binarytext.py`), through the real CLI:
UTF-16 and UTF-32 text (what Windows PowerShell 5's `>` and many Windows editors
write), text with a stray NUL, and SQLite databases. Each was a clean "binary" skip
that passed the gate with a token in it."""

from __future__ import annotations

import codecs
import json
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from support import commit, keysweep_with_token_rule, token

ENCODINGS = {  # name: (BOM, codec)
    "utf-16 (LE, BOM: PowerShell 5)": (codecs.BOM_UTF16_LE, "utf-16-le"),
    "utf-16be with BOM": (codecs.BOM_UTF16_BE, "utf-16-be"),
    "utf-16le without BOM": (b"", "utf-16-le"),
    "utf-16be without BOM": (b"", "utf-16-be"),
    "utf-32 (LE, BOM)": (codecs.BOM_UTF32_LE, "utf-32-le"),
    "utf-32be without BOM": (b"", "utf-32-be"),
}


def _scan(folder: Path, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code, out = keysweep_with_token_rule(folder, tmp_path, *args, "--format", "json")
    return code, json.JSONDecoder().raw_decode(out, out.index("{"))[0]


def _places(report: dict[str, Any]) -> list[tuple[str, int, int]]:
    return [(f["path"], f["line"], f["column"]) for f in report["findings"]]


@pytest.mark.parametrize("name", ENCODINGS)
def test_utf16_and_utf32_files_are_scanned_at_the_line_and_column_an_editor_shows(
    tmp_path: Path, name: str
) -> None:
    bom, codec = ENCODINGS[name]
    secret = token()
    text = f"# café config\r\nNAME=Zoë\r\nkey: «{secret}»\r\n"
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / ".env").write_bytes(bom + text.encode(codec))
    code, report = _scan(folder, tmp_path, "scan", ".")
    assert code == 1
    assert _places(report) == [(".env", 3, 7)]  # `key: «` is six characters
    assert "binary" not in report["summary"]["skipped"]
    assert secret not in json.dumps(report)


def test_a_utf16_env_committed_then_deleted_is_found_in_the_history(
    make_repo: Any, tmp_path: Path
) -> None:
    repo = make_repo()
    secret = token()
    commit(repo, {"README": "hello\n"})
    written = codecs.BOM_UTF16_LE + f"API_TOKEN={secret}\r\n".encode("utf-16-le")
    commit(repo, {".env": written}, "add env")
    commit(repo, {".env": None}, "remove env")
    code, report = _scan(repo, tmp_path, "git", str(repo))
    assert code == 1
    assert [(f["path"], f["line"]) for f in report["findings"]] == [(".env", 1)]


def test_a_binary_file_that_merely_starts_like_utf16_stays_binary(tmp_path: Path) -> None:
    noise = random.Random(7).randbytes(20_000)
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "blob.bin").write_bytes(codecs.BOM_UTF16_LE + noise)
    (folder / "image.bin").write_bytes(noise[:100] + b"\x00" + token().encode() + noise)
    code, report = _scan(folder, tmp_path, "scan", ".")
    assert code == 0
    assert report["summary"]["skipped"] == {"binary": 2}


def test_text_with_a_stray_nul_is_scanned_with_its_own_line_numbers(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "app.log").write_bytes(f"start\x00\nok\nTOKEN={token()}\n".encode())
    code, report = _scan(folder, tmp_path, "scan", ".")
    assert code == 1
    assert _places(report) == [("app.log", 3, 7)]


def test_a_small_file_with_a_few_stray_nuls_is_text(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "a.env").write_bytes(f"A=1\x00\nB=2\x00\nTOKEN={token()}\n".encode())
    code, report = _scan(folder, tmp_path, "scan", ".")
    assert code == 1
    assert _places(report) == [("a.env", 3, 7)]


def test_a_token_in_an_sqlite_database_is_found(tmp_path: Path) -> None:
    folder = tmp_path / "project"
    folder.mkdir()
    secret = token()
    with sqlite3.connect(folder / "app.db") as db:
        db.execute("create table settings (name text, value text)")
        db.execute("insert into settings values (?, ?)", ("api token", secret))
    db.close()
    code, report = _scan(folder, tmp_path, "scan", ".")
    assert code == 1
    assert [f["path"] for f in report["findings"]] == ["app.db"]
    assert secret not in json.dumps(report)
