"""A green gate means "scanned and clean": every way a scan can fail to happen,
and every user mistake, through the real CLI (CliRunner and the console script)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from support import TOKEN_RULE, aws_secret, token

from scanner.cli import cli

PROJECT = Path(__file__).resolve().parents[2]


def run(*args: str, input: bytes | None = None, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), input=input, env=env)


def console(*args: str, cwd: Path, stdin: bytes = b"") -> subprocess.CompletedProcess[bytes]:
    """The installed console script (the one CI and hooks run)."""
    exe = shutil.which("keysweep", path=str(Path(sys.executable).parent)) or "keysweep"
    return subprocess.run(
        [exe, *args], cwd=cwd, input=stdin, capture_output=True, timeout=300, check=False
    )


@pytest.fixture
def rule_file(tmp_path: Path) -> Path:
    path = tmp_path / "rules" / "test.yaml"
    path.parent.mkdir()
    path.write_text(TOKEN_RULE)
    return path


def only_rules(rule_file: Path) -> list[str]:
    return ["--no-builtin-rules", "--rules", str(rule_file), "-j", "1"]


# --- a scan that did not happen is never green ----------------------------------


def test_a_missing_root_is_exit_2_with_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-folder"
    result = run("scan", str(missing))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [f"keysweep: error: {missing}: no such file or folder"]
    done = console("scan", str(tmp_path), str(missing), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        f"keysweep: error: {missing}: no such file or folder"
    ]


def test_a_fifo_root_is_exit_2_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    done = console("scan", str(fifo), cwd=tmp_path)  # opening it to read would block
    assert done.returncode == 2
    assert done.stderr.decode().splitlines() == [
        f"keysweep: error: {fifo}: not a regular file or folder (use '-' for standard input)"
    ]


@pytest.mark.skipif(os.geteuid() == 0, reason="root opens folders whatever their mode")
def test_an_unreadable_root_is_exit_2(tmp_path: Path) -> None:
    closed = tmp_path / "closed"
    closed.mkdir()
    closed.chmod(0)
    try:
        result = run("scan", str(closed))
    finally:
        closed.chmod(0o700)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"keysweep: error: {closed}: cannot open: Permission denied"
    ]


def test_a_missing_sweep_root_is_exit_2(tmp_path: Path) -> None:
    result = run("sweep", "--no-home", str(tmp_path / "gone"))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"keysweep: error: Invalid value for '[ROOTS]...': Path '{tmp_path / 'gone'}' does not "
        "exist. (see: keysweep sweep --help)"
    ]


def test_stdin_is_scanned_under_its_given_name(tmp_path: Path, rule_file: Path) -> None:
    secret = token()
    done = console(
        "scan", "-", "--stdin-name", "deploy/app.env", "--format", "json",
        *only_rules(rule_file), cwd=tmp_path, stdin=f"TOKEN={secret}\n".encode(),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    (finding,) = report["findings"]
    assert (finding["path"], finding["line"], finding["rule"]) == (
        "deploy/app.env",
        1,
        "test.kswtest-token",
    )
    assert report["summary"]["items_scanned"] == 1
    assert secret.encode() not in done.stdout + done.stderr


def test_stdin_that_is_clean_is_scanned_and_clean(tmp_path: Path, rule_file: Path) -> None:
    result = run("scan", "-", "--format", "json", *only_rules(rule_file), input=b"nothing\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["summary"]["items_scanned"] == 1


def _crash_the_rule_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    from scanner.engine import matcher

    def boom(self: object, data: bytes, paths: object) -> list[object]:
        raise RuntimeError("engine bug")

    monkeypatch.setattr(matcher.Engine, "find", boom)


def test_a_detector_that_raises_is_exit_3_after_the_report(
    tmp_path: Path, rule_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a.env").write_text(f"T={token()}\n")
    _crash_the_rule_engine(monkeypatch)
    out = tmp_path / "report.json"
    result = run(
        "scan", str(tmp_path / "tree"), *only_rules(rule_file), "--format", "json", "-o", str(out)
    )
    assert result.exit_code == 3, result.output
    report = json.loads(out.read_text())
    assert report["summary"]["internal_errors"] == 1
    (error,) = report["errors"]
    assert error["internal"] is True and error["level"] == "error"
    assert error["message"].startswith("rules detector failed: RuntimeError")
    assert "internal error on 1 item(s)" in result.stderr
    assert "--debug" in result.stderr


def test_a_sweep_with_an_internal_error_says_so_and_exits_3(
    tmp_path: Path, rule_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "tree").mkdir()
    (tmp_path / "tree" / "a.env").write_text(f"T={token()}\n")
    _crash_the_rule_engine(monkeypatch)
    result = run(
        "sweep", "--no-home", str(tmp_path / "tree"), *only_rules(rule_file), "--normal-priority"
    )
    assert result.exit_code == 3, result.output
    assert json.loads(result.stdout)["summary"]["internal_errors"] == 1


def test_debug_prints_the_traceback(
    tmp_path: Path, rule_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.pipeline

    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("stage bug")

    monkeypatch.setattr(scanner.pipeline, "scan", crash)
    plain = run("scan", str(tmp_path), *only_rules(rule_file))
    assert plain.exit_code == 3
    assert plain.stderr.splitlines() == [
        "keysweep: internal error: RuntimeError (run again with keysweep --debug, or "
        "KEYSWEEP_DEBUG=1, to see the traceback)"
    ]
    debug = run("--debug", "scan", str(tmp_path), *only_rules(rule_file))
    assert debug.exit_code == 3
    assert "Traceback (most recent call last" in debug.stderr and "<locals>.crash" in debug.stderr
    assert "stage bug" not in debug.stderr  # messages may quote scanned input: types only
    assert "KEYSWEEP_DEBUG" not in os.environ
    by_env = run("scan", str(tmp_path), *only_rules(rule_file), env={"KEYSWEEP_DEBUG": "1"})
    assert "Traceback (most recent call last" in by_env.stderr


# --- one verdict per secret -------------------------------------------------------


def test_detect_secrets_never_lowers_nor_renames_a_rule_finding(tmp_path: Path) -> None:
    (tmp_path / "creds").write_text(f"[default]\naws_secret_access_key = {aws_secret()}\n")
    base = ["scan", str(tmp_path), "--format", "json", "-j", "1", "--fail-on", "high"]
    plain = run(*base, "--detector", "rules")
    both = run(*base, "--detector", "rules", "--detector", "detect-secrets")
    assert plain.exit_code == both.exit_code == 1
    shown = [
        [(f["rule"], f["severity"], f["id"]) for f in json.loads(r.stdout)["findings"]]
        for r in (plain, both)
    ]
    assert shown[0] == shown[1]
    assert shown[1][0][:2] == ("cloud.aws-secret-access-key", "high")


def test_a_detect_secrets_token_never_replaces_a_rule_credential() -> None:
    """The case from the field: detect-secrets calls the bytes of a rule's HIGH
    credential a MEDIUM token (a higher kind); the rule's name and severity stay,
    and a higher severity from any detector is kept."""
    from scanner.findings import dedup_matches
    from scanner.model import Match, RuleKind, Severity

    secret = aws_secret().encode()
    ours = Match(
        "cloud.aws-secret-access-key", "AWS secret access key", RuleKind.CREDENTIAL,
        Severity.HIGH, "rules", 30, 70, 2, 25, 2, secret,
    )  # fmt: skip
    theirs = Match(
        "detect-secrets.aws-access-key", "AWS Access Key (detect-secrets)", RuleKind.TOKEN,
        Severity.MEDIUM, "detect-secrets", 28, 70, 2, 23, 2, b"= " + secret,
    )  # fmt: skip
    assert dedup_matches([theirs, ours]) == [ours]
    louder = Match(**{**ours.__dict__, "detector": "detect-secrets", "rule_id": "x.y"})
    louder = Match(**{**louder.__dict__, "severity": Severity.CRITICAL})
    (kept,) = dedup_matches([ours, louder])
    assert (kept.rule_id, kept.severity) == ("cloud.aws-secret-access-key", Severity.CRITICAL)
    other = aws_secret().encode()
    later = Match(**{**ours.__dict__, "start": 80, "end": 120, "column": 75, "secret": other})
    bridge = Match(**{**theirs.__dict__, "start": 40, "end": 100})
    assert dedup_matches([ours, later, bridge]) == [ours, later]  # never merges two secrets


def test_published_hooks_leave_fail_on_to_the_repository(
    make_repo: Any, rule_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooks = yaml.safe_load((PROJECT / ".pre-commit-hooks.yaml").read_text())
    assert all("--fail-on" not in hook["entry"] for hook in hooks)
    repo = make_repo()
    (repo / ".keysweep.yaml").write_text("fail_on: critical\n")
    (repo / "app.env").write_text(f"T={token()}\n")  # a high finding
    monkeypatch.chdir(repo)
    entry = next(h["entry"] for h in hooks if h["id"] == "keysweep").split()[1:]
    assert run(*entry, *only_rules(rule_file), "app.env").exit_code == 0
    assert run(*entry, *only_rules(rule_file), "--fail-on", "high", "app.env").exit_code == 1


# --- user mistakes: exit 2, one line naming the file ------------------------------


def test_output_into_a_missing_folder_is_refused_before_the_scan(
    tmp_path: Path, rule_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.pipeline

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the scan ran")

    monkeypatch.setattr(scanner.pipeline, "scan", must_not_run)
    target = tmp_path / "missing" / "report.json"
    for command in (["scan", str(tmp_path)], ["baseline", "create", str(tmp_path)]):
        result = run(*command, *only_rules(rule_file), "-o", str(target))
        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines() == [
            f"keysweep: error: {target}: cannot write the report: folder {target.parent} does not exist"
        ]


def test_an_unknown_detector_is_exit_2_naming_where(tmp_path: Path) -> None:
    config = tmp_path / ".keysweep.yaml"
    config.write_text("detectors: [rules, gitleaks]\n")
    result = run("scan", str(tmp_path))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"keysweep: error: {config}: at key 'detectors': unknown detector (entry 2; "
        "known: detect-secrets, python, rules)"
    ]
    config.unlink()
    result = run("scan", str(tmp_path), "--detector", "trufflehog")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "keysweep: error: --detector: unknown detector 'trufflehog' (known: detect-secrets, "
        "python, rules)"
    ]


def test_baseline_create_writes_the_baseline_the_config_names(
    tmp_path: Path, rule_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / ".keysweep.yaml").write_text("baseline: .keysweep-baseline.json\n")
    (tree / "a.env").write_text(f"T={token()}\n")
    monkeypatch.chdir(tree)
    assert run("scan", *only_rules(rule_file)).exit_code == 2  # named, not there yet
    created = run("baseline", "create", *only_rules(rule_file))
    assert created.exit_code == 0, created.output
    document = json.loads((tree / ".keysweep-baseline.json").read_text())
    assert [e["path"] for e in document["findings"]] == ["a.env"]
    assert run("scan", *only_rules(rule_file)).exit_code == 0
    (tree / "b.env").write_text(f"T={token()}\n")
    assert run("scan", *only_rules(rule_file)).exit_code == 1
    updated = run("baseline", "update", *only_rules(rule_file))
    assert updated.exit_code == 0, updated.output
    document = json.loads((tree / ".keysweep-baseline.json").read_text())
    assert sorted(e["path"] for e in document["findings"]) == ["a.env", "b.env"]
    assert run("scan", *only_rules(rule_file)).exit_code == 0


def _registry(path: Path, keys: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"schema": "keysweep/key-registry/v1", "keys": keys}))
    return path


def _key(ident: str, spki: str, state: str = "active", **extra: Any) -> dict[str, Any]:
    return {
        "id": ident,
        "kind": "asymmetric",
        "state": state,
        "fingerprints": {"spki_sha256": spki},
        **extra,
    }


def _spki(pem: bytes) -> str:
    import hashlib

    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(pem, password=None)
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def test_a_date_that_does_not_exist_is_exit_2_naming_the_key(tmp_path: Path) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text(
        "schema: keysweep/key-registry/v1\nkeys:\n  - id: signing-2025\n    kind: asymmetric\n"
        f"    state: active\n    fingerprints: {{spki_sha256: {'a' * 64}}}\n"
        "    dates: {activated: 2025-02-30}\n"
    )
    for source in (
        registry,
        _registry(
            tmp_path / "r.yaml", [_key("signing-2025", "a" * 64, dates={"activated": "2025-02-30"})]
        ),
    ):
        result = run("scan", str(tmp_path), "--registry", str(source))
        assert result.exit_code == 2, result.output
        assert result.stderr.splitlines() == [
            f"keysweep: error: {source}: keys[id=signing-2025].dates.activated: 2025-02-30 is "
            "not a date (YYYY-MM-DD)"
        ]


def test_registries_merge_and_duplicate_ids_name_both_files(tmp_path: Path, rsa_pem: bytes) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "signing.pem").write_bytes(rsa_pem)
    first = _registry(tmp_path / "team-a.yaml", [_key("other", "b" * 64)])
    second = _registry(
        tmp_path / "team-b.yaml",
        [_key("old-signing", _spki(rsa_pem), "deactivated", dates={"deactivated": "2024-01-31"})],
    )
    result = run(
        "scan", str(tree), "--registry", str(first), "--registry", str(second), "--format", "json"
    )
    assert result.exit_code == 1, result.output
    (finding,) = json.loads(result.stdout)["findings"]
    assert finding["registry"]["key_id"] == "old-signing"
    assert finding["registry"]["verdict"] == "retired-key-present"
    clash = _registry(tmp_path / "team-c.yaml", [_key("other", "c" * 64)])
    result = run("scan", str(tree), "--registry", str(first), "--registry", str(clash))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"keysweep: error: {clash}: keys[id=other]: duplicate id, also in {first}"
    ]
    within = _registry(tmp_path / "dup.yaml", [_key("k", "d" * 64), _key("k", "e" * 64)])
    result = run("scan", str(tree), "--registry", str(within))
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"keysweep: error: {within}: keys[id=k]: duplicate id (entries #1 and #2)"
    ]


GLOB_PROBLEMS = [
    ("exclude", "--exclude", "keys\\", "a glob cannot end in a backslash that escapes nothing"),
    ("allow_paths", "--allow-path", "[[:alfa:]].txt", "unknown character class"),
    ("exclude", "--exclude", "a\nb", "a glob cannot hold a line break"),
    (
        "exclude",
        "--exclude",
        "a**\\/b",
        "an escaped slash at the start, after ** or at the end is not supported",
    ),
    (
        "allow_paths",
        "--allow-path",
        "\\/**/",  # git names nothing: a path never starts with a slash
        "an escaped slash at the start, after ** or at the end is not supported",
    ),
    (  # plain characters only: refused where given, not when a path first comes
        "exclude",
        "--exclude",
        "a/b**/**/c",
        "a ** after a name's first text and before another ** is not supported",
    ),
    ("sweep_exclude", None, "!", "pathspec refuses it as a gitignore pattern"),
]
"""(config key, command-line option if there is one, glob, what is said of it)."""


@pytest.mark.parametrize(("key", "option", "glob", "problem"), GLOB_PROBLEMS)
def test_a_glob_pathspec_refuses_is_exit_2_naming_where(
    tmp_path: Path, key: str, option: str | None, glob: str, problem: str
) -> None:
    """A glob the user gave is the user's to fix: one line naming where it was,
    never an internal error when the first path is matched."""
    (tmp_path / "a.txt").write_text("nothing here\n")
    said = f"invalid glob (entry 2: {problem})"  # by number: a glob may hold a secret
    if option is not None:
        _refused_with(run("scan", str(tmp_path), option, "ok/**", option, glob), option, said)
    config = tmp_path / ".keysweep.yaml"
    config.write_text(f'{key}: ["ok/**", {json.dumps(glob)}]\n')
    _refused_with(run("scan", str(tmp_path)), f"{config}: at key {key!r}", said)


def _refused_with(result: Any, where: str, said: str) -> None:
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [f"keysweep: error: {where}: {said}"]
