"""A keysweep JSON report (sweep, scan or git) → what the inventory stores.

Only findings about keys are kept: those with key analysis or a registry key id.
Nothing secret is read out of the report beyond what it already carries:
fingerprints (hashes of public material) and, for symmetric registry matches,
the secret's keyed hash, stored with the id of the key that made it
(`summary.secret_hash.key_id`), so hashes made with different keys never look
alike. Reports from older keysweeps carried a plain SHA-256 of each secret, and
ids built on it: neither is ever stored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from scanner import safeload
from scanner.errors import InventoryError

SECRET_HASH = "secret_keyed_hash"
"""Fingerprint kind of a symmetric secret: '<hash key id>:<keyed hash>'."""


@dataclass(frozen=True)
class SightingRecord:
    path: str
    identity: str
    fingerprints: tuple[tuple[str, str], ...]
    key_id: str | None
    verdict: str | None
    state: str | None
    severity: str
    rule: str
    format: str | None
    algorithm: str | None
    file_mode: str | None


@dataclass(frozen=True)
class ReportRecord:
    id: str
    host: str
    kind: str
    roots: tuple[str, ...]
    time: datetime
    partial: bool
    user: str | None
    keysweep_version: str | None
    rules_version: str | None
    source_name: str
    sightings: tuple[SightingRecord, ...] = field(default=())

    @property
    def scope(self) -> str:
        """What the report covers: a later report replaces only a report of the same
        scope (kind, user and roots: two users' sweeps of one host are two scopes)."""
        material = json.dumps([self.kind, self.user or "", sorted(self.roots)])
        return hashlib.sha256(material.encode()).hexdigest()[:32]


def read_report(
    path: Path, *, host: str | None = None, now: datetime | None = None
) -> ReportRecord:
    try:
        document = safeload.json_loads(safeload.read_bytes(path))
    except (OSError, ValueError) as exc:
        raise InventoryError(f"{path}: not a readable JSON report: {exc}") from None
    if not isinstance(document, dict) or not isinstance(document.get("findings"), list):
        raise InventoryError(f"{path}: not a keysweep JSON report (no 'findings' list)")
    return parse_report(document, source_name=str(path), host=host, now=now)


def parse_report(
    document: Mapping[str, Any],
    *,
    source_name: str,
    host: str | None = None,
    now: datetime | None = None,
) -> ReportRecord:
    summary = _mapping(document.get("summary"))
    meta = _mapping(document.get("meta")) or _mapping(summary.get("meta"))
    tool = _mapping(document.get("tool"))
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"))
    key_id = _hash_key_id(summary)
    sightings = _sightings(document.get("findings") or [], key_id)
    roots = meta.get("roots") or summary.get("roots") or []
    named = str(meta.get("host") or host or "unknown")
    return ReportRecord(
        id=report_id(named, canonical),
        host=named,
        kind=str(meta.get("kind") or ("sweep" if "host" in meta else "scan")),
        roots=tuple(str(r) for r in roots) if isinstance(roots, list) else (),
        time=_time(meta.get("time"), now),
        partial=bool(meta.get("partial", summary.get("partial", False))),
        user=_text(meta.get("user")),
        keysweep_version=_text(meta.get("keysweep_version") or tool.get("version")),
        rules_version=_text(meta.get("rules_version") or tool.get("rules_version")),
        source_name=source_name,
        sightings=sightings,
    )


def report_id(host: str, canonical: str) -> str:
    """A report's id: its host and its document. Per host, so one host's upload can
    neither stand for another's identical report (which would then never be stored)
    nor tell whether another host sent that document."""
    material = json.dumps([host, canonical])
    return hashlib.sha256(material.encode("utf-8", "surrogateescape")).hexdigest()


def _hash_key_id(summary: Mapping[str, Any]) -> str | None:
    """Which key made the report's secret hashes; None for reports without keyed hashes."""
    key_id = _mapping(summary.get("secret_hash")).get("key_id")
    return str(key_id) if isinstance(key_id, str) and key_id else None


def _sightings(findings: list[Any], key_id: str | None) -> tuple[SightingRecord, ...]:
    seen: dict[tuple[str, str], SightingRecord] = {}
    for finding in findings:
        if not isinstance(finding, dict):
            continue
        for place in _places(finding):
            record = _sighting(place, key_id)
            if record is not None:
                seen.setdefault((record.path, record.identity), record)
    return tuple(seen.values())


def _places(finding: dict[str, Any]) -> list[dict[str, Any]]:
    """A finding at each of its `locations` (one secret found in several files is
    one finding listing them): every place is a sighting."""
    places = finding.get("locations")
    if not isinstance(places, list) or len(places) < 2:
        return [finding]
    return [
        {**finding, **{k: p.get(k) for k in ("path", "archive_member", "file_mode")}}
        for p in places
        if isinstance(p, dict)
    ]


def _sighting(finding: Mapping[str, Any], hash_key: str | None) -> SightingRecord | None:
    key = _mapping(finding.get("key"))
    registry = _mapping(finding.get("registry"))
    key_id = _text(registry.get("key_id"))
    if not key and key_id is None:
        return None
    prints = _fingerprints(key, finding, key_id, hash_key)
    path = str(finding.get("path") or "")
    if finding.get("archive_member"):
        path = f"{path}!{finding['archive_member']}"
    identity = _identity(prints, key_id, finding if hash_key else {})
    return SightingRecord(
        path=path,
        identity=identity,
        fingerprints=prints,
        key_id=key_id,
        verdict=_text(registry.get("verdict")),
        state=_text(registry.get("state")),
        severity=str(finding.get("severity") or "unknown"),
        rule=str(finding.get("rule") or "unknown"),
        format=_text(key.get("format")),
        algorithm=_text(key.get("algorithm")),
        file_mode=_text(finding.get("file_mode")),
    )


def _fingerprints(
    key: Mapping[str, Any], finding: Mapping[str, Any], key_id: str | None, hash_key: str | None
) -> tuple[tuple[str, str], ...]:
    out: list[tuple[str, str]] = []
    for kind, value in _mapping(key.get("fingerprints")).items():
        values = value if isinstance(value, list) else [value]
        out.extend((str(kind), str(v)) for v in values if v)
    certificates = key.get("certificates")
    if isinstance(certificates, list):
        out.extend(("certificate_sha256", str(c)) for c in certificates if c)
    secret = _mapping(finding.get("secret"))
    if not key and key_id is not None and hash_key and secret.get("hash"):
        out.append((SECRET_HASH, f"{hash_key}:{secret['hash']}"))
    return tuple(dict.fromkeys(out))


def _identity(
    prints: tuple[tuple[str, str], ...], key_id: str | None, finding: Mapping[str, Any]
) -> str:
    by_kind = dict(prints)
    for kind in ("spki_sha256", "jwk_thumbprint", "ssh_sha256", "pgp", SECRET_HASH):
        if kind in by_kind:
            return f"{kind}:{by_kind[kind]}"
    if prints:
        return f"{prints[0][0]}:{prints[0][1]}"
    if key_id is not None:
        return f"key:{key_id}"
    return f"finding:{finding.get('id') or 'unknown'}"


def _time(value: Any, now: datetime | None) -> datetime:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is not None:
                parsed = parsed.astimezone(UTC).replace(tzinfo=None)
            return parsed
    return naive_utc(now)


def naive_utc(moment: datetime | None = None) -> datetime:
    moment = moment or datetime.now(UTC)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)
