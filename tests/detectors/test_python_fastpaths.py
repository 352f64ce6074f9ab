"""The Python detector's cheaper ways of finding what it found before, each held
equal to the plain way it replaced (kept here as the reference) on real and
generated texts: where a file's prefix is cut (`python_windows.cut_prefix`)."""

from __future__ import annotations

import random
import sysconfig
from pathlib import Path

import pytest

from scanner.detectors.python_windows import cut_prefix

_MARKS = ("\ndef ", "\nclass ", "\nasync def ", "\n@")


def _cut_by_split(text: str, line: int) -> str | None:
    """`cut_prefix` as it was: the text split into lines up to `line`, then each
    mark looked for after it."""
    if "\r" in text:
        return None
    parts = text.split("\n", line)
    if len(parts) <= line:
        return None
    start = len(text) - len(parts[-1])
    found = [at for at in (text.find(mark, start - 1) for mark in _MARKS) if at >= 0]
    cut = min(found, default=-1) + 1
    if cut <= 0 or cut > len(text) - 4096:
        return None
    return text[:cut]


def _stdlib_texts(count: int, seed: int) -> list[str]:
    root = Path(sysconfig.get_paths()["stdlib"])
    paths = sorted(root.glob("*.py")) + sorted((root / "test").glob("test_*.py"))
    chosen = random.Random(seed).sample(paths, count)
    return [path.read_bytes().decode("utf-8", "surrogateescape") for path in chosen]


def _lines_to_try(text: str, rng: random.Random) -> list[int]:
    lines = text.count("\n") + 2
    every = range(lines + 1)
    return list(every) if lines <= 300 else sorted(rng.sample(every, 300))


@pytest.mark.parametrize("seed", range(3))
def test_cut_prefix_as_by_split_on_the_standard_library(seed: int) -> None:
    rng = random.Random(seed)
    cuts = 0
    for text in _stdlib_texts(40, seed):
        for line in _lines_to_try(text, rng):
            expected = _cut_by_split(text, line)
            assert cut_prefix(text, line) == expected, line
            cuts += expected is not None
    assert cuts > 1000  # the texts are cut, not only left whole


def _generated(rng: random.Random) -> str:
    """Lines with marks at column 0 and indented, blank lines, long bodies and
    text after the last mark shorter and longer than what must be left out."""
    heads = ["def f():", "class C:", "async def g():", "@deco", "x = 1", "", "# c", "  def h():"]
    body = ["    pass", "    y = 'def x'", "\tz = 2", "    " + "w" * rng.randint(0, 3000)]
    lines = [rng.choice(heads if rng.random() < 0.4 else body) for _ in range(rng.randint(0, 60))]
    text = "\n".join(lines)
    return text + "\n" * rng.randint(0, 2) + "q" * rng.choice([0, 10, 4095, 4096, 4097, 9000])


def test_cut_prefix_as_by_split_on_generated_texts() -> None:
    rng = random.Random(7)
    outcomes = set()
    for _ in range(600):
        text = _generated(rng)
        for line in range(text.count("\n") + 3):
            expected = _cut_by_split(text, line)
            assert cut_prefix(text, line) == expected, (text, line)
            outcomes.add(expected is None)
    assert outcomes == {True, False}


def test_cut_prefix_at_the_edges() -> None:
    tail = "x = 1\n" * 800  # more than is ever left out
    text = "a = 1\n\ndef f():\n    pass\n" + tail + "def g():\n    pass\n" + tail
    assert cut_prefix(text, 1) == "a = 1\n\n"  # the first mark after line 1
    assert cut_prefix(text, 3) == text[: text.index("def g")]  # after the mark's own line
    assert cut_prefix(text, 0) is None
    assert cut_prefix(text.replace("\n", "\r\n"), 1) is None
    assert cut_prefix(text, text.count("\n") + 1) is None  # past the end
    near_end = "a = 1\n" + "def f():\n    pass\n" + "b = 2\n" * 10
    assert cut_prefix(near_end, 1) is None  # too little left out


def test_cut_prefix_leaves_out_at_least_4096_characters() -> None:
    for left in (4095, 4096, 4097):
        text = "a = 1\n" + "def f():\n" + "x" * (left - len("def f():\n"))
        expected = _cut_by_split(text, 1)
        assert cut_prefix(text, 1) == expected
        assert (expected is None) == (left < 4096)
