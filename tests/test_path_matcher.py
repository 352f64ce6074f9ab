"""`PathMatcher` answers as pathspec does for globs pathspec reads as git does,
though it imports pathspec only for a path that one of its globs could name.
(Where pathspec reads a glob otherwise, `tests/test_glob_git.py` compares
`PathMatcher` with git itself.)

Every answer is compared with a `pathspec.GitIgnoreSpec` built from the same
globs: the built-in rules' key-file and path globs and a set of awkward ones,
over paths made from the globs themselves (each wildcard filled, names put in
front, behind and around, near misses with a character changed) and the paths
of this checkout. The test that rules a path out must never rule out a path
pathspec matches; where it lets a path through pathspec decides, so a gap there
would show up as a different answer too.

A line break in a path is an ordinary character to git, not to pathspec (`.`
does not match it). Paths holding one are compared with pathspec's own patterns
read as git reads it (`_reading_line_breaks`), and a set of real files with
line breaks and carriage returns in their names with `git check-ignore` itself.
"""

from __future__ import annotations

import itertools
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pathspec
import pytest

from scanner.config import Config
from scanner.detectors.rules import load_rules
from scanner.errors import ConfigError
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
    ("[\x01-\x0c]z", "[!\x0c-~]q", "a[!b]c"),  # ranges around the line break
    ("x\vy", "[\x01-\x0c]z", "*.pem"),  # a glob holding one stand-in: the other
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


def _with_line_breaks(path: str, rng: random.Random) -> Iterator[str]:
    """The path with a line break or carriage return put in, around, or for a character."""
    for brk in ("\n", "\r"):
        yield from (f"{brk}{path}", f"{path}{brk}", f"a{brk}b/{path}", path.replace("/", f"{brk}/"))
        if path:
            cut = rng.randrange(len(path))
            yield path[:cut] + brk + path[cut + 1 :]
            yield path[:cut] + brk + path[cut:]


def _checkout_paths() -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.split()
    return listed or [str(p.relative_to(REPO)) for p in REPO.rglob("*.py")]


def _paths(globs: Sequence[str]) -> list[str]:
    rng = random.Random(13)
    made = {p for glob in globs for p in _fillings(glob, rng)}
    made.update(("", "/", "./id_rsa", "/abs/id_rsa", "~/home/.gnupg/secring.gpg", "a//b"))
    made.update(p for p in sorted(made) for p in _with_line_breaks(p, rng))
    return sorted(made) + _checkout_paths()


def _reading_line_breaks(globs: Sequence[str]) -> pathspec.GitIgnoreSpec:
    """pathspec's own patterns for the globs, read as git reads a line break: `.`
    matches it and `$` (`\\Z`) only the path's end, in pathspec's plain backend."""
    patterns = [_dotall(p) for p in pathspec.GitIgnoreSpec.from_lines(globs).patterns]
    try:
        return pathspec.GitIgnoreSpec(patterns, backend="simple")
    except TypeError:  # pathspec before 1.0, whose only backend is `re`
        return pathspec.GitIgnoreSpec(patterns)


def _dotall(pattern: Any) -> Any:
    if pattern.regex is None:
        return pattern
    text = re.sub(r"(?<!\\)((?:\\\\)*)\$", r"\1\\Z", pattern.regex.pattern)
    return type(pattern)(re.compile(text, re.DOTALL), include=pattern.include)


def _assert_same(globs: Sequence[str], paths: Sequence[str]) -> int:
    """Compare every answer with pathspec's (read as git reads a line break, for a
    path holding one); the number of paths it matched."""
    ours = PathMatcher(globs)
    plain = pathspec.GitIgnoreSpec.from_lines(globs) if globs else None
    broken = _reading_line_breaks(globs) if globs else None
    matched = 0
    for path in paths:
        normal = path.lstrip("/").removeprefix("~/")
        theirs = broken if "\n" in path else plain
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


def test_a_line_break_is_an_ordinary_character_as_in_git() -> None:
    """A folder or file name holding a line break is named as git names it: before,
    `a\\nb/id_rsa` was no key file (pathspec's `.` skips the line break) and, before
    pathspec 1.0, `id_rsa\\n` was one (`re`'s `$` matches before a final one)."""
    gate = PathMatcher(KEY_FILE_GLOBS)
    assert gate.matches("a\nb/id_rsa") and gate.matches_file("a\nb/id_rsa")
    assert gate.matches("k\n/x.p12") and gate.matches_file("\n.p12")
    assert not gate.matches("id_rsa\n") and not gate.matches_file("id_rsa\n")
    _assert_same(KEY_FILE_GLOBS, ["id_rsa\n", "k/x.p12\n", "a\nb/id_rsa", "id_rsa\nx"])


