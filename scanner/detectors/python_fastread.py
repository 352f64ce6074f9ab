"""A statement window read with CPython's `ast` where it answers as libcst would.

libcst is the reader of record for the Python detector (`python_visitor`), but
importing it costs about 0.1 s in each process that reads a window, and parsing
a window with position metadata about a millisecond. Most windows are simple
statements: a keyword argument, a dict entry, an assignment of a plain string.
`fast_spots` reads those with `ast` (already imported by the window search) and
returns the same facts the libcst reader would: the same candidates, rules,
secrets and positions, in the same order. Where it cannot be sure of that, it
returns None and libcst reads the window exactly as before.

It declines (None) a window that holds any f-string, a `+` with a string
operand, `.encode()` or `.join()` called on a literal, "BEGIN" in the source or
in a literal's value (PEM pieces), a starred target or value (a call's `*args`
aside), a tuple subscript as a target, a lone carriage return or a line break
character other than `\\n` and `\\r\\n`, a line holding only a continuation, a
coding declaration, `match` or `except*`, a parenthesised annotated target
(`(x): int`, which libcst refuses), a tree deeper than `MAX_DEPTH` (a boolean
operation's operands, a comprehension's `for` clauses and an imported name's
dotted parts count as levels: libcst recurses on each), a literal too long for
libcst's recursion (`MAX_LINES`, `MAX_QUOTES`: it nests joined pieces one level
each), or a literal whose tokens it cannot read back; and any window `ast` refuses.
Everything else is walked as the visitor walks its tree (a parent before its
children, children in source order, each parameter's annotation and default
after the parameter),
with the visitor's tables and tests on names and values (`python_bindings`,
`credential_names`), and the first binding to report a literal decides its rule.

Positions: `ast` gives UTF-8 byte columns; they are turned into characters with
a table of the line's non-ASCII characters (built once a line, then bisected),
and the widths of a literal's prefix and quotes are read from the source at its
first and last token. Identifiers on a line that is not ASCII
are checked against the source (`ast` normalises them, NFKC; libcst does not).

`tests/detectors/test_python_fastread.py` holds it equal to the libcst reader on
generated windows and the detector's sample inputs.
"""

from __future__ import annotations

import ast
import bisect
import itertools
import re
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from scanner.detectors.credential_names import Category, credential_category, is_plausible_secret
from scanner.detectors.python_bindings import (
    BASIC_AUTH_CALLS,
    CATEGORY_RULE,
    SIGNING_KEYWORDS,
    dsn_password,
    literal_secret,
    literal_text,
    name_like,
    signing_rule,
)

SpotFields = tuple[str, bytes, str, int, int, tuple[int, int], tuple[int, int], int]
"""rule, secret, text, line, column, start, end, end_line: `python_cst.Spot`'s fields."""

BASIC_AUTH_RULE = "python.basic-auth-password"
DSN_RULE = "python.connection-string-password"
_ODD_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")
_NOWHERE = (0, 0)
_PREFIX = frozenset("rRbBuU")
MAX_DEPTH = 64
"""Deeper trees are left to libcst (which recurses several frames per level).
A flat form that libcst nests one level per element (`_width`) counts each
element as a level."""
MAX_LINES = 40
MAX_QUOTES = 64
"""A string literal over more lines, or with more quote characters (more than 32
joined pieces), is left to libcst."""
_DECLINED = (ast.JoinedStr, ast.Starred, ast.TryStar, ast.Match)
_LONE_BACKSLASH = re.compile(r"^[ \t\f]*\\\r?$", re.MULTILINE)
"""A line holding only a continuation: libcst numbers the lines after it one
less than CPython does, or refuses the window."""
_NON_ASCII = re.compile(r"[^\x00-\x7f]")


class Declined(Exception):
    """The window holds something the fast path does not read as libcst does."""


def fast_spots(source: str) -> tuple[SpotFields, ...] | None:
    """The candidates libcst would report in `source`, or None when unsure."""
    if _unsure(source):
        return None
    try:
        tree = ast.parse(source)
        reader = _Reader(source)
        reader.walk(tree)
        return tuple(reader.spots())
    except (Declined, SyntaxError, ValueError, UnicodeError, RecursionError, MemoryError):
        return None


def _unsure(source: str) -> bool:
    if "BEGIN" in source or any(ch in source for ch in _ODD_BREAKS):
        return True
    if "\r" in source and source.count("\r") != source.count("\r\n"):
        return True
    if "\\" in source and _LONE_BACKSLASH.search(source):
        return True
    head = source.split("\n", 2)[:2]
    return any("coding" in line and "#" in line for line in head)


Found = tuple[str, ast.Constant, bytes]


