"""Reports CI systems read natively: GitLab's secret-detection report, JUnit XML,
and GitHub Actions annotations in the text report. None of them holds a secret."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from compat.support import ALNUM, DATA, keysweep, random_text
from junitparser import Failure, JUnitXml
from support import git

from scanner.model import Report, ScanWarning
from scanner.report import render


@pytest.fixture
def leaked(make_repo: object, rsa_pem: bytes) -> tuple[Path, list[str]]:
    """A repository with a key and a credential committed, and their secrets."""
    repo: Path = make_repo()  # type: ignore[operator]
    secret = random_text(ALNUM, 40)
    (repo / "config").mkdir()
    (repo / "config" / "app, prod.py").write_text(f'AWS_SECRET_ACCESS_KEY = "{secret}"\n')
    (repo / "deploy.pem").write_bytes(rsa_pem)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "leak")
    body = rsa_pem.decode().splitlines()[1]
    return repo, [secret, body[:24], body[-24:]]


def _run(repo: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = keysweep("git", str(repo), *args, env=env)
    return result.exit_code, result.stdout


def test_gitlab_report_validates_and_names_commit_and_line(leaked: tuple[Path, list[str]]) -> None:
    repo, secrets = leaked
    code, out = _run(repo, "--format", "gitlab")
    assert code == 1
    document = json.loads(out)
    schema = json.loads((DATA / "gitlab-secret-detection-report.schema.json").read_text())
    jsonschema.validate(document, schema, format_checker=jsonschema.FormatChecker())
    head = git(repo, "rev-parse", "HEAD").strip()
    places = {
        (v["location"]["file"], v["location"]["start_line"]) for v in document["vulnerabilities"]
    }
    assert places == {("config/app, prod.py", 1), ("deploy.pem", 1)}
    assert {v["location"]["commit"]["sha"] for v in document["vulnerabilities"]} == {head}
    assert not any(s in out for s in secrets)


def test_gitlab_report_of_a_folder_scan_validates(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("x = 1\n")
    result = keysweep("scan", str(tmp_path), "--format", "gitlab", "-o", str(tmp_path / "gl.json"))
    assert result.exit_code == 0
    document = json.loads((tmp_path / "gl.json").read_text())
    schema = json.loads((DATA / "gitlab-secret-detection-report.schema.json").read_text())
    jsonschema.validate(document, schema)
    assert document["vulnerabilities"] == []


def test_junit_parses_with_a_junit_parser(leaked: tuple[Path, list[str]], tmp_path: Path) -> None:
    repo, secrets = leaked
    code, out = _run(repo, "--format", "junit")
    assert code == 1
    path = tmp_path / "keysweep.xml"
    path.write_text(out)
    xml = JUnitXml.fromfile(str(path))
    suite = next(iter(xml))
    assert (suite.tests, suite.failures, suite.errors) == (2, 2, 0)
    cases = {case.classname: case for case in suite}
    assert set(cases) == {"cloud.aws-secret-access-key", "key.rsa-pkcs1"}
    failure = cases["key.rsa-pkcs1"].result[0]
    assert isinstance(failure, Failure) and failure.type == "high"
    assert cases["key.rsa-pkcs1"].name == "deploy.pem:1"
    assert not any(s in out for s in secrets)


def test_junit_of_a_clean_scan_is_one_passing_case(tmp_path: Path) -> None:
    (tmp_path / "clean.py").write_text("x = 1\n")
    result = keysweep("scan", str(tmp_path), "--format", "junit", "-o", str(tmp_path / "j.xml"))
    assert result.exit_code == 0
    suite = next(iter(JUnitXml.fromfile(str(tmp_path / "j.xml"))))
    assert (suite.tests, suite.failures) == (1, 0)


@pytest.mark.parametrize(
    "report",
    [
        Report(findings=(), partial=True, partial_reason="time budget of 1 s reached"),
        Report(findings=(), warnings=(ScanWarning("a.py", "detector failed", internal=True),)),
    ],
    ids=["budget", "internal-error"],
)
def test_an_incomplete_scan_is_an_error_in_junit_and_a_failure_for_gitlab(
    report: Report, tmp_path: Path
) -> None:
    (tmp_path / "j.xml").write_text(render(report, "junit"))
    suite = next(iter(JUnitXml.fromfile(str(tmp_path / "j.xml"))))
    assert (suite.errors, suite.failures) == (1, 0)
    assert json.loads(render(report, "gitlab"))["scan"]["status"] == "failure"


def test_github_annotations_in_text_output(leaked: tuple[Path, list[str]]) -> None:
    repo, secrets = leaked
    code, out = _run(repo, "--no-color", env={"GITHUB_ACTIONS": "true"})
    assert code == 1
    commands = [line for line in out.splitlines() if line.startswith("::")]
    assert sorted(c.split(" ", 1)[0] for c in commands) == ["::error", "::error"]
    assert any(c.startswith("::error file=config/app%2C prod.py,line=1,title=") for c in commands)
    assert any(c.startswith("::error file=deploy.pem,line=1,") for c in commands)
    assert not any(s in out for s in secrets)
    _, plain = _run(repo, "--no-color", env={"GITHUB_ACTIONS": ""})
    assert "::error" not in plain
