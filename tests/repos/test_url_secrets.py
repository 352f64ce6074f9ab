"""A password in a clone URL, in any spelling, is refused by `repos add` with a
message that does not quote it, and never reaches the database or `repos list`."""

from __future__ import annotations

from pathlib import Path

import pytest

from scanner.urlshow import shown

from .conftest import keysweep

SECRET = "glpat-AbCdEfGh1234567890xy"


@pytest.mark.parametrize(
    "url",
    [
        f"deploy:{SECRET}@gitlab.example.com:grp/proj.git",
        f"deploy:{SECRET}@[::1]:grp/proj.git",
        f"deploy:{SECRET}%40more@gitlab.example.com:grp/proj.git",
        f"deploy:{SECRET}@more@gitlab.example.com:grp/proj.git",
        f"ssh://deploy:{SECRET}@gitlab.example.com/grp/proj.git",
        f"ssh://deploy:{SECRET}%40x@gitlab.example.com:2222/grp/proj.git",
        f"ssh://deploy:{SECRET}@[::1]:2222/grp/proj.git",
        f"https://deploy:{SECRET}@[::1]:8443/grp/proj.git",
        f"https://deploy:{SECRET}@[::1/grp/proj.git",
        f"https://{SECRET}:x-oauth@gitlab.example.com/grp/proj.git",
        f"oauth2:{SECRET}@https://gitlab.example.com/grp/proj.git",
        f"deploy:{SECRET}@gitlab.example.com:grp/x://proj.git",
        f"https://gitlab.example.com/grp/proj.git?private_token={SECRET}",
        f"https://gitlab.example.com/grp/proj.git?ref=main&Access-Key={SECRET}",
    ],
    ids=[
        "scp",
        "scp-ipv6",
        "scp-percent",
        "scp-at",
        "ssh",
        "ssh-percent",
        "ssh-ipv6",
        "https-ipv6",
        "https-broken-ipv6",
        "token-as-user",
        "userinfo-before-scheme",
        "scp-with-scheme-later",
        "query-token",
        "query-key",
    ],
)
def test_password_in_url_is_refused_and_never_listed(tmp_path: Path, url: str) -> None:
    db = f"sqlite:///{tmp_path / 'repos.db'}"
    code, output = keysweep("repos", "add", url, "--db", db)
    assert code == 2, output
    assert len(output.strip().splitlines()) == 1, output
    assert SECRET not in output
    code, output = keysweep("repos", "list", "--db", db)
    assert code == 0, output
    assert SECRET not in output


@pytest.mark.parametrize(
    ("url", "listed"),
    [
        ("git@gitlab.example.com:grp/proj.git", "git@gitlab.example.com:grp/proj.git"),
        ("ssh://git@[::1]:2222/grp/proj.git", "ssh://git@[::1]:2222/grp/proj.git"),
        (f"https://{SECRET}@gitlab.example.com/grp/proj.git", "https://gitlab.example.com/"),
    ],
    ids=["scp", "ssh-ipv6", "https-user-dropped"],
)
def test_accepted_urls_are_listed_without_user_secrets(
    tmp_path: Path, url: str, listed: str
) -> None:
    db = f"sqlite:///{tmp_path / 'repos.db'}"
    code, output = keysweep("repos", "add", url, "--db", db)
    assert code == 0, output
    code, output = keysweep("repos", "list", "--db", db)
    assert code == 0 and listed in output, output
    assert SECRET not in output


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"deploy:{SECRET}@gitlab.example.com:grp/proj.git", "gitlab.example.com:grp/proj.git"),
        (f"a:{SECRET}@b@[::1]:p", "[::1]:p"),
        (f"ssh://u:{SECRET}@[::1]:22/p?token={SECRET}", "ssh://[::1]:22/p"),
        (f"https://u:{SECRET}@[::1/p", "<URL>"),
    ],
)
def test_shown_never_keeps_user_information(text: str, expected: str) -> None:
    assert shown(text) == expected
