"""The text report: retired keys and forged tokens first, then findings grouped by
file, then warnings, then one summary line. Every string that came from scanned
input goes through `escape_control` (terminal safety); colour only when asked."""

from __future__ import annotations

from collections.abc import Callable
from itertools import groupby

import click

from scanner.model import UNSCANNED_RULE, Finding, Location, Report, RuleKind, Severity
from scanner.report import github
from scanner.report.fields import severity_counts, sorted_errors, sorted_findings
from scanner.text import escape_control

MAX_WARNINGS = 20
MAX_PLACES = 10
"""Other places of one secret listed under it; the JSON report lists every one."""
FINGERPRINT_SHOWN = 16
CRITICAL_HEADING = "Retired or compromised keys and forged tokens"
SEVERITY_COLORS: dict[Severity, dict[str, object]] = {
    Severity.CRITICAL: {"fg": "bright_red", "bold": True},
    Severity.HIGH: {"fg": "red"},
    Severity.MEDIUM: {"fg": "yellow"},
    Severity.LOW: {"fg": "cyan"},
    Severity.INFO: {"fg": "green"},
}

Style = Callable[..., str]


def _plain(text: str, **_: object) -> str:
    return text


def _e(value: object) -> str:
    return escape_control(str(value))


def render_text(report: Report, color: bool = False) -> str:
    style: Style = click.style if color else _plain
    findings = sorted_findings(report.findings)
    critical, others = _split_critical(findings)
    blocks: list[str] = []
    if critical:
        heading = style(f"{CRITICAL_HEADING} ({len(critical)})", fg="bright_red", bold=True)
        blocks.append("\n".join([heading, *(_finding(f, style) for f in critical)]))
    for path, group in groupby(others, key=_display_path):
        blocks.append("\n".join([style(_e(path), bold=True), *(_finding(f, style) for f in group)]))
    if report.warnings:
        blocks.append(_warnings(report, style))
    if github.enabled() and findings:  # GitHub Actions shows these on the diff
        blocks.append("\n".join(github.workflow_commands(findings)))
    blocks.append(summary_line(report))
    return "\n\n".join(blocks) + "\n"


def _split_critical(findings: list[Finding]) -> tuple[list[Finding], list[Finding]]:
    """(critical registry verdicts, the others); a clean report imports no hints."""
    if not findings:
        return [], []
    from scanner.report.hints import is_critical_registry

    critical = [f for f in findings if is_critical_registry(f)]
    return critical, [f for f in findings if not is_critical_registry(f)]


def _display_path(finding: Finding) -> str:
    member = finding.origin.archive_member
    return f"{finding.origin.path}!{member}" if member else finding.origin.path


def _finding(finding: Finding, style: Style) -> str:
    label = style(finding.severity.label.upper(), **SEVERITY_COLORS[finding.severity])
    where = _display_path(finding)
    if finding.line >= 1:  # key-file findings match on the path alone
        where += f":{finding.line}:{max(finding.column, 1)}"
    lines = [f"  {label}  {_e(finding.rule)}  {_e(where)}  {_e(finding.name)}"]
    details = _secret_details(finding) + _key_details(finding) + _token_details(finding)
    if details:
        lines.append("    " + "  ".join(details))
    lines += [f"    {_e(text)}" for text in _context(finding)]
    others = finding.places[1:]
    lines += [f"    also at {_e(_place(place))}" for place in others[:MAX_PLACES]]
    if len(others) > MAX_PLACES:
        lines.append(f"    … and {len(others) - MAX_PLACES} more places (all in --format json)")
    from scanner.report.hints import fix_hint

    lines.append("    " + style("fix: ", bold=True) + _e(fix_hint(finding)))
    return "\n".join(lines)


def _secret_details(finding: Finding) -> list[str]:
    """The preview and length of the secret; nothing for a finding that holds none
    (content left unscanned)."""
    if finding.rule == UNSCANNED_RULE:
        return []
    return [f"secret {_e(finding.secret.preview)} ({finding.secret.length} chars)"]


