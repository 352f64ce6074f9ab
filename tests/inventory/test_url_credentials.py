"""No command that opens a database shows a password or other credential given
in its URL, whether SQLAlchemy knows it as the password or libpq takes it as a
query parameter (`?password=…`, `?sslpassword=…`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from scanner.cli import cli
from scanner.inventory.db import safe_url

SECRET = "QueryPw-7f3a9c"


def _urls(folder: Path) -> list[str]:
    socket_dir = folder / "no-server-here"
    base = f"postgresql+psycopg://ops:{SECRET}@/inventory?host={socket_dir}"
    return [
        f"postgresql+psycopg:///inventory?host={socket_dir}&password={SECRET}",
        f"postgresql+psycopg:///inventory?host={socket_dir}&sslpassword={SECRET}&sslkey={SECRET}",
        f"postgresql+psycopg:///inventory?password=a&password={SECRET}&host={socket_dir}",
        f"postgresql+psycopg:///inventory?host={socket_dir}&Private_Token={SECRET}",
        base,
        f"postgresql+psycopg://ops:{SECRET}@[::1/inventory",
        f"postgresql+psycopg://ops:{SECRET}@localhost:port/inventory",
        f"nodriver://ops:{SECRET}@localhost/inventory",
    ]


COMMANDS = [
    ("repos", "list"),
    ("inventory", "summary"),
    ("server", "tokens"),
    ("server", "run", "--listen", "127.0.0.1:1"),  # the database fails before any bind
    ("worker", "--until-empty"),
]


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: "-".join(c[:2]))
def test_database_errors_never_show_credentials(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    monkeypatch.setenv("KEYSWEEP_CACHE_DIR", str(tmp_path / "cache"))
    for url in _urls(tmp_path):
        result = CliRunner().invoke(cli, [*command, "--db", url])
        assert result.exit_code == 2, (url, result.output)
        assert len(result.output.strip().splitlines()) == 1, result.output
        assert "database" in result.output, result.output  # failed on the URL, not before
        assert SECRET not in result.output, result.output


def test_safe_url_keeps_what_is_not_a_credential() -> None:
    shown = safe_url(f"postgresql+psycopg://ops:{SECRET}@db.test:5433/inv?sslmode=require")
    assert shown == "postgresql+psycopg://ops:***@db.test:5433/inv?sslmode=require"
    shown = safe_url(f"postgresql+psycopg:///inv?passfile={SECRET}&application_name=ks")
    assert "application_name=ks" in shown and SECRET not in shown
