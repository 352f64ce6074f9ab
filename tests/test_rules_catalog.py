"""Every built-in rule tests itself: its examples match it and its negative
examples do not, through the real engine, in every lane available."""

from __future__ import annotations

import pytest

from scanner.engine.matcher import Engine
from scanner.engine.ruleset import builtin_rules_dir, load_paths
from scanner.engine.selfcheck import check_rule, engines
from scanner.model import Rule

RULES = load_paths([builtin_rules_dir()]) if builtin_rules_dir().is_dir() else []


@pytest.fixture(scope="module")
def lanes() -> list[Engine]:
    return engines(RULES)


@pytest.mark.skipif(not RULES, reason="no built-in rules in rules/ yet")
@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_examples_behave(rule: Rule, lanes: list[Engine]) -> None:
    assert [str(f) for f in check_rule(rule, lanes)] == []


@pytest.mark.skipif(not RULES, reason="no built-in rules in rules/ yet")
def test_rules_have_two_examples_each_way() -> None:
    thin = [r.id for r in RULES if len(r.examples) < 2 or len(r.negative_examples) < 2]
    assert thin == []
