"""What of a secret may be shown: a short preview, a keyed hash and its length.

No plain hash of a secret is ever shown: every hash here goes through the
process's `hashkey.Hasher` (HMAC-SHA-256 under the organisation's or this
installation's key, or a slow scrypt), so reading a report does not let anyone
confirm a guessed secret. The SHA-1 kept on `SecretInfo` matches detect-secrets
baselines in memory and is never written anywhere.
"""

from __future__ import annotations

import hashlib

import re2

from scanner import hashkey
from scanner.model import SecretInfo

_PEM_HEADER = re2.compile(rb"-----BEGIN [A-Z0-9 ]{1,40}-----")
_PREVIEW_MAX = 4
_PREVIEW_SHARE = 5
"""At most one character in five of the secret is shown."""
_SECRET = b"secret\x00"
_DERIVED = b"derived\x00"


def secret_info(secret: bytes) -> SecretInfo:
    return SecretInfo(
        preview=preview(secret),
        keyed_hash=secret_hash(secret),
        length=len(secret),
        sha1=hashlib.sha1(secret, usedforsecurity=False).hexdigest(),
    )


def secret_hash(secret: bytes, hasher: hashkey.Hasher | None = None) -> str:
    """The keyed hash of a secret: equal secrets, equal hashes, under one key
    (`hasher`, by default the process's)."""
    return (hasher or hashkey.current()).hexdigest(_SECRET + secret)


def rekey(digest: str) -> str:
    """A keyed hash of a value that another stage hashed plainly (a token's SHA-256,
    a token subject's), so that only the keyed form is shown."""
    return hashkey.current().hexdigest(_DERIVED + digest.encode("ascii", "replace"))


def preview(secret: bytes) -> str:
    """The PEM armour line (public knowledge) or a few leading characters, then '…'.

    At most a fifth of the secret and never more than four characters of it.
    """
    header = _PEM_HEADER.search(secret[:200])
    if header:
        shown: bytes = header.group(0)
        body = secret[int(header.end()) :].lstrip()
        return (
            shown.decode("ascii")
            + body[: min(_PREVIEW_MAX, len(body) // 8)].decode("utf-8", errors="replace")
            + "…"
        )
    keep = min(_PREVIEW_MAX, len(secret) // _PREVIEW_SHARE)
    return secret[:keep].decode("utf-8", errors="replace") + "…"


def finding_id(rule: str, path: str, secret_hash: str, extra: str = "") -> str:
    """Content-based identity: rule, path and the secret's keyed hash; never the line
    number. Built on the keyed hash, so the id confirms no guess either."""
    material = "\x00".join((rule, path, secret_hash, extra)).encode("utf-8", "surrogateescape")
    return hashlib.sha256(material).hexdigest()[:40]
