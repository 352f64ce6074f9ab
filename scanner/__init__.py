"""keysweep: finds stored signing keys and hardcoded credentials, fingerprints
every key, and cross-checks it against the organisation's key registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["Config", "Finding", "Report", "Severity", "__version__", "scan"]

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.model import Finding, Report, Severity
    from scanner.pipeline import scan


def __getattr__(name: str) -> Any:
    # Lazy, so that `keysweep --version` and the pre-commit hook start fast.
    if name == "Config":
        from scanner.config import Config

        return Config
    if name in {"Finding", "Report", "Severity"}:
        from scanner import model

        return getattr(model, name)
    if name == "scan":
        from scanner.pipeline import scan

        return scan
    raise AttributeError(name)
