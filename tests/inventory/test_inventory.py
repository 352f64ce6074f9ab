"""keysweep inventory: ingest sweep reports, ask where a key lives, list retired keys."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scanner.cli import cli

from .conftest import Key, WriteReport

RETIRED = Key("~/.ssh/id_rsa", "a1" * 32, key_id="key-auth-2019", state="deactivated")
ACTIVE = Key("~/work/deploy.pem", "b2" * 32, key_id="key-deploy", state="active")
STRAY = Key("~/Downloads/old.tgz", "c3" * 32, member="backup/id_ed25519")


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["inventory", *map(str, args)])
    return result.exit_code, result.output


def where(db_url: str, key: str, *extra: str) -> list[dict[str, Any]]:
    code, out = run("where", key, "--db", db_url, "--format", "json", *extra)
    assert code == 0, out
    places: list[dict[str, Any]] = json.loads(out)
    return places


def test_ingested_keys_are_found_by_fingerprint_prefix_and_key_id(
    db_url: str, write_report: WriteReport
) -> None:
    report = write_report("dev-laptop-1", "2026-03-01T09:00:00+00:00", [RETIRED, ACTIVE, STRAY])
    code, out = run("ingest", report, "--db", db_url)
    assert code == 0, out
    assert "host dev-laptop-1: 3 key sightings (3 new" in out
    by_spki = where(db_url, RETIRED.spki)
    assert [(p["host"], p["path"], p["key_id"]) for p in by_spki] == [
        ("dev-laptop-1", "~/.ssh/id_rsa", "key-auth-2019")
    ]
    assert by_spki[0]["first_seen"] == by_spki[0]["last_seen"] == "2026-03-01T09:00:00Z"
    assert where(db_url, "key-auth-2019") == by_spki
    assert where(db_url, RETIRED.spki[:12].upper()) == by_spki
    assert where(db_url, "jwk-" + ACTIVE.spki[:8])[0]["path"] == "~/work/deploy.pem"
    assert where(db_url, STRAY.spki)[0]["path"] == "~/Downloads/old.tgz!backup/id_ed25519"
    code, text = run("where", "key-auth-2019", "--db", db_url)
    assert "dev-laptop-1  ~/.ssh/id_rsa  key-auth-2019  first seen 2026-03-01 09:00" in text


def test_reingesting_a_report_changes_nothing(db_url: str, write_report: WriteReport) -> None:
    report = write_report("dev-laptop-1", "2026-03-01T09:00:00+00:00", [RETIRED])
    run("ingest", report, "--db", db_url)
    before = where(db_url, RETIRED.spki)
    code, out = run("ingest", report, "--db", db_url)
    assert code == 0
    assert "already ingested" in out
    assert where(db_url, RETIRED.spki) == before


def test_a_later_report_closes_what_the_host_no_longer_has(
    db_url: str, write_report: WriteReport
) -> None:
    first = write_report("dev-laptop-1", "2026-03-01T09:00:00+00:00", [RETIRED, ACTIVE])
    second = write_report("dev-laptop-1", "2026-03-08T09:00:00+00:00", [ACTIVE])
    code, out = run("ingest", first, second, "--db", db_url)
    assert "1 gone since the last report" in out
    assert where(db_url, RETIRED.spki) == []
    history = where(db_url, RETIRED.spki, "--all")
    assert history[0]["last_seen"] == "2026-03-01T09:00:00Z"
    assert history[0]["gone_since"] == "2026-03-08T09:00:00Z"
    assert where(db_url, ACTIVE.spki)[0]["last_seen"] == "2026-03-08T09:00:00Z"
    assert where(db_url, ACTIVE.spki)[0]["first_seen"] == "2026-03-01T09:00:00Z"
    code, out = run("summary", "--db", db_url)
    assert (code, out.strip()) == (0, "no retired key is present on any host")


def test_a_key_that_comes_back_is_present_again(db_url: str, write_report: WriteReport) -> None:
    reports = [
        write_report("h", "2026-03-01T09:00:00Z", [RETIRED]),
        write_report("h", "2026-03-02T09:00:00Z", []),
        write_report("h", "2026-03-03T09:00:00Z", [RETIRED]),
    ]
    code, out = run("ingest", *reports, "--db", db_url)
    assert code == 0
    assert "1 back" in out
    [place] = where(db_url, RETIRED.spki)
    assert place["present"] and place["last_seen"] == "2026-03-03T09:00:00Z"


def test_an_older_report_ingested_late_closes_nothing(
    db_url: str, write_report: WriteReport
) -> None:
    newer = write_report("h", "2026-03-08T09:00:00Z", [ACTIVE])
    older = write_report("h", "2026-03-01T09:00:00Z", [RETIRED, ACTIVE])
    run("ingest", newer, older, "--db", db_url)
    [active] = where(db_url, ACTIVE.spki)
    assert (active["first_seen"], active["last_seen"]) == (
        "2026-03-01T09:00:00Z",
        "2026-03-08T09:00:00Z",
    )
    assert where(db_url, RETIRED.spki) == []
    assert where(db_url, RETIRED.spki, "--all")[0]["gone_since"] == "2026-03-08T09:00:00Z"


def test_a_partial_report_does_not_close_anything(db_url: str, write_report: WriteReport) -> None:
    run("ingest", write_report("h", "2026-03-01T09:00:00Z", [RETIRED]), "--db", db_url)
    partial = write_report("h", "2026-03-02T09:00:00Z", [], partial=True)
    code, out = run("ingest", partial, "--db", db_url)
    assert code == 0
    assert "0 gone" in out
    assert len(where(db_url, RETIRED.spki)) == 1


def test_summary_lists_retired_keys_still_present_per_host(
    db_url: str, write_report: WriteReport
) -> None:
    run("ingest", write_report("alpha", "2026-03-01T09:00:00Z", [RETIRED, ACTIVE]), "--db", db_url)
    run("ingest", write_report("beta", "2026-03-01T10:00:00Z", [RETIRED]), "--db", db_url)
    run("ingest", write_report("gamma", "2026-03-01T11:00:00Z", [ACTIVE]), "--db", db_url)
    code, out = run("summary", "--db", db_url, "--format", "json")
    assert code == 0
    summary = json.loads(out)
    assert sorted(summary) == ["alpha", "beta"]
    assert [p["key_id"] for p in summary["alpha"]] == ["key-auth-2019"]
    code, text = run("summary", "--db", db_url)
    assert "alpha: 1 retired key(s) present" in text
    assert "key-auth-2019  deactivated  ~/.ssh/id_rsa" in text


def test_scan_reports_take_the_host_from_the_option(db_url: str, write_report: WriteReport) -> None:
    report = write_report(None, "", [ACTIVE], kind="scan")
    code, out = run("ingest", report, "--db", db_url, "--host", "build-agent-7")
    assert code == 0, out
    assert where(db_url, "key-deploy")[0]["host"] == "build-agent-7"


def test_a_file_that_is_not_a_report_is_a_usage_error(tmp_path: Path, db_url: str) -> None:
    bad = tmp_path / "notes.json"
    bad.write_text('{"hello": 1}')
    code, out = run("ingest", bad, "--db", db_url)
    assert code == 2
    assert "notes.json: not a keysweep JSON report" in out


def test_an_unusable_database_url_is_a_usage_error(
    tmp_path: Path, write_report: WriteReport
) -> None:
    report = write_report("h", "2026-03-01T09:00:00Z", [RETIRED])
    code, out = run("ingest", report, "--db", "nosuchdb://x")
    assert code == 2
    assert "nosuchdb://x" in out
    code, out = run("ingest", report, "--db", f"sqlite:///{tmp_path}/missing/dir/inv.db")
    assert code == 2
    assert "cannot open the database" in out


def test_default_database_lives_in_the_user_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, write_report: WriteReport
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    code, out = run("ingest", write_report("h", "2026-03-01T09:00:00Z", [RETIRED]))
    assert code == 0, out
    assert (tmp_path / "data" / "keysweep" / "inventory.db").is_file()
    code, out = run("where", "key-auth-2019")
    assert "~/.ssh/id_rsa" in out


def test_two_users_on_one_host_do_not_replace_each_other(
    db_url: str, write_report: WriteReport
) -> None:
    alice = write_report("shared-box", "2026-03-01T09:00:00Z", [RETIRED], user="alice")
    bob = write_report("shared-box", "2026-03-02T09:00:00Z", [ACTIVE], user="bob")
    code, out = run("ingest", alice, bob, "--db", db_url)
    assert code == 0, out
    assert len(where(db_url, RETIRED.spki)) == 1
    assert len(where(db_url, ACTIVE.spki)) == 1


def test_one_key_in_two_files_is_two_sightings(db_url: str, tmp_path: Path, rsa_pem: bytes) -> None:
    """A sweep reports the same key at two places as one finding with two locations;
    the inventory still records where each copy lives."""
    tree = tmp_path / "tree"
    (tree / "backup").mkdir(parents=True)
    (tree / "id_rsa").write_bytes(rsa_pem)
    (tree / "backup" / "id_rsa.bak").write_bytes(rsa_pem)
    report = tmp_path / "sweep.json"
    swept = CliRunner().invoke(
        cli, ["sweep", "--no-home", str(tree), "--normal-priority", "-o", str(report)]
    )
    assert swept.exit_code == 1, swept.output
    (finding,) = json.loads(report.read_text())["findings"]
    assert len(finding["locations"]) == 2
    assert run("ingest", report, "--db", db_url)[0] == 0
    spki = finding["key"]["fingerprints"]["spki_sha256"]
    paths = sorted(p["path"] for p in where(db_url, spki))
    assert [p.rsplit("/tree/", 1)[1] for p in paths] == ["backup/id_rsa.bak", "id_rsa"]
