"""`keysweep worker`: run repository scans from the job queue, on any machine that
reaches the database."""

from __future__ import annotations

from pathlib import Path

import click

from scanner.cli.repos import db_option
from scanner.errors import KeysweepError

MIB = 1024 * 1024


@click.command("worker")
@db_option
@click.option(
    "--concurrency",
    type=click.IntRange(1, 64),
    default=1,
    show_default=True,
    help="Jobs at a time.",
)
@click.option("--until-empty", is_flag=True, help="Exit once no scan is waiting or running.")
@click.option(
    "--cache",
    type=click.Path(path_type=Path, file_okay=False),
    help="Mirror cache folder (default: the user's cache folder).",
)
@click.option(
    "--registry",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    multiple=True,
    help="Key registry (repeatable).",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="keysweep config for the scans.",
)
@click.option(
    "--max-minutes",
    type=click.FloatRange(0.1),
    default=30.0,
    show_default=True,
    help="Time limit per job.",
)
@click.option(
    "--max-mb",
    type=click.IntRange(1),
    default=2048,
    show_default=True,
    help="Mirror size limit per repository.",
)
@click.option(
    "--scan-jobs",
    type=click.IntRange(0),
    default=1,
    show_default=True,
    help="Scan processes per job (0: all cores).",
)
@click.option(
    "--rescan-cron", default="0 3 * * *", show_default=True, help="When to rescan every repository."
)
@click.option("--heartbeat-seconds", type=click.FloatRange(0.1), default=10.0, show_default=True)
@click.option(
    "--stalled-seconds",
    type=click.FloatRange(1.0),
    default=60.0,
    show_default=True,
    help="A worker silent this long is dead; its job runs again.",
)
@click.option(
    "--retry-wait",
    type=click.IntRange(1, 60),
    default=5,
    show_default=True,
    help="A failed job runs again after this many seconds, then its square (3 retries).",
)
def command(
    db_url: str,
    concurrency: int,
    until_empty: bool,
    cache: Path | None,
    registry: tuple[Path, ...],
    config_file: Path | None,
    max_minutes: float,
    max_mb: int,
    scan_jobs: int,
    rescan_cron: str,
    heartbeat_seconds: float,
    stalled_seconds: float,
    retry_wait: int,
) -> None:
    """Run repository scans from the queue (see docs/org.md). With --until-empty, exit 2
    when a repository could not be scanned (a limit, or a fetch that failed every attempt),
    else 1 when one was scanned only in part (unscanned content fails as a finding does)."""
    from croniter import croniter

    from scanner.repos import mirror, open_database, queue

    if not croniter.is_valid(rescan_cron):
        raise KeysweepError(f"--rescan-cron {rescan_cron!r}: not a cron expression")

    settings = queue.WorkerSettings(
        db_url=db_url,
        cache=(cache or mirror.default_cache()).absolute(),
        max_seconds=max_minutes * 60,
        max_bytes=max_mb * MIB,
        scan_jobs=scan_jobs,
        config_file=config_file.absolute() if config_file else None,
        registries=tuple(p.absolute() for p in registry),
        rescan_cron=rescan_cron,
        heartbeat_seconds=heartbeat_seconds,
        stalled_seconds=stalled_seconds,
        retry_wait=retry_wait,
    )
    engine = open_database(db_url)
    try:
        ran = queue.run_worker(settings, engine, concurrency=concurrency, until_empty=until_empty)
    finally:
        engine.dispose()
    click.echo(f"{ran.scanned} repositories scanned")
    if ran.failed:  # a queue drained is not a clean result when some repositories were not scanned
        raise KeysweepError(
            f"{ran.failed} repositories could not be scanned (see keysweep repos list)"
        )
    if ran.partial:  # as `keysweep scan` fails on unscanned-content
        click.echo(
            f"keysweep: {ran.partial} repositories scanned in part: content left unscanned "
            "(see keysweep repos list)",
            err=True,
        )
        click.get_current_context().exit(1)