class _Reader:
    def __init__(self, source: str) -> None:
        self._lines = source.split("\n")
        self._ascii = [line.isascii() for line in self._lines]
        self._widths: dict[int, tuple[list[int], list[int]]] = {}
        self._found: list[Found] = []
        self._seen: set[int] = set()
        self._hooks: dict[type[ast.AST], Callable[[Any], None]] = {
            ast.Constant: self._constant,
            ast.Assign: self._assign,
            ast.AnnAssign: self._ann_assign,
            ast.AugAssign: self._aug_assign,
            ast.Dict: self._dict,
            ast.Call: self._call,
            ast.BinOp: _bin_op,
        }

    # --- the walk: parent first, children in source order ----------------------

    def walk(self, node: ast.AST, depth: int = 0) -> None:
        depth += _width(node)
        if isinstance(node, _DECLINED) or depth > MAX_DEPTH:
            raise Declined
        if isinstance(node, ast.arguments):
            self._arguments(node, depth + 1)
            return
        hook = self._hooks.get(type(node))
        if hook is not None:
            hook(node)
        for child in _ordered(node):
            self.walk(_unstarred(node, child), depth + 1)

    def _arguments(self, node: ast.arguments, depth: int) -> None:
        """Each parameter as libcst visits its `Param`: the binding, then the
        annotation, then the default."""
        for arg, default in _parameters(node):
            if default is not None:
                self._named(self._arg_name(arg), default)
            if arg.annotation is not None:
                self.walk(arg.annotation, depth + 1)
            if default is not None:
                self.walk(default, depth + 1)

    def _constant(self, node: ast.Constant) -> None:
        """PEM pieces are the visitor's own business; and libcst nests a joined
        literal one level per piece, so a long one could exhaust its recursion."""
        value = node.value
        if isinstance(value, str) and "BEGIN" in value:
            raise Declined
        if isinstance(value, bytes):
            if b"BEGIN" in value:
                raise Declined
        elif not isinstance(value, str):
            return
        assert node.end_lineno is not None
        if node.end_lineno - node.lineno > MAX_LINES:
            raise Declined
        text = self._text(node)
        if text.count('"') + text.count("'") > MAX_QUOTES:
            raise Declined

    # --- bindings ---------------------------------------------------------------

    def _assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._bind(target, node.value)

    def _ann_assign(self, node: ast.AnnAssign) -> None:
        """libcst refuses a parenthesised target, `(x): int = 1`."""
        if (node.lineno, node.col_offset) != (node.target.lineno, node.target.col_offset):
            raise Declined
        if node.value is not None:
            self._bind(node.target, node.value)

    def _aug_assign(self, node: ast.AugAssign) -> None:
        if isinstance(node.op, ast.Add):
            self._bind(node.target, node.value)

    def _dict(self, node: ast.Dict) -> None:
        for key, value in zip(node.keys, node.values, strict=True):
            name = _string(key)
            if name is not None and name_like(name):
                self._named(name, value)

    def _bind(self, target: ast.expr, value: ast.expr) -> None:
        if isinstance(target, ast.Tuple | ast.List) and isinstance(value, ast.Tuple | ast.List):
            if len(target.elts) == len(value.elts):
                for t, v in zip(target.elts, value.elts, strict=True):
                    self._bind(t, v)
            return
        name = self._target_name(target)
        if name is not None:
            self._named(name, value)

    def _target_name(self, node: ast.expr) -> str | None:
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Attribute):
            return self._attr(node)
        if isinstance(node, ast.Subscript):
            if isinstance(node.slice, ast.Tuple):
                raise Declined
            key = _string(node.slice)
            return key if key is not None and name_like(key) else None
        return None

    def _named(self, name: str, value: ast.expr) -> None:
        category = credential_category(name)
        if category is not None:
            self._report(CATEGORY_RULE[category], category, value)

    # --- calls ------------------------------------------------------------------

    def _call(self, node: ast.Call) -> None:
        if _literal_method(node.func):
            raise Declined
        callee = self._dotted(node.func)
        last = callee.rsplit(".", 1)[-1]
        positional = [a for a in node.args if not isinstance(a, ast.Starred)]
        signing = signing_rule(callee)
        for keyword in node.keywords:
            if keyword.arg is None:
                continue
            name = self._keyword_name(keyword)
            if name == "auth":
                self._auth_tuple(keyword.value)
            elif signing and name in SIGNING_KEYWORDS:
                self._report(signing, Category.SECRET_KEY, keyword.value)
            else:
                self._named(name, keyword.value)
        if signing == "python.jwt-signing-secret" and len(positional) >= 2:
            self._report(signing, Category.SECRET_KEY, positional[1])
        elif signing == "python.hmac-key" and positional:
            self._report(signing, Category.SECRET_KEY, positional[0])
        elif (last in BASIC_AUTH_CALLS or last == "login") and len(positional) >= 2:
            self._report(BASIC_AUTH_RULE, Category.PASSWORD, positional[1])
        elif last == "connect" and positional:
            self._connection_string(positional[0])
        self._name_value_pairs(positional)

    def _name_value_pairs(self, positional: list[ast.expr]) -> None:
        for name_node, value in itertools.pairwise(positional):
            name = _string(name_node)
            if name is not None and self._one_token(name_node) and name_like(name):
                self._named(name.lstrip("-"), value)

    def _auth_tuple(self, value: ast.expr) -> None:
        if isinstance(value, ast.Tuple) and len(value.elts) == 2:
            self._report(BASIC_AUTH_RULE, Category.PASSWORD, value.elts[1])

    def _connection_string(self, value: ast.expr) -> None:
        literal = _literal(value)
        if literal is None or not isinstance(literal.value, str):
            return
        password = dsn_password(literal.value)
        if password and is_plausible_secret(password, Category.PASSWORD):
            self._add(DSN_RULE, literal, password.encode())

    def _dotted(self, node: ast.expr) -> str:
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Attribute):
            base = self._dotted(node.value)
            attr = self._attr(node)
            return f"{base}.{attr}" if base else attr
        if isinstance(node, ast.Call):
            return self._dotted(node.func)
        return ""

    # --- reporting --------------------------------------------------------------

    def _report(self, rule: str, category: Category, value: ast.expr) -> None:
        literal = _literal(value)
        if literal is None:
            return
        assert isinstance(literal.value, str | bytes)
        if is_plausible_secret(literal_text(literal.value), category):
            self._add(rule, literal, literal_secret(literal.value))

    def _add(self, rule: str, literal: ast.Constant, secret: bytes) -> None:
        if id(literal) not in self._seen:
            self._seen.add(id(literal))
            self._found.append((rule, literal, secret))

    def spots(self) -> Iterator[SpotFields]:
        for rule, literal, secret in self._found:
            assert isinstance(literal.value, str | bytes) and literal.end_lineno is not None
            pieces = self._pieces(literal)
            line, column = literal.lineno, self._column(literal.lineno, literal.col_offset)
            end_line = literal.end_lineno
            end = self._column(end_line, literal.end_col_offset or 0)
            head, tail = pieces[0][0], pieces[-1][1]
            text = literal_text(literal.value)
            yield (
                rule,
                secret,
                text,
                line,
                column,
                (line, column + head),
                (end_line, end - tail),
                end_line,
            )

    # --- the source text --------------------------------------------------------

    def _column(self, line: int, byte_column: int) -> int:
        if self._ascii[line - 1]:
            return byte_column
        starts, extra = self._wide(line)
        return byte_column - extra[bisect.bisect_left(starts, byte_column)]

    def _wide(self, line: int) -> tuple[list[int], list[int]]:
        """The byte offset of each non-ASCII character on `line`, and the extra
        bytes of those before it (built once a line, so columns cost a bisection)."""
        table = self._widths.get(line)
        if table is None:
            starts, extra = [], [0]
            for match in _NON_ASCII.finditer(self._lines[line - 1]):
                starts.append(match.start() + extra[-1])
                extra.append(extra[-1] + len(match.group().encode("utf-8")) - 1)
            table = self._widths[line] = (starts, extra)
        return table

    def _text(self, node: ast.expr) -> str:
        """The source of `node` (which must have an end position)."""
        assert node.end_lineno is not None and node.end_col_offset is not None
        first, last = node.lineno, node.end_lineno
        start = self._column(first, node.col_offset)
        end = self._column(last, node.end_col_offset)
        if first == last:
            return self._lines[first - 1][start:end]
        middle = self._lines[first : last - 1]
        return "\n".join([self._lines[first - 1][start:], *middle, self._lines[last - 1][:end]])

    def _pieces(self, literal: ast.Constant) -> list[tuple[int, int]]:
        return _string_tokens(self._text(literal))

    def _one_token(self, node: ast.expr) -> bool:
        return len(self._pieces(node)) == 1 if isinstance(node, ast.Constant) else False

    def _name(self, node: ast.Name) -> str:
        if not self._ascii[node.lineno - 1] and self._text(node) != node.id:
            raise Declined
        return node.id

    def _attr(self, node: ast.Attribute) -> str:
        assert node.end_lineno is not None and node.end_col_offset is not None
        line = self._lines[node.end_lineno - 1]
        if not self._ascii[node.end_lineno - 1]:
            before = line[: self._column(node.end_lineno, node.end_col_offset)]
            previous = before[len(before) - len(node.attr) - 1 : len(before) - len(node.attr)]
            if not before.endswith(node.attr) or ("a" + previous).isidentifier():
                raise Declined
        return node.attr

    def _arg_name(self, node: ast.arg) -> str:
        return self._starting(node, node.arg)

    def _keyword_name(self, node: ast.keyword) -> str:
        assert node.arg is not None
        return self._starting(node, node.arg)

    def _starting(self, node: ast.arg | ast.keyword, name: str) -> str:
        """`name`, which `node` must start with verbatim."""
        line = self._lines[node.lineno - 1]
        if not self._ascii[node.lineno - 1]:
            after = line[self._column(node.lineno, node.col_offset) :]
            following = after[len(name) : len(name) + 1]
            if not after.startswith(name) or (following and (name + following).isidentifier()):
                raise Declined
        return name


