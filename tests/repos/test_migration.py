"""Revision 0004 on a real SQLite file: an inventory made by `keysweep inventory`
(before migrations) gains the repository tables and keeps its sightings, and
`inventory where` works on it before and after."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, inspect, text

from scanner.inventory import migrate
from scanner.inventory.db import open_engine

from .conftest import keysweep

REPOSITORY_TABLES = {"repositories", "repository_refs", "repository_scans", "sighting_commits"}


def test_an_old_inventory_is_upgraded_to_the_repository_tables(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'inventory.db'}"
    open_engine(url).dispose()  # what `keysweep inventory` makes: four tables, no version
    assert keysweep("inventory", "where", "key-x", "--db", url) == (0, "no host holds key-x\n")
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(text("INSERT INTO hosts VALUES (1, 'laptop-1', '2026-01-01', '2026-01-01')"))
    migrate.upgrade(engine)
    names = set(inspect(engine).get_table_names())
    with engine.connect() as db:
        version = db.scalar(text("SELECT version_num FROM alembic_version"))
        hosts = db.scalar(text("SELECT count(*) FROM hosts"))
    engine.dispose()
    assert names >= REPOSITORY_TABLES
    assert (version, hosts) == ("0008_dashboard_sessions", 1)  # the newest revision
    assert keysweep("inventory", "where", "key-x", "--db", url) == (0, "no host holds key-x\n")


def test_a_repository_host_named_after_a_url_with_a_password_is_renamed(tmp_path: Path) -> None:
    """A host written by a version that accepted `user:password@host:path` keeps
    no trace of the password after the upgrade; an ordinary repository host and
    a machine keep their names."""
    url = f"sqlite:///{tmp_path / 'inventory.db'}"
    open_engine(url).dispose()
    password = "Zq8" + "vRt2mKx9"
    names = [
        f"repo:deploy:{password}@git.example.test:team/app.git",
        "repo:https://git.example.test/team/app.git",
        "laptop-1",
    ]
    engine = create_engine(url)
    with engine.begin() as db:
        for number, name in enumerate(names, 1):
            db.execute(
                text("INSERT INTO hosts VALUES (:id, :name, '2026-01-01', '2026-01-01')"),
                {"id": number, "name": name},
            )
    migrate.upgrade(engine)
    with engine.connect() as db:
        stored = [row[0] for row in db.execute(text("SELECT name FROM hosts ORDER BY id"))]
    engine.dispose()
    assert password not in " ".join(stored)
    assert stored[0].startswith("repo:sha256:")
    assert stored[1:] == names[1:]


def _at_head(url: str) -> tuple[Engine, Config]:
    engine = create_engine(url)
    migrate.upgrade(engine)
    config = Config()
    config.set_main_option("script_location", "scanner.inventory:migrations")
    return engine, config


def _downgrade(engine: Engine, config: Config) -> None:
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0006_repository_hosts")


def _columns(engine: Engine) -> set[str]:
    return {column["name"] for column in inspect(engine).get_columns("repositories")}


def test_downgrading_past_removed_at_is_refused_while_a_repository_is_removed(
    tmp_path: Path,
) -> None:
    """Without the column a removed repository would be listed and scanned again:
    the downgrade refuses and changes nothing; once no row is marked removed, it runs."""
    engine, config = _at_head(f"sqlite:///{tmp_path / 'inventory.db'}")
    with engine.begin() as db:
        for number, removed in ((1, "'2026-01-02'"), (2, "NULL")):
            db.execute(
                text(
                    "INSERT INTO repositories "
                    "(id, url, name, origin, archived, fork, added_at, removed_at) "
                    f"VALUES ({number}, 'https://git.example.test/{number}.git', "
                    f"'r{number}', 'manual', 0, 0, '2026-01-01', {removed})"
                )
            )
    with pytest.raises(RuntimeError, match="1 repositories are marked removed"):
        _downgrade(engine, config)
    assert "removed_at" in _columns(engine)
    with engine.begin() as db:
        db.execute(text("DELETE FROM repositories WHERE removed_at IS NOT NULL"))
    _downgrade(engine, config)
    assert "removed_at" not in _columns(engine)
    engine.dispose()
