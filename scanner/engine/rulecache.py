"""Validated rules kept on disk, so a pre-commit hook does not parse and check
every rule file on every commit (that costs more than scanning three files).

The cache holds the `Rule` values that loading a given set of rule files gave,
as JSON (nothing in it is ever executed): one row of field values per rule, in
the order of `Rule`'s fields, so that reading a thousand rules is one
`json.loads` and one call of `Rule` each (a mapping per rule, checked and
converted field by field, cost a hook more than its scan). It is read under the same conditions
as the compiled database (`hyperscan_db`): a regular file and folder owned by
this user and writable by nobody else; a header naming the hash of today's
inputs (every rule file's path and bytes, the program's version and the shape
of `Rule`) and the SHA-256 of the body, both checked. Anything else, or any
doubt while reading, means the files are loaded and checked again and the cache
rewritten. A sweep keeps nothing on disk (its cache folder is turned off).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from scanner import __version__
from scanner.engine.cachefile import read_private, write_private
from scanner.model import Rule, RuleKind, Severity

CACHE_FORMAT = 2
FIELDS = tuple(f.name for f in dataclasses.fields(Rule))
KIND, SEVERITY = FIELDS.index("kind"), FIELDS.index("severity")
TUPLES = tuple(i for i, f in enumerate(dataclasses.fields(Rule)) if f.default == ())
"""Fields held as tuples (JSON gives lists)."""
KINDS = {kind.value: kind for kind in RuleKind}
SEVERITIES = {int(severity): severity for severity in Severity}


def cached_rules(
    files: Sequence[Path], cache_dir: Path | None, load: Callable[[], list[Rule]]
) -> list[Rule]:
    """`load()`'s rules, from the cache when it holds them for exactly these files."""
    if cache_dir is None:
        return load()
    key = inputs_hash(files)
    if key is None:
        return load()
    path = cache_dir / f"rules-{key[:40]}.json"
    cached = _read(path, key)
    if cached is not None:
        return cached
    rules = load()
    _write(path, key, rules)
    return rules


def inputs_hash(files: Sequence[Path]) -> str | None:
    """Hash of everything the loaded rules depend on; None if a file is unreadable
    (loading then reports it)."""
    digest = hashlib.sha256(repr((CACHE_FORMAT, __version__, FIELDS)).encode())
    for file in files:
        try:
            data = file.read_bytes()
        except OSError:
            return None
        digest.update(os.fsencode(str(file)) + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


def _read(path: Path, key: str) -> list[Rule] | None:
    try:
        raw = read_private(path)
        if raw is None:
            return None
        header_text, body = raw.split(b"\n", 1)
        header = json.loads(header_text)
        if header.get("format") != CACHE_FORMAT or header.get("inputs") != key:
            return None
        if header.get("sha256") != hashlib.sha256(body).hexdigest():
            return None
        document = json.loads(body)
        if document.get("fields") != list(FIELDS):
            return None
        return [_rule(row) for row in document["rules"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError):
        return None


def _rule(row: list[Any]) -> Rule:
    if len(row) != len(FIELDS):
        raise ValueError("rule fields differ")
    for index in TUPLES:
        row[index] = tuple(row[index])
    row[KIND] = KINDS[row[KIND]]
    row[SEVERITY] = SEVERITIES[row[SEVERITY]]
    return Rule(*row)


def _write(path: Path, key: str, rules: Sequence[Rule]) -> None:
    try:
        document = {"fields": FIELDS, "rules": [_row(rule) for rule in rules]}
        body = json.dumps(document).encode()
    except (TypeError, ValueError):  # a field JSON cannot hold: no cache, no harm
        return
    header = {"format": CACHE_FORMAT, "inputs": key, "sha256": hashlib.sha256(body).hexdigest()}
    write_private(path, json.dumps(header).encode() + b"\n" + body)


def _row(rule: Rule) -> list[Any]:
    row = [getattr(rule, name) for name in FIELDS]
    row[KIND] = rule.kind.value
    row[SEVERITY] = int(rule.severity)
    return row
