"""Suppression: path allowlists, inline allow comments, secret-value allowlists.

The baseline, the last step, lives in `baseline.py` and is applied by `scan.py`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pathspec
import re2

_INLINE = re2.compile(rb"keysweep:allow(?:[ \t]+([A-Za-z][A-Za-z0-9_.,\- \t]*[A-Za-z0-9_.\-]))?")
_PRAGMA = re2.compile(rb"pragma:\s*allowlist[ -]secret")
_SPLIT = re2.compile(rb"[\s,]+")


class PathMatcher:
    """Gitignore-style globs on root-relative paths (through `pathspec`)."""

    def __init__(self, globs: Sequence[str]) -> None:
        self._spec = pathspec.GitIgnoreSpec.from_lines(globs) if globs else None

    def matches(self, path: str) -> bool:
        if self._spec is None:
            return False
        return self._spec.match_file(path.lstrip("/").removeprefix("~/"))

    def __bool__(self) -> bool:
        return self._spec is not None


class ValueAllowlist:
    """Regexes for documented example values; RE2, so no pattern can hang a scan."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._patterns = [re2.compile(p.encode()) for p in patterns]

    def matches(self, secret: bytes) -> bool:
        return any(p.search(secret) for p in self._patterns)


def inline_allowed(data: bytes, offset: int, rule_id: str) -> bool:
    """`keysweep:allow [rule-id …]` or `pragma: allowlist secret` on the line holding
    byte `offset`, or on the line above it."""
    start = data.rfind(b"\n", 0, offset) + 1
    end = data.find(b"\n", offset)
    line = data[start : len(data) if end < 0 else end]
    above = data[data.rfind(b"\n", 0, max(start - 1, 0)) + 1 : max(start - 1, 0)]
    return any(_allows(text, rule_id) for text in (line, above))


def _allows(text: bytes, rule_id: str) -> bool:
    if b"allow" not in text:
        return False
    if _PRAGMA.search(text):
        return True
    for found in _INLINE.finditer(text):
        names = found.group(1)
        if not names:
            return True
        wanted = {n for n in _SPLIT.split(names.strip()) if n}
        if rule_id.encode() in wanted:
            return True
    return False
