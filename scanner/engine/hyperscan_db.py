"""All rule patterns and keywords in one Hyperscan database, scanned once per item.

Patterns Hyperscan rejects in exact mode are compiled with HS_FLAG_PREFILTER
(a superset of matches, confirmed by RE2 anyway); patterns it rejects even then
are left to the RE2 lane. Keywords are caseless literals in the same database.
The compiled database may be cached on disk, keyed by a hash of its inputs.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hyperscan

from scanner.engine.compiled import Mode
from scanner.engine.syntax import literal


@dataclass
class Hits:
    """What one scan of an item reported."""

    ends: dict[int, list[int]] = field(default_factory=dict)
    """Rule index → end offsets, in the order Hyperscan reported them."""
    keywords: set[int] = field(default_factory=set)
    reports: int = 0


class HyperscanDatabase:
    """One block-mode database over every pattern rule and keyword."""

    def __init__(
        self, patterns: Sequence[str], keywords: Sequence[str], cache_dir: Path | None = None
    ) -> None:
        self.rules = len(patterns)
        expressions = [p.encode("utf-8") for p in patterns]
        expressions += [literal(k).encode("ascii") for k in keywords]
        self.modes, self._db = _load_or_build(expressions, self.rules, cache_dir)

    def scan(self, data: bytes, budget: int) -> Hits | None:
        """Hits in `data`; None when more than `budget` matches were reported
        (the caller then confirms with RE2 alone, still in linear time)."""
        hits = Hits()
        rules = self.rules
        ends = hits.ends

        def on_match(ident: int, _start: int, end: int, _flags: int, _ctx: Any) -> bool:
            if ident >= rules:
                hits.keywords.add(ident - rules)
                return False
            found = ends.get(ident)
            if found is None:
                ends[ident] = [end]
            else:
                found.append(end)
            hits.reports += 1
            return hits.reports > budget

        try:
            self._db.scan(data, match_event_handler=on_match)
        except hyperscan.ScanTerminated:
            return None
        return hits


def _flags(mode: Mode, keyword: bool) -> int:
    if keyword:
        return int(hyperscan.HS_FLAG_CASELESS | hyperscan.HS_FLAG_SINGLEMATCH)
    return int(hyperscan.HS_FLAG_PREFILTER) if mode is Mode.PREFILTER else 0


def _compile(expressions: Sequence[bytes], modes: Sequence[Mode], rules: int) -> Any:
    chosen = [i for i in range(len(expressions)) if i >= rules or modes[i] is not Mode.RE2_ONLY]
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    if not chosen:
        chosen_exprs, ids, flags = [b"\\x00keysweep-no-rules\\x00"], [len(expressions)], [0]
    else:
        chosen_exprs = [expressions[i] for i in chosen]
        ids = chosen
        flags = [_flags(modes[i] if i < rules else Mode.EXACT, i >= rules) for i in chosen]
    db.compile(expressions=chosen_exprs, ids=ids, elements=len(ids), flags=flags)
    return db


def _classify(expression: bytes) -> Mode:
    for mode in (Mode.EXACT, Mode.PREFILTER):
        try:
            _compile([expression], [mode], 1)
        except hyperscan.error:
            continue
        return mode
    return Mode.RE2_ONLY


def _build(expressions: Sequence[bytes], rules: int) -> tuple[list[Mode], Any]:
    modes = [Mode.EXACT] * rules
    try:
        return modes, _compile(expressions, modes, rules)
    except hyperscan.error:
        modes = [_classify(e) for e in expressions[:rules]]
        return modes, _compile(expressions, modes, rules)


def _load_or_build(
    expressions: Sequence[bytes], rules: int, cache_dir: Path | None
) -> tuple[list[Mode], Any]:
    if cache_dir is None:
        return _build(expressions, rules)
    digest = hashlib.sha256(
        repr((getattr(hyperscan, "__version__", ""), rules, list(expressions))).encode()
    )
    path = cache_dir / f"hyperscan-{digest.hexdigest()[:40]}.db"
    cached = _read_cache(path)
    if cached is not None:
        return cached
    modes, db = _build(expressions, rules)
    _write_cache(path, modes, db)
    return modes, db


def _read_cache(path: Path) -> tuple[list[Mode], Any] | None:
    try:
        header, blob = path.read_bytes().split(b"\n", 1)
        modes = [Mode(m) for m in json.loads(header)]
        db = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
        db.scratch = hyperscan.Scratch(db)
    except (OSError, ValueError, hyperscan.error, hyperscan.HyperscanError):
        return None
    return modes, db


def _write_cache(path: Path, modes: Sequence[Mode], db: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_bytes(
            json.dumps([int(m) for m in modes]).encode() + b"\n" + hyperscan.dumpb(db)
        )
        os.replace(temporary, path)
        _prune(path.parent, keep=path)
    except OSError:
        pass


def _prune(folder: Path, keep: Path, newest: int = 8) -> None:
    """Drop all but the newest few databases (older rule sets leave theirs behind)."""
    stored = sorted(folder.glob("hyperscan-*.db"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in stored[newest:]:
        if old != keep:
            old.unlink(missing_ok=True)
