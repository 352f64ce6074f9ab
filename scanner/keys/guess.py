"""A best-guess format name for text that looked like a key but did not parse.

A finding on damaged key material still says what it seems to be (a PKCS#1
PEM, a PuTTY file), from markers in its first 4 KiB. Binary material is named
by its file name, from the key-format table (`formats.guess`).
"""

from __future__ import annotations

TEXT_MARKERS = (
    ("RSA PRIVATE KEY", "pkcs1-pem"),
    ("EC PRIVATE KEY", "sec1-pem"),
    ("DSA PRIVATE KEY", "dsa-pem"),
    ("ENCRYPTED PRIVATE KEY", "pkcs8-encrypted"),
    ("OPENSSH PRIVATE KEY", "openssh"),
    ("PGP PRIVATE KEY", "pgp"),
    ("PRIVATE KEY", "pkcs8-pem"),
    ("PuTTY", "putty"),
    ("SSH2 ENCRYPTED", "ssh2"),
    ("kty", "jwk"),
    ("private_key", "gcp-service-account"),
    ("client-key-data", "kubeconfig"),
)
"""Marker → format name, the first match wins (so the more specific come first)."""


def text_guess(text: str) -> str:
    head = text[:4096]
    for marker, fmt in TEXT_MARKERS:
        if marker in head:
            return fmt
    return "unknown"
