"""No format ever carries a secret in full, its SHA-1, or a key's public DER."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from scanner.report import REPORTERS, render

WINDOW = 10
"""No run of this many characters of a secret's body may appear in any output."""


def secret_bodies(secret: bytes) -> list[str]:
    """The secret without its PEM armour lines (public knowledge, shown in previews)."""
    text = secret.decode("ascii")
    lines = [line for line in text.splitlines() if not line.startswith("-----")]
    return ["".join(lines)] if lines != [text] else [text]


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
@pytest.mark.parametrize("color", [False, True])
def test_no_format_carries_a_secret(planted: Any, fmt: str, color: bool) -> None:
    output = render(planted.report, fmt, color=color)
    for secret in planted.secrets:
        assert secret.decode("ascii") not in output
        for body in secret_bodies(secret):
            windows = {body[i : i + WINDOW] for i in range(len(body) - WINDOW + 1)}
            leaked = [w for w in windows if w in output]
            assert not leaked, f"{fmt}: {len(leaked)} windows of a secret in the output"
    for finding in planted.report.findings:
        assert finding.secret.sha1 and finding.secret.sha1 not in output
        assert finding.secret.keyed_hash in output or fmt == "text"


@pytest.mark.parametrize("fmt", sorted(REPORTERS))
def test_no_format_carries_the_public_der(planted: Any, fmt: str) -> None:
    output = render(planted.report, fmt)
    der = planted.public_der
    for encoded in (der.hex(), base64.b64encode(der).decode(), base64.b64encode(der[:60]).decode()):
        assert encoded[:40] not in output
    assert "public_der" not in output
