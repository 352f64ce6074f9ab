"""Scheduling: batches of items on a pool of worker processes, or in this
process for small scans, with budgets checked between batches and a time
bound around every item (`process_guarded`, in the worker itself).

A worker that dies (OOM killer, os._exit) loses only a retry: its batch is run
again item by item in a fresh worker, and an item that kills that one too is
reported as unscanned. SIGINT and SIGTERM end the workers and keep what was
found.

Batches and slices end where the path of the items changes, so that one
process scans every version of a file (its detector caches serve them all), and
items reach a worker object in calls of about PACE_SECONDS (`_Paced`), so that
one result and one timer serve many items. Near the end of a run of known
size the batches shrink (`_Tail`), and the main process, once out of work,
takes back the batches no worker has started and splits the ones a worker has
(`_Claims`), so the run does not end with one process waiting for another.

It knows nothing of the stages. A worker is whatever `factory(*args)` builds
(pipeline.py's `_Worker`), with a `process_batch(items) -> ItemResult` method.
"""

from __future__ import annotations

import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from scanner import bounds
from scanner.config import Config
from scanner.model import Finding, Item, ScanWarning
from scanner.unscanned import Unscanned

if TYPE_CHECKING:
    from concurrent.futures import Future, ProcessPoolExecutor

INLINE_THRESHOLD = 48
"""Up to this many items, scan in-process: a pool costs more than it saves."""
BATCH_ITEMS = 256
BATCH_BYTES = 8 * 1024 * 1024
BATCH_DATA_BYTES = 1024 * 1024
"""Bytes carried by the items themselves (git blobs) per batch: they are copied
to the worker, so fewer of them are held in flight at once, and a batch fits
the widened pipe to the workers (`pipes.PIPE_BYTES`)."""
FIRST_BATCH_ITEMS = 8
TAIL_SHARE = 4
"""Near the end of a run whose size is known (`run`'s `planned`), a batch holds
at most the items left over this many times the processes, so the last batches
are small and no process waits long for another's last one at the end."""
TAIL_ITEMS = 16
"""The smallest batch near the end: what is left is handed out in batches of
about a slice of the main process (HERE_SLICE)."""
IN_FLIGHT_PER_JOB = 3
"""Batches queued per worker: one running and two waiting, so a worker rarely
waits for the main process (busy with a slice of its own, it hands a batch over
only between slices); any deeper would lengthen the tail a worker runs alone at
the end, and hold more bytes in flight."""
HERE_SLICE = 16
"""Items the main process scans before it looks whether a worker has room for
more (a slice ends where a file's versions do: see `_cuts`; within a slice it
looks only whether a worker runs short of work: `_Yielding`)."""
SHORT_OF_WORK = 2
"""While items are still being handed out, the main process ends its slice at
the next change of path once the workers hold fewer batches than this (the one
a worker runs, and none waiting: `_Yielding`)."""
GROUP_SLACK = 4
"""A batch or slice that is full is cut at the next change of path, but never
grows past this many times its limits (a file with hundreds of versions)."""
INLINE_SLICE = 64
"""Items an in-process scan hands to the worker in one call (and at most
BATCH_DATA_BYTES of their bytes): one result, one merge and one ticking timer
per slice instead of per item."""
PACE_SECONDS = 0.05
"""A worker's call ends after the item that passes this much time: an item
that runs out of time loses its call's result, and the items before it in
that call are scanned again, so that is what a timeout costs at most."""
POLL_SECONDS = 0.25
"""How often the main process looks up from waiting for a signal it was sent."""

ProgressFn = Callable[[int, int], None]
"""Called with (items done, bytes done)."""


@dataclass
class ItemResult:
    """What a worker sends back for a batch. Token and secret bytes stay in memory."""

    findings: list[Finding] = field(default_factory=list)
    warnings: list[ScanWarning] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    suppressed: Counter[str] = field(default_factory=Counter)
    items: int = 0
    nbytes: int = 0
    tokens: list[tuple[int, bytes]] = field(default_factory=list)
    """(index into findings, the token) for JWTs, verified after the scan."""
    secrets: list[bytes] = field(default_factory=list)
    """Candidate HMAC secrets found, to verify HS256 tokens with."""
    unscanned: list[ScanWarning] = field(default_factory=list)
    """Content not (fully) scanned: each becomes an `unscanned-content` finding."""
    bounds_hit: list[str] = field(default_factory=list)
    """Bounds reached inside workers (the report is then partial)."""
    not_scanned: int = 0
    """Items left unscanned because the time budget ran out inside a batch."""
    signum: int | None = None
    """The signal (SIGINT, SIGTERM) that stopped the run, if one did."""
    capped: int = 0
    """Findings dropped past the scan's cap (`max_findings`)."""
    unreadable: Counter[str] = field(default_factory=Counter)
    """Git blobs a scanning process could not read, by repository (`sources.gitblobs`)."""

    def merge(self, other: ItemResult) -> None:
        """Add `other` (once per item: most of its parts are empty, and a Counter
        update costs even when they are)."""
        self.items += other.items
        self.nbytes += other.nbytes
        self.not_scanned += other.not_scanned
        if other.tokens:
            offset = len(self.findings)
            self.tokens.extend((offset + i, t) for i, t in other.tokens)
        if other.skipped:
            self.skipped.update(other.skipped)
        if other.suppressed:
            self.suppressed.update(other.suppressed)
        if other.unreadable:
            self.unreadable.update(other.unreadable)
        _extend(self.findings, other.findings)
        _extend(self.warnings, other.warnings)
        _extend(self.secrets, other.secrets)
        _extend(self.unscanned, other.unscanned)
        _extend(self.bounds_hit, other.bounds_hit)


