"""The Python detector: hardcoded credentials found by reading the code with libcst.

Only files whose bytes show a credential-like binding (one RE2 pass, see
`python_prefilter`; `wants` keeps the hit lines for the `detect` of the same
bytes) are read further, so most Python files cost one regex search; once a
detector has read a megabyte of Python, a Hyperscan gate that never refuses a
file the prefilter hits answers for most files before RE2 runs (`python_gate`;
beside the rules detector, from the first file on, by the rules' own scan of the
same bytes: `share_gate`); then CPython's `ast` finds the statements around the hits (`python_windows`), reading
the file in runs of statements kept by digest (`python_chunks`: what a history's
versions of a file share is parsed once), a quick look at them (`python_screen`)
keeps the ones worth reading, and only those are read: with `ast` where that is
sure to give what libcst would (`python_fastread`: plain and implicitly joined
literals in the common bindings), else by libcst (`python_visitor`), which is
imported only then. Notebooks (`.ipynb`) are handled in `python_notebook`.

What must parse is the run of statements holding each hit (a top-level
definition with the module-level statements after it, or a method of a long
class: `python_chunks`): a file that is not Python 3 elsewhere (a Python 2
function, a syntax error in another definition) still yields the matches read
there, and the runs without a hit are not checked unless one could change what
a run with a hit reads (a string or continued line it may leave open,
decorators cut off before a hit on a definition's first line: then every one
must parse; the lazy reading). Otherwise the file yields one warning (a
ScanWarning) and no match. A file with a hit whose bytes cannot be decoded (an
unknown coding cookie, bytes that are not its encoding, a NUL) always says so.
The rule engine still scans every one of them.

Positions: `line`/`column` are 1-based and point at the start of the first
string literal (its prefix or opening quote); `start`/`end` are the byte
offsets of the literal's content (inside the quotes), from the first piece to
the last when the value is joined from several literals.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from scanner.config import Config
from scanner.detectors.python_gate import GATE_FROM, GATE_FROM_UNCACHED, Gate, load_gate
from scanner.detectors.python_prefilter import hit_lines, prefilter_hits
from scanner.model import Match, Origin, Rule, RuleKind, ScanWarning, Severity

if TYPE_CHECKING:
    import libcst as cst
    from libcst.metadata import CodeRange

    from scanner.detectors.python_literals import Literal
    from scanner.detectors.python_windows import LineIndex, Window


@dataclass(frozen=True)
class PythonRule:
    name: str
    kind: RuleKind
    severity: Severity


RULES: dict[str, PythonRule] = {
    "python.hardcoded-password": PythonRule(
        "Hardcoded password in Python code", RuleKind.CREDENTIAL, Severity.MEDIUM
    ),
    "python.hardcoded-secret-key": PythonRule(
        "Hardcoded secret or signing key in Python code", RuleKind.CREDENTIAL, Severity.HIGH
    ),
    "python.hardcoded-token": PythonRule(
        "Hardcoded API token in Python code", RuleKind.TOKEN, Severity.MEDIUM
    ),
    "python.hardcoded-secret": PythonRule(
        "Hardcoded secret in Python code", RuleKind.CREDENTIAL, Severity.MEDIUM
    ),
    "python.jwt-signing-secret": PythonRule(
        "JWT signing secret passed as a literal", RuleKind.CREDENTIAL, Severity.HIGH
    ),
    "python.hmac-key": PythonRule(
        "HMAC key passed as a literal", RuleKind.CREDENTIAL, Severity.HIGH
    ),
    "python.basic-auth-password": PythonRule(
        "Password passed as a literal to an authentication call",
        RuleKind.CREDENTIAL,
        Severity.MEDIUM,
    ),
    "python.connection-string-password": PythonRule(
        "Password in a database connection string literal", RuleKind.CREDENTIAL, Severity.MEDIUM
    ),
    "python.private-key-literal": PythonRule(
        "Private key assembled from Python string literals", RuleKind.PRIVATE_KEY, Severity.HIGH
    ),
}

PYTHON_SUFFIXES = (".py", ".pyw")
_READ_SUFFIXES = (*PYTHON_SUFFIXES, ".ipynb")
UNREADABLE = (SyntaxError, RecursionError, MemoryError, ValueError, LookupError)
"""What reading a file's windows may raise (`detect` turns each into a warning)."""
BOM = b"\xef\xbb\xbf"


