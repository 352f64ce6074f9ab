"""Rules in compiled form: the RE2 confirm regex, filters and search window of each."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scanner.engine.syntax import compile_re2, max_width, normalise, secret_group
from scanner.model import Rule, RuleKind
from scanner.suppress import PathMatcher

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
class CompiledRule:
    index: int
    rule: Rule
    pattern: str
    """Normalised pattern text, shared by RE2 and Hyperscan."""
    regex: Any
    group: int
    """Index of the `secret` group (0, the whole match, for key-file content magic)."""
    allow: tuple[Any, ...]
    include: PathMatcher
    exclude: PathMatcher
    keywords: frozenset[int]
    """Indices into the engine's keyword table; empty: the rule always runs."""
    window: int

    def path_allowed(self, paths: Sequence[str] | None) -> bool:
        """Include/exclude globs on any of the item's paths; None skips the check."""
        if paths is None:
            return True
        if self.include and not any(self.include.matches(p) for p in paths):
            return False
        return not (self.exclude and any(self.exclude.matches(p) for p in paths))

    def secret_allowed(self, secret: bytes) -> bool:
        """The entropy floor and the `allow` regexes."""
        from scanner.text import shannon_entropy

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
    regex = compile_re2(pattern) if pattern else None
    group = secret_group(regex) if regex is not None else None
    return CompiledRule(
        index=index,
        rule=rule,
        pattern=pattern,
        regex=regex,
        group=group or 0,
        allow=tuple(compile_re2(normalise(a)) for a in rule.allow),
        include=PathMatcher(rule.path_include),
        exclude=PathMatcher(rule.path_exclude),
        keywords=keywords,
        window=_window(rule, pattern),
    )


def _window(rule: Rule, pattern: str) -> int:
    width = max_width(pattern) if pattern else None
    if width is not None:
        return max(1, min(width, MAX_WINDOW))
    return KEY_WINDOW if rule.kind is RuleKind.PRIVATE_KEY else TOKEN_WINDOW
