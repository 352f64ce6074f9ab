"""What the Python detector reports for a source, in the form its tests compare:
shared by the tests of its readings (runs of statements, the lazy reading, the
`ast` fast path), so that each compares the same facts the same way."""

from __future__ import annotations

import secrets
import subprocess
import sys
import textwrap

import pytest

from scanner.config import Config
from scanner.detectors import python_chunks, python_screen
from scanner.detectors.python_cst import PythonDetector, window_facts
from scanner.model import Match, Origin

Result = tuple[str, int, int, int, int, bytes] | str
"""(rule, line, column, start, end, secret) of a match, or "warning: …"."""


def value() -> str:
    """A password-like value made now: letters, digits and a sign, never a placeholder."""
    return "Kq7%" + secrets.token_hex(6)


def forget() -> None:
    """Empty every cache the detector keeps between files."""
    python_screen._KEPT.clear()
    python_chunks.forget()
    window_facts.cache_clear()


def results(source: str | bytes, path: str = "tests/test_app.py") -> list[Result]:
    data = source.encode("utf-8") if isinstance(source, str) else source
    detector = PythonDetector(Config(), ())
    origin = Origin(path)
    if not detector.wants(origin, data):
        return []
    return [
        (m.rule_id, m.line, m.column, m.start, m.end, m.secret)
        if isinstance(m, Match)
        else f"warning: {m.message}"
        for m in detector.detect(origin, data)
    ]


def whole(source: str | bytes, monkeypatch: pytest.MonkeyPatch) -> list[Result]:
    """The results of one parse of the whole file (or its prefix), nothing kept."""
    forget()
    with monkeypatch.context() as patch:
        patch.setattr(python_screen, "runs_through", lambda *args: None)
        found = results(source)
    forget()
    return found


_COUNT_AND_IMPORT = textwrap.dedent(
    """
    import sys
    from scanner.config import Config
    from scanner.detectors.python_cst import PythonDetector
    from scanner.model import Origin
    detector = PythonDetector(Config(), ())
    data = sys.stdin.buffer.read()
    assert detector.wants(Origin("t.py"), data)
    found = detector.detect(Origin("t.py"), data)
    print(len(found), "libcst" in sys.modules)
    """
)


def found_and_libcst(source: str) -> str:
    """ "N True|False": what a fresh process finds in `source`, and whether it imported libcst."""
    done = subprocess.run(
        [sys.executable, "-c", _COUNT_AND_IMPORT],
        input=source.encode(),
        capture_output=True,
        check=True,
    )
    return done.stdout.decode().strip()
