"""Every field of an uploaded report that the inventory stores is bounded before
anything is stored: a finding's `locations` (each a sighting) and the sightings of
the whole report, their paths, a secret's keyed hash and the id of the key that
made it, fingerprint kinds, finding and registry ids. Over a bound is a 422 with
one line naming the field, and nothing of the report is kept (SQLite and a real
PostgreSQL, whose bounded columns would otherwise fail the insert)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .conftest import StartServer, report_body

SPKI = "ab" * 32
Change = Callable[[dict[str, Any]], None]


def _report() -> dict[str, Any]:
    report: dict[str, Any] = json.loads(report_body("laptop-1", "2026-12-01T00:00:00Z", SPKI))
    return report


def _finding(report: dict[str, Any]) -> dict[str, Any]:
    finding: dict[str, Any] = report["findings"][0]
    return finding


def _locations(count: int, path: str = "p") -> list[dict[str, str]]:
    return [{"path": f"{path}{n}"} for n in range(count)]


def _many_findings(report: dict[str, Any]) -> None:
    """Two findings of 50,001 locations each: each under its own bound, together over."""
    second = {**_finding(report), "id": "f" * 32}
    report["findings"] = [_finding(report), second]
    for finding in report["findings"]:
        finding["locations"] = _locations(50_001)


def _symmetric(value: str, key_id: str = "0123456789abcdef") -> Change:
    def change(report: dict[str, Any]) -> None:
        finding = _finding(report)
        finding.pop("key")
        finding["registry"] = {"key_id": "hmac-1", "verdict": "active-key-present"}
        finding["secret"] = {"hash": value}
        report["summary"]["secret_hash"] = {"key_id": key_id}

    return change


CASES: list[tuple[str, Change, str]] = [
    (
        "a location's path",
        lambda r: _finding(r).update(locations=[{"path": "a"}, {"path": "A" * 5000}]),
        "report.findings[0].locations[1].path: fails maxLength",
    ),
    (
        "a location's archive member",
        lambda r: _finding(r).update(locations=[{"path": "a"}, {"archive_member": "m" * 5000}]),
        "report.findings[0].locations[1].archive_member: fails maxLength",
    ),
    (
        "a location that is no object",
        lambda r: _finding(r).update(locations=[{"path": "a"}, "b"]),
        "report.findings[0].locations[1]: fails type",
    ),
    (
        "locations of one finding",
        lambda r: _finding(r).update(locations=_locations(100_001)),
        "report.findings[0].locations: fails maxItems",
    ),
    (
        "places of a report",
        _many_findings,
        "report.findings: more than 100000 places (findings and locations)",
    ),
    ("a secret's hash", _symmetric("f" * 129), "report.findings[0].secret.hash: fails maxLength"),
    (
        "the hash key id",
        _symmetric("f" * 64, "K" * 65),
        "report.summary.secret_hash.key_id: fails maxLength",
    ),
    (
        "a fingerprint kind",
        lambda r: _finding(r)["key"]["fingerprints"].update({"k" * 33: "ab"}),
        "report.findings[0].key.fingerprints: fails maxLength",
    ),
    (
        "a finding id",
        lambda r: _finding(r).update(id="i" * 129),
        "report.findings[0].id: fails maxLength",
    ),
    (
        "a registry key id",
        lambda r: _finding(r)["registry"].update(key_id="k" * 251),
        "report.findings[0].registry.key_id: fails maxLength",
    ),
]


def test_every_stored_field_is_bounded_and_nothing_is_kept_over_a_bound(
    start_server: StartServer,
) -> None:
    server = start_server()
    host = server.token("host", "laptop-1")
    for name, change, reason in CASES:
        report = _report()
        change(report)
        response = server.put("/api/reports", json.dumps(report).encode(), host)
        assert (response.status_code, response.json()) == (422, {"error": reason}), name
    assert (server.count("reports"), server.count("key_sightings")) == (0, 0)


def test_reports_at_the_bounds_are_stored_whole(start_server: StartServer) -> None:
    """The largest values the bounds allow fit the columns (PostgreSQL checks them)."""
    server = start_server()
    host = server.token("host", "laptop-1")
    located = _report()
    _finding(located)["locations"] = _locations(3, "A" * 4000)
    _finding(located)["key"]["fingerprints"]["k" * 32] = "c" * 200
    _finding(located)["registry"]["key_id"] = "k" * 250
    symmetric = _report()
    _symmetric("f" * 128, "K" * 64)(symmetric)
    for report in (located, symmetric):
        response = server.put("/api/reports", json.dumps(report).encode(), host)
        assert response.status_code == 201, response.text
    assert (server.count("reports"), server.count("key_sightings")) == (2, 4)
