"""One repository's job: fetch its mirror and scan what is new, in a child process.

The child (forked from a fork server that has the scanner imported already)
fetches, scans and sends back an outcome: the JSON report, rendered by the JSON
reporter, so only what `report.fields` lets out leaves it, and the ref
positions it scanned up to. It writes nothing to the database. The worker
(`run`) gives it a time limit and kills it past that: the scan's own signal
handlers and process pool then run in a process of their own, whatever thread
the job queue runs the task in, and a hung git or a hostile blob ends with the
child. The worker stores the outcome in one transaction (`store.record_scan`).
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
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
    """Something was not fully scanned (a budget, a blob over the size limit…)."""
    complete: bool = True
    """Every new commit was walked to the end and every blob read: the refs may move
    past them. Anything unscanned (a budget, a blob over the size limit) holds them
    back, so the next scan reads that history again."""
    findings: int = 0
    unscanned: list[str] = field(default_factory=list)
    """One line per `unscanned-content` record of the report (path, commit, why)."""
    problem: str | None = None
    """Set when a limit stopped the job: the repository is marked failed, not retried."""


class JobFailed(KeysweepError):
    """The job could not run (fetch failed, the child crashed): the queue retries it."""


PRELOAD = ["scanner.repos.job", "scanner.repos.mirror", "scanner.repos.history", "scanner.pipeline"]
"""Imported once by the fork server, so a job's process starts with them loaded."""


def run(spec: JobSpec) -> Outcome:
    """Run the job in a child process within its time limit."""
    import multiprocessing

    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(PRELOAD)
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(json.dumps(asdict(spec)), sender))
    process.start()
    sender.close()
    try:
        return _wait(spec, process, receiver)
    finally:
        receiver.close()
        if process.is_alive():
            process.kill()
        process.join()


def _wait(spec: JobSpec, process: Any, receiver: Any) -> Outcome:
    if not receiver.poll(spec.max_seconds + GRACE_SECONDS):
        return _limit(f"job stopped after {spec.max_seconds:g} s (time limit)")
    try:
        kind, payload = json.loads(receiver.recv_bytes())
    except (EOFError, OSError):
        process.join()
        raise JobFailed(
            f"the job's process ended without an answer (exit {process.exitcode})"
        ) from None
    if kind == "error":
        raise JobFailed(payload)
    return Outcome(**payload)


def _limit(problem: str) -> Outcome:
    return Outcome(
        report={},
        refs={},
        commits=0,
        blobs=0,
        bytes=0,
        partial=True,
        complete=False,
        problem=problem,
    )


def _child(raw: str, sender: Any) -> None:
    """The job's process: the outcome, or one line saying why there is none."""
    data = json.loads(raw)
    data["registries"] = tuple(data.get("registries") or ())
    try:
        answer: tuple[str, Any] = ("outcome", asdict(scan_repository(JobSpec(**data))))
    except KeysweepError as exc:
        answer = ("error", str(exc)[:300])
    except Exception as exc:  # a bug: named by type, never quoting scanned input
        answer = ("error", f"internal error: {safe_reason(exc)}")
    sender.send_bytes(json.dumps(answer).encode())
    sender.close()


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
    if not tips:  # nothing new: no rules to load, no report to store
        return Outcome(report={}, refs=current, commits=0, blobs=0, bytes=0, partial=False)
    config = _config(spec, path, seconds_left)
    source = NewHistory(git, spec.url, tuple(tips), tuple(scanned), config.max_file_size)
    report = scan(config, [source])
    document = report_to_dict(report)
    unscanned = unscanned_lines(document)
    return Outcome(
        report=document,
        refs=current,
        commits=source.commits,
        blobs=source.blobs_read,
        bytes=source.bytes_read,
        partial=report.partial,
        complete=source.exhausted
        and not unscanned
        and "budget" not in (report.partial_reason or ""),
        findings=len(report.findings),
        unscanned=unscanned,
    )


def unscanned_lines(document: dict[str, Any]) -> list[str]:
    """The report's `unscanned-content` records, one line each: where and why (the
    scanner's own message, never scanned bytes)."""
    from scanner.model import UNSCANNED_RULE

    found = document.get("findings") or []
    return [_where(f) for f in found if f.get("rule") == UNSCANNED_RULE]


def _where(finding: dict[str, Any]) -> str:
    commit = str(finding.get("commit") or "")[:12]
    return f"{finding.get('path')}{'@' + commit if commit else ''}: {finding.get('message')}"


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
