"""Registry entry skeletons for `keysweep key inspect --registry-entry`.

The entries follow the registry format (scanner/registry/schema.json) and validate
against its schema as printed; TODO comments and placeholders mark what only
a person can fill in (owner, purpose, dates, custody).
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from scanner.keys.inspect import Inspected
from scanner.model import KeyInfo

_JWS = {
    ("RSA", None): "RS256",
    ("EC", "P-256"): "ES256",
    ("EC", "P-384"): "ES384",
    ("EC", "P-521"): "ES512",
    ("Ed25519", None): "EdDSA",
    ("Ed448", None): "EdDSA",
}
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def key_id(path: str, index: int, count: int) -> str:
    """`id_rsa` → `id-rsa`; `AuthKey_ABC.p8` → `authkey-abc`; numbered when a file holds several."""
    base = os.path.basename(path)
    stem = base.split(".")[0] if not base.startswith(".") else base.lstrip(".")
    cleaned = "".join(c if c in _SAFE else "-" for c in stem.lower()).strip("-") or "key"
    cleaned = "-".join(part for part in cleaned.split("-") if part)
    return f"{cleaned}-{index}" if count > 1 else cleaned


def render(results: Sequence[Inspected]) -> str:
    entries: list[str] = []
    for item in results:
        usable = [k for k in item.keys if k.parsed and k.fingerprints]
        for index, key in enumerate(usable, 1):
            entries.append(entry(key_id(item.path, index, len(usable)), key, item.path))
    if not entries:
        return "# no key with a known public part: nothing to register\n"
    return "keys:\n" + "".join(entries)


def entry(ident: str, key: KeyInfo, path: str) -> str:
    jws = _JWS.get((key.algorithm or "", key.curve))
    lines = [
        f"  # from {_comment(path)}: {key.format}, {key.algorithm or '?'}",
        f"  - id: {ident}",
        "    kind: asymmetric",
        "    purpose: other  # TODO: token-signing | code-signing | tls | ssh | service-account | data-encryption | other",
    ]
    if jws:
        lines.append(f"    algorithm: {jws}  # TODO: the algorithm this key really signs with")
    lines += [
        "    state: active",
        "    owner: {person: TODO-owner, team: TODO}  # TODO: a person id from people:",
        "    fingerprints:",
    ]
    prints = key.fingerprints
    for name in ("spki_sha256", "jwk_thumbprint", "ssh_sha256"):
        if name in prints:
            lines.append(f'      {name}: "{prints[name]}"')
    if "pgp" in prints:
        lines.append(f'      pgp: "{prints["pgp"].lower()}"')
    if key.certificates:
        lines.append("      x509_sha256: [" + ", ".join(f'"{c}"' for c in key.certificates) + "]")
    return "\n".join(lines) + "\n"


def _comment(text: str) -> str:
    return "".join(c if c.isprintable() else "?" for c in text)[:200]
