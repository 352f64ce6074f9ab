"""Revision 0004 on a real SQLite file: an inventory made by `keysweep inventory`
(before migrations) gains the repository tables and keeps its sightings, and
`inventory where` works on it before and after."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import create_engine, inspect, text

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
    assert (version, hosts) == ("0005_failed_attempts", 1)  # the newest revision
    assert keysweep("inventory", "where", "key-x", "--db", url) == (0, "no host holds key-x\n")
