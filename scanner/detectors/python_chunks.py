"""A file's top-level statements in runs that parse on their own, each parsed once.

The versions of a file in a history share most of their top-level definitions,
and CPython's `ast` on a large test module costs more than everything else the
Python detector does. So the part of a file that `python_windows` would parse
(a prefix, or the whole file) is cut before every line that starts, at column 0,
with `def `, `class `, `async def ` or `@` (not right after a decorator line or
a line that closes a bracket), and each run of pieces is parsed on its own; a
long run (a test class) is cut again, method by method (`_nested`). What is
learnt is kept by the run's digest (`_PARSES`, `_READ`, and the screen's `_KEPT`).

Why this cannot change what is found: a run that parses on its own ends with
the tokenizer at the start of a line, outside any string, bracket or continued
line (an open one is a syntax error at the end of the run), and the next run
starts at column 0, where every open block closes. So the tokens of the joined
runs are the tokens of each run, and the statements of the whole part are the
statements of each run, at the same lines. A cut that falls inside a string or a
bracket makes the run before it fail, and the run is joined to the next one
(a few times at most); when that does not help, the caller parses the whole part
as before, so a file that does not parse still says so. A run is only checked
(`symtable`, which parses without building Python objects, twice as fast as
`ast`) unless it holds a hit; a run that `symtable` refuses is asked of `ast`,
since `symtable` also refuses some code that parses (`nonlocal` at module level).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import re
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from scanner.detectors.python_windows import Window, cut_prefix, moved

_CUT = re.compile(r"\n(?:def |class |async def |@)")
"""Where a top-level definition may start (the line after the newline matched):
the marks `cut_prefix` cuts at. Each pattern that finds a cut starts with the
newline, not with `^` under MULTILINE: `re` then skips to each newline in C
instead of trying every position (five times faster on large modules)."""
_INNER = re.compile(r"([ \t]+)(?:def |class |async def |@)")
"""An indented definition at the start of a run's text (`match`), or after a newline."""
_INNER_AFTER = re.compile(r"\n([ \t]+)(?:def |class |async def |@)")
MAX_JOINED = 8
"""Pieces joined into one run before giving up on cutting there."""
NEST_FROM = 8192
"""A top-level run this long is cut again, at its first indented definitions' level."""
_PARSES: OrderedDict[bytes, bool] = OrderedDict()
PARSES_LIMIT = 32768
"""Digests kept (about 5 MiB): whether a run parses depends on its text alone."""
_READ: OrderedDict[tuple[bytes, tuple[int, ...]], tuple[Window, ...]] = OrderedDict()
READ_LIMIT = 4096
"""Windows of a long run read piece by piece, by its digest and the hit lines
inside it (counted from its first line): an unchanged class is not cut again."""
PARSE_ERRORS = (SyntaxError, ValueError, RecursionError, MemoryError)


@dataclass(frozen=True)
class Run:
    """Whole statements of a file that parse on their own."""

    text: str
    """What is parsed: the lines themselves; a piece of a long run that is not
    its head goes under `if 1:`, and each piece but the last is followed by the
    sentinel (`_sentinel`) at the indentation where the next piece starts."""
    first: int
    """The file's line that is line 1 of `text`."""
    start: int
    """The first line of the file that the run covers."""
    end: int
    """The line after the last line it covers."""
    digest: bytes
    joined: int = 1
    """How many top-level pieces it took (a joined run is read whole)."""


def _lines(text: str) -> int:
    return text.count("\n") + (not text.endswith("\n"))


def plain_run(text: str, first: int, joined: int = 1) -> Run:
    return Run(text, first, first, first + _lines(text), _digest(text), joined)


def _wrapped_run(text: str, start: int, after: str) -> Run:
    parsed = "if 1:\n" + text + after
    return Run(parsed, start - 1, start, start + _lines(text), _digest(parsed))


Judge = Callable[[Run], Sequence[Window] | None]
"""What the caller reads in a run (windows, in the file's lines), or None when
the run does not parse on its own."""


def runs_through(text: str, lines: Sequence[int], judge: Judge) -> list[Window] | None:
    """What `judge` reads in the runs covering what `python_windows` parses for
    `lines` (its prefix, else the whole text). None when the text is not cut
    (it holds a carriage return, a NUL, or a future import that changes the
    grammar) or a piece fails even joined to the next ones: the caller then
    parses the whole part."""
    if "\r" in text or "\0" in text or "barry_as_FLUFL" in text:
        return None
    part = cut_prefix(text, lines[-1] if lines else 0)
    pieces = list(_pieces(text if part is None else part, _CUT))

    def top(found: Sequence[str], start: int, last: bool) -> Run:
        return plain_run("".join(found), start, len(found))

    def nested_or_whole(run: Run) -> Sequence[Window] | None:
        inside = tuple(line - run.first for line in lines if run.start <= line < run.end)
        if not inside and _PARSES.get(run.digest):
            _touch(run.digest)
            return ()  # seen before, and nothing to read in it
        if run.joined > 1 or len(run.text) < NEST_FROM:  # a joined run is not cut: bounds retries
            return judge(run)
        kept = _READ.get((run.digest, inside))
        if kept is None:
            found = _nested(run, lines, judge)
            if found is None:
                return judge(run)
            kept = tuple(moved(window, 1 - run.first) for window in found)
            _keep((run.digest, inside), kept)
            remember(run, True)  # its pieces parse in place, so it does
        return [moved(window, run.first - 1) for window in kept]

    return _joined(pieces, 1, top, nested_or_whole)


