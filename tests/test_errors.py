"""Error words built from scanned input never carry that input."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import yaml

from scanner.config import Config, load_config
from scanner.errors import ConfigError, safe_reason, yaml_problem
from scanner.keys import analyse_material
from scanner.model import Origin, ScanWarning

SECRET = "ghp_" + "Zk3" * 12


@pytest.mark.parametrize(
    "exc",
    [
        ValueError(f"invalid literal for int() with base 10: '{SECRET}'"),
        KeyError(SECRET),
        UnicodeDecodeError("utf-8", SECRET.encode() + b"\xff", 40, 41, "invalid start byte"),
        SyntaxError(f"unknown encoding: {SECRET}"),
        RuntimeError(SECRET),
    ],
)
def test_exceptions_that_can_quote_input_are_named_by_type_only(exc: Exception) -> None:
    assert safe_reason(exc) == type(exc).__name__


def test_exceptions_that_describe_damage_keep_their_words() -> None:
    assert safe_reason(zipfile.BadZipFile("File is not a zip file")) == "File is not a zip file"
    assert safe_reason(OSError(13, "Permission denied")) == "Permission denied"
    assert safe_reason(EOFError("Compressed file ended")) == "Compressed file ended"


def test_yaml_errors_give_position_not_the_line(tmp_path: Path) -> None:
    text = f'passphrases:\n  - "{SECRET}\n'
    with pytest.raises(yaml.YAMLError) as caught:
        yaml.safe_load(text)
    assert SECRET not in yaml_problem(caught.value)
    (tmp_path / ".keysweep.yaml").write_text(text)
    with pytest.raises(ConfigError) as config_error:
        load_config(None, tmp_path)
    assert "invalid YAML" in str(config_error.value) and "line" in str(config_error.value)
    assert SECRET not in str(config_error.value)


def test_a_damaged_putty_key_note_does_not_quote_the_key() -> None:
    body = "AAAAB3NzaC1yc2E" + SECRET
    ppk = (
        "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: x\n"
        f"Public-Lines: 1\n{body}\nPrivate-Lines: 1 {body}\n"
    )
    (info,) = analyse_material(ppk.encode(), origin=Origin(path="k.ppk"), passphrases=())
    assert not info.parsed
    assert SECRET not in (info.note or "")


def test_a_coding_comment_is_not_echoed_by_the_python_detector() -> None:
    from scanner.detectors.python_cst import PythonDetector

    data = f"# api_token_encoding: {SECRET}\npassword = 'Vq7!mZp2#Lr9x'\n".encode()
    found = PythonDetector(Config(), ()).detect(Origin(path="a.py"), data)
    warnings = [f for f in found if isinstance(f, ScanWarning)]
    assert warnings and all(SECRET not in w.message for w in warnings)
