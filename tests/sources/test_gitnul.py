"""`gitnul.holding_nul` on real objects: which hold a NUL, whatever their size
and wherever the answers fall across the chunks git's output is read in."""

from __future__ import annotations

import random
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import commit, git

from scanner.sources import gitnul
from scanner.sources.git import read_blobs
from scanner.sources.gitsafe import RepoPaths, SafeGit


def _store(tmp_path: Path, contents: list[bytes]) -> tuple[SafeGit, list[str]]:
    """A repository holding each of `contents` as a blob; their ids, in order."""
    repo, files = tmp_path / "repo", tmp_path / "files"
    repo.mkdir()
    files.mkdir()
    git(repo, "init", "-q")
    paths = []
    for number, data in enumerate(contents):
        (files / str(number)).write_bytes(data)
        paths.append(str(files / str(number)))
    made = subprocess.run(
        ["git", "hash-object", "-w", "--stdin-paths"],
        cwd=repo,
        input="\n".join(paths).encode(),
        capture_output=True,
        check=True,
    )
    return SafeGit(RepoPaths(repo / ".git", repo)), made.stdout.decode().split()


def _holding(safe: SafeGit, ids: list[str]) -> list[tuple[str, str | None]]:
    return list(gitnul.holding_nul(safe, ids))


def test_objects_holding_a_nul_are_named_in_order(tmp_path: Path) -> None:
    big = 3 * gitnul.CHUNK
    contents = [
        b"plain text\n",
        b"\0leading",
        b"trailing\0",
        b"",
        b"in the\0middle",
        b"x" * big,  # read in several chunks, no NUL
        b"x" * (2 * gitnul.CHUNK + 1) + b"\0" + b"x" * 10,  # a NUL past two chunks
        b"y" * (gitnul.CHUNK - 60) + b"\0",  # a NUL right where a chunk ends
        b"last one, clean\n",
    ]
    safe, ids = _store(tmp_path, contents)
    want = [(sha, None) for sha, data in zip(ids, contents, strict=True) if b"\0" in data]
    assert _holding(safe, ids) == want
    assert _holding(safe, ids[::-1]) == want[::-1]


def test_an_object_git_cannot_give_is_named_with_its_problem(tmp_path: Path) -> None:
    safe, ids = _store(tmp_path, [b"a\0b", b"clean"])
    missing = "0123456789abcdef0123456789abcdef01234567"
    found = _holding(safe, [ids[0], missing, ids[1], ids[0]])
    assert [sha for sha, _ in found] == [ids[0], missing, ids[0]]
    assert found[0][1] is None and found[2][1] is None
    assert found[1][1] is not None and "missing" in found[1][1]


