"""A token lookup that fails in the database (here: a query the database
refuses) still costs the client its attempt: the lookup runs in a savepoint of
the transaction that spent the attempt, so its error undoes the lookup alone,
the spend is committed, and the error is raised again. Otherwise every request
that makes the lookup fail would be free, and never limited. On SQLite and on a
real PostgreSQL, with the server's own guard."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.applications import Starlette

from scanner.server.database import server_engine
from scanner.server.run import build_app
from scanner.server.tokens import Caller

SOURCE = "198.51.100.23"


@pytest.fixture
def app(db_url: str) -> Iterator[Starlette]:
    server_engine(db_url, pool_size=1).dispose()
    built: Starlette = build_app(
        {
            "db_url": db_url,
            "max_report_bytes": 1024,
            "rate": 6000,
            "failed_rate": 3,
            "webhooks": [],
            "webhook_secret": None,
            "secure_cookies": False,
            "session_key": os.urandom(32).hex(),
        }
    )
    yield built
    built.state.keysweep.store.engine.dispose()


def _failing(session: Session) -> Caller | None:
    session.execute(text("SELECT * FROM no_such_table_here"))
    return None


def test_a_lookup_that_fails_still_spends_the_attempt(app: Starlette) -> None:
    guard = app.state.keysweep.guard
    for _ in range(3):
        with pytest.raises(DBAPIError):
            guard._verified(SOURCE, _failing)
    caller, left = guard._verified(SOURCE, lambda session: None)
    assert caller is None and left < 0  # the three failures were counted
