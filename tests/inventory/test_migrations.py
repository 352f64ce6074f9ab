"""The schema migrations on a real SQLite file: an inventory filled before secret
hashes were keyed loses its plain hashes and keeps its sightings."""

from __future__ import annotations

import hashlib
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text

from scanner.inventory import migrate

PLAIN = hashlib.sha256(b"Winter2024!").hexdigest()


def _at(engine_url: str, revision: str) -> None:
    engine = create_engine(engine_url)
    with engine.begin() as connection:
        config = Config()
        config.set_main_option("script_location", "scanner.inventory:migrations")
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    engine.dispose()


def test_plain_secret_hashes_are_gone_after_the_upgrade(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'inventory.db'}"
    _at(url, "0002_server")
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(text("INSERT INTO hosts VALUES (1, 'laptop-1', '2026-01-01', '2026-01-01')"))
        db.execute(
            text(
                "INSERT INTO key_sightings (id, host_id, scope, path, identity, severity, rule,"
                " first_seen, last_seen, first_report_id, last_report_id, key_id)"
                " VALUES (7, 1, 'sweep', '~/.env', :identity, 'high', 'generic.password',"
                " '2026-01-01', '2026-01-01', 'r1', 'r1', 'hmac-2019')"
            ),
            {"identity": f"secret_sha256:{PLAIN}"},
        )
        db.execute(
            text("INSERT INTO sighting_fingerprints VALUES (7, 'secret_sha256', :value)"),
            {"value": PLAIN},
        )
    migrate.upgrade(engine)
    with engine.connect() as db:
        identities = db.execute(text("SELECT identity, key_id FROM key_sightings")).all()
        prints = db.execute(text("SELECT kind FROM sighting_fingerprints")).all()
    engine.dispose()
    assert [tuple(row) for row in identities] == [("secret_removed:7", "hmac-2019")]
    assert prints == []
    assert PLAIN.encode() not in (tmp_path / "inventory.db").read_bytes()
