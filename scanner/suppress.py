"""Suppression: path allowlists, inline allow comments, secret-value allowlists.

The baseline, the last step, lives in `baseline.py` and is applied by `scan.py`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pathspec

from scanner.text import line_at

_INLINE = re.compile(
    rb"keysweep:allow(?:[ \t]+(?P<rules>[A-Za-z0-9_.,\- \t]+?))?(?=\s*(?:\*/|-->|$|[\"'#;]))"
)
_PRAGMA = re.compile(rb"pragma:\s*allowlist[ -]secret")


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
        import re2

        self._patterns = [re2.compile(p.encode()) for p in patterns]

    def matches(self, secret: bytes) -> bool:
        return any(p.search(secret) for p in self._patterns)


def inline_allowed(data: bytes, line: int, rule_id: str) -> bool:
    """`keysweep:allow [rule-id …]` or `pragma: allowlist secret` on the line or the one above."""
    for number in (line, line - 1):
        if number < 1:
            continue
        text = line_at(data, number)
        if _PRAGMA.search(text):
            return True
        for found in _INLINE.finditer(text):
            names = found.group("rules")
            if not names:
                return True
            wanted = {n for n in re.split(rb"[\s,]+", names.strip()) if n}
            if rule_id.encode() in wanted:
                return True
    return False
