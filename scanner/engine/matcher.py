"""The engine: every rule over an item's bytes in one pass, then a local confirm.

Hyperscan lane: one database scan reports (rule, end offset) pairs; RE2 then
confirms each rule only in a window before the reported ends (coalesced, so a
match's many end reports cost one confirm) and extracts the `secret` group, and
only a rule with a confirmed match is asked whether one of its keywords is in
the item (the database holds no keywords: they cost more to scan for than every
pattern together, for a question asked of a few rules per item). RE2 lane (no
Hyperscan, a rule Hyperscan cannot compile, or an item that makes Hyperscan
report too much): a case-insensitive keyword prefilter, then RE2 over the whole
item. Both are linear in the input: no backtracking engine ever sees scanned
bytes.

A rule with keywords only fires in items holding one of them (case-insensitive),
in both lanes, so the two lanes give the same matches.

Side expressions (`compiled.SidePatterns`, another detector's first look) ride
along in the database: `side_found(data)` says whether any matched in the bytes
the engine scanned last, so that detector needs no scan of its own.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import re2

from scanner.engine.compiled import MAGIC_BYTES, CompiledRule, Mode, SidePatterns, compile_rules
from scanner.engine.syntax import literal, re2_options
from scanner.model import Rule, RuleKind
from scanner.suppress import PathMatcher

if TYPE_CHECKING:
    from scanner.engine.hyperscan_db import HyperscanDatabase
    from scanner.engine.structures import Structure

REPORT_BUDGET = 250_000
"""Hyperscan end reports per item before the item is handed to the RE2 lane."""


@dataclass(frozen=True)
class RuleHit:
    """A confirmed match of one rule: the byte span of its secret."""

    rule: Rule
    start: int
    end: int


class Engine:
    """All rules, compiled once (per worker process)."""

    def __init__(
        self,
        rules: Sequence[Rule],
        *,
        use_hyperscan: bool = True,
        cache_dir: Path | None = None,
        report_budget: int = REPORT_BUDGET,
        side: SidePatterns | None = None,
    ) -> None:
        compiled, keywords = compile_rules(rules)
        self._patterns = [c for c in compiled if c.rule.kind is not RuleKind.KEY_FILE]
        self._key_files = [c for c in compiled if c.rule.kind is RuleKind.KEY_FILE]
        self._key_file_gate = key_file_gate([c.rule for c in self._key_files])
        self._structural = _structural(self._key_files)
        self._by_check = [
            (c, self._structural[c.index]) for c in self._key_files if c.index in self._structural
        ]
        self._keywords = _KeywordSet(keywords)
        self._keyword_bytes = tuple(k.encode("utf-8") for k in keywords)
        self._keyword_db: Callable[[bytes], set[int]] | Literal[False] | None = None
        self._db_words = tuple(w for w in self._keyword_bytes if w)
        """The keywords database's ids (an empty keyword, in any item, has none)."""
        self._budget = report_budget
        self._db: HyperscanDatabase | None = None
        if use_hyperscan:
            probes = [c.rule.examples for c in self._patterns]
            self._db = _hyperscan([c.pattern for c in self._patterns], cache_dir, probes, side)
        modes = self._db.modes if self._db is not None else []
        self._re2_only = [i for i, mode in enumerate(modes) if mode is Mode.RE2_ONLY]
        self._rule_ids = len(self._patterns)
        """Database ids from here on are side expressions'."""
        self._sides = self._db.sides if self._db is not None else 0
        self._side: tuple[bytes, bool] | None = None
        """The last item scanned in full and whether a side expression matched
        in it: one value, so no signal or thread switch can pair one item's
        bytes with another's answer."""

    @property
    def has_side(self) -> bool:
        """Whether `side_found` can answer (the database holds the side expressions)."""
        return self._sides > 0

    def side_found(self, data: bytes) -> bool | None:
        """Whether a side expression matched in `data`; None unless `data` is the
        very object this engine scanned last, in full (an item that reported too
        much is not scanned to its end). The answer is given once: the item is let
        go, so a worker waiting for its next batch holds no scanned bytes."""
        side, self._side = self._side, None
        return side[1] if side is not None and side[0] is data else None

    @property
    def lane(self) -> str:
        return "hyperscan" if self._db is not None else "re2"

    @property
    def re2_only_rules(self) -> list[Rule]:
        """Rules Hyperscan could not compile: confirmed by RE2 over whole items."""
        return [self._patterns[i].rule for i in self._re2_only]

    def find(self, data: bytes, paths: Sequence[str] | None = None) -> list[RuleHit]:
        """Matches of every pattern rule; `paths` (None: no path filter) are the
        item's paths that include/exclude globs are matched against."""
        found: list[RuleHit] = []
        lowered = _Lowered(data, self._keywords_in) if self._re2_only else None
        candidates = self._candidates(data, lowered)
        if not candidates:
            return found  # most items
        if lowered is None:
            lowered = _Lowered(data, self._keywords_in)
        for rule, windows, exact, gated in candidates:
            if rule.path_allowed(paths):
                growth = [2 * len(data)] if exact else [0]
                hits = [h for s, e in windows for h in _confirm(rule, data, s, e, growth)]
                if hits and (gated or self._keyword_in(rule, lowered)):
                    found.extend(_outermost(hits))
        if len(found) > 1:
            found.sort(key=lambda h: (h.start, h.end, h.rule.id))
        return found

    def find_key_files(self, paths: Sequence[str], data: bytes | None) -> list[RuleHit]:
        """Key-file rules whose globs name the file (the last of `paths`: inside an
        archive, the member, not the archive) and whose content magic and structure
        check, given data, the bytes pass; else, given data, those whose structure
        check the bytes pass whatever the name (`engine/structures.py`), so a
        finding a name rule made keeps its rule id (and its baseline entries)."""
        name = paths[-1]  # the file itself: inside an archive, its member path
        if not self._key_file_gate.matches(name):  # most items: no key-file glob names it
            return self._by_structure(paths, data) if data is not None else []
        hits, by_structure = [], []
        for rule in self._key_files:
            named = rule.include.matches_file(name) and rule.path_allowed(paths)
            if named and (data is None or _has_content(rule, data, self._structural)):
                hits.append(RuleHit(rule.rule, 0, len(data or b"")))
            elif not named and data is not None and self._passes(rule, paths, data):
                by_structure.append(RuleHit(rule.rule, 0, len(data)))
        return hits or by_structure  # a rule that names the file keeps naming its finding

    def _by_structure(self, paths: Sequence[str], data: bytes) -> list[RuleHit]:
        """The structural key-file rules the bytes pass (most items: none, at their
        first byte)."""
        return [
            RuleHit(rule.rule, 0, len(data))
            for rule, check in self._by_check
            if check(data) and not _excluded(rule, paths)
        ]

    def _passes(self, rule: CompiledRule, paths: Sequence[str], data: bytes) -> bool:
        """A structural rule matches bytes that pass its check, whatever their path
        (its excludes still apply)."""
        check = self._structural.get(rule.index)
        return check is not None and check(data) and not _excluded(rule, paths)

    def _candidates(self, data: bytes, lowered: _Lowered | None) -> list[Candidate]:
        """(rule, windows to confirm in, whether each window surely ends a match,
        whether the rule's keywords were already found in the item). `lowered` is
        given when rules are left to RE2 alone (their keywords are asked first)."""
        hits = self._db.scan(data, self._budget) if self._db is not None else None
        if self._sides:
            found = hits is not None and max(hits, default=-1) >= self._rule_ids
            self._side = (data, found) if hits is not None else None
        if self._db is None or hits is None:
            seen = self._keywords.present(data)
            whole = [(0, len(data))]
            return [(rule, whole, False, True) for rule in self._patterns if _wanted(rule, seen)]
        if not hits and not self._re2_only:
            return []
        out: list[Candidate] = []
        for position, ends in hits.items():
            if position >= self._rule_ids:
                continue  # a side expression's
            rule = self._patterns[position]
            exact = self._db.modes[position] is Mode.EXACT
            out.append((rule, _windows(ends, rule.window, not exact, len(data)), exact, False))
        for position in self._re2_only:  # RE2 over the whole item: worth a keyword test first
            if lowered is not None and self._keyword_in(self._patterns[position], lowered):
                out.append((self._patterns[position], [(0, len(data))], False, True))
        return out

    def _keyword_in(self, rule: CompiledRule, lowered: _Lowered) -> bool:
        """The rule has no keywords, or one of them is in the item, in any case."""
        if not rule.keywords:
            return True
        return lowered.holds_any(self._keyword_bytes[k] for k in rule.keywords)

    def _keywords_in(self, data: bytes) -> frozenset[bytes] | None:
        """Every keyword in `data`, in one pass of a database of the keywords alone
        (caseless literals, as they were in the rules' database); None without
        Hyperscan. Compiled when an item first needs it: one whose matched rules ask
        for more keywords than separate searches can afford."""
        if self._keyword_db is None:
            from scanner.engine.hyperscan_db import keyword_database

            self._keyword_db = keyword_database([literal(w.decode()) for w in self._db_words])
        if self._keyword_db is False:
            return None
        return frozenset([b"", *(self._db_words[i] for i in self._keyword_db(data))])


