"""Fixtures of the git source tests that read a history where it is scanned."""

from __future__ import annotations

from typing import Any

import pytest

from scanner import schedule
from scanner.sources import gitblobs


@pytest.fixture
def lazy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every history counts as large: its blobs are read where they are scanned."""
    monkeypatch.setattr(gitblobs, "ONE_PROCESS_BLOBS", 0)


@pytest.fixture
def pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a scan started a worker pool (the real one runs)."""
    started: list[int] = []
    real = schedule._run_pool

    def counted(*args: Any) -> str | None:
        started.append(1)
        return real(*args)

    monkeypatch.setattr(schedule, "_run_pool", counted)
    return started
