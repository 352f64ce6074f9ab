"""Rules test themselves: every example must match its rule, every negative
example must not, through the real engine (in every lane available). A rule
with `validate:` matches only where its validator does not reject the value, so
its examples must carry a valid structure (a correct checksum)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from scanner.engine.matcher import Engine, default_cache_dir
from scanner.model import Rule, RuleKind


@dataclass(frozen=True)
class Failure:
    file: str
    rule_id: str
    problem: str

    def __str__(self) -> str:
        return f"{self.file}: {self.rule_id}: {self.problem}"


def engines(rules: Sequence[Rule]) -> list[Engine]:
    """The Hyperscan engine (where installed) and the RE2-only engine."""
    cache = default_cache_dir()
    built = [Engine(rules, cache_dir=cache), Engine(rules, use_hyperscan=False)]
    unique = {engine.lane: engine for engine in built}
    return list(unique.values())


def check_rules(rules: Sequence[Rule], lanes: Sequence[Engine]) -> list[Failure]:
    failures: list[Failure] = []
    for rule in rules:
        failures.extend(check_rule(rule, lanes))
    return failures


def check_rule(rule: Rule, lanes: Sequence[Engine]) -> list[Failure]:
    failures = []
    if not rule.examples:
        failures.append(Failure(rule.source_file, rule.id, "has no examples"))
    if not rule.negative_examples:
        failures.append(Failure(rule.source_file, rule.id, "has no negative examples"))
    cases = [(n, e, True) for n, e in enumerate(rule.examples, 1)]
    cases += [(n, e, False) for n, e in enumerate(rule.negative_examples, 1)]
    for number, example, positive in cases:
        wrong = [e.lane for e in lanes if matches(e, rule, example) is not positive]
        if not wrong:
            continue
        what = (
            f"example {number} did not match" if positive else f"negative example {number} matched"
        )
        if len(wrong) < len(lanes):
            what += f" ({', '.join(wrong)} lane)"
        if positive and rule.validate and _shape_only(lanes[0], rule, example):
            what += f" (its value fails the {rule.validate} check)"
        failures.append(Failure(rule.source_file, rule.id, what))
    return failures


def matches(engine: Engine, rule: Rule, example: str) -> bool:
    """Whether `rule` fires on the example: a text, or for key-file rules a path."""
    if rule.kind is RuleKind.KEY_FILE:
        hits = engine.find_key_files([example], None)
        return any(hit.rule.id == rule.id for hit in hits)
    data = example.encode("utf-8")
    hits = engine.find(data, None)
    return any(hit.rule.id == rule.id and valid(rule, data[hit.start : hit.end]) for hit in hits)


def _shape_only(engine: Engine, rule: Rule, example: str) -> bool:
    """The pattern matches but the validator rejects every value it matched."""
    return any(h.rule.id == rule.id for h in engine.find(example.encode("utf-8"), None))


def valid(rule: Rule, secret: bytes) -> bool:
    """Whether the rule's validator (if any) lets the value through."""
    if rule.validate is None:
        return True
    from scanner.engine.validators import check

    return check(rule.validate, secret).valid is not False
