"""The Python detector's gate answered by the rule engine's own scan of an item
(`share_first_looks`): the same answer as the gate's own database on every
input, and the same findings and warnings from a worker either way."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from detectors.test_python_cst import FOUND, NOT_FOUND
from detectors.test_python_gate import _stdlib_files, code_lines
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scanner.config import Config
from scanner.detectors.python_cst import PythonDetector
from scanner.detectors.python_gate import Gate, load_gate, side_patterns
from scanner.engine.matcher import Engine
from scanner.engine.ruleset import load_rules
from scanner.model import Item, Origin, Rule
from scanner.pipeline import _Worker
from scanner.schedule import ItemResult

pytest.importorskip("hyperscan")


@pytest.fixture(scope="module")
def gate(tmp_path_factory: pytest.TempPathFactory) -> Gate:
    made = load_gate(tmp_path_factory.mktemp("gate-cache"))
    assert made is not None
    return made


@pytest.fixture(scope="module")
def rules() -> tuple[Rule, ...]:
    return load_rules(Config())


@pytest.fixture(scope="module")
def engine(rules: tuple[Rule, ...]) -> Engine:
    made = Engine(rules, cache_dir=Config().cache_dir, side=side_patterns())
    assert made.has_side
    return made


def same_answer(engine: Engine, gate: Gate, data: bytes) -> None:
    engine.find(data)
    assert engine.side_found(data) is gate.may_hit(data), data[:200]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(lines=st.lists(code_lines(), min_size=1, max_size=4))
def test_generated_lines_get_the_gates_answer(
    engine: Engine, gate: Gate, lines: list[bytes]
) -> None:
    same_answer(engine, gate, b"\n".join(lines))
    for line in lines:
        same_answer(engine, gate, line)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.binary(max_size=200))
def test_random_bytes_get_the_gates_answer(engine: Engine, gate: Gate, data: bytes) -> None:
    same_answer(engine, gate, b'password = "' + data)
    same_answer(engine, gate, data)


def test_examples_and_standard_library_modules_get_the_gates_answer(
    engine: Engine, gate: Gate
) -> None:
    sources = [r[1].encode() for r in FOUND] + [r[1].encode() for r in NOT_FOUND]
    files = sources + [p.read_bytes() for p in _stdlib_files()[:400]]
    for data in files:
        same_answer(engine, gate, data)
    assert sum(map(gate.may_hit, files)) > 20


def _python(worker: _Worker) -> PythonDetector:
    (found,) = [getattr(d, "inner", d) for d in worker.detectors if d.name == "python"]
    assert isinstance(found, PythonDetector)
    return found


def _outcome(worker: _Worker, items: list[Item]) -> list[tuple[object, ...]]:
    result = ItemResult()
    result.merge(worker.process_batch(items))
    found: list[tuple[object, ...]] = [
        (f.rule, f.path, f.line, f.column, int(f.severity)) for f in result.findings
    ]
    found += [(w.path, w.message) for w in result.warnings]
    found += sorted(result.suppressed.items())
    return sorted(found, key=repr)


def test_a_worker_finds_the_same_with_the_shared_gate_as_without_it(
    rules: tuple[Rule, ...],
) -> None:
    sources = [r[1] for r in FOUND] + [r[1] for r in NOT_FOUND]
    files = [(f"case{i}.py", s.encode("utf-8")) for i, s in enumerate(sources)]
    files += [("py2.py", b'password = "Xk9#mQ2vLp"\nprint "old"\n')]
    files += [(str(p), p.read_bytes()) for p in _stdlib_files()[:200]]
    items = [Item(Origin(path), data=data) for path, data in files]
    config = Config()
    shared = _Worker(config, rules, None)
    assert _python(shared)._shared is not None
    alone = _Worker(config, rules, None)
    _python(alone)._shared = None  # the detector's own look (RE2, then its gate)
    backwards = _Worker(replace(config, detectors=("python", "rules")), rules, None)
    expected = _outcome(alone, items)
    assert _outcome(shared, items) == expected
    assert _outcome(backwards, items) == expected  # the engine has no answer yet: own look
    assert any(len(r) == 2 and "cannot parse" in str(r[1]) for r in expected)
    assert any(str(r[0]).startswith("python.") for r in expected)


def test_rules_alone_build_no_side_expressions(tmp_path: Path) -> None:
    from scanner.detectors import DETECTORS
    from scanner.detectors.rules import RuleDetector

    config = Config(cache_dir=tmp_path, detectors=("rules",))
    detector = DETECTORS["rules"](config, load_rules(config))
    assert isinstance(detector, RuleDetector) and not detector.engine.has_side


def test_the_gate_is_shared_when_rules_are_disabled(rules: tuple[Rule, ...]) -> None:
    """Detectors wrapped to drop disabled rules still share the gate."""
    config = replace(Config(), disabled_rules=("python.hardcoded-token",))
    worker = _Worker(config, rules, None)
    assert all(hasattr(d, "inner") for d in worker.detectors)
    assert _python(worker)._shared is not None
