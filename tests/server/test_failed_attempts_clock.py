"""The shared failed-attempt count survives a clock that steps back (NTP, or a
second server host whose clock is behind): a step back refills nothing and
drains nothing, so a client with attempts left is not locked out. And a token
found valid gives back the attempt it was charged, but never more than the
client's budget."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from scanner.inventory import migrate
from scanner.server import failures

SOURCE = "203.0.113.7"


def _take(session: Session, shared: failures.SharedFailures) -> float:
    with session.begin():
        return shared.take(session, SOURCE)


def test_a_clock_stepping_back_locks_no_one_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'inventory.db'}")
    migrate.upgrade(engine)
    shared = failures.SharedFailures(per_minute=30)
    start = time.time()
    with Session(engine) as session:
        monkeypatch.setattr("scanner.server.failures.time.time", lambda: start)
        assert _take(session, shared) == 29
        monkeypatch.setattr("scanner.server.failures.time.time", lambda: start - 600)
        assert _take(session, shared) == 28  # a step back drains nothing
        monkeypatch.setattr("scanner.server.failures.time.time", lambda: start + 1)
        assert _take(session, shared) == pytest.approx(27.5)  # one second refills half
    engine.dispose()


def test_attempts_run_out_and_a_valid_token_gives_its_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'inventory.db'}")
    migrate.upgrade(engine)
    shared = failures.SharedFailures(per_minute=3)
    start = time.time()
    monkeypatch.setattr("scanner.server.failures.time.time", lambda: start)
    with Session(engine) as session:
        with session.begin():  # a valid token: taken, then given back, never above 3
            assert shared.take(session, SOURCE) == 2
            shared.give_back(session, SOURCE)
            shared.give_back(session, SOURCE)
        assert [_take(session, shared) for _ in range(3)] == [2, 1, 0]
        assert shared.wait(0) == pytest.approx(20.0)  # one attempt refills in 20 s
        assert _take(session, shared) == -1  # refused, and one interval more to wait
        assert _take(session, shared) == -1  # never more than that
        assert shared.wait(-1) == pytest.approx(40.0)
    engine.dispose()
