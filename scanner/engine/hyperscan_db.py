"""All rule patterns in one Hyperscan database, scanned once per item.

Patterns Hyperscan rejects in exact mode are compiled with HS_FLAG_PREFILTER
(a superset of matches, confirmed by RE2 anyway); patterns it rejects even then
are left to the RE2 lane. Keywords are not in the database: a keyword matters
only for a rule that matched, so the engine looks for it then
(`matcher.Engine`). 1,373 caseless keywords, many of two or three letters, made
the scan half again as slow and reported once per item and keyword present.

The compiled database may be cached on disk (a pre-commit hook then loads it in
milliseconds instead of compiling for a second). A cache file is a derived copy,
and a database missing a pattern would silently cut findings, so a file is used
only when all of this holds, else the database is compiled afresh and the file
rewritten (a damaged cache is never trusted, and never stops a scan):
- it is a regular file owned by this user, in a folder owned by this user, and
  neither is writable by group or others;
- its header names the hash of the inputs it was built from (patterns and the
  Hyperscan version), which must be the hash of today's inputs; it holds one
  mode per pattern (no more, no fewer); and its SHA-256 covers the modes and the
  database bytes, so a truncated, cut or altered file is refused;
- the loaded database, run once over every rule's own examples, reports no id
  past its patterns (and its side expressions) and every pattern that RE2 finds in that same text (a rule whose examples do not match its own pattern is not held against
  the cache: it is named in one warning when the database is built, and the
  cache is used as usual, never rebuilt on every run).

Side expressions (`compiled.SidePatterns`: the Python detector's gate, which
the rules' scan of an item answers instead of a second scan) get ids past the
rules', are reported once per item, and are part of the inputs hash; on every
load or build each of their probe lines must be reported on its own, else the
database's side answers are not used (the detector then looks for itself).

Rules without examples have no text to show their pattern is in the database:
for them the checks are the inputs hash, the mode count and the SHA-256, which
catch damage but not a file forged by this user (who could as well edit the
program). The examples check costs more than loading (a scan of every example),
so it runs once per cache file: a passing file gets a stamp beside it (`.ok`,
private like the cache) naming its device, inode, size, mtime, ctime and
SHA-256. A file replaced or rewritten in any way has another identity (ctime
cannot be set back) or another hash, so it is checked again before it is used.

A fresh compile (no cache, or a cache file refused) runs, on Linux, in a forked
child (`forked.call`), which sends back what a cache file holds: the modes,
whether the side expressions are in, and the serialized database. This process
loads that as it loads a cache file and never holds the compiler's heap, which
glibc keeps once freed and a pool worker forked later would inherit (the
built-in rules' compile left this process at 105 MB RSS; loaded from the child,
36 MB, as from a cache file). The answer is this program's own compile, as an
in-process one is, so it gets no examples check, only the checks that catch a
broken answer: its whole length, one mode per pattern, a side flag that fits,
and a database Hyperscan loads. A child that cannot be forked, dies, is killed
or answers anything else leaves the compile to this process, as before (and a
pattern set that does not compile at all raises hyperscan.error from there).
"""

from __future__ import annotations

import hashlib
import json
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import hyperscan

from scanner import bounds
from scanner.engine import forked
from scanner.engine.cachefile import read_private, read_private_file, write_private
from scanner.engine.compiled import Mode, SidePatterns
from scanner.engine.syntax import compile_re2


