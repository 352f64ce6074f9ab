"""The job queue: Procrastinate on the inventory's PostgreSQL.

One task per repository (`keysweep.scan_repository`), deferred with a queueing
lock (`repo:<id>`: at most one waiting job per repository, so `repos scan`
twice enqueues once) and a lock of the same name (never two jobs of one
repository at a time). A failed job is retried with backoff. A periodic task
(`keysweep.rescan_all`, cron from `keysweep worker --rescan-cron`) defers every
repository again, and another (`keysweep.retry_stalled`, every minute) puts
back the jobs of workers whose heartbeat stopped: a worker that died mid-job
wrote nothing (the job's results go in one transaction), and its job runs again
elsewhere.

Procrastinate's tables are made by `prepare`, which `repos` and `worker` run
before anything else: under a PostgreSQL advisory lock, it runs the inventory's
Alembic migrations and applies Procrastinate's schema when its jobs table is
missing. Upgrading Procrastinate's schema to a later Procrastinate is its own
migrations' job (`procrastinate schema`), not ours.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from scanner.errors import InventoryError
from scanner.repos import job, mirror, store

SCAN_TASK = "keysweep.scan_repository"
RESCAN_TASK = "keysweep.rescan_all"
STALLED_TASK = "keysweep.retry_stalled"
QUEUE = "keysweep-repos"
PREPARE_LOCK = 0x6B657973  # "keys": one process migrates at a time
log = logging.getLogger("keysweep.repos")


@dataclass(frozen=True)
class WorkerSettings:
    """What a worker's jobs need besides the repository: limits and scan options."""

    db_url: str
    cache: Path
    max_seconds: float = 1800.0
    max_bytes: int = 2 * 1024**3
    max_file_size: int = 25 * 1024 * 1024
    scan_jobs: int = 1
    config_file: Path | None = None
    registries: tuple[Path, ...] = ()
    rescan_cron: str = "0 3 * * *"
    heartbeat_seconds: float = 10.0
    stalled_seconds: float = 60.0
    """A worker silent this long is dead: its running job is put back in the queue."""
    retries: int = 3
    retry_wait: int = 5
    """A failed job runs again after retry_wait, then retry_wait² seconds, …"""


@dataclass
class _State:
    settings: WorkerSettings | None = None
    engine: Engine | None = None
    app: Any = None
    results: dict[int, str | None] = field(default_factory=dict)
    """Repository id → None when its last job here stored a complete scan, else why
    not ("partial" when it stored one that left content unscanned)."""

    @property
    def failed(self) -> list[int]:
        return [repository_id for repository_id, why in self.results.items() if why]


@dataclass(frozen=True)
class Ran:
    """What `run_worker` did, by each repository's last job here."""

    scanned: int
    failed: int
    """Not scanned (a limit, a fetch that failed every attempt), not scanned since."""
    partial: int
    """Scanned, but content was left unscanned (`unscanned-content`)."""


STATE = _State()
"""The running worker's settings: tasks are module functions, called by Procrastinate."""


def conninfo(db_url: str) -> str:
    """The SQLAlchemy URL as a libpq URI for Procrastinate's psycopg connector."""
    url = make_url(db_url)
    if not url.drivername.startswith("postgresql"):
        raise InventoryError(
            f"{url.drivername}: the job queue needs PostgreSQL (--db postgresql+psycopg://…)"
        )
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


def make_app(db_url: str, settings: WorkerSettings | None = None, *, periodic: bool = False) -> Any:
    """A Procrastinate App on the database, with keysweep's tasks (and their
    schedules when `periodic`: a worker that runs until the queue is empty has none)."""
    import procrastinate

    settings = settings or WorkerSettings(db_url, Path())
    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=conninfo(db_url)))
    strategy = procrastinate.RetryStrategy(
        max_attempts=settings.retries, exponential_wait=settings.retry_wait
    )
    app.task(name=SCAN_TASK, queue=QUEUE, retry=strategy)(scan_repository)
    rescan = app.task(name=RESCAN_TASK, queue=QUEUE, queueing_lock=RESCAN_TASK)(rescan_all)
    stalled = app.task(name=STALLED_TASK, queue=QUEUE, queueing_lock=STALLED_TASK)(retry_stalled)
    if periodic:
        app.periodic(cron=settings.rescan_cron, periodic_id="rescan")(rescan)
        app.periodic(cron="* * * * *", periodic_id="stalled")(stalled)
    return app


