"""Inventory fixtures: a database per test (SQLite always, PostgreSQL when
KEYSWEEP_TEST_PG_URL names a server) and sweep reports rendered by the real
JSON reporter from real model objects."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from support import fresh_database, postgres_server

from scanner.model import (
    Finding,
    FindingId,
    KeyInfo,
    Origin,
    RegistryVerdict,
    Report,
    RuleKind,
    SecretInfo,
    Severity,
    Verdict,
)
from scanner.report import render


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'inventory.db'}"
        return
    yield from fresh_database(postgres_server())


@dataclass(frozen=True)
class Key:
    path: str
    spki: str
    key_id: str | None = None
    state: str | None = None
    member: str | None = None

    @property
    def verdict(self) -> Verdict:
        if self.key_id is None:
            return Verdict.UNREGISTERED_KEY
        if self.state in ("deactivated", "compromised", "destroyed", "suspended"):
            return Verdict.RETIRED_KEY_PRESENT
        return Verdict.ACTIVE_KEY_PRESENT


def _finding(key: Key) -> Finding:
    hit = RegistryVerdict(
        verdict=key.verdict,
        severity=Severity.CRITICAL if key.state == "deactivated" else Severity.MEDIUM,
        key_id=key.key_id,
        state=key.state,
        matched_by="spki_sha256" if key.key_id else None,
    )
    return Finding(
        id=FindingId(uuid.uuid5(uuid.NAMESPACE_URL, key.path + key.spki).hex),
        rule="key.rsa-pkcs1",
        name="RSA private key",
        kind=RuleKind.PRIVATE_KEY,
        severity=hit.severity,
        detector="rules",
        origin=Origin(path=key.path, archive_member=key.member, file_mode="0o600"),
        line=1,
        column=1,
        end_line=27,
        secret=SecretInfo(preview="-----BEGIN…", keyed_hash="0" * 64, length=1675),
        key=KeyInfo(
            format="pkcs1-pem",
            algorithm="RSA",
            bits=2048,
            fingerprints={"spki_sha256": key.spki, "jwk_thumbprint": "jwk-" + key.spki[:8]},
        ),
        registry=hit,
    )


WriteReport = Callable[..., Path]


@pytest.fixture
def write_report(tmp_path: Path) -> WriteReport:
    """write_report(host, time, keys, partial=False, kind='sweep', user='dev') → a JSON file."""
    counter = iter(range(10_000))

    def _write(
        host: str | None,
        time: str,
        keys: list[Key],
        partial: bool = False,
        kind: str = "sweep",
        user: str = "dev",
    ) -> Path:
        meta: dict[str, object] = {
            "kind": kind,
            "time": time,
            "partial": partial,
            "roots": ["~"],
            "user": user,
        }
        if host is not None:
            meta["host"] = host
        report = Report(
            findings=tuple(_finding(k) for k in keys),
            partial=partial,
            roots=("~",),
            meta=meta if kind == "sweep" else {},
        )
        path = tmp_path / f"report-{next(counter)}.json"
        path.write_text(render(report, "json"), encoding="utf-8")
        return path

    return _write