def _extend(mine: list[Any], theirs: list[Any]) -> None:
    if theirs:
        mine.extend(theirs)


class BatchWorker(Protocol):
    """Scans a batch. It must take the items by iterating `batch` once, in order,
    and finish each before taking the next: the scheduler arms each item's time
    bound as it is taken (`_Paced`), and may end the iteration early."""

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
    one_process: Callable[[], bool] | None = None,
    planned: Callable[[], int | None] | None = None,
) -> str | None:
    """Process every item into `total`; return why the run stopped early, if it did.

    `started` (time.monotonic) is when the budget's clock started: by default, now.
    `one_process`, asked once the first items are in, says whether what the
    sources know of the whole run makes it small enough for this process alone.
    `planned`, asked as batches are made, says how many items the run holds in
    all, once the sources know (at most: an item may turn out unreadable), so the
    batches near the end are made smaller (TAIL_SHARE).
    SIGINT and SIGTERM stop the run (`total.signum` says which); what was found
    so far is kept."""
    started = time.monotonic() if started is None else started
    deadline = None if config.max_seconds is None else started + config.max_seconds
    run_ = _Run(config, total, started, deadline, progress, planned)
    with bounds.StopSignals() as run_.stop:
        try:
            head: list[Item] = []
            for item in items:
                head.append(item)
                if len(head) > INLINE_THRESHOLD:
                    break
            stream = _chain(head, items)
            if _inline(config, head, one_process):
                reason = _run_inline(run_, factory(*args), stream)
            else:
                reason = _run_pool(run_, factory, args, stream)
        except bounds.Interrupted:  # this run's own signal, which `stop.reason` names
            reason = "stopped by a signal"
    total.signum = run_.stop.signum
    return run_.stop.reason or reason


def _inline(config: Config, head: list[Item], one_process: Callable[[], bool] | None) -> bool:
    if len(head) <= INLINE_THRESHOLD or config.effective_jobs == 1:
        return True
    return one_process is not None and one_process()


@dataclass
class _Run:
    """One run's settings and state, shared by the inline and pool paths."""

    config: Config
    total: ItemResult
    started: float
    deadline: float | None
    progress: ProgressFn | None
    planned: Callable[[], int | None] | None = None
    stop: bounds.StopSignals = field(default_factory=bounds.StopSignals)

    def merge(self, result: ItemResult) -> None:
        """Add a batch's result; findings past the scan's cap are dropped and counted."""
        self.total.merge(result)
        cap, findings = self.config.max_findings, self.total.findings
        if len(findings) > cap:
            self.total.capped += len(findings) - cap
            del findings[cap:]
            self.total.tokens = [(i, t) for i, t in self.total.tokens if i < cap]

    def report_progress(self) -> None:
        if self.progress:
            self.progress(self.total.items, self.total.nbytes)

    def should_stop(self) -> str | None:
        if self.stop.signum is not None:
            return self.stop.reason
        return over_budget(self.config, self.total, self.started)


def _run_inline(run_: _Run, worker: BatchWorker, items: Iterator[Item]) -> str | None:
    """Slices of items in this process; under a budget one item at a time, so
    the budget stops the scan at the very item it did before."""
    budgeted = run_.config.max_bytes is not None or run_.config.max_seconds is not None
    for piece in _slices(items, 1 if budgeted else INLINE_SLICE):
        _run_here(run_, worker, piece)
        reason = run_.should_stop()
        if reason:
            return reason
    return None


