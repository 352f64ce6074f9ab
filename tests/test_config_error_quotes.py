"""A config found in the scanned tree is scanned input: an error about one of its
values names the file, the key and what is wrong, and never echoes the value.

Each case writes a freshly made token where a value (or a key) belongs in a real
repository's `.keysweep.yaml` and runs the real CLI: exit 2, one line on stderr
(RE2 logs nothing of its own), and no 8-character piece of the token anywhere.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import checksummed, git


def _pieces(secret: str, width: int = 8) -> set[str]:
    return {secret[i : i + width] for i in range(len(secret) - width + 1)}


CASES = {
    "fail_on": ("fail_on: {t}\n", "at key 'fail_on': unknown severity (choose from info, "),
    "unscanned_severity": (
        "unscanned_severity: {t}\n",
        "at key 'unscanned_severity': unknown severity (choose from ",
    ),
    "detectors": (
        "detectors: [rules, {t}]\n",
        "at key 'detectors': unknown detector (entry 2; known: detect-secrets, python, rules)",
    ),
    "fail_on_context": (
        "fail_on_context: [test, {t}]\n",
        "at key 'fail_on_context': unknown context (entry 2; choose from production, ",
    ),
    "allow_values": (
        "allow_values: ['ok', '{t}++x']\n",
        "at key 'allow_values': invalid regex (entry 2: bad repetition operator)",
    ),
    "allow_values quoted by RE2": (
        "allow_values: ['(({t}']\n",
        "at key 'allow_values': invalid regex (entry 1: missing ))",
    ),
    "an unknown key": ("fail_on: high\n{t}: 1\n", "unknown key (key 2; known: allow_paths, "),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_bad_value_is_named_never_quoted(tmp_path: Path, case: str) -> None:
    template, words = CASES[case]
    secret = checksummed("ghp_")
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    config = repo / ".keysweep.yaml"
    config.write_text(template.format(t=secret))
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", "."],
        cwd=repo,
        env={**os.environ, "KEYSWEEP_DEBUG": ""},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert line.startswith(f"keysweep: error: {config}: ") and words in line
    assert not any(piece in done.stdout + done.stderr for piece in _pieces(secret))


def test_an_unknown_key_near_a_setting_is_named_by_the_setting(tmp_path: Path) -> None:
    """A typo is still easy to find: its place and the setting it is nearest to."""
    config = tmp_path / ".keysweep.yaml"
    config.write_text("jobs: 1\nfail-onn: high\n")
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "scan", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert f"{config}: unknown key (key 2; did you mean 'fail_on'? known: " in line
