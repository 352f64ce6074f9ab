"""A report that cannot be written to standard output is exit 2 with one line, and a
summary line that cannot be written to standard error changes no exit code.

A full disk, a closed descriptor or a reader that went away are the user's to fix,
not keysweep's bugs (exit 3 before), and a scan whose report was lost must never
look clean (exit 0). Each case runs the console script's entry point (`python -m
scanner`, which leaves through `scanner.cli.quickexit`) on a real repository with
a token made at test time, its streams wired as a shell or CI would wire them.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import token_repo

CLOSED_STDOUT = "keysweep: error: standard output: cannot write the report: it is closed"
FULL = "keysweep: error: standard output: cannot write the report: No space left on device"
needs_dev_full = pytest.mark.skipif(not Path("/dev/full").exists(), reason="no /dev/full")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with one committed token; the rule for it lies beside it."""
    return token_repo(tmp_path, **{"notes.txt": "nothing here\n"})


def _command(repo: Path, *extra: str) -> list[str]:
    rules = str(repo.parent / "rules.yaml")
    scan = ["scan", str(repo), "--rules", rules, "--no-builtin-rules", "-j", "1", *extra]
    return [sys.executable, "-m", "scanner", *scan]


def _run(command: list[str], **streams: Any) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if k != "KEYSWEEP_DEBUG"}
    return subprocess.run(command, env=env, timeout=120, check=False, **streams)


def _closing(fd: int, command: list[str]) -> list[str]:
    """`command` run by a shell with descriptor `fd` closed (`>&-` or `2>&-`)."""
    return ["sh", "-c", f'exec "$0" "$@" {fd}>&-', *command]


@needs_dev_full
@pytest.mark.parametrize("fmt", ["text", "json"])
def test_stdout_on_a_full_disk_is_exit_2_with_one_line(repo: Path, fmt: str) -> None:
    with open("/dev/full", "wb") as full:
        done = _run(_command(repo, "--format", fmt), stdout=full, stderr=subprocess.PIPE)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [FULL]


def test_a_closed_stdout_is_exit_2_before_the_scan(repo: Path) -> None:
    done = _run(_closing(1, _command(repo)), stderr=subprocess.PIPE)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [f"{CLOSED_STDOUT} (use --output FILE)"]


def test_a_closed_stdout_does_not_matter_with_output(repo: Path, tmp_path: Path) -> None:
    report = tmp_path / "report.json"
    done = _run(_closing(1, _command(repo, "-o", str(report))), stderr=subprocess.PIPE)
    assert done.returncode == 1
    assert report.read_text().count("test.kswtest-token") == 1


def test_a_reader_that_went_away_is_exit_2_with_one_line(repo: Path) -> None:
    """The pipe's only reader closes it before keysweep writes: the write fails."""
    child = subprocess.Popen(
        _command(repo, "--format", "json"), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.close()
    err = child.stderr.read().decode()
    assert child.wait(timeout=120) == 2
    assert err.splitlines() == [
        "keysweep: error: standard output: cannot write the report: the reader closed it"
    ]


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_a_closed_stderr_keeps_the_exit_code_of_the_findings(repo: Path, fmt: str) -> None:
    done = _run(_closing(2, _command(repo, "--format", fmt)), stdout=subprocess.PIPE)
    assert done.returncode == 1
    assert b"test.kswtest-token" in done.stdout


@needs_dev_full
def test_a_full_stderr_keeps_the_exit_code_of_the_findings(repo: Path) -> None:
    with open("/dev/full", "wb") as full:
        done = _run(_command(repo, "--format", "json"), stdout=subprocess.PIPE, stderr=full)
    assert done.returncode == 1
    assert b"test.kswtest-token" in done.stdout


@needs_dev_full
def test_both_streams_lost_is_still_exit_2(repo: Path) -> None:
    with open("/dev/full", "wb") as full:
        done = _run(_command(repo), stdout=full, stderr=full)
    assert done.returncode == 2
    with open("/dev/full", "wb") as full:
        done = _run(_closing(2, _command(repo)), stdout=full)
    assert done.returncode == 2