class PythonDetector:
    name = "python"

    def __init__(self, config: Config, rules: Sequence[Rule]) -> None:
        self.config = config
        self._hits: tuple[bytes, list[int]] | None = None
        """The hit lines `wants` found, for the `detect` of the same bytes that follows."""
        self._gate: Gate | None = None
        self._unseen: int | None = GATE_FROM if config.cache_dir else GATE_FROM_UNCACHED
        """Python bytes still to read before the gate is built (`python_gate`);
        None once it was tried."""
        self._shared: Callable[[bytes], bool | None] | None = None
        """The gate's answer from the rule engine's scan of the same bytes (None:
        it did not scan them), when its database holds the gate (`share_gate`)."""

    def share_gate(self, answer: Callable[[bytes], bool | None]) -> None:
        """Take the gate's answer from `answer` (the rule engine's `side_found`)
        wherever it has one, instead of scanning again."""
        self._shared = answer

    def wants(self, origin: Origin, data: bytes) -> bool:
        path = (origin.archive_member or origin.path).lower()
        if not path.endswith(_READ_SUFFIXES):
            return False
        self._hits = None
        if not self._may_hit(data):
            return False
        if path.endswith(".ipynb"):
            return next(prefilter_hits(data), None) is not None
        hits = hit_lines(data)  # a file without a hit is read to its end either way
        self._hits = (data, hits) if hits else None
        return bool(hits)

    def _may_hit(self, data: bytes) -> bool:
        """False only where the prefilter finds nothing (`python_gate`)."""
        if self._shared is not None and (known := self._shared(data)) is not None:
            return known
        if self._gate is not None:
            return self._gate.may_hit(data)
        if self._unseen is not None:
            self._unseen -= len(data)
            if self._unseen < 0:
                self._unseen = None
                self._gate = load_gate(self.config.cache_dir)
        return True

    def detect(self, origin: Origin, data: bytes) -> list[Match | ScanWarning]:
        path = (origin.archive_member or origin.path).lower()
        try:
            if path.endswith(".ipynb"):
                from scanner.detectors.python_notebook import detect_notebook

                return list(detect_notebook(data, self.detect_source))
            return list(self.detect_source(data))
        except SyntaxError as exc:
            reason = f"line {exc.lineno}: {exc.msg}"
        except (RecursionError, MemoryError, UnicodeError, ValueError, LookupError) as exc:
            reason = type(exc).__name__
        return [
            ScanWarning(
                origin.path, f"python detector cannot parse this file ({reason}); rules only"
            )
        ]

    def detect_source(self, data: bytes) -> list[Match]:
        """Matches in Python source bytes.

        Raises SyntaxError (or ValueError, UnicodeError) when a run of
        statements holding a hit does not parse (or libcst cannot read a
        window in it); the rest of the file is checked only where it could
        change what those runs read (`python_chunks`: the lazy reading).
        """
        kept, self._hits = self._hits, None
        hits = kept[1] if kept is not None and kept[0] is data else hit_lines(data)
        if not hits:
            return []
        from scanner.detectors.python_chunks import Reading
        from scanner.detectors.python_screen import windows_worth_reading  # `ast`: files with hits
        from scanner.detectors.python_windows import LineIndex

        base = len(BOM) if data.startswith(BOM) else 0
        encoding = _encoding(data)
        index = LineIndex(data[base:].decode(encoding), encoding, base)
        reading = Reading()
        try:
            matches = _matches_in(windows_worth_reading(index.text, hits, reading), data, index)
        except UNREADABLE:
            if reading.settled():  # every run taken unchecked parses: the strict answer
                raise
            matches = None
        if matches is None or (reading.could_hide() and not reading.settled()):
            return _matches_in(windows_worth_reading(index.text, hits), data, index)
        return matches


def _matches_in(windows: Sequence[Window], data: bytes, index: LineIndex) -> list[Match]:
    """What libcst finds in the windows; raises SyntaxError where it cannot read one."""
    from scanner.detectors.python_windows import window_source

    matches: list[Match] = []
    if windows:
        index.expect(max(max(window.last, window.body_line or 0) for window in windows))
    for window in windows:
        source, added = window_source(index.lines, window)
        shift = window.first - 1 - added
        matches.extend(_window_matches(source, shift, data, index))
    return matches


def _encoding(data: bytes) -> str:
    """PEP 263: a coding cookie on one of the first two lines, else UTF-8."""
    if b"coding" not in data[:400]:
        return "utf-8"
    import io
    import tokenize

    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError:  # its message quotes the declared name, which could be anything
        raise SyntaxError("invalid or unknown encoding declaration") from None
    return "utf-8" if encoding == "utf-8-sig" else encoding


