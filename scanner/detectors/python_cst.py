"""The Python detector: hardcoded credentials found by reading the code with libcst.

Only files whose bytes show a credential-like binding (one RE2 pass, see
`python_prefilter`) are read further, so most Python files cost one regex search;
then CPython's `ast` finds the statements around the hits (`python_windows`),
a quick look at them (`python_screen`) keeps the ones worth reading, and libcst
reads only those (`python_visitor`), and is imported only then. Notebooks
(`.ipynb`) are handled in `python_notebook`.

A file that is not Python 3 (Python 2, syntax errors, an unknown coding cookie)
yields one warning (a ScanWarning) and no match; the rule engine still scans it.

Positions: `line`/`column` are 1-based and point at the start of the first
string literal (its prefix or opening quote); `start`/`end` are the byte
offsets of the literal's content (inside the quotes), from the first piece to
the last when the value is joined from several literals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scanner.config import Config
from scanner.detectors.python_prefilter import hit_lines, prefilter_hits
from scanner.model import Match, Origin, Rule, RuleKind, ScanWarning, Severity

if TYPE_CHECKING:
    import libcst as cst
    from libcst.metadata import CodeRange

    from scanner.detectors.python_literals import Literal
    from scanner.detectors.python_visitor import Candidate
    from scanner.detectors.python_windows import LineIndex


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
BOM = b"\xef\xbb\xbf"


class PythonDetector:
    name = "python"

    def __init__(self, config: Config, rules: Sequence[Rule]) -> None:
        self.config = config

    def wants(self, origin: Origin, data: bytes) -> bool:
        path = (origin.archive_member or origin.path).lower()
        if not path.endswith((*PYTHON_SUFFIXES, ".ipynb")):
            return False
        return next(prefilter_hits(data), None) is not None

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

        Raises SyntaxError (or ValueError, UnicodeError) when the file is not Python 3.
        """
        hits = hit_lines(data)
        if not hits:
            return []
        from scanner.detectors.python_screen import worth_reading  # `ast`: only for files with hits
        from scanner.detectors.python_windows import LineIndex, statement_windows, window_source

        base = len(BOM) if data.startswith(BOM) else 0
        encoding = _encoding(data)
        index = LineIndex(data[base:].decode(encoding), encoding, base)
        lines = index.lines
        matches: list[Match] = []
        for window in statement_windows("".join(lines), hits):
            if not worth_reading(window):
                continue
            source, added = window_source(lines, window)
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
    import libcst as cst
    from libcst.metadata import MetadataWrapper, PositionProvider

    from scanner.detectors.python_visitor import Candidate, CredentialVisitor

    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:  # CPython's parser accepted it, libcst does not
        raise SyntaxError(exc.message, ("<window>", exc.raw_line + shift, None, None)) from None
    visitor = CredentialVisitor()
    module.visit(visitor)
    candidates = list(visitor.found)
    for pem in visitor.pems:
        rebuilt = _rebuilt_pem(pem, data)
        if rebuilt is not None:
            candidates.append(Candidate("python.private-key-literal", pem, rebuilt))
    if not candidates:
        return []
    positions = MetadataWrapper(module, unsafe_skip_copy=True).resolve(PositionProvider)
    return [_match(c, positions, index, shift) for c in candidates]


def _rebuilt_pem(literal: Literal, data: bytes) -> bytes | None:
    """The PEM block the literal spells, unless the file already holds it verbatim
    (then the rule engine reports it, and a second finding would be noise)."""
    text = literal.text.replace("\\n", "\n")
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


def _match(
    candidate: Candidate,
    positions: Mapping[cst.CSTNode, CodeRange],
    index: LineIndex,
    shift: int,
) -> Match:
    from scanner.detectors.python_literals import quote_widths

    first, last = candidate.literal.pieces[0], candidate.literal.pieces[-1]
    where = positions[first]
    until = positions[last]
    head, _ = quote_widths(first)
    _, tail = quote_widths(last)
    rule = RULES[candidate.rule]
    return Match(
        rule_id=candidate.rule,
        rule_name=rule.name,
        kind=rule.kind,
        severity=rule.severity,
        detector="python",
        start=index.byte_offset(where.start.line + shift, where.start.column + head),
        end=index.byte_offset(until.end.line + shift, until.end.column - tail),
        line=where.start.line + shift,
        column=where.start.column + 1,
        end_line=until.end.line + shift,
        secret=candidate.secret,
    )
