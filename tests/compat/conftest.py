"""Every drop-in test builds its rule caches in a folder of its own."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KEYSWEEP_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
