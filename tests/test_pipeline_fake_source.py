"""The pipeline's own stages, fed from memory (`scanner.sources.memory`): no disk,
no git, no command line. Secrets are generated per test."""

from __future__ import annotations

import secrets
import string

from scanner.config import Config
from scanner.model import Rule, RuleKind, ScanWarning, Severity
from scanner.pipeline import scan
from scanner.sources import Skipped, SkipReason
from scanner.sources.memory import MemorySource, item
from scanner.unscanned import Unscanned

RULE = Rule(
    "acme.deploy-token",
    "Acme deploy token",
    RuleKind.TOKEN,
    Severity.HIGH,
    r"(?P<secret>acme_[A-Za-z0-9]{32})",
    keywords=("acme_",),
)
CONFIG = Config(detectors=("rules",), jobs=1)


def token() -> str:
    return "acme_" + "".join(
        secrets.choice(string.ascii_letters + string.digits) for _ in range(32)
    )


def line(value: str, comment: str = "") -> bytes:
    return f"TOKEN={value}{comment}\n".encode()


def test_bytes_in_memory_become_findings_with_their_names_and_contexts() -> None:
    source = MemorySource.of({"app/settings.env": line(token()), "tests/fake.env": line(token())})
    report = scan(CONFIG, [source], rules=[RULE])
    found = {(f.path, f.line, f.context, f.severity) for f in report.findings}
    assert found == {
        ("app/settings.env", 1, "production", Severity.HIGH),
        ("tests/fake.env", 1, "test", Severity.HIGH),
    }
    assert report.items_scanned == 2 and report.roots == ("<memory>",)


def test_the_same_secret_in_two_items_is_one_finding_with_two_places() -> None:
    value = token()
    report = scan(
        CONFIG, [MemorySource.of({"a.env": line(value), "b.env": line(value)})], rules=[RULE]
    )
    (finding,) = report.findings
    assert [p.path for p in finding.places] == ["a.env", "b.env"]


def test_a_blob_seen_twice_at_one_path_is_scanned_once() -> None:
    data = line(token())
    source = MemorySource(
        (item("a.env", data, blob_id="1" * 40), item("a.env", data, blob_id="1" * 40))
    )
    report = scan(CONFIG, [source], rules=[RULE])
    assert report.items_scanned == 1
    assert report.skipped[SkipReason.DUPLICATE_BLOB] == 1
    assert [f.path for f in report.findings] == ["a.env"]


def test_a_blob_seen_again_at_another_path_is_judged_there_too() -> None:
    data = line(token())
    source = MemorySource(
        (item("a.env", data, blob_id="1" * 40), item("b.env", data, blob_id="1" * 40))
    )
    report = scan(CONFIG, [source], rules=[RULE])
    assert report.items_scanned == 2  # its bytes came with it: cheaper to scan than to keep
    (finding,) = report.findings
    assert [p.path for p in finding.places] == ["a.env", "b.env"]


def test_warnings_and_skips_from_a_source_are_kept_and_counted() -> None:
    source = MemorySource(
        (
            ScanWarning("broken.env", "cannot read: damaged"),
            Skipped("vendor/x.env", SkipReason.EXCLUDED),
            item("ok.env", line(token())),
        )
    )
    report = scan(CONFIG, [source], rules=[RULE])
    assert [(w.path, w.message) for w in report.warnings] == [
        ("broken.env", "cannot read: damaged")
    ]
    assert report.skipped[SkipReason.EXCLUDED] == 1
    assert [f.path for f in report.findings] == ["ok.env"]


def test_unscanned_content_from_a_source_is_a_finding_and_the_report_is_partial() -> None:
    source = MemorySource((Unscanned("huge.bin", "over the byte budget"), item("ok.env", b"x=1\n")))
    report = scan(CONFIG, [source], rules=[RULE])
    assert [(f.rule, f.path) for f in report.findings] == [("unscanned-content", "huge.bin")]
    assert report.partial


def test_path_inline_and_value_allowlists_suppress() -> None:
    allowed = token()
    source = MemorySource.of(
        {
            "fixtures/a.env": line(token()),
            "b.env": line(token(), "  # keysweep:allow"),
            "c.env": line(allowed),
            "d.env": line(token()),
        }
    )
    config = Config(
        detectors=("rules",), jobs=1, allow_paths=("fixtures/**",), allow_values=(allowed,)
    )
    report = scan(config, [source], rules=[RULE])
    assert [f.path for f in report.findings] == ["d.env"]
    assert (report.suppressed["path"], report.suppressed["inline"], report.suppressed["value"]) == (
        1,
        1,
        1,
    )


def test_findings_past_the_per_file_cap_leave_an_unscanned_finding() -> None:
    many = b"".join(line(token()) for _ in range(5))
    config = Config(detectors=("rules",), jobs=1, max_findings_per_file=3)
    report = scan(config, [MemorySource.of({"many.env": many})], rules=[RULE])
    rules = sorted(f.rule for f in report.findings)
    assert rules.count("acme.deploy-token") == 3 and "unscanned-content" in rules


def test_no_rules_and_no_detectors_is_clean_and_says_so() -> None:
    report = scan(
        Config(detectors=(), jobs=1), [MemorySource.of({"a.env": line(token())})], rules=[]
    )
    assert report.findings == () and report.items_scanned == 1
    assert report.meta["rules"] == 0


def test_a_listing_cut_short_by_a_stop_is_never_a_clean_scan() -> None:
    """A source that stops part-way with `bounds.Interrupted` (as the listing of a
    history does once a stop signal is noted) leaves a partial report whose
    rest is unscanned content, even where no signal of this scan's own is on
    record: never a clean scan of what was listed so far."""
    from collections.abc import Iterator

    from scanner import bounds
    from scanner.sources import SourceEvent

    class Stopping(MemorySource):
        def events(self) -> Iterator[SourceEvent]:
            yield from super().events()
            raise bounds.Interrupted

    report = scan(CONFIG, [Stopping.of({"a.env": line(token())})], rules=[RULE])
    assert report.partial and report.partial_reason == "stopped by a signal"
    assert any(f.rule == "unscanned-content" for f in report.findings)