def _slices(items: Iterable[Item], limit: int) -> Iterator[list[Item]]:
    """Up to `limit` items, or fewer holding BATCH_DATA_BYTES of carried bytes
    (or BATCH_BYTES of blobs read where they are scanned)."""
    piece: list[Item] = []
    carried = size = 0
    for item in items:
        piece.append(item)
        if item.data is not None:
            carried += len(item.data)
        elif item.store is not None:
            size += item.size or 0
        if len(piece) >= limit or carried >= BATCH_DATA_BYTES or size >= BATCH_BYTES:
            yield piece
            piece, carried, size = [], 0, 0
    if piece:
        yield piece


def _run_pool(
    run_: _Run, factory: WorkerFactory, args: tuple[Any, ...], items: Iterator[Item]
) -> str | None:
    """`jobs - 1` worker processes, and this process as the last job: it reads the
    items, keeps every worker's queue full and scans a batch itself whenever
    they are. On two cores that is one worker, not two: one process fewer in
    memory, and the batches this process keeps are never pickled."""
    here = factory(*args)
    workers = run_.config.effective_jobs - 1
    pool = _Pool(run_, factory, args, workers, here)
    queued = workers * IN_FLIGHT_PER_JOB
    reason: str | None = None
    try:
        tail = _Tail(run_.planned, run_.config.effective_jobs)
        for batch in _batches(items, ramp=queued, tail=tail):
            _share(run_, pool, here, batch, queued)
            reason = run_.should_stop()
            if reason:
                break
        while pool.in_flight and not reason:
            _finish(run_, pool, here)
            reason = run_.stop.reason
        if not reason:
            pool.retry_lost()
            reason = run_.stop.reason
    except bounds.Interrupted:
        reason = run_.stop.reason
    finally:
        try:
            if reason is not None:  # batches that finished meanwhile: what they found is kept
                pool.drain("ALL_COMPLETED", timeout=0)
        finally:
            pool.close(kill=reason is not None)
    return reason or over_budget(run_.config, run_.total, run_.started)


def _finish(run_: _Run, pool: _Pool, here: BatchWorker) -> None:
    """Once every item is handed out: a batch still waiting for a worker is taken
    back and scanned here, rather than this process waiting while the worker
    scans it after the others; else the second half of what a worker has not
    taken yet of its batch (`_Pool.split`); else wait for a worker's result.
    Should the workers run out of work meanwhile, they get the rest of this
    process's batch, and it splits that with them in turn."""
    batch = (pool.take_back() or pool.split()) if bounds.can_bound() else None
    if batch is None:
        pool.drain("FIRST_COMPLETED")
        return
    while batch is not None:
        rest = _scan_back(run_, pool, here, batch)
        if rest is None:
            return
        pool.submit(rest)
        batch = pool.split()


def _scan_back(run_: _Run, pool: _Pool, here: BatchWorker, batch: list[Item]) -> list[Item] | None:
    """`batch` scanned here a slice at a time; what is left of it once the workers
    hold no batch any more (None when it was scanned whole, or the run stops)."""
    for start, end in _cuts(batch, HERE_SLICE):
        scanned = _run_here(run_, here, batch[start:end], pool)
        if start + scanned < end:
            return batch[start + scanned :]
        pool.drain("FIRST_COMPLETED", timeout=0)
        if run_.should_stop():
            return None
    return None


def _share(run_: _Run, pool: _Pool, here: BatchWorker, batch: list[Item], queued: int) -> None:
    """Hand `batch` to a worker with room; while none has, scan it here a slice
    at a time, and hand the rest over as soon as one has. Outside the main
    thread no timer can stop an item here (`bounds.can_bound`), so there the
    batch waits for a worker instead."""
    if not bounds.can_bound():
        while len(pool.in_flight) >= queued:
            pool.drain("FIRST_COMPLETED")
        pool.submit(batch)
        return
    start = 0
    while start < len(batch):
        pool.drain("FIRST_COMPLETED", timeout=0)
        if len(pool.in_flight) < queued:
            pool.submit(batch[start:])
            return
        end = _cut(batch, start, HERE_SLICE)
        start += _run_here(run_, here, batch[start:end], pool, floor=SHORT_OF_WORK)
        if run_.should_stop():
            return


def _cuts(batch: Sequence[Item], size: int) -> Iterator[tuple[int, int]]:
    """(start, end) of slices of about `size` items that end where a path's
    versions end (up to GROUP_SLACK times `size`): the versions of one file
    stay in one process, whose detector caches hold what they share."""
    start = 0
    while start < len(batch):
        end = _cut(batch, start, size)
        yield start, end
        start = end


def _cut(batch: Sequence[Item], start: int, size: int) -> int:
    """Where the slice of `_cuts` that begins at `start` ends."""
    end = min(start + size, len(batch))
    longest = start + size * GROUP_SLACK
    while end < min(longest, len(batch)) and _same_path(batch[end - 1], batch[end]):
        end += 1
    return end


