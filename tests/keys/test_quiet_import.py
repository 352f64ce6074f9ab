"""Loading the key code prints no library warning: a scan's stderr carries
keysweep's own lines only (a DSA deprecation notice on every run is noise)."""

from __future__ import annotations

import subprocess
import sys


def test_importing_key_identity_warns_about_nothing() -> None:
    code = "import scanner.keys.fingerprint, scanner.registry.jwk"
    done = subprocess.run(
        [sys.executable, "-W", "error", "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
