"""The rules a detector declares, and the filter that makes `disabled_rules` reach them.

The YAML rules are one detector's; the Python detector and detect-secrets
report under ids of their own (`python.hardcoded-password`,
`detect-secrets.slack-token`). Each detector declares its rules as
`DeclaredRule` values through the detector table (`DETECTORS[name].declare`);
`catalog.py` gathers them for `keysweep rules list`. A detector built from the
table drops matches of a disabled rule (`without_disabled`), whatever engine
found them; the YAML loader applies the same patterns
(`engine.ruleset.is_disabled`) before compiling.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.engine.ruleset import is_disabled
from scanner.model import Match, Origin, Rule, RuleKind, ScanWarning, Severity

if TYPE_CHECKING:
    from scanner.detectors import Detector


@dataclass(frozen=True)
class DeclaredRule:
    """A rule id a detector reports under, and what its findings are."""

    id: str
    name: str
    kind: RuleKind
    severity: Severity
    detector: str
    source: str = ""
    """The rule file, or the module that declares the rule."""
    keywords: tuple[str, ...] = ()
    references: tuple[str, ...] = ()


def yaml_rules(rules: Sequence[Rule]) -> list[DeclaredRule]:
    return [
        DeclaredRule(
            r.id, r.name, r.kind, r.severity, "rules", r.source_file, r.keywords, r.references
        )
        for r in rules
    ]


def python_rules() -> list[DeclaredRule]:
    from scanner.detectors import python_cst

    return [
        DeclaredRule(rule_id, rule.name, rule.kind, rule.severity, "python", python_cst.__name__)
        for rule_id, rule in python_cst.RULES.items()
    ]


class _WithoutDisabled:
    """A detector whose matches of disabled rules never leave it."""

    def __init__(self, inner: Detector, disabled: Sequence[str]) -> None:
        self.inner = inner
        self.name = inner.name
        self.disabled = tuple(disabled)

    def wants(self, origin: Origin, data: bytes) -> bool:
        return self.inner.wants(origin, data)

    def detect(self, origin: Origin, data: bytes) -> list[Match | ScanWarning]:
        return [
            found
            for found in self.inner.detect(origin, data)
            if isinstance(found, ScanWarning) or not is_disabled(found.rule_id, self.disabled)
        ]


def without_disabled(detector: Detector, disabled: Sequence[str]) -> Detector:
    """`detector`, less its matches of the rules `disabled` names (globs allowed)."""
    return _WithoutDisabled(detector, disabled) if disabled else detector
