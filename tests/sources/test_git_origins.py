"""The Origin of each blob of a real history: every path it was seen at (HEAD's
first, then by path), the commit that put it at each, and whether HEAD still
has it at that very path; the same whether the main process reads the blobs or
hands them out to be read where they are scanned, and for the staged index."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from scanner.model import BlobStore, Item, Origin, ScanWarning, SourceKind
from scanner.sources import Skipped, SkipReason, gitblobs
from scanner.sources.git import GitSource

AUTHOR = "Origin Tester <origins@example.test>"


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def _commit(repo: Path, files: dict[str, str | None], when: int) -> str:
    for name, text in files.items():
        if text is None:
            _git(repo, "rm", "-q", name)
            continue
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
        _git(repo, "add", name)
    stamp = f"{when} +0000"
    subprocess.run(
        ["git", "commit", "-q", "-m", f"at {when}", f"--author={AUTHOR}", f"--date={stamp}"],
        cwd=repo, check=True, capture_output=True,
        env={"GIT_COMMITTER_DATE": stamp, "PATH": "/usr/bin:/bin", "HOME": str(repo)},
    )  # fmt: skip
    return _git(repo, "rev-parse", "HEAD")


@pytest.fixture
def history(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """One text at three paths (two of them at HEAD, added later than the first,
    which is gone), a file changed once, a file in one place throughout."""
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.name", "Origin Tester")
    _git(repo, "config", "user.email", "origins@example.test")
    shared = "the same bytes at three paths\n"
    first = _commit(repo, {"m/first.txt": shared, "conf.ini": "a = 1\n"}, 1_700_000_000)
    second = _commit(
        repo, {"z/later.txt": shared, "b/copy.txt": shared, "only.txt": "alone\n"}, 1_700_000_100
    )
    third = _commit(repo, {"m/first.txt": None, "conf.ini": "a = 2\n"}, 1_700_000_200)
    return repo, {"first": first, "second": second, "third": third, "shared": shared}


def _date(repo: Path, commit: str) -> str:
    return _git(repo, "show", "-s", "--format=%cI", commit).replace("Z", "+00:00")


def _place(repo: Path, path: str, commit: str, at_head: bool | None) -> Origin:
    return Origin(
        path=path,
        source=SourceKind.GIT,
        commit=commit,
        author=AUTHOR,
        date=_date(repo, commit),
        at_head=at_head,
    )


def _blobs(events: Iterable[object]) -> list[Item]:
    """The blobs' items (not the commits' messages: `test_gitmessages.py`)."""
    return [e for e in events if isinstance(e, Item) and e.blob_id is not None]


def _origins(source: GitSource) -> dict[bytes | None, Origin]:
    items = _blobs(source.events())
    return {_text(source, i): i.origin for i in items}


def _text(source: GitSource, item: Item) -> bytes | None:
    if item.data is not None:
        return item.data
    return _git(source.repo, "cat-file", "blob", item.blob_id or "").encode() + b"\n"


def _expected(repo: Path, marks: dict[str, str]) -> dict[bytes | None, Origin]:
    second, first, third = marks["second"], marks["first"], marks["third"]
    shared = _place(repo, "b/copy.txt", second, True)
    also = (_place(repo, "z/later.txt", second, True), _place(repo, "m/first.txt", first, False))
    return {
        marks["shared"].encode(): Origin(**{**shared.__dict__, "also": also}),
        b"a = 1\n": _place(repo, "conf.ini", first, False),
        b"a = 2\n": _place(repo, "conf.ini", third, True),
        b"alone\n": _place(repo, "only.txt", second, True),
    }


def test_each_blob_names_every_place_head_first(history: tuple[Path, dict[str, str]]) -> None:
    repo, marks = history
    assert _origins(GitSource(repo)) == _expected(repo, marks)


def test_blobs_handed_out_to_be_read_have_the_same_origins(
    history: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, marks = history
    monkeypatch.setattr(gitblobs, "ONE_PROCESS_BLOBS", 0)
    source = GitSource(repo, jobs=2)
    items = _blobs(source.events())
    assert all(i.data is None and i.store is not None for i in items)
    assert {_text(source, i): i.origin for i in items} == _expected(repo, marks)


def test_staged_blobs_have_no_commit_and_no_head_mark(
    history: tuple[Path, dict[str, str]],
) -> None:
    repo, _ = history
    (repo / "new.txt").write_text("staged\n")
    _git(repo, "add", "new.txt")
    origins = _origins(GitSource(repo, staged=True))
    assert origins == {b"staged\n": Origin(path="new.txt", source=SourceKind.STAGED)}


def test_a_blob_over_the_limit_is_reported_at_its_first_path(
    history: tuple[Path, dict[str, str]],
) -> None:
    """A skipped blob is named by the path git log met it at."""
    repo, marks = history
    limit = len(marks["shared"]) - 1
    events = list(GitSource(repo, max_file_size=limit).events())
    skipped = [e for e in events if isinstance(e, Skipped)]
    warnings = [e for e in events if isinstance(e, ScanWarning)]
    sha = _git(repo, "rev-parse", f"{marks['second']}:b/copy.txt")
    assert skipped == [Skipped("m/first.txt", SkipReason.TOO_LARGE)]
    assert [(w.path, w.message) for w in warnings] == [
        ("m/first.txt", f"over the size limit of {limit} bytes; skipped (blob {sha})")
    ]
    assert sorted(e.origin.path for e in _blobs(events)) == [
        "conf.ini",
        "conf.ini",
        "only.txt",
    ]


def test_blobs_read_where_they_are_scanned_are_skipped_and_missed_as_in_one_process(
    history: tuple[Path, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    lazy: None,
    pools: list[int],
) -> None:
    """Over the size limit (at three paths, one of them not ASCII) and missing
    blobs, found by the process that reads them: the report's warnings, skips and
    unscanned content are those of the main process reading every blob."""
    repo, marks = history
    big = "x" * 300 + "\n"
    many: dict[str, str | None] = {f"many/f{n:02}.txt": f"n = {n}\n" for n in range(60)}
    changes = {"naïve/big.txt": big, "a/big.txt": big, "gone.txt": "lost\n", **many}
    _commit(repo, changes, 1_700_000_300)  # more items than one process scans alone
    gone = _git(repo, "rev-parse", "HEAD:gone.txt")
    (repo / ".git" / "objects" / gone[:2] / gone[2:]).unlink()
    limit = len(marks["shared"]) - 1
    one = _report(repo, "-j", "1", "--max-file-size", str(limit))
    readers: list[BlobStore] = []
    reader_for = gitblobs.reader_for

    def counted(store: BlobStore) -> gitblobs.BlobReader:
        readers.append(store)
        return reader_for(store)

    monkeypatch.setattr(gitblobs, "reader_for", counted)
    two = _report(repo, "-j", "2", "--max-file-size", str(limit))
    assert readers and pools  # read where scanned, on a pool
    assert two == one
    assert one["summary"]["skipped"]["too-large"] == 2
    assert sorted((e["path"], e["message"].split(" (blob")[0]) for e in one["errors"]) == [
        ("gone.txt", "missing object: the repository is incomplete or corrupt"),
        ("m/first.txt", f"over the size limit of {limit} bytes; skipped"),
        ("naïve/big.txt", f"over the size limit of {limit} bytes; skipped"),
    ]
    unscanned = [f for f in one["findings"] if f["rule"] == "unscanned-content"]
    assert sorted(f["path"] for f in unscanned) == ["gone.txt", "m/first.txt", "naïve/big.txt"]
    assert one["summary"]["items_scanned"] == 63 + 4  # and the four commits' messages


def _report(repo: Path, *options: str) -> dict[str, Any]:
    """The real CLI's JSON report, without what differs from run to run."""
    from click.testing import CliRunner

    from scanner.cli import cli

    args = ["git", str(repo), "--format", "json", "--no-builtin-rules", *options]
    result = CliRunner().invoke(cli, args)
    assert result.stdout.startswith("{"), result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    report["summary"].pop("elapsed", None)
    return report