def test_a_git_without_batch_commands_is_asked_one_object_at_a_time(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """git before 2.36 refuses `--batch-command` as this wrapper does (its own
    words, exit 129); the same objects are then read with `--batch`."""
    real = shutil.which("git")
    assert real is not None
    older = tmp_path / "older-git"
    older.write_text(
        "#!/bin/sh\n"
        'for a in "$@"; do [ "$a" = --batch-command ] && {\n'
        '  echo "error: unknown option \\`batch-command\'" >&2; exit 129; }; done\n'
        f'exec {real} "$@"\n'
    )
    older.chmod(0o755)
    contents = [b"a\0b", b"clean", b"\0"]
    safe, ids = _store(tmp_path, contents)
    monkeypatch.setattr(gitnul, "_COMMANDS", [True])
    monkeypatch.setenv("GIT_PYTHON_GIT_EXECUTABLE", str(older))
    older_safe = SafeGit(safe.paths)
    assert _holding(older_safe, ids) == [(ids[0], None), (ids[2], None)]
    assert gitnul._COMMANDS == [False]


@pytest.mark.parametrize("count", [1, 3])
def test_git_stopping_on_damaged_objects_goes_on_after_them(tmp_path: Path, count: int) -> None:
    rng = random.Random(7)
    contents = [rng.randbytes(3000).replace(b"\0", b"\1") for _ in range(60)]
    for n in range(0, 60, 7):
        contents[n] += b"\0"
    safe, ids = _store(tmp_path, contents)
    pack = safe.paths.git_dir / "objects" / "pack" / "pack"
    subprocess.run(["git", "pack-objects", "-q", str(pack)], cwd=safe.paths.work_tree,
                   input="\n".join(ids).encode(), capture_output=True, check=True)  # fmt: skip
    git(safe.paths.work_tree or tmp_path, "prune-packed")
    (index,) = pack.parent.glob("*.idx")
    damaged = ids[30 : 30 + count]  # in a row: git dies on each before it answers
    listed = git(safe.paths.work_tree or tmp_path, "verify-pack", "-v", str(index))
    data = bytearray(index.with_suffix(".pack").read_bytes())
    for row in listed.splitlines():
        if row.split()[0] in damaged:
            at = int(row.split()[4])
            data[at + 10 : at + 60] = bytes(b ^ 0xFF for b in data[at + 10 : at + 60])
    index.with_suffix(".pack").chmod(0o644)
    index.with_suffix(".pack").write_bytes(bytes(data))
    found = _holding(safe, ids)
    want = [(sha, None) for sha, data in zip(ids, contents, strict=True) if b"\0" in data]
    assert [f for f in found if f[0] not in damaged] == want
    assert [f[0] for f in found if f[1] is not None] == damaged
    assert all((dict(found)[sha] or "").startswith("unreadable object: ") for sha in damaged)
    blobs = list(read_blobs(safe, ids, 1 << 20))
    assert [b.sha for b in blobs if b.data is None] == damaged


def test_a_store_that_is_gone_ends_with_one_problem(tmp_path: Path) -> None:
    safe, ids = _store(tmp_path, [b"object %d" % n for n in range(200)])
    shutil.rmtree(safe.paths.git_dir)
    found = _holding(safe, ids)
    assert len(found) == 1 and all(problem is not None for _, problem in found)
    assert "(and the 199 after it)" in (found[0][1] or "")


def test_no_ids_start_no_git(tmp_path: Path) -> None:
    safe = SafeGit(RepoPaths(tmp_path / "nowhere" / ".git", tmp_path / "nowhere"))
    assert _holding(safe, []) == []


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_objects_agree_with_their_bytes(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    contents = []
    for _ in range(400):
        size = rng.choice([0, 1, 2, rng.randrange(3, 300), rng.randrange(300, 300_000)])
        data = bytearray(rng.randbytes(size).replace(b"\0", b"\1"))
        if size and rng.random() < 0.3:
            data[rng.randrange(size)] = 0
        contents.append(bytes(data))
    safe, ids = _store(tmp_path, contents)
    want = [(sha, None) for sha, data in zip(ids, contents, strict=True) if b"\0" in data]
    assert _holding(safe, ids) == want


def test_read_blobs_stops_starting_git_for_a_store_that_is_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same bound as `holding_nul`'s, in `git.read_blobs`: every id is still
    answered (unreadable, with git's message), without a git for each."""
    safe, ids = _store(tmp_path, [b"object %d" % n for n in range(200)])
    shutil.rmtree(safe.paths.git_dir)
    started: list[tuple[str, ...]] = []
    spawn = SafeGit.spawn

    def counted(self: SafeGit, *args: str, stdin: bool = False, buffer: int = -1) -> Any:
        started.append(args)
        return spawn(self, *args, stdin=stdin, buffer=buffer)

    monkeypatch.setattr(SafeGit, "spawn", counted)
    blobs = list(read_blobs(safe, ids, 1 << 20))
    assert [b.sha for b in blobs] == ids and len(started) == 1
    assert all(b.data is None and (b.problem or "").startswith("unreadable object") for b in blobs)


def test_a_damaged_delta_base_loses_only_the_versions_resting_on_it(tmp_path: Path) -> None:
    """Thirty versions of one file in one delta chain, read in a row (as
    `reading_order` gives them) with their base damaged: git dies on each, and
    every other object is still read, by both readers."""
    repo = tmp_path / "chain"
    repo.mkdir()
    git(repo, "init", "-q")
    rng = random.Random(3)
    base = "".join(rng.choice("abcdefghij \n") for _ in range(20_000))
    for n in range(30):
        commit(repo, {"a.txt": f"{base}version {n}\n"}, f"a {n}")
    for n in range(20):
        commit(repo, {f"f{n}.txt": rng.randbytes(2000).hex()}, f"f {n}")
    git(repo, "repack", "-adf", "-q", "--depth=50", "--window=50")
    git(repo, "prune-packed")
    (index,) = (repo / ".git" / "objects" / "pack").glob("*.idx")
    listed = [row.split() for row in git(repo, "verify-pack", "-v", str(index)).splitlines()]
    rows = [row for row in listed if len(row) >= 5 and row[1] == "blob"]
    bases = {row[6] for row in rows if len(row) == 7}  # the objects deltas rest on
    chain = next(row for row in rows if row[0] in bases and len(row) == 5)
    data = bytearray(index.with_suffix(".pack").read_bytes())
    at = int(chain[4])
    data[at + 10 : at + 40] = bytes(b ^ 0xFF for b in data[at + 10 : at + 40])
    index.with_suffix(".pack").chmod(0o644)
    index.with_suffix(".pack").write_bytes(bytes(data))
    ids = [row[0] for row in rows]
    readable = [
        sha
        for sha in ids
        if subprocess.run(["git", "cat-file", "-p", sha], cwd=repo, capture_output=True).returncode
        == 0
    ]
    assert len(ids) - len(readable) >= 10  # the damage reaches many versions
    ids = [sha for sha in ids if sha not in readable] + readable  # the lost ones in a row
    readable = ids[len(ids) - len(readable) :]
    safe = SafeGit(RepoPaths(repo / ".git", repo))
    assert [b.sha for b in read_blobs(safe, ids, 1 << 20) if b.data is not None] == readable
    unread = [sha for sha, problem in gitnul.holding_nul(safe, ids) if problem is not None]
    assert unread == [sha for sha in ids if sha not in readable]
