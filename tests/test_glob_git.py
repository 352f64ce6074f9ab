"""`PathMatcher` answers as git does: `git check-ignore` is the oracle.

Globs come from a seeded generator (bracket expressions with `!` and `^`, ranges
over `/`, `]` first, `-` first and last, escapes inside and out, POSIX classes,
`*`, `**`, `***`, `?`, leading and trailing slashes, trailing whitespace of each
kind, escaped spaces) and paths from the globs themselves (each part filled, and
near misses) and from a set of awkward names (spaces, tabs, backslashes, line
breaks, non-ASCII, an undecodable byte). The paths are real files and folders in
a temporary repository; for each set of globs, one `git check-ignore --no-index
-z --stdin` call answers for every path with the globs in `.gitignore`, and one
more with `!*/` after them answers for the path itself (a folder re-included
cannot name what it holds): `matches` is compared with the first, `matches_file`
with the second. A folder is asked about as `path/`, as the sources ask. Each
path is given to git after `./`, so that a leading `:` is not read as pathspec
magic (`check-ignore` refuses `--literal-pathspecs`).

Run by hand with more cases (the figures go to docs/architecture.md):
`python tests/test_glob_git.py --cases 20000 --seed 7` (with another checkout's
interpreter, that checkout's `PathMatcher` answers).
"""

from __future__ import annotations

import argparse
import functools
import os
import random
import re
import subprocess
import sys
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest
import re2

from scanner.errors import ConfigError
from scanner.suppress import PathMatcher

LITERALS = ("a", "b", "x", ".", "-", "_", "!", "#", "^", ":", "é", "\udcff", " ", "\t")
BRACKET_PARTS = ("a", "b", "z", "-", "/", "\\", "]", "[", "!", "^", ".", " ", "\t", "é", ":")
RANGES = ("a-c", "+-0", ".-0", "*-0", "z-a", "\\]-a", "a-\\z", "\\--/", "-", "!-/", "\x01-\x0c")
CLASSES = ("[:alpha:]", "[:space:]", "[:punct:]", "[:digit:]", "[:upper:]", "[:x", "[:]")
TRAILERS = ("", "", "", " ", "  ", "\\ ", "\\  ", "\t", "\v", "\f", "\r", " \r", "\r ", "\\\\ ")
AWKWARD_NAMES = (
    "a",
    "ab",
    "a c",
    "a\tc",
    "a\\c",
    "a\nc",
    "a\rc",
    "é",
    "\udcff",
    "x]y",
    "[a]",
    "!a",
    "#a",
    "a ",
    "a\t",
    "a\v",
    "a\f",
    "a\r",
    "-",
    "^",
)
REFUSED = (ValueError, ConfigError, re.error, re2.error)
"""What `PathMatcher` raises for a glob it refuses (before, pathspec's regex
engines raised for some)."""
SIZES = {"cases": 200, "globs": 3}


def random_glob(rng: random.Random) -> str:
    """One glob: up to four names, each of literals, wildcards and brackets."""
    names = [
        "".join(_part(rng) for _ in range(rng.randint(1, 4))) for _ in range(rng.randint(1, 3))
    ]
    if rng.random() < 0.2:
        names.insert(rng.randrange(len(names) + 1), rng.choice(("**", "***")))
    glob = "/".join(names)
    glob = ("/" if rng.random() < 0.25 else "") + glob + ("/" if rng.random() < 0.2 else "")
    return glob + rng.choice(TRAILERS)


