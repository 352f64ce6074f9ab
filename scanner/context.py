"""Where a finding sits: production code, tests, fixtures, vendored code, docs or
examples — and which of those make the gate fail.

A secret in `testdata/` or in a README is usually a sample, while the same value
in a service's config is a leak. Judging them alike made every large tree fail
on day one. The context is derived from the path alone (folders and file name
patterns), so it costs nothing per byte and is the same for every detector.

By default only production findings fail the gate; a registry verdict (a
registered or retired key) fails it wherever it sits, because such a key is real
in any folder. Every finding is still reported with its context.
"""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from scanner.model import UNSCANNED_RULE, Finding, Severity

PRODUCTION = "production"
CONTEXTS = (PRODUCTION, "test", "fixture", "vendored", "docs", "example")
DEFAULT_FAIL_CONTEXTS: tuple[str, ...] = (PRODUCTION,)

_FOLDERS: tuple[tuple[str, frozenset[str]], ...] = (
    ("vendored", frozenset({"vendor", "node_modules", "third_party", "third-party",
                            "thirdparty", "site-packages", "bower_components", "external"})),
    ("fixture", frozenset({"testdata", "test-data", "test_data", "fixtures", "fixture",
                           "__fixtures__", "__snapshots__", "mocks", "__mocks__"})),
    ("test", frozenset({"tests", "test", "__tests__", "spec", "specs", "testing", "e2e"})),
    ("example", frozenset({"examples", "example", "samples", "sample", "demo", "demos"})),
    ("docs", frozenset({"docs", "doc", "documentation", "man", "site-docs"})),
)  # fmt: skip
"""The first folder kind found, in this order, names the context."""

_FILES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("test", ("*_test.go", "test_*.py", "*_test.py", "conftest.py", "*.test.[jt]s",
              "*.spec.[jt]s", "*.test.[jt]sx", "*.spec.[jt]sx", "*test.java", "*tests.java",
              "*_spec.rb", "*_test.rb", "*test.kt", "*tests.cs", "*test.php")),
    ("example", ("*.example", "*.sample", "*.dist", "*.template", "*.tmpl", "*.example.*",
                 "*.sample.*", "example.*", "sample.*")),
    ("docs", ("*.md", "*.markdown", "*.rst", "*.adoc", "*.asciidoc", "*.tex", "*.rdoc",
              "*.pod")),
)  # fmt: skip


def context_of(path: str) -> str:
    """The context of a display path (archive members included: `a.zip!b/c.py`)."""
    parts = [p for p in path.replace("\\", "/").replace("!", "/").lower().split("/") if p]
    if not parts:
        return PRODUCTION
    folders = set(parts[:-1])
    for name, names in _FOLDERS:
        if not folders.isdisjoint(names):
            return name
    for name, globs in _FILES:
        if any(fnmatchcase(parts[-1], glob) for glob in globs):
            return name
    return PRODUCTION


def strongest(contexts: Iterable[str]) -> str:
    """The context of a secret seen at several places: production if any place is
    production (a copy in real code is real), else the first place's."""
    found = list(contexts)
    return PRODUCTION if PRODUCTION in found else found[0]


def parse_contexts(values: Iterable[str]) -> tuple[str, ...]:
    """Validated context names; 'all' selects every context."""
    chosen: list[str] = []
    for number, value in enumerate(values, 1):
        name = value.strip().lower()
        if name == "all":
            return CONTEXTS
        if name not in CONTEXTS:  # never quoted: it may come from a scanned config
            raise ValueError(
                f"unknown context (entry {number}; choose from {', '.join(CONTEXTS)}, all)"
            )
        chosen.append(name)
    return tuple(dict.fromkeys(chosen))


def blocks(finding: Finding, fail_on: Severity, contexts: Iterable[str]) -> bool:
    """Whether this finding fails the gate: at or above `fail_on`, and in a chosen
    context or carrying a registry verdict (real wherever it sits)."""
    if finding.severity < fail_on:
        return False
    real_anywhere = finding.registry is not None or finding.rule == UNSCANNED_RULE
    return real_anywhere or finding.context in contexts