def _same_path(one: Item, other: Item) -> bool:
    return one.origin.path == other.origin.path


def _run_here(
    run_: _Run, worker: BatchWorker, batch: list[Item], pool: _Pool | None = None, floor: int = 1
) -> int:
    """One batch in this process, under the same bounds as in a worker; a signal
    stops it at once (`bounds.Interrupted`). With a `pool`, the batch ends early
    once the workers hold fewer than `floor` batches (`_Yielding`). How many of
    its items it scanned."""
    done: list[ItemResult] = []
    items: Sequence[Item] = batch if pool is None else _Yielding(batch, pool, floor)
    run_.stop.raise_now = True
    try:
        guarded(worker, items, run_.deadline, run_.config.item_max_seconds, done)
    finally:  # stopped or not, every call that completed is kept, once
        run_.stop.raise_now = False
        run_.merge(_merged(done))
    run_.report_progress()
    return len(items)


class _Yielding(Sequence[Item]):
    """A slice the main process scans, cut short once a worker runs short of work:
    a slice of slow items (large files with many versions) could otherwise keep
    the main process from handing out the next batch for a tenth of a second
    while the worker idles. Before each item (`_Paced` claims it) the main process
    looks whether a batch finished (`_Pool.news`, an attribute read). Once the
    workers hold fewer than `floor` batches, the slice ends where the path changes
    next (the versions of a file stay in one process); once they hold none, at
    once. Its length is where it ends now, as `_Claimed`'s is."""

    def __init__(self, items: list[Item], pool: _Pool, floor: int) -> None:
        self.items, self.pool, self.floor = items, pool, floor
        self.end = len(items)
        self.held = floor
        """The batches the workers held at the last look (none taken so far: not short)."""

    def claim(self, index: int) -> bool:
        if self.pool.news:
            self.pool.drain("FIRST_COMPLETED", timeout=0)
            self.held = len(self.pool.in_flight)
        if index == 0 or self.held >= self.floor:
            return True
        if self.held and _same_path(self.items[index - 1], self.items[index]):
            return True
        self.end = index
        return False

    def __len__(self) -> int:
        return self.end

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, int):
            return self.items[range(self.end)[index]]
        return self.items[: self.end][index]


