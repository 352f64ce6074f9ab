"""`keysweep scan` end to end through Click: exit codes, suppression, bad inputs, parallelism."""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from scanner.cli import cli, error_handler

RULE = """\
rules:
  - id: test.acme-token
    name: ACME test token
    kind: credential
    severity: high
    keywords: ["acme_"]
    pattern: '(?P<secret>acme_[A-Za-z0-9]{32})'
    examples: ["acme_{example}"]
    negative_examples: ["acme_short", "acme_<token>"]
"""


def _token() -> str:
    return "acme_" + "".join(
        secrets.choice(string.ascii_letters + string.digits) for _ in range(32)
    )


@pytest.fixture
def rule_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules" / "acme.yaml"
    path.parent.mkdir()
    path.write_text(RULE.replace("{example}", _token()[5:]))
    return path


def _scan(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["scan", *args])
    return result.exit_code, result.stdout, result.stderr


def _json_scan(target: Path, rule_file: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    code, out, err = _scan(
        str(target), "--no-builtin-rules", "--rules", str(rule_file), "--format", "json", *extra
    )
    assert code in (0, 1), err
    return code, json.loads(out)


def test_clean_tree_exits_0_and_a_finding_exits_1(tmp_path: Path, rule_file: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "readme.md").write_text("nothing here\n")
    assert _json_scan(tree, rule_file)[0] == 0
    token = _token()
    (tree / "config.ini").write_text(f"[svc]\nkey = {token}\n")
    code, report = _json_scan(tree, rule_file)
    assert code == 1
    (finding,) = report["findings"]
    assert finding["rule"] == "test.acme-token"
    assert (finding["path"], finding["line"], finding["column"]) == ("config.ini", 2, 7)
    assert token not in json.dumps(report)


def test_fail_on_raises_the_bar(tmp_path: Path, rule_file: Path) -> None:
    (tmp_path / "a.txt").write_text(_token())
    assert _json_scan(tmp_path / "a.txt", rule_file, "--fail-on", "critical")[0] == 0
    assert _json_scan(tmp_path / "a.txt", rule_file, "--fail-on", "high")[0] == 1


def test_secret_never_reaches_any_output(tmp_path: Path, rule_file: Path) -> None:
    token = _token()
    (tmp_path / "a.txt").write_text(f"x = {token}\n")
    for fmt in ("text", "json", "jsonl", "sarif"):
        code, out, err = _scan(
            str(tmp_path), "--no-builtin-rules", "--rules", str(rule_file), "--format", fmt
        )
        assert code == 1, err
        assert token not in out and token not in err
        assert token[5:20] not in out


def test_output_file_gets_the_report_and_stderr_the_summary(
    tmp_path: Path, rule_file: Path
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.txt").write_text(_token())
    out_file = tmp_path / "report.json"
    code, out, err = _scan(
        str(tmp_path / "src"),
        "--no-builtin-rules",
        "--rules",
        str(rule_file),
        "--format",
        "json",
        "-o",
        str(out_file),
    )
    assert code == 1
    assert out.strip() == ""
    assert json.loads(out_file.read_text())["findings"]
    assert "1 finding" in err


def test_inline_path_and_value_suppression(tmp_path: Path, rule_file: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "fixtures").mkdir(parents=True)
    (tree / "a.py").write_text(f"T = '{_token()}'  # keysweep:allow test.acme-token\n")
    (tree / "b.py").write_text(f"# keysweep:allow\nT = '{_token()}'\n")
    (tree / "c.py").write_text(f"T = '{_token()}'  # keysweep:allow some.other-rule\n")
    (tree / "fixtures" / "d.txt").write_text(_token())
    (tree / "e.txt").write_text("acme_" + "0" * 32)
    code, report = _json_scan(tree, rule_file, "--allow-path", "fixtures/**")
    assert code == 1
    assert [f["path"] for f in report["findings"]] == ["c.py", "e.txt"]
    (tree / ".keysweep.yaml").write_text("allow_values: ['^acme_0+$']\n")
    _, report = _json_scan(tree, rule_file, "--allow-path", "fixtures/**")
    assert [f["path"] for f in report["findings"]] == ["c.py"]
    assert report["summary"]["suppressed"] == {"inline": 2, "path": 1, "value": 1}


def test_bad_inputs_are_warnings_and_the_scan_goes_on(tmp_path: Path, rule_file: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    token = _token()
    (tree / "latin1.txt").write_bytes(b"caf\xe9 \xff\xfe " + token.encode() + b"\n")
    (tree / "blob.bin").write_bytes(b"\x00\x01\x02" * 1000 + token.encode())
    (tree / "huge.txt").write_bytes(b"a" * 5000)
    (tree / "loop").symlink_to(tree)
    (tree / "dangling").symlink_to(tree / "nowhere")
    code, report = _json_scan(tree, rule_file, "--max-file-size", "4000")
    assert code == 1
    found = {(f["path"], f["rule"]) for f in report["findings"]}
    assert ("latin1.txt", "unscanned-content") not in found and len(found) == 2
    assert ("huge.txt", "unscanned-content") in found  # fail closed: never read, so a finding
    messages = " ".join(e["path"] + ": " + e["message"] for e in report["errors"])
    assert "huge.txt" in messages and "size limit" in messages
    assert report["summary"]["skipped"]["binary"] == 1


def test_parallel_scan_matches_the_serial_one(tmp_path: Path, rule_file: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(300):
        body = f"line {i}\n" * 20 + (f"key={_token()}\n" if i % 7 == 0 else "")
        (tree / f"f{i:03}.txt").write_text(body)
    _, serial = _json_scan(tree, rule_file, "--jobs", "1")
    _, parallel = _json_scan(tree, rule_file, "--jobs", "2")

    def ids(report: dict[str, Any]) -> list[str]:
        return sorted(f["id"] for f in report["findings"])

    assert ids(serial) == ids(parallel)
    assert len(ids(serial)) == 43
    assert serial["summary"]["items_scanned"] == parallel["summary"]["items_scanned"] == 300


def test_malformed_config_and_rules_exit_2_with_one_line(tmp_path: Path, rule_file: Path) -> None:
    (tmp_path / ".keysweep.yaml").write_text("no_such_option: 1\n")
    code, _, err = _scan(str(tmp_path))
    assert code == 2
    assert err.count("\n") == 1 and ".keysweep.yaml" in err and "unknown key (key 1;" in err
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "rules:\n  - id: x.y\n    name: n\n    kind: credential\n    severity: extreme\n"
    )
    (tmp_path / ".keysweep.yaml").unlink()
    code, _, err = _scan(str(tmp_path), "--no-builtin-rules", "--rules", str(bad))
    assert code == 2
    assert "bad.yaml" in err and "x.y" in err and "severity" in err


def test_error_handler_maps_crashes_to_3_and_interrupts_to_130() -> None:
    with pytest.raises(SystemExit) as crash, error_handler():
        raise RuntimeError("boom")
    assert crash.value.code == 3
    with pytest.raises(SystemExit) as interrupted, error_handler():
        raise KeyboardInterrupt
    assert interrupted.value.code == 130
