"""Python detector (stub: the code-aware room replaces this)."""

from __future__ import annotations

from collections.abc import Sequence

from scanner.config import Config
from scanner.model import Match, Origin, Rule


class PythonDetector:
    name = "python"

    def __init__(self, config: Config, rules: Sequence[Rule]) -> None:
        pass

    def wants(self, origin: Origin, data: bytes) -> bool:
        return False

    def detect(self, origin: Origin, data: bytes) -> list[Match]:
        return []
