"""GitLab's secret-detection report (`gl-secret-detection-report.json`).

GitLab shows secret-detection findings in merge requests and the security
dashboard only from its own report format (schema version 15), declared as
`artifacts: reports: secret_detection`. Each place a secret sits is one
vulnerability (GitLab tracks them by file, line and commit). Every field comes
from `finding_to_dict`, so the report holds the redacted preview at most, never
the secret: GitLab's `raw_source_code_extract` is left out on purpose.
"""

from __future__ import annotations

import datetime
from typing import Any

from scanner import __version__
from scanner.model import Finding, Report, Severity
from scanner.report.fields import TOOL_NAME, JSONDict, finding_to_dict, sorted_findings
from scanner.report.hints import fix_hint
from scanner.report.json import dumps

SCHEMA_VERSION = "15.0.7"
NO_COMMIT = "0000000"
"""What GitLab's own analyzer puts in `commit.sha` for a file not read from history."""
SEVERITIES: dict[Severity, str] = {
    Severity.CRITICAL: "Critical",
    Severity.HIGH: "High",
    Severity.MEDIUM: "Medium",
    Severity.LOW: "Low",
    Severity.INFO: "Info",
}
_TOOL = {"id": TOOL_NAME, "name": TOOL_NAME, "version": __version__, "vendor": {"name": TOOL_NAME}}


def render_gitlab(report: Report, color: bool = False) -> str:
    return dumps(gitlab_report(report), indent=2) + "\n"


def gitlab_report(report: Report, now: datetime.datetime | None = None) -> JSONDict:
    from scanner.findings import at_location

    places = [at_location(f, p) for f in sorted_findings(report.findings) for p in f.places]
    return {
        "version": SCHEMA_VERSION,
        "scan": _scan(report, now or datetime.datetime.now(datetime.UTC)),
        "vulnerabilities": [_vulnerability(place) for place in places],
    }


def _scan(report: Report, end: datetime.datetime) -> JSONDict:
    start = end - datetime.timedelta(seconds=max(report.elapsed, 0.0))
    return {
        "analyzer": _TOOL,
        "scanner": _TOOL,
        "type": "secret_detection",
        "start_time": _time(start),
        "end_time": _time(end),
        "status": "failure" if _incomplete(report) else "success",
    }


def _incomplete(report: Report) -> bool:
    """A scan stopped by a budget or hurt by an internal error did not succeed,
    whatever it found."""
    return report.partial or report.internal_errors > 0


def _time(moment: datetime.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def _vulnerability(finding: Finding) -> JSONDict:
    shown = finding_to_dict(finding)
    return {
        "id": finding.id,
        "category": "secret_detection",
        "name": shown["name"],
        "description": _description(shown),
        "severity": SEVERITIES[finding.severity],
        "solution": fix_hint(finding),
        "identifiers": [_identifier(shown["rule"])],
        "location": _location(shown),
    }


def _identifier(rule: str) -> JSONDict:
    return {"type": "keysweep_rule_id", "name": f"keysweep rule {rule}", "value": rule}


def _description(shown: dict[str, Any]) -> str:
    secret = shown["secret"]
    return (
        f"{shown['name']} ({shown['rule']}): {secret['preview']} ({secret['length']} chars; "
        f"keyed hash {secret['hash']})"
    )


def _location(shown: dict[str, Any]) -> JSONDict:
    commit: JSONDict = {"sha": shown["commit"] or NO_COMMIT}
    for name in ("author", "date"):
        if shown[name]:
            commit[name] = shown[name]
    return {
        "file": shown["path"],
        "start_line": shown["line"],
        "end_line": max(shown["end_line"], shown["line"]),
        "commit": commit,
    }
