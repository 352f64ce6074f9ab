"""Import a JWKS snapshot (file or URL) into a registry document.

Each public JWK becomes (or updates) an entry with its SPKI fingerprint, RFC 7638
thumbprint, kid and public part. A key that an earlier JWKS import added and
that this snapshot no longer publishes becomes deactivated today. A JWKS that
carries private members is refused: it is a key leak, not a key list.
"""

from __future__ import annotations

import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from scanner import safeload
from scanner.errors import RegistryError
from scanner.keys.tokens import family
from scanner.registry import jwk as jwks_keys
from scanner.registry.importers import ImportSummary, find_entry, ident

MAX_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class PublishedKey:
    """One public JWK of a snapshot, with its identities."""

    public: Mapping[str, str]
    spki_sha256: str
    thumbprint: str
    kid: str | None
    alg: str | None


def read_jwks(source: str, timeout: float = 10.0) -> list[PublishedKey]:
    """The keys of a JWKS file or http(s) URL; RegistryError with one line on any problem."""
    raw = _fetch(source, timeout) if source.startswith(("https://", "http://")) else _read(source)
    try:
        document = safeload.json_loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{source}: not a JSON Web Key Set: {exc}") from None
    keys = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(keys, list):
        raise RegistryError(f"{source}: not a JSON Web Key Set: no 'keys' list")
    return [_published(source, i, item) for i, item in enumerate(keys)]


def _read(source: str) -> bytes:
    try:
        return safeload.read_bytes(source, MAX_BYTES)
    except safeload.LoadError as exc:
        raise RegistryError(f"{source}: cannot read: {exc}") from None
    except OSError as exc:
        raise RegistryError(f"{source}: cannot read: {exc.strerror or exc}") from None


def _fetch(url: str, timeout: float) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            data: bytes = response.read(MAX_BYTES)
            return data
    except (OSError, ValueError) as exc:
        raise RegistryError(f"{url}: cannot fetch: {exc}") from None


def _published(source: str, index: int, item: Any) -> PublishedKey:
    where = f"{source}: keys[{index}]"
    if not isinstance(item, dict):
        raise RegistryError(f"{where}: not a JWK object")
    private = jwks_keys.private_members(item)
    if private:
        raise RegistryError(
            f"{where}: JWK private member {private[0]!r}: this JWKS publishes a private or "
            "secret key (a key leak); refusing to import it"
        )
    try:
        key = jwks_keys.to_public_key(item)
        thumbprint = jwks_keys.thumbprint(item)
    except jwks_keys.JwkError as exc:
        raise RegistryError(f"{where}: unusable public key: {exc}") from None
    kid, alg = item.get("kid"), item.get("alg")
    return PublishedKey(
        public=jwks_keys.public_part(item),
        spki_sha256=jwks_keys.spki_sha256(key),
        thumbprint=thumbprint,
        kid=kid if isinstance(kid, str) else None,
        alg=alg if isinstance(alg, str) and alg in family(key) else None,
    )


def import_jwks(
    document: dict[str, Any], published: list[PublishedKey], today: date
) -> ImportSummary:
    """Update `document` in place from one JWKS snapshot."""
    summary = ImportSummary()
    keys: list[dict[str, Any]] = document.setdefault("keys", [])
    seen: set[str] = set()
    for item in published:
        entry = find_entry(document, "spki_sha256", item.spki_sha256) or find_entry(
            document, "jwk_thumbprint", item.thumbprint
        )
        if entry is None:
            entry = _new_entry(item, [k["id"] for k in keys])
            keys.append(entry)
            summary.added.append(entry["id"])
        else:
            _update(entry, item)
            summary.updated.append(entry["id"])
        seen.add(entry["id"])
    for entry in keys:
        gone = entry["id"] not in seen and entry.get("imported_from") == "jwks"
        if gone and entry.get("state") in ("active", "pre-activation"):
            entry["state"] = "deactivated"
            entry.setdefault("dates", {})["deactivated"] = today.isoformat()
            summary.deactivated.append(entry["id"])
    return summary


def _new_entry(item: PublishedKey, taken: list[str]) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "id": ident(item.kid or f"jwk-{item.thumbprint[:16]}", taken),
        "kind": "asymmetric",
        "purpose": "data-encryption" if item.public.get("use") == "enc" else "token-signing",
        "state": "active",
    }
    if item.alg:
        entry["algorithm"] = item.alg
    entry["fingerprints"] = {}
    entry["imported_from"] = "jwks"
    _update(entry, item)
    return entry


def _update(entry: dict[str, Any], item: PublishedKey) -> None:
    prints = entry.setdefault("fingerprints", {})
    prints["spki_sha256"] = item.spki_sha256
    prints["jwk_thumbprint"] = item.thumbprint
    entry["public_jwk"] = dict(item.public)
    if item.alg and "algorithm" not in entry:
        entry["algorithm"] = item.alg
    if item.kid:
        kids = entry.setdefault("aliases", {}).setdefault("jwk_kid", [])
        if item.kid not in kids:
            kids.append(item.kid)
