"""Fail closed: content that could hold a secret and was not fully scanned is a
finding of its own (`unscanned-content`), so a gate can never pass on what it
did not read.

A member over an archive budget, past the member or depth limit, a file over
the size limit, an item whose analysis ran out of time, a batch lost with its
worker, a scan stopped by a budget, and findings past the cap all end here.
Sources and archives report such content as `Unscanned` (a `ScanWarning`, so code
that does not know the difference still shows it as a warning); the scan turns
each into a `Finding` at the scan's `fail_on` severity unless configured
otherwise (`unscanned_severity`).
"""

from __future__ import annotations

import hashlib
import signal
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from scanner import redact
from scanner.bounds import EXIT_BY_SIGNAL, ItemTimeout, alarms
from scanner.model import (
    UNSCANNED_RULE,
    Finding,
    FindingId,
    Item,
    Match,
    Origin,
    Report,
    RuleKind,
    ScanWarning,
    SecretInfo,
    Severity,
)
from scanner.pathnames import shown
from scanner.sources import Skipped, SkipReason

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.schedule import ItemResult

RULE_ID = UNSCANNED_RULE
RULE_NAME = "Content that was not fully scanned"
DETECTOR = "keysweep"
UNSCANNED_SKIPS = frozenset({SkipReason.TOO_LARGE})
"""`Skipped` reasons that leave bytes unread (excluded paths were asked for)."""


@dataclass(frozen=True)
class Unscanned(ScanWarning):
    """Bytes that could hold a secret and were not (fully) scanned."""

    level: str = "error"


def shown_item(item: Item) -> Item:
    """The item with its display path escaped (`pathnames.shown`); `fs_path` stays
    raw, so a file with any name is read and scanned."""
    if item.origin.path.isascii():  # most paths: `shown` would return them as they are
        return item
    path = shown(item.origin.path)
    if path == item.origin.path:
        return item
    return replace(item, origin=replace(item.origin, path=path))


def of_error(error: ScanWarning) -> list[ScanWarning]:
    """[error] when the warning is about content left unscanned, else []."""
    return [error] if isinstance(error, Unscanned) else []


def skipped(event: Skipped) -> list[Unscanned]:
    """The unscanned record for a `Skipped` note ([] when nothing was left unread)."""
    if event.reason not in UNSCANNED_SKIPS:
        return []
    return [Unscanned(event.path, "over the size limit; not scanned")]


def cap_matches(
    matches: list[Match], origin: Origin, config: Config, result: ItemResult
) -> list[Match]:
    """At most `max_findings_per_file` matches from one item; the cap is recorded."""
    cap = config.max_findings_per_file
    if len(matches) <= cap:
        return matches
    where = "!".join(filter(None, (origin.path, origin.archive_member)))
    message = f"more than {cap} findings in one file; the rest not reported"
    result.unscanned.append(Unscanned(where, message))
    return matches[:cap]


def bounded(
    stage: Callable[[], list[Finding]], config: Config, started: float, total: ItemResult
) -> list[Finding]:
    """Run a whole-scan stage (the tokens) within what is left of the time
    budget; past it, the findings stay as the workers made them."""
    left = None if config.max_seconds is None else started + config.max_seconds - time.monotonic()
    if left is not None and left <= 0:
        return _stage_stopped(total)
    try:
        with alarms() as arm:
            arm(left)
            return stage()
    except ItemTimeout:
        return _stage_stopped(total)


def _stage_stopped(total: ItemResult) -> list[Finding]:
    if total.tokens:
        message = f"{len(total.tokens)} tokens not checked against the registry: time budget"
        total.unscanned.append(Unscanned("(tokens)", message))
        total.bounds_hit.append("time budget reached in the token stage")
    return total.findings


def close(
    config: Config, total: ItemResult, roots: Sequence[str], reason: str | None
) -> tuple[list[Finding], str | None]:
    """The unscanned findings of a run, and why the report is partial (if it is)."""
    records = list(total.unscanned)
    where = ", ".join(roots) or "."
    if reason is not None or total.not_scanned:
        why = reason or "time budget reached"
        records.append(Unscanned(where, f"the scan stopped early ({why}); the rest not scanned"))
    if total.capped:
        cap = config.max_findings
        records.append(Unscanned(where, f"more than {cap} findings; the rest not reported"))
    severity = config.fail_on if config.unscanned_severity is None else config.unscanned_severity
    hits = list(dict.fromkeys(total.bounds_hit))
    if reason is None and (hits or records):
        reason = "; ".join(hits) if hits else "some content was not fully scanned"
    return to_findings(records, severity), reason


def signal_meta(total: ItemResult) -> dict[str, object]:
    """`interrupted: SIGINT` in the report's meta when a signal stopped the scan."""
    if total.signum is None:
        return {}
    return {"interrupted": signal.Signals(total.signum).name}


def exit_code_for(report: Report) -> int | None:
    """130 (SIGINT) or 143 (SIGTERM) for a scan stopped by a signal, else None."""
    name = report.meta.get("interrupted")
    if not isinstance(name, str):
        return None
    return EXIT_BY_SIGNAL.get(signal.Signals[name])


def to_findings(records: Iterable[ScanWarning], severity: Severity) -> list[Finding]:
    """One finding per (path, reason), in the order first seen."""
    seen: dict[tuple[str, str], Finding] = {}
    for record in records:
        key = (record.path, record.message)
        if key not in seen:
            seen[key] = _finding(record, severity)
    return list(seen.values())


def _finding(record: ScanWarning, severity: Severity) -> Finding:
    reason_hash = hashlib.sha256(record.message.encode("utf-8", "surrogateescape")).hexdigest()
    return Finding(
        id=FindingId(redact.finding_id(RULE_ID, record.path, reason_hash)),
        rule=RULE_ID,
        name=RULE_NAME,
        kind=RuleKind.CREDENTIAL,
        severity=severity,
        detector=DETECTOR,
        origin=Origin(path=record.path),
        line=1,
        column=1,
        end_line=1,
        secret=SecretInfo(preview="", keyed_hash="", length=0),
        message=record.message,
    )
