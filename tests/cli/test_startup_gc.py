"""The collector's state after the CLI, for a program that runs it in-process.

`scanner.cli.main` turns the collector off during start-up and back on before
the scan; a library caller that invokes the Click command itself with the
collector off must find it still off afterwards, with nothing frozen. Each case
runs in a fresh interpreter: the collector's state is process-wide.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from support import git

PROGRAM = """
import gc, json, sys
from click.testing import CliRunner
from scanner import schedule
from scanner.cli import cli, main
during = []
run = schedule.run
def noted(*args, **kwargs):
    during.append(gc.get_threshold())
    return run(*args, **kwargs)
schedule.run = noted
default = gc.get_threshold()
if sys.argv[1] == "off":
    gc.disable()
if sys.argv[2] == "runner":
    code = CliRunner().invoke(cli, sys.argv[3:]).exit_code
else:
    try:
        main(sys.argv[3:])
        code = 0
    except SystemExit as exc:
        code = exc.code
print(json.dumps({
    "code": code, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
    "during": during, "restored": gc.get_threshold() == default,
}))
"""


def _after(repo: Path, cache: Path, state: str, how: str, *args: str) -> dict[str, Any]:
    env = {**os.environ, "KEYSWEEP_CACHE_DIR": str(cache)}
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM, state, how, *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return found


@pytest.fixture
def staged(make_repo: Any) -> Path:
    repo: Path = make_repo()
    (repo / "a.py").write_text("LIMIT = 10\n")
    git(repo, "add", "a.py")
    return repo


@pytest.mark.parametrize("args", [("git", "--staged"), ("scan", "a.py"), ("rules", "list")])
def test_a_disabled_collector_stays_off_and_unfrozen(
    staged: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    found = _after(staged, tmp_path / "cache", "off", "runner", *args)
    assert (found["code"], found["enabled"], found["frozen"], found["restored"]) == (
        0,
        False,
        0,
        True,
    )


def test_an_enabled_collector_is_left_on(staged: Path, tmp_path: Path) -> None:
    found = _after(staged, tmp_path / "cache", "on", "runner", "git", "--staged")
    assert found["code"] == 0 and found["enabled"] is True
    assert found["during"] == [[700, 10, 10]] and found["restored"]  # the caller's settings


def test_the_console_script_turns_the_collector_back_on(staged: Path, tmp_path: Path) -> None:
    found = _after(staged, tmp_path / "cache", "on", "main", "git", "--staged")
    assert found["code"] == 0 and found["enabled"] is True and found["frozen"] > 0


@pytest.mark.parametrize("args", [("git", "--staged"), ("git", "."), ("scan", "a.py")])
def test_a_scan_collects_less_often_and_the_thresholds_come_back(
    staged: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    """From `main` (the console script) a scan runs at `SCAN_THRESHOLDS`; once
    the command is over, the thresholds are the ones it started with."""
    from scanner.cli.startup import SCAN_THRESHOLDS

    found = _after(staged, tmp_path / "cache", "on", "main", *args)
    assert found["code"] == 0 and found["during"] == [list(SCAN_THRESHOLDS)]
    assert found["restored"] and found["enabled"] is True


def test_the_console_script_leaves_a_disabled_collector_off(staged: Path, tmp_path: Path) -> None:
    found = _after(staged, tmp_path / "cache", "off", "main", "git", "--staged")
    assert (found["code"], found["enabled"], found["frozen"]) == (0, False, 0)
    assert found["during"] == [[700, 10, 10]] and found["restored"]
