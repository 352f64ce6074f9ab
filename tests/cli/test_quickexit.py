"""The console script's way out (`scanner.cli.entry`, `scanner.cli.quickexit`):
`scan` and `git` leave with `os._exit` instead of freeing the heap, and what a
user sees must be what the normal exit gives: the same exit code, the whole
report on a pipe, the same messages, and `atexit` functions still run.

Each case runs the real CLI twice in fresh interpreters: through `python -m
scanner` (the entry point, which may leave quickly) and through `main()` (which
never does), and compares the two.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import IO, Any

import pytest
from support import TOKEN_RULE, commit, token

BY_MAIN = "import sys; from scanner.cli import main; sys.argv = ['keysweep', *sys.argv[1:]]; main()"
WATCHED = """
import atexit, os, sys
from scanner.cli import entry, main
real_exit, me = os._exit, os.getpid()
def noted_exit(code):
    if os.getpid() == me:  # not a pool worker leaving
        os.write(2, b"quick exit\\n")
    real_exit(code)
os._exit = noted_exit
atexit.register(lambda: print("atexit ran", file=sys.stderr))
run = entry if sys.argv[1] == "entry" else main
sys.argv = ["keysweep", *sys.argv[2:]]
run()
"""


def _run(
    how: str, args: list[str], cwd: Path, stdout: int | IO[Any] = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    head = {
        "entry": ["-m", "scanner"],
        "main": ["-c", BY_MAIN],
        "watched-entry": ["-c", WATCHED, "entry"],
        "watched-main": ["-c", WATCHED, "main"],
    }
    env = {**os.environ, "KEYSWEEP_CACHE_DIR": str(cwd.parent / "cache")}
    env.pop("KEYSWEEP_DEBUG", None)
    return subprocess.run(
        [sys.executable, *head[how], *args],
        cwd=cwd,
        env=env,
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        timeout=300,
    )


def _report(out: str) -> dict[str, Any]:
    """The JSON report without its timing."""
    report: dict[str, Any] = json.loads(out)
    report["summary"].pop("elapsed", None)
    return report


def _summary(err: str) -> list[str]:
    """stderr with the elapsed time of the summary line left out."""
    return [line.split(" in ")[0] for line in err.splitlines()]


@pytest.fixture
def leaky(make_repo: Any, tmp_path: Path) -> tuple[Path, Path]:
    """A repository whose history holds 150 tokens (a report larger than a pipe
    holds), and a rules file that finds them."""
    repo: Path = make_repo()
    files = {f"conf/app{n}.env": f"TOKEN={token()}\n" for n in range(150)}
    commit(repo, files)
    commit(repo, {"README": "nothing here\n"})
    rules = tmp_path / "rules.yaml"
    rules.write_text(TOKEN_RULE)
    return repo, rules


def test_findings_reach_a_pipe_whole_with_the_same_exit_code(leaky: tuple[Path, Path]) -> None:
    repo, rules = leaky
    args = ["git", ".", "--rules", str(rules), "--format", "json", "--jobs", "2"]
    quick, normal = _run("entry", args, repo), _run("main", args, repo)
    assert quick.returncode == normal.returncode == 1
    assert len(quick.stdout) > 65536
    assert _report(quick.stdout) == _report(normal.stdout)
    assert len(_report(quick.stdout)["findings"]) == 150
    assert _summary(quick.stderr) == _summary(normal.stderr)


def test_text_report_and_clean_scan(make_repo: Any) -> None:
    repo: Path = make_repo()
    commit(repo, {"a.py": "LIMIT = 10\n"})
    for args in (["git", "."], ["scan", "."], ["git", ".", "--format", "json", "-o", "out.json"]):
        quick, normal = _run("entry", args, repo), _run("main", args, repo)
        assert quick.returncode == normal.returncode == 0
        assert _summary(quick.stdout) == _summary(normal.stdout)
        assert _summary(quick.stderr) == _summary(normal.stderr)


def test_user_errors_exit_2_with_the_same_line(make_repo: Any) -> None:
    repo: Path = make_repo()
    commit(repo, {"a.py": "LIMIT = 10\n"})
    for args in (["git", ".", "--since", "no-such-rev"], ["git", ".", "--jobs", "-1"]):
        quick, normal = _run("entry", args, repo), _run("main", args, repo)
        assert quick.returncode == normal.returncode == 2
        assert quick.stderr == normal.stderr
        assert quick.stdout == normal.stdout == ""


def test_a_report_that_cannot_be_written_fails_as_before(leaky: tuple[Path, Path]) -> None:
    """/dev/full refuses every write: the normal exit decides, and both agree."""
    repo, rules = leaky
    args = ["git", ".", "--rules", str(rules), "--format", "json"]
    with open("/dev/full", "w") as full:
        quick = _run("entry", args, repo, stdout=full)
    with open("/dev/full", "w") as full:
        normal = _run("main", args, repo, stdout=full)
    assert quick.returncode == normal.returncode != 0
    assert quick.returncode not in (0, 1)
    assert quick.stderr.splitlines()[-1] == normal.stderr.splitlines()[-1]


def test_atexit_functions_run_before_the_quick_exit(leaky: tuple[Path, Path]) -> None:
    repo, rules = leaky
    args = ["git", ".", "--rules", str(rules), "--format", "json"]
    quick, normal = _run("watched-entry", args, repo), _run("watched-main", args, repo)
    assert quick.returncode == normal.returncode == 1
    assert quick.stderr.splitlines()[-2:] == ["atexit ran", "quick exit"]
    assert normal.stderr.splitlines()[-1] == "atexit ran"
    assert "quick exit" not in normal.stderr
    assert _report(quick.stdout) == _report(normal.stdout)


def test_other_commands_exit_normally(tmp_path: Path) -> None:
    done = _run("watched-entry", ["rules", "list", "--format", "json"], tmp_path)
    assert done.returncode == 0
    assert done.stderr.splitlines()[-1] == "atexit ran"
    assert "quick exit" not in done.stderr
