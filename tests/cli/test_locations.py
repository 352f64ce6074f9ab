"""Every place a secret sits, relative to the repository: one finding per secret
with its locations, in every git mode and every report format."""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urljoin, urlparse

import pytest
from click.testing import CliRunner
from support import TOKEN_RULE, commit, git, token

from scanner.cli import cli

Places = list[tuple[str, bool | None]]


@pytest.fixture
def rules(tmp_path: Path) -> list[str]:
    path = tmp_path / "rules.yaml"
    path.write_text(TOKEN_RULE)
    return ["--no-builtin-rules", "--rules", str(path), "-j", "1"]


def scan_json(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    document: dict[str, Any] = json.loads(result.stdout)
    return document


def places(finding: dict[str, Any]) -> Places:
    return [(p["path"], p["at_head"]) for p in finding["locations"]]


@pytest.fixture
def moved(make_repo: Callable[..., Path]) -> tuple[Path, str, str]:
    """A key committed at src/settings.py, then deleted there and added at two new
    paths: (repository, first commit, second commit)."""
    repo = make_repo()
    commit(repo, {"README.md": "hello\n"}, "start")
    text = f"TOKEN = '{token()}'\n"
    first = commit(repo, {"src/settings.py": text})
    second = commit(repo, {"src/settings.py": None, "conf/a.env": text, "deploy/b.env": text})
    return repo, first, second


def test_full_history_reports_every_path_head_first(
    moved: tuple[Path, str, str], rules: list[str]
) -> None:
    repo, first, second = moved
    (finding,) = scan_json("git", str(repo), *rules)["findings"]
    assert places(finding) == [
        ("conf/a.env", True),
        ("deploy/b.env", True),
        ("src/settings.py", False),
    ]
    assert [p["commit"] for p in finding["locations"]] == [second, second, first]
    assert (finding["path"], finding["at_head"]) == ("conf/a.env", True)
    assert len({p["id"] for p in finding["locations"]}) == 3


@pytest.mark.parametrize(
    "mode",
    [
        lambda first, second: ["--since", first],
        lambda first, second: ["--range", f"{first}..{second}"],
        lambda first, second: ["--branch", "main"],
    ],
)
def test_every_git_mode_reports_every_path(
    moved: tuple[Path, str, str], rules: list[str], mode: Callable[[str, str], list[str]]
) -> None:
    repo, first, second = moved
    (finding,) = scan_json("git", str(repo), *rules, *mode(first, second))["findings"]
    assert places(finding)[:2] == [("conf/a.env", True), ("deploy/b.env", True)]


def test_staged_reports_every_path(make_repo: Callable[..., Path], rules: list[str]) -> None:
    repo = make_repo()
    text = f"TOKEN={token()}\n"
    for name in ("one.env", "sub/two.env"):
        (repo / name).parent.mkdir(exist_ok=True)
        (repo / name).write_text(text)
        git(repo, "add", name)
    (finding,) = scan_json("git", str(repo), "--staged", *rules)["findings"]
    assert places(finding) == [("one.env", None), ("sub/two.env", None)]


def test_a_full_history_baseline_holds_for_the_since_gate(
    moved: tuple[Path, str, str], rules: list[str], tmp_path: Path
) -> None:
    repo, first, _ = moved
    baseline = tmp_path / "baseline.json"
    made = CliRunner().invoke(
        cli, ["baseline", "create", str(repo), "--git", *rules, "-o", str(baseline)]
    )
    assert made.exit_code == 0, made.output
    entries = json.loads(baseline.read_text())["findings"]
    assert sorted(e["path"] for e in entries) == ["conf/a.env", "deploy/b.env", "src/settings.py"]
    gate = CliRunner().invoke(
        cli, ["git", str(repo), "--since", first, *rules, "--baseline", str(baseline)]
    )
    assert gate.exit_code == 0, gate.output


def test_a_baseline_suppresses_places_not_the_whole_finding(
    tmp_path: Path, rules: list[str], make_repo: Callable[..., Path]
) -> None:
    repo = make_repo()
    text = f"TOKEN={token()}\n"
    (repo / "old.env").write_text(text)
    baseline = tmp_path / "baseline.json"
    made = CliRunner().invoke(cli, ["baseline", "create", str(repo), *rules, "-o", str(baseline)])
    assert made.exit_code == 0, made.output
    (repo / "new.env").write_text(text)
    report = scan_json("scan", str(repo), *rules, "--baseline", str(baseline))
    (finding,) = report["findings"]
    assert places(finding) == [("new.env", None)]
    assert report["summary"]["suppressed"] == {"baseline": 1}


def test_two_roots_name_their_files_apart(tmp_path: Path, rules: list[str]) -> None:
    text = f"SECRET = '{token()}'\n"
    for name in ("a", "b"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "settings.py").write_text(text)
    result = CliRunner().invoke(cli, ["scan", str(tmp_path / "a"), str(tmp_path / "b"), *rules])
    assert result.exit_code == 1
    assert "a/settings.py:1:11" in result.stdout
    assert "also at b/settings.py:1:11" in result.stdout
    report = scan_json("scan", str(tmp_path / "a"), str(tmp_path / "b"), *rules)
    (finding,) = report["findings"]
    assert places(finding) == [("a/settings.py", None), ("b/settings.py", None)]
    (line,) = (
        CliRunner()
        .invoke(
            cli, ["scan", str(tmp_path / "a"), str(tmp_path / "b"), *rules, "--format", "jsonl"]
        )
        .stdout.splitlines()
    )
    assert len(json.loads(line)["locations"]) == 2


def test_paths_are_relative_to_the_repository_and_its_config_applies(
    make_repo: Callable[..., Path], rules: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = make_repo()
    (repo / ".keysweep.yaml").write_text(
        "allow_paths: ['tests/fixtures/**']\nexclude: ['tests/skip/**']\n"
    )
    (repo / "tests" / "skip").mkdir(parents=True)
    (repo / "tests" / "skip" / "big.env").write_text(f"T={token()}\n")
    (repo / "tests" / "fixtures").mkdir(parents=True)
    (repo / "tests" / "fixtures" / "sample.env").write_text(f"T={token()}\n")
    (repo / "tests" / "unit.env").write_text(f"T={token()}\n")
    monkeypatch.chdir(repo.parent)
    report = scan_json("scan", str(repo / "tests"), *rules)
    assert [f["path"] for f in report["findings"]] == ["tests/unit.env"]
    assert report["summary"]["suppressed"] == {"path": 1}
    assert report["summary"]["skipped"] == {"excluded": 1}
    assert report["summary"]["base"] == str(repo)


def test_sarif_resolves_from_the_repository_root_with_a_space(
    make_repo: Callable[..., Path], rules: list[str], rsa_pem: bytes
) -> None:
    repo = make_repo()
    folder = repo / "conf dir"
    folder.mkdir()
    secret = token()
    (folder / "settings.py").write_text(f"T = '{secret}'\n")
    (folder / "copy.py").write_text(f"T = '{secret}'\n")
    sarif = CliRunner().invoke(cli, ["scan", str(folder), *rules, "--format", "sarif"])
    assert sarif.exit_code == 1, sarif.output
    run = json.loads(sarif.stdout)["runs"][0]
    root = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
    assert unquote(urlparse(root).path) == f"{repo}/"
    (result,) = run["results"]
    uris = [loc["physicalLocation"]["artifactLocation"] for loc in result["locations"]]
    assert [u["uri"] for u in uris] == ["conf%20dir/copy.py", "conf%20dir/settings.py"]
    assert all(u["uriBaseId"] == "%SRCROOT%" for u in uris)
    for uri in uris:
        assert Path(unquote(urlparse(urljoin(root, uri["uri"])).path)).is_file()


def test_sarif_rule_severity_is_the_highest_of_its_results(tmp_path: Path, rsa_pem: bytes) -> None:
    (tmp_path / "good.pem").write_bytes(rsa_pem)
    lines = rsa_pem.decode().splitlines()
    noise = base64.b64encode(secrets.token_bytes(48 * (len(lines) - 2))).decode()
    damaged = [lines[0], *(noise[i : i + 64] for i in range(0, len(noise), 64)), lines[-1]]
    (tmp_path / "damaged.pem").write_text("\n".join(damaged) + "\n")
    report = scan_json("scan", str(tmp_path))
    severities = {f["path"]: (f["rule"], f["severity"]) for f in report["findings"]}
    rule = severities["good.pem"][0]
    assert severities["damaged.pem"] == (rule, "low")
    assert severities["good.pem"][1] in ("high", "critical")
    sarif = CliRunner().invoke(cli, ["scan", str(tmp_path), "--format", "sarif"])
    (descriptor,) = [
        r for r in json.loads(sarif.stdout)["runs"][0]["tool"]["driver"]["rules"] if r["id"] == rule
    ]
    assert descriptor["properties"]["severity"] == severities["good.pem"][1]
    assert float(descriptor["properties"]["security-severity"]) >= 8.0


def test_one_secret_on_two_lines_and_in_many_files(tmp_path: Path, rules: list[str]) -> None:
    secret = token()
    tmp_path = tmp_path / "tree"
    tmp_path.mkdir()
    (tmp_path / "twice.env").write_text(f"A={secret}\nB={secret}\n")
    for n in range(11):
        (tmp_path / f"copy{n:02}.env").write_text(f"T={secret}\n")
    (finding,) = scan_json("scan", str(tmp_path), *rules)["findings"]
    twice = [(p["line"], p["id"]) for p in finding["locations"] if p["path"] == "twice.env"]
    assert [line for line, _ in twice] == [1, 2] and twice[0][1] == twice[1][1]
    assert len(finding["locations"]) == 13
    text = CliRunner().invoke(cli, ["scan", str(tmp_path), *rules]).stdout
    assert text.count("also at ") == 10
    assert "… and 2 more places (all in --format json)" in text


def test_a_key_in_an_archive_at_two_paths_names_the_member_at_both(
    make_repo: Callable[..., Path], rsa_pem: bytes
) -> None:
    import io
    import zipfile

    repo = make_repo()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("keys/deploy.pem", rsa_pem)
    for name in ("one.zip", "two.zip"):
        (repo / name).write_bytes(buffer.getvalue())
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "archives")
    (finding,) = scan_json("git", str(repo))["findings"]
    assert [(p["path"], p["archive_member"]) for p in finding["locations"]] == [
        ("one.zip", "keys/deploy.pem"),
        ("two.zip", "keys/deploy.pem"),
    ]