class HyperscanDatabase:
    """One block-mode database over every pattern rule."""

    def __init__(
        self,
        patterns: Sequence[str],
        cache_dir: Path | None = None,
        probes: Sequence[Sequence[str]] = (),
        side: SidePatterns | None = None,
    ) -> None:
        """`probes[i]`: texts pattern i matches (its rule's examples), used to
        check a database read from the cache. `side`: expressions reported under
        ids from `rules` on (`side_found`)."""
        self.rules = len(patterns)
        self._side = side.expressions if side is not None else ()
        expressions = [p.encode("utf-8") for p in patterns]
        self.from_cache = False
        """True when the database was read from the cache (and passed its checks)."""
        self.modes: list[Mode] = []
        self._db: Any = None
        if cache_dir is None:
            built = self._fresh(expressions)
            self.modes, self._db = built.modes, built.db
        else:
            self._cached(expressions, probes, cache_dir)
        if not self.from_cache:  # compiled afresh: what it left in the heap goes back
            forked.give_back_freed()
        self.sides = len(self._side) if side is not None and self._side_shown(side) else 0
        """How many side expressions the database is believed to hold (0: none)."""

    def _fresh(self, expressions: Sequence[bytes]) -> Built:
        """The database compiled (in a child where it can be: `_built_apart`);
        without the side expressions if they do not compile."""
        built = _built_apart(expressions, self.rules, self._side)
        if built is None:
            built = _decide(expressions, self.rules, self._side)
        if not built.side:
            self._side = ()
        return built

    def _side_shown(self, side: SidePatterns) -> bool:
        """Each side probe, scanned alone, reports a side expression."""
        if not self._side:
            return False
        first = self.rules
        return all(max(self._reports(probe), default=-1) >= first for probe in side.probes)

    def _cached(
        self, expressions: Sequence[bytes], probes: Sequence[Sequence[str]], cache_dir: Path
    ) -> None:
        key = _inputs_hash(expressions, self.rules, self._side)
        path = cache_dir / f"hyperscan-{key[:40]}.db"
        cached = _read_cache(path, key, self.rules)
        if cached is not None:
            self.modes, self._db = cached.modes, cached.db
            stamp = path.with_suffix(".ok")
            if _stamped(stamp, cached.seal) or self._verified(expressions, probes):
                _stamp(stamp, cached.seal)
                self.from_cache = True
                return
        built = self._fresh(expressions)
        self.modes, self._db = built.modes, built.db
        key = _inputs_hash(expressions, self.rules, self._side)
        path = cache_dir / f"hyperscan-{key[:40]}.db"
        _warn_unmatched(expressions, self._unreported(probes, self._reports(_probe_text(probes))))
        _write_cache(path, key, self.modes, built.serialized())

    def _verified(self, expressions: Sequence[bytes], probes: Sequence[Sequence[str]]) -> bool:
        """Every pattern RE2 finds in the examples' text is reported on it."""
        text = _probe_text(probes)
        seen = self._reports(text)
        if any(ident >= self.rules + len(self._side) for ident in seen):  # not these patterns
            return False
        missing = self._unreported(probes, seen)
        return not any(_re2_finds(expressions[i], text) for i in missing)

    def _reports(self, text: bytes) -> set[int]:
        seen: set[int] = set()
        self._db.scan(text, match_event_handler=lambda ident, *_: seen.add(ident))
        return seen

    def _unreported(self, probes: Sequence[Sequence[str]], seen: set[int]) -> set[int]:
        """Patterns with examples that this database did not report (`seen`) on
        the examples' text."""
        wanted = {i for i, texts in enumerate(probes[: self.rules]) if texts} - {
            i for i, mode in enumerate(self.modes) if mode is Mode.RE2_ONLY
        }
        return wanted - seen

    def scan(self, data: bytes, budget: int) -> dict[int, list[int]] | None:
        """Rule index → end offsets in `data`, in the order Hyperscan reported
        them; None when more than `budget` matches were reported (the caller then
        confirms with RE2 alone, still in linear time)."""
        ends: dict[int, list[int]] = {}
        reports = 0
        limit = budget + len(self._side)  # each side expression reports at most once

        def on_match(ident: int, _start: int, end: int, _flags: int, _ctx: Any) -> bool:
            nonlocal reports
            found = ends.get(ident)
            if found is None:
                ends[ident] = [end]
            else:
                found.append(end)
            reports += 1
            return reports > limit

        try:
            self._db.scan(data, match_event_handler=on_match)
        except hyperscan.ScanTerminated:
            return None
        return ends


def _flags(mode: Mode) -> int:
    return int(hyperscan.HS_FLAG_PREFILTER) if mode is Mode.PREFILTER else 0


def _compile(
    expressions: Sequence[bytes], modes: Sequence[Mode], rules: int, side: Sequence[bytes] = ()
) -> Any:
    chosen = [i for i in range(rules) if modes[i] is not Mode.RE2_ONLY]
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    chosen_exprs = [expressions[i] for i in chosen] + list(side)
    ids = chosen + [rules + k for k in range(len(side))]
    flags = [_flags(modes[i]) for i in chosen] + [int(hyperscan.HS_FLAG_SINGLEMATCH)] * len(side)
    if not chosen_exprs:
        chosen_exprs, ids, flags = [b"\\x00keysweep-no-rules\\x00"], [len(expressions)], [0]
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


