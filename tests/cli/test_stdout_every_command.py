"""Every command that writes to standard output, wired to one that cannot take it,
ends as `scan` does: exit 2 with one line naming standard output and the reason;
a standard error that is full or closed changes no exit code.

Before, `rules list >/dev/full` and the like were exit 3 ("internal error"), a
closed standard output (`>&-`) was exit 0 with the output lost, and
`keysweep --help >/dev/full` printed a traceback. Each command below runs as a
shell or CI runs it (`python -m scanner`, the console script's way out) on real
inputs made at test time: a fresh key, a real registry, SQLite databases, a
rules file whose own example fails. `test_every_command_is_here` keeps the list
whole: a new command is either run here or named with the reason it is not.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pytest
from support import TOKEN_RULE, ec_pem, token

from scanner.cli import cli

ROOT = Path(__file__).resolve().parents[2]
REGISTRY = ROOT / "examples" / "registry.yaml"
LOST = "keysweep: error: standard output: cannot write: "
needs_dev_full = pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    stdin: bytes = b""


def _db(folder: Path, name: str) -> str:
    return f"sqlite:///{folder / name}"


def _failing_rules(folder: Path) -> str:
    """A rule file whose negative example matches: `rules check` prints a failure."""
    path = folder / "failing.yaml"
    path.write_text(TOKEN_RULE.replace('"kswtest_short"', '"kswtest_' + "A" * 32 + '"'))
    return str(path)


def _key(folder: Path) -> str:
    path = folder / "key.pem"
    path.write_bytes(ec_pem())
    return str(path)


def _report(folder: Path) -> str:
    """A JSON scan report of a folder holding one token, for `inventory ingest`."""
    tree = folder / "tree"
    tree.mkdir(exist_ok=True)
    (tree / "rules.yaml").write_text(TOKEN_RULE)
    (tree / "app.env").write_text(f"TOKEN={token()}\n")
    report = folder / "report.json"
    scan = ["scan", str(tree), "--rules", str(tree / "rules.yaml"), "-o", str(report)]
    _run([*scan, "--format", "json"])
    return str(report)


def _repo(folder: Path) -> str:
    tree = folder / "repo"
    tree.mkdir(exist_ok=True)
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    return str(tree)


CASES: dict[str, Callable[[Path], Case]] = {
    "--help": lambda t: Case(("--help",)),
    "--version": lambda t: Case(("--version",)),
    "rules list --help": lambda t: Case(("rules", "list", "--help")),
    "rules list": lambda t: Case(("rules", "list", "--format", "json")),
    "rules check": lambda t: Case(("rules", "check", _failing_rules(t))),
    "key inspect": lambda t: Case(("key", "inspect", _key(t))),
    "registry check": lambda t: Case(("registry", "check", str(REGISTRY))),
    "registry hash-secret": lambda t: Case(
        ("registry", "hash-secret", str(REGISTRY), "--stdin"), b"correct horse battery"
    ),
    "inventory ingest": lambda t: Case(("inventory", "ingest", "--db", _db(t, "i.db"), _report(t))),
    "inventory summary": lambda t: Case(("inventory", "summary", "--db", _db(t, "i.db"))),
    "inventory where": lambda t: Case(("inventory", "where", "--db", _db(t, "i.db"), "ab12")),
    "repos add": lambda t: Case(("repos", "add", "--db", _db(t, "q.db"), _repo(t))),
    "server viewer": lambda t: Case(("server", "viewer", "alice", "--db", _db(t, "s.db"))),
}
"""Each command that writes to standard output, with inputs made in a folder."""

NOT_HERE = {
    "scan": "tests/cli/test_stdout_errors.py",
    "git": "the report is written by the same `options.emit` as scan's",
    "sweep": "the report is written by the same `options.emit` as scan's",
    "baseline create": "writes a file; standard error only",
    "baseline update": "writes a file; standard error only",
    "baseline import": "writes a file; standard error only",
    "baseline audit": "asks on a terminal",
    "registry import-cbom": "writes a file; standard error only",
    "registry import-jwks": "writes a file; standard error only",
    "rules import-gitleaks": "writes a file; standard error only",
    "repos list": "the same `click.echo` as repos add, on an empty queue nothing",
    "repos remove": "the same `click.echo` as repos add",
    "repos scan": "the same `click.echo` as repos add",
    "worker": "needs a queue with a job to say anything useful",
    "server admin": "the same `_create` as server viewer",
    "server enrol": "the same `_create` as server viewer",
    "server tokens": "the same `click.echo` as server viewer's listing",
    "server revoke": "the same `click.echo` as server viewer's listing",
    "server registry push": "needs a running server",
    "server run": "runs until stopped; logs on standard error",
    "server demo": "runs a server until stopped",
}
"""Commands not run here, and why."""


def _run(args: list[str], **streams: Any) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "KEYSWEEP_DEBUG"}
    command = [sys.executable, "-m", "scanner", *args]
    return subprocess.run(command, env=env, timeout=180, check=False, **streams)


def _closing(fd: int, args: tuple[str, ...]) -> list[str]:
    """`args` run by a shell with descriptor `fd` closed (`>&-` or `2>&-`)."""
    return ["sh", "-c", f'exec "$0" "$@" {fd}>&-', sys.executable, "-m", "scanner", *args]


def _leaves(command: click.Command, path: tuple[str, ...] = ()) -> list[str]:
    if not isinstance(command, click.Group):
        return [" ".join(path)]
    ctx = click.Context(command)
    found: list[str] = []
    for name in command.list_commands(ctx):
        sub = command.get_command(ctx, name)
        assert sub is not None
        found += _leaves(sub, (*path, name))
    return found


def test_every_command_is_here() -> None:
    named = {n for n in CASES if not n.startswith("-") and not n.endswith("--help")}
    assert sorted(_leaves(cli)) == sorted(named | set(NOT_HERE))


@pytest.fixture(params=sorted(CASES))
def case(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Case, int]:
    """A case, and the exit code it gives when its output is read: it writes some."""
    made = CASES[request.param](tmp_path)
    done = _run(list(made.args), input=made.stdin, capture_output=True)
    assert done.stdout.strip(), done.stderr
    assert done.returncode in (0, 1), done.stderr
    return made, done.returncode


def _last_line(err: bytes) -> str:
    return err.decode().splitlines()[-1]


@needs_dev_full
def test_a_full_stdout_is_exit_2_with_one_line(case: tuple[Case, int]) -> None:
    made, _ = case
    with open("/dev/full", "wb") as full:
        done = _run(list(made.args), input=made.stdin, stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == 2
    assert _last_line(done.stderr) == f"{LOST}No space left on device"
    assert b"Traceback" not in done.stderr


def test_a_closed_stdout_is_exit_2_with_one_line(case: tuple[Case, int]) -> None:
    made, _ = case
    done = subprocess.run(
        _closing(1, made.args), input=made.stdin, stderr=subprocess.PIPE, timeout=180
    )
    assert done.returncode == 2
    assert _last_line(done.stderr) == f"{LOST}it is closed"


def test_a_reader_that_went_away_is_exit_2_with_one_line(case: tuple[Case, int]) -> None:
    """The pipe's only reader closes it before anything is written: the write fails."""
    made, _ = case
    command = [sys.executable, "-m", "scanner", *made.args]
    child = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdout is not None and child.stdin is not None
    child.stdout.close()
    _, err = child.communicate(made.stdin, timeout=180)
    assert child.returncode == 2
    assert _last_line(err) == f"{LOST}the reader closed it"


@needs_dev_full
def test_a_full_stderr_keeps_the_exit_code(case: tuple[Case, int]) -> None:
    made, code = case
    with open("/dev/full", "wb") as full:
        done = _run(list(made.args), input=made.stdin, stdout=subprocess.PIPE, stderr=full)
    assert done.returncode == code
    assert done.stdout.strip()


def test_a_closed_stderr_keeps_the_exit_code(case: tuple[Case, int]) -> None:
    made, code = case
    done = subprocess.run(
        _closing(2, made.args), input=made.stdin, stdout=subprocess.PIPE, timeout=180
    )
    assert done.returncode == code
    assert done.stdout.strip()