class _Pool:
    """A process pool that survives the loss of a worker: batches that were in
    flight when a worker died are retried one item at a time in a fresh pool,
    and an item that kills its worker again is reported as unscanned."""

    def __init__(
        self,
        run_: _Run,
        factory: WorkerFactory,
        args: tuple[Any, ...],
        jobs: int,
        ready: BatchWorker | None = None,
    ) -> None:
        self.run = run_
        self.factory = factory
        self.args = args
        self.jobs = jobs
        self.ready = ready
        """A worker built in this process: a forked worker starts with it."""
        self.in_flight: dict[Future[ItemResult], list[Item]] = {}
        self.slots: dict[Future[ItemResult], int] = {}
        """Each batch's cells in `claims`, for the batches a worker can be asked to split."""
        self.claims: _Claims | None = None
        self.news = False
        """Whether a batch in flight may have finished since the last look (set by
        each future's callback, in the pool's thread): a poll that finds nothing
        new costs an attribute read, not a `wait` over every future in flight."""
        self.lost: list[Item] = []
        self.executor = self._new(jobs)

    def _new(self, jobs: int) -> ProcessPoolExecutor:
        import multiprocessing  # the pool's modules: never imported by a pre-commit hook
        from concurrent.futures import ProcessPoolExecutor

        fork = sys.platform.startswith("linux")
        ready = self.ready if fork else None  # a fork inherits it; nothing is pickled
        self.slots.clear()
        self.claims = _Claims(jobs * IN_FLIGHT_PER_JOB + 1) if fork else None
        if fork:
            bounds.before_fork()
        executor = ProcessPoolExecutor(
            max_workers=jobs,
            mp_context=multiprocessing.get_context("fork" if fork else "spawn"),
            initializer=_init_worker,
            initargs=(self.run.config.low_priority, self.factory, self.args, ready, self.claims),
        )
        _widen_queue(executor)
        return executor

    def submit(self, batch: list[Item]) -> None:
        from concurrent.futures.process import BrokenProcessPool

        try:
            future = self._submit(batch)
        except BrokenProcessPool:
            self._replace()
            future = self._submit(batch)
        self.in_flight[future] = batch
        future.add_done_callback(self._noted)

    def _submit(self, batch: list[Item]) -> Future[ItemResult]:
        slot = self.claims.open(len(batch)) if self.claims is not None else None
        args = (batch, self.run.deadline, self.run.config.item_max_seconds, slot)
        try:
            future = self.executor.submit(_process_in_worker, *args)
        except BaseException:
            if slot is not None and self.claims is not None:
                self.claims.close(slot)
            raise
        if slot is not None:
            self.slots[future] = slot
        return future

    def _pop(self, future: Future[ItemResult]) -> list[Item]:
        slot = self.slots.pop(future, None)
        if slot is not None and self.claims is not None:
            self.claims.close(slot)
        return self.in_flight.pop(future)

    def _noted(self, future: Future[ItemResult]) -> None:
        self.news = True

    def take_back(self) -> list[Item] | None:
        """The last batch no worker has started, withdrawn (None if every one has)."""
        for future in reversed(list(self.in_flight)):
            if future.cancel():
                return self._pop(future)
        return None

    def split(self) -> list[Item] | None:
        """The second half of what a worker has not taken yet of a batch it holds
        (the batch with the most left), withdrawn (None if no batch has two items
        left): the worker ends its batch where this half begins (`_Claimed`)."""
        if self.claims is None:
            return None
        claims = self.claims
        left = {f: claims.left(slot) for f, slot in self.slots.items() if not f.done()}
        future = max(left, key=left.__getitem__, default=None)
        if future is None or left[future] < 2:
            return None
        cut = claims.split(self.slots[future])
        if cut is None:
            return None
        keep, end = cut
        batch = self.in_flight[future]
        self.in_flight[future] = batch[:keep]  # what the worker scans, should it die
        return batch[keep:end]

    def drain(self, when: str, timeout: float = POLL_SECONDS) -> None:
        """Merge finished batches; poll so that a signal is seen within a moment."""
        if not self.in_flight or (timeout == 0 and when == "FIRST_COMPLETED" and not self.news):
            return
        from concurrent.futures import wait
        from concurrent.futures.process import BrokenProcessPool

        self.news = False  # before the look: a batch finishing after it sets it again
        done, _ = wait(self.in_flight, timeout=timeout, return_when=when)
        for future in done:
            batch = self._pop(future)
            try:
                self.run.merge(future.result())
            except BrokenProcessPool:
                self.lost.extend(batch)
        if done:
            self.run.report_progress()

    def retry_lost(self) -> None:
        """Each item of a lost batch once more, alone, in a fresh one-worker pool."""
        if not self.lost:
            return
        self.close(kill=True)
        self.executor = self._new(1)
        lost, self.lost = self.lost, []
        for item in lost:
            if self.run.should_stop():
                _record(self.run.total, _unscanned(item, "the scan stopped"))
                continue
            self._retry(item)

    def _retry(self, item: Item) -> None:
        from concurrent.futures import CancelledError, wait
        from concurrent.futures import TimeoutError as FutureTimeout
        from concurrent.futures.process import BrokenProcessPool

        args = ([item], self.run.deadline, self.run.config.item_max_seconds)
        try:
            future = self.executor.submit(_process_in_worker, *args)
            while not future.done() and self.run.stop.signum is None:
                wait([future], timeout=POLL_SECONDS)
            self.run.merge(future.result(timeout=0))
        except (BrokenProcessPool, FutureTimeout, CancelledError):
            message = "its worker process died twice (out of memory?)"
            _record(self.run.total, _unscanned(item, message))
            self.close(kill=True)
            self.executor = self._new(1)

    def _replace(self) -> None:
        self.close(kill=True)
        self.executor = self._new(self.jobs)

    def close(self, *, kill: bool) -> None:
        """Shut the pool down; with `kill`, end its workers now (no orphans)."""
        if kill:
            for future in self.in_flight:
                future.cancel()
            processes = list((getattr(self.executor, "_processes", None) or {}).values())
            for process in processes:
                process.terminate()
            self.executor.shutdown(wait=True, cancel_futures=True)
            for process in processes:
                process.join(timeout=5)
            for batch in self.in_flight.values():
                self.lost.extend(batch)
            self.in_flight.clear()
            self.slots.clear()
        else:
            self.executor.shutdown(wait=True)


def _widen_queue(executor: ProcessPoolExecutor) -> None:
    """The pipe that carries batches to the workers holds a whole batch
    (`BATCH_DATA_BYTES`), so the feeder thread writes it at once instead of
    waiting for the GIL again for every 64 KiB the worker has read."""
    from scanner import pipes

    writer = getattr(getattr(executor, "_call_queue", None), "_writer", None)
    fileno = getattr(writer, "fileno", None)
    if callable(fileno):
        pipes.widen(fileno())


def _record(result: ItemResult, record: Unscanned) -> None:
    """An unscanned item is a warning and (later) a finding."""
    result.warnings.append(record)
    result.unscanned.append(record)


