"""Analysis techniques: each turns an item's bytes into Matches.

One table, DETECTORS (name → `DetectorEntry`), is everything the rest of the
code knows about detectors: the CLI's and the config's detector names, the
factory (which receives the Config and the loaded rules, and runs once per
worker process), and the rules each detector declares (`declared.py`, gathered by `catalog.py`: what
`keysweep rules list` shows and what `disabled_rules` can name). A detector
built from the table never reports a rule the config disables, whichever
detector it is. Adding a detector: its module and one line in the table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from scanner.config import Config
from scanner.errors import ConfigError
from scanner.model import Match, Origin, Rule, ScanWarning

if TYPE_CHECKING:
    from scanner.detectors.declared import DeclaredRule


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
RuleDeclaration = Callable[[Sequence[Rule]], "Sequence[DeclaredRule]"]
"""The rules a detector reports under, given the loaded YAML rules."""


@dataclass(frozen=True)
class DetectorEntry:
    """One row of the detector table. Calling it builds the detector."""

    build: DetectorFactory
    declare: RuleDeclaration

    def __call__(self, config: Config, rules: Sequence[Rule]) -> Detector:
        from scanner.detectors.declared import without_disabled

        return without_disabled(self.build(config, rules), config.disabled_rules)


def _rules(config: Config, rules: Sequence[Rule]) -> Detector:
    from scanner.detectors.rules import RuleDetector

    if "python" not in config.detectors:
        return RuleDetector(config, rules)
    from scanner.detectors.python_gate import side_patterns

    return RuleDetector(config, rules, side=side_patterns())


def _python(config: Config, rules: Sequence[Rule]) -> Detector:
    from scanner.detectors.python_cst import PythonDetector

    return PythonDetector(config, rules)


def _detect_secrets(config: Config, rules: Sequence[Rule]) -> Detector:
    from scanner.detectors.detect_secrets import DetectSecretsDetector

    return DetectSecretsDetector(config, rules)


def _rules_declared(rules: Sequence[Rule]) -> Sequence[DeclaredRule]:
    from scanner.detectors.declared import yaml_rules

    return yaml_rules(rules)


def _python_declared(rules: Sequence[Rule]) -> Sequence[DeclaredRule]:
    from scanner.detectors.declared import python_rules

    return python_rules()


def _detect_secrets_declared(rules: Sequence[Rule]) -> Sequence[DeclaredRule]:
    from scanner.detectors.detect_secrets import declared_rules

    return declared_rules()


DETECTORS: dict[str, DetectorEntry] = {
    "rules": DetectorEntry(_rules, _rules_declared),
    "python": DetectorEntry(_python, _python_declared),
    "detect-secrets": DetectorEntry(_detect_secrets, _detect_secrets_declared),
}


def share_first_looks(detectors: Sequence[Detector]) -> None:
    """Let the Python detector take its gate's answer from the rule engine's scan
    of the same item (its database holds the gate's expressions when the config
    runs both: `_rules`), so a Python file is scanned by Hyperscan once. Where the
    engine has no answer (it did not scan those bytes, or not to their end), the
    detector looks for itself, as it does alone."""
    from scanner.detectors.python_cst import PythonDetector
    from scanner.detectors.rules import RuleDetector

    found = {d.name: getattr(d, "inner", d) for d in detectors}
    rules, python = found.get("rules"), found.get("python")
    if not isinstance(rules, RuleDetector) or not isinstance(python, PythonDetector):
        return
    if rules.engine.has_side:
        python.share_gate(rules.engine.side_found)


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
