"""The Hyperscan gate before the Python prefilter lets through every file the
prefilter hits (it may let through more, never less), and with it the detector
finds exactly what it finds without it."""

from __future__ import annotations

import json
import os
import sys
import sysconfig
from pathlib import Path

import pytest
import re2
from detectors.test_python_cst import FOUND, NOT_FOUND
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.config import Config
from scanner.detectors import python_gate
from scanner.detectors.python_cst import PythonDetector
from scanner.detectors.python_gate import PROBES, Gate, gate_expression, load_gate
from scanner.detectors.python_prefilter import PREFILTER_PATTERN, hit_lines, prefilter
from scanner.model import Match, Origin, ScanWarning


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Gate:
    made = load_gate(tmp_path_factory.mktemp("gate-cache"))
    assert made is not None
    return made


def agrees(gate: Gate, data: bytes) -> None:
    """Wherever RE2 finds a prefilter match, the gate fires."""
    if prefilter().search(data) is not None:
        assert gate.may_hit(data), data[:200]


def test_the_gate_pattern_is_the_prefilter_loosened() -> None:
    """`gate_expression` knows how the two engines read these constructs; a new one
    in the prefilter (`\\S`, `\\d`, `.`-like classes, lookarounds…) needs a look at it."""
    escapes = set(re2.findall(rb"\\(.)", PREFILTER_PATTERN))
    assert escapes <= {bytes([c]) for c in b"bswtn\\\"'[]().+-"}, escapes
    assert rb"(?=" not in PREFILTER_PATTERN and rb"(?<" not in PREFILTER_PATTERN
    in_classes = re2.findall(rb"\[(?:\\.|[^\]\\])*\]", PREFILTER_PATTERN)
    assert PREFILTER_PATTERN.count(rb"\s") == sum(c.count(rb"\s") for c in in_classes)
    loose = gate_expression(PREFILTER_PATTERN)
    assert b"(?P<" not in loose and rb"\s" not in loose
    assert re2.compile(rb"\{\d*,?\d+\}").search(loose) is None  # no bounded repeat left
    assert rb"[^'\"\t\n\f\r ]{6,}" in loose


@pytest.mark.parametrize("source", [r[1] for r in FOUND] + [r[1] for r in NOT_FOUND])
def test_every_example_and_negative_example_gives_the_same_hit_lines(
    gate: Gate, source: str
) -> None:
    data = source.encode("utf-8")
    agrees(gate, data)
    lines = hit_lines(data) if gate.may_hit(data) else []
    assert lines == hit_lines(data)


def test_probes_are_prefilter_hits_and_pass_the_gate(gate: Gate) -> None:
    for probe in PROBES[:-1]:
        assert prefilter().search(probe) is not None
    assert all(gate.may_hit(probe) for probe in PROBES)
    assert not gate.may_hit(b"x = 1\ndef f():\n    return token_type\n")


_NAMES = [
    "password",
    "PASSWD",
    "db_pass",
    "api_key",
    "SECRET_KEY",
    "auth",
    "authToken",
    "jwt",
    "hmac_key",
    "clientSecret",
    "credentials",
    "pwd",
    "pass",
    "session-key",
    "token",
]
_GLUE = ["=", " = ", ": str = ", "+=", '": ', "': ", '", ', "=\\\n    ", "]=", " := "]
_VALUES = [
    '"Xk9#mQ2vLp"',
    "b'k3y-f0r-hm4c-99'",
    'r"""',
    "'''",
    "(",
    '"bob", "pw2x"',
    '"\\\\-----BEGIN',
    'f"abc\u00e9\u00e9\u00e9\u00e9def"',
    '"\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9\u00e9"',
    '"\x0bxxxxxx"',
    "'\u017f\u212a\u212a\u212a\u212a\u212a'",
]
_CALLS = [
    'jwt.encode(p, "s3cr3t-s1gn")',
    "hmac.new(key=b'0b7e1f44c2d9')",
    's.login("bob", "Xk9#mQ2vLp")',
    'HTTPDigestAuth("u", "Xk9#mQ2vLp")',
    'pg.connect(host="h", password="x")',
    "-----BEGIN EC PRIVATE KEY-----",
]


