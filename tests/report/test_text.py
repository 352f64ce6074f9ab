"""The text report: retired keys first with the registry's reason, grouped by file,
colour only when asked, terminal-safe, one summary line."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from scanner.model import (
    KeyInfo,
    Origin,
    RegistryVerdict,
    Report,
    RuleKind,
    ScanWarning,
    Severity,
    Verdict,
)
from scanner.report import render
from scanner.report.text import CRITICAL_HEADING, summary_line

REASON = "deactivated 2024-06-30, owner emp-1042 departed 2024-11-15"


def test_retired_key_and_forged_token_come_first_with_the_reason(planted: Any) -> None:
    text = render(planted.report, "text")
    lines = text.splitlines()
    assert lines[0] == f"{CRITICAL_HEADING} (2)"
    assert lines[1].split()[:3] == ["CRITICAL", "key.rsa-pkcs1", "home/dev/.ssh/id_rsa:1:1"]
    critical_block = text.split("\n\n")[0]
    assert f"registry key-auth-2019 (deactivated): {REASON}" in critical_block
    assert (
        "fix: destroy this copy (remove it from the repository and history): the key is deactivated"
        in critical_block
    )
    assert "token.jwt  var/log/app.log:812:44" in critical_block
    assert text.index("key.rsa-pkcs1") < text.index("cloud.aws-access-key-id")


def test_key_line_shows_preview_and_shortened_spki(planted: Any) -> None:
    text = render(planted.report, "text")
    assert "secret -----BEGIN RSA PRIVATE KEY-----" in text
    assert f"spki {planted.spki_sha256[:16]}…" in text
    assert planted.spki_sha256 not in text
    assert "key RSA 2048 pkcs1-pem" in text


def test_other_findings_grouped_under_their_file(planted: Any) -> None:
    blocks = render(planted.report, "text").split("\n\n")
    headers = [block.splitlines()[0] for block in blocks[1:3]]
    assert headers == ["deploy/settings.py", "dist/app.jar!BOOT-INF/classes/application.yml"]
    git_block = blocks[1]
    assert "HIGH  cloud.aws-access-key-id  deploy/settings.py:14:21  AWS access key id" in git_block
    assert "commit 3f2a9c1e8b7d by Dana Dev <dana@example.test>" in git_block
    assert "no longer at HEAD" in git_block
    assert (
        "fix: it is in history only: revoke and replace it, then rewrite the history" in git_block
    )
    assert "entropy 4.6 bits per character" in blocks[2]


def test_summary_line_is_last_and_counts_everything(planted: Any) -> None:
    text = render(planted.report, "text")
    expected = (
        "4 findings (2 critical, 1 high, 1 medium, 0 low) in 1234 files, 56.7 MB, 4.2 s; "
        "3 suppressed; 2 warnings"
    )
    assert summary_line(planted.report) == expected
    assert text.splitlines()[-1] == expected
    partial = replace(planted.report, partial=True, partial_reason="--max-seconds 60 reached")
    assert summary_line(partial).endswith("; partial: --max-seconds 60 reached")
    assert summary_line(Report(findings=())) == (
        "0 findings (0 critical, 0 high, 0 medium, 0 low) in 0 files, 0.0 MB, 0.0 s; "
        "0 suppressed; 0 warnings"
    )


def test_colour_only_when_asked(planted: Any) -> None:
    assert "\x1b[" not in render(planted.report, "text")
    coloured = render(planted.report, "text", color=True)
    assert "\x1b[" in coloured
    for fmt in ("json", "jsonl", "sarif"):
        assert "\x1b" not in render(planted.report, fmt, color=True)


def test_control_characters_in_paths_and_previews_are_escaped(planted: Any) -> None:
    finding = planted.report.findings[0]
    hostile = replace(
        finding,
        origin=Origin(path="evil\x1b]0;pwned\x07\r.txt"),
        secret=replace(finding.secret, preview="\x1b[2J…"),
        message="note\x9b31m",
    )
    report = Report(findings=(hostile,), warnings=(ScanWarning("bad\x1b[5mname", "unreadable"),))
    for color in (False, True):
        text = render(report, "text", color=color)
        for raw in ("\x1b]", "\x07", "\r", "\x1b[2J", "\x9b", "\x1b[5m"):
            assert raw not in text
    text = render(report, "text")
    assert "evil\\x1b]0;pwned\\x07\\r.txt" in text
    assert "\\x1b[2J…" in text and "bad\\x1b[5mname" in text


def test_warnings_are_capped(planted: Any) -> None:
    errors = tuple(ScanWarning(f"dir/file{i:02}.txt", "permission denied") for i in range(25))
    text = render(replace(planted.report, warnings=errors), "text")
    block = text.split("\n\n")[-2].splitlines()
    assert block[0] == "Warnings (25)"
    assert len(block) == 1 + 20 + 1
    assert block[-1] == "  … and 5 more"


def test_clean_report_is_just_the_summary() -> None:
    report = Report(findings=(), items_scanned=3, bytes_scanned=2_000_000, elapsed=0.31)
    assert render(report, "text") == (
        "0 findings (0 critical, 0 high, 0 medium, 0 low) in 3 files, 2.0 MB, 0.3 s; "
        "0 suppressed; 0 warnings\n"
    )


def test_key_file_unparsable_and_encrypted_findings(planted: Any) -> None:
    base = planted.report.findings[1]
    assert base.rule == "key.rsa-pkcs1"
    key_file = replace(
        base,
        rule="keyfile.pkcs12",
        kind=RuleKind.KEY_FILE,
        origin=Origin(path="certs/client.p12"),
        line=0,
        column=0,
        key=None,
        registry=None,
    )
    unparsable = replace(
        base,
        severity=Severity.LOW,
        origin=Origin(path="docs/key.txt"),
        key=KeyInfo(format="pkcs1-pem", parsed=False, note="unparsable key material: bad base64"),
        registry=None,
        message="unparsable key material: bad base64",  # the pipeline words key notes here
    )
    encrypted = replace(
        base,
        severity=Severity.LOW,
        origin=Origin(path="keys/signer.pem"),
        key=KeyInfo(format="pkcs8-encrypted", encrypted=True, public_known=False),
        registry=RegistryVerdict(Verdict.ENCRYPTED_UNKNOWN, Severity.LOW),
    )
    text = render(Report(findings=(key_file, unparsable, encrypted)), "text")
    assert "keyfile.pkcs12  certs/client.p12  RSA" in text
    assert "fix: remove the key file from the repository and history" in text
    assert "unparsable key material: bad base64" in text
    assert "fix: check it: it looks like key material but does not parse" in text
    assert "key pkcs8-encrypted encrypted  public part unknown" in text
    assert "registry encrypted-key-identity-unknown" in text
    assert CRITICAL_HEADING not in text
