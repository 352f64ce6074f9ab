"""The libcst visitor that finds string literals bound to credentials.

It collects `Candidate`s (which rule, which literal) without positions; the
detector resolves positions only when something was found, because position
metadata costs as much as the parse itself. Which name, callee or connection
string leads to which rule is decided in `python_bindings`, shared with the
`ast` fast path (`python_fastread`) that reads the common windows without libcst.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import libcst as cst

from scanner.detectors.credential_names import Category, credential_category, is_plausible_secret
from scanner.detectors.python_bindings import BASIC_AUTH_CALLS as _BASIC_AUTH_CALLS
from scanner.detectors.python_bindings import CATEGORY_RULE as _CATEGORY_RULE
from scanner.detectors.python_bindings import PEM_BEGIN, dsn_password
from scanner.detectors.python_bindings import SIGNING_KEYWORDS as _SIGNING_KEYWORDS
from scanner.detectors.python_bindings import name_like as _name_like
from scanner.detectors.python_bindings import signing_rule as _signing_rule
from scanner.detectors.python_literals import Literal, evaluate


@dataclass(frozen=True)
class Candidate:
    rule: str
    """A key of RULES in python_cst."""
    literal: Literal
    secret: bytes


def dotted(node: cst.BaseExpression) -> str:
    """`a.b.c` for a Name/Attribute chain, '' otherwise."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else node.attr.value
    if isinstance(node, cst.Call):
        return dotted(node.func)
    return ""


def target_name(node: cst.BaseExpression) -> str | None:
    """The name a value is bound to: `x`, `self.x`, `cfg["X"]`."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        return node.attr.value
    if isinstance(node, cst.Subscript) and len(node.slice) == 1:
        index = node.slice[0].slice
        if isinstance(index, cst.Index):
            key = evaluate(index.value)
            if key is not None and isinstance(key.value, str) and _name_like(key.value):
                return key.value
    return None


class CredentialVisitor(cst.CSTVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[Candidate] = []
        self.pems: list[Literal] = []
        self._seen: set[int] = set()

    # --- libcst's generic hooks -------------------------------------------------
    # The visitor has only `visit_<Node>` methods. libcst's default hooks look up
    # a `leave_<Node>` and a `visit_<Node>_<attribute>`/`leave_<Node>_<attribute>`
    # method by name for every node and attribute: a third of the visit's time.
    # (A test checks that no such method is ever added here.)

    def on_leave(self, original_node: cst.CSTNode) -> None:
        return None

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        return None

    def on_leave_attribute(self, original_node: cst.CSTNode, attribute: str) -> None:
        return None

    # --- bindings -------------------------------------------------------------

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        if isinstance(node.operator, cst.AddAssign):
            self._bind(node.target, node.value)

    def visit_Param(self, node: cst.Param) -> None:
        if node.default is not None:
            self._named(node.name.value, node.default)

    def visit_Dict(self, node: cst.Dict) -> None:
        for element in node.elements:
            if isinstance(element, cst.DictElement):
                key = evaluate(element.key)
                if key is not None and isinstance(key.value, str) and _name_like(key.value):
                    self._named(key.value, element.value)

    def _bind(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Tuple | cst.List) and isinstance(value, cst.Tuple | cst.List):
            if len(target.elements) == len(value.elements):
                for t, v in zip(target.elements, value.elements, strict=True):
                    self._bind(t.value, v.value)
            return
        name = target_name(target)
        if name is not None:
            self._named(name, value)

    def _named(self, name: str, value: cst.BaseExpression) -> None:
        category = credential_category(name)
        if category is not None:
            self._report(_CATEGORY_RULE[category], category, value)

    # --- calls ----------------------------------------------------------------

    def visit_Call(self, node: cst.Call) -> bool:
        if self._pem(node):
            return False
        callee = dotted(node.func)
        last = callee.rsplit(".", 1)[-1]
        positional = [a.value for a in node.args if a.keyword is None and not a.star]
        signing = _signing_rule(callee)
        for arg in node.args:
            if arg.keyword is None:
                continue
            keyword = arg.keyword.value
            if keyword == "auth":
                self._auth_tuple(arg.value)
            elif signing and keyword in _SIGNING_KEYWORDS:
                self._report(signing, Category.SECRET_KEY, arg.value)
            else:
                self._named(keyword, arg.value)
        if signing == "python.jwt-signing-secret" and len(positional) >= 2:
            self._report(signing, Category.SECRET_KEY, positional[1])
        elif signing == "python.hmac-key" and positional:
            self._report(signing, Category.SECRET_KEY, positional[0])
        elif (last in _BASIC_AUTH_CALLS or last == "login") and len(positional) >= 2:
            self._report("python.basic-auth-password", Category.PASSWORD, positional[1])
        elif last == "connect" and positional:
            self._connection_string(positional[0])
        self._name_value_pairs(positional)
        return True

    def _name_value_pairs(self, positional: list[cst.BaseExpression]) -> None:
        """`config.set("db", "password", "…")`, `environ.setdefault("API_TOKEN", "…")`,
        `.option("password", "…")`: a credential name followed by its literal value."""
        for name_node, value in itertools.pairwise(positional):
            name = evaluate(name_node) if isinstance(name_node, cst.SimpleString) else None
            if name is not None and isinstance(name.value, str) and _name_like(name.value):
                self._named(name.value.lstrip("-"), value)

    def _auth_tuple(self, value: cst.BaseExpression) -> None:
        if isinstance(value, cst.Tuple) and len(value.elements) == 2:
            self._report("python.basic-auth-password", Category.PASSWORD, value.elements[1].value)

    def _connection_string(self, value: cst.BaseExpression) -> None:
        literal = evaluate(value)
        if literal is None or not isinstance(literal.value, str):
            return
        password = dsn_password(literal.value)
        if password and is_plausible_secret(password, Category.PASSWORD):
            self._add("python.connection-string-password", literal, password.encode())

    # --- private keys built from pieces ---------------------------------------

    def visit_ConcatenatedString(self, node: cst.ConcatenatedString) -> bool:
        return not self._pem(node)

    def visit_BinaryOperation(self, node: cst.BinaryOperation) -> bool:
        return not self._pem(node)

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        if "BEGIN" in node.value:
            self._pem(node)

    def visit_FormattedString(self, node: cst.FormattedString) -> None:
        self._pem(node)

    def _pem(self, node: cst.BaseExpression) -> bool:
        literal = evaluate(node)
        if literal is None or PEM_BEGIN not in literal.text:
            return False
        if id(literal.pieces[0]) not in self._seen:
            self._seen.add(id(literal.pieces[0]))
            self.pems.append(literal)
        return True

    # --- reporting ------------------------------------------------------------

    def _report(self, rule: str, category: Category, value: cst.BaseExpression) -> None:
        literal = evaluate(value)
        if literal is None or PEM_BEGIN in literal.text:
            return
        if is_plausible_secret(literal.text, category):
            self._add(rule, literal, literal.secret)

    def _add(self, rule: str, literal: Literal, secret: bytes) -> None:
        key = id(literal.pieces[0])
        if key not in self._seen:
            self._seen.add(key)
            self.found.append(Candidate(rule, literal, secret))
