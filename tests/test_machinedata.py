"""A file or blob over the size limit is a binary skip, as a smaller binary is, when its
head names machine code or media; anything else over the limit stays unscanned content."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from support import commit, git, token

from scanner.cli import cli
from scanner.machinedata import machine_data
from scanner.model import Item, Origin
from scanner.schedule import ItemResult
from scanner.sources import SkipReason, gitblobs
from scanner.sources.gitsafe import discover

LIMIT = 4096


def _elf() -> bytes:
    return b"\x7fELF\x02\x01\x01\x00" + bytes(56) + os.urandom(3 * LIMIT)


def _png() -> bytes:
    return b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(3 * LIMIT)


def _text() -> bytes:
    return f"API_TOKEN={token()}\n".encode() * (LIMIT // 20)


def test_heads_of_machine_code_and_media_are_told_from_the_rest() -> None:
    assert machine_data(_elf()[:8192]) and machine_data(_png()[:8192])
    assert machine_data(b"!<arch>\n" + bytes(64))  # a static library
    assert not machine_data(b"!<arch>\ndebian-binary   " + bytes(64))  # a .deb holds tar members
    assert not machine_data(b"\x7fELF without a NUL in its head")
    assert not machine_data(b"PK\x03\x04" + bytes(64))  # archives are opened, never skipped
    assert not machine_data(_text()[:8192]) and not machine_data(b"")


def _scan(*args: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, [*args, "--max-file-size", str(LIMIT), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return result.exit_code, report


def _unscanned(report: dict[str, Any]) -> list[str]:
    return sorted(f["path"] for f in report["findings"] if f["rule"] == "unscanned-content")


def test_an_oversized_executable_is_a_binary_skip_and_oversized_text_is_not(
    tmp_path: Path,
) -> None:
    (tmp_path / "tool").write_bytes(_elf())
    (tmp_path / "photo.png").write_bytes(_png())
    code, report = _scan("scan", str(tmp_path))
    assert (code, _unscanned(report)) == (0, [])
    assert report["summary"]["skipped"] == {SkipReason.BINARY.value: 2}
    (tmp_path / "dump.env").write_bytes(_text())
    (tmp_path / "noise.bin").write_bytes(os.urandom(3 * LIMIT))
    code, report = _scan("scan", str(tmp_path))
    assert (code, _unscanned(report)) == (1, ["dump.env", "noise.bin"])


def _history(repo: Path) -> Path:
    repo.mkdir()
    git(repo, "init", "-q")
    commit(repo, {"bin/tool": _elf(), "dump.env": _text(), "small.txt": "hello\n"})
    return repo


def test_an_oversized_executable_in_history_is_a_binary_skip(tmp_path: Path) -> None:
    repo = _history(tmp_path / "repo")
    for jobs in ("1", "2"):
        code, report = _scan("git", str(repo), "--jobs", jobs)
        assert (code, _unscanned(report)) == (1, ["dump.env"])
        assert report["summary"]["skipped"][SkipReason.BINARY.value] == 1


def test_a_worker_reading_blobs_itself_judges_an_oversized_head_the_same(tmp_path: Path) -> None:
    repo = _history(tmp_path / "repo")
    store = gitblobs.store_of(discover(repo), None, LIMIT)
    names = ["bin/tool", "dump.env", "small.txt"]
    items = [Item(Origin(n), None, git(repo, "rev-parse", f"HEAD:{n}"), 1, store) for n in names]
    result = ItemResult()
    try:
        read = list(gitblobs.with_data(items, result))
    finally:
        gitblobs.close_readers()
    assert [i.origin.path for i in read] == ["small.txt"]
    assert result.skipped[SkipReason.BINARY] == 1 and result.skipped[SkipReason.TOO_LARGE] == 1
    assert [u.path for u in result.unscanned] == ["dump.env"]


def test_a_media_magic_before_text_is_still_text(tmp_path: Path) -> None:
    """`GIF89a` and one NUL before plain text: a small file like it is text with a
    stray NUL (`binarytext`), so a large one is not machine data either."""
    disguised = b"GIF89a\x00\n" + _text()
    assert not machine_data(disguised[:8192])
    (tmp_path / "notes.gif").write_bytes(disguised)
    code, report = _scan("scan", str(tmp_path))
    assert (code, _unscanned(report)) == (1, ["notes.gif"])
