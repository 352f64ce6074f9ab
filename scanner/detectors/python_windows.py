"""Statement windows: the few statements of a file that libcst needs to read.

libcst parses at a fraction of a megabyte a second, so the detector does not
give it whole files. CPython's own parser (`ast`, in C, twenty times faster and
side-effect free; and only as far as the first top-level definition after the
last hit, when that prefix parses) locates the innermost statement around each
prefilter hit;
only that statement goes to libcst. For a compound statement (def, class, with,
if, …) whose header holds the hit, the window is the header alone (decorators,
parameters and their defaults) with a `pass` body.

`python_chunks` hands this module runs of whole statements, one at a time, so
that a history's versions of a file share what was learnt from their common
parts; a file that cannot be cut so is parsed here whole, as before.
`python_screen` then drops the windows that hold nothing worth reading.
"""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate, repeat
from typing import overload


@dataclass(frozen=True)
class Window:
    first: int
    """1-based first line of the statement (its first decorator, for a def or class)."""
    last: int
    body_line: int | None = None
    """For a compound header: the first line of its body, whose indentation the
    `pass` that replaces the body takes."""
    node: ast.AST | None = field(default=None, compare=False, repr=False)


BLOCKS = ("body", "orelse", "finalbody", "handlers", "cases")


def statement_windows(text: str, hit_lines: Iterable[int]) -> list[Window]:
    """The windows holding `hit_lines`; raises SyntaxError (and ValueError for NUL bytes)."""
    return parsed_windows(text, hit_lines)[0]


def parsed_windows(text: str, hit_lines: Iterable[int]) -> tuple[list[Window], str | None]:
    """`statement_windows`, and the prefix of `text` they were read from when a
    prefix sufficed (None when the whole text was parsed): the windows depend on
    that prefix and the hit lines alone."""
    lines = sorted(set(hit_lines))
    tree, prefix = _parse_through(text, lines[-1] if lines else 0)
    return windows_in(tree, lines), prefix


def windows_in(tree: ast.Module, lines: Iterable[int]) -> list[Window]:
    """The innermost statements of `tree` on `lines`, in order, each once."""
    found: dict[tuple[int, int], Window] = {}
    for line in lines:
        for window in _innermost(tree.body, line):
            found[(window.first, window.last)] = window
    return sorted(found.values(), key=lambda w: w.first)


_MARKS = re.compile(r"\n(?:def |class |async def |@)")
"""A top-level `def`, `class`, `async def` or decorator, with the newline before it."""


def _parse_through(text: str, line: int) -> tuple[ast.Module, str | None]:
    """The tree of the file up to the first top-level `def`, `class` or decorator
    after `line`, when that prefix parses on its own, else of the whole file; and
    that prefix (None when the whole file was parsed).

    Exact: a prefix cut inside a string, a bracket or a continued line does not
    parse, and one that does ends at a statement of the whole file, so every
    statement up to `line` is the same. Most of a long test module is never parsed.
    """
    prefix = cut_prefix(text, line)
    if prefix is None:
        return ast.parse(text), None
    try:
        return ast.parse(prefix), prefix
    except (SyntaxError, ValueError):
        return ast.parse(text), None


def cut_prefix(text: str, line: int) -> str | None:
    """The text up to the first top-level `def`, `class` or decorator after
    `line`; None when there is none, or too little would be left out.

    The marks are found in one pass of `re` (it skips from newline to newline
    in C) and the newlines before each are counted, not split into lines: the
    first mark on a line after `line` is the cut."""
    if "\r" in text or line < 1:  # lines counted below by \n alone
        return None
    newlines = counted = 0
    for found in _MARKS.finditer(text):
        at = found.start()  # the newline that ends the line before the mark
        if at + 1 > len(text) - 4096:
            return None  # too little would be left out, here and at every later mark
        newlines += text.count("\n", counted, at)
        counted = at
        if newlines >= line - 1:
            return text[: at + 1]
    return None


def _innermost(body: Sequence[ast.AST], line: int) -> list[Window]:
    """The innermost statements on `line` (several when `;` joins them)."""
    found: list[Window] = []
    for node in body:
        if not isinstance(node, ast.stmt | ast.ExceptHandler | ast.match_case):
            continue
        first, last = _span(node)
        if not first <= line <= last:
            continue
        inner: list[Window] = []
        for block in BLOCKS:
            inner.extend(_innermost(getattr(node, block, None) or (), line))
        if not inner:
            window = _window(node, first, last, line)
            inner = [window] if window is not None else []
        found.extend(inner)
    return found


def _span(node: ast.AST) -> tuple[int, int]:
    if isinstance(node, ast.match_case):
        first = node.pattern.lineno
        return first, max(first, node.body[-1].end_lineno or first)
    decorators = getattr(node, "decorator_list", None)
    first = decorators[0].lineno if decorators else getattr(node, "lineno", 0)
    return first, getattr(node, "end_lineno", None) or first


