"""Baselines: create, suppress, update with audit verdicts, detect-secrets baselines."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support import TOKEN_RULE, token

from scanner.baseline import Baseline, Entry, build, load_baseline
from scanner.cli import cli
from scanner.errors import BaselineError
from scanner.model import (
    Finding,
    FindingId,
    Origin,
    RegistryVerdict,
    RuleKind,
    SecretInfo,
    Severity,
    Verdict,
)
from scanner.pipeline import _baseline_stage


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "tree"
    root.mkdir()
    (tmp_path / "rules.yaml").write_text(TOKEN_RULE)
    return root


def run(tree: Path, *args: str, scanning: bool = True) -> tuple[int, str, str]:
    rules = ["--no-builtin-rules", "--rules", str(tree.parent / "rules.yaml"), "-j", "1"]
    result = CliRunner().invoke(cli, [*args, *(rules if scanning else [])])
    return result.exit_code, result.stdout, result.stderr


def scan(tree: Path, *args: str) -> tuple[int, dict[str, Any]]:
    code, out, err = run(tree, "scan", str(tree), "--format", "json", *args)
    assert code in (0, 1), err
    return code, json.loads(out)


def test_create_then_scan_reports_only_new_findings(tree: Path, tmp_path: Path) -> None:
    old = token()
    (tree / "old.env").write_text(f"A=1\nTOKEN={old}\n")
    baseline = tmp_path / "baseline.json"
    code, _, err = run(tree, "baseline", "create", str(tree), "-o", str(baseline))
    assert code == 0, err
    assert "wrote 1 findings" in err

    code, report = scan(tree, "--baseline", str(baseline))
    assert (code, report["findings"]) == (0, [])
    assert report["summary"]["suppressed"]["baseline"] == 1

    (tree / "new.env").write_text(f"TOKEN={token()}\n")
    code, report = scan(tree, "--baseline", str(baseline))
    assert code == 1
    assert [f["path"] for f in report["findings"]] == ["new.env"]


def test_a_baseline_holds_ids_and_context_but_no_secret(tree: Path, tmp_path: Path) -> None:
    secret = token()
    (tree / "conf.env").write_text(f"TOKEN={secret}\n")
    baseline = tmp_path / "baseline.json"
    run(tree, "baseline", "create", str(tree), "-o", str(baseline))
    text = baseline.read_text()
    (entry,) = json.loads(text)["findings"]
    assert set(entry) == {
        "id",
        "rule",
        "severity",
        "path",
        "line",
        "commit",
        "preview",
        "is_secret",
    }
    assert (entry["path"], entry["line"], entry["is_secret"]) == ("conf.env", 1, None)
    assert secret not in text and secret[8:] not in text
    for digest in (hashlib.sha256, hashlib.sha1):
        assert digest(secret.encode()).hexdigest() not in text


def test_moving_a_secret_to_another_line_keeps_it_baselined(tree: Path, tmp_path: Path) -> None:
    secret = token()
    (tree / "conf.env").write_text(f"TOKEN={secret}\n")
    baseline = tmp_path / "baseline.json"
    run(tree, "baseline", "create", str(tree), "-o", str(baseline))
    (tree / "conf.env").write_text(f"# header\n\n\nTOKEN={secret}\n")
    assert scan(tree, "--baseline", str(baseline))[1]["findings"] == []


def _edit(baseline: Path, path: str, **changes: Any) -> None:
    document = json.loads(baseline.read_text())
    for entry in document["findings"]:
        if entry["path"] == path:
            entry.update(changes)
    baseline.write_text(json.dumps(document))


def test_update_keeps_verdicts_adds_new_and_drops_gone(tree: Path, tmp_path: Path) -> None:
    for name in ("fp.env", "real.env", "gone.env"):
        (tree / name).write_text(f"TOKEN={token()}\n")
    baseline = tmp_path / "baseline.json"
    run(tree, "baseline", "create", str(tree), "-o", str(baseline))
    _edit(baseline, "fp.env", is_secret=False, note="test fixture")
    _edit(baseline, "real.env", is_secret=True)
    (tree / "gone.env").unlink()
    (tree / "new.env").write_text(f"TOKEN={token()}\n")

    code, _, err = run(tree, "baseline", "update", str(tree), "-b", str(baseline))

    assert code == 0, err
    entries = {e["path"]: e for e in json.loads(baseline.read_text())["findings"]}
    assert set(entries) == {"fp.env", "real.env", "new.env"}
    assert (entries["fp.env"]["is_secret"], entries["fp.env"]["note"]) == (False, "test fixture")
    assert entries["real.env"]["is_secret"] is True
    assert entries["new.env"]["is_secret"] is None
    code, report = scan(tree, "--baseline", str(baseline))
    assert [f["path"] for f in report["findings"]] == ["real.env"]


def _detect_secrets_baseline(results: dict[str, list[dict[str, Any]]]) -> str:
    """The shape detect-secrets 1.x writes."""
    return json.dumps(
        {
            "version": "1.5.0",
            "plugins_used": [{"name": "Base64HighEntropyString", "limit": 4.5}],
            "filters_used": [{"path": "detect_secrets.filters.allowlist.is_line_allowlisted"}],
            "results": results,
            "generated_at": "2024-05-01T10:00:00Z",
        },
        indent=2,
    )


def _ds_entry(path: str, secret: str, line: int, **extra: Any) -> dict[str, Any]:
    return {
        "type": "Secret Keyword",
        "filename": path,
        "hashed_secret": hashlib.sha1(secret.encode()).hexdigest(),
        "is_verified": False,
        "line_number": line,
        **extra,
    }


@pytest.fixture
def ds_tree(tree: Path, tmp_path: Path) -> tuple[Path, Path]:
    secrets_by_file = {name: token() for name in ("unaudited.env", "fp.env", "real.env")}
    for name, secret in secrets_by_file.items():
        (tree / name).write_text(f"TOKEN={secret}\n")
    (tree / "new.env").write_text(f"TOKEN={token()}\n")
    verdicts: dict[str, dict[str, Any]] = {
        "unaudited.env": {},
        "fp.env": {"is_secret": False},
        "real.env": {"is_secret": True},
    }
    results = {
        name: [_ds_entry(name, secret, 1, **verdicts[name])]
        for name, secret in secrets_by_file.items()
    }
    path = tmp_path / ".secrets.baseline"
    path.write_text(_detect_secrets_baseline(results))
    return tree, path


def test_a_detect_secrets_baseline_works_directly(ds_tree: tuple[Path, Path]) -> None:
    tree, ds_baseline = ds_tree
    code, report = scan(tree, "--baseline", str(ds_baseline))
    assert code == 1
    assert sorted(f["path"] for f in report["findings"]) == ["new.env", "real.env"]
    assert report["summary"]["suppressed"]["baseline"] == 2


def test_import_then_update_turns_detect_secrets_entries_into_ids(
    ds_tree: tuple[Path, Path], tmp_path: Path
) -> None:
    tree, ds_baseline = ds_tree
    converted = tmp_path / "keysweep-baseline.json"
    code, _, err = run(
        tree, "baseline", "import", str(ds_baseline), "-o", str(converted), scanning=False
    )
    assert code == 0, err
    assert "imported 3 entries (1 audited real, 1 audited false positive, 1 unaudited)" in err
    assert sorted(f["path"] for f in scan(tree, "--baseline", str(converted))[1]["findings"]) == [
        "new.env",
        "real.env",
    ]

    run(tree, "baseline", "update", str(tree), "-b", str(converted))

    document = json.loads(converted.read_text())
    verdicts = {e["path"]: e["is_secret"] for e in document["findings"]}
    assert verdicts == {"unaudited.env": None, "fp.env": False, "real.env": True, "new.env": None}
    assert "imported" not in document
    assert [f["path"] for f in scan(tree, "--baseline", str(converted))[1]["findings"]] == [
        "real.env"
    ]


def _finding(registry: RegistryVerdict | None = None) -> Finding:
    return Finding(
        id=FindingId("f" * 40),
        rule="key.rsa-pkcs1",
        name="RSA private key",
        kind=RuleKind.PRIVATE_KEY,
        severity=registry.severity if registry else Severity.HIGH,
        detector="rules",
        origin=Origin(path="id_rsa"),
        line=1,
        column=1,
        end_line=27,
        secret=SecretInfo(preview="-----BEGIN…", keyed_hash="0" * 64, length=1675),
        registry=registry,
    )


def test_critical_registry_verdicts_are_never_suppressed_nor_written() -> None:
    retired = RegistryVerdict(Verdict.RETIRED_KEY_PRESENT, Severity.CRITICAL, key_id="auth-2019")
    critical, plain = _finding(retired), _finding()
    baseline = Baseline(entries=(Entry(id=critical.id),))
    assert baseline.contains(critical) and baseline.contains(plain)
    kept, dropped = _baseline_stage([critical, plain], baseline)
    assert (kept, dropped) == ([critical], 1)
    assert build([critical], None, "now")["findings"] == []


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "not JSON"),
        ('{"something": 1}', "neither a keysweep baseline nor a detect-secrets baseline"),
        ('{"version": 9, "findings": []}', "unsupported baseline version 9"),
        ('{"version": 2, "findings": [{"rule": "x"}]}', "findings[0] has no id"),
        ('{"version": 1, "findings": []}', "a version 1 baseline, whose ids hold a plain hash"),
        ('{"version": 2, "findings": []}', "no secret_hash.key_id"),
        (
            '{"version": 2, "findings": [], "secret_hash": {"key_id": "k"}, '
            '"imported_from": "b.json"}',
            "'imported_from' names no detect-secrets baseline (b.json)",
        ),
        ('{"results": {"a": [{"filename": "a"}]}}', "needs 'filename' and 'hashed_secret'"),
    ],
)
def test_a_bad_baseline_is_a_one_line_error(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "b.json"
    path.write_text(content)
    with pytest.raises(BaselineError, match=re.escape(message)):
        load_baseline(path)


def test_a_missing_baseline_exits_2_naming_the_file(tree: Path, tmp_path: Path) -> None:
    code, _, err = run(tree, "scan", str(tree), "--baseline", str(tmp_path / "nope.json"))
    assert code == 2
    assert "nope.json: no such baseline file" in err


def test_create_from_git_history(tree: Path, tmp_path: Path) -> None:
    import subprocess

    subprocess.run(["git", "init", "-q"], cwd=tree, check=True)
    (tree / "a.env").write_text(f"TOKEN={token()}\n")
    subprocess.run(["git", "add", "a.env"], cwd=tree, check=True)
    subprocess.run(["git", "commit", "-qm", "a"], cwd=tree, check=True)
    subprocess.run(["git", "rm", "-q", "a.env"], cwd=tree, check=True)
    subprocess.run(["git", "commit", "-qm", "rm"], cwd=tree, check=True)
    baseline = tmp_path / "b.json"
    code, _, err = run(tree, "baseline", "create", str(tree), "--git", "-o", str(baseline))
    assert code == 0, err
    (entry,) = json.loads(baseline.read_text())["findings"]
    assert entry["path"] == "a.env" and len(entry["commit"]) == 40
    code, out, err = run(tree, "git", str(tree), "--baseline", str(baseline))
    assert code == 0, out + err
