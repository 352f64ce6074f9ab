from __future__ import annotations

from pathlib import Path

import pytest

from scanner.config import Config, find_config, load_config
from scanner.errors import ConfigError
from scanner.model import Severity


def test_no_config_file_gives_defaults(tmp_path: Path) -> None:
    config = load_config(None, tmp_path)
    assert config == Config(root=tmp_path)
    assert config.fail_on is Severity.MEDIUM


def test_yaml_config_is_read_and_paths_resolved(tmp_path: Path) -> None:
    (tmp_path / ".keysweep.yaml").write_text(
        "fail-on: high\nexclude: ['vendor/**']\nregistry: keys/registry.yaml\n"
        "allow_paths: [tests/fixtures/**]\njobs: 2\narchives: false\n"
    )
    config = load_config(None, tmp_path)
    assert config.fail_on is Severity.HIGH
    assert config.exclude == ("vendor/**",)
    assert config.registry == (tmp_path / "keys/registry.yaml").resolve()
    assert config.allow_paths == ("tests/fixtures/**",)
    assert config.jobs == 2
    assert config.archives is False


def test_pyproject_tool_table_is_found(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname="x"\n[tool.keysweep]\nfail_on = "low"\n'
    )
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"
    assert load_config(None, tmp_path).fail_on is Severity.LOW


def test_pyproject_without_table_is_ignored(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname="x"\n')
    assert find_config(tmp_path) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("colour: red\n", "unknown key (key 1; known: "),
        ("fail_on: sometimes\n", "unknown severity"),
        ("jobs: many\n", "at key 'jobs': expected a whole number"),
        ("exclude: 3\n", "expected a list of strings"),
        ("- just\n- a list\n", "must be a mapping"),
        ("a: [unclosed\n", "invalid YAML"),
    ],
)
def test_bad_config_names_file_and_problem(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / ".keysweep.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(None, tmp_path)
    message = str(caught.value)
    assert str(path) in message and words in message
    assert "\n" not in message


def test_overrides_extend_lists_and_keep_unset_values(tmp_path: Path) -> None:
    (tmp_path / ".keysweep.yaml").write_text("exclude: [a/**]\nfail_on: high\n")
    config = load_config(None, tmp_path).with_overrides(exclude=("b/**",), fail_on=None, jobs=None)
    assert config.exclude == ("a/**", "b/**")
    assert config.fail_on is Severity.HIGH


def test_an_invalid_allow_value_regex_is_a_config_error(tmp_path: Path) -> None:
    (tmp_path / ".keysweep.yaml").write_text("allow_values: ['(unclosed']\n")
    with pytest.raises(
        ConfigError, match=r"at key 'allow_values': invalid regex \(entry 1: missing \)\)$"
    ):
        load_config(None, tmp_path)


def test_a_pyproject_naming_keysweep_only_through_an_escape_is_found(tmp_path: Path) -> None:
    """TOML lets a quoted key spell `keysweep` with escapes; the quick look at the
    text before parsing must not miss it."""
    (tmp_path / "pyproject.toml").write_text('[tool."keysw\\u0065ep"]\nfail_on = "low"\n')
    assert find_config(tmp_path) == tmp_path / "pyproject.toml"
    assert load_config(None, tmp_path).fail_on is Severity.LOW


def test_a_broken_pyproject_that_may_hold_the_table_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.keysweep\nfail_on = "low"\n')
    with pytest.raises(ConfigError, match="invalid TOML"):
        find_config(tmp_path)


def test_a_pyproject_that_never_names_keysweep_is_not_parsed(tmp_path: Path) -> None:
    """Most Python projects have a pyproject.toml without keysweep's table: it is
    not parsed (tomllib is not even imported), and so not judged either."""
    import subprocess
    import sys

    (tmp_path / "pyproject.toml").write_text('[project]\nname = "x"\n[tool.black\n')
    code = (
        "import sys; from pathlib import Path; from scanner.config import find_config; "
        f"print(find_config(Path({str(tmp_path)!r})), 'tomllib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["None", "False"]
