"""Registry value types (stub: the registry room replaces this)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Registry:
    name: str
