"""The lazy reading (`python_chunks.Reading`): runs without a hit are checked
only when a deferred run could change what a run with a hit reads, or when
libcst cannot read a window.

Every case is compared with the strict reading (the runs turned off: one parse
of the whole file or its prefix), with nothing kept from earlier files. A file
that is Python 3 gets exactly what the strict reading gives. One that is not,
where the strict reading can only warn, gets the matches of the statements read
around its hits when those parse (what the strict reading gives once the lines
that are not Python 3 are blanked), and a warning when they do not.
"""

from __future__ import annotations

import os
import random
import sys
import tokenize
import warnings
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from python_reading import Result
from python_reading import forget as _forget
from python_reading import results as _results
from python_reading import value as _value
from python_reading import whole as _strict

from scanner.detectors import python_chunks, python_screen
from scanner.detectors.python_chunks import Reading, closes, plain_run
from scanner.detectors.python_prefilter import hit_lines

PW = "python.hardcoded-password"
LEGACY = '    print "legacy"\n'
NO_MATCH = 'cfg = dict(password="Kq7%abcd" + suffix)\n'
"""A line the prefilter hits and in which libcst finds nothing."""


@pytest.fixture(autouse=True)
def _nothing_kept() -> Iterator[None]:
    _forget()
    yield
    _forget()


def _lazy(source: str) -> Reading:
    """The lazy reading of `source`, as `detect_source` starts it."""
    reading = Reading()
    python_screen.windows_worth_reading(source, hit_lines(source.encode()), reading)
    return reading


def _helpers(count: int, name: str = "helper") -> str:
    return "".join(f"def {name}_{i}(x):\n    return x * {i}\n\n\n" for i in range(count))


def _long_class(extra: str = "", name: str = "Old") -> str:
    methods = "".join(
        f"    def test_{i}(self):\n        self.assertEqual(f({i}), {i})\n\n" for i in range(300)
    )
    return f"class {name}Tests(TestCase):\n" + methods.replace(
        "    def test_7(self):\n", "    def test_7(self):\n" + extra
    )