def _window_matches(source: str, shift: int, data: bytes, index: LineIndex) -> list[Match]:
    facts = window_facts(source) if len(source) <= CACHED_WINDOW_CHARS else read_window(source)
    if isinstance(facts, WindowError):
        raise SyntaxError(facts.message, ("<window>", facts.raw_line + shift, None, None))
    found = list(facts.found)
    for pem in facts.pems:
        rebuilt = _rebuilt_pem(pem.text, data)
        if rebuilt is not None:
            found.append(replace(pem, secret=rebuilt))
    return [_match(spot, index, shift) for spot in found]


@dataclass(frozen=True)
class Spot:
    """A candidate with its position inside the window's source (1-based lines,
    character columns of the literal's content)."""

    rule: str
    secret: bytes
    text: str
    line: int
    column: int
    """Column of the first literal's prefix or opening quote."""
    start: tuple[int, int]
    end: tuple[int, int]
    end_line: int


@dataclass(frozen=True)
class WindowError:
    message: str
    raw_line: int


@dataclass(frozen=True)
class WindowFacts:
    found: tuple[Spot, ...]
    pems: tuple[Spot, ...]
    """PEM literals: a finding only where the file does not hold the block verbatim."""


CACHED_WINDOW_CHARS = 64 * 1024
"""Windows up to this size are kept by `window_facts` (4096 of them at most, so
a worker holds at most 256 MiB of window text; a typical statement is far smaller)."""


@functools.lru_cache(maxsize=4096)
def window_facts(source: str) -> WindowFacts | WindowError:
    """`read_window`, kept: a history holds the same statement in many versions of
    a file, and each distinct statement is parsed once per process."""
    return read_window(source)


def read_window(source: str) -> WindowFacts | WindowError:
    """What libcst finds in one window's source, by position inside it: read
    with `ast` where that gives the same facts (`python_fastread`), else by libcst."""
    from scanner.detectors.python_fastread import fast_spots

    spots = fast_spots(source)
    if spots is not None:
        return WindowFacts(tuple(Spot(*spot) for spot in spots), ())
    return libcst_window(source)


def libcst_window(source: str) -> WindowFacts | WindowError:
    """What libcst finds in one window's source, by position inside it."""
    import libcst as cst

    from scanner.detectors.python_visitor import CredentialVisitor

    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:  # CPython's parser accepted it, libcst does not
        return WindowError(exc.message, exc.raw_line)
    visitor = CredentialVisitor()
    module.visit(visitor)
    if not visitor.found and not visitor.pems:
        return WindowFacts((), ())
    from libcst.metadata import MetadataWrapper, PositionProvider

    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    found = tuple(_spot(c.rule, c.literal, c.secret, positions) for c in visitor.found)
    pems = tuple(_spot(PEM_RULE, p, b"", positions) for p in visitor.pems)
    return WindowFacts(found, pems)


PEM_RULE = "python.private-key-literal"


def _spot(
    rule: str, literal: Literal, secret: bytes, positions: Mapping[cst.CSTNode, CodeRange]
) -> Spot:
    from scanner.detectors.python_literals import quote_widths

    first, last = literal.pieces[0], literal.pieces[-1]
    where, until = positions[first], positions[last]
    head, _ = quote_widths(first)
    _, tail = quote_widths(last)
    return Spot(
        rule=rule,
        secret=secret,
        text=literal.text,
        line=where.start.line,
        column=where.start.column,
        start=(where.start.line, where.start.column + head),
        end=(until.end.line, until.end.column - tail),
        end_line=until.end.line,
    )


def _rebuilt_pem(literal_text: str, data: bytes) -> bytes | None:
    """The PEM block the literal spells, unless the file already holds it verbatim
    (then the rule engine reports it, and a second finding would be noise)."""
    text = literal_text.replace("\\n", "\n")
    begin = text.find("-----BEGIN")
    end = text.find("-----END", begin)
    if begin < 0 or end < 0 or "PRIVATE KEY" not in text[begin : begin + 60]:
        return None
    close = text.find("-----", end + 8)
    if close < 0:
        return None
    pem = text[begin : close + 5].encode("utf-8", errors="surrogatepass") + b"\n"
    if pem.rstrip(b"\n") in data or pem.replace(b"\n", b"\r\n").rstrip() in data:
        return None
    return pem


def _match(spot: Spot, index: LineIndex, shift: int) -> Match:
    rule = RULES[spot.rule]
    return Match(
        rule_id=spot.rule,
        rule_name=rule.name,
        kind=rule.kind,
        severity=rule.severity,
        detector="python",
        start=index.byte_offset(spot.start[0] + shift, spot.start[1]),
        end=index.byte_offset(spot.end[0] + shift, spot.end[1]),
        line=spot.line + shift,
        column=spot.column + 1,
        end_line=spot.end_line + shift,
        secret=spot.secret,
    )
