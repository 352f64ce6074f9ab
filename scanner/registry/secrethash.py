"""The registry's scrypt hash of a symmetric secret, bounded and cached.

A registry lists a symmetric secret by `scrypt(secret)` with its own
parameters. A hostile registry could ask for gigabytes per hash, so parameters
above the bounds give no hash at all: no verdict, and the finding stays.
"""

from __future__ import annotations

import hashlib

from scanner.registry.entries import SecretHash

SECRET_HASH_MAX_MEMORY = 256 * 1024 * 1024
SECRET_HASH_MAX_WORK = 1 << 22
"""A registry whose scrypt asks for more (128*n*r bytes, n*r*p work) is not hashed
with: a hostile registry must not stall the scan nor make findings vanish."""
_SCRYPT_CACHE: dict[tuple[bytes, SecretHash], str] = {}
"""sha256(secret) → scrypt hex, per process (the registry's parameters are in the key)."""
_CACHE_LIMIT = 50_000


def secret_hash_affordable(params: SecretHash) -> bool:
    n, r, p = params.n, params.r, params.p
    if min(n, r, p) < 1:
        return False
    return 128 * n * r <= SECRET_HASH_MAX_MEMORY and n * r * p <= SECRET_HASH_MAX_WORK


def secret_hash(secret: bytes, params: SecretHash) -> str:
    """scrypt(secret) as the registry stores it, cached by the secret's sha256;
    '' (never equal to a registry hash) when the parameters are refused."""
    cache_key = (hashlib.sha256(secret).digest(), params)
    cached = _SCRYPT_CACHE.get(cache_key)
    if cached is None:
        cached = _scrypt(secret, params)
        if not cached:
            return ""
        if len(_SCRYPT_CACHE) >= _CACHE_LIMIT:
            _SCRYPT_CACHE.clear()
        _SCRYPT_CACHE[cache_key] = cached
    return cached


def _scrypt(secret: bytes, params: SecretHash) -> str:
    if not secret_hash_affordable(params):
        return ""
    try:
        return hashlib.scrypt(
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
