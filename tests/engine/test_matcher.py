"""The engine: one Hyperscan pass plus a windowed RE2 confirm, and the RE2 lane."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.engine.compiled import KEY_WINDOW
from scanner.engine.matcher import Engine, RuleHit
from scanner.engine.ruleset import builtin_rules_dir, load_paths
from scanner.model import Rule

pytest.importorskip("hyperscan")

WriteRules = Callable[..., Path]
GHP = b"ghp_R2d2C3poQ7xWv9LmKp4Tz8Yb1Nf6Hs0Ja5Ge"


def spans(hits: list[RuleHit]) -> list[tuple[str, int, int]]:
    return [(h.rule.id, h.start, h.end) for h in hits]


def both(rules: list[Rule], **kwargs: object) -> tuple[Engine, Engine]:
    fast = Engine(rules, use_hyperscan=True, **kwargs)  # type: ignore[arg-type]
    slow = Engine(rules, use_hyperscan=False, **kwargs)  # type: ignore[arg-type]
    assert (fast.lane, slow.lane) == ("hyperscan", "re2")
    return fast, slow


def mixed_corpus(seed: int, planted: list[bytes]) -> list[bytes]:
    """Source-like and log-like text with secrets planted at random places."""
    rng = random.Random(seed)
    words = [b"def", b"return", b"password", b"token", b"key", b"value", b"AKIA", b"ghp_", b"x"]
    items = []
    for _ in range(40):
        lines = []
        for _ in range(rng.randrange(5, 400)):
            line = b" ".join(rng.choice(words) for _ in range(rng.randrange(1, 12)))
            if rng.random() < 0.05:
                line += b" = " + rng.choice(planted)
            lines.append(line)
        items.append(b"\n".join(lines))
    return items


def test_lanes_give_identical_matches(sample_rules_file: Path, rsa_pem: bytes) -> None:
    rules = load_paths([sample_rules_file])
    planted = [
        GHP,
        b"'Tr0ub4dor&3xyz'",
        b"AKIAQ3EGX7VZK5Y2MB4N",
        b"password: example-password",
        b"\n" + rsa_pem,
        b"ghp_" + b"A" * 36 + b"B",
    ]
    fast, slow = both(rules)
    total = 0
    for data in mixed_corpus(7, planted):
        expected = spans(slow.find(data, ["src/app.py"]))
        assert spans(fast.find(data, ["src/app.py"])) == expected
        total += len(expected)
    assert total > 20


def test_lanes_agree_on_builtin_rule_examples() -> None:
    rules = load_paths([builtin_rules_dir()])
    if not rules:
        pytest.skip("no built-in rules yet")
    fast, slow = both(rules)
    blob = "\n\n".join(e for r in rules for e in (*r.examples, *r.negative_examples))
    data = blob.encode("utf-8")
    assert spans(fast.find(data, None)) == spans(slow.find(data, None))


def test_window_holds_a_4096_bit_pem_key(sample_rules_file: Path, rsa4096_pem: bytes) -> None:
    rules = load_paths([sample_rules_file])
    padding = b"filler line of ordinary text\n" * 5000
    data = padding + rsa4096_pem + padding
    assert len(rsa4096_pem) > 3000
    for engine in both(rules):
        hits = [h for h in engine.find(data, None) if h.rule.id == "test.rsa-pkcs1"]
        assert len(hits) == 1
        secret = data[hits[0].start : hits[0].end]
        assert secret == rsa4096_pem.strip()


def test_back_to_back_keys_each_found_once(sample_rules_file: Path, rsa_pem: bytes) -> None:
    rules = load_paths([sample_rules_file])
    data = rsa_pem * 20
    for engine in both(rules):
        hits = [h for h in engine.find(data, None) if h.rule.id == "test.rsa-pkcs1"]
        assert len(hits) == 20
    assert KEY_WINDOW >= 16 * 1024


def test_pathological_rule_and_input_stay_linear(write_rules: WriteRules) -> None:
    text = """
