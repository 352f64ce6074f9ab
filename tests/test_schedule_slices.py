"""How the scheduler cuts a history into batches and slices: the versions of one
file stay together (one process scans them all, so its detector caches serve
every version), within bounded batch sizes; and a batch reaches the worker in
paced calls that count every item once and stop at the scan's deadline."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from itertools import pairwise
from typing import Any

import pytest
from support import checksummed, commit, git

from scanner import schedule
from scanner.model import Item
from scanner.sources.git import GitSource

FILES = 9
VERSIONS = 24
"""More than a first batch holds (FIRST_BATCH_ITEMS), within its slack."""


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> list[Item]:
    """FILES files with VERSIONS versions each, read through the real git source."""
    repo = tmp_path_factory.mktemp("history")
    git(repo, "init", "-q")
    for version in range(VERSIONS):
        files = {f"pkg/mod{n}.py": f"VALUE = {version * FILES + n}\n" * 40 for n in range(FILES)}
        commit(repo, files, f"version {version}")
    events = GitSource(repo).events()
    items = [e for e in events if isinstance(e, Item) and e.blob_id is not None]  # not messages
    assert len(items) == FILES * VERSIONS
    return items


def _paths(items: list[Item]) -> set[str]:
    return {item.origin.path for item in items}


def test_batches_never_split_the_versions_of_a_file(history: list[Item]) -> None:
    items = history
    batches = list(schedule._batches(iter(items), ramp=3))
    assert [item for batch in batches for item in batch] == items
    owner: dict[str, int] = {}
    for number, batch in enumerate(batches):
        for path in _paths(batch):
            assert owner.setdefault(path, number) == number, f"{path} split between batches"
    assert len(batches) > 3  # the ramp's small batches, then full ones
    limit = schedule.BATCH_ITEMS * schedule.GROUP_SLACK
    assert all(len(batch) <= limit for batch in batches)


def test_a_full_batch_ends_with_the_file_it_was_filling(history: list[Item]) -> None:
    """The first batches (at most FIRST_BATCH_ITEMS items) run on to the end of
    the file's versions they reached, and no further."""
    items = history
    first = next(schedule._batches(iter(items), ramp=1))
    assert len(_paths(first)) == 1
    assert len(first) == VERSIONS


def test_slices_of_the_main_process_end_where_a_file_does(history: list[Item]) -> None:
    items = history
    cuts = list(schedule._cuts(items, schedule.HERE_SLICE))
    assert cuts[0][0] == 0 and cuts[-1][1] == len(items)
    assert all(end == start for (_, end), (start, _) in pairwise(cuts))
    for start, end in cuts:
        assert end - start <= schedule.HERE_SLICE * schedule.GROUP_SLACK
        if end < len(items):
            assert items[end - 1].origin.path != items[end].origin.path


def _worker_and_items(count: int) -> tuple[schedule.BatchWorker, list[Item]]:
    from scanner.config import Config
    from scanner.detectors.rules import load_rules
    from scanner.pipeline import _Worker
    from scanner.sources.memory import item

    config = Config(detectors=("rules",), jobs=1)
    items = [item(f"notes/n{i:03}.txt", b"nothing to see here\n" * (i + 1)) for i in range(count)]
    return _Worker(config, load_rules(config), None), items


def test_a_batch_is_scanned_in_paced_calls_with_every_item_counted_once() -> None:
    worker, items = _worker_and_items(300)
    result = schedule.process_guarded(worker, items, None, 120.0)
    assert result.items == 300 and result.not_scanned == 0
    assert result.nbytes == sum(len(i.data or b"") for i in items)
    assert not result.unscanned and not result.bounds_hit


def test_a_deadline_passed_leaves_the_rest_of_the_batch_counted_as_not_scanned() -> None:
    import time

    worker, items = _worker_and_items(40)
    result = schedule.process_guarded(worker, items, time.monotonic() - 1, 120.0)
    assert (result.items, result.not_scanned) == (0, 40)
    assert result.bounds_hit == ["time budget reached inside a batch"]


class _SlowAt:
    """The real worker, with one item that runs until its bound stops it."""

    def __init__(self, slow: str) -> None:
        self.worker, _ = _worker_and_items(0)
        self.slow = slow

    def process_batch(self, batch: Sequence[Item]) -> schedule.ItemResult:
        def taken() -> Iterator[Item]:
            for item in batch:
                while item.origin.path == self.slow:
                    pass  # until the item's bound or the scan's deadline stops it
                yield item

        return self.worker.process_batch(_Taking(taken(), batch))


class _Taking(Sequence[Item]):
    """Items handed on one at a time, as taken (the `BatchWorker` contract)."""

    def __init__(self, taking: Iterator[Item], batch: Sequence[Item]) -> None:
        self.taking, self.batch = taking, batch

    def __iter__(self) -> Iterator[Item]:
        return self.taking

    def __len__(self) -> int:
        return len(self.batch)

    def __getitem__(self, index: Any) -> Any:
        return self.batch[index]