def forget() -> None:
    """Let go of everything kept (for measurements and tests)."""
    _PARSES.clear()
    _READ.clear()


def _keep(key: tuple[bytes, tuple[int, ...]], windows: tuple[Window, ...]) -> None:
    _READ[key] = windows
    if len(_READ) > READ_LIMIT:
        _READ.popitem(last=False)


RunMaker = Callable[[Sequence[str], int, bool], Run]


def _joined(pieces: Sequence[str], start: int, make: RunMaker, judge: Judge) -> list[Window] | None:
    """Each run of pieces judged in turn; a piece that fails is joined to the
    next ones (a cut inside a string, a bracket, or between a decorator and its
    definition), at most MAX_JOINED of them."""
    windows: list[Window] = []
    index = 0
    while index < len(pieces):
        for count in range(1, min(MAX_JOINED, len(pieces) - index) + 1):
            run = make(pieces[index : index + count], start, index + count == len(pieces))
            found = judge(run)
            if found is not None:
                break
        else:
            return None
        windows.extend(found)
        index += count
        start = run.end
    return windows


def _nested(run: Run, lines: Sequence[int], judge: Judge) -> list[Window] | None:
    """A long top-level run (a test class) read method by method: the head (up
    to the first indented definition) on its own, the rest under `if 1:`, each
    followed by a sentinel statement at the indentation where the next one
    starts, which parses only where a line there is a new statement of the
    file, as it is in the file. A window that reaches into the sentinel (a
    header whose body starts in the next piece: in the file its window ends
    where that body's first statement starts) sends the piece to be joined to
    the next one. None when the run is not cut: it is read whole."""
    if len(run.text) < NEST_FROM:
        return None
    indent = _INNER.match(run.text) or _INNER_AFTER.search(run.text)
    if indent is None:
        return None
    level = indent.group(1)
    pieces = list(_pieces(run.text, re.compile("\n" + re.escape(level) + _MARKS)))
    if len(pieces) < 2:
        return None
    sentinel = _sentinel(level)

    def piece(found: Sequence[str], start: int, last: bool) -> Run:
        text = "".join(found)
        after = "" if last else sentinel
        if start > run.first:
            return _wrapped_run(text, start, after)
        head = plain_run(text + after, start)  # the head: at column 0 already
        return Run(head.text, start, start, start + _lines(text), head.digest)

    return _joined(pieces, run.first, piece, lambda part: _within(judge, part))


def _sentinel(level: str) -> str:
    """A statement at `level` that parses only at the start of a logical line
    and not after a decorator: an `if` statement is never part of an expression
    (`a if b` needs `else`, never `:`), follows no `;` and takes no decorator.
    So a piece ending in a continued line, an open bracket or a decorator whose
    definition is in the next piece never accepts it."""
    return level + "if 1: pass\n"


_MARKS = r"(?:def |class |async def |@)"
_HELD = ("@", ")", "]", "}")
"""First characters of a line after which a definition is not cut off."""


def _within(judge: Judge, run: Run) -> Sequence[Window] | None:
    """The judge's windows when none reaches past the run's own lines (into the
    sentinel added after them)."""
    found = judge(run)
    if found is None or any(max(w.last, w.body_line or 0) >= run.end for w in found):
        return None
    return found


def _pieces(part: str, cut: re.Pattern[str]) -> Iterator[str]:
    """`part` cut at each line that `cut` (which starts with its newline) finds."""
    start = 0
    for found in cut.finditer(part):
        at = found.start() + 1  # the line after the newline
        if part[part.rfind("\n", 0, at - 1) + 1 : at].lstrip(" \t")[:1] in _HELD:
            continue  # a definition stays with its decorator (one over lines ends with a bracket)
        yield part[start:at]
        start = at
    yield part[start:]


def parses(run: Run) -> bool:
    known = _PARSES.get(run.digest)
    if known is None:
        known = _check(run.text)
        remember(run, known)
    else:
        _touch(run.digest)
    return known


def _touch(digest: bytes) -> None:
    with contextlib.suppress(KeyError):  # let go meanwhile by another thread's scan
        _PARSES.move_to_end(digest)


def parses_maybe(run: Run) -> bool:
    """False when the run is known not to parse."""
    return _PARSES.get(run.digest, True)


def remember(run: Run, verdict: bool) -> None:
    _PARSES[run.digest] = verdict
    if len(_PARSES) > PARSES_LIMIT:
        _PARSES.popitem(last=False)


def _check(text: str) -> bool:
    import symtable

    try:
        symtable.symtable(text, "<run>", "exec")
        return True
    except PARSE_ERRORS:
        return parse(text) is not None


def parse(text: str) -> ast.Module | None:
    try:
        return ast.parse(text)
    except PARSE_ERRORS:
        return None


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=20).digest()