Candidate = tuple[CompiledRule, list[tuple[int, int]], bool, bool]


SEARCH_BYTES = 64 * 1024 * 1024
"""Bytes an item's separate keyword searches may read before every keyword is
looked for at once (`_Lowered`): an item of 25 MB in which hundreds of rules
match would otherwise be read once per keyword."""


class _Lowered:
    """An item's bytes with ASCII letters lower-cased (made on first use), to look
    for keywords in: the same folding as Hyperscan's caseless literals, so a keyword
    is found here exactly where a caseless literal of it would be. Keywords are
    kept lower-cased, and a UTF-8 encoding holds no ASCII byte but ASCII text.
    Each keyword is searched for once per item; once the searches would read more
    than `SEARCH_BYTES`, one pass of the keywords' own database (`every`) answers
    the rest, so the cost stays linear in the item whatever matches in it."""

    __slots__ = ("_all", "_data", "_every", "_known", "_lower", "_read")

    def __init__(self, data: bytes, every: Callable[[bytes], frozenset[bytes] | None]) -> None:
        self._data = data
        self._lower: bytes | None = None
        self._known: dict[bytes, bool] = {}
        self._read = 0
        self._every = every
        self._all: frozenset[bytes] | None = None

    def holds_any(self, words: Iterable[bytes]) -> bool:
        return any(map(self._holds, words))

    def _holds(self, word: bytes) -> bool:
        if self._all is not None:
            return word in self._all
        known = self._known.get(word)
        if known is not None:
            return known
        self._read += len(self._data)
        if self._read > SEARCH_BYTES and (found := self._every(self._data)) is not None:
            self._all = found
            return word in found
        if self._lower is None:
            self._lower = self._data.lower()
        known = self._known[word] = word in self._lower
        return known


