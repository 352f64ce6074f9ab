"""Running keysweep on hostile input and measuring what it cost.

`run` starts the real console script in a child process, waits with a hard
timeout and reads the child's peak resident memory and CPU seconds from `wait4`
(which cover the worker processes it waited for). Limits are generous: they
catch a stall or a blow-up, not a slow machine. A blow-up is judged in CPU
seconds, which a loaded machine does not stretch (wall time did: 105 s for a
run bounded at 90, with four test suites on two cores); a stall, which costs no
CPU, is caught by the hard wall-clock limit (the child is killed and `bounded`
fails).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import support

MAX_SECONDS = 90.0
MAX_PEAK_MB = 1500.0
"""Generous: a child's peak as wait4 reports it includes the resident pages of the
pytest worker it was forked from (several hundred MB late in a run); the hostile
inputs these tests guard against grew to gigabytes."""


@dataclass
class Run:
    code: int
    seconds: float
    peak_mb: float
    stderr: str
    report: dict[str, Any] = field(default_factory=dict)
    cpu: float = 0.0
    """User and system CPU seconds of the child and the workers it waited for."""
    killed: bool = False
    """Still running at the hard wall-clock limit (MAX_SECONDS * 2): a stall."""

    def rules(self) -> list[str]:
        return [f["rule"] for f in self.report.get("findings", [])]

    def unscanned(self) -> list[dict[str, Any]]:
        return [f for f in self.report.get("findings", []) if f["rule"] == "unscanned-content"]

    def bounded(self) -> None:
        assert not self.killed, f"still running after {self.seconds:.0f} s: killed"
        assert self.cpu < MAX_SECONDS, self.cpu
        assert self.peak_mb < MAX_PEAK_MB, self.peak_mb


def keysweep_command() -> list[str]:
    script = Path(sys.executable).with_name("keysweep")
    return [str(script)] if script.exists() else [sys.executable, "-m", "scanner"]


def start(args: list[str], cwd: Path, out: Path) -> subprocess.Popen[bytes]:
    # The cache lives beside the scanned folder, never inside it (it would be scanned).
    env = {**os.environ, "KEYSWEEP_CACHE_DIR": str(cwd.parent / f".ks-cache-{cwd.name}")}
    return subprocess.Popen(
        [*keysweep_command(), *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=out.open("wb"),
    )


def finish(proc: subprocess.Popen[bytes], report: Path | None, err: Path, began: float) -> Run:
    """Wait for `proc` (killed past MAX_SECONDS * 2) and gather what it did."""
    status, usage, killed = 0, None, False
    while usage is None:
        pid, status, rusage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            usage = rusage
        elif time.monotonic() - began > MAX_SECONDS * 2 and not killed:
            os.kill(proc.pid, signal.SIGKILL)  # not proc.kill(): it would reap the child
            killed = True
        else:
            time.sleep(0.05)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - began
    data = json.loads(report.read_text()) if report is not None and report.exists() else {}
    cpu = usage.ru_utime + usage.ru_stime
    return Run(proc.returncode, seconds, usage.ru_maxrss / 1024, err.read_text(), data, cpu, killed)


def run(cwd: Path, *args: str, fmt: bool = True) -> Run:
    """`keysweep ARGS --format json -o report` in `cwd`, measured."""
    report = cwd.parent / f"{cwd.name}-report.json"
    err = cwd.parent / f"{cwd.name}-stderr.txt"
    report.unlink(missing_ok=True)
    extra = ["--format", "json", "-o", str(report)] if fmt else []
    began = time.monotonic()
    proc = start([*args, *extra], cwd, err)
    return finish(proc, report if fmt else None, err, began)


private_key_pem = support.ec_pem


def interrupt(proc: subprocess.Popen[bytes], signum: int = signal.SIGINT) -> None:
    proc.send_signal(signum)
