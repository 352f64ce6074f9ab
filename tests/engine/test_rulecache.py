"""The validated-rules cache: same rules as a fresh load, never believed when in doubt."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from scanner.config import Config
from scanner.engine.ruleset import load_rules


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("KEYSWEEP_CACHE_DIR", str(folder))
    return folder


def fresh(monkeypatch: pytest.MonkeyPatch, config: Config) -> tuple[object, ...]:
    with monkeypatch.context() as patch:
        patch.setenv("KEYSWEEP_CACHE_DIR", "")
        return load_rules(config)


def test_cached_rules_equal_a_fresh_load(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = Config()
    first = load_rules(config)
    (stored,) = cache.glob("rules-*.json")
    assert oct(stored.stat().st_mode & 0o777) == "0o600"
    assert load_rules(config) == first == fresh(monkeypatch, config)


def test_a_changed_rule_file_is_loaded_again(
    cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    rule = folder / "mine.yaml"
    text = (
        "rules:\n  - id: mine.one\n    name: One\n    kind: token\n    severity: low\n"
        "    pattern: '(?P<secret>one_[a-z]{8})'\n    examples: ['one_abcdefgh']\n"
    )
    rule.write_text(text)
    config = Config(builtin_rules=False, rules_dirs=(folder,))
    assert [r.id for r in load_rules(config)] == ["mine.one"]
    rule.write_text(text.replace("mine.one", "mine.two"))
    assert [r.id for r in load_rules(config)] == ["mine.two"]


@pytest.mark.parametrize("damage", ["fewer-rules", "private-but-others-write", "truncated"])
def test_a_tampered_cache_is_not_believed(
    cache: Path, monkeypatch: pytest.MonkeyPatch, damage: str
) -> None:
    config = Config()
    expected = load_rules(config)
    (stored,) = cache.glob("rules-*.json")
    header_text, body = stored.read_bytes().split(b"\n", 1)
    header = json.loads(header_text)
    document = json.loads(body)
    cut = json.dumps({**document, "rules": document["rules"][:3]}).encode()
    if damage == "fewer-rules":  # a body cut short, its own hash left as it was
        stored.write_bytes(header_text + b"\n" + cut)
    elif damage == "private-but-others-write":
        header["sha256"] = hashlib.sha256(cut).hexdigest()
        stored.write_bytes(json.dumps(header).encode() + b"\n" + cut)
        stored.chmod(0o662)
    else:
        stored.write_bytes(header_text + b"\n" + body[: len(body) // 2])
    assert load_rules(config) == expected
