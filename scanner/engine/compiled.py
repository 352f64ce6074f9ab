"""Rules in compiled form: the RE2 confirm regex, filters and search window of each."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from scanner.engine.syntax import compile_re2, max_width, normalise, secret_group
from scanner.model import Rule, RuleKind
from scanner.suppress import PathMatcher
from scanner.text import shannon_entropy

KEY_WINDOW = 32 * 1024
"""Bytes searched before a Hyperscan hit of a private-key rule whose pattern has no
bounded length: room for a 4096-bit RSA PEM or a PGP private key block."""
TOKEN_WINDOW = 4 * 1024
"""The same for every other rule (tokens, credentials, JWTs of generous size)."""
MAX_WINDOW = 64 * 1024
MAGIC_BYTES = 4096
"""A key-file rule's optional content pattern is searched in this many leading bytes."""


class Mode(enum.IntEnum):
    EXACT = 0
    """Every reported end offset is the end of a true match."""
    PREFILTER = 1
    """Reported ends only suggest where a match may be."""
    RE2_ONLY = 2
    """Not in the database: confirmed by RE2 over the whole item."""


@dataclass(frozen=True)
class SidePatterns:
    """Expressions scanned in the rules' database that are not rules: another
    detector's first look at an item, answered by the one scan the rules make
    of it instead of a scan of its own. Each is reported at most once per item
    (`HS_FLAG_SINGLEMATCH`), under an id past the rules' ids."""

    expressions: tuple[bytes, ...]
    probes: tuple[bytes, ...]
    """Texts on each of which, alone, some side expression must be reported: a
    database that does not is not believed to hold them."""


@dataclass(frozen=True)
class CompiledRule:
    """A rule ready to confirm matches. The RE2 programs, globs and window are built
    on first use, so a worker pays only for the rules its items make it need."""

    index: int
    rule: Rule
    pattern: str
    """Normalised pattern text, shared by RE2 and Hyperscan ('' for key-file
    rules without content magic)."""
    keywords: frozenset[int]
    """Indices into the engine's keyword table; empty: the rule always runs."""

    @cached_property
    def regex(self) -> Any:
        return compile_re2(self.pattern) if self.pattern else None

    @cached_property
    def group(self) -> int:
        """Index of the `secret` group (0, the whole match, for key-file content magic)."""
        return (secret_group(self.regex) if self.regex is not None else None) or 0

    @cached_property
    def allow(self) -> tuple[Any, ...]:
        return tuple(compile_re2(normalise(a)) for a in self.rule.allow)

    @cached_property
    def include(self) -> PathMatcher:
        return PathMatcher(self.rule.path_include)

    @cached_property
    def exclude(self) -> PathMatcher:
        return PathMatcher(self.rule.path_exclude)

    @cached_property
    def window(self) -> int:
        """Bytes before a reported end offset that hold any match ending there."""
        width = max_width(self.pattern) if self.pattern else None
        if width is not None:
            return max(1, min(width, MAX_WINDOW))
        return KEY_WINDOW if self.rule.kind is RuleKind.PRIVATE_KEY else TOKEN_WINDOW

    def path_allowed(self, paths: Sequence[str] | None) -> bool:
        """Include/exclude globs on any of the item's paths; None skips the check."""
        if paths is None:
            return True
        if self.include and not any(self.include.matches(p) for p in paths):
            return False
        return not (self.exclude and any(self.exclude.matches(p) for p in paths))

    def secret_allowed(self, secret: bytes) -> bool:
        """The entropy floor and the `allow` regexes."""
        if self.rule.entropy is not None and shannon_entropy(secret) < self.rule.entropy:
            return False
        return not any(a.search(secret) for a in self.allow)


def compile_rules(rules: Sequence[Rule]) -> tuple[list[CompiledRule], list[str]]:
    """Compiled rules in input order, and the table of distinct (lower-cased) keywords."""
    keywords: dict[str, int] = {}
    compiled = []
    for index, rule in enumerate(rules):
        ids = frozenset(keywords.setdefault(k.lower(), len(keywords)) for k in rule.keywords)
        compiled.append(_compile(index, rule, ids))
    return compiled, list(keywords)


def _compile(index: int, rule: Rule, keywords: frozenset[int]) -> CompiledRule:
    pattern = normalise(rule.pattern) if rule.pattern is not None else ""
    return CompiledRule(index=index, rule=rule, pattern=pattern, keywords=keywords)
