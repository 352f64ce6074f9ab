"""Placeholders and documentation values never become findings, whichever
detector saw them; a real value beside them still does."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from support import password as random_password

from scanner.placeholders import is_placeholder

Scan = Callable[..., tuple[int, list[dict[str, Any]], dict[str, Any]]]
Put = Callable[[str, str], Path]


@pytest.mark.parametrize(
    ("value", "before"),
    [
        (b"hunter2", b"password = "),
        (b"changeme123", b"DB_PASSWORD="),
        (b"qwertyuiop", b"secret: "),
        (b"987654321", b"pwd="),
        (b"abcabcabcabc", b"token = "),
        (b"db_password", b"DB_PASSWORD="),
        (b"API-KEY", b"api_key: "),
        (b"AKIAIOSFODNN7EXAMPLE", b"aws_access_key_id = "),
        (b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", b"aws_secret_access_key = "),
    ],
)
def test_placeholders(value: bytes, before: bytes) -> None:
    assert is_placeholder(value, before)


@pytest.mark.parametrize(
    "value",
    [
        rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+",  # h11's RFC 7230 token grammar, bound to `token`
        rb"[A-Fa-f0-9]{32}",
        rb"^ghp_[A-Za-z0-9]{36,}$",
        rb"[^a-z]*",
    ],
)
def test_a_regular_expression_of_a_token_is_no_secret(value: bytes) -> None:
    assert is_placeholder(value, b"token = ")


def test_brackets_without_a_repeated_range_are_not_taken_for_a_pattern() -> None:
    for value in (b"p[a-z]ss-Xk9#mQ2vLp", b"Xk9#[mQ2]+vLp-7", b"[a-b]c3F9#kq"):
        assert not is_placeholder(value, b"password = ")


def test_a_token_pattern_in_python_code_is_no_finding(put: Put, scan: Scan) -> None:
    put("src/grammar.py", 'token = r"[-!#$%&\'*+.^_`|~0-9a-zA-Z]+"\n')
    code, findings, _ = scan()
    assert (code, findings) == (0, [])


def test_real_looking_values_are_not_placeholders() -> None:
    for _ in range(20):
        assert not is_placeholder(secrets.token_urlsafe(18).encode(), b"password = ")
    assert not is_placeholder(b"Tr0ub4dor&3-horse", b"password = ")


def test_placeholders_in_config_files_are_no_findings(put: Put, scan: Scan) -> None:
    real = random_password(18)
    put(
        "deploy/app.env",
        "DB_PASSWORD=hunter2\n"
        "ADMIN_PASSWORD=admin_password\n"
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
        f"API_PASSWORD={real}\n",
    )
    code, findings, _ = scan()
    assert code == 1
    assert [f["line"] for f in findings] == [5]


def test_a_documentation_password_repeated_in_many_docs_is_no_finding(put: Put, scan: Scan) -> None:
    # Built to clear the password rule's entropy floor and every placeholder shape on
    # every run (random hex fell below the floor; distinct random characters still
    # form an `abcd` run now and then): see support.password.
    doc_value = "Kq7-" + random_password(12)
    for n in range(5):
        put(f"docs/api/endpoint{n}.md", f'Example:\n\n    password = "{doc_value}"\n')
    code, findings, summary = scan()
    assert findings == [] and code == 0
    assert summary["suppressed"]["placeholder"] >= 5
    # Copies of the same value in production files stay findings.
    for n in range(3):
        put(f"services/s{n}/settings.ini", f'password = "{doc_value}"\n')
    code, findings, _ = scan()
    assert code == 1
    # One secret, one finding: its places are the three production copies only.
    assert len(findings) == 1
    places = sorted(place["path"] for place in findings[0]["locations"])
    assert places == [f"services/s{n}/settings.ini" for n in range(3)]