def _symtable_calls(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    import symtable

    calls: list[int] = []
    real = symtable.symtable

    def counted(text: str, *args: str) -> object:
        calls.append(len(text))
        return real(text, *args)

    monkeypatch.setattr(symtable, "symtable", counted)
    return calls


def _warned(found: list[Result]) -> bool:
    return len(found) == 1 and isinstance(found[0], str) and "cannot parse" in found[0]


def _blanked(source: str, lines: str, keep: str = "") -> str:
    """`source` with each of the physical `lines` (a block of whole lines it
    holds) turned into `keep` at the line's indentation, padded with spaces to
    the same length: every offset stays where it was."""
    blank = "".join(
        (line[: len(line) - len(line.lstrip())] + keep).ljust(len(line) - 1) + "\n"
        for line in lines.splitlines(keepends=True)
    )
    return source.replace(lines, blank)


def test_python2_elsewhere_does_not_hide_a_match(monkeypatch: pytest.MonkeyPatch) -> None:
    """A function that is not Python 3 in a file whose hit sits in another one:
    the statements around the hit are read, the rest is never checked, and the
    match is the one the strict reading finds once that function is Python 3."""
    source = (
        _helpers(40).replace("    return x * 7\n", LEGACY)
        + f"def connect():\n    password = {_value()!r}\n\n\n"
        + _helpers(40, "later")
    )
    reading = _lazy(source)
    assert any('print "legacy"' in run.text for run in reading.deferred)
    assert not reading.could_hide()
    calls = _symtable_calls(monkeypatch)
    found = _results(source)
    assert calls == []  # not a deferred run was checked
    assert [r[0] for r in found] == [PW]
    assert _warned(_strict(source, monkeypatch))
    assert found == _strict(_blanked(source, LEGACY, "pass"), monkeypatch)


def test_newer_f_string_quotes_before_a_hit_are_not_read_as_closed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """From 3.12 an f-string's field may hold its own quotes: here the function
    after it is text inside a string, which the interpreter reading it (3.11)
    would call code. The run is not called closed, so the deferred runs are
    checked, fail, and the file gets the strict reading's warning, not a match."""
    source = (
        _helpers(5)
        + 'def a(x):\n    return f"{x["""]}"\n\n\n'
        + f"def b():\n    password = {_value()!r}\n\n\n"
        + 'def c():\n    return """]}"\n'
    )
    reading = _lazy(source)
    assert reading.could_hide()
    found = _results(source)
    assert _warned(found) or found == []
    assert not any(isinstance(r, tuple) for r in found)


def test_python2_whose_hits_find_nothing_stays_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    source = _helpers(40).replace("    return x * 7\n", LEGACY) + NO_MATCH + _helpers(40, "later")
    calls = _symtable_calls(monkeypatch)
    assert _results(source) == []
    assert calls == []  # not a run was checked
    assert _warned(_strict(source, monkeypatch))  # the one documented difference


def test_a_file_without_a_match_checks_nothing_and_keeps_no_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    source = _helpers(30) + _long_class() + "\n\n" + NO_MATCH + _helpers(30, "later")
    calls = _symtable_calls(monkeypatch)
    assert _results(source) == [] == _strict(source, monkeypatch)
    assert calls == []
    assert all(digest not in python_chunks._PARSES for digest in _digests(_lazy(source)))


def _digests(reading: Reading) -> list[bytes]:
    return [run.digest for run in reading.deferred]


def test_a_hit_read_as_text_alone_is_found_as_code_in_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A deferred run cut inside a string: the next run parses alone with the
    hit inside a string of its own, while in the file the hit is code. The
    deferred run may end inside a string, so it is checked, fails, and the
    file is read the strict way."""
    source = (
        _helpers(20)
        + "DOC = '''\n"
        + "def fake():\n    pass\n'''\n"
        + f"password = {_value()!r}\n"
        + "z = '''\n"
        + "def other():\n    pass\n'''\n\n\n"
        + _helpers(80, "later")
    )
    reading = _lazy(source)
    assert any(not closes(run) for run in reading.deferred)
    assert reading.could_hide()
    found = _results(source)
    assert [r[0] for r in found] == [PW]
    assert found == _strict(source, monkeypatch)


def test_code_read_alone_that_is_text_in_the_file_is_not_found(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reverse: alone, the run after the cut reads the hit as code (a
    match), in the file it is text. A match settles the deferred runs."""
    source = (
        _helpers(20)
        + "DOC = '''\n"
        + f"def fake():\n    password = {_value()!r}\n'''\n"
        + "z = '''\n"
        + "def other():\n    pass\n'''\n\n\n"
        + _helpers(80, "later")
    )
    assert _results(source) == [] == _strict(source, monkeypatch)


@pytest.mark.parametrize("value", ["match", "no-match"])
def test_a_run_cut_inside_a_bracket(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A definition at column 0 inside an open bracket is a syntax error of the
    file: the strict reading warns. The lazy one reads the definition around the
    hit, as the strict reading does once the open bracket is blanked."""
    body = f"    password = {_value()!r}\n" if value == "match" else "    " + NO_MATCH
    source = (
        _helpers(20)
        + "SETTINGS = dict(\n    debug=True,\n"
        + f"def connect():\n{body}\n\n"
        + _helpers(80, "later")
    )
    assert _warned(_strict(source, monkeypatch))
    repaired = _strict(_blanked(source, "SETTINGS = dict(\n    debug=True,\n"), monkeypatch)
    assert _results(source) == repaired
    assert [r[0] for r in repaired] == ([PW] if value == "match" else [])


def test_decorators_cut_off_before_a_hit_in_a_header_are_checked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A comment between a decorator and its definition cuts them apart: the
    definition read alone has no decorator, in the file it has. Where a
    statement around a hit starts on the run's first line, the run before it
    must have been checked."""
    source = (
        _helpers(20)
        + "@override_settings(\n    DEBUG=True)\n# the header below holds the hit\n"
        + 'def connect(password="Kq7%abcd" + suffix):\n    pass\n\n\n'
        + _helpers(80, "later")
    )
    reading = _lazy(source)
    assert any(run.text.startswith("@override_settings") for run in reading.deferred)
    assert reading.could_hide()
    assert _results(source) == []
    assert python_chunks._PARSES  # settled: the deferred runs now have a verdict
    assert _strict(source, monkeypatch) == []
    in_the_body = source.replace(
        'def connect(password="Kq7%abcd" + suffix):\n    pass\n',
        "def connect():\n    " + NO_MATCH,
    )
    assert not _lazy(in_the_body).could_hide()  # the body's statement has no decorator


def test_versions_where_a_deferred_run_is_needed_later(monkeypatch: pytest.MonkeyPatch) -> None:
    """A history: a class deferred in one version (its hit finds nothing) holds
    the hit of the next, turns Python 2, and so on. Each version that is Python 3
    gets what a fresh strict read gives; one that is not gets what a fresh strict
    read gives once its broken line is blanked, and nothing where nothing is
    found; in both orders, and with nothing kept."""
    real = f"def connect():\n    password = {_value()!r}\n\n\n"
    nothing = "def connect():\n    " + NO_MATCH + "\n\n"
    legacy = "    " + LEGACY
    quiet = "        " + NO_MATCH
    in_class = f"        password = {_value()!r}\n"
    broken = "        self.assertEqual(f(3), 4))\n"
    versions = [
        _helpers(10) + _long_class() + "\n\n" + nothing + _helpers(30, "later"),
        _helpers(10) + _long_class() + "\n\n" + real + _helpers(30, "later"),
        _helpers(10) + _long_class(legacy) + "\n\n" + real + _helpers(30, "later"),
        _helpers(10) + _long_class(legacy) + "\n\n" + nothing + _helpers(30, "later"),
        _helpers(10) + _long_class(quiet) + "\n\n" + _helpers(30, "later"),
        _helpers(10) + _long_class(quiet + in_class) + _helpers(30, "later"),
        _helpers(10) + _long_class(quiet).replace("f(3), 3)", "f(3), 4))") + "\n\n" + real,
    ]
    strict = [_strict(v, monkeypatch) for v in versions]
    assert strict[0] == strict[4] == [] and _warned(strict[3])
    assert _warned(strict[2]) and _warned(strict[6])
    assert [r[0] for r in strict[1]] == [PW] and [r[0] for r in strict[5]] == [PW]
    expected = [
        *strict[:2],
        _strict(_blanked(versions[2], legacy, "pass"), monkeypatch),
        [],  # Python 2, nothing found: silent
        *strict[4:6],
        _strict(_blanked(versions[6], broken, "pass"), monkeypatch),
    ]
    assert [r[0] for r in expected[2]] == [PW] == [r[0] for r in expected[6]]
    assert [_results(v) for v in versions] == expected
    assert [_results(v) for v in reversed(versions)] == expected[::-1]
    _forget()
    assert [_results(v) for v in versions] == expected


def test_a_long_run_read_around_deferred_pieces_is_never_kept_unchecked() -> None:
    """The windows of a long run read piece by piece around deferred pieces are
    kept (`_READ`) only once every piece is checked, which a match no longer
    asks for: the next version reads the run again rather than trust them."""
    quiet = "        " + NO_MATCH
    nothing = _helpers(5) + _long_class(quiet) + "\n\n" + _helpers(30, "later")
    assert _results(nothing) == []
    assert not python_chunks._READ  # its pieces were not checked
    real = nothing + f"def connect():\n    password = {_value()!r}\n"
    assert [r[0] for r in _results(real)] == [PW]
    assert not python_chunks._READ
    assert all(python_chunks._PARSES.values())


# --- `closes`: never says a run ends outside strings when it does not ----------

FRAGMENTS = ["'", '"', "'''", '"""', "\\", "\\\n", "\n", "#", "a", " ", "r", "f", "b", "x = "]


def _open_at_end(text: str) -> bool:
    """Whether Python's tokenizer, reading `text`, ends inside a string or a
    continued line (or cannot tell where a string ends)."""
    try:
        for token in tokenize.generate_tokens(StringIO(text).readline):
            if token.type == tokenize.ERRORTOKEN and token.string[:1] in "'\"\\":
                return True
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return True
    return False


def test_closes_is_never_wrong_about_an_open_string() -> None:
    chosen = random.Random(20261207)
    said_closed = 0
    for _ in range(30000):
        text = "".join(chosen.choice(FRAGMENTS) for _ in range(chosen.randint(1, 14))) + "\n"
        if closes(plain_run(text, 1)):
            said_closed += 1
            assert not _open_at_end(text), repr(text)
    assert said_closed > 3000  # it does say so where it is sure


@pytest.mark.parametrize(
    ("text", "closed"),
    [
        ("x = '''\n", False),
        ("x = '''a'''\n", True),
        ("x = 'a\\\n", False),
        ("x = 1 + \\\n", False),
        ("x = 1 + \\\n    2\n", True),
        ("# '''\n", True),
        ("x = '#'''\n", True),
        ("x = '''abc'\n", False),
        ("x = ''''\n", False),
        ("s = r'\\''\n", True),
        ('x = """a\\"""\n', False),
        ('x = """\n    def f():\n"""\n', True),
    ],
)
def test_closes_on_known_texts(text: str, closed: bool) -> None:
    assert closes(plain_run(text, 1)) is closed


def test_a_sentinel_after_a_continued_line_is_not_read_as_closing_it() -> None:
    run = python_chunks._wrapped_run("    x = 1 + \\\n", 10, "    if 1: pass\n")
    assert not closes(run)


@pytest.mark.parametrize(
    ("text", "closed"),
    [
        ('x = f"{a}"\n', True),
        ("x = f'{a!r:>{w}}'\n", True),
        ('x = f"{{literal}}"\n', True),
        ('x = f"environ({{{items}}})"\n', True),
        ("x = f\"{a['k']}\"\n", True),
        ("x = f\"{f'{y}'}\"\n", False),  # a nested f-string: its fields would need reading too
        ('x = f"{x:#x}"\n', True),  # `#` in a format spec is text
        ("x = f\"{x:{'>'}10}\"\n", True),
        ('x = f"""{ {f\'{\'}\'}\'} and """\n', False),  # 3.12: the nested f-string holds '}'
        ('x = f"""{x:\'{\'}\' and """\n', False),  # 3.12: a quote in a format spec is text
        ("x = f'{ {1: 2}[1] }'\n", False),  # a brace in a field: unsure, never wrong
        ("T = TypeVar('T')\n", True),
        ("# f'{\n", True),
        ("x = f\"{'''\"\n", False),  # 3.12 opens a triple-quoted string in the field
        ('x = f"{x["""]}"\n', False),
        ("x = f\"{a['}']\"\n", False),
        ('x = f"}"\n', False),
        ("x = f\"{'\\n'.join(a)}\"\n", False),
        ("x = f'{a # c\n}'\n", False),
        ("x = F'''{{{ [[}'''\n", False),  # a bracket open when the field closes
        ("x = F'''[{\"\"\"\"}'''\n", False),
    ],
)
def test_closes_on_f_strings(text: str, closed: bool) -> None:
    """A run holding an f-string is called closed only where the f-string ends
    where a plain string would in every Python 3 (before and after PEP 701)."""
    assert closes(plain_run(text, 1)) is closed


_SENTINEL_ORACLE = """
import io, json, sys, tokenize
def code_after(text):
    src = text + "ZZ_SENTINEL\\n"
    try:
        for token in tokenize.generate_tokens(io.StringIO(src).readline):
            if token.type == tokenize.NAME and token.string == "ZZ_SENTINEL":
                return token.start == (src.count("\\n"), 0)
    except (tokenize.TokenError, SyntaxError):
        return False
    return False
json.dump([code_after(text) for text in json.load(sys.stdin)], sys.stdout)
"""
"""Whether, for each text, a name on the line after it is read as code: the text
ends outside any string, as the interpreter running this tokenizes it."""


def _other_pythons() -> list[str]:
    """The Python 3 interpreters installed beside this one (pyenv's versions
    folder, or the same prefix), newer grammars included where there are some."""
    import glob
    import subprocess

    found = {sys.executable}
    for pattern in (
        f"{os.path.dirname(sys.base_prefix)}/3.*/bin/python3",
        "/usr/bin/python3.1[0-9]",
        "/usr/local/bin/python3.1[0-9]",
    ):
        found.update(glob.glob(pattern))
    working = []
    for python in sorted(found):
        done = subprocess.run([python, "-c", "pass"], capture_output=True, check=False)
        if done.returncode == 0:
            working.append(python)
    return working


def test_closes_agrees_with_every_installed_python_on_f_strings(tmp_path: Path) -> None:
    """Random statements binding string and f-string literals full of braces,
    brackets, quotes, comments and backslashes: every run `closes` calls closed
    ends outside any string for each installed interpreter's own tokenizer (3.11
    reads f-strings as plain strings, 3.12 and later as nested code)."""
    import json
    import subprocess

    chosen = random.Random(20261208)
    body = ["{", "}", "{{", "}}", "a", "'", '"', "#", "\\", " ", "[", "]", "(", ")", ":"]
    body += ["'''", '"""', "f'", 'f"', "\n"]

    fields = [*"{}{}{}':x !r()#\\=", "f'", "'''", "rf'", "{{", "}}"]
    """Mostly braces and quotes, for f-strings: nested f-strings, format specs."""

    def literal() -> str:
        if chosen.random() < 0.5:
            quote = chosen.choice(['"', '"""'])
            text = "".join(chosen.choice(fields) for _ in range(chosen.randint(1, 10)))
            return "f" + quote + text + quote
        prefix = chosen.choice(["", "f", "rf", "F", "t", "b"])
        quote = chosen.choice(["'", '"', "'''", '"""'])
        return (
            prefix
            + quote
            + "".join(chosen.choice(body) for _ in range(chosen.randint(0, 8)))
            + quote
        )

    texts = [
        "".join(f"x = {literal()}\n" for _ in range(chosen.randint(1, 3))) for _ in range(30000)
    ]
    closed = [text for text in texts if closes(plain_run(text, 1))]
    assert len(closed) > 2000  # it does say so where it is sure
    oracle = tmp_path / "oracle.py"
    oracle.write_text(_SENTINEL_ORACLE)
    pythons = _other_pythons()
    assert sys.executable in pythons
    for python in pythons:
        done = subprocess.run(
            [python, str(oracle)],
            input=json.dumps(closed),
            capture_output=True,
            text=True,
            check=True,
        )
        read = json.loads(done.stdout)
        wrong = [text for text, fine in zip(closed, read, strict=True) if not fine]
        assert wrong == [], (python, wrong[:5])


@pytest.mark.parametrize(
    "text",
    [
        "'''" + "'" * 400_000,
        "'" + "\\'" * 400_000,
        "x = '''a\n" * 100_000,
        "\\\n" * 400_000 + "'",
        "''' x ''" * 100_000,
    ],
    ids=["quotes", "escaped-quotes", "open-triples", "continued-lines", "pairs"],
)
def test_closes_takes_linear_time_on_hostile_runs(text: str) -> None:
    import time

    started = time.process_time()
    closes(plain_run(text, 1))
    assert time.process_time() - started < 5  # a few milliseconds; backtracking would take hours


BREAKS = [
    "'''\n",
    '"""\n',
    "    '''\n",
    'DOC = """\n',
    'print "legacy"\n',
    "@decorated(\n    flag=1)\n# cut off\n",
    "SETTINGS = (\n",
    "text = 'open\\\n",
    "\\\n",
    "exec 'import os'\n",
    "print >>sys.stderr, 'legacy'\n",
    "    raise ValueError, 'legacy'\n",
]


def test_real_modules_broken_at_random_read_as_one_parse_does(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Large standard-library test modules with open strings, brackets, Python 2
    lines, continued lines and cut-off decorators put at random line starts,
    and credentials and lines that find nothing put at random places. Where the
    file parses, the lazy reading gives what one parse of the whole file gives.
    Where it does not, it gives that parse's warning, or what one parse gives
    once the inserted breaks are blanked."""
    import sysconfig
    from pathlib import Path

    root = Path(sysconfig.get_paths()["stdlib"]) / "test"
    paths = sorted(root.glob("test_*.py"), key=lambda p: p.stat().st_size, reverse=True)[:20]
    texts = [path.read_text("utf-8", "replace").splitlines(keepends=True) for path in paths]
    chosen = random.Random(20261207)
    answers: dict[str, int] = {"same": 0, "warned": 0, "read around": 0, "matched": 0}
    for _ in range(120):
        lines = [(line, False) for line in chosen.choice(texts)]
        for _ in range(chosen.randint(0, 2)):
            lines.insert(chosen.randrange(len(lines)), (chosen.choice(BREAKS), True))
        for _ in range(chosen.randint(1, 3)):
            hit = chosen.choice([f"password = {_value()!r}\n", NO_MATCH])
            at = chosen.randrange(len(lines))
            line = lines[at][0]
            lines.insert(at, (line[: len(line) - len(line.lstrip())] + hit, False))
        source = "".join(line for line, _ in lines)
        _forget()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escapes in the modules' strings
            lazy = _results(source)
            strict = _strict(source, monkeypatch)
            repaired = "".join(_blanked(line, line) if broke else line for line, broke in lines)
            unbroken = _strict(repaired, monkeypatch)
        answers["matched"] += any(isinstance(r, tuple) for r in strict)
        if lazy == strict:
            answers["warned" if _warned(strict) else "same"] += 1
            continue
        assert _warned(strict)
        assert lazy == unbroken
        answers["read around"] += lazy != []
    assert answers["matched"] >= 10 and answers["warned"] >= 5 and answers["read around"] >= 5, (
        answers  # each kind of answer was put to the test
    )
