"""The Python detector reads a file in runs of statements (`python_chunks`):
whatever the cut, each file gets exactly what one parse of the whole file gives.

Every case is checked against the detector with the runs turned off (then
`python_screen` parses the whole file, or its prefix, as it always did), with
nothing kept from earlier files, and against the rules it must report: the
credential shapes the screen must let through (joined literals, f-strings, dict
literals, keyword arguments, calls over several lines, bytes, notebook cells),
placed where the cuts fall (after many top-level definitions, in a method of a
long class, behind decorators over several lines), cuts that fall inside strings,
and code that does not parse before or after the hit.
"""

from __future__ import annotations

import json
import textwrap
from collections.abc import Callable, Iterator

import pytest
from python_reading import Result, found_and_libcst
from python_reading import forget as _forget
from python_reading import results as _results
from python_reading import value as _value
from python_reading import whole as _whole

from scanner.detectors import python_screen

PW = "python.hardcoded-password"
SK = "python.hardcoded-secret-key"
TOK = "python.hardcoded-token"
JWT = "python.jwt-signing-secret"
HMAC = "python.hmac-key"
BASIC = "python.basic-auth-password"


@pytest.fixture(autouse=True)
def _nothing_kept() -> Iterator[None]:
    _forget()
    yield
    _forget()


def _rules(found: list[Result]) -> list[str]:
    return [r if isinstance(r, str) else r[0] for r in found]


def _methods(count: int, name: str = "test") -> str:
    return "".join(
        f"    def {name}_{i}(self):\n        self.assertEqual(f({i}), {i})\n\n"
        for i in range(count)
    )


def _helpers(count: int) -> str:
    return "".join(f"def helper_{i}(x):\n    return x * {i}\n\n\n" for i in range(count))


SHAPES = {
    "assign": ("password = {v!r}\n", [PW]),
    "implicit-concat": ("api_token = {a!r} {b!r}\n", [TOK]),
    "explicit-concat": ("api_token = {a!r} + {b!r}\n", [TOK]),
    "fstring": ('password = f"{v}"\n', [PW]),
    "bytes": ("hmac_key = b{v!r}\n", [SK]),
    "dict-literal": ('cfg = {{"user": "bob", "password": {v!r}}}\n', [PW]),
    "dict-over-lines": ('cfg = {{\n    "user": "bob",\n    "password": {v!r},\n}}\n', [PW]),
    "keyword": ("client = Client(host=h, token={v!r})\n", [TOK]),
    "call-over-lines": (
        'response = self.client.post(\n    "/login/",\n    data=dict(\n'
        "        username=user,\n        password={v!r},\n    ),\n)\n",
        [PW],
    ),
    "jwt": ('jwt.encode(payload, {v!r}, algorithm="HS256")\n', [JWT]),
    "hmac-encoded": ("hmac.new({v!r}.encode(), msg, hashlib.sha256)\n", [HMAC]),
    "auth-pair": ('requests.get(url, auth=("bob", {v!r}))\n', [BASIC]),
    "parenthesised-concat": ("api_token = (\n    {a!r}\n    {b!r}\n)\n", [TOK]),
}


def _shape(name: str) -> tuple[str, list[str]]:
    template, rules = SHAPES[name]
    value = _value()
    return template.format(v=value, a=value[:6], b=value[6:] + "x9Z"), rules


def _in_method(snippet: str, decorator: str = "") -> str:
    body = textwrap.indent(snippet, " " * 8)
    return (
        "import unittest\n\n\nclass AppTests(unittest.TestCase):\n"
        '    """Tests.\n\n    def not_code(self):\n        password = "Zz9$notreal"\n    """\n\n'
        + _methods(120)
        + decorator
        + "    def test_login(self):\n"
        + body
        + "\n"
        + _methods(120, "later")
    )


PLACES: dict[str, Callable[[str], str]] = {
    "top-level": lambda s: _helpers(60) + s + "\n\n" + _helpers(60),
    "method-of-long-class": _in_method,
    "behind-decorators": lambda s: _in_method(
        s, "    @override_settings(\n        DEBUG=True,\n    )\n    @skipIf(False, 'no')\n"
    ),
    "nested-class": lambda s: _in_method(
        "class Inner:\n    def run(self):\n" + textwrap.indent(s, " " * 8)
    ),
}