@st.composite
def code_lines(draw: st.DrawFn) -> bytes:
    """Lines built from the prefilter's parts, with random text around and inside them."""
    noise = st.text(alphabet=st.characters(codec="utf-8"), max_size=12)
    if draw(st.booleans()):
        core = draw(st.sampled_from(_CALLS))
    else:
        name = draw(st.sampled_from(_NAMES))
        if draw(st.booleans()):
            name = name.replace("s", "\u017f").replace("k", "\u212a")
        core = name + draw(st.sampled_from(_GLUE)) + draw(st.sampled_from(_VALUES))
    cut = draw(st.integers(0, len(core)))
    core = core[:cut] + draw(st.sampled_from(["", "", " ", "\n", "\t", "'", "_x"])) + core[cut:]
    return (draw(noise) + core + draw(noise)).encode("utf-8", "surrogatepass")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(code_lines(), min_size=1, max_size=4))
def test_generated_lines_give_the_same_hit_lines(gate: Gate, lines: list[bytes]) -> None:
    data = b"\n".join(lines)
    agrees(gate, data)
    for line in lines:
        agrees(gate, line)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=200))
def test_random_bytes_never_escape_the_gate(gate: Gate, data: bytes) -> None:
    agrees(gate, b'password = "' + data)
    agrees(gate, data)


def test_no_other_character_folds_onto_an_ascii_letter_in_re2(gate: Gate) -> None:
    """The gate's `FOLDS` must name every non-ASCII character that RE2's `(?i)`
    matches with an ASCII letter (or digit, `_`, space: the classes it uses)."""
    every = "\n".join(chr(c) for c in range(0x80, sys.maxunicode + 1) if not 0xD800 <= c < 0xE000)
    found = {m.group() for m in re2.finditer(rb"(?i)[a-z0-9_ ]|\w", every.encode("utf-8"))}
    assert found == {"\u017f".encode(), "\u212a".encode()}
    for folded in found:
        assert gate.may_hit(b"x = " + folded)  # the second expression of the database


def _stdlib_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    return sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts and p.is_file())


def test_every_standard_library_module_the_prefilter_hits_passes_the_gate(gate: Gate) -> None:
    hits = 0
    for path in _stdlib_files():
        data = path.read_bytes()
        agrees(gate, data)
        hits += prefilter().search(data) is not None
    assert hits > 20  # the check above saw real hits


def _results(detector: PythonDetector, files: list[tuple[str, bytes]]) -> list[tuple[object, ...]]:
    found: list[tuple[object, ...]] = []
    for path, data in files:
        if detector.wants(Origin(path), data):
            for result in detector.detect(Origin(path), data):
                if isinstance(result, Match):
                    found.append((path, result.rule_id, result.line, result.start, result.end))
                elif isinstance(result, ScanWarning):
                    found.append((path, result.message))
    return found


def test_the_detector_finds_the_same_with_and_without_the_gate(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = [r[1] for r in FOUND] + [r[1] for r in NOT_FOUND]
    files = [(f"case{i}.py", source.encode("utf-8")) for i, source in enumerate(sources)]
    files += [("py2.py", b'password = "Xk9#mQ2vLp"\nprint "old"\n')]
    files += [(str(p), p.read_bytes()) for p in _stdlib_files()[:300]]
    plain = PythonDetector(Config(cache_dir=None), ())
    monkeypatch.setattr("scanner.detectors.python_cst.GATE_FROM", 0)
    gated = PythonDetector(Config(cache_dir=tmp_path), ())
    assert gated.wants(Origin("first.py"), b"x = 1\n") is False
    assert gated._gate is not None
    expected = _results(plain, files)
    assert plain._gate is None
    assert _results(gated, files) == expected
    assert any(len(r) == 2 for r in expected)  # a warning for the Python 2 file


def test_the_gate_is_read_back_from_the_cache_and_a_damaged_copy_is_rebuilt(
    tmp_path: Path,
) -> None:
    tmp_path.chmod(0o700)
    assert load_gate(tmp_path) is not None
    (cached,) = tmp_path.glob("python-gate-*.db")
    assert oct(cached.stat().st_mode & 0o777) == "0o600"
    assert load_gate(tmp_path) is not None
    raw = bytearray(cached.read_bytes())
    raw[-100] ^= 0xFF
    cached.write_bytes(bytes(raw))
    rebuilt = load_gate(tmp_path)
    assert rebuilt is not None and rebuilt.may_hit(PROBES[0])
    assert cached.read_bytes() != bytes(raw)  # written again
    key = json.loads(cached.read_bytes().split(b"\n", 1)[0])["inputs"]
    assert python_gate._read(cached, key) is not None
    os.chmod(tmp_path, 0o777)  # a folder others may write is never read from
    assert python_gate._read(cached, key) is None
    os.chmod(tmp_path, 0o700)
