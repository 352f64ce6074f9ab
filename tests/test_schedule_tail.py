"""The end of a pooled run: once the run's size is known, the batches shrink as
the end nears, so no process waits long for another's last batch; and the main
process's cheap look between its slices still takes every finished batch."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import checksummed, commit, git

from scanner import schedule
from scanner.config import Config
from scanner.detectors.rules import load_rules
from scanner.model import Item
from scanner.pipeline import _planned, _Worker
from scanner.sources.git import GitSource
from scanner.sources.memory import MemorySource, item

COUNT = 2000
MANY = 4000
"""Enough for full batches before the tail (BATCH_ITEMS * TAIL_SHARE * 2 processes)."""


def _items(count: int) -> list[Item]:
    """`count` files, each at its own path, every 50th holding a GitHub token."""
    token = checksummed("ghp_")
    return [
        item(f"src/f{n:04}.env", (f"GITHUB_TOKEN={token}\n" if n % 50 == 0 else "x = 1\n").encode())
        for n in range(count)
    ]


def _sizes(items: list[Item], planned: int | None, processes: int = 2) -> list[int]:
    tail = schedule._Tail((lambda: planned), processes)
    batches = list(schedule._batches(iter(items), ramp=3, tail=tail))
    assert [i for batch in batches for i in batch] == items  # every item once, in order
    return [len(batch) for batch in batches]


def test_batches_shrink_to_tail_items_as_the_end_nears() -> None:
    sizes = _sizes(_items(MANY), MANY)
    assert sizes[:3] == [schedule.FIRST_BATCH_ITEMS] * 3
    assert sizes[3] == schedule.BATCH_ITEMS  # far from the end: full batches
    rest = sizes[3:]
    assert rest == sorted(rest, reverse=True)  # never larger again
    assert sizes[-4:-1] == [schedule.TAIL_ITEMS] * 3 and sizes[-1] <= schedule.TAIL_ITEMS
    for number in range(4, len(sizes) - 1):
        left = MANY - sum(sizes[:number])
        share = left // (schedule.TAIL_SHARE * 2)
        assert sizes[number] == max(schedule.TAIL_ITEMS, min(schedule.BATCH_ITEMS, share))


def test_more_processes_shrink_the_batches_sooner() -> None:
    two, four = _sizes(_items(COUNT), COUNT, 2), _sizes(_items(COUNT), COUNT, 4)
    assert len(four) > len(two)


def test_without_a_known_size_batches_stay_full() -> None:
    sizes = _sizes(_items(COUNT), None)
    assert sizes[3:-1] == [schedule.BATCH_ITEMS] * (len(sizes) - 4)


def _run(jobs: int, items: list[Item], planned: int | None) -> schedule.ItemResult:
    config = Config(detectors=("rules",), jobs=jobs)
    total = schedule.ItemResult()
    args = (config, load_rules(config), None)
    reason = schedule.run(config, _Worker, args, iter(items), total, planned=lambda: planned)
    assert reason is None
    return total


@pytest.mark.parametrize("planned", [COUNT, COUNT + 300, None])
def test_a_pooled_run_with_a_shrinking_tail_finds_what_one_process_finds(
    planned: int | None,
) -> None:
    """`planned` is at most a bound (an item may turn out unreadable): more than
    the items there are, or unknown, every item is still scanned once."""
    items = _items(COUNT)
    alone, pooled = _run(1, items, planned), _run(2, items, planned)
    assert pooled.items == alone.items == COUNT
    assert sorted(f.path for f in pooled.findings) == sorted(f.path for f in alone.findings)
    assert len(pooled.findings) == COUNT // 50


def test_a_look_that_costs_nothing_still_takes_a_finished_batch() -> None:
    """The main process looks between its slices without waiting (`drain` with
    no timeout): a batch the worker finished is merged at that look."""
    config = Config(detectors=("rules",), jobs=2)
    run_ = schedule._Run(config, schedule.ItemResult(), time.monotonic(), None, None)
    pool = schedule._Pool(run_, _Worker, (config, load_rules(config), None), 1)
    try:
        batch = _items(100)
        pool.submit(batch)
        (future,) = pool.in_flight
        future.result(timeout=60)
        pool.drain("FIRST_COMPLETED", timeout=0)
        assert not pool.in_flight
        assert run_.total.items == 100 and len(run_.total.findings) == 2
        pool.submit(batch[:10])
        pool.drain("FIRST_COMPLETED", timeout=0)  # not yet finished, or taken: never twice
        pool.drain("ALL_COMPLETED", timeout=60)
        assert run_.total.items == 110
    finally:
        pool.close(kill=False)


def test_the_run_size_is_known_once_every_history_is_listed(tmp_path: Path) -> None:
    """What `scan` tells the scheduler: the blobs each git history will hand out,
    once listed, and nothing while a source has not said (files, memory)."""
    git(tmp_path, "init", "-q")
    for version in range(3):
        commit(tmp_path, {"a.txt": f"a{version}\n", "b.txt": f"b{version % 2}\n"})
    history = GitSource(tmp_path)
    planned = _planned([history])
    assert planned() is None
    items = [event for event in history.events() if isinstance(event, Item)]
    assert planned() == len(items) == 5 + 3  # the five blobs and the three commits' messages
    assert _planned([history, MemorySource.of({"x": b"y"})])() is None


def _rules_worker() -> _Worker:
    config = Config(detectors=("rules",), jobs=1)
    return _Worker(config, load_rules(config), None)


Forked = tuple[schedule._Run, _Worker, schedule._Pool]


@pytest.fixture
def forked() -> Iterator[Forked]:
    """A run, the main process's worker, and a pool of one real forked worker
    that starts with it (closed after the test)."""
    config = Config(detectors=("rules",), jobs=2)
    run_ = schedule._Run(config, schedule.ItemResult(), time.monotonic(), None, None)
    here = _rules_worker()
    pool = schedule._Pool(run_, _Worker, (config, load_rules(config), None), 1, here)
    try:
        yield run_, here, pool
    finally:
        pool.close(kill=False)


def test_a_batch_cut_short_is_scanned_up_to_its_cut_and_no_further() -> None:
    """The worker's side of a split: it claims items in shares of what is left,
    and once the main process moved the cut back, it scans up to the cut and
    counts nothing past it (those items are the main process's now)."""
    items = _items(100)
    claims = schedule._Claims(4)
    slot = claims.open(len(items))
    assert slot is not None
    claimed = schedule._Claimed(items, claims, slot)
    assert claimed.claim(0) and claimed.claimed == 100 // schedule.CLAIM_SHARE
    assert claims.split(slot) == (56, 100)  # half of the 88 not claimed yet
    result = schedule.process_guarded(_rules_worker(), claimed, None, 120.0)
    assert (result.items, result.not_scanned) == (56, 0)
    assert sorted(f.path for f in result.findings) == ["src/f0000.env", "src/f0050.env"]
    assert claims.split(slot) is None  # every item left was claimed


def test_a_cut_batch_holds_the_items_before_its_cut_and_no_other() -> None:
    """Indexing a batch cut short: each index up to the cut is the very item,
    negative ones count from the cut, and past it is an IndexError."""
    items = _items(10)
    claims = schedule._Claims(1)
    slot = claims.open(len(items))
    assert slot is not None and claims.split(slot) == (5, 10)
    claimed = schedule._Claimed(items, claims, slot)
    assert len(claimed) == 5
    assert [claimed[n] for n in range(5)] == items[:5] == list(claimed)
    assert claimed[-1] is items[4] and claimed[-5] is items[0]
    assert claimed[1:3] == items[1:3]
    for outside in (5, 9, -6):
        with pytest.raises(IndexError):
            claimed[outside]


def test_a_cut_batch_past_the_deadline_counts_only_its_own_items_as_not_scanned() -> None:
    items = _items(100)
    claims = schedule._Claims(1)
    slot = claims.open(len(items))
    assert slot is not None and claims.split(slot) == (50, 100)
    claimed = schedule._Claimed(items, claims, slot)
    result = schedule.process_guarded(_rules_worker(), claimed, time.monotonic() - 1, 120.0)
    assert (result.items, result.not_scanned) == (0, 50)


def test_the_main_process_takes_the_second_half_of_a_workers_batch(forked: Forked) -> None:
    """A real forked worker: the batch handed to it is split at once, the main
    process scans the half it withdrew, and every item is scanned exactly once."""
    run_, here, pool = forked
    batch = _items(COUNT)
    pool.submit(batch)
    mine = pool.split()
    assert mine is not None and 0 < len(mine) <= COUNT // 2
    (kept,) = pool.in_flight.values()
    assert kept + mine == batch  # the worker keeps the first part, should it die
    schedule._run_here(run_, here, mine)
    pool.drain("ALL_COMPLETED", timeout=120)
    assert not pool.in_flight and run_.total.items == COUNT
    paths = sorted(f.path for f in run_.total.findings)
    assert paths == [f"src/f{n:04}.env" for n in range(0, COUNT, 50)]


def _finished(pool: schedule._Pool) -> None:
    """Wait until the pool's one batch finished and its callback said so."""
    (future,) = pool.in_flight
    future.result(timeout=60)
    deadline = time.monotonic() + 60
    while not pool.news and time.monotonic() < deadline:
        time.sleep(0.005)


def _versions(path: str, count: int) -> list[Item]:
    return [item(path, f"VERSION = {n}\n".encode()) for n in range(count)]


def test_the_main_process_ends_its_slice_once_the_worker_has_nothing_left(forked: Forked) -> None:
    """A slice of the main process's ends before its next item once the worker's
    last batch finished (`_Yielding`), whatever the paths: the rest goes to the
    worker instead of the worker idling until the slice ends."""
    run_, here, pool = forked
    pool.submit(_items(10))
    _finished(pool)
    mine = _versions("src/one.py", 5)
    assert schedule._run_here(run_, here, mine, pool, floor=schedule.SHORT_OF_WORK) == 1
    assert not pool.in_flight and run_.total.items == 10 + 1


def test_the_main_process_short_of_work_ends_its_slice_where_the_path_changes(
    forked: Forked,
) -> None:
    """With one batch left to the worker, the slice goes on through the versions
    of the file it is in (one process keeps them) and ends where the next begins."""
    run_, here, pool = forked
    pool.submit(_items(10))
    _finished(pool)
    pool.submit(_items(MANY))  # still running when the slice starts
    mine = _versions("src/one.py", 3) + _versions("src/two.py", 3)
    assert schedule._run_here(run_, here, mine, pool, floor=schedule.SHORT_OF_WORK) == 3
    pool.drain("ALL_COMPLETED", timeout=120)
    assert run_.total.items == 10 + MANY + 3


def test_a_slice_with_work_enough_left_for_the_workers_is_scanned_whole(forked: Forked) -> None:
    run_, here, pool = forked
    for _ in range(3):
        pool.submit(_items(MANY))
    mine = [i for n in range(4) for i in _versions(f"src/m{n}.py", 2)]
    assert schedule._run_here(run_, here, mine, pool, floor=schedule.SHORT_OF_WORK) == len(mine)
    pool.drain("ALL_COMPLETED", timeout=120)
    assert run_.total.items == 3 * MANY + len(mine)