rules:
  - {id: evil.nested, name: nested quantifier, kind: token, severity: low,
     pattern: '(?P<secret>(a+)+$)'}
  - {id: evil.alternation, name: overlapping alternation, kind: token, severity: low,
     pattern: '(?P<secret>(a|aa)+b)'}
  - {id: evil.greedy, name: unbounded class, kind: token, severity: low,
     pattern: '(?P<secret>[a-z]{8,})'}
"""
    rules = load_paths([write_rules(text, "evil.yaml")])
    data = b"a" * 4_000_000 + b"!"
    for engine in both(rules):
        started = time.monotonic()
        hits = engine.find(data, None)
        elapsed = time.monotonic() - started
        assert spans(hits) == [("evil.greedy", 0, 4_000_000)]
        assert elapsed < 10, f"{engine.lane} lane took {elapsed:.1f}s"


def test_report_flood_falls_back_to_re2_with_the_same_result(write_rules: WriteRules) -> None:
    text = """
rules:
  - {id: flood.hex, name: hex run, kind: token, severity: low, keywords: [hex],
     pattern: 'hex=(?P<secret>[0-9a-f]{8,64})'}
  - {id: flood.any, name: letters, kind: token, severity: low,
     pattern: '(?P<secret>[a-f]{32,})'}
"""
    rules = load_paths([write_rules(text, "flood.yaml")])
    data = b"hex=" + b"abcdef0123" * 30_000
    tight = Engine(rules, use_hyperscan=True, report_budget=1000)
    slow = Engine(rules, use_hyperscan=False)
    assert spans(tight.find(data, None)) == spans(slow.find(data, None))
    assert spans(slow.find(data, None))[0] == ("flood.hex", 4, 68)


def test_rule_hyperscan_cannot_compile_runs_in_re2(write_rules: WriteRules) -> None:
    text = """
rules:
  - {id: lazy.flag, name: ungreedy flag only RE2 knows, kind: token, severity: low,
     keywords: [zz], pattern: '(?U)zz(?P<secret>[0-9]+)'}
  - {id: plain.one, name: plain, kind: token, severity: low, pattern: 'qq(?P<secret>[0-9]{4})'}
"""
    rules = load_paths([write_rules(text, "ungreedy.yaml")])
    data = b"zz12345 qq6789"
    fast, slow = both(rules)
    assert spans(fast.find(data, None)) == [("lazy.flag", 2, 3), ("plain.one", 10, 14)]
    assert spans(slow.find(data, None)) == spans(fast.find(data, None))


def test_keywords_gate_rules_in_both_lanes(write_rules: WriteRules) -> None:
    text = """
rules:
  - {id: kw.gated, name: gated, kind: token, severity: low, keywords: [Vendor],
     pattern: '(?P<secret>vk_[0-9]{6})'}