def _outermost(hits: list[RuleHit]) -> list[RuleHit]:
    """One rule's hits without repeats and without spans inside another hit's span
    (overlapping confirm windows can find the same secret twice)."""
    kept: list[RuleHit] = []
    for hit in sorted(hits, key=lambda h: (h.start, -h.end)):
        if not kept or hit.end > kept[-1].end:
            kept.append(hit)
    return kept


def key_file_gate(rules: Sequence[Rule]) -> PathMatcher:
    """One matcher for the union of the key-file rules' globs: most paths need only
    this test. (Negated globs would break the union; then every path passes.)"""
    globs = [g for rule in rules if rule.kind is RuleKind.KEY_FILE for g in rule.path_include]
    if any(g.startswith("!") for g in globs):
        return PathMatcher(["*"])
    return _matcher(tuple(globs))


@functools.lru_cache(maxsize=8)
def _matcher(globs: tuple[str, ...]) -> PathMatcher:
    """The engine and the binary-file decision ask for the same gate: built once."""
    return _RememberingMatcher(globs)


class _RememberingMatcher(PathMatcher):
    """A PathMatcher that keeps its answers: every version of a file in a history
    has the same path, and the gate is asked about each of them twice."""

    LIMIT = 1 << 16

    def __init__(self, globs: Sequence[str]) -> None:
        super().__init__(globs)
        self._answers: dict[str, bool] = {}

    def matches(self, path: str) -> bool:
        answer = self._answers.get(path)
        if answer is None:
            answer = super().matches(path)
            if len(self._answers) < self.LIMIT:
                self._answers[path] = answer
        return answer