def _unscanned(item: Item, why: str) -> Unscanned:
    return Unscanned(_where(item), f"not scanned: {why}")


def _where(item: Item) -> str:
    return "!".join(filter(None, (item.origin.path, item.origin.archive_member)))


def process_guarded(
    worker: BatchWorker, batch: Sequence[Item], deadline: float | None, item_seconds: float | None
) -> ItemResult:
    """Each item under its time bound (and the scan's deadline); an item that
    runs out of time or memory is reported as unscanned, the rest go on."""
    done: list[ItemResult] = []
    guarded(worker, batch, deadline, item_seconds, done)
    return _merged(done)


def guarded(
    worker: BatchWorker,
    batch: Sequence[Item],
    deadline: float | None,
    item_seconds: float | None,
    done: list[ItemResult],
) -> None:
    """`process_guarded`, each completed call's result appended to `done` (the
    caller's: a signal that stops the batch anywhere, even while the watch is
    torn down, leaves every completed call there, and no call twice)."""
    with bounds.watched(tick_seconds(deadline, item_seconds)) as arm:
        _guarded_items(worker, batch, deadline, item_seconds, arm, done)


def _merged(done: list[ItemResult]) -> ItemResult:
    if len(done) == 1:
        return done[0]
    total = ItemResult()
    for result in done:
        total.merge(result)
    return total


TICK_SECONDS = (0.01, 1.0)
"""The bounds of a batch's watch tick: a tenth of the tightest time bound."""


def tick_seconds(deadline: float | None, item_seconds: float | None) -> float:
    """How often a batch's watch looks at the clock: an item stops at most this late."""
    limits = [x for x in (bounds.remaining(deadline), item_seconds) if x is not None]
    low, high = TICK_SECONDS
    return min(high, max(low, min(limits) / 10)) if limits else high


def _guarded_items(
    worker: BatchWorker,
    batch: Sequence[Item],
    deadline: float | None,
    item_seconds: float | None,
    arm: Callable[[float | None], None],
    done: list[ItemResult],
) -> None:
    """The batch in calls of about PACE_SECONDS each (`_Paced`), each call's
    result appended to `done` once it is whole (one append: a signal lands
    before or after it, never inside). An item that runs out of time or memory
    loses its call's result: it is reported, and the items taken before it in
    that call are scanned again (without the scan's deadline when that was what
    stopped it: they were scanned once already, in less than PACE_SECONDS). A
    signal (`bounds.Interrupted`) has them scanned again too before it goes on."""
    start = 0
    while start < len(batch):
        paced = _Paced(batch, start, deadline, item_seconds, arm)
        try:
            result = worker.process_batch(paced)
        except (bounds.ItemTimeout, MemoryError) as exc:
            bounds.release_stops(raise_pending=False)
            stopped = paced.taking
            done.append(_stopped(batch[stopped], exc, paced.limit))
            if stopped > start:
                again = deadline if paced.limit_was_item or item_seconds is None else None
                _guarded_items(worker, batch[start:stopped], again, item_seconds, arm, done)
            start = stopped + 1
            continue
        except bounds.Interrupted:
            bounds.release_stops(raise_pending=False)
            again = None if item_seconds is not None else deadline
            _guarded_items(worker, batch[start : paced.taking], again, item_seconds, arm, done)
            raise
        except BaseException:
            bounds.release_stops(raise_pending=False)
            raise
        finally:
            arm(None)
        done.append(result)
        bounds.release_stops(raise_pending=True)  # a stop held since the items ended
        if paced.taken == start and not paced.expired and start < len(batch):  # took no item
            raise RuntimeError("the worker returned without taking an item of its call")
        start = paced.taken
        if paced.expired:
            rest = ItemResult(not_scanned=len(batch) - start)
            rest.bounds_hit.append("time budget reached inside a batch")
            done.append(rest)
            break


def _stopped(item: Item, exc: BaseException, limit: float | None) -> ItemResult:
    stopped = ItemResult()
    _record_stopped(stopped, item, exc, limit)
    return stopped


def _record_stopped(total: ItemResult, item: Item, exc: BaseException, limit: float | None) -> None:
    if isinstance(exc, MemoryError):
        _record(total, _unscanned(item, "analysis ran out of memory"))
        total.bounds_hit.append("an item reached its memory bound")
    else:
        _record(total, _unscanned(item, f"analysis stopped after {limit or 0:.3g}s"))
        total.bounds_hit.append("an item reached its time bound")


