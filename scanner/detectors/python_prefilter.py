"""The Python detector's prefilter: one RE2 pass over a file's bytes.

A hit is a credential-like name bound to a string (`password = "…"`,
`"api_key": "…"`, `token=(`), a literal passed to a signing or login call, or PEM
armour. Hits on names that are not credentials (`token_type`, `Pass`) or on
plain one-line literals that are placeholders (`password = "changeme"`), and
`auth=("user", "pass")` pairs whose password is one, are dropped here, so those
files are never parsed (a test suite's history holds thousands of them).

`python_gate` compiles a loosened copy of `PREFILTER_PATTERN` for Hyperscan and runs
it first: a change to the pattern here reaches the gate by itself.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from typing import Any

import re2

from scanner.detectors.credential_names import (
    Category,
    credential_category,
    is_plausible_secret,
)

_NAME = (
    rb"(?:passw(?:or)?d|passwrd|passphrase|pwd|\bpass\b|_pass\b|secret|token|credential"
    rb"|(?:api|secret|private|signing|sign|access|encryption|hmac|jwt|auth|master|client|app"
    rb"|session|crypt|aes)[_-]?key|auth(?:[_-]?(?:token|secret|pass)|orization|\b)|jwt|hmac)"
)
_VALUE = (
    rb"[rRbBuUfF]{0,2}(?:\\?\"\"\"|'''|\\?['\"][^'\"\s]{6}|\\?['\"]\\\\?-----|\("
    rb"|\\?['\"][^'\"\n]{1,40}['\"][ \t]*,[ \t]*[rRbBuU]?['\"])"
)
PREFILTER_PATTERN = (
    rb"(?i)"
    + rb"(?P<name>"
    + _NAME
    + rb"\w{0,30})(?:\\?['\"]?\]?[ \t]*(?::[ \t]*[\w\[\]., |]{1,40})?\+?[:=]|\\?['\"][ \t]*,)"
    + rb"[ \t]*(?:\\\n[ \t]*)?(?P<value>"
    + _VALUE
    + rb")"
    + rb"|(?:jwt\.(?:en|de)code\([^\n]{0,120}?(?:,|key[ \t]*=)"
    rb"|hmac\.(?:new|HMAC|digest)\([ \t]*(?:key[ \t]*=)?)[ \t]*(?P<signing>[rRbBuU]{0,2}['\"])"
    rb"|(?:\.login|(?-i:HTTPBasicAuth|HTTPDigestAuth|HTTPProxyAuth|BasicAuth))"
    rb"\([^)\n]{0,80},[ \t]*(?P<login>[rbuRBU]?['\"])"
    rb"|connect\([^)\n]{0,200}(?:password|pwd)[ \t]*="
    rb"|(?P<pem>-----BEGIN[A-Z ]{0,24}PRIVATE KEY-----)"
)
"""A binding of a credential-like name to a literal, a signing call, or PEM armour.
A hit on a name counts only when the whole name passes `credential_category`."""


@functools.cache
def prefilter() -> Any:
    """`PREFILTER_PATTERN` compiled, on first use: compiling it costs about 2 ms,
    and a pre-commit hook whose files hold no candidate never needs it."""
    return re2.compile(PREFILTER_PATTERN)


_NAME_GROUP, _VALUE_GROUP, _SIGNING_GROUP, _LOGIN_GROUP, _PEM_GROUP = 1, 2, 3, 4, 5
"""Group numbers (google-re2 keys a bytes pattern's group names by bytes)."""
_TERMINATORS = frozenset(b",)]}#;\r\n")
_BEFORE_NAME = frozenset(b" \t\r\n.([{,\"'*;\\")
_IDENTIFIER = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")


def prefilter_hits(data: bytes) -> Iterator[Any]:
    """Prefilter matches, without those on names that are not credentials
    (`token_type`, `Pass`, `secretsmanager`): those files are never parsed.
    Each match takes exactly one branch of the pattern; the name's, by far the
    most common, is asked first."""
    for found in prefilter().finditer(data):
        if (name := found.start(_NAME_GROUP)) >= 0:  # -1: the group took no part in the match
            if _names_a_credential(data, found, name):
                yield found
        elif found.start(_PEM_GROUP) >= 0:
            if data[found.end() : found.end() + 2].lstrip(b"\r")[:1] != b"\n":
                yield found  # armour followed by a real newline is PEM text: the rules' job
        elif (login := found.start(_LOGIN_GROUP)) >= 0:
            if _plausible_at(data, login, Category.PASSWORD):
                yield found
        elif (signing := found.start(_SIGNING_GROUP)) >= 0:
            if _plausible_at(data, signing, Category.SECRET_KEY):
                yield found
        else:
            yield found  # a `connect(...)` with a password keyword


def _plausible_at(data: bytes, start: int, category: Category) -> bool:
    value = _plain_literal(data, start, after_comma=True)
    return value is None or is_plausible_secret(value, category)


def _names_a_credential(data: bytes, found: Any, start: int) -> bool:
    """The whole name (its group starts at `start`) is a credential's, and its
    value, when it is one plain literal, is not a placeholder (the visitor would
    drop it anyway)."""
    begin = start
    while begin > 0 and start - begin < 64 and data[begin - 1] in _IDENTIFIER:
        begin -= 1
    if begin > 0 and data[begin - 1] not in _BEFORE_NAME:
        return False  # `"AWS::IAM::AccessKey"`: part of a longer key, not a name
    name_end = found.end(_NAME_GROUP)
    name = data[begin:name_end].decode("ascii", errors="replace")
    value_start = found.start(_VALUE_GROUP)
    if name.lower() == "auth":
        if data[value_start : value_start + 1] != b"(" or not _may_be_literal(data, value_start):
            return False
        password = _pair_second(data, value_start)
        return password is None or _plausible_password(password)
    category = credential_category(name)
    if category is None:
        return False
    if not _may_be_literal(data, value_start) or _tuple_in_parens(data, value_start):
        return False
    after_comma = data[name_end:value_start].rstrip(b" \t\"'").endswith(b",")
    value = _plain_literal(data, value_start, after_comma=after_comma)
    return value is None or is_plausible_secret(value, category)


def _pair_second(data: bytes, start: int) -> str | None:
    """The password of `("user", "password")` at `start` when the tuple is exactly
    two string literals (read by `ast.literal_eval`, which runs nothing); else None."""
    end = data.find(b")", start, start + 400)
    if end < 0:
        return None
    import ast

    try:
        pair = ast.literal_eval(data[start : end + 1].decode("utf-8"))
    except (ValueError, SyntaxError, UnicodeError, MemoryError, RecursionError):
        return None
    if not isinstance(pair, tuple) or len(pair) != 2:
        return None
    second = pair[1]
    if isinstance(second, bytes):
        return second.decode("latin-1")
    return second if isinstance(second, str) else None


def _plausible_password(value: str) -> bool:
    """What the `ast` screen asks of an `auth=` pair's password literal."""
    lowered = value.lower()
    return (
        "password=" in lowered or "pwd=" in lowered or is_plausible_secret(value, Category.PASSWORD)
    )


def _may_be_literal(data: bytes, start: int) -> bool:
    """False for `(` followed by something other than a string, and for a
    triple-quoted string spanning lines (text, not a secret; a PEM block in it is
    matched by the prefilter's own branch)."""
    if data[start : start + 1] == b"(":
        inner = data[start + 1 : start + 400].lstrip(b" \t\r\n")
        return inner.lstrip(b"rRbBuUfF")[:1] in (b'"', b"'")
    index = start
    while index < start + 2 and data[index : index + 1] in b"rRbBuUfF":
        index += 1
    quotes = data[index : index + 3]
    if quotes not in (b'"""', b"'''"):
        return True
    end = data.find(quotes, index + 3, index + 65536)
    return end < 0 or b"\n" not in data[index + 3 : end]


def _tuple_in_parens(data: bytes, start: int) -> bool:
    """`("user", "…")` bound to a name: a tuple, which only `auth=` makes a credential."""
    if data[start : start + 1] != b"(":
        return False
    index = start + 1
    while index < start + 400 and data[index : index + 1] in b" \t\r\nrRbBuUfF":
        index += 1
    quote = data[index : index + 1]
    if quote not in (b'"', b"'") or data[index : index + 3] == quote * 3:
        return False
    end = data.find(quote, index + 1, index + 4096)
    if end < 0 or b"\\" in data[index + 1 : end]:
        return False
    return data[end + 1 : end + 200].lstrip(b" \t\r\n")[:1] == b","


def _plain_literal(data: bytes, start: int, *, after_comma: bool) -> str | None:
    """The value of the one-line string literal at `start` when it is complete on
    its own (no escapes, no expressions, not joined to anything); else None."""
    index = start
    while index < start + 2 and data[index : index + 1] in (b"r", b"R", b"b", b"B", b"u", b"U"):
        index += 1
    formatted = data[index : index + 1] in (b"f", b"F")
    index += formatted
    quote = data[index : index + 1]
    if quote not in (b'"', b"'") or data[index : index + 3] == quote * 3:
        return None
    end = data.find(quote, index + 1, index + 4096)
    body = data[index + 1 : end]
    if end < 0 or b"\\" in body or b"\n" in body:
        return None
    if formatted and b"{" in body:
        return ""  # an f-string with expressions is never reported
    rest = data[end + 1 : end + 200].lstrip(b" \t")
    if rest[:1] == b"%" or (rest[:1] == b"." and not rest.startswith((b".encode", b".join"))):
        return ""  # `"…" % x`, `"…".format(x)`: a formatted string, never a literal secret
    if rest and rest[0] not in _TERMINATORS:
        return None
    if not after_comma and rest[:1] == b"," and rest[1:].lstrip(b" \t")[:1] in (b'"', b"'"):
        return None  # `user, password = "bob", "…"`: the first literal is not the password
    return body.decode("utf-8", errors="replace")


def hit_lines(data: bytes) -> list[int]:
    """1-based lines on which a prefilter match starts or ends, numbered as
    CPython numbers them: `\r\n`, `\n` and a lone `\r` each end a line."""
    ends = _line_ends if b"\r" in data else _newlines
    lines: list[int] = []
    offset, line = 0, 1
    for found in prefilter_hits(data):
        start, end = found.span()
        line += ends(data, offset, start)
        lines.append(line)
        lines.append(line + ends(data, start, end))
        offset = start
    return lines


def _newlines(data: bytes, start: int, end: int) -> int:
    return data.count(b"\n", start, end)


def _line_ends(data: bytes, start: int, end: int) -> int:
    """Line ends in `data[start:end]` (a match never starts between `\r` and
    `\n`, so no `\r\n` is split between two ranges)."""
    pairs = data.count(b"\r\n", start, end)
    return data.count(b"\n", start, end) + data.count(b"\r", start, end) - pairs
