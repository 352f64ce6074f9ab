"""JSON and JSON lines: the fields of ARCHITECTURE.md ("Findings as JSON")."""

from __future__ import annotations

import json
from typing import Any

from scanner.model import Report
from scanner.report.fields import (
    error_to_dict,
    finding_to_dict,
    sorted_errors,
    sorted_findings,
    summary_to_dict,
    tool_to_dict,
)

FORMAT_VERSION = 1


def dumps(value: Any, *, indent: int | None = None) -> str:
    """ASCII-only JSON: control and non-ASCII characters (and undecodable path bytes
    carried as surrogates) come out as escapes, safe on any terminal or file."""
    separators = (",", ": ") if indent is not None else (",", ":")
    return json.dumps(value, indent=indent, separators=separators, ensure_ascii=True, default=str)


def report_to_dict(report: Report) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "tool": tool_to_dict(report),
        "findings": [finding_to_dict(f) for f in sorted_findings(report.findings)],
        "summary": summary_to_dict(report),
        "errors": [error_to_dict(e) for e in sorted_errors(report.errors)],
    }


def render_json(report: Report, color: bool = False) -> str:
    return dumps(report_to_dict(report), indent=2) + "\n"


def render_jsonl(report: Report, color: bool = False) -> str:
    """One finding a line and nothing else; no findings, no output."""
    return "".join(dumps(finding_to_dict(f)) + "\n" for f in sorted_findings(report.findings))
