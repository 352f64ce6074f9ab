"""Loading and validating rule files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.config import Config
from scanner.engine.ruleset import builtin_rules_dir, load_paths, load_rules
from scanner.errors import RuleError
from scanner.model import RuleKind, Severity

WriteRules = Callable[..., Path]

GOOD = """
  - id: {id}
    name: Test token
    kind: token
    severity: high
    keywords: [tok_]
    pattern: '(?P<secret>tok_[a-z0-9]{{16}})'
    examples: ["tok_abcdefgh12345678"]
    negative_examples: ["tok_short"]
"""


def rules_text(*ids: str) -> str:
    return "rules:" + "".join(GOOD.format(id=i) for i in ids)


def test_loads_every_field(sample_rules_file: Path) -> None:
    rules = load_paths([sample_rules_file])
    by_id = {r.id: r for r in rules}
    password = by_id["test.password"]
    assert password.kind is RuleKind.CREDENTIAL
    assert password.severity is Severity.MEDIUM
    assert password.keywords == ("password", "passwd")
    assert password.entropy == 3.0
    assert password.path_exclude == ("**/*.md",)
    assert password.allow == ("(?i)example", r"^\$\{")
    assert password.source_file == str(sample_rules_file)
    assert by_id["test.ssh-key-file"].pattern is None
    assert by_id["test.npmrc"].path_include == ("**/.npmrc", ".npmrc")


def test_config_rules_dirs_and_disabled_rules(write_rules: WriteRules) -> None:
    path = write_rules(rules_text("a.one", "a.two", "b.three"))
    config = Config(rules_dirs=(path.parent,), builtin_rules=False, disabled_rules=("a.*",))
    assert [r.id for r in load_rules(config)] == ["b.three"]


def test_builtin_rules_are_found_from_the_source_tree() -> None:
    assert builtin_rules_dir() == Path(__file__).resolve().parents[2] / "rules"


def test_builtin_rules_can_be_turned_off(write_rules: WriteRules) -> None:
    path = write_rules(rules_text("only.mine"))
    rules = load_rules(Config(rules_dirs=(path,), builtin_rules=False))
    assert [r.id for r in rules] == ["only.mine"]


def test_duplicate_ids_across_files_are_an_error(write_rules: WriteRules) -> None:
    write_rules(rules_text("dup.id"), "a.yaml")
    second = write_rules(rules_text("dup.id"), "b.yml")
    with pytest.raises(RuleError) as caught:
        load_paths([second.parent])
    assert str(caught.value).startswith(f"{second}: rule 'dup.id': field 'id': duplicate")


def test_missing_rule_path_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(RuleError, match="no such rule file or folder"):
        load_rules(Config(rules_dirs=(tmp_path / "nope",), builtin_rules=False))


def test_invalid_yaml_names_the_file_on_one_line(write_rules: WriteRules) -> None:
    path = write_rules("rules: [\n  - id: x\n  bad", "broken.yaml")
    with pytest.raises(RuleError) as caught:
        load_paths([path])
    message = str(caught.value)
    assert message.startswith(f"{path}: invalid YAML")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (("kind: token", "kind: password"), "kind", "expected one of"),
        (("severity: high", "severity: urgent"), "severity", "unknown severity"),
        (("    keywords: [tok_]\n", "    keywords: tok_\n    colour: red\n"), "colour", "unknown"),
        (("(?P<secret>tok_", "(?P<token>tok_"), "pattern", "no named group 'secret'"),
        (("(?P<secret>tok_[a-z0-9]{{16}})", "(?P<secret>(tok_)"), "pattern", "RE2"),
        (("(?P<secret>tok_[a-z0-9]{{16}})", "(?P<secret>a*)"), "pattern", "empty string"),
        (("(?P<secret>tok_[a-z0-9]{{16}})", "(?P<secret>a)(?=b)"), "pattern", "RE2"),
        (
            ("    keywords: [tok_]\n", "    keywords: [tok_]\n    entropy: 9\n"),
            "entropy",
            "0 and 8",
        ),
        (("    keywords: [tok_]\n", "    keywords: [tok_]\n    allow: ['(']\n"), "allow", "RE2"),
        (("    keywords: [tok_]\n", "    keywords: [tok_]\n    paths: [x]\n"), "paths", "mapping"),
        (("    keywords: [tok_]\n", "    keywords: [1, 2]\n"), "keywords", "list of non-empty"),
        (
            ('    examples: ["tok_abcdefgh12345678"]\n', "    examples: {{a: 1}}\n"),
            "examples",
            "list",
        ),
        (("    name: Test token\n", ""), "name", "missing"),
    ],
)
def test_malformed_rule_names_file_rule_and_field(
    write_rules: WriteRules, change: tuple[str, str], field: str, problem: str
) -> None:
    text = GOOD.replace(*change).format(id="bad.rule")
    path = write_rules("rules:" + text, "bad.yaml")
    with pytest.raises(RuleError) as caught:
        load_paths([path])
    message = str(caught.value)
    assert message.startswith(f"{path}: rule 'bad.rule': field '{field}': "), message
    assert problem in message
    assert "\n" not in message


def test_rule_without_id_is_named_by_position(write_rules: WriteRules) -> None:
    path = write_rules(rules_text("ok.first") + "\n  - name: no id\n", "noid.yaml")
    with pytest.raises(RuleError, match=r"rule #2: field 'id': missing"):
        load_paths([path])


def test_key_file_rule_needs_path_globs(write_rules: WriteRules) -> None:
    text = "rules:\n  - {id: kf.x, name: Key file, kind: key-file, severity: high}\n"
    path = write_rules(text, "kf.yaml")
    with pytest.raises(RuleError, match=r"rule 'kf.x': field 'paths.include'"):
        load_paths([path])


def test_verbose_pattern_is_accepted(write_rules: WriteRules) -> None:
    text = GOOD.replace(
        "pattern: '(?P<secret>tok_[a-z0-9]{{16}})'",
        "pattern: |\n      (?x)\n      (?P<secret> tok_  # prefix\n        [a-z0-9]{{16}} )",
    )
    rules = load_paths([write_rules("rules:" + text.format(id="v.rule"))])
    assert rules[0].pattern is not None and rules[0].pattern.startswith("(?x)")


def test_empty_rule_file_gives_no_rules(write_rules: WriteRules) -> None:
    assert load_paths([write_rules("", "empty.yaml")]) == []
