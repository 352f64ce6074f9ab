"""Baseline files in the scanned tree are never themselves findings.

A detect-secrets `.secrets.baseline` lists a SHA-1 per secret (`hashed_secret`)
and a keysweep baseline a 40-hex finding id per place: both look like random
hex assigned to a secret-sounding name, which is just what generic and
high-entropy rules look for. A team that commits its baseline (as both tools
recommend) would get one finding per entry. So, in a file that parses as one of
these baselines, a match whose value is exactly one of those hashes or ids is
dropped. Nothing else in the file is excused: a key or token pasted into a
baseline (in a note, a file name) is still found.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from typing import Any

from scanner.model import Match

SUPPRESSED = "baseline-file"
_MARKERS = (b'"hashed_secret"', b'"tool": "keysweep"')
_HEX = frozenset(b"0123456789abcdef")


def drop_baseline_values(
    data: bytes, matches: Sequence[Match], dropped: MutableMapping[str, int]
) -> list[Match]:
    """The matches that are not a baseline's own hashes or ids; those that are
    are counted in `dropped` (the report's `suppressed`) as `baseline-file`."""
    if not matches or not any(marker in data for marker in _MARKERS):
        return list(matches)
    values = baseline_values(data)
    kept = [m for m in matches if m.secret not in values]
    if len(kept) < len(matches):
        dropped[SUPPRESSED] = dropped.get(SUPPRESSED, 0) + len(matches) - len(kept)
    return kept


def baseline_values(data: bytes) -> frozenset[bytes]:
    """The hashes and ids of a detect-secrets or keysweep baseline (empty for any
    other document)."""
    from scanner import safeload  # only for a file that may be a baseline (YAML stays unloaded)

    try:
        document = safeload.json_loads(data)
    except (ValueError, json.JSONDecodeError, safeload.LoadError):
        return frozenset()
    if not isinstance(document, Mapping):
        return frozenset()
    results = document.get("results")
    if isinstance(results, Mapping):
        entries = [e for group in results.values() if isinstance(group, list) for e in group]
        return _hex_values(entries, "hashed_secret")
    if document.get("tool") == "keysweep" and isinstance(document.get("findings"), list):
        return _hex_values(document["findings"], "id")
    return frozenset()


def _hex_values(entries: Iterable[Any], name: str) -> frozenset[bytes]:
    found = (e.get(name) for e in entries if isinstance(e, Mapping))
    encoded = (v.encode("ascii") for v in found if isinstance(v, str) and v.isascii())
    return frozenset(v for v in encoded if len(v) == 40 and set(v) <= _HEX)
