"""Build or update a registry document from outside sources (JWKS, CycloneDX).

An importer works on the registry *document* (the validated dict), so a file
keeps the fields and order a person wrote; the result is validated again
before it is written.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2
import yaml

from scanner.registry.loading import read_document, validate

SCHEMA_NAME = "keysweep/key-registry/v1"
_NOT_IDENT = re2.compile(r"[^A-Za-z0-9._:@/+=-]+")


@dataclass
class ImportSummary:
    """What an import changed, in words for the command line."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        counts = (
            f"added {len(self.added)}, updated {len(self.updated)}, "
            f"deactivated {len(self.deactivated)}, skipped {len(self.skipped)}"
        )
        return [counts, *(f"deactivated: {k}" for k in self.deactivated), *self.skipped]


def load_or_new(path: Path, name: str) -> dict[str, Any]:
    """The registry document at `path`, or a new empty one when it does not exist."""
    if path.exists():
        return read_document(path)
    return {"schema": SCHEMA_NAME, "registry": {"name": name}, "keys": []}


def save(document: dict[str, Any], path: Path) -> None:
    """Validate and write atomically: JSON for *.json, YAML otherwise."""
    validate(json.loads(json.dumps(document)), str(path))
    if path.suffix.lower() == ".json":
        text = json.dumps(document, indent=2) + "\n"
    else:
        text = yaml.safe_dump(document, sort_keys=False, allow_unicode=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def ident(text: str, taken: Iterable[str]) -> str:
    """A registry id made from `text`, unique among `taken`."""
    base = _NOT_IDENT.sub("-", text).lstrip("-._:@/+=")[:180] or "key"
    used = set(taken)
    candidate, n = base, 2
    while candidate in used:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def find_entry(document: Mapping[str, Any], kind: str, value: str) -> dict[str, Any] | None:
    for entry in document.get("keys") or []:
        values = (entry.get("fingerprints") or {}).get(kind)
        if value == values or (isinstance(values, list) and value in values):
            return dict_entry(entry)
    return None


def dict_entry(entry: Any) -> dict[str, Any]:
    assert isinstance(entry, dict)
    return entry
