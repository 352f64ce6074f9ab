"""A quick look with CPython's `ast` before libcst reads a statement.

`worth_reading(window)` is True when the statement (or compound header) binds a
credential-like name to a string that could be a secret, passes a literal to a
signing or login call, or holds both armour lines of a PEM key: a superset of what the libcst
visitor reports. Statements that fail it never reach libcst, so a tree whose
credential-looking lines all hold placeholders never imports libcst at all.

Its answer for a window depends on the window's statement alone, so it is kept
with the windows of each run of statements (`_KEPT`, by the run's digest and the
hit lines inside it): a later version of the file that holds the same run gets
the same windows, moved to where the run now starts.
"""

from __future__ import annotations

import ast
import contextlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import replace

from scanner.detectors.credential_names import Category, credential_category, is_plausible_secret
from scanner.detectors.python_chunks import (
    Read,
    Reading,
    Run,
    parse,
    parses_maybe,
    remember,
    runs_through,
)
from scanner.detectors.python_windows import BLOCKS, Window, moved, parsed_windows, windows_in

_KEPT: OrderedDict[tuple[bytes, tuple[int, ...]], Read] = OrderedDict()
KEPT_LIMIT = 4096


def windows_worth_reading(
    text: str, hit_lines: Sequence[int], reading: Reading | None = None
) -> tuple[Window, ...]:
    """The windows around `hit_lines` that `worth_reading` keeps (without their
    `ast` nodes). Raises what `parsed_windows` raises.

    The file is read in runs of top-level statements (`python_chunks`); the
    windows of a run depend on its text and the hit lines inside it alone, so
    they are kept by the run's digest: the versions of a file in a history share
    most of their definitions, and `ast` on a large module costs more than
    libcst on the few statements it leads to. A run without a hit is only
    checked to parse (so a file that does not parse still says so); with
    `reading`, not even that until the caller settles it (`Reading.settled`)."""
    lines = tuple(sorted(set(hit_lines)))

    def judge(run: Run) -> Read | None:
        inside = tuple(line - run.first + 1 for line in lines if run.start <= line < run.end)
        kept = _kept_in(run, inside)
        if kept is None:
            return None
        return Read([moved(window, run.first - 1) for window in kept.windows], kept.head)

    found = runs_through(text, lines, judge, reading)
    if found is not None:
        return tuple(found)
    windows, _ = parsed_windows(text, lines)
    return tuple(replace(w, node=None) for w in windows if worth_reading(w))


def _kept_in(run: Run, lines: tuple[int, ...]) -> Read | None:
    """The windows worth reading around `lines` (counted from the run's first
    line), or None when the run does not parse on its own."""
    key = (run.digest, lines)
    kept = _KEPT.get(key)
    if kept is not None:
        with contextlib.suppress(KeyError):  # let go meanwhile by another thread's scan
            _KEPT.move_to_end(key)
        return kept
    tree = parse(run.text) if parses_maybe(run) else None
    remember(run, tree is not None)
    if tree is None:
        return None
    windows = windows_in(tree, lines)
    own_first = run.start - run.first + 1  # under `if 1:`, the run's first line is the second
    kept = Read(
        tuple(replace(w, node=None) for w in windows if worth_reading(w)),
        any(w.first == own_first for w in windows),
    )
    _KEPT[key] = kept
    if len(_KEPT) > KEPT_LIMIT:
        _KEPT.popitem(last=False)
    return kept


_CALLS = frozenset({"HTTPBasicAuth", "HTTPDigestAuth", "HTTPProxyAuth", "BasicAuth", "login"})
_SIGNING_KEYWORDS = frozenset({"key", "secret", "signing_key", "secret_key"})


def worth_reading(window: Window) -> bool:
    node = window.node
    if node is None:
        return True
    roots = [node] if window.body_line is None else _header(node)
    if _pem_pieces(roots):
        return True
    return any(_worth(name, value) for root in roots for name, value in _pairs(root))


def _pem_pieces(roots: list[ast.AST]) -> bool:
    """Literals holding both the BEGIN and the END armour of a key."""
    texts = [
        _text(sub.value)
        for root in roots
        for sub in ast.walk(root)
        if isinstance(sub, ast.Constant) and isinstance(sub.value, str | bytes)
    ]
    return any("-----BEGIN" in t for t in texts) and any("-----END" in t for t in texts)


