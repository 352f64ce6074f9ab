"""The registry's own hygiene, with no scan: `keysweep registry check`.

Problems: active keys of departed owners, keys past rotation or expiry,
deactivated or compromised keys still not destroyed after a grace period,
retired keys still published in a given JWKS, duplicate fingerprints, owners
missing from `people`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta

from scanner.model import Severity
from scanner.registry.entries import Registry
from scanner.registry.importers.jwks import PublishedKey

GRACE_DAYS = 90
"""How long a deactivated or compromised key may wait for destruction."""
UNDESTROYED_STATES = ("deactivated", "compromised")


@dataclass(frozen=True)
class Problem:
    check: str
    """departed-owner | rotation-overdue | not-destroyed | retired-published |
    duplicate-fingerprint | unknown-owner"""
    severity: Severity
    key_id: str
    message: str


def audit(
    registry: Registry,
    published: Sequence[PublishedKey] = (),
    today: date | None = None,
    grace_days: int = GRACE_DAYS,
) -> list[Problem]:
    """Every hygiene problem of the registry, most severe first."""
    day = today or date.today()
    problems = [
        *_owners(registry),
        *_overdue(registry, day),
        *_not_destroyed(registry, day, grace_days),
        *_published(registry, published),
        *_duplicates(registry),
    ]
    return sorted(problems, key=lambda p: (-int(p.severity), p.check, p.key_id))


def _owners(registry: Registry) -> list[Problem]:
    out: list[Problem] = []
    for entry in registry.keys:
        if entry.owner is None:
            continue
        person = registry.owner(entry)
        if person is None:
            out.append(
                Problem(
                    "unknown-owner", Severity.LOW, entry.id, f"owner {entry.owner} is not in people"
                )
            )
        elif person.gone and not entry.retired:
            when = f" {person.departed_on.isoformat()}" if person.departed_on else ""
            message = f"{entry.state} key owned by {person.id}, {person.status}{when}"
            out.append(Problem("departed-owner", Severity.HIGH, entry.id, message))
    return out


def _overdue(registry: Registry, today: date) -> list[Problem]:
    out: list[Problem] = []
    for entry in registry.keys:
        if entry.retired:
            continue
        for reason in entry.overdue(today):
            out.append(
                Problem(
                    "rotation-overdue", Severity.MEDIUM, entry.id, f"{entry.state} key, {reason}"
                )
            )
    return out


def _not_destroyed(registry: Registry, today: date, grace_days: int) -> list[Problem]:
    out: list[Problem] = []
    for entry in registry.keys:
        if entry.state not in UNDESTROYED_STATES:
            continue
        since = entry.state_date
        if since is not None and since + timedelta(days=grace_days) > today:
            continue
        when = f" since {since.isoformat()}" if since else " (no date)"
        message = f"{entry.state}{when} and not destroyed after the {grace_days}-day grace period"
        out.append(Problem("not-destroyed", Severity.MEDIUM, entry.id, message))
    return out


def _published(registry: Registry, published: Sequence[PublishedKey]) -> list[Problem]:
    out: list[Problem] = []
    for item in published:
        entry = registry.find("spki_sha256", item.spki_sha256) or registry.find(
            "jwk_thumbprint", item.thumbprint
        )
        by = "fingerprint"
        if entry is None and item.kid:
            entry = next((e for e in registry.keys if item.kid in e.kids), None)
            by = f"kid {item.kid!r}"
        if entry is not None and entry.retired:
            message = f"{entry.state} key still published in the JWKS (matched by {by})"
            out.append(Problem("retired-published", Severity.HIGH, entry.id, message))
    return out


def _duplicates(registry: Registry) -> list[Problem]:
    out: list[Problem] = []
    for (kind, value), ids in registry.index.items():
        unique = list(dict.fromkeys(ids))
        if len(unique) > 1:
            message = f"{kind} {value[:16]}… is listed by {', '.join(unique)}"
            out.append(Problem("duplicate-fingerprint", Severity.MEDIUM, unique[0], message))
    return out


def as_text(registry: Registry, problems: Sequence[Problem]) -> str:
    if not problems:
        return f"{registry.path}: {len(registry.keys)} keys, no problems\n"
    lines = [f"{p.severity.label:8} {p.check:22} {p.key_id}: {p.message}" for p in problems]
    lines.append(f"{registry.path}: {len(registry.keys)} keys, {len(problems)} problems")
    return "\n".join(lines) + "\n"


def as_json(registry: Registry, problems: Sequence[Problem]) -> str:
    rows = [{**asdict(p), "severity": p.severity.label} for p in problems]
    body = {"registry": registry.path, "keys": len(registry.keys), "problems": rows}
    return json.dumps(body, indent=2) + "\n"
