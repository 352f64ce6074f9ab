"""The organisation's key registry: loading, validation, cross-check, audit, importers.

What pipeline.py calls:
- load_registry(path) -> Registry  (raises RegistryError with one clear line)
- crosscheck.check_key(registry, key, origin) -> RegistryVerdict
- crosscheck.check_secret(registry, secret) -> RegistryVerdict | None
- crosscheck.check_tokens(registry | None, tokens, secrets, public_keys)
  -> list[(TokenInfo | None, RegistryVerdict | None)]
"""

from __future__ import annotations

from pathlib import Path

from scanner.registry.entries import Registry


def load_registry(path: Path) -> Registry:
    """Load, validate (against the shipped JSON Schema) and index a registry file."""
    from scanner.registry.loading import load_registry as _load

    return _load(path)


__all__ = ["Registry", "load_registry"]