"""
    rules = load_paths([write_rules(text, "kw.yaml")])
    for engine in both(rules):
        assert engine.find(b"vk_123456", None) == []
        assert spans(engine.find(b"VENDOR vk_123456", None)) == [("kw.gated", 7, 16)]


def test_entropy_allow_and_path_filters(sample_rules_file: Path) -> None:
    rules = load_paths([sample_rules_file])
    for engine in both(rules):
        assert engine.find(b"password = 'aaaaaaaaaaaa'", None) == []
        assert engine.find(b"password = 'my-example-pw1'", None) == []
        assert len(engine.find(b"password = 'Tr0ub4dor&3xyz'", ["src/a.py"])) == 1
        assert engine.find(b"password = 'Tr0ub4dor&3xyz'", ["docs/README.md"]) == []
        npm = b"//registry.npmjs.org/:_authToken=npm_a8Fq2LzX9kWv4RmT7pYc3NbH"
        assert engine.find(npm, ["config.txt"]) == []
        assert [h.rule.id for h in engine.find(npm, ["home/u/.npmrc"])] == ["test.npmrc"]


def test_key_file_rules_match_paths_and_magic(sample_rules_file: Path) -> None:
    engine = Engine(load_paths([sample_rules_file]))
    assert [h.rule.id for h in engine.find_key_files(["a/.ssh/id_rsa"], b"x")] == [
        "test.ssh-key-file"
    ]
    assert engine.find_key_files(["a/.ssh/id_rsa.pub"], b"x") == []
    keystore = b"\xfe\xed\xfe\xed\x00\x00\x00\x02"
    assert [h.rule.id for h in engine.find_key_files(["r.jks"], keystore)] == ["test.jks-file"]
    assert engine.find_key_files(["r.jks"], b"not a keystore") == []


def test_compiled_database_is_cached_on_disk(sample_rules_file: Path, tmp_path: Path) -> None:
    rules = load_paths([sample_rules_file])
    cache = tmp_path / "cache"
    first = Engine(rules, cache_dir=cache)
    stored = list(cache.glob("hyperscan-*.db"))
    assert len(stored) == 1
    second = Engine(rules, cache_dir=cache)
    data = b"x = " + GHP + b"\nAKIAQ3EGX7VZK5Y2MB4N\n"
    assert spans(second.find(data)) == spans(first.find(data)) != []
    stored[0].write_bytes(b"[0]\ngarbage")
    assert spans(Engine(rules, cache_dir=cache).find(data)) == spans(first.find(data))


def test_invalid_utf8_and_binary_input(sample_rules_file: Path) -> None:
    rules = load_paths([sample_rules_file])
    data = b"\xff\xfe\x00\x80token " + GHP + b"\xc3\x28\x00"
    fast, slow = both(rules)
    assert spans(fast.find(data, None)) == spans(slow.find(data, None))
    assert [h.rule.id for h in fast.find(data, None)] == ["test.github-pat"]


def test_without_the_hyperscan_package_the_re2_lane_runs(
    sample_rules_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import sys

    monkeypatch.setitem(sys.modules, "hyperscan", None)
    monkeypatch.delitem(sys.modules, "scanner.engine.hyperscan_db", raising=False)
    engine = Engine(load_paths([sample_rules_file]), use_hyperscan=True)
    assert engine.lane == "re2"
    assert spans(engine.find(b"t = " + GHP, None)) == [("test.github-pat", 4, 44)]


def test_match_longer_than_its_window_is_still_found(write_rules: WriteRules) -> None:
    text = """
rules:
  - {id: long.jwt, name: JWT-like, kind: token, severity: low,
     pattern: '\\b(?P<secret>eyJ[A-Za-z0-9_-]+\\.eyJ[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)'}
"""
    rules = load_paths([write_rules(text, "long.yaml")])
    token = b"eyJhbGciOiJIUzI1NiJ9.eyJ" + b"Q" * 40_000 + b".c2lnbmF0dXJl"
    data = b"Authorization: Bearer " + token + b"\n"
    for engine in both(rules):
        assert spans(engine.find(data, None)) == [("long.jwt", 22, 22 + len(token))]


def test_engines_disagreeing_cannot_make_the_confirm_quadratic(write_rules: WriteRules) -> None:
    # Hyperscan's \s includes the vertical tab and RE2's does not: every `k=\v` below
    # is an exact Hyperscan report that RE2 cannot confirm in any window.
    text = """
rules:
  - {id: vt.rule, name: vertical tab, kind: token, severity: low, pattern: 'k=\\s(?P<secret>[0-9])'}
