"""Deleting a mirror (`mirror.discard`) touches only the mirror's own name in the
cache: links in it or in its place are unlinked, never followed, and what they
point at survives; `repos remove` looks in the cache `keysweep worker` uses."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

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


def test_the_default_cache_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """One default for `keysweep worker` and `repos remove` (both call it)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert mirror.default_cache() == tmp_path / "keysweep/mirrors"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert mirror.default_cache() == tmp_path / "home/.cache/keysweep/mirrors"


def _mirror(cache: Path, url: str, files: int = 200) -> Path:
    target = mirror.mirror_path(cache, url)
    (target / "objects").mkdir(parents=True)
    (target / "HEAD").write_text("ref: refs/heads/main\n")
    for n in range(files):
        (target / "objects" / f"{n:04d}").write_bytes(b"x" * 64)
    return target


def _discard(start: threading.Barrier, cache: Path) -> bool:
    start.wait()
    return mirror.discard(cache, URL)


@pytest.mark.parametrize("kind", ["folder", "file"])
def test_threads_deleting_the_same_mirror_at_once_never_fail(tmp_path: Path, kind: str) -> None:
    """Workers and `repos remove` may delete one mirror together: exactly one of
    them deletes it, the others find nothing; no error, nothing left behind."""
    cache = tmp_path / "cache"
    cache.mkdir()
    callers = 8
    for round_ in range(40):
        if kind == "folder":
            _mirror(cache, URL, files=20)
        else:
            mirror.mirror_path(cache, URL).write_text("not a mirror\n")
        start = threading.Barrier(callers)
        with ThreadPoolExecutor(callers) as pool:
            results = list(pool.map(_discard, [start] * callers, [cache] * callers))
        assert results.count(True) == 1, (round_, results)
        assert os.listdir(cache) == []


def test_discard_all_counts_each_mirror_once_across_threads(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    urls = [f"https://git.example.test/team/app{n}.git" for n in range(6)]
    for url in urls:
        _mirror(cache, url, files=20)
    start = threading.Barrier(4)

    def delete(_: int) -> int:
        start.wait()
        return mirror.discard_all(cache, urls)

    with ThreadPoolExecutor(4) as pool:
        assert sum(pool.map(delete, range(4))) == len(urls)
    assert os.listdir(cache) == []
    assert mirror.discard_all(tmp_path / "no-such-cache", urls) == 0


def test_what_remove_tree_cannot_delete_is_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "removed-x"
    (folder / "m").mkdir(parents=True)
    assert mirror.remove_tree(folder) is True and not folder.exists()
    with caplog.at_level("WARNING", logger="keysweep.repos"):
        assert mirror.remove_tree(folder) is False  # gone already: nothing was deleted
    assert [r.getMessage().split(" ")[0] for r in caplog.records] == [str(folder)]
