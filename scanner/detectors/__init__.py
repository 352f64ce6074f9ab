"""Analysis techniques: each turns an item's bytes into Matches.

Built-ins are listed in DETECTORS (name → factory); the factory receives the
Config and the loaded rules, and runs once per worker process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

from scanner.config import Config
from scanner.errors import ConfigError
from scanner.model import Match, Origin, Rule, ScanWarning


class Detector(Protocol):
    name: str

    def wants(self, origin: Origin, data: bytes) -> bool:
        """Cheap check: should `detect` run on this item at all."""
        ...

    def detect(self, origin: Origin, data: bytes) -> Sequence[Match | ScanWarning]:
        """Every match in `data`, and warnings (e.g. "cannot parse: falling back to
        the rules"). Must not raise on bad input."""
        ...


DetectorFactory = Callable[[Config, Sequence[Rule]], Detector]


def _rules(config: Config, rules: Sequence[Rule]) -> Detector:
    from scanner.detectors.rules import RuleDetector

    return RuleDetector(config, rules)


def _python(config: Config, rules: Sequence[Rule]) -> Detector:
    from scanner.detectors.python_cst import PythonDetector

    return PythonDetector(config, rules)


def _detect_secrets(config: Config, rules: Sequence[Rule]) -> Detector:
    from scanner.detectors.detect_secrets import DetectSecretsDetector

    return DetectSecretsDetector(config, rules)


DETECTORS: dict[str, DetectorFactory] = {
    "rules": _rules,
    "python": _python,
    "detect-secrets": _detect_secrets,
}


def check_detectors(config: Config) -> None:
    """Every detector the config names exists: an unknown name is a one-line error
    naming the config file, before anything is scanned."""
    where = f"{config.source_file}: at key 'detectors'" if config.source_file else "detectors"
    check_detector_names(config.detectors, where)


def check_detector_names(names: Sequence[str], where: str) -> None:
    for name in names:
        if name not in DETECTORS:
            known = ", ".join(sorted(DETECTORS))
            raise ConfigError(f"{where}: unknown detector {name!r} (known: {known})")
