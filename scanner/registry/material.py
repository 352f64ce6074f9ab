"""Refuse a registry document that carries anything that looks like key material.

A registry holds fingerprints and lifecycle only. This runs before the schema,
so the error says "key material" rather than "unknown field".
"""

from __future__ import annotations

import string
from typing import Any

from scanner.keys.jsonkeys import PRIVATE_MEMBERS

PEM_MARKERS = ("-----BEGIN", "PuTTY-User-Key-File-", "b3BlbnNzaC1rZXktdjE")
"""PEM armour, PuTTY key files, base64 of 'openssh-key-v1'."""
STRUCTURED = frozenset({"fingerprints", "public_jwk", "secret_hash", "aliases"})
"""Fields whose long values are expected (hashes, public numbers, a salt, key ids)."""
BLOB_CHARS = frozenset(string.ascii_letters + string.digits + "+=_-")
"""Base64 and base64url, less '/', so that long paths are not mistaken for blobs."""
BLOB_MIN = 40


def find(document: Any, where: str = "") -> tuple[str, str] | None:
    """(where, what) for the first piece of key material, or None."""
    return _walk(document, where, free_text=True)


def _walk(value: Any, where: str, free_text: bool) -> tuple[str, str] | None:
    if isinstance(value, str):
        return _in_string(value, where, free_text)
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _walk(item, f"{where}[{i}]", free_text)
            if found:
                return found
        return None
    if isinstance(value, dict):
        return _in_mapping(value, where, free_text)
    return None


def _in_mapping(value: dict[Any, Any], where: str, free_text: bool) -> tuple[str, str] | None:
    jwk_like = "kty" in value or where.endswith("public_jwk")
    for name, item in value.items():
        here = f"{where}.{name}" if where else str(name)
        if jwk_like and name in PRIVATE_MEMBERS:
            return here, f"JWK private member '{name}' (this is a private or secret key)"
        found = _walk(item, here, free_text and name not in STRUCTURED)
        if found:
            return found
    return None


def _in_string(value: str, where: str, free_text: bool) -> tuple[str, str] | None:
    for marker in PEM_MARKERS:
        if marker in value:
            return where, "contains key material (PEM or key file armour)"
    if free_text and looks_like_blob(value):
        return where, "contains a long base64 blob that may be key material or a secret"
    return None


def looks_like_blob(text: str) -> bool:
    """A run of 40+ base64 characters (no '/') mixing upper case, lower case and digits."""
    run: list[str] = []
    for char in [*text, " "]:
        if char in BLOB_CHARS:
            run.append(char)
            continue
        if len(run) >= BLOB_MIN and _mixed(run):
            return True
        run = []
    return False


def _mixed(run: list[str]) -> bool:
    return (
        any(c.isupper() for c in run)
        and any(c.islower() for c in run)
        and any(c.isdigit() for c in run)
    )
