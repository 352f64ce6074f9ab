"""SARIF 2.1.0: one run, a rule per rule id used, a result per finding with a
location per place the secret sits (URIs relative to the repository root,
`%SRCROOT%`).

The result message never holds the secret; its preview and hash travel in the
result's property bag with the key, token and registry fields of the JSON report.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from scanner import __version__
from scanner.model import UNSCANNED_RULE, Finding, Location, Report, ScanWarning, Severity
from scanner.report.fields import (
    TOOL_NAME,
    JSONDict,
    sorted_errors,
    sorted_findings,
)
from scanner.report.hints import KIND_HINTS, UNSCANNED_HINT, fix_hint
from scanner.report.json import dumps, finding_json, full_summary

SCHEMA_URI = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
INFORMATION_URI = "https://pypi.org/project/keysweep/"
FINGERPRINT_KEY = "keysweep/v1"
SRCROOT = "%SRCROOT%"
LEVELS: dict[Severity, str] = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
SECURITY_SEVERITY: dict[Severity, str] = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}
"""GitHub code scanning reads `security-severity` (a CVSS-like score) from rule properties."""
RESULT_PROPERTIES = (
    "severity", "kind", "detector", "source", "commit", "author", "date", "at_head",
    "repository", "archive_member", "file_mode", "file_owner", "secret", "key", "token",
    "registry", "context", "confidence", "facts",
)  # fmt: skip
"""Fields of the JSON finding carried in each result's property bag."""


def render_sarif(report: Report, color: bool = False) -> str:
    return dumps(sarif_log(report), indent=2) + "\n"


def sarif_log(report: Report) -> JSONDict:
    findings = sorted_findings(report.findings)
    rules = _rules(findings)
    index = {rule["id"]: i for i, rule in enumerate(rules)}
    run: JSONDict = {
        "tool": {
            "driver": {
                "name": TOOL_NAME,
                "version": __version__,
                "informationUri": INFORMATION_URI,
                "rules": rules,
            }
        },
        "invocations": [_invocation(report)],
        "results": [_result(f, index[f.rule]) for f in findings],
        "properties": {"summary": full_summary(report)},
    }
    root = _root_uri((report.base,) if report.base else report.roots)
    if root:
        run["originalUriBaseIds"] = {SRCROOT: {"uri": root}}
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def _rules(findings: list[Finding]) -> list[JSONDict]:
    """One descriptor per rule id; its level and `security-severity` are the highest
    among its results (code scanning ranks alerts by the rule's score, so a critical
    registry verdict must not read as a note)."""
    first: dict[str, Finding] = {}
    highest: dict[str, Severity] = {}
    for finding in findings:
        first.setdefault(finding.rule, finding)
        highest[finding.rule] = max(highest.get(finding.rule, finding.severity), finding.severity)
    return [_rule(first[rule_id], highest[rule_id]) for rule_id in sorted(first)]


def _help(finding: Finding) -> str:
    return UNSCANNED_HINT if finding.rule == UNSCANNED_RULE else KIND_HINTS[finding.kind]


def _rule(finding: Finding, severity: Severity) -> JSONDict:
    return {
        "id": finding.rule,
        "name": finding.name,
        "shortDescription": {"text": finding.name},
        "help": {"text": _help(finding).capitalize() + "."},
        "defaultConfiguration": {"level": LEVELS[severity]},
        "properties": {
            "severity": severity.label,
            "kind": finding.kind.value,
            "security-severity": SECURITY_SEVERITY[severity],
            "tags": ["security", "secret", finding.kind.value],
        },
    }


def _result(finding: Finding, rule_index: int) -> JSONDict:
    fields = finding_json(finding)
    properties = {name: fields[name] for name in (*RESULT_PROPERTIES, "locations")}
    return {
        "ruleId": finding.rule,
        "ruleIndex": rule_index,
        "level": LEVELS[finding.severity],
        "message": {"text": _message(finding)},
        "locations": [
            {"id": n, "physicalLocation": _physical_location(place.path, place)}
            for n, place in enumerate(finding.places)
        ],
        "partialFingerprints": {FINGERPRINT_KEY: finding.id},
        "properties": properties,
    }


def _message(finding: Finding) -> str:
    words = [f"{finding.name} ({finding.severity.label})"]
    if finding.origin.archive_member:
        words.append(f"in archive member {finding.origin.archive_member}")
    if finding.registry is not None and finding.registry.reason:
        words.append(f"registry: {finding.registry.reason}")
    if finding.message:
        words.append(finding.message)
    return "; ".join(words) + f". Fix: {fix_hint(finding)}."


def _physical_location(path: str, finding: Finding | Location | None = None) -> JSONDict:
    location: JSONDict = {"artifactLocation": _artifact_location(path)}
    if finding is not None and finding.line >= 1:
        region: JSONDict = {"startLine": finding.line}
        if finding.column >= 1:
            region["startColumn"] = finding.column
        if finding.end_line >= finding.line:
            region["endLine"] = finding.end_line
        location["region"] = region
    return location


def _artifact_location(path: str) -> JSONDict:
    uri = _file_uri(path)
    if uri is not None:
        return {"uri": uri}
    return {"uri": _quote(path.replace("\\", "/"), safe="/~"), "uriBaseId": SRCROOT}


def _file_uri(path: str) -> str | None:
    """A file: URI for an absolute path (POSIX, or Windows with a drive), else None."""
    if path.startswith("/"):
        return "file://" + _quote(path, safe="/~")
    if path[:1].isascii() and path[:1].isalpha() and path[1:2] == ":" and path[2:3] in ("/", "\\"):
        return "file:///" + _quote(path.replace("\\", "/"), safe="/~:")
    return None


def _quote(text: str, safe: str) -> str:
    # Undecodable path bytes travel as surrogates: percent-encode their original bytes.
    return quote(text, safe=safe, encoding="utf-8", errors="surrogateescape")


def _root_uri(roots: tuple[str, ...]) -> str | None:
    uri = _file_uri(roots[0]) if len(roots) == 1 else None
    return uri.rstrip("/") + "/" if uri else None


def _invocation(report: Report) -> JSONDict:
    notes = [_notification(e) for e in sorted_errors(report.warnings)]
    invocation: JSONDict = {
        "executionSuccessful": not any(e.level == "error" for e in report.warnings),
        "toolExecutionNotifications": notes,
    }
    if report.partial:
        invocation["properties"] = {"partial_reason": report.partial_reason}
    return invocation


def _notification(error: ScanWarning) -> dict[str, Any]:
    return {
        "level": "error" if error.level == "error" else "warning",
        "message": {"text": error.message},
        "locations": [{"physicalLocation": _physical_location(error.path)}],
    }
