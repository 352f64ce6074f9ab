"""`--debug` shows where keysweep failed, never what it failed on: a bug met on
scanned bytes raises an exception whose message quotes them (`int()` does, and a
`KeyError` of a looked-up value), and the traceback printed for exit 3 lists
frames (file, line, function) and exception types only. Each test scans a real
file holding a fresh token and searches everything keysweep printed for it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from support import TOKEN_RULE, token

from scanner.cli import cli


def _tree(tmp_path: Path) -> tuple[Path, str]:
    secret = token()
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "app.env").write_text(f"DEPLOY_TOKEN={secret}\n")
    rules = tmp_path / "rules.yaml"
    rules.write_text(TOKEN_RULE)
    return tree, secret


def _scan(tmp_path: Path, tree: Path, *first: str) -> Result:
    rules = ["--no-builtin-rules", "--rules", str(tmp_path / "rules.yaml"), "-j", "1"]
    return CliRunner().invoke(cli, [*first, "scan", str(tree), *rules])


def _parse_as_number(data: bytes) -> int:
    """A bug on scanned bytes: int() quotes the value it cannot read, and the
    KeyError raised while handling that names the whole item."""
    try:
        return int(data.split(b"=", 1)[1])
    except ValueError:
        raise KeyError(data.decode())  # noqa: B904 (the context is the point)


def test_debug_on_an_item_error_prints_frames_not_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from scanner.engine import matcher

    def buggy_find(self: object, data: bytes, paths: object) -> list[object]:
        _parse_as_number(data)
        return []

    monkeypatch.setattr(matcher.Engine, "find", buggy_find)
    tree, secret = _tree(tmp_path)
    result = _scan(tmp_path, tree, "--debug")
    assert result.exit_code == 3, result.output
    printed = result.stdout + result.stderr
    assert secret not in printed and secret[8:20] not in printed
    assert "Traceback (most recent call last; frames only):" in result.stderr
    assert f'"{__file__}", line ' in result.stderr and "in _parse_as_number" in result.stderr
    assert "During handling of the above exception" in result.stderr
    assert "\nValueError\n" in result.stderr and "\nKeyError\n" in result.stderr


def test_debug_on_a_crash_prints_frames_not_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import scanner.pipeline

    tree, secret = _tree(tmp_path)

    def crash(*args: object, **kwargs: object) -> None:
        content = (tree / "app.env").read_bytes()
        raise RuntimeError(f"cannot merge {content!r}") from ValueError(content.decode())

    monkeypatch.setattr(scanner.pipeline, "scan", crash)
    result = _scan(tmp_path, tree, "--debug")
    assert result.exit_code == 3, result.output
    assert secret not in result.stdout + result.stderr
    assert "direct cause of the following exception" in result.stderr
    assert "<locals>.crash\n" in result.stderr
    assert result.stderr.rstrip().splitlines()[-1] == "keysweep: internal error: RuntimeError"
