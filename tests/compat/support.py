"""Helpers for the drop-in tests: the real CLI through Click, fresh random values."""

from __future__ import annotations

import json
import secrets
import string
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from scanner.cli import cli

DATA = Path(__file__).parent / "data"


def keysweep(*args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
    """Run keysweep in-process, as the console script would."""
    return CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)


def report(result: Result) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def random_text(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


LOWER_DIGITS = string.ascii_lowercase + string.digits
ALNUM = string.ascii_letters + string.digits
