"""S-expressions as libgcrypt writes them: canonical (`3:abc`) and advanced
(`#616263#`, `"abc"`, `|YWJj|`, bare tokens), nested lists of byte strings."""

from __future__ import annotations

import base64
import binascii

Sexp = bytes | list["Sexp"]
MAX_DEPTH = 32
_DELIMITERS = b' \t\r\n()"#|'


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def skip_space(self) -> None:
        while self.pos < len(self.data) and self.data[self.pos] in b" \t\r\n":
            self.pos += 1

    def peek(self) -> int:
        if self.pos >= len(self.data):
            raise ValueError("s-expression ends early")
        return self.data[self.pos]

    def until(self, stop: int) -> bytes:
        end = self.data.find(bytes([stop]), self.pos)
        if end < 0:
            raise ValueError("unterminated s-expression atom")
        value = self.data[self.pos : end]
        self.pos = end + 1
        return value


def parse(data: bytes) -> Sexp:
    """The first s-expression in `data`; ValueError when it is malformed."""
    reader = _Reader(data)
    reader.skip_space()
    if reader.peek() != ord("("):
        raise ValueError("not an s-expression")
    return _value(reader, 0)


def _value(reader: _Reader, depth: int) -> Sexp:
    if depth > MAX_DEPTH:
        raise ValueError("s-expression nested too deeply")
    reader.skip_space()
    char = reader.peek()
    if char == ord("("):
        reader.pos += 1
        items: list[Sexp] = []
        while True:
            reader.skip_space()
            if reader.peek() == ord(")"):
                reader.pos += 1
                return items
            items.append(_value(reader, depth + 1))
    return _atom(reader)


def _atom(reader: _Reader) -> bytes:
    char = reader.peek()
    reader.pos += 1
    try:
        if char == ord("#"):
            return bytes.fromhex(reader.until(ord("#")).decode("ascii"))
        if char == ord("|"):
            return base64.b64decode(b"".join(reader.until(ord("|")).split()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValueError("bad s-expression atom") from exc
    if char == ord('"'):
        return _quoted(reader)
    reader.pos -= 1
    start = reader.pos
    while reader.pos < len(reader.data) and reader.data[reader.pos] not in _DELIMITERS:
        if reader.data[reader.pos] == ord(":") and reader.data[start : reader.pos].isdigit():
            length = int(reader.data[start : reader.pos])
            begin = reader.pos + 1
            if begin + length > len(reader.data):
                raise ValueError("s-expression atom runs past the end")
            reader.pos = begin + length
            return reader.data[begin : begin + length]
        reader.pos += 1
    if reader.pos == start:
        raise ValueError("unexpected character in s-expression")
    return reader.data[start : reader.pos]


_ESCAPES = {
    ord("b"): 0x08,
    ord("t"): 0x09,
    ord("v"): 0x0B,
    ord("n"): 0x0A,
    ord("f"): 0x0C,
    ord("r"): 0x0D,
    ord('"'): 0x22,
    ord("'"): 0x27,
    ord("\\"): 0x5C,
}


def _quoted(reader: _Reader) -> bytes:
    """A "quoted string" with libgcrypt's escapes: \\n and friends, \\ooo octal,
    \\xhh hex, and a backslash before a line break continues the line."""
    out = bytearray()
    while True:
        char = reader.peek()
        reader.pos += 1
        if char == ord('"'):
            return bytes(out)
        if char != ord("\\"):
            out.append(char)
            continue
        char = reader.peek()
        reader.pos += 1
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char in b"01234567":
            digits = reader.data[reader.pos - 1 : reader.pos + 2]
            out.append(int(digits, 8) & 0xFF)
            reader.pos += 2
        elif char == ord("x"):
            out.append(int(reader.data[reader.pos : reader.pos + 2], 16))
            reader.pos += 2
        elif char in b"\r\n":
            if char == ord("\r") and reader.data[reader.pos : reader.pos + 1] == b"\n":
                reader.pos += 1
        else:
            out.append(char)


def params(node: Sexp) -> dict[bytes, bytes]:
    """`((n #..#) (e #..#))`-style members of a list as a name → value map."""
    found: dict[bytes, bytes] = {}
    if isinstance(node, list):
        for item in node[1:]:
            if isinstance(item, list) and len(item) >= 2:
                name, value = item[0], item[1]
                if isinstance(name, bytes) and isinstance(value, bytes):
                    found.setdefault(name, value)
    return found
