"""A history known to be large before it is listed (`GitSource.large`, from its
pack indexes) has its worker forked before the listing (`schedule._early_pool`):
the worker builds its own scanner while this process lists the history. What it
finds is what a run without the early worker finds; a history that turns out
small after all is scanned in this process, and the early worker is ended."""

from __future__ import annotations

import multiprocessing
from pathlib import Path
from typing import Any

import pytest
from support import TOKEN_RULE, commit, git, token

import scanner
from scanner import schedule
from scanner.sources import gitblobs
from scanner.sources.build import GitHistory
from scanner.sources.git import GitSource

PLANTED = (0, 17, 33, 71)


def _history(repo: Path, files: int) -> Path:
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    planted = {
        f"f{n:03}.txt": (f"T={token()}\n" if n in PLANTED else f"n = {n}\n" * 40)
        for n in range(files)
    }
    commit(repo, planted, "many files")
    git(repo, "repack", "-adq")  # one pack: its index counts every object
    return repo


@pytest.fixture
def starts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many pools were started before any item was listed (the real ones run)."""
    started: list[int] = []
    real = schedule._Pool.start

    def counted(self: Any) -> None:
        started.append(1)
        real(self)

    monkeypatch.setattr(schedule._Pool, "start", counted)
    return started


def _scan(tmp_path: Path, repo: Path, jobs: int) -> scanner.Report:
    rules = tmp_path / "rules.yaml"
    rules.write_text(TOKEN_RULE)
    config = scanner.Config(
        root=repo, jobs=jobs, builtin_rules=False, rules_dirs=(rules,), detectors=("rules",)
    )
    return scanner.scan(config, [GitHistory(repo)])


def _found(report: scanner.Report) -> list[tuple[str, str]]:
    return sorted((f.rule, f.path) for f in report.findings)


def test_the_pack_indexes_count_the_objects_of_a_history(tmp_path: Path) -> None:
    repo = _history(tmp_path / "repo", files=30)
    git_dir = repo / ".git"
    assert gitblobs.packed_objects(git_dir, 1000) == 32  # 30 blobs, a tree, a commit
    assert gitblobs.packed_objects(git_dir, 10) == 32
    (git_dir / "objects" / "pack" / "pack-bogus.idx").write_bytes(b"not an index")
    assert gitblobs.packed_objects(git_dir, 1000) == 32
    assert gitblobs.packed_objects(tmp_path / "nowhere", 1000) == 0


def test_only_a_whole_history_on_several_processes_is_large(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _history(tmp_path / "repo", files=30)
    monkeypatch.setattr(gitblobs, "ONE_PROCESS_BLOBS", 31)
    assert GitSource(repo, jobs=2).large()
    assert not GitSource(repo, jobs=1).large()
    assert not GitSource(repo, jobs=2, branch="HEAD").large()
    assert not GitSource(repo, jobs=2, staged=True).large()
    monkeypatch.setattr(gitblobs, "ONE_PROCESS_BLOBS", 32)
    assert not GitSource(repo, jobs=2).large()


def test_a_large_history_forks_its_worker_first_and_finds_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, starts: list[int]
) -> None:
    repo = _history(tmp_path / "repo", files=120)
    alone = _scan(tmp_path, repo, jobs=1)
    monkeypatch.setattr(gitblobs, "ONE_PROCESS_BLOBS", 60)  # a pool, its blobs read there

    early = _scan(tmp_path, repo, jobs=2)

    assert starts == [1]
    assert _found(early) == _found(alone) and len(early.findings) == len(PLANTED)
    assert early.items_scanned == alone.items_scanned == 120
    assert not early.warnings and not multiprocessing.active_children()


def test_a_history_small_after_all_is_scanned_here_and_the_early_worker_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, starts: list[int]
) -> None:
    repo = _history(tmp_path / "repo", files=40)  # 40 items: too few for a pool
    monkeypatch.setattr(gitblobs, "ONE_PROCESS_BLOBS", 10)
    pools: list[int] = []
    monkeypatch.setattr(schedule, "_run_pool", lambda *args: pools.append(1))

    report = _scan(tmp_path, repo, jobs=2)

    assert starts == [1] and pools == []
    assert len(report.findings) == len([n for n in PLANTED if n < 40])
    assert report.items_scanned == 40
    assert not multiprocessing.active_children()
