"""A password in a clone URL, in any spelling, is refused by `repos add` with a
message that does not quote it, and never reaches the database or `repos list`."""

from __future__ import annotations

import json
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


# --- rows stored before their form was refused ------------------------------------

LEGACY = [
    f"deploy:{SECRET}@gitlab.example.com:grp/legacy.git",
    f"deploy:{SECRET}@gitlab.example.com:legacy.git",
    f"https://gitlab.example.com/grp/legacy.git?private_token={SECRET}",
]


def _stored_before(db: str, url: str) -> None:
    """A clean repository and one row with `url`, written as a version that let the
    form through stored it (named as it named it, with no policy check)."""
    from sqlalchemy.orm import Session

    from scanner.repos import open_database, store
    from scanner.repos.urls import repo_name

    code, output = keysweep("repos", "add", "git@gitlab.example.com:grp/clean.git", "--db", db)
    assert code == 0, output
    engine = open_database(db)
    with Session(engine) as session, session.begin():
        assert store.add(session, [store.NewRepository(url, repo_name(url), "cli")])
    engine.dispose()


@pytest.mark.parametrize("url", LEGACY, ids=["scp", "scp-no-folder", "query-token"])
def test_a_stored_row_with_a_password_is_listed_masked(tmp_path: Path, url: str) -> None:
    db = f"sqlite:///{tmp_path / 'repos.db'}"
    _stored_before(db, url)
    code, output = keysweep("repos", "list", "--db", db)
    assert code == 0, output
    assert SECRET not in output
    (line,) = [row for row in output.splitlines() if "refused" in row]
    assert line.startswith("2  ") and "gitlab.example.com" in line
    assert "clean.git" in output  # the other rows are listed as they are
    code, output = keysweep("repos", "list", "--db", db, "--format", "json")
    assert code == 0 and SECRET not in output, output
    rows = {row["id"]: row for row in json.loads(output)}
    assert rows[2]["refused"].startswith("repository 2: stored clone URL refused")
    assert rows[1]["refused"] is None


@pytest.mark.parametrize("url", LEGACY, ids=["scp", "scp-no-folder", "query-token"])
def test_scanning_a_stored_row_with_a_password_is_refused_in_one_line(
    tmp_path: Path, url: str
) -> None:
    db = f"sqlite:///{tmp_path / 'repos.db'}"
    _stored_before(db, url)
    code, output = keysweep("repos", "scan", "2", "--db", db)
    assert code == 2, output
    assert SECRET not in output
    (line,) = output.strip().splitlines()
    assert line.startswith("keysweep: error: repository 2: stored clone URL refused: ")


@pytest.mark.postgres
def test_scan_all_skips_a_stored_row_with_a_password(pg_db: str) -> None:
    _stored_before(pg_db, LEGACY[0])
    code, output = keysweep("repos", "scan", "--all", "--db", pg_db)
    assert code == 0, output
    assert SECRET not in output
    warning, enqueued = output.strip().splitlines()
    assert warning.startswith("keysweep: warning: repository 2: stored clone URL refused")
    assert enqueued == "1 scans enqueued, 0 already waiting"


@pytest.mark.parametrize("url", LEGACY, ids=["scp", "scp-no-folder", "query-token"])
def test_a_refused_row_error_that_quotes_its_url_is_not_listed(tmp_path: Path, url: str) -> None:
    """A failed job's error of a row stored before its form was refused may quote
    the URL (git's own messages do): neither listing shows it."""
    from sqlalchemy import update
    from sqlalchemy.orm import Session

    from scanner.inventory.models import Repository
    from scanner.repos import open_database

    db = f"sqlite:///{tmp_path / 'repos.db'}"
    _stored_before(db, url)
    engine = open_database(db)
    with Session(engine) as session, session.begin():
        failed = f"fatal: could not read from '{url}'"
        session.execute(update(Repository).where(Repository.id == 2).values(last_error=failed))
    engine.dispose()
    for form in ("text", "json"):
        code, output = keysweep("repos", "list", "--db", db, "--format", form)
        assert code == 0 and SECRET not in output, output


@pytest.mark.parametrize("url", LEGACY, ids=["scp", "scp-no-folder", "query-token"])
def test_the_inventory_host_of_a_refused_url_is_named_by_its_hash(url: str) -> None:
    from scanner.repos.store import host_name

    assert SECRET not in host_name(url) and host_name(url).startswith("repo:sha256:")
    for clean in ("git@gitlab.example.com:grp/clean.git", "ssh://git@[::1]:2222/grp/clean.git"):
        assert host_name(clean) == "repo:" + clean


def test_the_inventory_host_of_a_url_with_a_token_as_user_is_named_by_its_hash() -> None:
    """Versions before https user names were dropped on adding stored them."""
    from scanner.repos.store import host_name

    assert host_name(f"https://{SECRET}@gitlab.example.com/grp/p.git").startswith("repo:sha256:")
