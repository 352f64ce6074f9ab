"""The YAML rules: loading, validation, and the detector that runs them (stub:
the engine room replaces this).

CONTRACT: load_rules(config) -> tuple[Rule, ...] (built-in + config.rules_dirs,
raises RuleError naming file, rule id and field); RuleDetector(config, rules)
satisfies scanner.detectors.Detector."""

from __future__ import annotations

from collections.abc import Sequence

from scanner.config import Config
from scanner.model import Match, Origin, Rule


def load_rules(config: Config) -> tuple[Rule, ...]:
    return ()


class RuleDetector:
    name = "rules"

    def __init__(self, config: Config, rules: Sequence[Rule]) -> None:
        self.rules = rules

    def wants(self, origin: Origin, data: bytes) -> bool:
        return True

    def detect(self, origin: Origin, data: bytes) -> list[Match]:
        return []
