"""A plain (non-editable) install of the wheel finds its built-in rules from any folder."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_wheel_ships_rules_and_schema_and_works_from_another_folder(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("keysweep-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    shipped_rules = [
        n for n in names if n.startswith("scanner/_builtin_rules/") and n.endswith(".yaml")
    ]
    assert shipped_rules, "built-in rules are not in the wheel"
    assert "scanner/py.typed" in names
    assert "scanner/registry/schema.json" in names
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "-q",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(site)}
    probe = subprocess.run(
        [sys.executable, "-c", "import scanner, sys; print(scanner.__file__)"],
        cwd=elsewhere,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert probe.stdout.strip().startswith(str(site)), "the wheel's copy was not the one imported"
    listed = subprocess.run(
        [sys.executable, "-m", "scanner", "rules", "list", "--format", "json"],
        cwd=elsewhere,
        env=env,
        capture_output=True,
        text=True,
    )
    assert listed.returncode == 0, listed.stderr
    assert len(__import__("json").loads(listed.stdout)) >= 100
