"""The endpoint sweep: a user's home folder, or the roots given (or both), through the
pipeline, at low priority and within budget, and the report's context.

`sweep(config, roots)` returns the scan's Report with `meta` filled in for the
people who collect sweeps from a fleet: which host, user and OS, when, which
keysweep, rules and registry, what was walked and what was left out, and
whether a budget cut the sweep short. Private keys readable by other users say
so in their message. Nothing here writes a file or opens a connection.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import os
import platform
import sys
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from scanner import __version__
from scanner.config import Config
from scanner.errors import SourceError
from scanner.exposure import exposure
from scanner.hashkey import ENV_FALLBACK, SCRYPT
from scanner.model import Finding, Report, Severity
from scanner.pipeline import scan
from scanner.schedule import ProgressFn
from scanner.sources.build import Sweep, sweep_sources
from scanner.sources.home import HomeSource


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
    `sweep(config, [root])` sweeps that root and nothing else. Nothing is
    written: compiled rules are cached only where `config.cache_dir` says, and
    without the organisation's hash key secrets are hashed with scrypt rather
    than with a key made for this installation."""
    if config.low_priority:
        from scanner.priority import lower_priority

        lower_priority()
    started = datetime.now(UTC)
    if include_home is None:
        include_home = not roots
    if include_home and home is None:
        home = _home()
    source, stores = sweep_sources(config, Sweep(tuple(roots), home, include_home))
    with _no_installation_key():
        report = scan(config, [source, stores], progress=progress)  # git histories after files
    findings = tuple(_note_exposure(f) for f in report.findings)
    meta = _meta(config, source, report, findings, started)
    return replace(report, findings=findings, roots=source.roots, meta={**report.meta, **meta})


@contextlib.contextmanager
def _no_installation_key() -> Iterator[None]:
    """No installation hash key is made in ~/.config for a sweep (`scanner.hashkey`);
    worker processes inherit the setting."""
    added = ENV_FALLBACK not in os.environ
    if added:
        os.environ[ENV_FALLBACK] = SCRYPT
    try:
        yield
    finally:
        if added:
            os.environ.pop(ENV_FALLBACK, None)


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
    exposed = exposure(finding)
    if exposed is None:
        return finding
    message = f"{finding.message}; {exposed.note}" if finding.message else exposed.note
    severity = Severity.MEDIUM if finding.severity is Severity.INFO else finding.severity
    return replace(finding, message=message, severity=severity)


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
        "exposed_private_keys": sum(1 for f in findings if exposure(f) is not None),
    }


def _user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name, no passwd entry: still sweep
        return "unknown"


def _file_hash(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    except OSError:
        return None
