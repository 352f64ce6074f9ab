"""Verify every JWT found by a scan offline, and attribute it to a registry key.

The loop is ours on purpose: the key named by `kid` first,
then every other registry key with a public part, then every public key found
in the same scan (mapped to registry entries by SPKI fingerprint). The algorithm
comes from the registry entry or the key's type, never from the token.
HS256/384/512 tokens are tried with the secrets found in the same scan.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from scanner.keys import tokens
from scanner.keys.fingerprint import VerifyKey
from scanner.model import RegistryVerdict, Severity, TokenInfo, Verdict
from scanner.registry import jwk
from scanner.registry.entries import KeyEntry, Registry
from scanner.registry.verdicts import check_secret, token_signer, unknown_signer

Result = tuple[TokenInfo | None, RegistryVerdict | None]


@dataclass(frozen=True)
class Candidate:
    """A public key to try, its pinned algorithms and the registry entry it belongs to."""

    key: VerifyKey
    algorithms: tuple[str, ...]
    entry: KeyEntry | None
    label: str


def verify_tokens(
    registry: Registry | None,
    found: Sequence[bytes],
    secrets: Sequence[bytes],
    public_keys: Sequence[bytes],
    today: date,
) -> list[Result]:
    candidates = candidates_for(registry, public_keys)
    hmac_keys = tokens.hmac_keys(list(dict.fromkeys(s for s in secrets if s)))
    return [_one(registry, token, candidates, hmac_keys, today) for token in found]


def candidates_for(registry: Registry | None, public_keys: Sequence[bytes]) -> list[Candidate]:
    out: list[Candidate] = []
    seen: set[str] = set()
    for entry in registry.keys if registry else ():
        if entry.public_jwk is None:
            continue
        try:
            key = jwk.to_public_key(entry.public_jwk)
        except jwk.JwkError:
            continue
        seen.add(jwk.spki_sha256(key))
        out.append(Candidate(key, tokens.pinned(key, entry.algorithm), entry, entry.id))
    for der in public_keys:
        found = tokens.public_key_from_der(der)
        if found is None:
            continue
        spki = jwk.spki_sha256(found)
        if spki in seen:
            continue
        seen.add(spki)
        owner = registry.find("spki_sha256", spki) if registry else None
        algorithms = tokens.pinned(found, owner.algorithm if owner else None)
        out.append(Candidate(found, algorithms, owner, owner.id if owner else f"spki:{spki[:16]}"))
    return out


def named_entry(registry: Registry | None, kid: str | None) -> KeyEntry | None:
    if registry is None or not kid:
        return None
    for entry in registry.keys:
        if (
            kid == entry.id
            or kid in entry.kids
            or (kid,) == entry.fingerprints.get("jwk_thumbprint")
        ):
            return entry
    return None


def _one(
    registry: Registry | None,
    token: bytes,
    candidates: list[Candidate],
    hmac_keys: list[tuple[bytes, bytes]],
    today: date,
) -> Result:
    decoded = tokens.decode_unverified(token)
    if decoded is None:
        return None, None
    info = decoded.info
    if decoded.alg.lower() == "none":
        return info, RegistryVerdict(
            Verdict.TOKEN_ALG_NONE, Severity.CRITICAL, reason="alg none: an unsigned token"
        )
    named = named_entry(registry, decoded.kid)
    ordered = sorted(candidates, key=lambda c: not (named and c.entry and c.entry.id == named.id))
    for candidate in ordered:
        if tokens.verifies(token, candidate.key, candidate.algorithms):
            info = replace(info, verified_by=candidate.label)
            return info, token_signer(registry, candidate.entry, decoded.kid, "signature")
    secret = tokens.hmac_signer(token, hmac_keys) if decoded.alg in tokens.HMAC_ALGORITHMS else None
    if secret is not None:
        return _by_secret(registry, info, secret, decoded.kid, today)
    if named is not None:
        return info, RegistryVerdict(
            Verdict.TOKEN_UNVERIFIED_KID,
            Severity.HIGH,
            key_id=named.id,
            state=named.state,
            owner=named.owner,
            matched_by="kid",
            reason=f"kid names registry key {named.id} but the signature verifies with no "
            "registered key",
        )
    return info, unknown_signer(
        registry, "signer unknown: no registry key or found secret verifies it"
    )


def _by_secret(
    registry: Registry | None, info: TokenInfo, secret: bytes, kid: str | None, today: date
) -> Result:
    label = f"secret:{hashlib.sha256(secret).hexdigest()[:12]}"
    hit = check_secret(registry, secret, today) if registry else None
    entry = registry.entry(hit.key_id) if registry and hit and hit.key_id else None
    info = replace(info, verified_by=entry.id if entry else label)
    if entry is None:
        return info, unknown_signer(
            registry, "signed with a secret found in this scan, not registered"
        )
    return info, token_signer(registry, entry, kid, "secret_hash")
