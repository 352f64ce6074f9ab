"""All rule patterns and keywords in one Hyperscan database, scanned once per item.

Patterns Hyperscan rejects in exact mode are compiled with HS_FLAG_PREFILTER
(a superset of matches, confirmed by RE2 anyway); patterns it rejects even then
are left to the RE2 lane. Keywords are caseless literals in the same database.

The compiled database may be cached on disk (a pre-commit hook then loads it in
milliseconds instead of compiling for a second). A cache file is a derived copy
that anyone who can write the folder could replace, and a database missing a
pattern would silently cut findings, so a file is used only when all of this
holds, else the database is compiled afresh and the file rewritten:
- it is a regular file owned by this user, in a folder owned by this user, and
  neither is writable by group or others;
- its header names the hash of the inputs it was built from (patterns, keywords,
  modes, Hyperscan version), which must be the hash of today's inputs, and the
  SHA-256 of the database bytes, which must match them;
- the loaded database, run once over every rule's own examples and every
  keyword, reports each pattern and each keyword that a fresh database reports
  (rules' examples are checked to match when the rules load).

That last check costs more than loading (a scan of every example by every
pattern), so it runs once per cache file: a passing file gets a stamp beside it
(`.ok`, private like the cache) naming its device, inode, size, mtime and ctime.
A file replaced or rewritten in any way has another identity (ctime cannot be
set back), so it is checked again before it is used.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import hyperscan

from scanner.engine.cachefile import read_private, read_private_file, write_private
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
        self,
        patterns: Sequence[str],
        keywords: Sequence[str],
        cache_dir: Path | None = None,
        probes: Sequence[Sequence[str]] = (),
    ) -> None:
        """`probes[i]`: texts pattern i matches (its rule's examples), used to
        check a database read from the cache."""
        self.rules = len(patterns)
        expressions = [p.encode("utf-8") for p in patterns]
        expressions += [literal(k).encode("ascii") for k in keywords]
        self.from_cache = False
        """True when the database was read from the cache (and passed its checks)."""
        self.modes: list[Mode] = []
        self._db: Any = None
        if cache_dir is None:
            self.modes, self._db = _build(expressions, self.rules)
        else:
            self._cached(expressions, keywords, probes, cache_dir)

    def _cached(
        self,
        expressions: Sequence[bytes],
        keywords: Sequence[str],
        probes: Sequence[Sequence[str]],
        cache_dir: Path,
    ) -> None:
        key = _inputs_hash(expressions, self.rules)
        path = cache_dir / f"hyperscan-{key[:40]}.db"
        cached = _read_cache(path, key)
        if cached is not None:
            self.modes, self._db, identity = cached
            stamp = path.with_suffix(".ok")
            if _stamped(stamp, identity) or self._verified(probes, keywords):
                _stamp(stamp, identity)
                self.from_cache = True
                return
        self.modes, self._db = _build(expressions, self.rules)
        _write_cache(path, key, self.modes, self._db)

    def _verified(self, probes: Sequence[Sequence[str]], keywords: Sequence[str]) -> bool:
        """Every pattern with examples and every keyword is reported on them."""
        expected = {i for i, texts in enumerate(probes[: self.rules]) if texts} - {
            i for i, mode in enumerate(self.modes) if mode is Mode.RE2_ONLY
        }
        text = b"\n\n".join(t.encode("utf-8", "surrogateescape") for ts in probes for t in ts)
        text += b"\n\n" + b"\n".join(k.encode("utf-8") for k in keywords)
        seen: set[int] = set()
        self._db.scan(text, match_event_handler=lambda ident, *_: seen.add(ident))
        wanted = expected | set(range(self.rules, self.rules + len(keywords)))
        return wanted <= seen

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


CACHE_FORMAT = 2


def _inputs_hash(expressions: Sequence[bytes], rules: int) -> str:
    version = getattr(hyperscan, "__version__", "")
    return hashlib.sha256(
        repr((CACHE_FORMAT, version, rules, list(expressions))).encode()
    ).hexdigest()


def _read_cache(path: Path, key: str) -> tuple[list[Mode], Any, tuple[int, ...]] | None:
    """The database in `path` when the file is ours and says it is what we need,
    with the identity of the file read."""
    try:
        found = read_private_file(path)
        if found is None:
            return None
        header_text, blob = found.header, found.body
        header = json.loads(header_text)
        if header.get("format") != CACHE_FORMAT or header.get("inputs") != key:
            return None
        if header.get("sha256") != hashlib.sha256(blob).hexdigest():
            return None
        modes = [Mode(m) for m in header["modes"]]
        db = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
        db.scratch = hyperscan.Scratch(db)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, hyperscan.error):
        return None
    except hyperscan.HyperscanError:
        return None
    return modes, db, found.identity


def _stamped(stamp: Path, identity: tuple[int, ...]) -> bool:
    """This very file (same inode, size, mtime and ctime) passed `_verified` before."""
    try:
        return read_private(stamp) == _stamp_text(identity)
    except OSError:
        return False


def _stamp(stamp: Path, identity: tuple[int, ...]) -> None:
    if not _stamped(stamp, identity):
        write_private(stamp, _stamp_text(identity))


def _stamp_text(identity: tuple[int, ...]) -> bytes:
    return json.dumps({"format": CACHE_FORMAT, "verified": list(identity)}).encode() + b"\n"


def _write_cache(path: Path, key: str, modes: Sequence[Mode], db: Any) -> None:
    blob = hyperscan.dumpb(db)
    header = {
        "format": CACHE_FORMAT,
        "inputs": key,
        "modes": [int(m) for m in modes],
        "sha256": hashlib.sha256(blob).hexdigest(),
    }
    write_private(path, json.dumps(header).encode() + b"\n" + blob)
