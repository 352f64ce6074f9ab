"""The names of the detectors, for code that must check a name without loading
the detector table.

Config loading checks the `detectors` a file names (exit 2 naming the file), and
the table in `scanner/detectors/__init__.py` builds detectors from the loaded
config: were config loading to read the table, each would import the other. So
the names live here too, and `tests/detectors/test_detector_names.py` holds the
two lists equal.
"""

from __future__ import annotations

from collections.abc import Sequence

from scanner.errors import ConfigError

DETECTOR_NAMES = ("rules", "python", "detect-secrets")
"""Every key of `scanner.detectors.DETECTORS`, in its order."""


def check_names(names: Sequence[str], where: str) -> None:
    """ConfigError naming `where` and the place in the list of the first name that
    is no detector; the name is not quoted (a scanned config may hold anything)."""
    for number, name in enumerate(names, 1):
        if name not in DETECTOR_NAMES:
            known = ", ".join(sorted(DETECTOR_NAMES))
            raise ConfigError(f"{where}: unknown detector (entry {number}; known: {known})")