class _Paced(Sequence[Item]):
    """Part of a batch for one `process_batch` call. Iterating it arms each
    item's bound as the worker takes the item (the worker takes its items one at
    a time, in order: `BatchWorker`), and it ends the call once the call has run
    PACE_SECONDS, or when the scan's deadline has passed (`expired`)."""

    def __init__(
        self,
        batch: Sequence[Item],
        start: int,
        deadline: float | None,
        item_seconds: float | None,
        arm: Callable[[float | None], None],
    ) -> None:
        self.batch, self.start = batch, start
        self.deadline, self.item_seconds, self.arm = deadline, item_seconds, arm
        self.taking = start
        """The index of the item being scanned."""
        self.taken = start
        """The index of the first item not handed out."""
        self.limit: float | None = item_seconds
        """The bound of the item being scanned (the item bound, or what is left
        of the scan's deadline when that is sooner: `_bound`)."""
        self.limit_was_item = True
        """Whether the item's own bound, not the scan's deadline, set `limit`."""
        self.expired = False
        self.claim: Callable[[int], bool] | None = getattr(batch, "claim", None)
        """A batch the main process may cut short (`_Claimed`) is claimed item by item."""

    def __iter__(self) -> Iterator[Item]:
        """Once the worker asks past the call's last item, no item is running: the
        bound is disarmed and a stop signal held until the call's result is kept.
        Each item costs one clock reading here (and one in `arm`): without a scan
        deadline every item's bound is the item bound itself."""
        batch, start, deadline, arm = self.batch, self.start, self.deadline, self.arm
        claim = self.claim
        items = batch.items if isinstance(batch, (_Claimed, _Yielding)) else batch
        ends = time.monotonic() + PACE_SECONDS
        for index in range(start, len(batch)):
            if index > start and time.monotonic() >= ends:
                break
            if claim is not None and not claim(index):
                break  # the rest of the batch went to the main process
            if deadline is not None and not self._bound(deadline - time.monotonic()):
                break
            self.taking, self.taken = index, index + 1
            arm(self.limit)
            yield items[index]  # claimed: within the batch's cut
        bounds.hold_stops()
        arm(None)

    def _bound(self, left: float) -> bool:
        """The item's bound under a scan deadline `left` seconds away (False, and
        `expired`, once it has passed)."""
        if left <= 0:
            self.expired = True
            return False
        item_seconds = self.item_seconds
        self.limit_was_item = item_seconds is not None and item_seconds <= left
        self.limit = item_seconds if self.limit_was_item else left
        return True

    def __len__(self) -> int:
        return len(self.batch) - self.start

    def __getitem__(self, index: Any) -> Any:
        """The items themselves, unarmed: a worker iterates, it does not index."""
        return self.batch[self.start :][index]


def _chain(head: list[Item], rest: Iterator[Item]) -> Iterator[Item]:
    yield from head
    yield from rest


@dataclass
class _Tail:
    """How many items a batch may hold as the run nears its end."""

    planned: Callable[[], int | None] | None
    processes: int
    handed: int = 0
    """Items in the batches made so far."""

    def limit(self) -> int:
        """BATCH_ITEMS, or a share of what is left once that is smaller: the run's
        last batches hold TAIL_ITEMS, so the last batch a worker started is
        short, and the main process takes back the ones not started."""
        total = self.planned() if self.planned is not None else None
        if total is None:
            return BATCH_ITEMS
        share = (total - self.handed) // (TAIL_SHARE * self.processes)
        return max(TAIL_ITEMS, min(BATCH_ITEMS, share))


def _batches(
    items: Iterable[Item], ramp: int = 0, tail: _Tail | None = None
) -> Iterator[list[Item]]:
    """Batches of up to BATCH_ITEMS items; the first `ramp` hold at most
    FIRST_BATCH_ITEMS, so a scan of a few hundred items still uses every worker,
    and near the end of a run of known size fewer (`_Tail`).
    A full batch is cut only where the path changes (as `_cuts` cuts slices), so
    the versions of a file go to one worker, up to GROUP_SLACK times the limits."""
    tail = tail or _Tail(None, 1)
    batch: list[Item] = []
    size = carried = made = 0
    limit = FIRST_BATCH_ITEMS if ramp else tail.limit()
    for item in items:
        if (
            batch
            and _full(len(batch), size, carried, limit, 1)
            and (
                not _same_path(batch[-1], item)
                or _full(len(batch), size, carried, limit, GROUP_SLACK)
            )
        ):
            yield batch
            tail.handed += len(batch)
            batch, size, carried, made = [], 0, 0, made + 1
            limit = FIRST_BATCH_ITEMS if made < ramp else tail.limit()
        batch.append(item)
        size += len(item.data) if item.data is not None else (item.size or 0)
        carried += len(item.data) if item.data is not None else 0
    if batch:
        yield batch