def _part(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.35:
        return rng.choice(LITERALS)
    if roll < 0.45:
        return "\\" + rng.choice((*LITERALS, "*", "?", "[", "\\", "]"))
    if roll < 0.6:
        return rng.choice(("*", "?", "**"))
    return random_bracket(rng)


def random_bracket(rng: random.Random) -> str:
    head = rng.choice(("", "", "!", "^")) + rng.choice(("", "", "]", "-"))
    body = [_bracket_part(rng) for _ in range(rng.randint(0 if head else 1, 3))]
    return "[" + head + "".join(body) + rng.choice(("", "", "-")) + "]"


def _bracket_part(rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return rng.choice(BRACKET_PARTS)
    if roll < 0.65:
        return "\\" + rng.choice(BRACKET_PARTS)
    if roll < 0.9:
        return rng.choice(RANGES)
    return rng.choice(CLASSES)


def paths_for(glob: str, rng: random.Random) -> Iterator[str]:
    """Paths the glob may name: each part filled at random, under folders, with
    names around it, and with a character changed."""
    for _ in range(4):
        filled = "".join(_filled(glob.strip(" \t\v\f\r\\/!"), rng))
        name = "/".join(n for n in filled.split("/") if n not in ("", ".", ".."))
        if name:
            yield name
            yield f"top/{name}"
            yield f"{name}/in"
            cut = rng.randrange(len(name))
            yield name[:cut] + rng.choice(AWKWARD_NAMES) + name[cut + 1 :]


def _filled(glob: str, rng: random.Random) -> Iterator[str]:
    for c in glob:
        if c in "*?[]\\":
            yield rng.choice(("", "a", "b", "/", "]", "-", "\\", "é", " ", "x/y", "\t"))
        else:
            yield c


def awkward_paths() -> list[str]:
    return [*AWKWARD_NAMES, *(f"d/{n}" for n in AWKWARD_NAMES), *(f"{n}/f" for n in AWKWARD_NAMES)]


class Tree:
    """Files and folders on disk in a git repository: a path that is a folder of
    another path is a folder, every other one a file."""

    def __init__(self, root: Path, paths: Sequence[str]) -> None:
        subprocess.run(["git", "init", "-q", str(root)], check=True)
        wanted = {p for p in paths if _fits(p)}
        self.root = root
        self._folders = {f for p in wanted for f in _folders(p)}
        self._files = wanted - self._folders
        for path in self._files:
            (root / path).parent.mkdir(parents=True, exist_ok=True)
            (root / path).touch()

    def files_in(self, asked: set[str]) -> list[str]:
        return sorted(asked & self._files)

    def folders_in(self, asked: set[str]) -> list[str]:
        """The paths `asked` that are folders, and the folders they are in."""
        return sorted((asked | {f for p in asked for f in _folders(p)}) & self._folders)

    def ignored(self, globs: Sequence[str], queries: Sequence[str], itself: bool) -> set[str]:
        """The queries `git check-ignore` names with `globs` in .gitignore (and
        `!*/` after them, for the path itself)."""
        lines = [*globs, "!*/"] if itself else list(globs)
        (self.root / ".gitignore").write_bytes(b"".join(_line(g) for g in lines))
        done = subprocess.run(
            ["git", "check-ignore", "--no-index", "-z", "--stdin"],
            cwd=self.root,
            input=b"".join(b"./" + os.fsencode(q) + b"\0" for q in queries),
            capture_output=True,
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr
        return {os.fsdecode(p.removeprefix(b"./")) for p in done.stdout.split(b"\0") if p}


def _folders(path: str) -> Iterator[str]:
    return (path.rsplit("/", k)[0] for k in range(1, path.count("/") + 1))


def _fits(path: str) -> bool:
    names = path.split("/")
    return all(n not in ("", ".", "..", ".git") and len(os.fsencode(n)) < 200 for n in names)


def _line(glob: str) -> bytes:
    return os.fsencode(glob) + b"\n"


Answers = tuple[int, list[tuple[str, str]]]
"""How many answers were compared, and (question, path) for each wrong one."""


def mismatches(tree: Tree, globs: Sequence[str], asked: set[str]) -> Answers:
    """Each answer of `PathMatcher(globs)` about the paths `asked` compared with
    git's; raises what `PathMatcher` raises for a glob it refuses."""
    matcher = PathMatcher(globs)
    files = tree.files_in(asked)
    folders = [] if any(_takes_contents(g) for g in globs) else tree.folders_in(asked)
    named = tree.ignored(globs, files + folders, itself=False)
    itself = tree.ignored(globs, files, itself=True)
    wrong = [("matches", p) for p in files if matcher.matches(p) is not (p in named)]
    wrong += [("matches_file", p) for p in files if matcher.matches_file(p) is not (p in itself)]
    wrong += [("folder", p) for p in folders if matcher.matches(p + "/") is not (p in named)]
    return 2 * len(files) + len(folders), wrong


def _takes_contents(glob: str) -> bool:
    """A glob ending in `/**` also names `folder/` (what it holds): the sources
    ask so to skip a folder, where git names each file in it and not the folder."""
    return glob.rstrip(" \t\v\f\r").removesuffix("/").endswith("**")


def run(root: Path, seed: int, cases: int, most: int) -> dict[str, int]:
    """Counts: glob sets compared, refused, with a wrong answer; answers compared,
    wrong. Each set is asked about its own paths, the awkward ones and 40 others."""
    rng = random.Random(seed)
    sets = [[random_glob(rng) for _ in range(rng.randint(1, most))] for _ in range(cases)]
    own = [{p for g in globs for p in paths_for(g, rng)} for globs in sets]
    every = sorted(set().union(*own, awkward_paths()))
    tree = Tree(root, every)
    counts = dict.fromkeys(("sets", "refused", "wrong sets", "answers", "wrong"), 0)
    for globs, paths in zip(sets, own, strict=True):
        asked = paths | set(awkward_paths()) | set(rng.sample(every, min(40, len(every))))
        _count(counts, globs, functools.partial(mismatches, tree, globs, asked))
    return counts


def _count(counts: dict[str, int], globs: Sequence[str], compare: Callable[[], Answers]) -> None:
    counts["sets"] += 1
    try:
        answers, wrong = compare()
    except REFUSED:  # exit 2 at the CLI (`check_globs`)
        counts["refused"] += 1
        return
    counts["answers"] += answers
    counts["wrong"] += len(wrong)
    counts["wrong sets"] += bool(wrong)
    if wrong and os.environ.get("GLOB_FUZZ_SHOW"):
        print(repr(globs), wrong[:3], file=sys.stderr)


READ_OTHERWISE: list[tuple[str | list[str], list[str]]] = [
    ("a[!x]c", ["a/c/k", "abc", "axc"]),  # `[!x]` took the slash
    ("a[^x]c", ["a/c/k", "abc"]),
    ("a[+-0]c", ["a/c/k", "a,c", "a0c"]),  # a range over the slash
    ("x[a/b]y", ["xay", "q/xay", "x/y"]),  # a slash in brackets anchors the glob
    ("[\\\\]", ["\\", "\\\\"]),  # an escaped backslash
    ("[a\\]b]", ["a", "]", "\\b]", "ab]"]),  # an escaped bracket
    ("secret[\\.]txt", ["secret.txt", "secret\\txt"]),
    ("[\\!a]", ["!", "a", "\\"]),
    ("[a-\\z]", ["b", "\\", "z"]),
    ("[z-a]", ["z", "a", "m"]),  # a range backwards names its first end
    ("notes\t", ["notes", "notes\t"]),  # trailing whitespace other than spaces
    ("notes\v", ["notes", "notes\v"]),
    ("notes\f", ["notes", "notes\f"]),
    ("notes\r", ["notes", "notes\r"]),  # a final CR ends the line (CR LF)
    ("notes\\ ", ["notes", "notes "]),
    ("notes\\  ", ["notes", "notes ", "notes  "]),
    ("notes\\\\ ", ["notes\\", "notes\\ "]),
    ("notes\u00a0", ["notes", "notes\u00a0"]),  # a no-break space is no space to git
    ("caf?.env", ["café.env", "cafe.env"]),  # `?` is one byte
    ("[é]", ["é", "e"]),
    ("?.p12", ["\udcff.p12", "ab.p12"]),  # an undecodable byte is one byte
    ("[[:alpha:]]x", ["ax", "1x", "éx"]),  # POSIX classes, ASCII only
    ("[x[:space:]][y]", ["xy", " y", "x]y", "s]y"]),
    ("[[:space:]]", ["\v", "\f", " ", "\t", "\r"]),
    ("d/**/", ["d/f", "d/s/f"]),  # the folders inside `d`, not its files
    ("a/***/b", ["a/q/r/b", "a/b"]),
    ("d/ab**/c", ["d/abc", "d/abx/c", "d/ab/c", "d/abx/y/c", "q/abc"]),  # `**` after text
    ("/ab**", ["abx/y", "ab", "q/ab"]),
    ("**/*/**", ["a/b", "c"]),
    (["b/", "!/"], ["b/c", "d"]),  # `!/` names nothing: it re-included every folder
]
"""Globs (or sets) pathspec read otherwise than git, and paths that tell the
readings apart."""


@pytest.mark.skipif(os.name != "posix", reason="file names with any byte")
@pytest.mark.parametrize(("glob", "paths"), READ_OTHERWISE)
def test_globs_pathspec_read_otherwise_answer_as_git(
    tmp_path: Path, glob: str | list[str], paths: list[str]
) -> None:
    tree = Tree(tmp_path / "repo", paths)
    answers, wrong = mismatches(tree, [glob] if isinstance(glob, str) else glob, set(paths))
    assert answers >= 2 * len(paths) and not wrong


@pytest.mark.skipif(os.name != "posix", reason="file names with any byte")
def test_generated_globs_answer_as_git(tmp_path: Path) -> None:
    counts = run(tmp_path / "repo", seed=13, cases=SIZES["cases"], most=SIZES["globs"])
    assert counts["wrong"] == 0, counts
    assert counts["sets"] - counts["refused"] > counts["sets"] * 0.8, counts


if __name__ == "__main__":
    import tempfile

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--globs", type=int, default=SIZES["globs"], help="most globs in a set")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(run(Path(folder) / "repo", options.seed, options.cases, options.globs))
