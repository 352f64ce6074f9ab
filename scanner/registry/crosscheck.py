"""Cross-check a parsed key, a found secret or a found token against the registry.

The pipeline's three questions to the registry, in one place: `check_key`
matches a key by any of its fingerprints, `check_secret` a symmetric secret by
its scrypt hash, `check_tokens` verifies JWTs (`tokencheck`). What a matched
entry means (the verdict rules) is `verdicts`, shared with the token check and
the inventory's re-judgement.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from scanner.model import KeyInfo, Origin, RegistryVerdict, Severity, TokenInfo, Verdict
from scanner.registry.entries import KeyEntry, Registry
from scanner.registry.verdicts import check_secret, entry_verdict


def check_key(
    registry: Registry, key: KeyInfo, origin: Origin, today: date | None = None
) -> RegistryVerdict:
    """The registry's verdict on a private key found at `origin`."""
    entry, matched_by = match_key(registry, key)
    if entry is not None and matched_by is not None:
        return entry_verdict(registry, entry, matched_by, origin, today or date.today())
    if not key.parsed:
        return RegistryVerdict(
            Verdict.UNREGISTERED_KEY, Severity.LOW, reason="unparsable key material"
        )
    if not key.public_known:
        return RegistryVerdict(
            Verdict.ENCRYPTED_UNKNOWN, Severity.LOW, reason="encrypted key, identity unknown"
        )
    return RegistryVerdict(Verdict.UNREGISTERED_KEY, Severity.MEDIUM, reason="unregistered key")


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


def check_tokens(
    registry: Registry | None,
    tokens: Sequence[bytes],
    secrets: Sequence[bytes],
    public_keys: Sequence[bytes] = (),
    today: date | None = None,
) -> list[tuple[TokenInfo | None, RegistryVerdict | None]]:
    """One (TokenInfo, verdict) per token, in order; see `tokencheck` (PyJWT is
    imported only when a scan found tokens)."""
    from scanner.registry.tokencheck import verify_tokens

    return verify_tokens(registry, tokens, secrets, public_keys, today or date.today())


def _hex(value: str) -> str:
    return value.replace(":", "").replace(" ", "").strip().lower()


__all__ = ["check_key", "check_secret", "check_tokens", "match_key"]
