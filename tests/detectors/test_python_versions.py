"""The Python detector on many versions of one file, as a history scan sees them.

What is kept between files (statement windows by the file's parsed prefix, and
libcst's findings by window) must give each version exactly what a fresh read
gives: its own positions, its own verdict on a file that does not parse.
"""

from __future__ import annotations

import pytest

from scanner.config import Config
from scanner.detectors import python_screen
from scanner.detectors.python_cst import PythonDetector, window_facts
from scanner.model import Match, Origin, ScanWarning

HEAD = 'import os\n\nAPI_TOKEN = "tkn_Zq8Lm2xKp9Vw4Rt"\n\n\n'
TAIL = "".join(f"def f{i}(x):\n    return x + {i}\n\n\n" for i in range(300))


def _results(data: bytes) -> list[tuple[str, int, int, int, bytes] | str]:
    detector = PythonDetector(Config(), ())
    origin = Origin("app/settings.py")
    if not detector.wants(origin, data):
        return []
    return [
        (m.rule_id, m.line, m.start, m.end, m.secret)
        if isinstance(m, Match)
        else f"warning: {m.message}"
        for m in detector.detect(origin, data)
        if isinstance(m, Match | ScanWarning)
    ]


def _fresh(data: bytes) -> list[tuple[str, int, int, int, bytes] | str]:
    python_screen._KEPT.clear()
    window_facts.cache_clear()
    return _results(data)


@pytest.fixture(autouse=True)
def _empty_memory() -> None:
    python_screen._KEPT.clear()
    window_facts.cache_clear()


def test_versions_that_share_a_prefix_get_their_own_results() -> None:
    versions = [
        HEAD + TAIL,
        HEAD + TAIL.replace("return x + 7\n", 'return x + 7\n    password = "Wd3@kXn8$Tq5"\n'),
        HEAD + "\n" + TAIL,  # the same hit, one line lower in a file with a new tail
        HEAD.replace("import os\n", "import os\nimport sys\n") + TAIL,
    ]
    expected = [_fresh(v.encode()) for v in versions]
    python_screen._KEPT.clear()
    window_facts.cache_clear()
    assert [_results(v.encode()) for v in versions] == expected
    assert [_results(v.encode()) for v in reversed(versions)] == expected[::-1]
    assert python_screen._KEPT  # the shared prefix was kept, and reused
    assert expected[1] != expected[0]  # the second version's own secret is found


def test_a_version_that_does_not_parse_still_says_so() -> None:
    good = HEAD + TAIL
    bad = 'print "legacy"\n' + HEAD + TAIL  # Python 2 before the hit
    [found] = _results(good.encode())
    assert not isinstance(found, str) and found[0] == "python.hardcoded-token"
    for _ in range(2):
        [warning] = _results(bad.encode())
        assert isinstance(warning, str) and "cannot parse" in warning
    assert _results(good.encode()) == _fresh(good.encode())
