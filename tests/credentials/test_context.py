"""Finding context (production, test, fixture, vendored, docs, example) and the
gate that by default fails only on production findings and registry verdicts."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support import checksummed

from scanner.cli import cli
from scanner.context import context_of

Scan = Callable[..., tuple[int, list[dict[str, Any]], dict[str, Any]]]
Put = Callable[[str, str], Path]
EXAMPLES = Path(__file__).resolve().parent.parent.parent / "examples"


@pytest.mark.parametrize(
    ("path", "context"),
    [
        ("services/api/config.py", "production"),
        ("deploy/.env", "production"),
        ("pkg/client/client_test.go", "test"),
        ("tests/unit/test_api.py", "test"),
        ("src/__tests__/api.test.ts", "test"),
        ("internal/testdata/creds.json", "fixture"),
        ("spec/fixtures/token.yml", "fixture"),
        ("vendor/github.com/x/y/conf.go", "vendored"),
        ("web/node_modules/lib/index.js", "vendored"),
        ("third_party/lib/settings.ini", "vendored"),
        ("docs/setup/guide.html", "docs"),
        ("README.md", "docs"),
        ("examples/quickstart/app.py", "example"),
        (".env.example", "example"),
        ("bundle.zip!tests/conf.yml", "test"),
    ],
)
def test_context_comes_from_the_path(path: str, context: str) -> None:
    assert context_of(path) == context


def test_only_production_findings_fail_the_gate_by_default(
    tree: Path, put: Put, scan: Scan
) -> None:
    for place in ("tests/test_client.py", "docs/setup.md", "vendor/lib/conf.py"):
        put(place, f"TOKEN = '{checksummed('ghp_')}'\n")
    code, findings, _ = scan()
    assert code == 0
    assert sorted(f["context"] for f in findings) == ["docs", "test", "vendored"]
    assert scan("--fail-on-context", "test")[0] == 1
    assert scan("--fail-on-context", "all")[0] == 1
    put("app/settings.py", f"TOKEN = '{checksummed('ghp_')}'\n")
    code, findings, _ = scan()
    assert code == 1 and "production" in {f["context"] for f in findings}


def test_the_config_file_selects_contexts(tree: Path, put: Put, scan: Scan) -> None:
    put("tests/test_client.py", f"TOKEN = '{checksummed('ghp_')}'\n")
    put(".keysweep.yaml", "fail_on_context: [production, test]\n")
    assert scan()[0] == 1
    put(".keysweep.yaml", "fail_on_context: [nowhere]\n")
    result = CliRunner().invoke(cli, ["scan", str(tree)])
    assert result.exit_code == 2
    assert "fail_on_context" in result.stderr and "unknown context" in result.stderr


def test_a_registry_verdict_fails_the_gate_in_any_context(tree: Path, put: Put, scan: Scan) -> None:
    retired = EXAMPLES / "workstation/home/dev/old-projects/auth-service/keys/signing-2019.pem"
    shutil.copy(retired, tree / "key.pem")
    (tree / "tests" / "fixtures").mkdir(parents=True)
    shutil.move(tree / "key.pem", tree / "tests" / "fixtures" / "key.pem")
    code, findings, _ = scan("--registry", str(EXAMPLES / "registry.yaml"))
    assert code == 1
    assert findings[0]["context"] == "fixture"
    assert findings[0]["registry"]["verdict"] == "retired-key-present"
