"""Pattern text shared by RE2 and Hyperscan: a table of pattern in, pattern out."""

from __future__ import annotations

import pytest

from scanner.engine.syntax import compile_re2, literal, max_width, normalise


@pytest.mark.parametrize(
    ("written", "shared"),
    [
        (r"(?P<secret>tok_[a-z]{8})", r"(?P<secret>tok_[a-z]{8})"),
        ("(?x) a b  # comment\n c", "abc"),
        ("(?xi)\n  key \\  = [ #]+  # spaces in a class stay\n", r"(?i)key\x20=[ #]+"),
        (r"(?x) \# [^]\ ] ", r"\#[^]\x20]"),
        (r"end\Z", r"end\z"),
        (r"not\\Z", r"not\\Z"),
    ],
)
def test_normalise(written: str, shared: str) -> None:
    assert normalise(written) == shared
    compile_re2(shared)


@pytest.mark.parametrize(
    ("pattern", "width"),
    [
        (r"(?P<secret>ghp_[A-Za-z0-9]{36})", 40),
        (r"(?i)key\s{0,4}=(?P<secret>[a-z]{8,64})", 3 + 4 + 1 + 64),
        (r"(?P<secret>[a-z]{8,})", None),
        (r"(?P<secret>a+)\z", None),
    ],
)
def test_max_width(pattern: str, width: int | None) -> None:
    assert max_width(pattern) == width


def test_literal_matches_itself_only() -> None:
    text = "BEGIN RSA (key) ünï"
    regex = compile_re2(literal(text))
    assert regex.search(("x " + text + " y").encode()) is not None
    assert regex.search(b"BEGIN RSA key") is None
