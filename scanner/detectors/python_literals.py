"""String literals in a libcst tree: their value, joined, and where their text sits.

`evaluate` turns a string expression into its value when the value is known
without running anything: simple and bytes literals, f-strings without
expressions, implicit ("a" "b") and explicit ("a" + "b") concatenation,
`"…".encode()` and `"sep".join([...literals])`. Anything else is None.
"""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from scanner.detectors.python_bindings import literal_secret, literal_text

StringPiece = cst.SimpleString | cst.FormattedString


@dataclass(frozen=True)
class Literal:
    value: str | bytes
    pieces: tuple[StringPiece, ...]
    """The literal tokens the value came from, in source order."""

    @property
    def text(self) -> str:
        return literal_text(self.value)

    @property
    def secret(self) -> bytes:
        return literal_secret(self.value)


def evaluate(node: cst.BaseExpression) -> Literal | None:
    """The value of a string expression, or None when it is not a constant."""
    if isinstance(node, cst.SimpleString):
        return _simple(node)
    if isinstance(node, cst.FormattedString):
        return _formatted(node)
    if isinstance(node, cst.ConcatenatedString):
        return _join(evaluate(node.left), evaluate(node.right))
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.Add):
        return _join(evaluate(node.left), evaluate(node.right))
    if isinstance(node, cst.Call):
        return _call(node)
    return None


def _simple(node: cst.SimpleString) -> Literal | None:
    try:
        value = node.evaluated_value
    except (SyntaxError, ValueError):
        return None
    if not isinstance(value, str | bytes):
        return None
    return Literal(value, (node,))


def _formatted(node: cst.FormattedString) -> Literal | None:
    texts: list[str] = []
    for part in node.parts:
        if not isinstance(part, cst.FormattedStringText):
            return None
        texts.append(part.value)
    prefix = node.prefix.replace("f", "").replace("F", "")
    quote = node.start[len(node.prefix) :]
    raw = "".join(texts)
    try:
        value = cst.SimpleString(prefix + quote + raw + quote).evaluated_value
    except (SyntaxError, ValueError):
        return None
    if not isinstance(value, str):
        return None
    return Literal(value.replace("{{", "{").replace("}}", "}"), (node,))


def _join(left: Literal | None, right: Literal | None) -> Literal | None:
    if left is None or right is None:
        return None
    if isinstance(left.value, str) and isinstance(right.value, str):
        return Literal(left.value + right.value, left.pieces + right.pieces)
    if isinstance(left.value, bytes) and isinstance(right.value, bytes):
        return Literal(left.value + right.value, left.pieces + right.pieces)
    return None


def _call(node: cst.Call) -> Literal | None:
    func = node.func
    if not isinstance(func, cst.Attribute):
        return None
    receiver = evaluate(func.value)
    if receiver is None:
        return None
    if func.attr.value == "encode" and isinstance(receiver.value, str):
        return Literal(receiver.secret, receiver.pieces)
    if func.attr.value == "join" and len(node.args) == 1:
        return _join_call(receiver, node.args[0].value)
    return None


def _join_call(separator: Literal, items: cst.BaseExpression) -> Literal | None:
    if not isinstance(items, cst.List | cst.Tuple) or not items.elements:
        return None
    values: list[Literal] = []
    for element in items.elements:
        value = evaluate(element.value)
        if value is None or type(value.value) is not type(separator.value):
            return None
        values.append(value)
    pieces = tuple(p for v in values for p in v.pieces)
    if isinstance(separator.value, str):
        return Literal(separator.value.join(str(v.value) for v in values), pieces)
    return Literal(separator.value.join(bytes(v.secret) for v in values), pieces)


def quote_widths(piece: StringPiece) -> tuple[int, int]:
    """Characters before the content (prefix and opening quote) and after it."""
    if isinstance(piece, cst.FormattedString):
        return len(piece.start), len(piece.end)
    prefix = len(piece.prefix)
    quote = len(piece.quote)
    return prefix + quote, quote
