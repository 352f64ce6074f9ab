"""One blob in several stores of a run: read once, yet every place of a finding
named, and a copy at another path judged by its own path (`scanner.copies`).

Real repositories in a temporary folder, the real CLI; tokens made at test time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support import checksummed, commit, git

from scanner.cli import cli

RULE = "vcs.github-pat-classic"


def new_repo(path: Path) -> Path:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "main")
    return path


def scan(folder: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["scan", str(folder), "--format", "json", *extra])
    return result.exit_code, json.loads(result.stdout)


def places(report: dict[str, Any], rule: str = RULE) -> list[tuple[str, str]]:
    return sorted(
        (p["path"], p.get("repository") or "")
        for f in report["findings"]
        if f["rule"] == rule
        for p in f["locations"] or [f]
    )


@pytest.fixture()
def shared(tmp_path: Path) -> tuple[Path, str]:
    """Two unrelated projects holding the same token file: one as a test
    fixture, the other at a production path, committed and then deleted."""
    line = f"GITHUB_TOKEN={checksummed('ghp_')}\n"
    fixture = new_repo(tmp_path / "ws" / "a")
    commit(fixture, {"tests/fixture.env": line}, "fixture")
    deploy = new_repo(tmp_path / "ws" / "b")
    commit(deploy, {"deploy/prod.env": line}, "deploy")
    commit(deploy, {"deploy/prod.env": None}, "remove")
    return tmp_path / "ws", line


def test_a_copy_at_a_production_path_is_a_place_and_fails_the_gate(
    shared: tuple[Path, str],
) -> None:
    folder, line = shared
    code, report = scan(folder)
    assert code == 1, report["summary"]
    assert ("b/deploy/prod.env", "b") in places(report)
    found = [f for f in report["findings"] if f["rule"] == RULE]
    assert len(found) == 1 and found[0]["context"] == "production"
    assert line.split("=")[1].strip() not in json.dumps(report)


def test_each_order_of_the_stores_gives_the_same_places(shared: tuple[Path, str]) -> None:
    folder, _ = shared
    (folder / "a").rename(folder / "c")  # the fixture's store is now found last
    code, report = scan(folder)
    assert code == 1
    assert {path for path, _ in places(report)} >= {"b/deploy/prod.env", "c/tests/fixture.env"}


def test_clones_of_one_project_are_read_once_and_each_is_named(tmp_path: Path) -> None:
    project = new_repo(tmp_path / "ws" / "project")
    commit(project, {f"src/m{n}.py": f"x = {n}\n" for n in range(30)}, "code")
    commit(project, {"deploy/ci.env": f"TOKEN={checksummed('ghp_')}\n"}, "token")
    commit(project, {"deploy/ci.env": None}, "remove")
    for name in ("clone-1", "clone-2"):
        git(tmp_path / "ws", "clone", "-q", "--no-hardlinks", str(project), name)
    code, report = scan(tmp_path / "ws", "--no-git-history")
    assert code == 0  # the token is only in history
    code, report = scan(tmp_path / "ws")
    assert code == 1
    assert places(report) == [
        ("clone-1/deploy/ci.env", "clone-1"),
        ("clone-2/deploy/ci.env", "clone-2"),
        ("project/deploy/ci.env", "project"),
    ]
    blobs = 30 + 1  # the thirty modules and the token file, each read once from history
    files = 3 * 30  # the three checkouts' modules, read from disk
    copies_read_again = 2  # the token file in the two other stores
    messages = 3 * 3  # each store's three commit messages
    assert report["summary"]["items_scanned"] == blobs + files + copies_read_again + messages
    assert report["summary"]["skipped"]["duplicate-blob"] == 2 * blobs


def test_a_sweep_names_every_store_that_holds_a_secret(shared: tuple[Path, str]) -> None:
    folder, _ = shared
    result = CliRunner().invoke(cli, ["sweep", str(folder), "--format", "json", "--no-progress"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.stdout)
    shown = {Path(path).as_posix().rsplit("/ws/", 1)[-1] for path, _ in places(report)}
    assert {"a/tests/fixture.env", "b/deploy/prod.env"} <= shown


def test_a_copy_outside_the_allowlist_is_found_where_the_first_was_allowed(
    tmp_path: Path,
) -> None:
    line = f"GITHUB_TOKEN={checksummed('ghp_')}\n"
    for name in ("a-allowed", "b-project"):  # found in this order: the allowed one first
        repo = new_repo(tmp_path / "ws" / name)
        commit(repo, {"deploy/prod.env": line}, "add")
        commit(repo, {"deploy/prod.env": None}, "remove")
    code, report = scan(tmp_path / "ws", "--allow-path", "a-allowed/**")
    assert code == 1, report["summary"]
    assert places(report) == [("b-project/deploy/prod.env", "b-project")]
