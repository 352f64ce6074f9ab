"""Config loading checks detector names against `scanner.detectors.names`; the
table it cannot import must name the same detectors, in the same order."""

from __future__ import annotations

from scanner.detectors import DETECTORS
from scanner.detectors.names import DETECTOR_NAMES


def test_the_names_config_loading_checks_are_the_detector_table() -> None:
    assert tuple(DETECTORS) == DETECTOR_NAMES
