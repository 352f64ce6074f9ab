"""JSON and JSON lines: the fields `report.fields` decides may leave the process."""

from __future__ import annotations

import json
from typing import Any

from scanner.model import Finding, Location, Report, ScanWarning
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
        "findings": [finding_json(f) for f in sorted_findings(report.findings)],
        "summary": full_summary(report),
        "errors": [_error(e) for e in sorted_errors(report.warnings)],
    }


def finding_json(finding: Finding) -> dict[str, Any]:
    """A finding's fields (the first place's path, line and commit at top level, as
    before) and every place it sits in `locations`, each with its own id."""
    return {**finding_to_dict(finding), "locations": [location_to_dict(p) for p in finding.places]}


def location_to_dict(place: Location) -> dict[str, Any]:
    origin = place.origin
    return {
        "id": place.id,
        "rule": place.rule,
        "path": origin.path,
        "source": origin.source.value,
        "repository": origin.repository,
        "line": place.line,
        "column": place.column,
        "end_line": place.end_line,
        "archive_member": origin.archive_member,
        "commit": origin.commit,
        "author": origin.author,
        "date": origin.date,
        "at_head": origin.at_head,
        "file_mode": origin.file_mode,
    }


def full_summary(report: Report) -> dict[str, Any]:
    """The summary, with where paths are measured from and whether keysweep failed
    on any item (then the scan is incomplete and the run exits 3)."""
    summary = summary_to_dict(report)
    summary["base"] = report.base
    summary["internal_errors"] = report.internal_errors
    return summary


def _error(error: ScanWarning) -> dict[str, Any]:
    shown = error_to_dict(error)
    if error.internal:
        shown["internal"] = True
    return shown


def render_json(report: Report, color: bool = False) -> str:
    return dumps(report_to_dict(report), indent=2) + "\n"


def render_jsonl(report: Report, color: bool = False) -> str:
    """One finding a line and nothing else; no findings, no output."""
    return "".join(dumps(finding_json(f)) + "\n" for f in sorted_findings(report.findings))
