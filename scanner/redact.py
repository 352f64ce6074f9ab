"""What of a secret may be shown: a short preview, its hashes and its length."""

from __future__ import annotations

import hashlib

import re2

from scanner.model import SecretInfo

_PEM_HEADER = re2.compile(rb"-----BEGIN [A-Z0-9 ]{1,40}-----")
_PREVIEW_MAX = 4


def secret_info(secret: bytes) -> SecretInfo:
    return SecretInfo(
        preview=preview(secret),
        sha256=hashlib.sha256(secret).hexdigest(),
        length=len(secret),
        sha1=hashlib.sha1(secret, usedforsecurity=False).hexdigest(),
    )


def preview(secret: bytes) -> str:
    """The PEM armour line (public knowledge) or a few leading characters, then '…'.

    At most a quarter of the secret and never more than four characters of it.
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
    keep = min(_PREVIEW_MAX, len(secret) // 4)
    return secret[:keep].decode("utf-8", errors="replace") + "…"


def finding_id(rule: str, path: str, secret_sha256: str, extra: str = "") -> str:
    """Content-based identity: rule, path and secret hash; never the line number."""
    material = "\x00".join((rule, path, secret_sha256, extra)).encode("utf-8", "surrogateescape")
    return hashlib.sha256(material).hexdigest()[:40]
