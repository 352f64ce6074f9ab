"""The libcst visitor skips libcst's generic leave and attribute hooks; it finds
exactly what it finds with them, because it defines no method they would call."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import libcst as cst
import pytest
from detectors.test_python_cst import FOUND, NOT_FOUND

from scanner.detectors.python_visitor import CredentialVisitor


class _WithDefaultHooks(CredentialVisitor):
    """The visitor with libcst's own generic hooks back."""

    on_leave = cst.CSTVisitor.on_leave
    on_visit_attribute = cst.CSTVisitor.on_visit_attribute
    on_leave_attribute = cst.CSTVisitor.on_leave_attribute


def test_the_visitor_defines_nothing_the_skipped_hooks_would_call() -> None:
    own = [name for name in vars(CredentialVisitor) if name.startswith(("visit_", "leave_"))]
    assert own and all(name.startswith("visit_") for name in own)
    assert all(name.count("_") == 1 for name in own)  # no visit_<Node>_<attribute>


def _found(visitor: CredentialVisitor) -> list[tuple[str, str, bytes]]:
    return [(c.rule, c.literal.text, c.secret) for c in visitor.found] + [
        ("pem", p.text, b"") for p in visitor.pems
    ]


def _sources() -> list[str]:
    rows = [r[1] for r in FOUND] + [r[1] for r in NOT_FOUND]
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(stdlib.glob("*.py"))[:60] + sorted(stdlib.glob("test/test_h*.py"))[:10]
    return rows + [p.read_text("utf-8", errors="replace") for p in files]


@pytest.mark.parametrize("index", range(len(_sources())))
def test_the_visitor_finds_the_same_as_with_the_default_hooks(index: int) -> None:
    source = _sources()[index]
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        pytest.skip("not Python 3")
    fast, slow = CredentialVisitor(), _WithDefaultHooks()
    module.visit(fast)
    module.visit(slow)
    assert _found(fast) == _found(slow)
