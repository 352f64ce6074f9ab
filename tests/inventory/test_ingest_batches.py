"""Ingest writes a report in a few statements whatever its size: a report larger than
one batch of rows is stored whole, on SQLite and PostgreSQL, and the sightings the
upsert reports as new, newest and closed are the ones the database holds."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from scanner.inventory.db import open_engine
from scanner.inventory.extract import parse_report
from scanner.inventory.ingest import Ingested, ingest_report
from scanner.inventory.models import Fingerprint, Sighting

KEYS = 1500
"""More sightings than one multi-row statement carries (SQLAlchemy pages at 1000)."""


def _spki(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


def _report(day: int, labels: list[str]) -> dict[str, Any]:
    findings = [
        {
            "id": _spki("finding" + label)[:40],
            "rule": "key.rsa-pkcs1",
            "severity": "high",
            "path": f"~/keys/{label}.pem",
            "key": {
                "format": "pkcs1-pem",
                "algorithm": "RSA",
                "fingerprints": {"spki_sha256": _spki(label), "jwk_thumbprint": _spki("j" + label)},
            },
        }
        for label in labels
    ]
    meta = {"kind": "sweep", "host": "h1", "user": "dev", "roots": ["~"], "partial": False}
    meta["time"] = f"2026-03-{day:02d}T09:00:00+00:00"
    return {"findings": findings, "summary": {"meta": meta}}


def _ingest(db_url: str, document: dict[str, Any]) -> Ingested:
    engine = open_engine(db_url)
    try:
        with Session(engine) as session, session.begin():
            return ingest_report(session, parse_report(document, source_name="test"))
    finally:
        engine.dispose()


def _count(db_url: str, query: Any) -> int:
    engine = open_engine(db_url)
    try:
        with Session(engine) as session:
            return int(session.scalar(query) or 0)
    finally:
        engine.dispose()


def test_a_report_larger_than_a_batch_is_stored_whole(db_url: str) -> None:
    labels = [f"k{i}" for i in range(KEYS)]
    first = _ingest(db_url, _report(1, labels))
    assert (first.result.new, first.result.closed, first.result.reopened) == (KEYS, 0, 0)
    assert len({i for i, _ in first.created}) == len(set(first.newest)) == KEYS
    assert _count(db_url, select(func.count()).select_from(Sighting)) == KEYS
    assert _count(db_url, select(func.count()).select_from(Fingerprint)) == 2 * KEYS
    assert _ingest(db_url, _report(1, labels)).result.already


def test_new_closed_and_reopened_sightings_are_named_by_id(db_url: str) -> None:
    labels = [f"k{i}" for i in range(KEYS)]
    first = _ingest(db_url, _report(1, labels))
    ids = {item.path: i for i, item in first.created}
    second = _ingest(db_url, _report(2, [*labels[1:], "extra"]))
    assert (second.result.new, second.result.closed, second.result.reopened) == (1, 1, 0)
    assert second.closed == (ids["~/keys/k0.pem"],)
    assert [item.path for _, item in second.created] == ["~/keys/extra.pem"]
    assert len(second.newest) == KEYS
    third = _ingest(db_url, _report(3, labels))
    assert (third.result.new, third.result.closed, third.result.reopened) == (0, 1, 1)
    gone = select(func.count()).select_from(Sighting).where(Sighting.gone_since.is_not(None))
    assert _count(db_url, gone) == 1  # "extra", closed by the third report


def test_an_older_report_ingested_late_is_newest_on_nothing_it_shares(db_url: str) -> None:
    _ingest(db_url, _report(5, ["a", "b"]))
    late = _ingest(db_url, _report(1, ["a", "c"]))
    assert (late.result.new, late.result.closed, late.result.reopened) == (1, 0, 0)
    [(created_id, item)] = late.created
    assert item.path == "~/keys/c.pem" and late.newest == (created_id,)
    still = select(func.count()).select_from(Sighting).where(Sighting.gone_since.is_(None))
    assert _count(db_url, still) == 2  # "c" is recorded as already gone
