"""`PathMatcher` answers as pathspec does, though it imports pathspec only for a
path that one of its globs could name.

Every answer is compared with a `pathspec.GitIgnoreSpec` built from the same
globs: the built-in rules' key-file and path globs and a set of awkward ones,
over paths made from the globs themselves (each wildcard filled, names put in
front, behind and around, near misses with a character changed) and the paths
of this checkout. The test that rules a path out must never rule out a path
pathspec matches; where it lets a path through pathspec decides, so a gap there
would show up as a different answer too.
"""

from __future__ import annotations

import itertools
import random
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pathspec
import pytest

from scanner.config import Config
from scanner.detectors.rules import load_rules
from scanner.model import RuleKind
from scanner.suppress import PathMatcher, _names_file

RULES = load_rules(Config())
KEY_FILE_GLOBS = tuple(g for r in RULES if r.kind is RuleKind.KEY_FILE for g in r.path_include)
RULE_GLOB_SETS = sorted(
    {globs for r in RULES for globs in (r.path_include, r.path_exclude) if globs}
)
AWKWARD = (
    ("id_rsa", "identity/", "a/**/b", "/rooted.key", "x?y.pem", "**/deep/**/z_*"),
    ("*.lock", "!keep.lock"),  # a negation: pathspec is asked about every path
    ("[ab]c.key", "*.pem"),  # a range
    ("trailing ", "a\\*b"),  # a trimmed space, an escape
    ("*",),
    ("**",),
    ("docs/*",),
    ("", "# comment", "*.p12"),
    ("ab*ab", "a*b*c.d", "?", "??.k"),
)
REPO = Path(__file__).resolve().parent.parent


def _fillings(glob: str, rng: random.Random) -> Iterator[str]:
    """Paths that a glob names, nearly names, or names through a folder."""
    fill = ("", "x", "id_rsa", "a.b", "key", ".pem", "-key.pem")
    body = glob.lstrip("!/").rstrip("/")
    for star in fill:
        name = body.replace("**", "d1/d2").replace("*", star).replace("?", "q")
        yield name
        yield f"top/{name}"
        yield f"{name}/inner.txt"
        yield f"top/{name}/inner.py"
        if name:
            cut = rng.randrange(len(name))
            yield name[:cut] + "Z" + name[cut + 1 :]
            yield name[:cut] + name[cut + 1 :]
            yield f"pre{name}"
            yield f"{name}post"


def _checkout_paths() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.split()
    return listed or [str(p.relative_to(REPO)) for p in REPO.rglob("*.py")]


def _paths(globs: Sequence[str]) -> list[str]:
    rng = random.Random(13)
    made = {p for glob in globs for p in _fillings(glob, rng)}
    made.update(("", "/", "./id_rsa", "/abs/id_rsa", "~/home/.gnupg/secring.gpg", "a//b"))
    return sorted(made) + _checkout_paths()


def _assert_same(globs: Sequence[str], paths: Sequence[str]) -> int:
    """Compare every answer with pathspec's; the number of paths it matched."""
    ours = PathMatcher(globs)
    theirs = pathspec.GitIgnoreSpec.from_lines(globs) if globs else None
    matched = 0
    for path in paths:
        normal = path.lstrip("/").removeprefix("~/")
        expected = theirs is not None and theirs.match_file(normal)
        assert ours.matches(path) is bool(expected), (globs, path)
        matched += bool(expected)
        named = theirs is not None and _names_file(theirs.patterns, normal)
        assert ours.matches_file(path) is named, (globs, path)
    return matched


def test_the_key_file_gate_answers_as_pathspec() -> None:
    assert len(KEY_FILE_GLOBS) > 20
    matched = _assert_same(KEY_FILE_GLOBS, _paths(KEY_FILE_GLOBS))
    assert matched > 100  # the made-up paths really reach the globs


@pytest.mark.parametrize("globs", RULE_GLOB_SETS, ids=lambda g: ",".join(g)[:40])
def test_rule_path_globs_answer_as_pathspec(globs: tuple[str, ...]) -> None:
    _assert_same(globs, _paths(globs))


@pytest.mark.parametrize("globs", AWKWARD, ids=lambda g: ",".join(g))
def test_awkward_globs_answer_as_pathspec(globs: tuple[str, ...]) -> None:
    _assert_same(globs, _paths(globs))


def test_every_pair_of_key_file_globs() -> None:
    """Globs in any company: each pair, with each other's paths."""
    for pair in itertools.combinations(KEY_FILE_GLOBS[:20], 2):
        _assert_same(pair, [p for g in pair for p in _fillings(g, random.Random(1))])


def test_an_invalid_glob_is_refused_at_once() -> None:
    with pytest.raises(ValueError):
        PathMatcher(["ok.key", "bad\\"])


def test_pathspec_is_imported_only_for_a_path_a_glob_could_name() -> None:
    code = (
        "import sys\n"
        "from scanner.suppress import PathMatcher\n"
        f"gate = PathMatcher({list(KEY_FILE_GLOBS)!r})\n"
        "assert bool(gate)\n"
        "assert not gate.matches('pkg/mod0.py') and not gate.matches('src/app/key_test.py')\n"
        "print('pathspec' in sys.modules)\n"
        "assert gate.matches('deploy/server.key')\n"
        "print('pathspec' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.split() == ["False", "True"]


def test_a_name_with_a_line_break_gets_pathspecs_answer() -> None:
    """pathspec before 1.0 read globs with `re`, whose `$` matches before a final
    newline, so a file named `id_rsa\\n` was a key file there: such a path is never
    ruled out before pathspec is asked, whatever its version answers."""
    paths = [f"{p}\n" for p in ("id_rsa", "k/x.p12", "a\nb/id_rsa")] + ["id_rsa\nx"]
    _assert_same(KEY_FILE_GLOBS, paths)
