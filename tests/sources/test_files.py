from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.model import Item, ScanWarning
from scanner.sources import Skipped
from scanner.sources.files import FileSource


def _events(source: FileSource) -> tuple[list[Item], list[ScanWarning], list[Skipped]]:
    items, errors, skipped = [], [], []
    for event in source.events():
        if isinstance(event, Item):
            items.append(event)
        elif isinstance(event, ScanWarning):
            errors.append(event)
        else:
            skipped.append(event)
    return items, errors, skipped


def test_walks_dotfiles_but_not_git_internals(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("A=1\n")
    (tmp_path / ".config" / "tool").mkdir(parents=True)
    (tmp_path / ".config" / "tool" / "hosts.yml").write_text("x: 1\n")
    (tmp_path / ".git" / "objects").mkdir(parents=True)
    (tmp_path / ".git" / "config").write_text("[core]\n")
    items, errors, _ = _events(FileSource([tmp_path]))
    assert sorted(i.origin.path for i in items) == [".config/tool/hosts.yml", ".env"]
    assert errors == []
    assert all(i.origin.fs_path and Path(i.origin.fs_path).is_absolute() for i in items)


def test_excludes_are_applied_before_reading(tmp_path: Path) -> None:
    (tmp_path / "vendor" / "lib").mkdir(parents=True)
    (tmp_path / "vendor" / "lib" / "a.txt").write_text("x")
    (tmp_path / "keep.txt").write_text("x")
    (tmp_path / "drop.log").write_text("x")
    items, _, skipped = _events(FileSource([tmp_path], exclude=["vendor/", "*.log"]))
    assert [i.origin.path for i in items] == ["keep.txt"]
    assert {s.reason for s in skipped} == {"excluded"}


def test_symlinks_are_not_followed_unless_asked_and_loops_are_caught(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (real / "f.txt").write_text("x")
    (real / "loop").symlink_to(real)
    (tmp_path / "link.txt").symlink_to(real / "f.txt")
    items, _, skipped = _events(FileSource([tmp_path]))
    assert [i.origin.path for i in items] == ["real/f.txt"]
    assert {s.reason for s in skipped} == {"symlink"}
    items, errors, _ = _events(FileSource([tmp_path], follow_symlinks=True))
    assert sorted(i.origin.path for i in items) == ["link.txt", "real/f.txt"]
    assert any("symlink loop" in e.message for e in errors)


def test_size_limit_skips_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "big.bin").write_bytes(b"x" * 2000)
    (tmp_path / "small.txt").write_text("x")
    items, errors, _ = _events(FileSource([tmp_path], max_file_size=1000))
    assert [i.origin.path for i in items] == ["small.txt"]
    assert len(errors) == 1 and "big.bin" in errors[0].path and "size limit" in errors[0].message


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads folders whatever their mode")
def test_unreadable_folder_is_a_warning(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (tmp_path / "ok.txt").write_text("x")
    locked.chmod(0)
    try:
        items, errors, _ = _events(FileSource([tmp_path]))
    finally:
        locked.chmod(0o755)
    assert [i.origin.path for i in items] == ["ok.txt"]
    assert errors and errors[0].path == "locked"


def test_missing_root_is_an_error_and_files_given_directly_keep_their_path(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("x")
    items, errors, _ = _events(FileSource([tmp_path / "nope", tmp_path / "a.txt"]))
    assert len(errors) == 1 and "nope" in errors[0].path
    assert items[0].origin.path == (tmp_path / "a.txt").as_posix()
    assert items[0].origin.file_mode is not None


def test_home_display_uses_tilde(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / ".ssh").mkdir()
    (tmp_path / ".ssh" / "id_rsa").write_text("x")
    items, _, _ = _events(FileSource([tmp_path], display="home", record_owner=True))
    assert items[0].origin.path == "~/.ssh/id_rsa"
    assert items[0].origin.file_owner
