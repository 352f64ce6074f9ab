"""The shared failed-attempt count survives a clock that steps back (NTP, or a
second server host whose clock is behind): a step back refills nothing and
drains nothing, so a client with attempts left is not locked out."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from scanner.inventory import migrate
from scanner.server import failures


def test_a_clock_stepping_back_locks_no_one_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'inventory.db'}")
    migrate.upgrade(engine)
    shared = failures.SharedFailures(lambda: Session(engine), per_minute=30)
    start = time.time()
    monkeypatch.setattr("scanner.server.failures.time.time", lambda: start)
    assert shared.record("203.0.113.7") == 0.0
    monkeypatch.setattr("scanner.server.failures.time.time", lambda: start - 600)
    assert shared.record("203.0.113.7") == 0.0  # 28 of 30 left
    assert shared.waiting("203.0.113.7") == 0.0
    monkeypatch.setattr("scanner.server.failures.time.time", lambda: start + 1)
    assert shared.waiting("203.0.113.7") == 0.0
    engine.dispose()