def _build(
    expressions: Sequence[bytes], rules: int, side: Sequence[bytes] = ()
) -> tuple[list[Mode], Any]:
    modes = [Mode.EXACT] * rules
    try:
        return modes, _compile(expressions, modes, rules, side)
    except hyperscan.error:
        modes = [_classify(e) for e in expressions[:rules]]
        return modes, _compile(expressions, modes, rules, side)


@dataclass(frozen=True)
class Built:
    """A database compiled afresh."""

    modes: list[Mode]
    db: Any
    side: bool
    """Whether the side expressions are in it (left out when they do not compile)."""
    blob: bytes | None = None
    """Its serialized bytes, when it came from a child (what a cache file holds)."""

    def serialized(self) -> bytes:
        return self.blob if self.blob is not None else hyperscan.dumpb(self.db)


def _decide(expressions: Sequence[bytes], rules: int, side: Sequence[bytes]) -> Built:
    """What a fresh compile decides: each pattern's mode (`_build`), and the side
    expressions left out if the database does not compile with them. Patterns
    that do not compile even then raise hyperscan.error."""
    try:
        return Built(*_build(expressions, rules, side), side=bool(side))
    except hyperscan.error:
        if not side:
            raise
    return Built(*_build(expressions, rules), side=False)


def _built_apart(expressions: Sequence[bytes], rules: int, side: Sequence[bytes]) -> Built | None:
    """`_decide` run in a forked child (`forked.call`), which sends back what a
    cache file holds; this process loads it as it loads a cache file and never
    holds the compiler's heap. None when the child gave no sound answer: the
    caller then compiles here (and raises what that raises). A scan asked to
    stop while the child compiles kills it and stops (`bounds.Interrupted`)
    rather than waiting seconds for a database it will not use."""
    answer = forked.call(lambda: _answer(expressions, rules, side), bounds.raise_if_stopped)
    return None if answer is None else _loaded(answer, rules, side)


def _answer(expressions: Sequence[bytes], rules: int, side: Sequence[bytes]) -> bytes:
    """The compiling child's work: `_decide`, then a header line (modes, side)
    and the serialized database. (Tests replace it to make the child fail: the
    fork copies the replacement into the child, and this process still compiles
    with `_decide`.)"""
    built = _decide(expressions, rules, side)
    header = {"modes": [int(m) for m in built.modes], "side": built.side}
    return json.dumps(header).encode() + b"\n" + hyperscan.dumpb(built.db)


def _loaded(answer: bytes, rules: int, side: Sequence[bytes]) -> Built | None:
    """The child's answer, loaded; None unless it holds one mode per pattern, a
    side flag that fits and a database Hyperscan loads."""
    try:
        head, _, blob = answer.partition(b"\n")
        header = json.loads(head)
        numbers, kept = header["modes"], header["side"]
        if not isinstance(kept, bool) or (kept and not side) or len(numbers) != rules:
            return None
        modes = [Mode(n) for n in numbers if type(n) is int]
        if len(modes) != rules:
            return None
        db = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
        db.scratch = hyperscan.Scratch(db)
    except (ValueError, KeyError, TypeError, hyperscan.error):
        return None
    return Built(modes, db, kept, blob)


CACHE_FORMAT = 5
"""3: keywords were in the database; 4: patterns only; 5: side expressions after them."""


class CacheWarning(UserWarning):
    """Something about the rules that building the database showed (said once,
    when the database is built, not on every run from the cache)."""


def _probe_text(probes: Sequence[Sequence[str]]) -> bytes:
    return b"\n\n".join(t.encode("utf-8", "surrogateescape") for ts in probes for t in ts)


def _re2_finds(expression: bytes, text: bytes) -> bool:
    """Whether RE2 finds the pattern in `text` (an error counts as found: the
    database is then not believed)."""
    try:
        return compile_re2(expression.decode("utf-8")).search(text) is not None
    except Exception:
        return True


