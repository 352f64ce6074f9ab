"""One repository's job: fetch its mirror and scan what is new, in a child process.

The child (`python -m scanner.repos.job`, a spec as JSON on standard input)
fetches, scans and prints an outcome: the JSON report, rendered by the JSON
reporter, so only what `report.fields` lets out leaves it, and the ref
positions it scanned up to. It writes nothing to the database. The worker
(`run`) gives it a time limit and kills it past that: the scan's own signal
handlers and process pool then run in a process of their own, whatever thread
the job queue runs the task in, and a hung git or a hostile blob ends with the
child. The worker stores the outcome in one transaction (`store.record_scan`).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scanner.errors import KeysweepError, safe_reason

GRACE_SECONDS = 30.0
"""The child's scan stops itself at its time limit; past this much more it is killed."""


@dataclass(frozen=True)
class JobSpec:
    repository_id: int
    url: str
    scheme: str
    refs: dict[str, str]
    """Ref → the commit it was last scanned at."""
    cache: str
    max_seconds: float = 1800.0
    max_bytes: int = 2 * 1024**3
    max_file_size: int = 25 * 1024 * 1024
    scan_jobs: int = 1
    config_file: str | None = None
    registries: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    report: dict[str, Any]
    refs: dict[str, str]
    commits: int
    blobs: int
    bytes: int
    partial: bool
    findings: int = 0
    problem: str | None = None
    """Set when a limit stopped the job: the repository is marked failed, not retried."""


class JobFailed(KeysweepError):
    """The job could not run (fetch failed, the child crashed): the queue retries it."""


def run(spec: JobSpec) -> Outcome:
    """Run the job in a child process within its time limit."""
    argv = [sys.executable, "-m", "scanner.repos.job"]
    try:
        done = subprocess.run(
            argv,
            input=json.dumps(asdict(spec)).encode(),
            capture_output=True,
            timeout=spec.max_seconds + GRACE_SECONDS,
            env={**os.environ, "PYTHONSAFEPATH": "1"},
        )
    except subprocess.TimeoutExpired:
        return _limit(f"job stopped after {spec.max_seconds:g} s (time limit)")
    return _read_outcome(done)


def _read_outcome(done: subprocess.CompletedProcess[bytes]) -> Outcome:
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise JobFailed(lines[-1][:300] if lines else f"job exited with {done.returncode}")
    raw = json.loads(done.stdout)
    return Outcome(**raw)


def _limit(problem: str) -> Outcome:
    return Outcome(report={}, refs={}, commits=0, blobs=0, bytes=0, partial=True, problem=problem)


# --- the child -----------------------------------------------------------------


def scan_repository(spec: JobSpec) -> Outcome:
    """Fetch, then scan the blobs of commits not scanned before."""
    from scanner.repos import mirror
    from scanner.repos.urls import CloneUrl

    started = time.monotonic()
    limits = mirror.FetchLimits(spec.max_seconds, spec.max_bytes, spec.max_file_size)
    try:
        path = mirror.update(CloneUrl(spec.url, spec.scheme), Path(spec.cache), limits)
    except mirror.FetchLimit as exc:
        return _limit(str(exc))
    return _scan_mirror(spec, path, spec.max_seconds - (time.monotonic() - started))


def _scan_mirror(spec: JobSpec, path: Path, seconds_left: float) -> Outcome:
    from scanner.pipeline import scan
    from scanner.report.json import report_to_dict
    from scanner.repos.history import NewHistory, known_commits, ref_positions
    from scanner.sources.gitsafe import SafeGit, discover

    git = SafeGit(discover(path))
    current = ref_positions(git)
    scanned = known_commits(git, spec.refs)
    tips = sorted({sha for ref, sha in current.items() if spec.refs.get(ref) != sha})
    config = _config(spec, path, seconds_left)
    source = NewHistory(git, spec.url, tuple(tips), tuple(scanned), config.max_file_size)
    report = scan(config, [source])
    return Outcome(
        report=report_to_dict(report),
        refs=current,
        commits=source.commits,
        blobs=source.blobs_read,
        bytes=source.bytes_read,
        partial=report.partial,
        findings=len(report.findings),
    )


def _config(spec: JobSpec, root: Path, seconds_left: float) -> Any:
    from scanner.config import Config, load_config

    base = load_config(Path(spec.config_file), root) if spec.config_file else Config(root=root)
    registries = [Path(p) for p in spec.registries]
    return base.with_overrides(
        registry=registries[0] if registries else None,
        more_registries=tuple(registries[1:]) or None,
        jobs=spec.scan_jobs,
        max_seconds=max(1.0, seconds_left),
        max_file_size=min(base.max_file_size, spec.max_file_size),
    )


def main() -> None:
    """Child entry: a spec on standard input, the outcome on standard output."""
    raw = json.loads(sys.stdin.buffer.read())
    raw["registries"] = tuple(raw.get("registries") or ())
    spec = JobSpec(**raw)
    try:
        outcome = scan_repository(spec)
    except KeysweepError as exc:
        print(f"keysweep job: {exc}", file=sys.stderr)
        sys.exit(2)
    except Exception as exc:  # a bug: named by type, never quoting scanned input
        print(f"keysweep job: internal error: {safe_reason(exc)}", file=sys.stderr)
        sys.exit(3)
    sys.stdout.write(json.dumps(asdict(outcome)))


if __name__ == "__main__":
    main()