@pytest.mark.parametrize(("glob", "named"), [("?.p12", True), ("????.p12", False), ("*.p12", True)])
def test_both_questions_read_an_undecodable_byte_as_git_does(glob: str, named: bool) -> None:
    """The key-file gate asks `matches`, a key-file rule `matches_file`: both read
    the name's bytes, as git does (`?` takes the one byte, not its `\\xff` escape),
    so the gate never rules out what a rule names."""
    raw = b"k/\xff.p12".decode("utf-8", "surrogateescape")
    matcher = PathMatcher([glob])
    assert matcher.matches(raw) is named and matcher.matches_file(raw) is named


@pytest.mark.parametrize("globs", [["a\nb"], ["ok.key", "x\ny"]])
def test_a_glob_holding_a_line_break_is_refused_at_once(globs: list[str]) -> None:
    """No gitignore line can hold one: refused as the user's to fix (exit 2),
    wherever the lists were joined."""
    with pytest.raises(ConfigError):
        PathMatcher(globs)


def test_globs_holding_a_tab_and_a_vertical_tab_together_are_read() -> None:
    """The line break's stand-in is no byte, so no glob can hold it (these two
    globs were refused when the stand-in was one of them)."""
    matcher = PathMatcher(["\v.key", "\t.key", "[\x01-\x0c]z"])
    assert matcher.matches("a/\v.key") and matcher.matches("\t.key")
    assert matcher.matches("d\n/\nz") and not matcher.matches("a.key")


def test_line_breaks_ending_a_glob_end_its_line() -> None:
    """A YAML block scalar ends its glob with a line break: the end of the line,
    as pathspec always read it."""
    matcher = PathMatcher(["build/\n", "*.pem\r\n"])
    assert matcher.matches("build/x") and matcher.matches("a/k.pem")
    assert not matcher.matches("builder/x")


NAMED_BY_GIT = (
    "id_rsa",
    "**/id_rsa",
    "a?b/**",
    "dir/**",
    "a/*/b",
    "?",
    "*",
    "x?y",
    "*.p12",
    "**/d/**/z",
    "/a*",
    "[\x01-\x0c]z",
    "identity/",
)
LINE_BREAK_FILES = (
    "a\nb/id_rsa",
    "a\rb/id_rsa",
    "ab/id_rsa",
    "id_rsa\n",
    "\nid_rsa",
    "\n",
    "dir/\n",
    "a/\n/b",
    "a/x\ny/b",
    "d\n/d/q\n/z",
    "k\r/x\n.p12",
    "x\ny",
    "x\ry",
    "top/\nz",
    "identity\n/key",
    "q\nidentity/key",
)


def _ignored_by_git(repo: Path, glob: str) -> set[str]:
    """The files of `repo` that `git check-ignore` says a .gitignore of `glob` names
    (as bytes: text mode would read a carriage return as a line break)."""
    (repo / ".gitignore").write_text(glob + "\n")
    listed = "".join(f"{f}\0" for f in LINE_BREAK_FILES).encode()
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", "-z", "--stdin"],
        cwd=repo,
        input=listed,
        capture_output=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    return set(done.stdout.decode().split("\0")) - {""}


@pytest.mark.skipif(os.name != "posix", reason="file names with line breaks")
def test_paths_with_line_breaks_are_named_as_git_names_them(tmp_path: Path) -> None:
    """Real files, whose names hold line breaks and carriage returns, in a real
    repository: each glob kind names exactly the files `git check-ignore` names."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    for name in LINE_BREAK_FILES:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x\n")
    for glob in NAMED_BY_GIT:
        ours = {f for f in LINE_BREAK_FILES if PathMatcher([glob]).matches(f)}
        assert ours == _ignored_by_git(tmp_path, glob), glob
    assert _ignored_by_git(tmp_path, "id_rsa") == {"a\nb/id_rsa", "a\rb/id_rsa", "ab/id_rsa"}


def test_a_path_after_dot_slash_is_read_alike_by_both_questions() -> None:
    """git reads `./id_rsa` as `id_rsa`; `matches` did (pathspec takes one `./`
    off), `matches_file` did not, so an anchored glob named it for one only."""
    matcher = PathMatcher(["/id_rsa", "/keys/*.p12"])
    assert matcher.matches("./id_rsa") and matcher.matches_file("./id_rsa")
    assert matcher.matches("./keys/a.p12") and matcher.matches_file("./keys/a.p12")