def _has_magic(rule: CompiledRule, data: bytes) -> bool:
    return rule.regex is None or rule.regex.search(data, 0, min(len(data), MAGIC_BYTES)) is not None


def _excluded(rule: CompiledRule, paths: Sequence[str]) -> bool:
    return bool(rule.exclude) and any(rule.exclude.matches(p) for p in paths)


def _has_content(rule: CompiledRule, data: bytes, structural: Mapping[int, Structure]) -> bool:
    """The content magic, and the structure check, of a key-file rule that has them."""
    check = structural.get(rule.index)
    return _has_magic(rule, data) and (check is None or check(data))


def _structural(key_files: Sequence[CompiledRule]) -> dict[int, Structure]:
    """Key-file rules that name a content check in `validate:`: their index, and the check."""
    if not any(c.rule.validate for c in key_files):
        return {}
    from scanner.engine.structures import STRUCTURES

    return {c.index: STRUCTURES[c.rule.validate] for c in key_files if c.rule.validate}


def _wanted(rule: CompiledRule, seen: set[int]) -> bool:
    return not rule.keywords or not rule.keywords.isdisjoint(seen)


def _windows(ends: list[int], width: int, prefilter: bool, size: int) -> list[tuple[int, int]]:
    """Coalesced [start, end) windows that hold every match ending at `ends`."""
    after = width if prefilter else 0
    windows: list[tuple[int, int]] = []
    for end in sorted(ends):
        start, stop = max(0, end - width), min(size, end + after)
        if windows and start <= windows[-1][1]:
            windows[-1] = (windows[-1][0], max(windows[-1][1], stop))
        else:
            windows.append((start, stop))
    return windows


def _confirm(
    rule: CompiledRule, data: bytes, start: int, end: int, growth: list[int]
) -> Iterable[RuleHit]:
    """The rule's matches in data[start:end] (RE2 sees the bytes around as context).

    An exact Hyperscan report guarantees a match ends in the window; when none is
    found, that match began before the window, which then grows backwards. The
    growth is bounded per rule and item (`growth[0]` bytes in all) so the two
    engines disagreeing on some input cannot make the confirm quadratic."""
    found = list(rule.regex.finditer(data, start, end))
    while not found and start > 0 and growth[0] > 0:
        start = max(0, start - max(end - start, 1))
        growth[0] -= end - start
        found = list(rule.regex.finditer(data, start, end))
    for match in found:
        left, right = match.span(rule.group)
        if left < 0 or left == right:
            continue
        if rule.secret_allowed(data[left:right]):
            yield RuleHit(rule.rule, left, right)


class _KeywordSet:
    """Which keywords occur in an item, case-insensitively, in one RE2 pass. Built
    on first use: with Hyperscan, only an item that reports too much needs it."""

    def __init__(self, keywords: Sequence[str]) -> None:
        self._keywords = tuple(keywords)

    @functools.cached_property
    def _set(self) -> Any:
        if not self._keywords:
            return None
        found = re2.Set.SearchSet(re2_options())
        for keyword in self._keywords:
            found.Add(b"(?i)" + literal(keyword).encode("ascii"))
        found.Compile()
        return found

    def present(self, data: bytes) -> set[int]:
        found = self._set.Match(data) if self._set is not None else None
        return set(found) if found else set()


def _hyperscan(
    patterns: Sequence[str],
    cache_dir: Path | None,
    probes: Sequence[Sequence[str]] = (),
    side: SidePatterns | None = None,
) -> HyperscanDatabase | None:
    """The database, or None where the hyperscan package is not installed or does
    not run on this CPU (then the RE2 lane does all the work, correctly)."""
    try:
        from scanner.engine.hyperscan_db import HyperscanDatabase as Database
    except ImportError:
        return None
    try:
        return Database(patterns, cache_dir, probes, side)
    except Exception:  # hyperscan.ArchitectureError and kin: a platform problem
        return None


def default_cache_dir() -> Path | None:
    """$KEYSWEEP_CACHE_DIR, else $XDG_CACHE_HOME/keysweep, else ~/.cache/keysweep;
    KEYSWEEP_CACHE_DIR set to an empty string turns the cache off."""
    explicit = os.environ.get("KEYSWEEP_CACHE_DIR")
    if explicit is not None:
        return Path(explicit) if explicit else None
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "keysweep"