def _window(node: ast.AST, first: int, last: int, line: int) -> Window | None:
    body = getattr(node, "body", None)
    if not isinstance(node, ast.stmt) or not body or not isinstance(body[0], ast.stmt):
        return None if not isinstance(node, ast.stmt) else Window(first, last, node=node)
    header_end = body[0].lineno - 1
    if header_end < first:
        return Window(first, last, node=node)
    if line > header_end:
        return None
    return Window(first, header_end, body_line=body[0].lineno, node=node)


def moved(window: Window, by: int) -> Window:
    """`window` `by` lines further down (without its node)."""
    body = None if window.body_line is None else window.body_line + by
    return Window(window.first + by, window.last + by, body)


def window_source(lines: Sequence[str], window: Window) -> tuple[str, int]:
    """The text libcst parses for `window`, and how many lines it adds in front.

    An indented statement is put under `if 1:` (one block level suffices for any
    depth); the lines themselves are verbatim, so columns are unchanged.
    """
    chunk = list(lines[window.first - 1 : window.last])
    if chunk and not chunk[-1].endswith(("\n", "\r")):
        chunk[-1] += "\n"
    if window.body_line is not None:
        body = lines[window.body_line - 1]
        chunk.append(body[: len(body) - len(body.lstrip(" \t"))] + "pass\n")
    indented = bool(chunk) and chunk[0][:1] in (" ", "\t")
    if indented:
        return "if 1:\n" + "".join(chunk), 1
    return "".join(chunk), 0


class LineIndex:
    """Lines of a decoded file, and libcst (line, character column) positions as
    byte offsets into the file's bytes. Where lines start is worked out on first
    use: most files with a hit hold no statement worth reading. Told first which
    lines will be asked for (`expect`), only those are indexed at once."""

    def __init__(self, text: str, encoding: str, base: int = 0) -> None:
        self.text = text
        self._encoding = encoding
        self._base = base
        self._expected: int | None = None

    def expect(self, line: int) -> None:
        """Lines up to `line` (1-based) are those that will be asked for (any
        other still can be: the rest of the file is then indexed)."""
        self._expected = line

    @functools.cached_property
    def _starts(self) -> Sequence[int]:
        if self._expected is None or "\r" in self.text:
            return _line_starts(self.text)
        return _Starts(self.text, self._expected)

    @property
    def lines(self) -> Lines:
        """Each line with its line ending, as CPython and libcst number them."""
        return Lines(self.text, self._starts)

    def char_offset(self, line: int, column: int) -> int:
        return self._starts[min(line, len(self._starts)) - 1] + column

    def byte_offset(self, line: int, column: int) -> int:
        offset = self.char_offset(line, column)
        if self._encoding == "utf-8" and self.text.isascii() and 0 <= offset <= len(self.text):
            return self._base + offset  # a character is a byte
        prefix = self.text[:offset]
        return self._base + len(prefix.encode(self._encoding, errors="surrogateescape"))


class _Starts(Sequence[int]):
    """`_line_starts` of a text without a carriage return, worked out up to a
    given line by splitting only that far (the statements worth reading of a
    long module are often in its first half); the rest on first need."""

    def __init__(self, text: str, line: int) -> None:
        pieces = text.split("\n", max(line, 1))
        self._text = text
        self._known: Sequence[int] = _starts_of(pieces)
        self._count = len(self._known) if "\n" not in pieces[-1] else text.count("\n") + 1

    def __len__(self) -> int:
        return self._count

    @overload
    def __getitem__(self, index: int) -> int: ...

    @overload
    def __getitem__(self, index: slice) -> Sequence[int]: ...

    def __getitem__(self, index: int | slice) -> int | Sequence[int]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        number = range(len(self))[index]  # IndexError past the end, as a list
        if number >= len(self._known):
            self._known = _line_starts(self._text)
        return self._known[number]


class Lines(Sequence[str]):
    """The lines of a text, each cut out only when asked for."""

    def __init__(self, text: str, starts: Sequence[int]) -> None:
        self._text = text
        self._starts = starts

    def __len__(self) -> int:
        return len(self._starts)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        number = range(len(self))[index]  # IndexError past the end, as a list
        end = self._starts[number + 1] if number + 1 < len(self) else len(self._text)
        return self._text[self._starts[number] : end]


def _line_starts(text: str) -> Sequence[int]:
    """Start offsets of lines; \\r\\n, \\r and \\n each end a line, as in CPython."""
    if "\r" not in text:
        return _starts_of(text.split("\n"))
    starts = [0]
    offset = 0
    pieces = text.split("\n")
    for number, piece in enumerate(pieces):
        last = number == len(pieces) - 1
        index = piece.find("\r")
        while index >= 0:
            if last or index < len(piece) - 1:  # a \r just before \n is part of \r\n
                starts.append(offset + index + 1)
            index = piece.find("\r", index + 1)
        offset += len(piece) + 1
        if not last:
            starts.append(offset)
    return starts


def _starts_of(pieces: list[str]) -> list[int]:
    """Where each piece of a text split at its newlines starts, and where the one
    after the last starts: one pass in C, each line's length plus its newline, summed."""
    return [0, *accumulate(map(int.__add__, map(len, pieces[:-1]), repeat(1)))]
