"""RuleDetector at the Match level: spans, lines, columns, key files, filters."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.config import Config
from scanner.detectors import DETECTORS, Detector
from scanner.detectors.rules import RuleDetector, load_rules
from scanner.model import Match, Origin, RuleKind, Severity

SAMPLE = Path(__file__).resolve().parents[1] / "engine" / "sample_rules.yaml"
GHP = b"ghp_R2d2C3poQ7xWv9LmKp4Tz8Yb1Nf6Hs0Ja5Ge"


@pytest.fixture(params=[True, False], ids=["hyperscan", "re2"])
def detector(request: pytest.FixtureRequest, tmp_path: Path) -> RuleDetector:
    config = Config(rules_dirs=(SAMPLE,), builtin_rules=False)
    if request.param:
        pytest.importorskip("hyperscan")
    return RuleDetector(
        config, load_rules(config), use_hyperscan=request.param, cache_dir=tmp_path / "cache"
    )


def ids(matches: list[Match]) -> list[str]:
    return [m.rule_id for m in matches]


def test_satisfies_the_detector_protocol(tmp_path: Path) -> None:
    config = Config(rules_dirs=(SAMPLE,), builtin_rules=False)
    made: Detector = DETECTORS["rules"](config, load_rules(config))
    assert made.name == "rules"
    assert made.wants(Origin(path="x.py"), b"")


def test_match_carries_span_line_column_and_secret(detector: RuleDetector) -> None:
    data = "# héllo\nfirst line\n  tökèn = ".encode() + GHP + b"\n"
    [match] = detector.detect(Origin(path="src/settings.py"), data)
    assert match.rule_id == "test.github-pat"
    assert match.rule_name == "GitHub personal access token"
    assert match.kind is RuleKind.TOKEN
    assert match.severity is Severity.HIGH
    assert match.detector == "rules"
    assert data[match.start : match.end] == match.secret == GHP
    assert (match.line, match.column, match.end_line) == (3, 11, 3)


def test_multi_line_private_key_spans_lines(detector: RuleDetector, rsa_pem: bytes) -> None:
    data = b"config:\n  key: |\n" + rsa_pem
    [match] = detector.detect(Origin(path="deploy/values.yaml"), data)
    assert match.rule_id == "test.rsa-pkcs1"
    assert match.secret == rsa_pem.strip()
    assert match.line == 3
    assert match.column == 1
    assert match.end_line == 3 + rsa_pem.strip().count(b"\n")


def test_many_matches_get_the_right_lines(detector: RuleDetector) -> None:
    lines = [b"nothing here"] * 50
    for number in (3, 17, 42):
        lines[number - 1] = b"x = " + GHP
    matches = detector.detect(Origin(path="a.txt"), b"\n".join(lines))
    assert [m.line for m in matches] == [3, 17, 42]
    assert all(m.column == 5 for m in matches)


def test_same_secret_reported_once_per_rule(detector: RuleDetector) -> None:
    data = b"password = Tr0ub4dor&3xyz\n"
    assert ids(detector.detect(Origin(path="a.env"), data)) == ["test.password"]


def test_key_file_rule_matches_path_with_whole_file(detector: RuleDetector) -> None:
    data = b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END"
    [match] = detector.detect(Origin(path="home/dev/.ssh/id_ed25519"), data)
    assert match.rule_id == "test.ssh-key-file"
    assert match.secret == data
    assert (match.start, match.end, match.line, match.column, match.end_line) == (
        0,
        len(data),
        1,
        1,
        3,
    )


def test_key_file_rule_matches_archive_member(detector: RuleDetector) -> None:
    origin = Origin(path="backup.zip", archive_member="inner.tar!home/.ssh/id_rsa")
    assert ids(detector.detect(origin, b"key bytes")) == ["test.ssh-key-file"]
    assert detector.detect(Origin(path="backup.zip", archive_member="notes.txt"), b"x") == []


def test_path_include_and_exclude(detector: RuleDetector) -> None:
    npm = b"//registry.npmjs.org/:_authToken=npm_a8Fq2LzX9kWv4RmT7pYc3NbH\n"
    assert ids(detector.detect(Origin(path="proj/.npmrc"), npm)) == ["test.npmrc"]
    assert detector.detect(Origin(path="proj/notes.txt"), npm) == []
    pw = b"password = Tr0ub4dor&3xyz\n"
    assert detector.detect(Origin(path="docs/setup.md"), pw) == []


def test_placeholders_and_low_entropy_are_not_matches(detector: RuleDetector) -> None:
    data = b"password = ${DB_PASSWORD}\npassword: example-password\npassword=aaaaaaaaaa\n"
    assert detector.detect(Origin(path="a.yaml"), data) == []


def test_binary_and_invalid_utf8_do_not_raise(detector: RuleDetector) -> None:
    data = bytes(range(256)) * 64 + b"\xc3\x28 token " + GHP
    matches = detector.detect(Origin(path="blob.bin"), data)
    assert ids(matches) == ["test.github-pat"]
    assert detector.detect(Origin(path="empty"), b"") == []


def test_no_rules_means_no_work(tmp_path: Path) -> None:
    detector = RuleDetector(Config(builtin_rules=False), (), cache_dir=tmp_path)
    assert not detector.wants(Origin(path="a"), b"x")
    assert detector.detect(Origin(path="a"), b"x = " + GHP) == []


def test_columns_agree_with_line_col_on_any_bytes() -> None:
    """The incremental column count equals scanner.text.line_col, also when a hit
    splits a multi-byte character or sits among invalid UTF-8."""
    import random

    from scanner.detectors.rules import to_matches
    from scanner.engine.matcher import RuleHit
    from scanner.model import Rule, RuleKind, Severity
    from scanner.text import line_col

    rule = Rule("t.x", "x", RuleKind.CREDENTIAL, Severity.LOW, "x")
    rng = random.Random(7)
    alphabet = [b"a", b"\n", "é".encode(), "€".encode(), b"\xff", b"\xe2\x82", b" "]
    for _ in range(200):
        data = b"".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80)))
        starts = sorted(rng.sample(range(len(data)), min(len(data), rng.randint(1, 6))))
        hits = [RuleHit(rule, s, min(len(data), s + 3)) for s in starts]
        got = [(m.line, m.column) for m in to_matches(data, hits)]
        assert got == [line_col(data, s) for s in starts], data


def test_many_hits_on_one_long_line_stay_linear() -> None:
    from scanner.detectors.rules import to_matches
    from scanner.engine.matcher import RuleHit
    from scanner.model import Rule, RuleKind, Severity

    rule = Rule("t.x", "x", RuleKind.CREDENTIAL, Severity.LOW, "x")
    data = b"x" * 4_000_000
    hits = [RuleHit(rule, s, s + 10) for s in range(0, len(data), 2_000)]
    matches = to_matches(data, hits)  # quadratic before: seconds; now a few ms
    assert matches[-1].column == hits[-1].start + 1
