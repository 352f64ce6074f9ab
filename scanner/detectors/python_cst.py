"""The Python detector: hardcoded credentials found by reading the code with libcst.

Only files whose bytes show a credential-like binding (one RE2 pass, `PREFILTER`)
are parsed, so most Python files cost a single regex search. A file libcst
cannot parse (Python 2, syntax errors) yields no match: the rule engine still
scans it. Notebooks (`.ipynb`) are handled in `python_notebook`.

A file libcst cannot parse yields a warning (ScanError) and no match.

Positions: `line`/`column` are 1-based and point at the start of the first
string literal (its prefix or opening quote); `start`/`end` are the byte
offsets of the literal's content (inside the quotes), from the first piece to
the last when the value is joined from several literals.
"""

from __future__ import annotations

import io
import tokenize
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import re2

from scanner.config import Config
from scanner.detectors.credential_names import (
    Category,
    credential_category,
    is_plausible_secret,
)
from scanner.detectors.python_screen import worth_reading
from scanner.detectors.python_windows import LineIndex, statement_windows, window_source
from scanner.model import Match, Origin, Rule, RuleKind, ScanError, Severity

if TYPE_CHECKING:
    import libcst as cst
    from libcst.metadata import CodeRange

    from scanner.detectors.python_literals import Literal
    from scanner.detectors.python_visitor import Candidate


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

_NAME = (
    rb"(?:passw(?:or)?d|passwrd|passphrase|pwd|\bpass\b|_pass\b|secret|token|credential"
    rb"|(?:api|secret|private|signing|sign|access|encryption|hmac|jwt|auth|master|client|app"
    rb"|session|crypt|aes)[_-]?key|auth(?:[_-]?(?:token|secret|pass)|orization|\b)|jwt|hmac)"
)
_VALUE = (
    rb"[rRbBuUfF]{0,2}(?:\\?\"\"\"|'''|\\?['\"][^'\"\s]{6}|\\?['\"]\\\\?-----|\("
    rb"|\\?['\"][^'\"\n]{1,40}['\"][ \t]*,[ \t]*[rRbBuU]?['\"])"
)
PREFILTER = re2.compile(
    rb"(?i)"
    + rb"(?P<name>"
    + _NAME
    + rb"\w{0,30})(?:\\?['\"]?\]?[ \t]*(?::[^=\n]{0,60})?\+?[:=]|\\?['\"][ \t]*,)"
    + rb"[ \t]*(?:\\\n[ \t]*)?(?P<value>"
    + _VALUE
    + rb")"
    + rb"|(?:jwt\.(?:en|de)code\([^\n]{0,120}?(?:,|key[ \t]*=)"
    rb"|hmac\.(?:new|HMAC|digest)\([ \t]*(?:key[ \t]*=)?)[ \t]*(?P<signing>[rRbBuU]{0,2}['\"])"
    rb"|Basic[Aa]uth\(|DigestAuth\(|ProxyAuth\("
    rb"|\.login\([^)\n]{0,80},[ \t]*(?P<login>[rbuRBU]?['\"])"
    rb"|connect\([^)\n]{0,200}(?:password|pwd)[ \t]*="
    rb"|-----BEGIN[A-Z ]{0,24}PRIVATE KEY|PRIVATE KEY-----|\\nMII"
)
"""A binding of a credential-like name to a literal, a signing call, or PEM armour.
A hit on a name counts only when the whole name passes `credential_category`."""
_NAME_GROUP, _VALUE_GROUP, _SIGNING_GROUP, _LOGIN_GROUP = 1, 2, 3, 4
"""The `name` and `value` groups (google-re2 keys a bytes pattern's group names by bytes)."""
_TERMINATORS = frozenset(b",)]}#;\r\n")
_IDENTIFIER = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")

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
        return next(_hits(data), None) is not None

    def detect(self, origin: Origin, data: bytes) -> list[Match | ScanError]:
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
            ScanError(origin.path, f"python detector cannot parse this file ({reason}); rules only")
        ]

    def detect_source(self, data: bytes) -> list[Match]:
        """Matches in Python source bytes.

        Raises SyntaxError (or ValueError, UnicodeError) when the file is not Python 3.
        """
        hits = _hit_lines(data)
        if not hits:
            return []
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


def _hits(data: bytes) -> Iterator[Any]:
    """Prefilter matches, without those on names that are not credentials
    (`token_type`, `Pass`, `secretsmanager`): those files are never parsed."""
    for found in PREFILTER.finditer(data):
        if found.group(_LOGIN_GROUP) is not None:
            if _plausible_at(data, found.start(_LOGIN_GROUP), Category.PASSWORD):
                yield found
        elif found.group(_SIGNING_GROUP) is not None:
            if _plausible_at(data, found.start(_SIGNING_GROUP), Category.SECRET_KEY):
                yield found
        elif found.group(_NAME_GROUP) is None or _names_a_credential(data, found):
            yield found


def _plausible_at(data: bytes, start: int, category: Category) -> bool:
    value = _plain_literal(data, start, after_comma=True)
    return value is None or is_plausible_secret(value, category)


def _names_a_credential(data: bytes, found: Any) -> bool:
    """The whole name is a credential's, and its value, when it is one plain
    literal, is not a placeholder (the visitor would drop it anyway)."""
    start = begin = found.start(_NAME_GROUP)
    while begin > 0 and start - begin < 64 and data[begin - 1] in _IDENTIFIER:
        begin -= 1
    name = data[begin : found.end(_NAME_GROUP)].decode("ascii", errors="replace")
    value_start = found.start(_VALUE_GROUP)
    if name.lower() == "auth":
        return data[value_start : value_start + 1] == b"("
    category = credential_category(name)
    if category is None:
        return False
    after_comma = data[found.end(_NAME_GROUP) : value_start].rstrip(b" \t\"'").endswith(b",")
    value = _plain_literal(data, value_start, after_comma=after_comma)
    return value is None or is_plausible_secret(value, category)


def _plain_literal(data: bytes, start: int, *, after_comma: bool) -> str | None:
    """The value of the one-line string literal at `start` when it is complete on
    its own (no escapes, no expressions, not joined to anything); else None."""
    index = start
    while index < start + 2 and data[index : index + 1] in (b"r", b"R", b"b", b"B", b"u", b"U"):
        index += 1
    quote = data[index : index + 1]
    if quote not in (b'"', b"'") or data[index : index + 3] == quote * 3:
        return None
    end = data.find(quote, index + 1, index + 4096)
    body = data[index + 1 : end]
    if end < 0 or b"\\" in body or b"\n" in body:
        return None
    rest = data[end + 1 : end + 200].lstrip(b" \t")
    if rest and rest[0] not in _TERMINATORS:
        return None
    if not after_comma and rest[:1] == b"," and rest[1:].lstrip(b" \t")[:1] in (b'"', b"'"):
        return None  # `user, password = "bob", "…"`: the first literal is not the password
    return body.decode("utf-8", errors="replace")


def _hit_lines(data: bytes) -> list[int]:
    """1-based lines on which a prefilter match starts or ends."""
    lines: list[int] = []
    offset, line = 0, 1
    for found in _hits(data):
        line += data.count(b"\n", offset, found.start())
        lines.append(line)
        lines.append(line + data.count(b"\n", found.start(), found.end()))
        offset = found.start()
    return lines


def _encoding(data: bytes) -> str:
    """PEP 263: a coding cookie on one of the first two lines, else UTF-8."""
    if b"coding" not in data[:400]:
        return "utf-8"
    encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
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
