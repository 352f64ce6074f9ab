"""Re-judge stored sightings against a registry, with the scanner's own verdict rules.

A sweep judged each key against the registry it had on the day. When the
registry changes (a key is retired at 10:00), every sighting already stored
is judged again here, without a new sweep: keys through
`registry.crosscheck.check_key` / `entry_verdict`, tokens through the
verdict rule for a signer's state (`registry.verdicts`), symmetric secrets by their registry id
(the inventory holds no secret to hash again). No verdict rule lives here.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from scanner.model import KeyInfo, Origin, RegistryVerdict, Verdict
from scanner.registry.crosscheck import check_key
from scanner.registry.entries import Registry
from scanner.registry.verdicts import entry_verdict
from scanner.registry.verdicts import token_signer as token_verdict

ENTRY_VERDICTS = frozenset(
    {
        Verdict.RETIRED_KEY_PRESENT,
        Verdict.ACTIVE_KEY_PRESENT,
        Verdict.OUTSIDE_CUSTODY,
        Verdict.DEPARTED_OWNER,
        Verdict.ROTATION_OVERDUE,
    }
)
SIGNED_TOKEN_VERDICTS = frozenset(
    {Verdict.TOKEN_SIGNED_BY_RETIRED_KEY, Verdict.TOKEN_VERIFIED_ACTIVE}
)
CRITICAL_VERDICTS = frozenset(
    {Verdict.RETIRED_KEY_PRESENT, Verdict.TOKEN_SIGNED_BY_RETIRED_KEY, Verdict.TOKEN_ALG_NONE}
)
"""Verdicts that raise an alert: a retired key still present, a forged token."""


@dataclass(frozen=True)
class Stored:
    """What the inventory holds about one sighting, as far as judging needs."""

    id: int
    path: str
    identity: str
    key_id: str | None
    verdict: str | None
    state: str | None
    severity: str
    fingerprints: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Judgement:
    key_id: str | None
    verdict: str | None
    state: str | None
    severity: str

    def differs(self, stored: Stored) -> bool:
        return (self.key_id, self.verdict, self.state, self.severity) != (
            stored.key_id,
            stored.verdict,
            stored.state,
            stored.severity,
        )


def judge(registry: Registry, stored: Stored, today: date) -> Judgement | None:
    """The registry's verdict on a stored sighting, or None to keep what the report said."""
    if stored.verdict in SIGNED_TOKEN_VERDICTS:
        return _token(registry, stored)
    if stored.identity.startswith(("secret_keyed_hash:", "secret_removed:")):
        return _secret(registry, stored, today)
    if not stored.fingerprints:
        return None
    key = KeyInfo(
        format="stored",
        fingerprints={k: v for k, v in stored.fingerprints if k != "certificate_sha256"},
        certificates=tuple(v for k, v in stored.fingerprints if k == "certificate_sha256"),
    )
    hit = check_key(registry, key, _origin(stored.path), today)
    if hit.key_id is None and stored.verdict not in ENTRY_VERDICTS:
        return None
    return _from_hit(hit)


def judge_all(
    registry: Registry, sightings: Iterable[Stored], today: date
) -> list[tuple[Stored, Judgement]]:
    """Every sighting whose verdict changes, with its new judgement."""
    out: list[tuple[Stored, Judgement]] = []
    for stored in sightings:
        judgement = judge(registry, stored, today)
        if judgement is not None and judgement.differs(stored):
            out.append((stored, judgement))
    return out


def group_fingerprints(
    rows: Iterable[tuple[int, str, str]],
) -> Mapping[int, tuple[tuple[str, str], ...]]:
    """(sighting id, kind, value) rows → fingerprints by sighting id."""
    out: defaultdict[int, list[tuple[str, str]]] = defaultdict(list)
    for sighting_id, kind, value in rows:
        out[sighting_id].append((kind, value))
    return {k: tuple(v) for k, v in out.items()}


def _token(registry: Registry, stored: Stored) -> Judgement | None:
    entry = registry.entry(stored.key_id) if stored.key_id else None
    if entry is None:
        return None
    hit = token_verdict(registry, entry, None, "signature")
    return _from_hit(hit) if hit is not None else None


def _secret(registry: Registry, stored: Stored, today: date) -> Judgement | None:
    entry = registry.entry(stored.key_id) if stored.key_id else None
    if entry is None:
        return Judgement(None, None, None, stored.severity) if stored.key_id else None
    return _from_hit(entry_verdict(registry, entry, "secret_hash", None, today))


def _from_hit(hit: RegistryVerdict) -> Judgement:
    return Judgement(hit.key_id, str(hit.verdict), hit.state, hit.severity.label)


def _origin(path: str) -> Origin:
    outer, _, member = path.partition("!")
    return Origin(path=outer, archive_member=member or None)