def _place(place: Location) -> str:
    """Another place of the same secret: path:line:column, and its commit."""
    origin = place.origin
    where = f"{origin.path}!{origin.archive_member}" if origin.archive_member else origin.path
    if place.line >= 1:
        where += f":{place.line}:{max(place.column, 1)}"
    if origin.commit:
        gone = ", no longer at HEAD" if origin.at_head is False else ""
        where += f" (commit {origin.commit[:12]}{gone})"
    return where


def _key_details(finding: Finding) -> list[str]:
    key = finding.key
    if key is None:
        return []
    size = f"{key.bits}" if key.bits else (key.curve or "")
    words = [w for w in (key.algorithm, size, key.format) if w]
    if key.encrypted:
        words.append("encrypted" + (", weak passphrase" if key.weak_passphrase else ""))
    shown = ["key " + _e(" ".join(words))]
    spki = key.fingerprints.get("spki_sha256")
    if spki:
        shown.append(f"spki {_e(spki[:FINGERPRINT_SHOWN])}…")
    elif not key.public_known:
        shown.append("public part unknown")
    return shown


def _token_details(finding: Finding) -> list[str]:
    token = finding.token
    if token is None:
        return []
    header = " ".join(f"{k} {token.header[k]}" for k in ("alg", "kid") if k in token.header)
    words = ["token", header]
    if token.issued_at:
        words.append(f"issued {token.issued_at}")
    return [_e(" ".join(w for w in words if w))]


def _context(finding: Finding) -> list[str]:
    """Where it came from beyond the path, what the registry says, and the detector's note."""
    origin, texts = finding.origin, []
    if origin.commit:
        at_head = {True: "", False: ", no longer at HEAD", None: ""}[origin.at_head]
        texts.append(f"commit {origin.commit[:12]} by {origin.author} on {origin.date}{at_head}")
    if origin.file_mode and finding.kind in (RuleKind.PRIVATE_KEY, RuleKind.KEY_FILE):
        owner = f", owner {origin.file_owner}" if origin.file_owner else ""
        readable = " (readable by others)" if _others_can_read(origin.file_mode) else ""
        texts.append(f"file mode {origin.file_mode}{owner}{readable}")
    hit = finding.registry
    if hit is not None:
        state = f" ({hit.state})" if hit.state else ""
        reason = f": {hit.reason}" if hit.reason else ""
        texts.append(f"registry {hit.key_id or hit.verdict.value}{state}{reason}")
    if finding.message:
        texts.append(finding.message)
    return texts


def _warnings(report: Report, style: Style) -> str:
    errors = sorted_errors(report.warnings)
    lines = [style(f"Warnings ({len(errors)})", bold=True)]
    lines += [f"  {_e(e.level)}: {_e(e.path)}: {_e(e.message)}" for e in errors[:MAX_WARNINGS]]
    if len(errors) > MAX_WARNINGS:
        lines.append(f"  … and {len(errors) - MAX_WARNINGS} more")
    return "\n".join(lines)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def summary_line(report: Report) -> str:
    """'N findings (c critical, h high, m medium, l low) in X files, Y MB, Z s;
    S suppressed; E warnings', then '; partial: <reason>' when a budget ended the scan."""
    counts = severity_counts(report.findings)
    by_severity = ", ".join(
        f"{n} {label}" for label, n in counts.items() if n or label != Severity.INFO.label
    )
    parts = [
        f"{_plural(len(report.findings), 'finding')} ({by_severity}) in "
        f"{_plural(report.items_scanned, 'file')}, {report.bytes_scanned / 1e6:.1f} MB, "
        f"{report.elapsed:.1f} s",
        f"{sum(report.suppressed.values())} suppressed",
        _plural(len(report.warnings), "warning"),
    ]
    if report.partial:
        parts.append(f"partial: {_e(report.partial_reason or 'a scan budget was reached')}")
    if report.internal_errors:
        parts.append(f"incomplete: keysweep failed on {_plural(report.internal_errors, 'item')}")
    return "; ".join(parts)


def _others_can_read(mode: str) -> bool:
    from scanner.exposure import file_exposure  # a finding's file mode: a clean report has none

    return file_exposure(mode) is not None
