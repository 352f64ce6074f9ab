"""The endpoint sweep: a user's home folder, or the roots given (or both), through the
pipeline, at low priority and within budget, and the report's context.

`sweep(config, roots)` returns the scan's Report with `meta` filled in for the
people who collect sweeps from a fleet: which host, user and OS, when, which
keysweep, rules and registry, what was walked and what was left out, and
whether a budget cut the sweep short. Private keys readable by other users say
so in their message. Nothing here writes a file or opens a connection.
"""

from __future__ import annotations

import getpass
import hashlib
import platform
import stat
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from scanner import __version__
from scanner.config import Config
from scanner.errors import SourceError
from scanner.model import Finding, Report, Rule, RuleKind, Severity
from scanner.pipeline import scan
from scanner.schedule import ProgressFn
from scanner.sources.gitstores import sweep_stores
from scanner.sources.home import HomeSource

EXPOSED = "readable by other users"


def sweep(
    config: Config,
    roots: Sequence[Path] = (),
    *,
    home: Path | None = None,
    include_home: bool | None = None,
    progress: ProgressFn | None = None,
) -> Report:
    """Sweep the home folder (key places first), then `roots`.

    `include_home` None: the home folder only when no roots are given, so
    `sweep(config, [root])` sweeps that root and nothing else."""
    if config.low_priority:
        from scanner.priority import lower_priority

        lower_priority()
    started = datetime.now(UTC)
    if include_home is None:
        include_home = not roots
    if include_home and home is None:
        home = _home()
    source = HomeSource(
        home=home,
        extra_roots=tuple(roots),
        exclude=(*config.sweep_exclude, *config.exclude),
        include_home=include_home,
        follow_symlinks=config.follow_symlinks,
        max_file_size=config.max_file_size,
    )
    stores = sweep_stores(config, home, roots, include_home)  # git histories, after the files
    report = scan(config, [source, stores], progress=progress)
    findings = tuple(_note_exposure(f) for f in report.findings)
    meta = _meta(config, source, report, findings, started)
    return replace(report, findings=findings, roots=source.roots, meta={**report.meta, **meta})


def _home() -> Path:
    try:
        return Path.home()
    except (RuntimeError, KeyError) as exc:
        raise SourceError(
            f"cannot tell this user's home folder ({exc}); name the folders to sweep: ROOT..."
        ) from None


def _note_exposure(finding: Finding) -> Finding:
    """A private key that group or others can read says so, and is no longer
    merely informational when it is in its allowed place."""
    if finding.kind not in (RuleKind.PRIVATE_KEY, RuleKind.KEY_FILE):
        return finding
    mode = _mode(finding.origin.file_mode)
    if mode is None or not mode & (stat.S_IRGRP | stat.S_IROTH):
        return finding
    who = "group and others" if mode & stat.S_IROTH else "group"
    note = f"{EXPOSED}: the file is readable by {who} (mode {oct(mode)})"
    message = f"{finding.message}; {note}" if finding.message else note
    severity = Severity.MEDIUM if finding.severity is Severity.INFO else finding.severity
    return replace(finding, message=message, severity=severity)


def _mode(text: str | None) -> int | None:
    if not text:
        return None
    try:
        return int(text, 8)
    except ValueError:
        return None


def _meta(
    config: Config,
    source: HomeSource,
    report: Report,
    findings: Sequence[Finding],
    started: datetime,
) -> dict[str, object]:
    return {
        "kind": "sweep",
        "host": platform.node() or "unknown",
        "user": _user(),
        "os": platform.system() or sys.platform,
        "os_release": platform.release(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "time": started.isoformat(timespec="seconds"),
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "keysweep_version": __version__,
        "rules_version": rules_version(config),
        "registry_version": _file_hash(config.registry),
        "roots": list(source.roots),
        "key_places": ["~/" + p for p in source.walked],
        "excluded": [*config.sweep_exclude, *config.exclude, *source.runtime_exclude],
        "archives": config.archives,
        "low_priority": config.low_priority,
        "budget": {"max_seconds": config.max_seconds, "max_bytes": config.max_bytes},
        "partial": report.partial,
        "partial_reason": report.partial_reason,
        "items_scanned": report.items_scanned,
        "bytes_scanned": report.bytes_scanned,
        "skipped": dict(report.skipped),
        "warnings": len(report.warnings),
        "exposed_private_keys": sum(1 for f in findings if EXPOSED in f.message),
    }


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name, no passwd entry: still sweep
        return "unknown"


def rules_version(config: Config) -> str:
    """A short hash of the rule set in force: same rules, same version."""
    from scanner.detectors.rules import load_rules

    digest = hashlib.sha256()
    for rule in sorted(load_rules(config), key=lambda r: r.id):
        digest.update(_rule_identity(rule).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:16]


def _rule_identity(rule: Rule) -> str:
    parts = (rule.id, rule.kind, rule.severity.label, rule.pattern or "", *rule.keywords)
    extra = (*rule.allow, *rule.path_include, "|", *rule.path_exclude, str(rule.entropy))
    return "\x00".join((*parts, *extra)) + "\x01"


def _file_hash(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return None
