"""How the scheduler cuts a history into batches and slices: the versions of one
file stay together (one process scans them all, so its detector caches serve
every version), within bounded batch sizes."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from pathlib import Path

from support import commit

from scanner import schedule
from scanner.model import Item
from scanner.sources.git import GitSource

FILES = 9
VERSIONS = 24
"""More than a first batch holds (FIRST_BATCH_ITEMS), within its slack."""


def _history(make_repo: Callable[..., Path]) -> list[Item]:
    """FILES files with VERSIONS versions each, read through the real git source."""
    repo = make_repo()
    for version in range(VERSIONS):
        files = {f"pkg/mod{n}.py": f"VALUE = {version * FILES + n}\n" * 40 for n in range(FILES)}
        commit(repo, files, f"version {version}")
    items = [event for event in GitSource(repo).events() if isinstance(event, Item)]
    assert len(items) == FILES * VERSIONS
    return items


def _paths(items: list[Item]) -> set[str]:
    return {item.origin.path for item in items}


def test_batches_never_split_the_versions_of_a_file(make_repo: Callable[..., Path]) -> None:
    items = _history(make_repo)
    batches = list(schedule._batches(iter(items), ramp=3))
    assert [item for batch in batches for item in batch] == items
    owner: dict[str, int] = {}
    for number, batch in enumerate(batches):
        for path in _paths(batch):
            assert owner.setdefault(path, number) == number, f"{path} split between batches"
    assert len(batches) > 3  # the ramp's small batches, then full ones
    limit = schedule.BATCH_ITEMS * schedule.GROUP_SLACK
    assert all(len(batch) <= limit for batch in batches)


def test_a_full_batch_ends_with_the_file_it_was_filling(make_repo: Callable[..., Path]) -> None:
    """The first batches (at most FIRST_BATCH_ITEMS items) run on to the end of
    the file's versions they reached, and no further."""
    items = _history(make_repo)
    first = next(schedule._batches(iter(items), ramp=1))
    assert len(_paths(first)) == 1
    assert len(first) == VERSIONS


def test_slices_of_the_main_process_end_where_a_file_does(
    make_repo: Callable[..., Path],
) -> None:
    items = _history(make_repo)
    cuts = list(schedule._cuts(items, schedule.HERE_SLICE))
    assert cuts[0][0] == 0 and cuts[-1][1] == len(items)
    assert all(end == start for (_, end), (start, _) in pairwise(cuts))
    for start, end in cuts:
        assert end - start <= schedule.HERE_SLICE * schedule.GROUP_SLACK
        if end < len(items):
            assert items[end - 1].origin.path != items[end].origin.path