def _header(node: ast.AST) -> list[ast.AST]:
    parts: list[ast.AST] = []
    for name in node._fields:
        if name in BLOCKS:
            continue
        value = getattr(node, name)
        parts.extend(
            v for v in (value if isinstance(value, list) else [value]) if isinstance(v, ast.AST)
        )
    return parts


def _pairs(root: ast.AST) -> Iterator[tuple[str | None, ast.AST]]:
    """(name, value) bindings in `root`; name None for a literal a call takes by position."""
    for sub in ast.walk(root):
        if isinstance(sub, ast.Assign):
            for target in sub.targets:
                yield from _bind(target, sub.value)
        elif isinstance(sub, ast.AnnAssign | ast.AugAssign) and sub.value is not None:
            yield from _bind(sub.target, sub.value)
        elif isinstance(sub, ast.keyword) and sub.arg:
            yield sub.arg, sub.value
        elif isinstance(sub, ast.Dict):
            for key, value in zip(sub.keys, sub.values, strict=True):
                if isinstance(key, ast.Constant) and _name_like(key.value):
                    yield str(key.value), value
        elif isinstance(sub, ast.arguments):
            yield from _defaults(sub)
        elif isinstance(sub, ast.Call):
            yield from _call(sub)


def _name_like(key: object) -> bool:
    return isinstance(key, str) and key.replace("-", "_").replace(".", "_").isidentifier()


def _bind(target: ast.AST, value: ast.AST) -> Iterator[tuple[str | None, ast.AST]]:
    if isinstance(target, ast.Tuple | ast.List) and isinstance(value, ast.Tuple | ast.List):
        for t, v in zip(target.elts, value.elts, strict=False):
            yield from _bind(t, v)
    elif isinstance(target, ast.Name):
        yield target.id, value
    elif isinstance(target, ast.Attribute):
        yield target.attr, value
    elif isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant):
        key = target.slice.value
        if isinstance(key, str):
            yield key, value


def _defaults(arguments: ast.arguments) -> Iterator[tuple[str | None, ast.AST]]:
    positional = [*arguments.posonlyargs, *arguments.args]
    for arg, default in zip(positional[::-1], arguments.defaults[::-1], strict=False):
        yield arg.arg, default
    for arg, kw_default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        if kw_default is not None:
            yield arg.arg, kw_default


def _call(call: ast.Call) -> Iterator[tuple[str | None, ast.AST]]:
    func = call.func
    callee = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
    owner = func.value if isinstance(func, ast.Attribute) else None
    owner_name = getattr(owner, "id", "") or getattr(owner, "attr", "")
    signing = owner_name.lower() in {"jwt", "hmac"} or callee in {"HMAC", "connect"}
    if signing or callee in _CALLS:
        yield from ((None, arg) for arg in call.args)
        yield from ((None, kw.value) for kw in call.keywords if kw.arg in _SIGNING_KEYWORDS)
    for first, second in zip(call.args, call.args[1:], strict=False):
        if isinstance(first, ast.Constant) and isinstance(first.value, str):
            yield first.value.lstrip("-"), second


def _worth(name: str | None, value: ast.AST) -> bool:
    if name is None:
        return _plausible(value, list(Category))
    if name.lower() == "auth":
        return (
            isinstance(value, ast.Tuple)
            and len(value.elts) == 2
            and _plausible(value.elts[1], [Category.PASSWORD])
        )
    category = credential_category(name)
    return category is not None and _plausible(value, [category])


def _plausible(value: ast.AST, categories: list[Category]) -> bool:
    if isinstance(value, ast.Constant):
        if not isinstance(value.value, str | bytes):
            return False
        text = _text(value.value)
        lowered = text.lower()
        if "password=" in lowered or "pwd=" in lowered:
            return True
        return any(is_plausible_secret(text, category) for category in categories)
    if isinstance(value, ast.JoinedStr):
        return all(isinstance(part, ast.Constant) for part in value.values)
    return _literal(value)


def _literal(value: ast.AST) -> bool:
    """Joined from literals only (what the libcst side can evaluate)."""
    if isinstance(value, ast.Constant):
        return isinstance(value.value, str | bytes)
    if isinstance(value, ast.BinOp):
        return isinstance(value.op, ast.Add) and _literal(value.left) and _literal(value.right)
    if isinstance(value, ast.Call) and isinstance(value.func, ast.Attribute):
        if value.func.attr == "encode":
            return _literal(value.func.value)
        if value.func.attr == "join" and len(value.args) == 1:
            items = value.args[0]
            return isinstance(items, ast.List | ast.Tuple) and all(map(_literal, items.elts))
    return False


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.decode("latin-1")