def _warn_unmatched(expressions: Sequence[bytes], missing: set[int]) -> None:
    if not missing:
        return
    shown = ", ".join(
        repr(expressions[i].decode("utf-8", "replace")[:40]) for i in sorted(missing)[:3]
    )
    more = f" and {len(missing) - 3} more" if len(missing) > 3 else ""
    warnings.warn(
        f"{len(missing)} rule(s) not matched by their own examples (pattern {shown}{more}); "
        "`keysweep rules check` names them",
        CacheWarning,
        stacklevel=4,
    )


def _inputs_hash(expressions: Sequence[bytes], rules: int, side: Sequence[bytes] = ()) -> str:
    version = getattr(hyperscan, "__version__", "")
    return hashlib.sha256(
        repr((CACHE_FORMAT, version, rules, list(expressions), list(side))).encode()
    ).hexdigest()


def _digest(modes: Sequence[int], blob: bytes) -> str:
    """SHA-256 of the modes and the database bytes (hashing 5 MB takes about 3 ms),
    fed in two parts rather than copied into one buffer first: the same hash."""
    digest = hashlib.sha256(json.dumps(list(modes)).encode() + b"\n")
    digest.update(blob)
    return digest.hexdigest()


@dataclass(frozen=True)
class CachedDatabase:
    modes: list[Mode]
    db: Any
    seal: tuple[object, ...]
    """The identity of the file read (device, inode, size, mtime, ctime) and its
    SHA-256: what a stamp must name."""


def _read_cache(path: Path, key: str, rules: int) -> CachedDatabase | None:
    """The database in `path` when the file is ours and says it is what we need."""
    try:
        found = read_private_file(path)
        if found is None:
            return None
        header = json.loads(found.header)
        if header.get("format") != CACHE_FORMAT or header.get("inputs") != key:
            return None
        raw_modes = header["modes"]
        if not isinstance(raw_modes, list) or len(raw_modes) != rules:
            return None
        digest = _digest(raw_modes, found.body)
        if header.get("sha256") != digest:
            return None
        modes = [Mode(m) for m in raw_modes]
        db = hyperscan.loadb(found.body, hyperscan.HS_MODE_BLOCK)
        db.scratch = hyperscan.Scratch(db)
    except (OSError, ValueError, KeyError, TypeError, AttributeError, hyperscan.error):
        return None
    except hyperscan.HyperscanError:
        return None
    return CachedDatabase(modes, db, (*found.identity, digest))


def _stamped(stamp: Path, seal: tuple[object, ...]) -> bool:
    """This very file (same inode, size, mtime, ctime and SHA-256) passed `_verified` before."""
    try:
        return read_private(stamp) == _stamp_text(seal)
    except OSError:
        return False


def _stamp(stamp: Path, seal: tuple[object, ...]) -> None:
    if not _stamped(stamp, seal):
        write_private(stamp, _stamp_text(seal))


def _stamp_text(seal: tuple[object, ...]) -> bytes:
    return json.dumps({"format": CACHE_FORMAT, "verified": list(seal)}).encode() + b"\n"


def _write_cache(path: Path, key: str, modes: Sequence[Mode], blob: bytes) -> None:
    numbers = [int(m) for m in modes]
    header = {"format": CACHE_FORMAT, "inputs": key, "modes": numbers}
    header["sha256"] = _digest(numbers, blob)
    write_private(path, json.dumps(header).encode() + b"\n" + blob)


def keyword_database(expressions: Sequence[str]) -> Callable[[bytes], set[int]] | Literal[False]:
    """A scanner of caseless literals (the rules' keywords) reporting each one's
    index once per item, or False when Hyperscan cannot compile them. Built in
    memory when first needed (about a tenth of a second): only an item in which
    many rules match needs it (`matcher._Lowered`)."""
    if not expressions:
        return lambda data: set()
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    flags = int(hyperscan.HS_FLAG_CASELESS) | int(hyperscan.HS_FLAG_SINGLEMATCH)
    try:
        db.compile(
            expressions=[e.encode("ascii") for e in expressions],
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=[flags] * len(expressions),
        )
    except hyperscan.error:
        return False

    def present(data: bytes) -> set[int]:
        found: set[int] = set()

        def on_match(ident: int, start: int, end: int, flags: int, context: Any) -> None:
            found.add(ident)

        db.scan(data, match_event_handler=on_match)
        return found

    return present
