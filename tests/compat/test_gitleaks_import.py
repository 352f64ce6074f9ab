"""`keysweep rules import-gitleaks`: a team's .gitleaks.toml becomes a rule file that
passes `rules check` and finds what the gitleaks rules found, and every part that
could not be converted is named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from compat.support import ALNUM, DATA, LOWER_DIGITS, keysweep, random_text, report
from support import git

from scanner.compat.gitleaks_regex import convert_pattern, path_globs, re2_problem


@pytest.fixture
def converted(tmp_path: Path) -> tuple[Path, str]:
    for name in ("team.gitleaks.toml", "base.gitleaks.toml"):
        shutil.copy(DATA / name, tmp_path / name)
    out = tmp_path / "rules.yaml"
    result = keysweep(
        "rules", "import-gitleaks", str(tmp_path / "team.gitleaks.toml"), "-o", str(out)
    )
    assert result.exit_code == 0, result.output
    return out, result.stderr


def test_output_passes_rules_check(converted: tuple[Path, str]) -> None:
    out, _ = converted
    result = keysweep("rules", "check", str(out))
    assert result.exit_code == 0, result.output
    assert "6 rules checked" in result.stderr


def test_what_could_not_be_converted_is_named(converted: tuple[Path, str]) -> None:
    _, notes = converted
    assert "gitleaks rule acme-widget-id: regex not converted: RE2 cannot compile it" in notes
    assert "acme-signing-key: allowlist regexes on the line not converted" in notes
    assert "global allowlist commits not converted" in notes
    assert "6 of 7 gitleaks rules converted" in notes


def test_converted_rules_find_what_gitleaks_would(
    converted: tuple[Path, str], make_repo: object, tmp_path: Path
) -> None:
    out, _ = converted
    repo = make_repo()  # type: ignore[operator]
    planted = _plant(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "settings")
    result = keysweep(
        "scan", str(repo), "--no-builtin-rules", "--rules", str(out), "--format", "json",
        "--no-git-history",
    )  # fmt: skip
    found = {(f["rule"], f["path"]) for f in report(result)["findings"]}
    assert found == planted
    assert result.exit_code == 1


def _plant(repo: Path) -> set[tuple[str, str]]:
    """Secrets the converted rules must find, and look-alikes their allowlists,
    paths, disabled rules and stopwords must leave alone."""
    token = "acme_live_" + random_text(LOWER_DIGITS, 32)
    password = random_text(ALNUM, 20)
    signing = random_text(ALNUM, 44)
    cloud = random_text(ALNUM, 34)
    deploy = f"orgdeploy-{random_text('ABCDEFGH12345', 8)}-{random_text('XYZ0123456789QW', 20)}"
    files = {
        "app/settings.py": f'API_TOKEN = "{token}"\ndb_password = "{password}"\n',
        "app/hooks.py": f'webhook_signing_key = "{signing}"\n',
        "infra/prod.tfvars": f'acme_cloud_secret = "{cloud}"\n',
        "infra/main.tf": f'acme_cloud_secret = "{cloud}"\n',  # path: only *.tfvars
        "deploy/ci.env": f"DEPLOY={deploy}\n",
        "tests/fixtures/settings.py": f'db_password = "{password}"\n',  # allowlisted path
        "docs/setup.md": "db_password = example-password-1234\n",  # stopword
        "vendor/lib/conf.py": f'TOKEN = "{token}"\n',  # global allowlist path
        "app/cookie.py": f"sess={random_text('0123456789abcdef', 16)}\n",  # disabled rule
        "app/example.py": f"TOKEN = 'acme_test_{'0' * 32}'\n",  # global allowlist regex
    }
    for name, text in files.items():
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text(text)
    (repo / "release.jks").write_bytes(b"\xfe\xed\xfe\xed" + bytes(60))
    return {
        ("gitleaks.acme-api-token", "app/settings.py"),
        ("gitleaks.acme-db-password", "app/settings.py"),
        ("gitleaks.acme-signing-key", "app/hooks.py"),
        ("gitleaks.acme-terraform-vars", "infra/prod.tfvars"),
        ("gitleaks.org-deploy-token", "deploy/ci.env"),
        ("gitleaks.java-keystore-file", "release.jks"),
    }


@pytest.mark.parametrize(
    ("regex", "group", "pattern"),
    [
        (r"\b(acme_[a-z]{8})\b", 0, r"\b(?P<secret>acme_[a-z]{8})\b"),
        (r"(?i)key=(x)(y)", 2, r"(?i)key=(?:x)(?P<secret>y)"),
        (r"(?i)tok_[a-z]{9}", 0, r"(?i)(?P<secret>tok_[a-z]{9})"),
        (r"k=([a-z]{8})|t_([a-z]{9})", 0, r"(?P<secret>k=(?:[a-z]{8})|t_(?:[a-z]{9}))"),
        (r"[(]x((?:a|b)c)", 0, r"[(]x(?P<secret>(?:a|b)c)"),
    ],
)
def test_secret_group(regex: str, group: int, pattern: str) -> None:
    assert convert_pattern(regex, group).pattern == pattern


def test_refused_patterns_say_why() -> None:
    assert "RE2 cannot compile" in convert_pattern(r"(?<!-)w_[0-9]{4}", 0).problem
    assert "secretGroup 3" in convert_pattern(r"(a)(b)", 3).problem


@pytest.mark.parametrize(
    ("regex", "globs"),
    [
        (r"\.pem$", ("*.pem",)),
        (r"(?i)\.(?:jks|keystore)$", ("*.jks", "*.keystore")),
        (r"(^|/)\.env$", ("/.env", ".env")),
        (r"^vendor/", ("/vendor/",)),
        (r"(?:^|/)node_modules(?:/.*)?$", ("/node_modules", "/node_modules/*", "node_modules",
                                           "**/node_modules/*")),
        (r"\.(?:jpe?g|[ot]tf)$", ("*.jpg", "*.jpeg", "*.[ot]tf")),
        (r"(?:^|/)[^/]+\.p12$", ("/*.p12", "*.p12")),
        (r"(?=x)\.pem$", None),
        (r"a+\d", ("*a*[0-9]*",)),
        (r"^(b|c){2}\.key$", ("/b*.key", "/c*.key")),
    ],
)  # fmt: skip
def test_path_globs(regex: str, globs: tuple[str, ...] | None) -> None:
    assert path_globs(regex) == globs


def test_a_pattern_re2_refuses_is_reported_without_quoting_it() -> None:
    # an allowlist regex may be a literal secret: the report names RE2's reason only
    literal = "ghp_" + "Q7x" * 12
    problem = re2_problem(f"(?<=token=){literal}")
    assert problem.startswith("RE2 cannot compile it (")
    assert literal[:12] not in problem
