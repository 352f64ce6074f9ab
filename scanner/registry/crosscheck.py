"""Cross-check (stub: the registry room replaces this)."""

from __future__ import annotations

from collections.abc import Sequence

from scanner.model import KeyInfo, Origin, RegistryHit, TokenInfo
from scanner.registry.model import Registry


def check_key(registry: Registry, key: KeyInfo, origin: Origin) -> RegistryHit | None:
    return None


def check_secret(registry: Registry, secret: bytes) -> RegistryHit | None:
    return None


def check_tokens(
    registry: Registry | None,
    tokens: Sequence[bytes],
    secrets: Sequence[bytes],
    public_keys: Sequence[bytes] = (),
) -> list[tuple[TokenInfo | None, RegistryHit | None]]:
    return [(None, None) for _ in tokens]
