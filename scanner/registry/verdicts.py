"""What the registry says about one of its entries: the verdict rules in one place.

A key found on disk (`crosscheck.check_key`), a secret whose hash the registry
lists (`check_secret`), a token whose signer is a registry key (`tokencheck`)
and a stored sighting judged again when the registry changes
(`inventory.judge`) all end in the same few rules. They live here, below all of
those callers, so none of them imports another for a helper.

Verdicts and severities: the table in README.md ("What it does"). A suspended
key is not retired (it may come back): its copies are high, not critical. An
active key on a workstation inside the places its entry allows is where it
should be: informational. The same key in a repository stays high.
"""

from __future__ import annotations

from datetime import date
from fnmatch import fnmatchcase
from os.path import expanduser

from scanner.model import Origin, RegistryVerdict, Severity, SourceKind, Verdict
from scanner.registry.entries import MANAGED_CUSTODY, KeyEntry, Registry
from scanner.registry.secrethash import secret_hash

SUSPENDED = "suspended"
OUTSIDE_ALLOWED = "outside its allowed locations"


def about_entry(
    registry: Registry,
    entry: KeyEntry,
    verdict: Verdict,
    severity: Severity,
    matched_by: str,
    reason: str,
) -> RegistryVerdict:
    """A verdict about `entry`, with its state and owner filled in from the registry."""
    person = registry.owner(entry)
    return RegistryVerdict(
        verdict=verdict,
        severity=severity,
        key_id=entry.id,
        state=entry.state,
        owner=entry.owner,
        owner_status=person.status if person else None,
        matched_by=matched_by,
        reason=reason,
    )


def entry_verdict(
    registry: Registry, entry: KeyEntry, matched_by: str, origin: Origin | None, today: date
) -> RegistryVerdict:
    """What a copy of this entry's private part (or secret) at `origin` means today."""
    if entry.state == SUSPENDED or entry.retired:
        return _present(registry, entry, matched_by)
    person = registry.owner(entry)
    verdict, reasons = Verdict.ACTIVE_KEY_PRESENT, [f"{entry.state} key {entry.id}"]
    custody = custody_problem(entry, origin)
    if custody:
        verdict = Verdict.OUTSIDE_CUSTODY
        reasons.append(custody)
    late = entry.overdue(today)
    if late:
        verdict = Verdict.ROTATION_OVERDUE
        reasons.extend(late)
    if person is not None and person.gone:
        verdict = Verdict.DEPARTED_OWNER
        reasons.append(owner_reason(registry, entry))
    severity = Severity.HIGH.raised() if (person and person.gone) or late else Severity.HIGH
    if verdict is Verdict.ACTIVE_KEY_PRESENT and in_allowed_place(entry, origin):
        severity = Severity.INFO
        reasons.append("in an allowed location on a workstation")
    return about_entry(registry, entry, verdict, severity, matched_by, _words(reasons))


def _present(registry: Registry, entry: KeyEntry, matched_by: str) -> RegistryVerdict:
    """A suspended (high) or retired (critical) key that still has a copy."""
    reason = _words([state_words(entry), owner_reason(registry, entry)])
    if entry.state == SUSPENDED:
        verdict, severity = Verdict.SUSPENDED_KEY_PRESENT, Severity.HIGH
    else:
        verdict, severity = Verdict.RETIRED_KEY_PRESENT, Severity.CRITICAL
    return about_entry(registry, entry, verdict, severity, matched_by, reason)


def check_secret(
    registry: Registry, secret: bytes, today: date | None = None
) -> RegistryVerdict | None:
    """The verdict on a found secret when the registry lists its scrypt hash."""
    params = registry.secret_hash
    if params is None or not registry.has_symmetric:
        return None
    entry = registry.find("secret_hash", secret_hash(secret, params))
    if entry is None:
        return None
    return entry_verdict(registry, entry, "secret_hash", None, today or date.today())


def token_signer(
    registry: Registry | None, entry: KeyEntry | None, kid: str | None, matched_by: str
) -> RegistryVerdict | None:
    """The verdict on a token whose signature verifies with `entry`'s key or secret."""
    if registry is None or entry is None:
        return unknown_signer(registry, "signed by an unregistered key found in this scan")
    spoof = f", although its kid says {kid!r}" if kid and kid not in (entry.id, *entry.kids) else ""
    if entry.retired:
        words = _words([state_words(entry), owner_reason(registry, entry)])
        verdict, severity = Verdict.TOKEN_SIGNED_BY_RETIRED_KEY, Severity.CRITICAL
        reason = f"signed by retired key {entry.id} ({words}){spoof}"
    else:
        verdict, severity = Verdict.TOKEN_VERIFIED_ACTIVE, Severity.HIGH
        reason = (
            f"signed by {entry.state} key {entry.id}: a valid token is a live credential{spoof}"
        )
    return about_entry(registry, entry, verdict, severity, matched_by, reason)


def unknown_signer(registry: Registry | None, reason: str) -> RegistryVerdict | None:
    """No registry key or found secret signed it (no verdict without a registry)."""
    if registry is None:
        return None
    return RegistryVerdict(Verdict.TOKEN_UNKNOWN_SIGNER, Severity.LOW, reason=reason)


def in_allowed_place(entry: KeyEntry, origin: Origin | None) -> bool:
    """A workstation file at one of the places the entry allows (not merely anywhere,
    which is what an entry without allowed locations means)."""
    return (
        origin is not None
        and origin.source is SourceKind.WORKSTATION
        and bool(entry.allowed_locations)
        and not custody_problem(entry, origin)
    )


def state_words(entry: KeyEntry) -> str:
    when = entry.state_date
    return f"{entry.state} {when.isoformat()}" if when else entry.state


def owner_reason(registry: Registry, entry: KeyEntry) -> str:
    person = registry.owner(entry)
    if person is None or person.status == "active":
        return ""
    when = f" {person.departed_on.isoformat()}" if person.departed_on else ""
    return f"owner {person.id} {person.status}{when}"


def custody_problem(entry: KeyEntry, origin: Origin | None) -> str:
    """Why a file copy at `origin` breaks the entry's custody, or ''."""
    if entry.custody in MANAGED_CUSTODY:
        return f"custody is {entry.custody}: no file copy is allowed"
    if origin is None or not entry.allowed_locations:
        return ""
    paths = [p for p in (origin.path, origin.fs_path) if p]
    for pattern in entry.allowed_locations:
        globs = {pattern, expanduser(pattern)}
        if any(fnmatchcase(path, glob) for path in paths for glob in globs):
            return ""
    return OUTSIDE_ALLOWED


def _words(reasons: list[str]) -> str:
    return ", ".join(r for r in reasons if r)
