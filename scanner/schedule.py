"""Scheduling: batches of items on a pool of worker processes, or in this
process for small scans, with budgets checked between batches.

It knows nothing of the stages. A worker is whatever `factory(*args)` builds
(scan.py's `_Worker`), with a `process_batch(items) -> ItemResult` method.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from scanner.config import Config
from scanner.model import Finding, Item, ScanError

if TYPE_CHECKING:
    from concurrent.futures import Future

INLINE_THRESHOLD = 48
"""Up to this many items, scan in-process: a pool costs more than it saves."""
BATCH_ITEMS = 256
BATCH_BYTES = 8 * 1024 * 1024
BATCH_DATA_BYTES = 2 * 1024 * 1024
"""Bytes carried by the items themselves (git blobs) per batch: they are copied
to the worker, so fewer of them are held in flight at once."""
IN_FLIGHT_PER_JOB = 3
"""Batches queued per worker: keeps both cores busy, and memory bounded."""

ProgressFn = Callable[[int, int], None]
"""Called with (items done, bytes done)."""


@dataclass
class ItemResult:
    """What a worker sends back for a batch. Token and secret bytes stay in memory."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    suppressed: Counter[str] = field(default_factory=Counter)
    items: int = 0
    nbytes: int = 0
    tokens: list[tuple[int, bytes]] = field(default_factory=list)
    """(index into findings, the token) for JWTs, verified after the scan."""
    secrets: list[bytes] = field(default_factory=list)
    """Candidate HMAC secrets found, to verify HS256 tokens with."""

    def merge(self, other: ItemResult) -> None:
        offset = len(self.findings)
        self.findings.extend(other.findings)
        self.errors.extend(other.errors)
        self.skipped.update(other.skipped)
        self.suppressed.update(other.suppressed)
        self.items += other.items
        self.nbytes += other.nbytes
        self.tokens.extend((offset + i, t) for i, t in other.tokens)
        self.secrets.extend(other.secrets)


class BatchWorker(Protocol):
    def process_batch(self, batch: Sequence[Item]) -> ItemResult: ...


WorkerFactory = Callable[..., BatchWorker]


def run(
    config: Config,
    factory: WorkerFactory,
    args: tuple[Any, ...],
    items: Iterator[Item],
    total: ItemResult,
    progress: ProgressFn | None = None,
    started: float | None = None,
) -> str | None:
    """Process every item into `total`; return why the run stopped early, if it did.

    `started` (time.monotonic) is when the budget's clock started: by default, now."""
    started = time.monotonic() if started is None else started
    head: list[Item] = []
    for item in items:
        head.append(item)
        if len(head) > INLINE_THRESHOLD:
            break
    stream = _chain(head, items)
    if len(head) <= INLINE_THRESHOLD or config.effective_jobs == 1:
        return _run_inline(config, factory(*args), stream, total, started, progress)
    return _run_pool(config, factory, args, stream, total, started, progress)


def _run_inline(
    config: Config,
    worker: BatchWorker,
    items: Iterator[Item],
    total: ItemResult,
    started: float,
    progress: ProgressFn | None,
) -> str | None:
    for item in items:  # one at a time: no IPC to amortise, and budgets stay exact
        total.merge(worker.process_batch([item]))
        if progress:
            progress(total.items, total.nbytes)
        reason = over_budget(config, total, started)
        if reason:
            return reason
    return None


def _run_pool(
    config: Config,
    factory: WorkerFactory,
    args: tuple[Any, ...],
    items: Iterator[Item],
    total: ItemResult,
    started: float,
    progress: ProgressFn | None,
) -> str | None:
    import multiprocessing  # the pool's modules: never imported by a pre-commit hook
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor

    jobs = config.effective_jobs
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    in_flight: set[Future[ItemResult]] = set()
    reason: str | None = None
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=multiprocessing.get_context(method),
        initializer=_init_worker,
        initargs=(config.low_priority, factory, args),
    ) as pool:
        for batch in _batches(items):
            in_flight.add(pool.submit(_process_in_worker, batch))
            if len(in_flight) >= jobs * IN_FLIGHT_PER_JOB:
                in_flight = _drain(in_flight, total, FIRST_COMPLETED)
                if progress:
                    progress(total.items, total.nbytes)
                reason = over_budget(config, total, started)
                if reason:
                    for future in in_flight:
                        future.cancel()
                    break
        _drain(in_flight, total, None)
    if progress:
        progress(total.items, total.nbytes)
    return reason


def _chain(head: list[Item], rest: Iterator[Item]) -> Iterator[Item]:
    yield from head
    yield from rest


def _batches(items: Iterable[Item]) -> Iterator[list[Item]]:
    batch: list[Item] = []
    size = carried = 0
    for item in items:
        batch.append(item)
        size += len(item.data) if item.data is not None else (item.size or 0)
        carried += len(item.data) if item.data is not None else 0
        if len(batch) >= BATCH_ITEMS or size >= BATCH_BYTES or carried >= BATCH_DATA_BYTES:
            yield batch
            batch, size, carried = [], 0, 0
    if batch:
        yield batch


def _drain(
    futures: set[Future[ItemResult]], total: ItemResult, when: str | None
) -> set[Future[ItemResult]]:
    """Merge the finished batches into `total`; return the ones still running."""
    from concurrent.futures import wait

    done, pending = wait(futures, return_when=when or "ALL_COMPLETED")
    for future in done:
        if not future.cancelled():
            total.merge(future.result())
    return pending


def over_budget(config: Config, total: ItemResult, started: float) -> str | None:
    if config.max_seconds is not None and time.monotonic() - started > config.max_seconds:
        return f"time budget of {config.max_seconds:g}s reached"
    if config.max_bytes is not None and total.nbytes > config.max_bytes:
        return f"byte budget of {config.max_bytes} reached"
    return None


_WORKER: BatchWorker | None = None


def _init_worker(low_priority: bool, factory: WorkerFactory, args: tuple[Any, ...]) -> None:
    global _WORKER
    if low_priority:
        from scanner.priority import lower_priority

        lower_priority()
    _WORKER = factory(*args)


def _process_in_worker(batch: list[Item]) -> ItemResult:
    assert _WORKER is not None
    return _WORKER.process_batch(batch)