def test_items_before_one_the_deadline_stopped_keep_what_they_found() -> None:
    """The call's result is lost with the stopped item; the items before it are
    scanned again past the deadline (they took less than a call's pace), never
    counted as not scanned."""
    import time

    from scanner.sources.memory import item

    token = checksummed("ghp_")
    leaked = [item(f"app/{n}.env", f"GITHUB_TOKEN={token}\n".encode()) for n in "abc"]
    items = [*leaked, item("app/slow.txt", b"slow\n"), item("app/d.txt", b"d\n")]
    result = schedule.process_guarded(_SlowAt("app/slow.txt"), items, time.monotonic() + 1.0, 120.0)
    assert sorted(f.path for f in result.findings) == ["app/a.env", "app/b.env", "app/c.env"]
    assert [u.path for u in result.unscanned] == ["app/slow.txt"]
    assert result.not_scanned == 1  # the item after it: the deadline had passed


@pytest.mark.parametrize(
    ("deadline_in", "item_seconds", "bound"),
    [(30.0, 0.2, "0.2s"), (0.3, 120.0, "deadline")],
)
def test_an_item_is_stopped_by_the_sooner_of_its_bound_and_the_deadline(
    deadline_in: float, item_seconds: float, bound: str
) -> None:
    """Each item runs under the smaller of the item bound and what is left of the
    scan's deadline: the unscanned record names that bound, and only after a
    deadline does the rest of the batch count as not scanned."""
    import time

    from scanner.sources.memory import item

    token = checksummed("ghp_")
    items = [item("app/a.env", f"GITHUB_TOKEN={token}\n".encode()), item("app/slow.txt", b"x\n")]
    items.append(item("app/z.env", f"GITHUB_TOKEN={token}\n".encode()))
    worker = _SlowAt("app/slow.txt")  # built first: a cold build takes seconds
    deadline = time.monotonic() + deadline_in
    result = schedule.process_guarded(worker, items, deadline, item_seconds)
    (record,) = result.unscanned
    stopped_after = float(record.message.rsplit(" ", 1)[1].rstrip("s"))
    if bound == "deadline":
        assert stopped_after < deadline_in and result.not_scanned == 1
        assert [f.path for f in result.findings] == ["app/a.env"]
    else:
        assert record.message.endswith(f"after {bound}") and result.not_scanned == 0
        assert sorted(f.path for f in result.findings) == ["app/a.env", "app/z.env"]


def test_a_signal_while_a_slice_watch_is_torn_down_keeps_the_slice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SIGINT after a slice was scanned, while its timer is being stopped: every
    item scanned so far is in the report, once."""
    import os
    import signal

    from scanner.config import Config

    worker, items = _worker_and_items(200)
    real = signal.setitimer
    stops = []

    def setitimer(which: int, seconds: float, interval: float = 0.0) -> tuple[float, float]:
        if seconds == 0:
            stops.append(seconds)
            if len(stops) == 2:  # the second slice's watch, torn down
                os.kill(os.getpid(), signal.SIGINT)
        return real(which, seconds, interval)

    monkeypatch.setattr(signal, "setitimer", setitimer)
    total = schedule.ItemResult()
    reason = schedule.run(
        Config(detectors=("rules",), jobs=1), lambda: worker, (), iter(items), total
    )
    assert reason is not None and "SIGINT" in reason
    assert total.items == 2 * schedule.INLINE_SLICE


def test_a_signal_as_a_call_ends_keeps_that_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGINT just after a call's last item, while its bound is disarmed: the stop
    is held until the call's result is kept, then the scan stops with it."""
    import os
    import signal

    from scanner import bounds
    from scanner.config import Config

    worker, items = _worker_and_items(200)
    real = bounds._Watch.arm
    disarmed: list[None] = []

    def arm(watch: bounds._Watch, seconds: float | None) -> None:
        if seconds is None:
            disarmed.append(seconds)
            if len(disarmed) == 1:  # the end of the first call's items
                os.kill(os.getpid(), signal.SIGINT)
        real(watch, seconds)

    monkeypatch.setattr(bounds._Watch, "arm", arm)
    total = schedule.ItemResult()
    reason = schedule.run(
        Config(detectors=("rules",), jobs=1), lambda: worker, (), iter(items), total
    )
    assert reason is not None and "SIGINT" in reason
    assert 0 < total.items < 200 and total.not_scanned == 0
    assert len({f.path for f in total.findings}) == len(total.findings)


class _Waits:
    """A worker that scans nothing and waits `seconds` in its first call."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def process_batch(self, batch: Sequence[Item]) -> schedule.ItemResult:
        import time

        taken = list(batch)
        time.sleep(self.seconds)
        self.seconds = 0
        return schedule.ItemResult(items=len(taken))


def test_a_batch_no_worker_has_started_is_taken_back() -> None:
    """Once every item is handed out, the main process takes back a batch still
    waiting for the worker and scans it itself instead of waiting for it."""
    from scanner.config import Config

    _, items = _worker_and_items(3)
    config = Config(detectors=("rules",), jobs=2)
    run_ = schedule._Run(config, schedule.ItemResult(), 0.0, None, None)
    pool = schedule._Pool(run_, _Waits, (1.0,), 1)
    try:
        for one in items:  # the first waits; the second is queued for the worker
            pool.submit([one])
        taken = pool.take_back()
        while pool.in_flight:
            pool.drain("FIRST_COMPLETED")
    finally:
        pool.close(kill=False)
    assert taken == [items[2]]
    assert run_.total.items == 2
