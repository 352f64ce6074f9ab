"""keysweep server end to end: a real server process, real sweeps, the real CLI."""

from __future__ import annotations

import json
import platform
from pathlib import Path

import httpx
import pytest
from support import login_form

from .conftest import (
    RETIRED_ID,
    RETIRED_SPKI,
    StartServer,
    items,
    keysweep,
    registry_with,
    report_body,
    sweep_examples,
)

HOST = platform.node()
"""The sweep names the machine it runs on; its upload token must be for that host."""


def push(server_url: str, registry: Path, token_file: Path) -> str:
    done = keysweep(
        "server", "registry", "push", registry, "--server", server_url, "--token-file", token_file
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_key_retired_after_upload_is_an_exposure_without_a_new_sweep(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server()
    host_file = server.token_file(server.token("host", HOST))
    admin_file = server.token_file(server.token("admin", "sec-team"))
    viewer = server.token("viewer", "alice")
    assert "registry version 1" in push(server.url, registry_with(tmp_path, "active"), admin_file)

    done = sweep_examples(server, host_file)
    assert done.returncode == 1, done.stderr  # findings, and uploaded
    assert "uploaded 1 report(s)" in done.stderr
    assert items(server.get("/api/exposures", viewer)) == []
    key = server.get(f"/api/keys/{RETIRED_ID}", viewer).json()
    assert [p["verdict"] for p in key["items"]] == ["active-key-departed-owner"]

    out = push(server.url, registry_with(tmp_path, "deactivated"), admin_file)
    assert "registry version 2: 1 verdict(s) changed, 1 new alert(s)" in out
    [exposure] = items(server.get("/api/exposures", viewer))
    assert exposure["key_id"] == RETIRED_ID
    assert exposure["state"] == "deactivated"
    assert exposure["owner"] == "emp-1042"
    assert exposure["days_since_retirement"] > 0
    assert exposure["hosts"] == [HOST]
    assert exposure["places"][0]["path"].endswith("auth-service/keys/signing-2019.pem")
    assert server.count("reports") == 1  # no new sweep was needed

    key = server.get(f"/api/keys/{RETIRED_SPKI}", viewer).json()
    history = [(h["registry_version"], h["verdict"]) for h in key["history"]]
    assert history == [(None, None), (1, "active-key-departed-owner"), (2, "retired-key-present")]
    assert key["registry"]["state"] == "deactivated"
    host = server.get(f"/api/hosts/{HOST}", viewer).json()
    assert host["exposures"] == 1 and host["reports"] == 1

    viewer_file = server.token_file(viewer)
    where = keysweep(
        "inventory",
        "where",
        RETIRED_ID,
        "--server",
        server.url,
        "--token-file",
        viewer_file,
        "--format",
        "json",
    )
    assert where.returncode == 0, where.stderr
    assert [p["verdict"] for p in json.loads(where.stdout)] == ["retired-key-present"]
    summary = keysweep("inventory", "summary", "--server", server.url, "--token-file", viewer_file)
    assert f"{HOST}: 1 retired key(s) present" in summary.stdout
    assert RETIRED_ID in summary.stdout


def test_uploads_are_idempotent_and_a_host_report_is_judged_by_the_current_registry(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server()
    host = server.token("host", "laptop-7")
    viewer = server.token("viewer", "alice")
    admin_file = server.token_file(server.token("admin", "sec"))
    push(server.url, registry_with(tmp_path, "deactivated"), admin_file)
    body = report_body("laptop-7", "2026-03-01T09:00:00+00:00", RETIRED_SPKI)  # judged unregistered
    first = server.put("/api/reports", body, host)
    assert first.status_code == 201, first.text
    assert first.json()["alerts"] == 1
    again = server.put("/api/hosts/laptop-7/reports", body, host)
    assert again.status_code == 200 and again.json()["already"] is True
    assert server.count("reports") == 1
    [exposure] = items(server.get("/api/exposures", viewer))
    assert exposure["key_id"] == RETIRED_ID and exposure["hosts"] == ["laptop-7"]
    later = report_body("laptop-7", "2026-03-08T09:00:00+00:00", "ab" * 32)
    assert server.put("/api/reports", later, host).status_code == 201
    assert items(server.get("/api/exposures", viewer)) == []  # the key left the host
    assert server.count("alerts") == 1


def test_every_auth_failure_is_refused_and_writes_nothing(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server()
    host = server.token("host", "laptop-1")
    other = server.token("host", "laptop-2")
    viewer = server.token("viewer", "alice")
    revoked = server.token("host", "laptop-3")
    listed = keysweep("server", "tokens", "--db", server.db, "--format", "json")
    rows = json.loads(listed.stdout)
    assert all("ksw_" not in json.dumps(r) for r in rows)
    revoked_id = next(r["id"] for r in rows if r["name"] == "laptop-3")
    assert keysweep("server", "revoke", revoked_id, "--db", server.db).returncode == 0

    body = report_body("laptop-1", "2026-03-01T09:00:00Z", RETIRED_SPKI)
    body3 = report_body("laptop-3", "2026-03-01T09:00:00Z", RETIRED_SPKI)
    wrong = host[:-4] + ("AAAA" if not host.endswith("AAAA") else "BBBB")
    cases = [
        ("no token", "/api/reports", body, None, 401),
        ("wrong token", "/api/reports", body, wrong, 401),
        ("garbage token", "/api/reports", body, "not-a-token", 401),
        ("revoked token", "/api/reports", body3, revoked, 401),
        ("another host's token in the path", "/api/hosts/laptop-1/reports", body, other, 403),
        ("a report naming another host", "/api/reports", body, other, 403),
        ("viewer token on upload", "/api/reports", body, viewer, 403),
    ]
    for what, path, payload, token, status in cases:
        response = server.put(path, payload, token)
        assert response.status_code == status, (what, response.text)
    registry = json.dumps({"document": {"schema": "keysweep/key-registry/v1", "keys": []}})
    for token, status in ((None, 401), (host, 403), (viewer, 403)):
        response = server.put("/api/registry", registry.encode(), token)
        assert response.status_code == status
    for path in ("/api/exposures", f"/api/keys/{RETIRED_ID}", "/api/hosts/laptop-1", "/metrics"):
        assert server.get(path).status_code == 401
        assert server.get(path, wrong).status_code == 401
        assert server.get(path, host).status_code == 403
        assert server.get(path, viewer).status_code in (200, 404)
    assert server.get("/api/audit", viewer).status_code == 403
    for table in ("reports", "hosts", "key_sightings", "registry_versions", "alerts"):
        assert server.count(table) == 0, table
    # laptop-1's token was only ever refused for its kind: not even its last use is written
    listed = json.loads(keysweep("server", "tokens", "--db", server.db, "--format", "json").stdout)
    assert next(t for t in listed if t["name"] == "laptop-1")["last_used_at"] is None


def test_oversized_and_malformed_reports_are_refused(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server("--max-report-mb", "1")
    host = server.token("host", "laptop-1")
    big = b'{"findings": [], "pad": "' + b"x" * (2 * 1024 * 1024) + b'"}'
    assert server.put("/api/reports", big, host).status_code == 413
    assert server.put("/api/reports", b"{not json", host).status_code == 422
    assert server.put("/api/reports", b"[" * 100_000, host).status_code == 422  # nesting bound
    bad = json.dumps({"findings": [{"severity": "urgent"}]}).encode()
    response = server.put("/api/reports", bad, host)
    assert response.status_code == 422 and "urgent" not in response.text
    assert server.count("reports") == 0


def test_reports_wait_in_the_spool_while_the_server_is_down(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server()
    host_file = server.token_file(server.token("host", HOST))
    code, log = server.stop()
    assert code in (0, -15) and '"event": "server stopped"' in log  # uvicorn re-raises SIGTERM
    down = sweep_examples(server, host_file)
    assert down.returncode == 1, down.stderr
    assert "1 report(s) wait in" in down.stderr
    assert len(list((server.folder / "spool").glob("*.json"))) == 1

    again = start_server()
    again.folder = server.folder
    done = sweep_examples(again, host_file)
    assert "uploaded 2 report(s)" in done.stderr, done.stderr
    assert list((server.folder / "spool").glob("*.json")) == []
    assert again.count("reports") == 2


def test_metrics_audit_log_and_logs_hold_no_secret(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server()
    host = server.token("host", "laptop-1")
    admin = server.token("admin", "sec")
    push(server.url, registry_with(tmp_path, "deactivated"), server.token_file(admin))
    body = report_body("laptop-1", "2026-03-01T09:00:00Z", RETIRED_SPKI)
    assert server.put("/api/reports", body, host).status_code == 201
    metrics = server.get("/metrics", admin).text
    assert 'keysweep_reports_ingested_total{outcome="new"} 1.0' in metrics
    assert 'keysweep_exposures{verdict="retired-key-present"} 1.0' in metrics
    assert "keysweep_ingest_seconds_count 1.0" in metrics
    audit = items(server.get("/api/audit", admin))
    assert {"registry-push", "token-created"} <= {a["action"] for a in audit}
    _, log = server.stop()
    assert '"event": "server stopped"' in log
    for token in (host, admin):
        assert token not in log
        assert token[len("ksw_") + 13 :] not in log  # the secret part (it may hold "_")
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert any(e.get("event") == "report ingested" for e in lines)


def test_legacy_inventory_database_is_migrated_in_place(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "report.json"
    path.write_bytes(report_body("laptop-1", "2026-03-01T09:00:00Z", RETIRED_SPKI))
    assert keysweep("inventory", "ingest", path, "--db", db_url).returncode == 0
    done = keysweep("server", "viewer", "alice", "--db", db_url)
    assert done.returncode == 0, done.stderr
    where = keysweep("inventory", "where", RETIRED_SPKI, "--db", db_url, "--format", "json")
    assert [p["host"] for p in json.loads(where.stdout)] == ["laptop-1"]


@pytest.mark.parametrize("listen", ["nonsense", "127.0.0.1:99999"])
def test_bad_listen_address_is_a_one_line_error(listen: str, tmp_path: Path) -> None:
    done = keysweep("server", "run", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--listen", listen)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"keysweep: error: --listen {listen}: expected HOST:PORT"
    ]


def test_metrics_label_exposures_only_by_the_scanner_s_verdicts(
    start_server: StartServer,
) -> None:
    """A host writes its sightings' verdicts: one it made up is counted as `other`,
    never a label of its own (a new series per value, its text in every scraper)."""
    server = start_server()
    host = server.token("host", "laptop-1")
    viewer = server.token("viewer", "alice")
    report = json.loads(report_body("laptop-1", "2026-03-01T09:00:00Z", RETIRED_SPKI))
    made_up = []
    for n in range(3):
        finding = {**report["findings"][0], "id": f"{n:032x}", "path": f"k{n}"}
        finding["key"] = {"fingerprints": {"spki_sha256": f"{n:064x}"}}
        finding["registry"] = {"verdict": f'made-up-{n}"}} x', "state": "deactivated"}
        made_up.append(finding)
    report["findings"] += made_up
    assert server.put("/api/reports", json.dumps(report).encode(), host).status_code == 201
    exposures = [
        line
        for line in server.get("/metrics", viewer).text.splitlines()
        if line.startswith("keysweep_exposures{")
    ]
    assert exposures == ['keysweep_exposures{verdict="other"} 3.0']


def test_a_huge_page_number_and_deep_registry_json_are_answered_not_crashed(
    start_server: StartServer,
) -> None:
    """A page number past any offset the database takes reads an empty page; a
    registry push nested too deep is a 422 as an upload is, never a 500."""
    server = start_server()
    viewer, admin = server.token("viewer", "v"), server.token("admin", "a")
    huge = "9" * 20
    assert items(server.get(f"/api/hosts?page={huge}", viewer)) == []
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        csrf = login_form(browser)
        browser.post("/login", data={"token": viewer, "csrf": csrf})
        assert browser.get(f"/hosts?page={huge}").status_code == 200
    deep = b'{"document":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    response = httpx.put(
        server.url + "/api/registry",
        content=deep,
        headers={"Authorization": f"Bearer {admin}"},
        timeout=30,
    )
    assert (response.status_code, response.json()) == (422, {"error": "not JSON"})
    _, log = server.stop()
    assert '"error"' not in log


def test_one_document_uploaded_by_two_hosts_is_stored_for_each(
    start_server: StartServer,
) -> None:
    """A report's id is per host: host-a sending a document first neither keeps
    host-b's identical upload from being stored nor learns that host-b sent it."""
    server = start_server()
    viewer = server.token("viewer", "v")
    key = {"fingerprints": {"spki_sha256": "cd" * 32}}
    finding = {"rule": "private-key", "path": "id_rsa", "key": key}
    document = json.dumps({"findings": [finding]}).encode()
    answers = [
        server.put("/api/reports", document, server.token("host", name)).json()
        for name in ("host-a", "host-b", "host-b")
    ]
    assert [(a["host"], a["already"]) for a in answers] == [
        ("host-a", False),
        ("host-b", False),
        ("host-b", True),
    ]
    assert answers[0]["report_id"] != answers[1]["report_id"]
    for name in ("host-a", "host-b"):
        response = server.get(f"/api/hosts/{name}", viewer)
        assert [p["path"] for p in response.json()["items"]] == ["id_rsa"], name