@pytest.mark.parametrize("place", sorted(PLACES))
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_each_shape_is_found_wherever_the_cuts_fall(
    shape: str, place: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    snippet, rules = _shape(shape)
    source = PLACES[place](snippet)
    assert _rules(_results(snippet)) == rules  # the shape on its own
    found = _results(source)
    assert _rules(found) == rules
    assert found == _whole(source, monkeypatch)


def test_versions_of_a_long_class_each_get_their_own_results(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """What is kept from one version (runs, methods) serves the next only where
    the text is the same: an edited method, a method added above, a hit moved."""
    first, _ = _shape("keyword")
    second, _ = _shape("dict-over-lines")
    versions = [
        _in_method(first),
        _in_method(first).replace("f(3), 3", "f(3), 4"),
        _in_method(first + second),
        _in_method(second).replace(
            "    def test_1(self)", "    def test_new(self):\n        pass\n\n    def test_1(self)"
        ),
        _in_method(first).replace("class AppTests", "class Other"),
        _in_method(first).replace("        self.assertEqual(f(7), 7)\n", "        print 'py2'\n"),
    ]
    expected = [_whole(v, monkeypatch) for v in versions]
    assert [_results(v) for v in versions] == expected
    assert [_results(v) for v in reversed(versions)] == expected[::-1]
    assert _rules(expected[2]) == [TOK, PW]
    assert _rules(expected[-1])[0].startswith("warning: ")  # Python 2 in another method


CUT_IN_STRINGS = {
    "definition-in-module-docstring": (
        '"""Usage:\n\ndef connect():\n    password = "Rr8#notacred1"\n"""\n\n'
        + _helpers(80)
        + "def real():\n    password = {v!r}\n"
    ),
    "definition-at-column-0-in-a-class-docstring": _in_method("password = {v!r}\n").replace(
        "    def not_code(self):\n", "def not_code(self):\n"
    ),
    "definition-in-method-string": _in_method(
        'example = """\n    def fake(self):\n        password = "Rr8#notacred1"\n"""\n'
        "password = {v!r}\n"
    ),
    "balanced-quotes-across-a-cut": _in_method(
        "doc = '''\n    def fake(self):\n        \"\"\"x\"\"\"\n'''\npassword = {v!r}\n"
    ),
    "definition-in-brackets": (
        _helpers(80)
        + "table = dict(\ndef_=1,\nclass_=2,\n)\nSETTINGS = [\n    1,\n]\n"
        + "password = {v!r}\n"
        + _helpers(10)
    ),
    "continued-line-before-a-method": _in_method("x = 1\n").replace(
        "    def later_0(self)", "    y = 2; \\\n    def later_0(self)"
    )
    + "password = {v!r}\n",
    "header-whose-body-opens-the-next-piece": _in_method("x = 1\n")
    + "with connect(password={v!r}):\n    def inner():\n        pass\n",
    "header-whose-body-is-decorated": _in_method("x = 1\n")
    + "with connect(password={v!r}):\n    @decorated\n    def inner():\n        pass\n",
    "class-header-before-a-decorated-method": "class Config(Base, password={v!r}):\n"
    + "    @property\n    def x(self):\n        return 1\n\n"
    + _methods(150),
    "class-attribute-before-the-methods": "class Config(Base):\n    password = {v!r}\n\n"
    + _methods(150),
    "decorator-stack-before-a-hit-in-the-header": _in_method("x = 1\n").replace(
        "    def later_5(self):\n",
        '    @override_settings(CREDS={\n        "password":\n            "Kq7%d3c0rat0r",\n'
        "    })\n    @skipIf(False, 'no')\n    def later_5(self, password={v!r}):\n",
    ),
    "tabs": _in_method("password = {v!r}\n").replace("    def test_login", "\tdef test_login"),
    "crlf": _in_method("password = {v!r}\n").replace("\n", "\r\n"),
}


@pytest.mark.parametrize("case", sorted(CUT_IN_STRINGS))
def test_cuts_inside_strings_brackets_and_odd_layouts_change_nothing(
    case: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = CUT_IN_STRINGS[case].replace("{v!r}", repr(_value()))
    found = _results(source)
    assert found == _whole(source, monkeypatch)
    assert all(not isinstance(r, tuple) or b"notacred" not in r[5] for r in found)


def test_a_string_holding_code_is_not_read_as_code(monkeypatch: pytest.MonkeyPatch) -> None:
    source = CUT_IN_STRINGS["definition-in-module-docstring"].replace("{v!r}", repr(_value()))
    [found] = _results(source)
    assert not isinstance(found, str) and found[0] == PW and found[1] > 300


@pytest.mark.parametrize(
    ("broken", "warned"),
    [
        ("before-the-hit", True),
        ("in-the-hit-method", True),
        ("later-in-the-same-class", True),
        ("in-a-definition-after-the-hit", False),  # never parsed, as before
    ],
)
def test_code_that_does_not_parse_still_says_so(
    broken: str, warned: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    snippet = f"password = {_value()!r}\n"
    source = _in_method(snippet) + "\n\n" + _helpers(200)
    legacy = "        print 'legacy'\n"
    if broken == "before-the-hit":
        source = source.replace("        self.assertEqual(f(3), 3)\n", legacy)
    elif broken == "in-the-hit-method":
        source = source.replace("        " + snippet, "        " + snippet + legacy)
    elif broken == "later-in-the-same-class":
        source = source.replace("    def later_3(self):\n", "    def later_3(self):\n" + legacy)
    else:
        source = source.replace("def helper_170(x):\n", "def helper_170(x):\n" + legacy[4:])
    found = _results(source)
    assert found == _whole(source, monkeypatch)
    assert any(isinstance(r, str) for r in found) == warned
    assert any(isinstance(r, tuple) for r in found) == (not warned)


def _notebook(*cells: str) -> bytes:
    return json.dumps(
        {
            "cells": [
                {
                    "cell_type": "code",
                    "metadata": {},
                    "outputs": [],
                    "execution_count": None,
                    "source": cell.splitlines(keepends=True),
                }
                for cell in cells
            ],
            "metadata": {},
            "nbformat": 4,
            "nbformat_minor": 5,
        },
        indent=1,
    ).encode("utf-8")


def test_notebook_cells_with_long_code_are_read_in_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    first, _ = _shape("call-over-lines")
    second, _ = _shape("bytes")
    data = _notebook("%matplotlib inline\n" + _in_method(first), _helpers(50) + second)
    found = _results(data, "analysis.ipynb")
    assert _rules(found) == [PW, SK]
    _forget()
    with monkeypatch.context() as patch:
        patch.setattr(python_screen, "runs_through", lambda *args: None)
        assert _results(data, "analysis.ipynb") == found


def test_libcst_is_imported_only_for_a_statement_worth_reading() -> None:
    """A worker whose files hold only placeholders never imports libcst."""
    cases = {
        "joined-to-a-name": ('cfg = dict(password="Kq7%abcd" + suffix)\n' * 3, "0 False"),
        "credential": (f"cfg = dict(password={_value()!r} + 'x9')\n", "1 True"),
    }
    for source, expected in cases.values():
        assert found_and_libcst(_helpers(40) + source) == expected


@pytest.mark.parametrize("layout", ["top-level", "in-a-method"])
def test_cuts_that_all_fall_inside_one_string_cost_a_bounded_parse(
    layout: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Twenty thousand definitions inside one string: each cut fails, at most a
    few pieces are joined, then the file is parsed whole, as before."""
    if layout == "top-level":
        source = 'DOC = """\n' + "def f():\n    x = 1\n" * 20000 + '"""\n'
    else:  # definitions at the level where the class is cut
        string = '        DOC = """\n' + "    def f(self):\n        x = 1\n" * 20000 + '"""\n'
        source = _in_method("x = 1\n").replace("        x = 1\n", string)
    source += f"password = {_value()!r}\n"
    parsed: list[int] = []

    def counted(parse: Callable[..., object]) -> Callable[..., object]:
        def run(text: str, *args: object, **options: object) -> object:
            parsed.append(len(text))
            return parse(text, *args, **options)

        return run

    import ast
    import symtable

    monkeypatch.setattr(ast, "parse", counted(ast.parse))
    monkeypatch.setattr(symtable, "symtable", counted(symtable.symtable))
    found = _results(source)
    assert _rules(found) == [PW]
    assert sum(parsed) <= 10 * len(source) and len(parsed) <= 400


def _standard_library_tests(count: int) -> list[str]:
    """The largest test modules of the running interpreter's standard library
    that stack decorators: real code with docstrings full of code, tabs and odd
    layouts."""
    import sysconfig
    from pathlib import Path

    root = Path(sysconfig.get_paths()["stdlib"]) / "test"
    paths = sorted(root.rglob("test_*.py"), key=lambda p: p.stat().st_size, reverse=True)
    texts: list[str] = []
    for path in paths:
        try:
            text = path.read_text("utf-8")
        except (UnicodeError, OSError):
            continue
        if ")\n    @" in text:
            texts.append(text)
        if len(texts) == count:
            break
    return texts


def _decorated_lines(text: str) -> list[int]:
    """Every line of each decorated definition's decorators and header."""
    import ast

    lines: set[int] = set()
    definitions = ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, definitions) and node.decorator_list:
            lines.update(range(node.decorator_list[0].lineno, node.lineno + 1))
    return sorted(lines)


def test_statement_windows_on_the_standard_library_tests_are_those_of_one_parse(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """All windows (not only those worth reading) around the decorators and
    headers of decorated definitions and around random lines of large real test
    modules: the runs give exactly the statements one parse gives."""
    import random
    import warnings
    from dataclasses import replace

    from scanner.detectors.python_windows import parsed_windows

    monkeypatch.setattr(python_screen, "worth_reading", lambda window: True)
    chosen = random.Random(20261206)
    texts = _standard_library_tests(12)
    assert texts
    for text in texts:
        count = text.count("\n") + 1
        decorated = _decorated_lines(text)
        for lines in (
            [*chosen.sample(decorated, min(40, len(decorated)))],
            [chosen.randint(1, count)],
        ):
            lines.sort()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                whole = tuple(replace(w, node=None) for w in parsed_windows(text, lines)[0])
                assert python_screen.windows_worth_reading(text, lines) == whole
