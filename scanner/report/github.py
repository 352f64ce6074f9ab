"""GitHub Actions workflow commands: a finding annotated on the line that holds it.

When a workflow step's output holds `::error file=…,line=…::…`, GitHub shows
the message on that line of the pull request's diff and in the run summary,
with no SARIF upload and no extra permission. The text report prints these lines
when it runs inside GitHub Actions (`GITHUB_ACTIONS=true`). The message names
the rule, severity and redacted preview: never the secret.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping

from scanner.model import Finding, Severity
from scanner.report.fields import finding_to_dict

COMMANDS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "notice",
    Severity.INFO: "notice",
}
_DATA_ESCAPES = {"%": "%25", "\r": "%0D", "\n": "%0A"}
_PROPERTY_ESCAPES = {**_DATA_ESCAPES, ":": "%3A", ",": "%2C"}


def enabled(environ: Mapping[str, str] | None = None) -> bool:
    return (environ if environ is not None else os.environ).get("GITHUB_ACTIONS") == "true"


def workflow_commands(findings: Iterable[Finding]) -> list[str]:
    """One workflow command per place of each finding."""
    return [
        _command(finding, place.path, place.line)
        for finding in findings
        for place in finding.places
    ]


def _command(finding: Finding, path: str, line: int) -> str:
    shown = finding_to_dict(finding)
    title = f"{shown['name']} ({shown['rule']})"
    message = f"{shown['severity']}: {title}; secret {shown['secret']['preview']}"
    properties = f"file={_escape(path, _PROPERTY_ESCAPES)},line={line},title={_escape(title, _PROPERTY_ESCAPES)}"
    return f"::{COMMANDS[finding.severity]} {properties}::{_escape(message, _DATA_ESCAPES)}"


def _escape(text: str, table: Mapping[str, str]) -> str:
    return "".join(table.get(ch, ch) for ch in text)
