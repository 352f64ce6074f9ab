"""Settings declared once: what a file may say for each `Config` field, how an
override is checked and which limits a repository may only lower all follow from
the dataclass, and docs/configuration.md documents every field."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from scanner.config import Config, file_settings, load_config
from scanner.configfields import limit_fields
from scanner.errors import ConfigError
from scanner.model import Severity

DOC = Path(__file__).resolve().parent.parent / "docs" / "configuration.md"
FIELDS = [f.name for f in dataclasses.fields(Config)]


def documented() -> set[str]:
    """Names in the first column of the page's tables."""
    return set(re.findall(r"^\| `([a-z_]+)`", DOC.read_text(encoding="utf-8"), re.M))


@pytest.mark.parametrize("name", FIELDS)
def test_every_setting_is_documented(name: str) -> None:
    assert name in documented(), f"docs/configuration.md has no row for {name}"


def test_the_page_documents_no_setting_that_does_not_exist() -> None:
    assert documented() <= set(FIELDS)


def test_the_limits_listed_on_the_page_are_the_limit_fields() -> None:
    text = DOC.read_text(encoding="utf-8").split("may lower these limits", 1)[1].split("\n")[0]
    assert re.findall(r"`([a-z_]+)`", text)[: len(limit_fields(Config))] == list(
        limit_fields(Config)
    )


def test_file_keys_are_the_fields_a_file_may_set() -> None:
    assert set(file_settings()) == set(FIELDS) - {
        "root",
        "more_registries",
        "source_file",
        "progress",
        "cache_dir",
        "loosened",
    }


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("item_max_seconds", "0", "expected a number > 0"),
        ("unscanned_severity", "loud", "unknown severity"),
        ("hash_key_file", "[a, b]", "expected a path"),
        ("disabled_rules", "{a: 1}", "expected a list of strings"),
        ("low_priority", "yes please", "expected true or false"),
        ("cache_dir", "/tmp/elsewhere", "unknown key (key 1; "),
    ],
)
def test_a_value_of_the_wrong_kind_names_the_file_and_key(
    tmp_path: Path, key: str, value: str, words: str
) -> None:
    path = tmp_path / ".keysweep.yaml"
    path.write_text(f"{key}: {value}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path, tmp_path)
    assert str(path) in str(caught.value) and words in str(caught.value)


def test_every_file_key_reads_its_default_back(tmp_path: Path) -> None:
    """Each file key accepts its own default written as YAML: one default per setting."""
    import yaml

    defaults = Config(root=tmp_path)
    plain = {k: _plain(getattr(defaults, k)) for k in file_settings()}
    plain = {k: v for k, v in plain.items() if v is not None and v != []}
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(plain))
    loaded = load_config(tmp_path / "c.yaml", tmp_path)
    assert dataclasses.replace(loaded, source_file=None) == defaults


def _plain(value: object) -> object:
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Severity):
        return value.label
    if isinstance(value, Path):
        return str(value)
    return value


def test_overrides_are_checked_against_the_field_type() -> None:
    config = Config().with_overrides(max_seconds=5, registry="keys.yaml", exclude=["a/**"])
    assert config.max_seconds == 5.0 and isinstance(config.max_seconds, float)
    assert config.registry == Path("keys.yaml") and config.exclude == ("a/**",)
    with pytest.raises(TypeError, match=r"Config\.jobs: expected int, got str"):
        Config().with_overrides(jobs="4")
    with pytest.raises(TypeError, match=r"Config\.archives: expected bool"):
        Config().with_overrides(archives=1)
    with pytest.raises(TypeError, match=r"Config\.max_file_size: expected int, got bool"):
        Config().with_overrides(max_file_size=True)
    with pytest.raises(TypeError, match=r"Config\.exclude: expected a sequence"):
        Config().with_overrides(exclude="a/**")
    with pytest.raises(TypeError, match="no setting 'colour'"):
        Config().with_overrides(colour="red")


def test_merged_lists_extend_and_others_replace() -> None:
    base = Config(exclude=("a/**",), allow_values=("x",), detectors=("rules",))
    changed = base.with_overrides(exclude=("b/**",), allow_values=("y",), detectors=("python",))
    assert changed.exclude == ("a/**", "b/**") and changed.allow_values == ("x", "y")
    assert changed.detectors == ("python",)


def test_the_cache_folder_defaults_to_keysweep_cache_dir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KEYSWEEP_CACHE_DIR", str(tmp_path))
    assert Config().cache_dir == tmp_path
    monkeypatch.setenv("KEYSWEEP_CACHE_DIR", "")
    assert Config().cache_dir is None
    monkeypatch.delenv("KEYSWEEP_CACHE_DIR")
    assert Config().cache_dir is None
