"""The JSON and JSON-lines reports carry the fields of report.fields, in a fixed order."""

from __future__ import annotations

import json
import random
from dataclasses import replace
from typing import Any

from scanner import __version__
from scanner.model import Report, ScanWarning
from scanner.report import render
from scanner.report.fields import finding_to_dict

FINDING_KEYS = [
    "id", "rule", "name", "kind", "severity", "detector", "path", "line", "column",
    "end_line", "source", "commit", "author", "date", "at_head", "repository", "archive_member",
    "file_mode", "file_owner", "message", "context", "confidence", "facts", "secret", "key",
    "token", "registry", "locations",
]  # fmt: skip
KEY_KEYS = [
    "format", "algorithm", "bits", "curve", "encrypted", "public_known", "weak_passphrase",
    "parsed", "note", "fingerprints", "certificates",
]  # fmt: skip
REGISTRY_KEYS = [
    "verdict", "key_id", "state", "owner", "owner_status", "matched_by", "reason", "severity"
]  # fmt: skip


def by_rule(document: dict[str, Any], rule: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [f for f in document["findings"] if f["rule"] == rule]
    assert len(found) == 1
    return found[0]


def test_top_level_shape_and_tool(planted: Any) -> None:
    document = json.loads(render(planted.report, "json"))
    assert list(document) == ["version", "tool", "findings", "summary", "errors"]
    assert document["version"] == 1
    assert document["tool"] == {"name": "keysweep", "version": __version__}


def test_every_finding_has_the_architecture_fields_in_order(planted: Any) -> None:
    document = json.loads(render(planted.report, "json"))
    assert len(document["findings"]) == 4
    for finding in document["findings"]:
        assert list(finding) == FINDING_KEYS
        assert list(finding["secret"]) == ["preview", "hash", "length"]


def test_key_finding_carries_fingerprints_and_registry_hit(planted: Any) -> None:
    finding = by_rule(json.loads(render(planted.report, "json")), "key.rsa-pkcs1")
    assert finding["severity"] == "critical"
    assert finding["kind"] == "private-key"
    assert finding["file_mode"] == "0o600"
    assert list(finding["key"]) == KEY_KEYS
    assert finding["key"]["bits"] == 2048
    fingerprints = finding["key"]["fingerprints"]
    assert list(fingerprints) == ["spki_sha256", "jwk_thumbprint", "ssh_sha256"]
    assert fingerprints["spki_sha256"] == planted.spki_sha256
    assert fingerprints["ssh_sha256"].startswith("SHA256:")
    assert list(finding["registry"]) == REGISTRY_KEYS
    assert finding["registry"]["verdict"] == "retired-key-present"
    assert finding["registry"]["key_id"] == "key-auth-2019"
    assert finding["registry"]["reason"].startswith("deactivated 2024-06-30")
    assert finding["token"] is None


def test_git_and_archive_origins(planted: Any) -> None:
    document = json.loads(render(planted.report, "json"))
    git = by_rule(document, "cloud.aws-access-key-id")
    assert git["source"] == "git"
    assert git["commit"] == "3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39"
    assert git["author"] == "Dana Dev <dana@example.test>"
    assert git["at_head"] is False
    assert git["key"] is None and git["registry"] is None
    archived = by_rule(document, "generic.password-assignment")
    assert archived["path"] == "dist/app.jar"
    assert archived["archive_member"] == "BOOT-INF/classes/application.yml"


def test_token_header_is_shown_without_private_jwk_members(planted: Any) -> None:
    token = by_rule(json.loads(render(planted.report, "json")), "token.jwt")["token"]
    assert list(token) == [
        "hash", "header", "issued_at", "expires_at", "not_before", "subject_hash", "verified_by"
    ]  # fmt: skip
    assert token["header"]["kid"] == "2019-signer"
    assert token["header"]["jwk"] == {"kty": "oct"}
    assert token["verified_by"] == "key-auth-2019"


def test_summary_and_errors(planted: Any) -> None:
    document = json.loads(render(planted.report, "json"))
    summary = document["summary"]
    assert summary["findings"] == 4
    assert summary["by_severity"] == {"critical": 2, "high": 1, "medium": 1, "low": 0, "info": 0}
    assert summary["items_scanned"] == 1234
    assert summary["bytes_scanned"] == 56_700_000
    assert summary["suppressed"] == {"baseline": 1, "inline": 2}
    assert summary["skipped"] == {"binary": 3, "too-large": 1}
    assert summary["partial"] is False and summary["partial_reason"] is None
    assert summary["roots"] == ["."]
    assert "meta" not in summary
    assert document["errors"][0] == {
        "path": "home/dev/notes.txt",
        "message": "invalid UTF-8; scanned with replacement",
        "level": "warning",
    }


def test_meta_goes_into_summary_and_rules_version_into_tool(planted: Any) -> None:
    meta = {"host": "laptop-17", "user": "dev", "os": "Linux", "rules_version": "2026.11"}
    report = replace(planted.report, meta=meta, partial=True, partial_reason="--max-seconds 60")
    document = json.loads(render(report, "json"))
    assert document["tool"]["rules_version"] == "2026.11"
    assert document["summary"]["meta"] == {"host": "laptop-17", "os": "Linux", "user": "dev"}
    assert document["summary"]["partial_reason"] == "--max-seconds 60"


def test_output_does_not_depend_on_the_order_workers_finished(planted: Any) -> None:
    shuffled = list(planted.report.findings)
    random.Random(7).shuffle(shuffled)
    errors = tuple(reversed(planted.report.warnings))
    other = replace(planted.report, findings=tuple(shuffled), warnings=errors)
    for fmt in ("json", "jsonl", "sarif", "text"):
        assert render(other, fmt) == render(planted.report, fmt)


def test_jsonl_is_one_finding_a_line_and_nothing_else(planted: Any) -> None:
    text = render(planted.report, "jsonl")
    lines = text.splitlines()
    assert text.endswith("\n") and len(lines) == 4
    document = json.loads(render(planted.report, "json"))
    assert [json.loads(line) for line in lines] == document["findings"]
    assert render(Report(findings=()), "jsonl") == ""


def test_undecodable_and_control_characters_stay_valid_ascii_json(planted: Any) -> None:
    finding = planted.report.findings[0]
    odd = replace(finding, origin=replace(finding.origin, path="bad\udcff\x1b[2J.py"))
    report = Report(findings=(odd,), warnings=(ScanWarning("x\udcfe", "unreadable"),))
    for fmt in ("json", "jsonl"):
        text = render(report, fmt)
        assert text.isascii() and "\x1b" not in text
    assert json.loads(render(report, "jsonl"))["path"] == "bad\udcff\x1b[2J.py"
    assert json.loads(render(report, "json"))["errors"][0]["path"] == "x\udcfe"


def test_finding_to_dict_is_json_ready(planted: Any) -> None:
    for finding in planted.report.findings:
        assert json.loads(json.dumps(finding_to_dict(finding))) == finding_to_dict(finding)
