"""Cross-check a parsed key or a found secret against the registry.

Verdicts and severities: the table in README.md ("What it does"). `check_tokens`
(JWTs) lives in `tokencheck.py` and is re-exported here.

A suspended key is not retired (it may come back): its copies are high, not
critical. An active key on a workstation inside the places its entry allows is
where it should be: informational. The same key in a repository stays high.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from fnmatch import fnmatchcase
from os.path import expanduser

from scanner.model import KeyInfo, Origin, RegistryHit, Severity, SourceKind, TokenInfo, Verdict
from scanner.registry.entries import MANAGED_CUSTODY, KeyEntry, Registry, SecretHash

SUSPENDED = "suspended"
OUTSIDE_ALLOWED = "outside its allowed locations"
_SCRYPT_CACHE: dict[tuple[bytes, SecretHash], str] = {}
"""sha256(secret) → scrypt hex, per process (the registry's parameters are in the key)."""
_CACHE_LIMIT = 50_000


def check_key(
    registry: Registry, key: KeyInfo, origin: Origin, today: date | None = None
) -> RegistryHit:
    """The registry's verdict on a private key found at `origin`."""
    entry, matched_by = match_key(registry, key)
    if entry is not None and matched_by is not None:
        return entry_verdict(registry, entry, matched_by, origin, today or date.today())
    if not key.parsed:
        return RegistryHit(Verdict.UNREGISTERED_KEY, Severity.LOW, reason="unparsable key material")
    if not key.public_known:
        return RegistryHit(
            Verdict.ENCRYPTED_UNKNOWN, Severity.LOW, reason="encrypted key, identity unknown"
        )
    return RegistryHit(Verdict.UNREGISTERED_KEY, Severity.MEDIUM, reason="unregistered key")


def match_key(registry: Registry, key: KeyInfo) -> tuple[KeyEntry | None, str | None]:
    """The entry listing any of the key's fingerprints, and which one matched."""
    candidates = [(kind, value) for kind, value in key.fingerprints.items() if value]
    candidates += [("x509_sha256", cert) for cert in key.certificates]
    for kind, value in candidates:
        normal = value.strip() if kind in ("jwk_thumbprint", "ssh_sha256") else _hex(value)
        entry = registry.find(kind, normal.rstrip("=") if kind == "ssh_sha256" else normal)
        if entry is not None:
            return entry, kind
    return None, None


def check_secret(
    registry: Registry, secret: bytes, today: date | None = None
) -> RegistryHit | None:
    """The verdict on a found secret when the registry lists its scrypt hash."""
    params = registry.secret_hash
    if params is None or not registry.has_symmetric:
        return None
    entry = registry.find("secret_hash", secret_hash(secret, params))
    if entry is None:
        return None
    return entry_verdict(registry, entry, "secret_hash", None, today or date.today())


SECRET_HASH_MAX_MEMORY = 256 * 1024 * 1024
SECRET_HASH_MAX_WORK = 1 << 22
"""A registry whose scrypt asks for more (128*n*r bytes, n*r*p work) is not hashed
with: a hostile registry must not stall the scan nor make findings vanish."""


def secret_hash_affordable(params: SecretHash) -> bool:
    n, r, p = params.n, params.r, params.p
    if min(n, r, p) < 1:
        return False
    return 128 * n * r <= SECRET_HASH_MAX_MEMORY and n * r * p <= SECRET_HASH_MAX_WORK


def secret_hash(secret: bytes, params: SecretHash) -> str:
    """scrypt(secret) as the registry stores it, cached by the secret's sha256."""
    cache_key = (hashlib.sha256(secret).digest(), params)
    cached = _SCRYPT_CACHE.get(cache_key)
    if cached is None:
        if not secret_hash_affordable(params):
            return ""  # never equal to a registry hash: no verdict, the finding stays
        if len(_SCRYPT_CACHE) >= _CACHE_LIMIT:
            _SCRYPT_CACHE.clear()
        try:
            cached = hashlib.scrypt(
                secret,
                salt=params.salt,
                n=params.n,
                r=params.r,
                p=params.p,
                maxmem=256 * params.n * params.r * params.p + (1 << 20),
                dklen=32,
            ).hex()
        except (ValueError, MemoryError):  # parameters OpenSSL refuses: no verdict
            return ""
        _SCRYPT_CACHE[cache_key] = cached
    return cached


def entry_hit(
    registry: Registry,
    entry: KeyEntry,
    verdict: Verdict,
    severity: Severity,
    matched_by: str,
    reason: str,
) -> RegistryHit:
    """A verdict about `entry`, with its state and owner filled in from the registry."""
    person = registry.owner(entry)
    return RegistryHit(
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
) -> RegistryHit:
    """What finding a copy of this entry's private part (or secret) means today."""
    person = registry.owner(entry)
    owner_words = owner_reason(registry, entry)

    def hit(verdict: Verdict, severity: Severity, reasons: list[str]) -> RegistryHit:
        reason = ", ".join(r for r in reasons if r)
        return entry_hit(registry, entry, verdict, severity, matched_by, reason)

    if entry.state == SUSPENDED:
        return hit(Verdict.SUSPENDED_KEY_PRESENT, Severity.HIGH, [state_words(entry), owner_words])
    if entry.retired:
        return hit(
            Verdict.RETIRED_KEY_PRESENT, Severity.CRITICAL, [state_words(entry), owner_words]
        )
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
        reasons.append(owner_words)
    severity = Severity.HIGH.raised() if (person and person.gone) or late else Severity.HIGH
    if verdict is Verdict.ACTIVE_KEY_PRESENT and in_allowed_place(entry, origin):
        severity = Severity.INFO
        reasons.append("in an allowed location on a workstation")
    return hit(verdict, severity, reasons)


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


def check_tokens(
    registry: Registry | None,
    tokens: Sequence[bytes],
    secrets: Sequence[bytes],
    public_keys: Sequence[bytes] = (),
    today: date | None = None,
) -> list[tuple[TokenInfo | None, RegistryHit | None]]:
    """One (TokenInfo, verdict) per token, in order; see `tokencheck`."""
    from scanner.registry.tokencheck import verify_tokens

    return verify_tokens(registry, tokens, secrets, public_keys, today or date.today())


def _hex(value: str) -> str:
    return value.replace(":", "").replace(" ", "").strip().lower()


__all__ = ["check_key", "check_secret", "check_tokens", "entry_verdict", "match_key"]
