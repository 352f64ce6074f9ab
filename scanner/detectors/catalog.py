"""The catalog of rule ids: every rule any detector in the table can report under,
as `keysweep rules list` shows it."""

from __future__ import annotations

from collections.abc import Sequence

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.detectors.declared import DeclaredRule
from scanner.engine.ruleset import is_disabled
from scanner.model import Rule


def catalog(config: Config, rules: Sequence[Rule]) -> list[DeclaredRule]:
    """Every rule of every detector in the table, less the disabled ones."""
    declared = [rule for entry in DETECTORS.values() for rule in entry.declare(rules)]
    return [r for r in declared if not is_disabled(r.id, config.disabled_rules)]