def _width(node: ast.AST) -> int:
    """Levels libcst recurses for what `ast` keeps flat: a boolean operation's
    operands, a comprehension's `for` clauses, an imported dotted name's parts."""
    if isinstance(node, ast.BoolOp):
        return len(node.values)
    if isinstance(node, ast.ListComp | ast.SetComp | ast.DictComp | ast.GeneratorExp):
        return len(node.generators)
    if isinstance(node, ast.Import):
        return max(alias.name.count(".") for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return (node.module or "").count(".")
    return 0


def _bin_op(node: ast.BinOp) -> None:
    if isinstance(node.op, ast.Add) and (_string_like(node.left) or _string_like(node.right)):
        raise Declined


def _string_like(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str | bytes)


def _literal_method(func: ast.expr) -> bool:
    """`"…".encode` or `"…".join`: a value libcst evaluates and this reader does not."""
    return (
        isinstance(func, ast.Attribute)
        and func.attr in ("encode", "join")
        and (_string_like(func.value))
    )


def _literal(node: ast.expr) -> ast.Constant | None:
    """The literal `node` is, where `python_literals.evaluate` finds one (what it
    finds beyond a plain or implicitly joined literal declines the window)."""
    return node if isinstance(node, ast.Constant) and _string_like(node) else None


def _string(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _unstarred(parent: ast.AST, child: ast.AST) -> ast.AST:
    """A call's `*args` is walked as its value: libcst keeps it as an argument,
    not a starred value (a starred value anywhere else declines the window)."""
    if isinstance(parent, ast.Call) and isinstance(child, ast.Starred):
        return child.value
    return child


def _parameters(node: ast.arguments) -> list[tuple[ast.arg, ast.expr | None]]:
    """Parameters in source order, each with its default."""
    positional = [*node.posonlyargs, *node.args]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(node.defaults))
    params = list(zip(positional, [*defaults, *node.defaults], strict=True))
    if node.vararg is not None:
        params.append((node.vararg, None))
    params.extend(zip(node.kwonlyargs, node.kw_defaults, strict=True))
    if node.kwarg is not None:
        params.append((node.kwarg, None))
    return params


_NO_CHILDREN = (ast.expr_context, ast.operator, ast.boolop, ast.unaryop, ast.cmpop)


def _ordered(node: ast.AST) -> Sequence[ast.AST]:
    children = [c for c in ast.iter_child_nodes(node) if not isinstance(c, _NO_CHILDREN)]
    if len(children) > 1:
        children.sort(key=_start)
    return children


def _start(node: ast.AST) -> tuple[int, int]:
    line = getattr(node, "lineno", None)
    if line is not None:
        return line, int(getattr(node, "col_offset", 0))
    starts = [s for c in ast.iter_child_nodes(node) if (s := _start(c)) != _NOWHERE]
    return min(starts, default=_NOWHERE)


def _string_tokens(text: str) -> list[tuple[int, int]]:
    """(prefix and opening quote, closing quote) widths of each string token in
    `text`, which holds only string tokens, blanks, comments and continuations."""
    pieces: list[tuple[int, int]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
        elif ch == "\\" and text[i + 1 : i + 2] in ("\n", "\r"):
            i += 2
        elif ch == "#":
            newline = text.find("\n", i)
            i = n if newline < 0 else newline
        else:
            i, widths = _string_token(text, i)
            pieces.append(widths)
    if not pieces:
        raise Declined
    return pieces


def _string_token(text: str, i: int) -> tuple[int, tuple[int, int]]:
    """Where the string token at `i` ends, and its widths."""
    j = i
    while j < len(text) and text[j] in _PREFIX:
        j += 1
    if j - i > 2 or text[j : j + 1] not in ("'", '"'):
        raise Declined
    quote = text[j] * 3 if text[j : j + 3] == text[j] * 3 else text[j]
    k = j + len(quote)
    while not text.startswith(quote, k):
        if k >= len(text) or (len(quote) == 1 and text[k] in "\r\n"):
            raise Declined
        k += 2 if text[k] == "\\" else 1
    return k + len(quote), (j - i + len(quote), len(quote))
