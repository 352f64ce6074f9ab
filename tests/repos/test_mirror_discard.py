"""Deleting a mirror (`mirror.discard`) touches only the mirror's own name in the
cache: links in it or in its place are unlinked, never followed, and what they
point at survives; `repos remove` looks in the cache `keysweep worker` uses."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from scanner.cli import worker
from scanner.repos import mirror

URL = "https://git.example.test/team/app.git"


def _outside(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep" / "keep.txt").write_text("keep\n")
    return outside


def test_links_inside_a_mirror_are_not_followed(tmp_path: Path) -> None:
    outside = _outside(tmp_path)
    cache = tmp_path / "cache"
    target = mirror.mirror_path(cache, URL)
    (target / "objects").mkdir(parents=True)
    (target / "HEAD").write_text("ref: refs/heads/main\n")
    (target / "objects" / "to-folder").symlink_to(outside, target_is_directory=True)
    (target / "to-file").symlink_to(outside / "deep" / "keep.txt")
    assert mirror.discard(cache, URL) is True
    assert os.listdir(cache) == []
    assert (outside / "deep" / "keep.txt").read_text() == "keep\n"
    assert mirror.discard(cache, URL) is False  # nothing left to delete


@pytest.mark.parametrize("kind", ["link", "file"])
def test_a_link_or_file_in_the_mirrors_place_is_unlinked(tmp_path: Path, kind: str) -> None:
    outside = _outside(tmp_path)
    cache = tmp_path / "cache"
    cache.mkdir()
    target = mirror.mirror_path(cache, URL)
    if kind == "link":
        target.symlink_to(outside, target_is_directory=True)
    else:
        target.write_text("not a mirror\n")
    assert mirror.discard(cache, URL) is True
    assert os.listdir(cache) == []
    assert (outside / "deep" / "keep.txt").read_text() == "keep\n"


def test_the_default_cache_is_the_workers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert mirror.default_cache() == worker._default_cache() == tmp_path / "keysweep/mirrors"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert mirror.default_cache() == worker._default_cache()
