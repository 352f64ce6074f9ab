"""Every built-in rule tests itself: its examples match it and its negative
examples do not, through the real engine, in every lane available."""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path
from typing import cast

import pytest
from click.testing import CliRunner

from scanner.cli import cli
from scanner.engine.matcher import Engine
from scanner.engine.ruleset import builtin_rules_dir, load_paths
from scanner.engine.selfcheck import check_rule, engines
from scanner.model import Rule, RuleKind

RULES = load_paths([builtin_rules_dir()]) if builtin_rules_dir().is_dir() else []


def test_the_built_in_rules_are_there() -> None:
    """The tests below check every rule; with no rules they would check nothing."""
    assert builtin_rules_dir().is_dir(), f"{builtin_rules_dir()} is missing"
    assert len(RULES) >= 100, f"only {len(RULES)} built-in rules in {builtin_rules_dir()}"


@pytest.fixture(scope="module")
def lanes() -> list[Engine]:
    return engines(RULES)


@pytest.mark.parametrize("rule", RULES, ids=[r.id for r in RULES])
def test_rule_examples_behave(rule: Rule, lanes: list[Engine]) -> None:
    assert [str(f) for f in check_rule(rule, lanes)] == []


def test_rules_have_two_examples_each_way() -> None:
    thin = [r.id for r in RULES if len(r.examples) < 2 or len(r.negative_examples) < 2]
    assert thin == []


def _scan_tree(root: Path) -> list[dict[str, object]]:
    result = CliRunner().invoke(
        cli, ["scan", str(root), "--format", "json", "--detector", "rules", "--jobs", "1"]
    )
    assert result.exit_code in (0, 1), result.output[-2000:]
    found: list[dict[str, object]] = json.loads(result.stdout)["findings"]
    return found


def _write(root: Path, relative: str, text: str) -> None:
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text)


WITHHELD = (
    "-----BEGIN OPENSSH PRIVATE KEY-----\n(body withheld)\n-----END OPENSSH PRIVATE KEY-----\n"
)


def test_key_file_globs_never_fire_on_the_files_of_a_folder(tmp_path: Path) -> None:
    """A folder named like a key file (`identity/`, `id_rsa/`, `x.key/`) is not a key
    file, and neither is anything inside it; the key files themselves still are."""
    for name in ("identity/ci.js", "dist/identity/index.js", "id_rsa/README", "tls.key/notes.txt"):
        _write(tmp_path, name, "export const provider = () => null;\n")
    _write(tmp_path, "keys/identity", WITHHELD)
    _write(tmp_path, "identity/id_rsa", WITHHELD)
    found = [f for f in _scan_tree(tmp_path) if str(f["rule"]).startswith("keyfile.")]
    # The two key files hold the same bytes: one finding with both places.
    places = [p for f in found for p in cast(list[dict[str, str]], f["locations"])]
    paths = sorted(place["path"] for place in places)
    assert paths == ["identity/id_rsa", "keys/identity"]


def test_no_key_file_rule_matches_inside_a_folder_named_by_its_globs() -> None:
    """Every key-file glob, turned into a folder name, leaves that folder's files alone."""
    engine = engines([r for r in RULES if r.kind is RuleKind.KEY_FILE])[0]
    loud = []
    for rule in (r for r in RULES if r.kind is RuleKind.KEY_FILE):
        for glob in rule.path_include:
            folder = glob.removeprefix("**/").replace("**", "deep").replace("*", "app")
            if engine.find_key_files([f"src/{folder}/module.py"], b"print('hello')\n"):
                loud.append((rule.id, glob))
    assert loud == []


def test_terraform_state_without_a_secret_is_not_a_finding(tmp_path: Path) -> None:
    """State fixtures (no resources, empty or templated values) are quiet; a state that
    holds a database password is reported, once, at that value."""
    fixture = '{"version": 4, "terraform_version": "1.6.0", "serial": 7, "resources": []}\n'
    _write(tmp_path, "test/fixtures/empty.tfstate", fixture)
    _write(tmp_path, "test/fixtures/blank.tfstate.backup", '{"attributes": {"password": ""}}\n')
    password = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))
    state = {"version": 4, "resources": [{"instances": [{"attributes": {"password": password}}]}]}
    _write(tmp_path, "infra/terraform.tfstate", json.dumps(state, indent=2))
    found = [(f["rule"], f["path"]) for f in _scan_tree(tmp_path)]
    assert found == [("config.terraform-state-secret", "infra/terraform.tfstate")]


def test_lanes_agree_on_examples_reordered_and_upper_cased(lanes: list[Engine]) -> None:
    """Hyperscan and RE2 find the same spans when each rule's examples come in reverse
    order, after its negatives, and upper-cased (tests/engine/test_matcher.py covers
    the order of the files; Hyperscan once missed a case-insensitive alternation's
    second branch after a near miss of its first, so order matters)."""
    parts = []
    for rule in RULES:
        texts = [*rule.negative_examples, *reversed(rule.examples)]
        parts += [*texts, *(t.upper() for t in texts)]
    data = "\n\n".join(parts).encode("utf-8")
    found = [sorted((h.rule.id, h.start, h.end) for h in lane.find(data, None)) for lane in lanes]
    assert all(spans == found[0] for spans in found)
