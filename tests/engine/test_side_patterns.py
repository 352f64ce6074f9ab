"""Side expressions in the rules' database: another detector's first look answered
by the one scan the rules make of an item, without changing what the rules find,
and never believed where the database cannot show it holds them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scanner.engine import hyperscan_db
from scanner.engine.compiled import Mode, SidePatterns, compile_rules
from scanner.engine.matcher import Engine, RuleHit
from scanner.engine.ruleset import load_paths
from scanner.model import Rule, RuleKind

hyperscan = pytest.importorskip("hyperscan")

GHP = b"ghp_R2d2C3poQ7xWv9LmKp4Tz8Yb1Nf6Hs0Ja5Ge"
SIDE = SidePatterns((rb"needle[0-9]+", rb"(?i)haystack\s*="), (b"a needle7 here", b"HAYSTACK ="))
TEXTS = [
    b"",
    b"x = " + GHP + b"\n",
    b"needle9 " + GHP,
    b"haystack = 1\nneedle",
    b"needle\nhaystack\n=",
    b"no side here, AKIAQ3EGX7VZK5Y2MB4N\n",
    b"needle0" * 50 + GHP * 3,
]


def spans(hits: list[RuleHit]) -> list[tuple[str, int, int]]:
    return sorted((h.rule.id, h.start, h.end) for h in hits)


def expected_side(data: bytes) -> bool:
    import re

    return bool(re.search(rb"needle[0-9]", data) or re.search(rb"(?i)haystack\s*=", data))


@pytest.fixture
def rules(sample_rules_file: Path) -> list[Rule]:
    return load_paths([sample_rules_file])


def test_the_scan_answers_the_side_expressions_and_finds_what_it_found(
    rules: list[Rule],
) -> None:
    plain = Engine(rules, cache_dir=None)
    engine = Engine(rules, cache_dir=None, side=SIDE)
    assert engine.has_side and not plain.has_side
    for text in TEXTS:
        data = bytes(text)
        assert engine.side_found(data) is None  # not scanned yet
        assert spans(engine.find(data)) == spans(plain.find(data))
        assert engine.side_found(data) is expected_side(data), data
        if data:  # (the empty bytes object is one object)
            assert engine.side_found(bytes(bytearray(data))) is None  # equal, another object
    assert plain.side_found(TEXTS[2]) is None


def test_an_item_that_reports_too_much_has_no_side_answer(rules: list[Rule]) -> None:
    engine = Engine(rules, cache_dir=None, side=SIDE, report_budget=2)
    slow = Engine(rules, use_hyperscan=False)
    data = b"needle1\n" + b"\n".join([GHP] * 10)
    assert spans(engine.find(data)) == spans(slow.find(data)) != []
    assert engine.side_found(data) is None  # the scan stopped early: no answer
    small = b"needle1"
    engine.find(small)
    assert engine.side_found(small) is True and engine.side_found(data) is None


def test_side_expressions_are_dropped_when_they_do_not_compile_or_show_their_probes(
    rules: list[Rule],
) -> None:
    plain = Engine(rules, cache_dir=None)
    broken = Engine(rules, cache_dir=None, side=SidePatterns((rb"(?<=a+)b",), (b"ab",)))
    unshown = Engine(rules, cache_dir=None, side=SidePatterns((rb"needle",), (b"hay",)))
    for engine in (broken, unshown):
        assert not engine.has_side
        for text in TEXTS:
            assert spans(engine.find(text)) == spans(plain.find(text))
            assert engine.side_found(text) is None
    assert not Engine(rules, use_hyperscan=False, side=SIDE).has_side


def test_a_cached_database_keeps_its_side_expressions(rules: list[Rule], tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    first = Engine(rules, cache_dir=cache, side=SIDE)
    again = Engine(rules, cache_dir=cache, side=SIDE)
    assert again._db is not None and again._db.from_cache and again.has_side
    assert len(list(cache.glob("hyperscan-*.db"))) == 1
    Engine(rules, cache_dir=cache)  # without side expressions: a database of its own
    assert len(list(cache.glob("hyperscan-*.db"))) == 2
    for text in TEXTS:
        assert spans(again.find(text)) == spans(first.find(text))
        assert again.side_found(text) is expected_side(text)


def _forge(cache: Path, rules: list[Rule], side: list[bytes], extra: list[bytes]) -> None:
    """A database under the name and header the side-expression database would
    have, holding `side` (instead of SIDE's expressions) and `extra` past them."""
    compiled, _ = compile_rules(rules)
    exprs = [c.pattern.encode() for c in compiled if c.rule.kind is not RuleKind.KEY_FILE]
    count = len(exprs)
    modes, _ = hyperscan_db._build(exprs, count)
    chosen = [i for i in range(count) if modes[i] is not Mode.RE2_ONLY]
    tail = side + extra
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=[exprs[i] for i in chosen] + tail,
        ids=chosen + [count + k for k in range(len(tail))],
        elements=len(chosen) + len(tail),
        flags=[hyperscan_db._flags(modes[i]) for i in chosen] + [0] * len(tail),
    )
    key = hyperscan_db._inputs_hash(exprs, count, SIDE.expressions)
    blob = hyperscan.dumpb(db)
    numbers = [int(m) for m in modes]
    header = {"format": hyperscan_db.CACHE_FORMAT, "inputs": key, "modes": numbers}
    header["sha256"] = hyperscan_db._digest(numbers, blob)
    cache.mkdir(mode=0o700, exist_ok=True)
    path = cache / f"hyperscan-{key[:40]}.db"
    path.write_bytes(json.dumps(header).encode() + b"\n" + blob)
    path.chmod(0o600)


def test_a_cached_database_whose_side_expressions_never_match_is_not_believed(
    rules: list[Rule], tmp_path: Path
) -> None:
    """The rules in it pass their checks, so it serves the rules; its side answers
    (which would say "nothing here" for every item) are not used."""
    cache = tmp_path / "cache"
    _forge(cache, rules, [b"never-\\x00-matches", b"never-\\x00-either"], [])
    engine = Engine(rules, cache_dir=cache, side=SIDE)
    assert engine._db is not None and engine._db.from_cache
    assert not engine.has_side
    engine.find(TEXTS[2])
    assert engine.side_found(TEXTS[2]) is None


def test_a_cached_database_reporting_ids_past_its_side_expressions_is_rebuilt(
    rules: list[Rule], tmp_path: Path
) -> None:
    cache = tmp_path / "cache"
    _forge(cache, rules, list(SIDE.expressions), [b"[a-z]"])
    engine = Engine(rules, cache_dir=cache, side=SIDE)
    assert engine._db is not None and not engine._db.from_cache
    assert engine.has_side
    plain = Engine(rules, cache_dir=None)
    for text in TEXTS:
        assert spans(engine.find(text)) == spans(plain.find(text))
        assert engine.side_found(text) is expected_side(text)


def test_side_reports_spend_no_rule_budget_and_are_answered_once(rules: list[Rule]) -> None:
    """An item whose rules report exactly the budget keeps its Hyperscan lane
    with a side hit beside them; the answer lets the item go once given."""
    engine = Engine(rules, cache_dir=None, side=SIDE, report_budget=3)
    slow = Engine(rules, use_hyperscan=False)
    data = b"needle1\n" + b"\n".join([GHP] * 3)
    assert spans(engine.find(data)) == spans(slow.find(data)) != []
    assert engine.side_found(data) is True
    assert engine.side_found(data) is None  # asked again: the engine holds no item