def _full(count: int, size: int, carried: int, limit: int, slack: int) -> bool:
    return (
        count >= limit * slack or size >= BATCH_BYTES * slack or carried >= BATCH_DATA_BYTES * slack
    )


def over_budget(config: Config, total: ItemResult, started: float) -> str | None:
    if config.max_seconds is not None and time.monotonic() - started > config.max_seconds:
        return f"time budget of {config.max_seconds:g}s reached"
    if config.max_bytes is not None and total.nbytes > config.max_bytes:
        return f"byte budget of {config.max_bytes} reached"
    return None


_WORKER: BatchWorker | None = None
_CLAIMS: _Claims | None = None


def _init_worker(
    low_priority: bool,
    factory: WorkerFactory,
    args: tuple[Any, ...],
    ready: BatchWorker | None = None,
    claims: _Claims | None = None,
) -> None:
    global _WORKER, _CLAIMS
    bounds.ignore_stop_signals_in_worker()
    if low_priority:
        from scanner.priority import lower_priority

        lower_priority()
    _WORKER = ready if ready is not None else factory(*args)
    _CLAIMS = claims


def _process_in_worker(
    batch: list[Item], deadline: float | None, item_seconds: float | None, slot: int | None = None
) -> ItemResult:
    assert _WORKER is not None
    items = batch if slot is None or _CLAIMS is None else _Claimed(batch, _CLAIMS, slot)
    return process_guarded(_WORKER, items, deadline, item_seconds)


CLAIM_SHARE = 8
"""A worker takes the items of its batch in claims of what is left over this
many (one at a time near the batch's end): it asks the shared lock a few dozen
times a batch, and a split leaves it at most one claim to finish."""


class _Claims:
    """Cells shared with forked workers (an anonymous shared mapping, and a lock):
    for each batch in flight, how far its worker has claimed items (`taken`) and
    where it must stop (`cut`). Once every item is handed out, the main process,
    out of work, moves a batch's cut back to the middle of what is left and
    scans the rest itself: the run no longer ends waiting while a worker scans a
    batch of slow items alone."""

    def __init__(self, slots: int) -> None:
        import mmap
        import multiprocessing

        self.lock = multiprocessing.get_context("fork").Lock()
        self.cells = memoryview(mmap.mmap(-1, 16 * slots)).cast("q")
        self.free = list(range(slots))

    def open(self, count: int) -> int | None:
        """A slot for a batch of `count` items about to be handed out (None if none is free)."""
        if not self.free:
            return None
        slot = self.free.pop()
        self.cells[2 * slot], self.cells[2 * slot + 1] = 0, count
        return slot

    def close(self, slot: int) -> None:
        self.free.append(slot)

    def left(self, slot: int) -> int:
        """Items of the slot's batch its worker has not claimed (a glance, unlocked)."""
        return self.cells[2 * slot + 1] - self.cells[2 * slot]

    def split(self, slot: int) -> tuple[int, int] | None:
        """Withdraw the second half of what is unclaimed: (new cut, old cut). A
        lock not had within a second (a worker killed while it held it) splits
        nothing: the run then waits for the batch's result, or its loss."""
        if not self.lock.acquire(timeout=1.0):
            return None
        try:
            taken, cut = self.cells[2 * slot], self.cells[2 * slot + 1]
            if cut - taken < 2:
                return None
            keep = taken + (cut - taken) // 2
            self.cells[2 * slot + 1] = keep
        finally:
            self.lock.release()
        return keep, cut

    def claim(self, slot: int, index: int) -> int:
        """Claim items from `index` on (a share of what is left): the end of the
        claim, or `index` itself when the batch was cut there."""
        with self.lock:
            cut = self.cells[2 * slot + 1]
            end = min(cut, index + max(1, (cut - index) // CLAIM_SHARE))
            if end > index:
                self.cells[2 * slot] = end
        return max(end, index)


class _Claimed(Sequence[Item]):
    """A worker's batch that the main process may cut short: its length is where
    the batch ends now, and `_Paced` claims each item before handing it out."""

    def __init__(self, items: list[Item], claims: _Claims, slot: int) -> None:
        self.items, self.claims, self.slot = items, claims, slot
        self.claimed = 0
        """Items claimed so far: those before it are this worker's."""

    def claim(self, index: int) -> bool:
        if index < self.claimed:
            return True
        self.claimed = self.claims.claim(self.slot, index)
        return index < self.claimed

    def __len__(self) -> int:
        return min(len(self.items), self.claims.cells[2 * self.slot + 1])

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, int):  # one item: no copy of the batch for every item taken
            return self.items[range(len(self))[index]]  # IndexError past the cut, as a list
        return self.items[: len(self)][index]
