"""Property tests are derandomised unless a run asks to explore (tests/conftest.py):
CI and every landing draw the same examples, so a rare failing draw cannot stop a
landing at random, and a failure reproduces on a rerun."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

TESTS = Path(__file__).resolve().parent

PROBE = """\
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

OUT = Path(__file__).with_name("drawn.txt")


@settings(max_examples=25)  # as the suite's property tests set their own settings
@given(st.binary(min_size=8, max_size=64))
def test_draws(data: bytes) -> None:
    with OUT.open("a") as out:
        out.write(data.hex() + "\\n")
"""


def _drawn(tmp_path: Path, profile: str | None) -> list[str]:
    """Examples a property test in a fresh pytest run under the suite's conftest draws."""
    folder = tmp_path / f"run-{len(list(tmp_path.iterdir()))}"
    folder.mkdir()
    (folder / "conftest.py").write_text((TESTS / "conftest.py").read_text())
    (folder / "test_probe.py").write_text(PROBE)
    env = {k: v for k, v in os.environ.items() if k != "HYPOTHESIS_PROFILE"}
    env["PYTHONPATH"] = str(TESTS)
    env |= {"HYPOTHESIS_PROFILE": profile} if profile else {}
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_probe.py"]
    done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return (folder / "drawn.txt").read_text().splitlines()


def test_the_suite_draws_the_same_examples_on_every_run(tmp_path: Path) -> None:
    first, second = _drawn(tmp_path, None), _drawn(tmp_path, None)
    assert len(first) >= 10 and first == second


def test_the_explore_profile_draws_fresh_examples(tmp_path: Path) -> None:
    assert _drawn(tmp_path, "explore") != _drawn(tmp_path, "explore")


def test_this_run_is_derandomised_unless_exploring() -> None:
    if os.environ.get("HYPOTHESIS_PROFILE", "derandomized") == "explore":
        pytest.skip("HYPOTHESIS_PROFILE=explore: fresh examples asked for")
    assert settings().derandomize is True
    drawn: list[int] = []

    @settings(max_examples=20)
    @given(st.integers())
    def draw(n: int) -> None:
        drawn.append(n)

    draw()
    first = list(drawn)
    drawn.clear()
    draw()
    assert first == drawn
