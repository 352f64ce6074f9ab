"""Globs made from gitleaks path regexes mean what the regexes meant, read as
git reads globs (which is how `PathMatcher` reads them).

The converter used to copy a regex class into brackets as it was (`[\\]a]`,
`[\\d]`, `[\\\\.]`: a backslash is an escape to git, `\\d` a `d`) and regex
escapes into the glob unescaped (`a\\*b` became the wildcard `a*b`), and it
left a trailing space, which git trims. Regexes it converts exactly (a name made
of literals, escaped punctuation and classes, at the end of the path) are
generated here with a seed, and every path made from them is named by the globs
exactly when RE2 (the syntax of gitleaks' Go regexp) finds the regex in it.
"""

from __future__ import annotations

import random

import pytest
import re2

from scanner.compat.gitleaks_regex import path_globs
from scanner.suppress import PathMatcher

ESCAPED = ("\\*", "\\?", "\\[", "\\]", "\\\\", "\\.", "\\-", "\\ ", "\\!", "\\#", "\\^", "\\$")
MEMBERS = ("a", "b", "z", "7", ".", "!", "#", " ", "\\]", "\\\\", "\\-", "\\[", "\\^", "a-f", "0-9")
MEMBERS_ANYWHERE = (*MEMBERS, "\\d", "\\w", "^", "!")
PATH_CHARS = "ab7z.!#- ]\\[^*?_/Q"


def _class(rng: random.Random) -> str:
    first = rng.choice((*MEMBERS, "-"))
    rest = [rng.choice(MEMBERS_ANYWHERE) for _ in range(rng.randint(0, 3))]
    return "[" + first + "".join(rest) + rng.choice(("", "-")) + "]"


def _atom(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.3:
        return rng.choice("abz7_")
    return rng.choice(ESCAPED) if roll < 0.6 else _class(rng)


def _regex(rng: random.Random) -> str:
    head = rng.choice(("(?:^|/)", "^", "(^|/)", ""))
    tail = rng.choice(("", " ", "\\ "))
    return head + "".join(_atom(rng) for _ in range(rng.randint(1, 4))) + tail + "$"


def _paths(rng: random.Random) -> list[str]:
    names = ["".join(rng.choice(PATH_CHARS) for _ in range(rng.randint(1, 5))) for _ in range(300)]
    return [n.strip("/") for n in names if n.strip("/")]


def _names_for(regex: str, rng: random.Random) -> list[str]:
    """Of some more made-up names, those the regex finds (asked again under a folder)."""
    found = re2.compile(regex)
    return [p for p in _paths(rng) if found.search(p)]


@pytest.mark.parametrize("seed", range(8))
def test_converted_globs_name_what_the_regex_finds(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(60):
        regex = _regex(rng)
        globs = path_globs(regex)
        assert globs is not None, regex
        matcher, found = PathMatcher(globs), re2.compile(regex)
        paths = _paths(rng) + [f"d/{p}" for p in _names_for(regex, rng)]
        for path in paths:
            assert matcher.matches_file(path) is bool(found.search(path)), (regex, globs, path)


@pytest.mark.parametrize(
    ("regex", "globs"),
    [
        (r"a\*b$", ("*a\\*b",)),
        (r"\[x\]\.key$", ("*\\[x].key",)),
        (r"[\]a]\.pem$", ("*[]a].pem",)),
        (r"[\\.]x$", ("*[.\\\\]x",)),
        (r"[a\-z]$", ("*[az-]",)),
        (r"[!^]$", ("*[\\!^]",)),
        (r"[\w.-]+\.key$", ("*[0-9A-Za-z._-]*.key",)),
        (r"^\!x$", ("/!x",)),
        (r"(^|/)\!x$", ("/!x", "\\!x")),
        (r"x $", ("*x\\ ",)),
        (r"[\s]$", None),  # `\s` holds the line break, which no glob can
        (r"[é]\.key$", None),  # a bracket takes a byte, `é` is two
        (r"[a/]b$", None),  # a bracket never names `/`
    ],
)  # fmt: skip
def test_the_glob_for_a_regex(regex: str, globs: tuple[str, ...] | None) -> None:
    assert path_globs(regex) == globs