"""
    rules = load_paths([write_rules(text, "vt.yaml")])
    data = b"k=\x0b1 " * 400_000
    fast, slow = both(rules)
    started = time.monotonic()
    assert fast.find(data, None) == slow.find(data, None) == []
    assert time.monotonic() - started < 10


KEYWORD_RULES = """
rules:
  - {id: kw.near, name: near, kind: token, severity: low, keywords: [Vendor, "acme://"],
     pattern: '(?P<secret>vk_[0-9]{6})'}
  - {id: kw.quoted, name: quoted, kind: token, severity: low, keywords: ['"Pass'],
     pattern: 'pw=(?P<secret>[a-z]{8})'}
  - {id: kw.re2only, name: re2 only, kind: token, severity: low, keywords: [OnlyKw],
     pattern: '(?P<secret>rk_[0-9]{4})\\n(?m:^)end'}
  - {id: kw.none, name: no keyword, kind: token, severity: low, pattern: 'nk_(?P<secret>[0-9]{5})'}
"""


def test_keywords_are_looked_for_anywhere_in_the_item_in_any_case(write_rules: WriteRules) -> None:
    """The database holds no keywords: a rule's keyword is looked for in the whole
    item once the rule has matched, far before or after the match, in any case of
    ASCII letters and nowhere else (as a caseless literal would be); an RE2-only
    rule is gated the same way. The RE2 lane agrees on every item."""
    rules = load_paths([write_rules(KEYWORD_RULES, "kw.yaml")])
    fast, slow = both(rules)
    assert [r.id for r in fast.re2_only_rules] == ["kw.re2only"]
    rng = random.Random(13)
    words = [b"vendor", b"VeNdOr", b"ACME://", b"acme:/", b'"pass', b"'pass", b"onlykw", b"filler"]
    secrets = [b"vk_123456", b"pw=abcdefgh", b"rk_1234\nend", b"nk_12345"]
    found: set[str] = set()
    for _ in range(300):
        parts = [rng.choice(words) for _ in range(rng.randrange(0, 4))]
        parts += [rng.choice(secrets) for _ in range(rng.randrange(1, 3))]
        rng.shuffle(parts)
        data = (b" " + b"x" * rng.randrange(0, 9000) + b" ").join(parts)
        assert spans(fast.find(data, None)) == spans(slow.find(data, None)), data[:200]
        found |= {h.rule.id for h in fast.find(data, None)}
    assert found == {"kw.near", "kw.quoted", "kw.re2only", "kw.none"}
    assert fast.find(b"Vendo vk_123456 r", None) == []
    assert spans(fast.find(b"vk_123456" + b"." * 70_000 + b"vENDOR", None)) == [("kw.near", 0, 9)]


def _every_example(rules: list[Rule]) -> bytes:
    return "\n\n".join(e for r in rules for e in (*r.examples, *r.negative_examples)).encode()


def test_keywords_answered_in_one_pass_match_separate_searches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Once separate keyword searches would read too much of an item, one pass of
    the keywords' own database answers instead: the matches are the same."""
    from scanner.engine import matcher

    rules = load_paths([builtin_rules_dir()])
    data = _every_example(rules)
    engine = Engine(rules, use_hyperscan=True)
    searched = spans(engine.find(data, None))
    monkeypatch.setattr(matcher, "SEARCH_BYTES", 0)  # every keyword from the one pass
    assert spans(engine.find(data, None)) == searched
    assert spans(engine.find(data.upper(), None)) == spans(Engine(rules).find(data.upper(), None))


def test_a_large_item_where_every_rule_matches_reads_its_bytes_a_bounded_number_of_times() -> None:
    """20 MB, then every rule's examples: hundreds of matched rules ask for their
    keywords, and each would be looked for through the whole item."""
    rules = load_paths([builtin_rules_dir()])
    data = b"lorem ipsum dolor sit amet\n" * 800_000 + _every_example(rules)
    engine = Engine(rules, use_hyperscan=True)
    engine.find(data[-100_000:], None)  # compiled and warmed on a small item
    started = time.process_time()
    hits = engine.find(data, None)
    assert time.process_time() - started < 4  # CPU seconds: 0.2 here; one search per keyword: 8
    assert len(hits) > 500
