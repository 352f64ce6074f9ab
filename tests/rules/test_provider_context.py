"""Provider rules come in two shapes, and each must behave as its shape promises.

A value that names its provider by itself (a keyword occurs inside the secret: a
prefix or a webhook host) is found anywhere, under any variable. A value that does
not (32 hex characters, a UUID) is found only next to the provider's name: the same
value under an unrelated variable is no finding, since nothing says whose key it is
or that it is a key at all.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import re2

from scanner.engine.matcher import Engine
from scanner.engine.ruleset import builtin_rules_dir, load_paths
from scanner.engine.selfcheck import engines, matches
from scanner.model import Rule

FAMILIES = {"chat", "payments", "observability", "ai", "messaging", "marketing"}
FAMILIES |= {"productivity", "security"}
RULES = [
    r
    for r in (load_paths([builtin_rules_dir()]) if builtin_rules_dir().is_dir() else [])
    if Path(r.source_file).stem in FAMILIES
]
pytestmark = pytest.mark.skipif(not RULES, reason="no provider rule families")


@pytest.fixture(scope="module")
def lanes() -> list[Engine]:
    return engines(RULES)


def secret_of(rule: Rule) -> str:
    assert rule.pattern is not None
    found = re2.compile(rule.pattern).search(rule.examples[0])
    assert found is not None, rule.id
    return str(found.group("secret"))


def names_itself(rule: Rule, secret: str) -> bool:
    return any(k.lower() in secret.lower() for k in rule.keywords)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_each_rule_keeps_the_promise_of_its_shape(rule: Rule, lanes: list[Engine]) -> None:
    secret = secret_of(rule)
    elsewhere = f"UNRELATED_SETTING={secret}\n"
    found = [matches(engine, rule, elsewhere) for engine in lanes]
    assert found == [names_itself(rule, secret)] * len(lanes)


def test_both_shapes_are_present() -> None:
    shapes = {names_itself(rule, secret_of(rule)) for rule in RULES}
    assert shapes == {True, False}
