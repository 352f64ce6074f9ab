"""Suppression: path allowlists, inline allow comments, secret-value allowlists.

The baseline, the last step, lives in `baseline.py` and is applied by `pipeline.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pathspec
import re2

from scanner.pathnames import shown

_COMMENT = re2.compile(
    rb"keysweep:allow(?:[ \t]+([A-Za-z][A-Za-z0-9_.,\- \t]*[A-Za-z0-9_.\-]))?"
    rb"|pragma:[ \t]*allowlist[ -]secret"
    rb"|gitleaks:allow"
)
_SPLIT = re2.compile(rb"[\s,]+")


class PathMatcher:
    """Gitignore-style globs on root-relative paths (through `pathspec`)."""

    def __init__(self, globs: Sequence[str]) -> None:
        self._spec = pathspec.GitIgnoreSpec.from_lines(globs) if globs else None

    def matches(self, path: str) -> bool:
        if self._spec is None:
            return False
        return self._spec.match_file(shown(path).lstrip("/").removeprefix("~/"))

    def matches_file(self, path: str) -> bool:
        """Like `matches`, but a glob must name the path itself: a folder it names
        (`identity/`) does not make the files inside that folder match."""
        if self._spec is None:
            return False
        return _names_file(self._spec.patterns, path.lstrip("/").removeprefix("~/"))

    def __bool__(self) -> bool:
        return self._spec is not None


def _names_file(patterns: Sequence[Any], path: str) -> bool:
    """Gitignore order (the last matching glob decides), counting a match only where
    it ends at the path's end: pathspec marks a match on a parent folder `ps_d`."""
    named = False
    for pattern in patterns:
        regex = getattr(pattern, "regex", None)
        found = regex.match(path) if regex is not None and pattern.include is not None else None
        if found is not None and not (pattern.include and found.groupdict().get("ps_d")):
            named = bool(pattern.include)
    return named


class ValueAllowlist:
    """Regexes for documented example values; RE2, so no pattern can hang a scan."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._patterns = [re2.compile(p.encode()) for p in patterns]

    def matches(self, secret: bytes) -> bool:
        return any(p.search(secret) for p in self._patterns)


ALL_RULES = "*"


class InlineAllows:
    """The inline allow comments of one item, read in one pass: `keysweep:allow`
    (every rule), `keysweep:allow <rule-id> …`, or the other scanners' markers that
    teams already have in their code, `pragma: allowlist secret` (detect-secrets)
    and `gitleaks:allow` (gitleaks), which allow every rule.
    A comment covers its own line and the line below it."""

    def __init__(self, data: bytes) -> None:
        self._by_line: dict[int, set[str]] = {}
        if b"allow" not in data:
            return
        line, counted = 1, 0
        for found in _COMMENT.finditer(data):
            start = found.start()
            line += data.count(b"\n", counted, start)
            counted = start
            self._by_line.setdefault(line, set()).update(_rules_named(found))

    def allows(self, line: int, rule_id: str) -> bool:
        for number in (line, line - 1):
            names = self._by_line.get(number)
            if names and (ALL_RULES in names or rule_id in names):
                return True
        return False


def _rules_named(found: Any) -> set[str]:
    names = found.group(1)
    if not names:  # a bare keysweep:allow, or the detect-secrets or gitleaks marker
        return {ALL_RULES}
    return {n.decode() for n in _SPLIT.split(names.strip()) if n}
