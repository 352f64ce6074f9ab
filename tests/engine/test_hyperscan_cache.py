"""The compiled-rules cache on disk: used only when it is ours and says what it holds.

A poisoned cache file (a database built from weakened patterns, written in the
cache's own format under the right name) must never cut findings: it is detected
on load, the database is compiled afresh and the file is rewritten.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scanner.engine import hyperscan_db
from scanner.engine.compiled import Mode, compile_rules
from scanner.engine.matcher import Engine, RuleHit
from scanner.engine.ruleset import load_paths
from scanner.model import Rule, RuleKind

hyperscan = pytest.importorskip("hyperscan")

GHP = b"ghp_R2d2C3poQ7xWv9LmKp4Tz8Yb1Nf6Hs0Ja5Ge"
DATA = b"x = " + GHP + b"\nAKIAQ3EGX7VZK5Y2MB4N\n"


def spans(hits: list[RuleHit]) -> list[tuple[str, int, int]]:
    return sorted((h.rule.id, h.start, h.end) for h in hits)


def expressions(rules: list[Rule]) -> tuple[list[bytes], int]:
    compiled, _ = compile_rules(rules)
    patterns = [c.pattern for c in compiled if c.rule.kind is not RuleKind.KEY_FILE]
    return [p.encode() for p in patterns], len(patterns)


def poison(cache: Path, rules: list[Rule]) -> Path:
    """Write, under the name the real database would have, one whose first pattern
    never matches: a header that is right in every field the file itself can prove."""
    exprs, count = expressions(rules)
    weakened = [b"never-matches-\\x00-anything", *exprs[1:]]
    modes, db = hyperscan_db._build(weakened, count)
    return forged(cache, rules, modes, db)


def forged(cache: Path, rules: list[Rule], modes: list[Mode], db: Any) -> Path:
    """`db` written under the name and with a header the real database would have."""
    exprs, count = expressions(rules)
    key = hyperscan_db._inputs_hash(exprs, count)
    blob = hyperscan.dumpb(db)
    numbers = [int(m) for m in modes]
    header = {
        "format": hyperscan_db.CACHE_FORMAT,
        "inputs": key,
        "modes": numbers,
        "sha256": hyperscan_db._digest(numbers, blob),
    }
    path = cache / f"hyperscan-{key[:40]}.db"
    path.write_bytes(json.dumps(header).encode() + b"\n" + blob)
    path.chmod(0o600)
    return path


def database(engine: Engine) -> hyperscan_db.HyperscanDatabase:
    db = engine._db
    assert db is not None
    return db


def test_a_cached_database_loads_and_gives_the_same_matches(
    sample_rules_file: Path, tmp_path: Path
) -> None:
    rules = load_paths([sample_rules_file])
    cache = tmp_path / "cache"
    fresh = Engine(rules, cache_dir=cache)
    assert not database(fresh).from_cache
    again = Engine(rules, cache_dir=cache)
    assert database(again).from_cache
    assert spans(again.find(DATA)) == spans(fresh.find(DATA)) != []


def test_a_poisoned_cache_never_cuts_findings(sample_rules_file: Path, tmp_path: Path) -> None:
    rules = load_paths([sample_rules_file])
    expected = spans(Engine(rules, cache_dir=None).find(DATA))
    assert "test.github-pat" in {s[0] for s in expected}
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    path = poison(cache, rules)
    poisoned = path.read_bytes()
    engine = Engine(rules, cache_dir=cache)
    assert not database(engine).from_cache
    assert spans(engine.find(DATA)) == expected
    assert path.read_bytes() != poisoned  # rewritten with the real database
    assert database(Engine(rules, cache_dir=cache)).from_cache


@pytest.mark.parametrize("damage", ["garbage", "wrong-hash", "other-inputs"])
def test_a_damaged_cache_file_is_rebuilt(
    sample_rules_file: Path, tmp_path: Path, damage: str
) -> None:
    rules = load_paths([sample_rules_file])
    cache = tmp_path / "cache"
    Engine(rules, cache_dir=cache)
    (path,) = cache.glob("hyperscan-*.db")
    header, blob = path.read_bytes().split(b"\n", 1)
    fields = json.loads(header)
    if damage == "garbage":
        path.write_bytes(b"[0]\ngarbage")
    elif damage == "wrong-hash":
        path.write_bytes(header + b"\n" + blob[:-1] + bytes([blob[-1] ^ 1]))
    else:
        fields["inputs"] = "0" * 64
        path.write_bytes(json.dumps(fields).encode() + b"\n" + blob)
    engine = Engine(rules, cache_dir=cache)
    assert not database(engine).from_cache
    assert spans(engine.find(DATA)) != []


def test_a_cache_others_may_write_is_not_read(sample_rules_file: Path, tmp_path: Path) -> None:
    rules = load_paths([sample_rules_file])
    cache = tmp_path / "cache"
    Engine(rules, cache_dir=cache)
    (path,) = cache.glob("hyperscan-*.db")
    path.chmod(0o666)
    assert not database(Engine(rules, cache_dir=cache)).from_cache
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # rewritten, private
    cache.chmod(0o777)
    try:
        assert not database(Engine(rules, cache_dir=cache)).from_cache
    finally:
        cache.chmod(0o700)


def test_the_examples_check_runs_once_per_cache_file(
    sample_rules_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = load_paths([sample_rules_file])
    cache = tmp_path / "cache"
    Engine(rules, cache_dir=cache)  # compiled and written
    checks: list[bool] = []
    real = hyperscan_db.HyperscanDatabase._verified

    def counted(self: hyperscan_db.HyperscanDatabase, *args: object) -> bool:
        checks.append(real(self, *args))  # type: ignore[arg-type]
        return checks[-1]

    monkeypatch.setattr(hyperscan_db.HyperscanDatabase, "_verified", counted)
    assert database(Engine(rules, cache_dir=cache)).from_cache
    assert checks == [True]  # first read: checked, then stamped
    again = Engine(rules, cache_dir=cache)
    assert database(again).from_cache and checks == [True]  # the stamp vouches for it
    assert spans(again.find(DATA)) != []
    path = poison(cache, rules)  # same name, other file: the stamp no longer fits
    engine = Engine(rules, cache_dir=cache)
    assert checks == [True, False] and not database(engine).from_cache
    assert spans(engine.find(DATA)) == spans(Engine(rules, cache_dir=None).find(DATA))
    assert path.exists()


def test_a_cache_reporting_ids_past_its_rules_is_not_used(
    sample_rules_file: Path, tmp_path: Path
) -> None:
    """A database with every pattern plus one more (an id past the last rule) would
    fail every item; it is refused and rebuilt."""
    rules = load_paths([sample_rules_file])
    exprs, count = expressions(rules)
    modes, _ = hyperscan_db._build(exprs, count)
    chosen = [i for i in range(count) if modes[i] is not Mode.RE2_ONLY]
    db = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    db.compile(
        expressions=[exprs[i] for i in chosen] + [b"[a-z]"],
        ids=[*chosen, count],
        elements=len(chosen) + 1,
        flags=[hyperscan_db._flags(modes[i]) for i in chosen] + [0],
    )
    cache = tmp_path / "cache"
    cache.mkdir(mode=0o700)
    forged(cache, rules, modes, db)
    engine = Engine(rules, cache_dir=cache)
    assert not database(engine).from_cache
    assert spans(engine.find(DATA)) == spans(Engine(rules, cache_dir=None).find(DATA)) != []
