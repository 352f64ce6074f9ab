"""Rule pattern syntax: one text that both RE2 and Hyperscan understand.

Rule authors write Python-flavoured regexes: `(?P<secret>…)` named groups and a
leading `(?x)` verbose flag are accepted. RE2 has no verbose mode, so verbose
patterns are flattened here (whitespace and `#` comments outside character
classes dropped); `\\Z` becomes `\\z`. Both engines then see the same bytes,
matched byte-wise (RE2 in Latin-1 mode, Hyperscan without UTF-8 mode).
"""

from __future__ import annotations

import re
from typing import Any

import re2

SECRET_GROUP = "secret"
_FLAGS = re.compile(r"\A\(\?([a-zA-Z]+)\)")
_UNBOUNDED = 1 << 31
_END_OF_TEXT = re.compile(r"(?<!\\)((?:\\\\)*)\\Z")
"""`\\Z` not itself escaped (Python's end of text; RE2 spells it `\\z`)."""


def normalise(pattern: str) -> str:
    """The pattern in the dialect shared by RE2 and Hyperscan."""
    head = _FLAGS.match(pattern)
    if head and "x" in head.group(1):
        flags = head.group(1).replace("x", "")
        body = _flatten_verbose(pattern[head.end() :])
        pattern = (f"(?{flags})" if flags else "") + body
    if "\\Z" not in pattern:  # the usual case, without a regex pass
        return pattern
    return _END_OF_TEXT.sub(r"\1\\z", pattern)


def _flatten_verbose(body: str) -> str:
    out: list[str] = []
    i, in_class = 0, False
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(r"\x20" if nxt == " " else ch + nxt)
            i += 2
            continue
        if in_class:
            if ch == "]" and not _class_opened_at(out):
                in_class = False
            out.append(ch)
        elif ch == "[":
            in_class = True
            out.append(ch)
        elif ch == "#":
            newline = body.find("\n", i)
            i = len(body) if newline < 0 else newline
            continue
        elif not ch.isspace():
            out.append(ch)
        i += 1
    return "".join(out)


def _class_opened_at(out: list[str]) -> bool:
    """True when `]` would be the first member of the class (`[]…]` or `[^]…]`)."""
    return bool(out) and (out[-1] == "[" or (out[-1] == "^" and len(out) > 1 and out[-2] == "["))


def re2_options() -> Any:
    options = re2.Options()
    options.encoding = re2.Options.Encoding.LATIN1
    options.log_errors = False
    return options


def compile_re2(pattern: str) -> Any:
    """Compile a normalised pattern for byte-wise matching; raises re2.error."""
    return re2.compile(pattern.encode("utf-8"), re2_options())


def secret_group(regex: Any) -> int | None:
    """The index of the `secret` group of a compiled RE2 bytes pattern."""
    index = regex.groupindex.get(SECRET_GROUP.encode())
    return None if index is None else int(index)


def literal(text: str) -> str:
    """A regex matching `text` literally, in syntax both engines accept."""
    return "".join(map(_LITERAL_BYTES.__getitem__, text.encode("utf-8")))


_LITERAL_BYTES = tuple(
    chr(b) if chr(b).isalnum() and b < 128 else f"\\x{b:02x}" for b in range(256)
)


def max_width(pattern: str) -> int | None:
    """Longest possible match in bytes, or None when unbounded or unknown.

    Python's parser only reads the pattern text here; it never sees scanned input.
    """
    try:
        from re import _parser  # type: ignore[attr-defined]

        text = pattern.replace(r"\z", "$").encode("utf-8").decode("latin-1")
        _, high = _parser.parse(text).getwidth()
    except Exception:
        return None
    return None if high >= _UNBOUNDED else int(high)
