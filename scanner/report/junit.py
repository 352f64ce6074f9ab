"""JUnit XML, the report format every CI system can show without a plug-in.

Jenkins, GitLab (`artifacts: reports: junit`), Azure Pipelines, CircleCI and
Buildkite all render JUnit test results. Each finding is a failed test case
(classname: the rule; name: the place), so a leaked secret reads as a failed
check in the CI's own test view; a clean scan is one passing case, so a green
run still shows that the scan ran. Text comes from `finding_to_dict` (the
redacted preview at most, never the secret).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from scanner.model import Finding, Report
from scanner.report.fields import finding_to_dict, sorted_findings
from scanner.report.hints import fix_hint
from scanner.report.text import summary_line
from scanner.text import escape_control

SUITE = "keysweep"


def render_junit(report: Report, color: bool = False) -> str:
    findings = sorted_findings(report.findings)
    suites = ET.Element("testsuites", name=SUITE)
    suite = ET.SubElement(suites, "testsuite", name=SUITE)
    errors = [_incomplete_case(report)] if report.partial or report.internal_errors else []
    cases = [_case(f) for f in findings] + errors or [_clean_case(report)]
    suite.extend(cases)
    counts = {"tests": str(len(cases)), "failures": str(len(findings)), "errors": str(len(errors))}
    counts["time"] = f"{report.elapsed:.3f}"
    suite.attrib.update(counts)
    suites.attrib.update(counts)
    ET.SubElement(suite, "system-out").text = _clean(summary_line(report))
    ET.indent(suites)
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def _case(finding: Finding) -> ET.Element:
    shown = finding_to_dict(finding)
    case = ET.Element("testcase", classname=shown["rule"], name=_place(shown), time="0")
    case.set("file", _clean(shown["path"]))
    case.set("line", str(shown["line"]))
    message = f"{shown['severity'].upper()}: {shown['name']}"
    failure = ET.SubElement(case, "failure", message=_clean(message), type=shown["severity"])
    failure.text = _clean("\n".join(_details(finding, shown)))
    return case


def _place(shown: dict[str, object]) -> str:
    return _clean(f"{shown['path']}:{shown['line']}")


def _details(finding: Finding, shown: dict[str, object]) -> list[str]:
    secret = shown["secret"]
    assert isinstance(secret, dict)
    lines = [
        f"secret {secret['preview']} ({secret['length']} chars; keyed hash {secret['hash']})",
        f"fix: {fix_hint(finding)}",
    ]
    if shown["commit"]:
        lines.append(f"commit {shown['commit']}")
    lines += [f"also at {p.path}:{p.line}" for p in finding.places[1:]]
    return lines


def _incomplete_case(report: Report) -> ET.Element:
    """An error case: a scan that did not finish is never a green suite."""
    case = ET.Element("testcase", classname=SUITE, name="scan incomplete")
    why = report.partial_reason or f"keysweep failed on {report.internal_errors} item(s)"
    ET.SubElement(case, "error", message=_clean(f"scan incomplete: {why}"))
    return case


def _clean_case(report: Report) -> ET.Element:
    name = "no keys or credentials found"
    return ET.Element("testcase", classname=SUITE, name=name, time=f"{report.elapsed:.3f}")


def _clean(text: str) -> str:
    """Control characters (from file names) escaped: XML 1.0 cannot hold most of them."""
    return "\n".join(escape_control(line) for line in text.split("\n"))
