"""Fixtures for the rule engine tests: rule files written in tmp_path, real keys."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from support import rsa_pem

RULES_YAML = (Path(__file__).parent / "sample_rules.yaml").read_text(encoding="utf-8")


@pytest.fixture
def write_rules(tmp_path: Path) -> Callable[[str, str], Path]:
    """write_rules(text, name='rules.yaml') → the path of a rule file in tmp_path."""

    def _write(text: str, name: str = "rules.yaml") -> Path:
        folder = tmp_path / "rule-files"
        folder.mkdir(exist_ok=True)
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def sample_rules_file(write_rules: Callable[[str, str], Path]) -> Path:
    return write_rules(RULES_YAML, "sample.yaml")


@pytest.fixture(scope="session")
def rsa4096_pem() -> bytes:
    """A 4096-bit RSA private key, PKCS#1 PEM, generated for this session."""
    return rsa_pem(4096)
