"""Globs read as git reads them, rewritten for pathspec.

Users (and gitleaks users) mean a glob as git reads a .gitignore line: dir.c
trims the line, wildmatch.c matches it byte by byte. pathspec's
`GitIgnoreSpec` copies bracket expressions almost verbatim into regex classes
and trims every kind of whitespace, so some globs named paths git does not,
and an exclude or allowlist glob hid a finding: `[!a]`, `[^a]` and a range over
`/` (`[+-0]`) matched `/`, which git's brackets never do; a backslash in
brackets was a literal, where git reads it as an escape (`[\\]]`); a trailing
tab, vertical tab or form feed was dropped (git drops only trailing spaces that
are not escaped); `?` and brackets took a character where git takes a byte
(`?` named `é`, two bytes in UTF-8).

Where globs are laid out, pathspec and git differed too: `a/**/` names the
folders inside `a` to git, `a/` to pathspec; `***` between slashes is `**` to
git; a slash inside brackets (`x[a/b]y`) anchors the glob; in an anchored glob
git compares the text before the first wildcard on its own, so a `**` right
after it (`a/b**/c`) counts as at the start; `!/` names nothing.

So a glob is parsed here with git's rules and handed to pathspec rewritten:
every literal escaped, every bracket expression a private-use character
that is swapped, in the regex pathspec makes, for the exact class of bytes git
reads, and the layouts above spelt as pathspec reads them as git does. pathspec
still does the rest (anchoring, `**`, folders, negations, the order of globs).
A path is matched as its bytes, one character each (`as_bytes`), with each line
break stood in by `STAND_IN`, since pathspec's `.` and `re`'s `$` do not read a
line break as git does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

STAND_IN = "\u0100"
"""What pathspec sees for a line break in a path: no byte is read as it, and a
bracket class holds it exactly when it holds the line break."""

_BYTES = frozenset(map(chr, range(256)))
_NOTHING = f"[^\\x00-\\xff{STAND_IN}]"
"""A class no path character is in (a bracket expression of `/` alone)."""
_FIRST_HOLE, _HOLES = 0xE000, 6400
"""Private-use characters that stand for bracket expressions and spaces."""


def _span(first: str, last: str) -> str:
    return "".join(map(chr, range(ord(first), ord(last) + 1)))


_UPPER, _LOWER, _DIGITS = _span("A", "Z"), _span("a", "z"), _span("0", "9")
_CLASSES = {
    "alnum": _UPPER + _LOWER + _DIGITS,
    "alpha": _UPPER + _LOWER,
    "blank": " \t",
    "cntrl": _span("\0", "\x1f") + "\x7f",
    "digit": _DIGITS,
    "graph": _span("!", "~"),
    "lower": _LOWER,
    "print": _span(" ", "~"),
    "punct": "".join(c for c in _span("!", "~") if not c.isalnum()),
    "space": " \t\n\r",
    "upper": _UPPER,
    "xdigit": _DIGITS + "ABCDEFabcdef",
}
"""git's POSIX classes (its own ctype: ASCII only, and no vertical tab or form
feed in `space`)."""

_PLAIN = frozenset(_UPPER + _LOWER + _DIGITS + "._-+@~%,=:/*?")
"""Characters of a glob that pathspec reads as git does when it holds no `**`."""


class GlobError(ValueError):
    """A glob git reads in a way this module does not rewrite (the user's to fix)."""


class _NeverMatches(Exception):
    """A bracket expression that never closes: git's wildmatch gives up, so the
    glob names nothing (as pathspec also reads it)."""


def as_bytes(text: str) -> str:
    """`text` as git compares it: its UTF-8 bytes (undecodable ones as they were
    read, `surrogateescape`), one character each."""
    if text.isascii():
        return text
    try:
        return text.encode("utf-8", "surrogateescape").decode("latin-1")
    except UnicodeEncodeError:  # a surrogate that stands for no byte
        return text.encode("utf-8", "surrogatepass").decode("latin-1")


def as_read(path: str) -> str:
    """A path as its glob patterns read it: its bytes, the line break stood in."""
    path = as_bytes(path)
    return path.replace("\n", STAND_IN) if "\n" in path else path


def patterns(globs: Sequence[str]) -> list[GitIgnoreSpecPattern]:
    """pathspec patterns that name what git's reading of each glob names (one,
    none for a line that names nothing, or two: see `_bodies`)."""
    from pathspec.patterns.gitignore.spec import GitIgnoreSpecPattern

    made = []
    for glob in globs:
        texts, holes = rewrite(glob)
        made += [_compiled(GitIgnoreSpecPattern, text, holes) for text in texts]
    return made


def _compiled(
    kind: type[GitIgnoreSpecPattern], text: str, holes: dict[str, str]
) -> GitIgnoreSpecPattern:
    """pathspec's pattern for the rewritten glob, each private-use character
    in its regex swapped for what it stands for."""
    regex, include = kind.pattern_to_regex(text)
    if regex is None:
        return kind(None)
    for hole, cls in holes.items():
        regex = regex.replace(hole, cls)
    return kind(re.compile(regex), include)


def rewrite(glob: str) -> tuple[tuple[str, ...], dict[str, str]]:
    """The glob as pathspec should get it (no text for a line that names nothing:
    blank, a comment, a bracket expression that never closes), and the regex
    each private-use character in it stands for."""
    if _PLAIN.issuperset(glob) and "**" not in glob:
        return (glob,), {}  # read alike by pathspec and git (a `/` alone by neither)
    line = git_line(as_bytes(glob))
    if "\0" in line:
        raise GlobError("a glob cannot hold a NUL character")
    if not line or line.startswith("#"):
        return (), {}
    negated = line.startswith("!")
    if line[negated:] == "/":  # empty once its folder's `/` is off: names nothing
        return (), {}
    holes: dict[str, str] = {}
    try:
        texts = [_rewritten_body(body, holes) for body in _bodies(line[negated:])]
    except _NeverMatches:
        return (), {}
    return tuple(("!" if negated else "") + t for t in texts), holes


def _rewritten_body(body: str, holes: dict[str, str]) -> str:
    return _folders_below(_anchored(body, _rewritten(body, holes)))


def _bodies(body: str) -> tuple[str, ...]:
    """The glob, or two that name together what it names: git compares the text
    of an anchored glob before its first wildcard on its own and matches the
    rest from there, so a `**` right after that text counts as at the glob's
    start: `a/b**/c` names `a/bc` and `a/b*/**/c`, and `a/b**` names `a/b*` and
    `a/b*/**` (everything in them too, which `matches_file` tells apart)."""
    run = _leading_stars(body)
    if run is None:
        return (body,)
    start, end = run
    head, rest = ("" if body.startswith("/") else "/") + body[:start], body[end:]
    if rest in ("", "/"):
        return head + "*" + rest, head + "*/**" + rest
    if rest.startswith("/**"):
        raise GlobError("a ** after a name's first text and before another ** is not supported")
    return head + rest[1:], head + "*/**" + rest


def _leading_stars(body: str) -> tuple[int, int] | None:
    """Where the run of two or more stars is that git reads as at the start of
    an anchored glob: its first wildcard, right after text that does not end
    in `/`, and followed by `/` or the end (a folder's `/` is taken off first)."""
    start = next((i for i, c in enumerate(body) if c in "*?[\\"), 0)
    end = start + len(body[start:]) - len(body[start:].lstrip("*"))
    core = body.removesuffix("/")
    anchored = "/" in core
    if not anchored or start == 0 or end - start < 2 or body[start - 1] == "/":
        return None
    return (start, end) if end == len(core) or body[end] == "/" else None


def _folders_below(text: str) -> str:
    """git reads `a/**/` as the folders inside `a` (so not the files right in
    it); pathspec folds it into `a/`. `a/*/` names the same paths."""
    head = text.removesuffix("/")
    while head.endswith("/**") and text.endswith("/"):
        head = head.removesuffix("/**")
    return head + "/*/" if head and len(head) < len(text) - 1 else text


def _anchored(body: str, text: str) -> str:
    """dir.c anchors a glob holding a slash anywhere but at its end, even in
    brackets (`x[a/b]y`), where the rewritten glob holds none."""
    inner = body.removesuffix("/")
    return "/" + text if "/" in inner and "/" not in text.removesuffix("/") else text


def git_line(line: str) -> str:
    """The glob as git keeps a .gitignore line: a final carriage return is the
    line's end (CR LF), and trailing spaces that are not escaped are dropped."""
    line = line.removesuffix("\r")
    last_space, i = -1, 0
    while i < len(line):
        if line[i] != " ":
            last_space = -1
            i += line[i] == "\\"
        elif last_space < 0:
            last_space = i
        i += 1
    return line if last_space < 0 else line[:last_space]


def _rewritten(body: str, holes: dict[str, str]) -> str:
    out, i = [], 0
    while i < len(body):
        piece, i = _piece(body, i, holes)
        out.append(piece)
    return "".join(out)


def _piece(body: str, i: int, holes: dict[str, str]) -> tuple[str, int]:
    """What pathspec gets for the part of the glob at `i`, and the index after it."""
    c = body[i]
    if c == "\\":
        return _escaped(body, i, holes)
    if c == "*":
        return _stars(body, i)
    if c == "[":
        members, end = _bracket(body, i + 1)
        return _hole(holes, _class(members)), end
    if c in "/?":
        return c, i + 1
    return _literal(c, holes), i + 1


def _escaped(body: str, i: int, holes: dict[str, str]) -> tuple[str, int]:
    """An escaped byte is a literal; an escaped slash is a slash (dir.c counts it
    as one), refused where git reads it otherwise: at the start (a path never
    starts with a slash), after `**` (no empty match) and at the end (taken off,
    it leaves a backslash that escapes nothing)."""
    if i + 1 == len(body):
        raise GlobError("a glob cannot end in a backslash that escapes nothing")
    c = body[i + 1]
    if c != "/":
        return _literal(c, holes), i + 2
    if i == 0 or body[:i].endswith("**") or i + 2 == len(body):  # git: names nothing
        raise GlobError("an escaped slash at the start, after ** or at the end is not supported")
    return c, i + 2


def _stars(body: str, i: int) -> tuple[str, int]:
    """A run of stars is git's `**` only between slashes (or the glob's ends);
    elsewhere it is one `*`."""
    end = i
    while end < len(body) and body[end] == "*":
        end += 1
    alone = (i == 0 or body[i - 1] == "/") and body[end : end + 1] in ("", "/")
    return ("**" if alone and end - i > 1 else "*"), end


def _bracket(body: str, i: int) -> tuple[frozenset[str], int]:
    """The bytes named by the bracket expression opened just before `i`, as
    wildmatch reads it (its first member may be `]`; it never names `/`), and the
    index past its `]`."""
    negated = body[i : i + 1] in ("!", "^")
    members: set[str] = set()
    i, prev = _member(body, i + negated, "", members)
    while _at(body, i) != "]":
        i, prev = _member(body, i, prev, members)
    named = _BYTES - members if negated else members
    return frozenset(named - {"/"}), i + 1


def _member(body: str, i: int, prev: str, members: set[str]) -> tuple[int, str]:
    """Adds one member (a byte, an escaped byte, a range, a POSIX class) at `i`;
    the index after it and the byte a following `-` would start a range from."""
    c = _at(body, i)
    if c == "\\":
        c = _at(body, i + 1)
        members.add(c)
        return i + 2, c
    if c == "-" and prev and body[i + 1 : i + 2] not in ("", "]"):
        escaped = body[i + 1] == "\\"
        last = _at(body, i + 1 + escaped)
        members.update(map(chr, range(ord(prev), ord(last) + 1)))
        return i + 2 + escaped, ""
    if c == "[" and body[i + 1 : i + 2] == ":":
        return _posix(body, i, members)
    members.add(c)
    return i + 1, c


def _at(body: str, i: int) -> str:
    if i >= len(body):
        raise _NeverMatches
    return body[i]


def _posix(body: str, i: int, members: set[str]) -> tuple[int, str]:
    """`[:name:]` inside brackets; a `[:` with no `:]` before the next `]` is a
    plain `[`, as in wildmatch."""
    end = body.find("]", i + 2)
    if end < 0:
        raise _NeverMatches
    if end - (i + 2) < 1 or body[end - 1] != ":":
        members.add("[")
        return i + 1, "["
    name = body[i + 2 : end - 1]
    if name not in _CLASSES:
        raise GlobError(f"unknown character class [:{name}:]")
    members.update(_CLASSES[name])
    return end + 1, ""


def _literal(c: str, holes: dict[str, str]) -> str:
    """A literal byte pathspec reads as itself: whitespace (which pathspec would
    trim at the end of a glob) as a class of its own, anything else escaped."""
    if c.isspace():
        return _hole(holes, f"\\x{ord(c):02x}")
    return c if c.isascii() and c.isalnum() else "\\" + c


def _hole(holes: dict[str, str], regex: str) -> str:
    if len(holes) == _HOLES:
        raise GlobError("a glob cannot hold this many bracket expressions and spaces")
    hole = chr(_FIRST_HOLE + len(holes))
    holes[hole] = regex
    return hole


def _class(members: frozenset[str]) -> str:
    """The regex class of these bytes, with the stand-in where the line break is."""
    if not members:
        return _NOTHING
    runs = "".join(
        f"\\x{lo:02x}" if lo == hi else f"\\x{lo:02x}-\\x{hi:02x}"
        for lo, hi in _runs(sorted(map(ord, members)))
    )
    return f"[{runs}{STAND_IN if chr(10) in members else ''}]"


def _runs(codes: Sequence[int]) -> Iterator[tuple[int, int]]:
    start = prev = codes[0]
    for code in codes[1:]:
        if code != prev + 1:
            yield start, prev
            start = code
        prev = code
    yield start, prev