def prepare(engine: Engine) -> None:
    """Our migrations and Procrastinate's schema, once, whoever runs first."""
    from procrastinate.schema import SchemaManager

    from scanner.inventory import migrate

    with engine.connect() as lock:
        lock.execute(text("SELECT pg_advisory_lock(:key)"), {"key": PREPARE_LOCK})
        try:
            migrate.upgrade(engine)
            with engine.begin() as connection:
                if connection.scalar(text("SELECT to_regclass('procrastinate_jobs')")) is None:
                    raw: Any = connection.connection.driver_connection
                    raw.execute(SchemaManager.get_schema())
        finally:
            lock.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": PREPARE_LOCK})
            lock.commit()


def enqueue(app: Any, repository_ids: list[int]) -> tuple[int, int]:
    """Defer one scan per repository; (deferred, already waiting)."""
    from procrastinate.exceptions import AlreadyEnqueued

    deferred = waiting = 0
    for repository_id in repository_ids:
        try:
            _scan_job(app, repository_id).defer(repository_id=repository_id)
            deferred += 1
        except AlreadyEnqueued:
            waiting += 1
    return deferred, waiting


def _scan_job(app: Any, repository_id: int) -> Any:
    """The scan task with the repository's lock and queueing lock."""
    lock = f"repo:{repository_id}"
    return app.tasks[SCAN_TASK].configure(lock=lock, queueing_lock=lock)


# --- tasks (run by the worker) ---------------------------------------------------


def scan_repository(repository_id: int) -> int:
    """Fetch and scan one repository; store the outcome in one transaction. A
    repository removed before or while its job runs ends the job with nothing
    stored and nothing to retry, and this worker's mirror of it deleted."""
    settings, engine = _running()
    discard_removed(engine, settings.cache)
    with Session(engine) as session:
        started_from = store.recorded_refs(session, repository_id)
        spec = _spec(session, settings, repository_id, started_from)
    if spec is None:
        return _removed(repository_id)
    try:
        outcome = job.run(spec)
    except job.JobFailed as exc:
        with Session(engine) as session, session.begin():
            if not store.is_active(session, repository_id):
                return _removed(repository_id)
            store.mark_failed(session, repository_id, str(exc))
        STATE.results[repository_id] = str(exc)
        raise
    try:
        with Session(engine) as session, session.begin():
            sightings = store.record_scan(session, repository_id, started_from, outcome)
    except store.RepositoryRemoved:
        return _removed(repository_id)
    STATE.results[repository_id] = outcome.problem or ("partial" if outcome.unscanned else None)
    log.info("repository %s: %s blobs, %s key sightings", repository_id, outcome.blobs, sightings)
    return sightings


def _removed(repository_id: int) -> int:
    """A job whose repository was removed: nothing stored, its mirror deleted."""
    settings, engine = _running()
    discard_removed(engine, settings.cache)
    log.info("repository %s: removed; its scan is not stored", repository_id)
    return 0


def discard_removed(engine: Engine, cache: Path) -> int:
    """Delete the mirrors of removed repositories in `cache`; how many there were.
    Each worker runs it on its own cache when it starts and before each job (the
    mirrors are not shared between machines: `repos remove` reaches only its own).
    A mirror it cannot delete is a warning (`mirror.discard_all`): it never fails the
    job it runs before, which is another repository's scan."""
    with Session(engine) as session:
        urls = store.removed_mirror_urls(session)
    return mirror.discard_all(cache, urls)


def cancel_waiting(app: Any, repository_ids: list[int]) -> int:
    """Cancel the scans of these repositories that wait in the queue (retries
    included); how many. Running ones are left to end: they store nothing once
    their repository is removed (`store.record_scan`)."""
    cancelled = 0
    for repository_id in repository_ids:
        lock = f"repo:{repository_id}"
        for waiting in app.job_manager.list_jobs(task=SCAN_TASK, lock=lock, status="todo"):
            cancelled += bool(app.job_manager.cancel_job_by_id(waiting.id))
    return cancelled


