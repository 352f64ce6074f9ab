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

The lazy reading (`Reading`). A run without a hit holds nothing to report, so
the detector reads a file with those runs taken unchecked (deferred) unless
their verdict is known, and checks them (`Reading.settled`, the strict
reading's own verdict, kept like any other) only when one of them could change
what is read around a hit, or when libcst cannot read a window; if one fails,
the file is read again the strict way (joining, whole-part parse), so matches
and warnings are exactly what that gives. When every deferred run parses, the
lazy reading made the very calls the strict one makes, so its matches are the
strict ones. When one does not (a run without a hit that is not Python 3: a
Python 2 function, a syntax error in another definition), what is read around
the hits is what the file holds there, so its matches are those the strict
reading finds once the lines that are not Python 3 are mended; the strict
reading itself could only warn. Legacy code keeps its credentials, and the gate
fails on them.
This holds provided a deferred run that does not parse cannot change what a
run read around a hit (B) after it reads. It cannot, except through the
two cases that `Reading.could_hide` catches (then the deferred runs are settled,
and a failure means the strict reading, warning and all):

- If B fails on its own, it is joined to the next pieces, and if that fails
  too, the whole part is parsed, exactly as the strict reading does.
- If B parses on its own, it reads in the file what it reads alone unless the
  tokenizer is not at a clean start of a line where B starts. Runs that parse
  end outside any string or continued line when they start so (string
  boundaries do not depend on brackets). A deferred run may not: then B may
  start inside a string of the file (its hit in the file's code read as text
  alone, or the reverse), so `closes` looks at every deferred run before B
  with a possessive regular expression that follows strings, comments and
  continued lines, and B's reading is trusted only if each surely ends outside
  them. An f-string counts as surely ended only where it ends as a plain
  string would under every grammar, before and after PEP 701 (`_f_literal`).
  Inside brackets opened by a deferred run B cannot start: B alone holds the
  `def` or `class` of its first definition and no bracket it does not close
  itself, so in the file that keyword would sit inside the bracket, a syntax
  error of the file (prefix or whole) that B's reading does not depend on: B
  reads the code it holds. Nor can B start in a block left open (a header
  without a body before a line at B's indentation does not parse either).
- What is left: decorators left pending by the deferred run just before B (a
  comment or a decorator over several lines before a definition is cut off
  from it). In the file they belong to B's first definition, so they change
  only a statement around a hit that starts on B's first line: the screen
  says so (`Read.head`), and then the run before B must have been checked.

A run is remembered as parsing (`_PARSES`), and the windows of a long run read
piece by piece are kept (`_READ`), only once checked: a deferred run has no
verdict, and what was read around deferred pieces waits for them (`Reading.later`,
run by `settled`; a reading that is never settled keeps none of it).
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
_CLOSES: OrderedDict[bytes, bool] = OrderedDict()
"""Whether a run surely ends outside any string (`closes`), by digest."""
_READ: OrderedDict[tuple[bytes, tuple[int, ...]], Read] = OrderedDict()
READ_LIMIT = 4096
"""Windows of a long run read piece by piece, by its digest and the hit lines
inside it (counted from its first line): an unchanged class is not cut again
by the strict reading. Kept only once every piece was checked."""
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
    tail: int = 0
    """Characters of `text` after the file's own (the sentinel)."""


def _lines(text: str) -> int:
    return text.count("\n") + (not text.endswith("\n"))


def plain_run(text: str, first: int, joined: int = 1) -> Run:
    return Run(text, first, first, first + _lines(text), _digest(text), joined)


def _wrapped_run(text: str, start: int, after: str) -> Run:
    parsed = "if 1:\n" + text + after
    return Run(parsed, start - 1, start, start + _lines(text), _digest(parsed), tail=len(after))


@dataclass(frozen=True)
class Read:
    """What the caller read in a run that parses on its own."""

    windows: Sequence[Window]
    """In the file's lines."""
    head: bool = False
    """Whether a statement around a hit starts on the run's first line (before
    the screen drops any): decorators left pending by the run before it would
    be part of that statement."""


NOTHING = Read(())
Judge = Callable[[Run], Read | None]
"""What the caller reads in a run holding a hit, or None when the run does not
parse on its own."""


@dataclass(frozen=True)
class Step:
    """A run of a lazy reading, in the file's order."""

    run: Run
    deferred: bool
    """Taken without a check: it holds no hit (whatever is known of it, so that
    the reading depends on the text alone)."""
    head: bool | None = None
    """For a run read around its hits, `Read.head`; None for a run without a hit."""
    top: bool = True
    """A top-level run (a deferred one is checked as the strict reading would,
    method by method when it is long), not a piece of one."""


class Reading:
    """The runs of one lazy reading of a file (`runs_through` with `reading`):
    those without a hit are taken unchecked, and checked only when `settled`
    is asked (a known verdict then costs a look-up). What is learnt from runs
    read around a deferred one is kept only once it is settled (`later`)."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self._later: list[Callable[[], None]] = []

    def add(self, step: Step) -> None:
        self.steps.append(step)

    def back_to(self, mark: int) -> None:
        """Forget the steps past `mark` (a run that failed, with its pieces)."""
        del self.steps[mark:]

    def later(self, keep: Callable[[], None]) -> None:
        self._later.append(keep)

    def clear(self) -> None:
        self.steps.clear()
        self._later.clear()

    @property
    def deferred(self) -> list[Run]:
        return [step.run for step in self.steps if step.deferred]

    def settled(self) -> bool:
        """Whether every deferred run parses as the strict reading would judge
        it (checked now, in order, and kept like any verdict); then what waited
        for them is kept too. False at the first one that does not."""
        strict = _Reader((), _never, None)
        for step in self.steps:
            if step.deferred and strict.quiet(step.run, nest=step.top) is None:
                return False
        for keep in self._later:
            keep()
        self._later.clear()
        return True

    def could_hide(self) -> bool:
        """Whether a deferred run could change what is read in a run holding a
        hit after it (see the module's docstring): one that may end inside a
        string or a continued line, or one right before a run whose statement
        around a hit starts on its first line (decorators left pending)."""
        last = max((n for n, step in enumerate(self.steps) if step.head is not None), default=-1)
        open_before = False
        previous: Step | None = None
        for step in self.steps[: last + 1]:
            if step.deferred:
                open_before = open_before or not closes(step.run)
            elif step.head is not None and (
                open_before or (step.head and previous is not None and previous.deferred)
            ):
                return True
            previous = step
        return False


def _never(run: Run) -> Read | None:
    raise AssertionError("a run without a hit is never read")


def runs_through(
    text: str, lines: Sequence[int], judge: Judge, reading: Reading | None = None
) -> list[Window] | None:
    """What `judge` reads in the runs covering what `python_windows` parses for
    `lines` (its prefix, else the whole text). None when the text is not cut
    (it holds a carriage return, a NUL, or a future import that changes the
    grammar) or a piece fails even joined to the next ones: the caller then
    parses the whole part.

    With `reading`, a run without a hit is taken without a check and listed
    there (the lazy reading; see the module's docstring for when its answer
    must be settled)."""
    if "\r" in text or "\0" in text or "barry_as_FLUFL" in text:
        return None
    part = cut_prefix(text, lines[-1] if lines else 0)
    pieces = list(_pieces(text if part is None else part, _CUT))

    def top(found: Sequence[str], start: int, last: bool) -> Run:
        return plain_run("".join(found), start, len(found))

    reader = _Reader(lines, judge, reading)
    found = _joined(pieces, 1, top, reader.top, reading)
    if found is None and reading is not None:
        reading.clear()  # the caller parses the whole part: nothing is deferred
    return None if found is None else list(found.windows)


class _Reader:
    """Judges the runs of one reading: those with a hit by the caller's judge,
    the others by their verdict (kept by digest), or deferred."""

    def __init__(self, lines: Sequence[int], judge: Judge, reading: Reading | None) -> None:
        self.lines = lines
        self.judge = judge
        self.reading = reading

    def _inside(self, run: Run) -> tuple[int, ...]:
        return tuple(line - run.first for line in self.lines if run.start <= line < run.end)

    def top(self, run: Run) -> Read | None:
        inside = self._inside(run)
        if not inside:
            return self.quiet(run, nest=True)
        if run.joined > 1 or len(run.text) < NEST_FROM:  # a joined run is not cut: bounds retries
            return self.read(run)
        kept = None if self.reading is not None else _READ.get((run.digest, inside))
        if kept is None:  # read piece by piece in a lazy reading (`Reading.could_hide` asks)
            return self._nested(run, inside)
        self._add(Step(run, False, kept.head))
        return Read([moved(window, run.first - 1) for window in kept.windows], kept.head)

    def _nested(self, run: Run, inside: tuple[int, ...]) -> Read | None:
        mark = self._mark()
        found = _nested(run, self.piece, self.reading)
        if found is None:
            self._back_to(mark)
            return self.read(run)
        kept = Read(tuple(moved(window, 1 - run.first) for window in found.windows), found.head)

        def keep() -> None:
            _keep((run.digest, inside), kept)
            remember(run, True)  # its pieces parse in place, so it does

        if self.reading is None or not any(s.deferred for s in self.reading.steps[mark:]):
            keep()
        else:
            self.reading.later(keep)  # only once its deferred pieces are checked
        return found

    def piece(self, run: Run) -> Read | None:
        """A piece of a long run (under `if 1:`, before a sentinel)."""
        mark = self._mark()
        found = self.read(run) if self._inside(run) else self.quiet(run, nest=False)
        if found is not None and any(
            max(w.last, w.body_line or 0) >= run.end for w in found.windows
        ):  # a window reaches into the sentinel: the piece is joined to the next
            self._back_to(mark)
            return None
        return found

    def read(self, run: Run) -> Read | None:
        found = self.judge(run)
        if found is not None:
            self._add(Step(run, False, found.head))
        return found

    def quiet(self, run: Run, *, nest: bool) -> Read | None:
        """A run without a hit: nothing to read, if it parses."""
        if self.reading is not None:  # whatever is known of it: the reading is the text's alone
            self.reading.add(Step(run, True, None, nest))
            return NOTHING
        known = _PARSES.get(run.digest)
        if known:
            _touch(run.digest)
            return NOTHING
        if known is None and nest and self._nested_parses(run):
            remember(run, True)  # its pieces parse in place, so it does
            return NOTHING
        return NOTHING if parses(run) else None

    def _nested_parses(self, run: Run) -> bool:
        """A long run without a hit checked method by method (so that a later
        version of it, with one method changed, parses only that one)."""
        if run.joined > 1 or len(run.text) < NEST_FROM:
            return False
        return _nested(run, self.piece, None) is not None

    def _mark(self) -> int:
        return 0 if self.reading is None else len(self.reading.steps)

    def _back_to(self, mark: int) -> None:
        if self.reading is not None:
            self.reading.back_to(mark)

    def _add(self, step: Step) -> None:
        if self.reading is not None:
            self.reading.add(step)


def forget() -> None:
    """Let go of everything kept (for measurements and tests)."""
    _PARSES.clear()
    _CLOSES.clear()
    _READ.clear()


def _keep(key: tuple[bytes, tuple[int, ...]], read: Read) -> None:
    _READ[key] = read
    if len(_READ) > READ_LIMIT:
        _READ.popitem(last=False)


RunMaker = Callable[[Sequence[str], int, bool], Run]


def _joined(
    pieces: Sequence[str], start: int, make: RunMaker, judge: Judge, reading: Reading | None
) -> Read | None:
    """Each run of pieces judged in turn; a piece that fails is joined to the
    next ones (a cut inside a string, a bracket, or between a decorator and its
    definition), at most MAX_JOINED of them. The head is the first run's."""
    windows: list[Window] = []
    head: bool | None = None
    index = 0
    while index < len(pieces):
        mark = 0 if reading is None else len(reading.steps)
        for count in range(1, min(MAX_JOINED, len(pieces) - index) + 1):
            run = make(pieces[index : index + count], start, index + count == len(pieces))
            found = judge(run)
            if found is not None:
                break
            if reading is not None:
                reading.back_to(mark)
        else:
            return None
        windows.extend(found.windows)
        head = found.head if head is None else head
        index += count
        start = run.end
    return Read(windows, bool(head))


def _nested(run: Run, judge: Judge, reading: Reading | None) -> Read | None:
    """A long top-level run (a test class) read method by method: the head (up
    to the first indented definition) on its own, the rest under `if 1:`, each
    followed by a sentinel statement at the indentation where the next one
    starts, which parses only where a line there is a new statement of the
    file, as it is in the file. A window that reaches into the sentinel (a
    header whose body starts in the next piece: in the file its window ends
    where that body's first statement starts) sends the piece to be joined to
    the next one (`judge` says so). None when the run is not cut: it is read whole."""
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
        return Run(head.text, start, start, start + _lines(text), head.digest, tail=len(after))

    return _joined(pieces, run.first, piece, judge, reading)


def _sentinel(level: str) -> str:
    """A statement at `level` that parses only at the start of a logical line
    and not after a decorator: an `if` statement is never part of an expression
    (`a if b` needs `else`, never `:`), follows no `;` and takes no decorator.
    So a piece ending in a continued line, an open bracket or a decorator whose
    definition is in the next piece never accepts it."""
    return level + "if 1: pass\n"


_MARKS = r"(?:def |class |async def |@)"
_HELD = re.compile(r"[ \t]*[@)\]}]")
"""A line after which a definition is not cut off: its first character after
blanks (`match`ed at the line's start) is one of these."""


def _pieces(part: str, cut: re.Pattern[str]) -> Iterator[str]:
    """`part` cut at each line that `cut` (which starts with its newline) finds."""
    start = 0
    for found in cut.finditer(part):
        at = found.start() + 1  # the line after the newline
        if _HELD.match(part, part.rfind("\n", 0, at - 1) + 1, at):
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
    """SHA-256 (OpenSSL's, which uses the CPU's SHA instructions where there are
    some: twice BLAKE2b's speed on the runs of a history's Python files)."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()


_F_PREFIX = r"(?:(?<=(?<!\w)[fFtT])|(?<=(?<!\w)[rR][fFtT])|(?<=(?<!\w)[fFtT][rR]))"
"""Right after an f-string's (or a t-string's) prefix, not part of a longer name."""
_NOT_F_PREFIX = r"(?<!(?<!\w)[fFtT])(?<!(?<!\w)[rR][fFtT])(?<!(?<!\w)[fFtT][rR])"


def _f_literal(quote: str) -> str:
    """An f-string in `quote` that ends where a plain string would under every
    grammar. Before 3.12 an f-string ends where a plain string does; from 3.12
    (PEP 701, and 3.14's t-strings) a replacement field is read as code, which
    may hold strings in the f-string's own quotes, comments and nested
    f-strings, so 3.12 code read by an older interpreter (or the reverse) could
    be cut differently. So a field here holds only names, operators, numbers,
    plain strings in the other quotes (one line, no brace, quote or backslash
    in them), brackets two deep, and a format spec (after a `:` outside
    brackets: text from 3.12) without quotes or backslashes, whose nested
    fields hold no format spec. Anything else is not matched, and the run is
    then called unsure. A backslash before a brace does not hide it: from 3.12
    the brace opens or closes a field."""
    own, other = quote[0], "'" if quote[0] == '"' else '"'
    triple = len(quote) == 3
    line = "" if triple else r"\n"
    text = rf"[^{{}}\\{own}{line}]" + (rf"|{own}(?!{own}{own})" if triple else "")
    text = rf"(?:{text}|\{{\{{|\}}\}}|\\[^{{}}]|\\(?=[{{}}]))"
    nested = rf"(?<!\w){other}(?!{other}{other})[^{other}{own}\\\n{{}}]*{other}"
    code = rf"[^{{}}\[\]()'\"#\\:{line}]"
    inner = rf"(?:{code}|:|{nested})"
    group1 = rf"(?:\[{inner}*\]|\({inner}*\))"
    group2 = rf"(?:\[(?:{inner}|{group1})*\]|\((?:{inner}|{group1})*\))"
    expr = rf"(?:{code}|{nested}|{group2})*"
    spec = rf"(?::(?:[^{{}}'\"\\\n]|\{{{expr}\}})*)?"
    field = rf"\{{{expr}{spec}\}}"
    opening = quote if triple else rf"{own}(?!{own}{own})"  # never the start of a triple quote
    return rf"{_F_PREFIX}{opening}(?:{text}|{field})*{quote}"


_CLOSED = re.compile(
    r"""(?:[^'"\\\#]++"""  # code (newlines too)
    r"""|\#[^\n]*+"""  # a comment
    r"""|\\\n(?!\Z)"""  # a continued line, not the last
    + "".join(f"|{_f_literal(quote)}" for quote in ("'''", '"""', "'", '"'))
    + rf"""|{_NOT_F_PREFIX}'''(?:[^'\\]++|\\[\s\S]|'(?!''))*+'''"""
    + rf'''|{_NOT_F_PREFIX}"""(?:[^"\\]++|\\[\s\S]|"(?!""))*+"""'''
    + rf"""|{_NOT_F_PREFIX}'(?!'')(?:[^'\\\n]++|\\[\s\S])*+'"""  # never a triple quote's start
    + rf"""|{_NOT_F_PREFIX}"(?!"")(?:[^"\\\n]++|\\[\s\S])*+")*+"""
)
"""Text that, read from outside any string and continued line, ends outside
them: every string it opens is closed, and its last line is not continued.
Possessive, so `re` never backtracks; a triple quote that is not closed is not
read as an empty string and an opening quote. An f-string must end where a
plain string would under every grammar (`_f_literal`); one that may not makes
the whole text unsure. (This check was first written as Python over each
f-string, which cost 0.07 s of CPU on the Django replay's runs; as part of
this expression it runs in `re`: 5.0 ms instead of 1.9 ms over a 380 KB test
module, and 0.03 s in all on the replay.)"""


def closes(run: Run) -> bool:
    """Whether the run's own text (without a sentinel after it), read from
    outside any string or continued line, surely ends outside them; False when
    unsure. A string that stays open past its end is what could make the next
    run read differently on its own than in the file. Kept by digest (`_CLOSES`)."""
    known = _CLOSES.get(run.digest)
    if known is None:
        own = run.text[: len(run.text) - run.tail]
        known = bool(_CLOSED.fullmatch(own))
        _CLOSES[run.digest] = known
        if len(_CLOSES) > PARSES_LIMIT:
            _CLOSES.popitem(last=False)
    return known
