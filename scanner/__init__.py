"""keysweep: finds stored signing keys and hardcoded credentials, fingerprints
every key, and cross-checks it against the organisation's key registry.

The library API is what `__all__` names (see "Use from Python" in README.md):
`scan(config, targets)` runs the pipeline and returns a `Report`. Names are
loaded on first use, so `keysweep --version` and the pre-commit hook start
fast. No exported name is also the name of a module in this package, so
importing a submodule can never replace an export.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from scanner.baseline import Baseline, load_baseline
    from scanner.config import Config, load_config
    from scanner.detectors.rules import load_rules
    from scanner.model import Finding, Report, Severity
    from scanner.pipeline import scan
    from scanner.registry.entries import Registry
    from scanner.registry.loading import load_registry
    from scanner.sources.build import Files, GitHistory, Stdin
    from scanner.sources.gitrange import GitRange

EXPORTS: dict[str, str] = {
    "Baseline": "scanner.baseline",
    "Config": "scanner.config",
    "Files": "scanner.sources.build",
    "Finding": "scanner.model",
    "GitHistory": "scanner.sources.build",
    "GitRange": "scanner.sources.gitrange",
    "Registry": "scanner.registry.entries",
    "Report": "scanner.model",
    "Severity": "scanner.model",
    "Stdin": "scanner.sources.build",
    "load_baseline": "scanner.baseline",
    "load_config": "scanner.config",
    "load_registry": "scanner.registry.loading",
    "load_rules": "scanner.detectors.rules",
    "scan": "scanner.pipeline",
}
"""Each public name and the module that defines it."""

__all__ = [
    "Baseline",
    "Config",
    "Files",
    "Finding",
    "GitHistory",
    "GitRange",
    "Registry",
    "Report",
    "Severity",
    "Stdin",
    "__version__",
    "load_baseline",
    "load_config",
    "load_registry",
    "load_rules",
    "scan",
]


def __getattr__(name: str) -> Any:
    module = EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'scanner' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later lookups skip this function
    return value