def _spec(
    session: Session, settings: WorkerSettings, repository_id: int, refs: dict[str, str]
) -> job.JobSpec | None:
    """What the job needs; None when the repository is gone or removed."""
    from scanner.inventory.models import Repository
    from scanner.repos.urls import check_url

    row = session.get(Repository, repository_id)
    if row is None or row.removed_at is not None:
        return None
    url = check_url(row.url, allow_http=row.url.startswith("http://"))
    return job.JobSpec(
        repository_id=repository_id,
        url=url.url,
        scheme=url.scheme,
        refs=refs,
        cache=str(settings.cache),
        max_seconds=settings.max_seconds,
        max_bytes=settings.max_bytes,
        max_file_size=settings.max_file_size,
        scan_jobs=settings.scan_jobs,
        config_file=str(settings.config_file) if settings.config_file else None,
        registries=tuple(str(p) for p in settings.registries),
    )


async def rescan_all(timestamp: int) -> int:
    """The periodic rescan: every repository deferred again (waiting ones stay once)."""
    from procrastinate.exceptions import AlreadyEnqueued

    _, engine = _running()
    with Session(engine) as session:
        ids, _ = store.without_refused(session, store.select_ids(session, []))
    deferred = 0
    for repository_id in ids:
        with contextlib.suppress(AlreadyEnqueued):
            await _scan_job(STATE.app, repository_id).defer_async(repository_id=repository_id)
            deferred += 1
    return deferred


async def retry_stalled(timestamp: int) -> int:
    """Put back the running jobs of workers whose heartbeat stopped."""
    return await retry_stalled_now(STATE.app)


async def retry_stalled_now(app: Any) -> int:
    settings, _ = _running()
    manager = app.job_manager
    stalled = await manager.get_stalled_jobs(seconds_since_heartbeat=settings.stalled_seconds)
    for stuck in stalled:
        await manager.retry_job(stuck)
    return len(list(stalled))


def _running() -> tuple[WorkerSettings, Engine]:
    if STATE.settings is None or STATE.engine is None:
        raise InventoryError("keysweep tasks run inside `keysweep worker` only")
    return STATE.settings, STATE.engine


# --- the worker ----------------------------------------------------------------


def run_worker(
    settings: WorkerSettings, engine: Engine, *, concurrency: int, until_empty: bool
) -> Ran:
    """Run jobs; with `until_empty`, until no job is waiting or running anywhere
    (a dead worker's job is put back once its heartbeat is stale, then run here)."""
    import asyncio

    STATE.settings, STATE.engine = settings, engine
    discard_removed(engine, settings.cache)
    STATE.app = make_app(settings.db_url, settings, periodic=not until_empty)
    asyncio.run(_work(STATE.app, settings, concurrency, until_empty))
    failed = _still_failed(engine, STATE.failed, "failed")
    partial = _still_failed(engine, STATE.failed, "partial")
    return Ran(len(STATE.results) - failed - partial, failed, partial)


def _still_failed(engine: Engine, ids: list[int], status: str) -> int:
    """Of the repositories whose job here failed or was partial, those still in that
    state (no other worker scanned them completely since)."""
    from sqlalchemy import func, select

    from scanner.inventory.models import Repository

    if not ids:
        return 0
    with Session(engine) as session:
        query = select(func.count()).where(
            Repository.id.in_(ids),
            Repository.last_status == status,
            Repository.removed_at.is_(None),
        )
        return int(session.scalar(query) or 0)


async def _work(app: Any, settings: WorkerSettings, concurrency: int, until_empty: bool) -> None:
    options = _worker_options(settings, concurrency, until_empty)
    async with app.open_async():
        if not until_empty:
            await app.run_worker_async(**options)
            return
        while True:
            await retry_stalled_now(app)
            await app.run_worker_async(**options)
            if not await _pending(app):
                return
            await _sleep(min(settings.heartbeat_seconds, 1.0))


def _worker_options(
    settings: WorkerSettings, concurrency: int, until_empty: bool
) -> dict[str, Any]:
    return {
        "queues": [QUEUE],
        "concurrency": concurrency,
        "wait": not until_empty,
        "update_heartbeat_interval": settings.heartbeat_seconds,
        "stalled_worker_timeout": settings.stalled_seconds,
        "install_signal_handlers": not until_empty,
        "delete_jobs": "successful",
    }


async def _pending(app: Any) -> bool:
    """Scan jobs waiting or running anywhere (periodic tasks do not count)."""
    rows = await app.connector.execute_query_all_async(
        "SELECT 1 FROM procrastinate_jobs WHERE task_name = %(task)s "
        "AND status IN ('todo', 'doing') LIMIT 1",
        task=SCAN_TASK,
    )
    return bool(rows)


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)
