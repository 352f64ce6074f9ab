"""`keysweep sweep [ROOT...]`: the roots given, else the home folder (`--home` adds it)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from scanner.cli import say
from scanner.cli.options import build_config, finish, scan_options


@click.command("sweep")
@click.argument("roots", nargs=-1, type=click.Path(path_type=Path, exists=True))
@click.option(
    "--home", "with_home", is_flag=True, help="Sweep the home folder as well as the ROOTs given."
)
@click.option("--no-home", is_flag=True, hidden=True, help="Kept for old scripts: the default.")
@click.option(
    "--max-seconds",
    type=click.FloatRange(min=0, min_open=True),
    help="Stop after this many seconds; the report says it is partial.",
)
@click.option(
    "--max-bytes",
    type=click.IntRange(min=1),
    help="Stop after reading this many bytes; the report says it is partial.",
)
@click.option(
    "--low-priority/--normal-priority",
    default=True,
    show_default=True,
    help="Run at the lowest CPU and I/O priority.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show a progress line (default: when standard error is a terminal).",
)
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links (loops are detected).")
@click.option(
    "--upload",
    metavar="URL",
    help="Send the report to this keysweep server (spooled and retried when it is down).",
)
@click.option(
    "--token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The host's upload token for --upload (default: $KEYSWEEP_TOKEN).",
)
@click.option(
    "--spool",
    type=click.Path(path_type=Path, file_okay=False),
    help="Where reports wait while the server is down (default: in the user's data folder).",
)
@scan_options
@click.pass_context
def command(
    ctx: click.Context,
    /,
    roots: tuple[Path, ...],
    with_home: bool,
    no_home: bool,
    max_seconds: float | None,
    max_bytes: int | None,
    low_priority: bool,
    progress: bool | None,
    upload: str | None,
    token_file: Path | None,
    spool: Path | None,
    **values: Any,
) -> None:
    """Sweep the ROOTs (or, with none, the home folder, key places first) for keys and
    credentials. Language runtimes' own files are left out (report: JSON)."""
    from scanner.progress import progress_for
    from scanner.sweep import sweep

    if no_home and not roots:
        raise click.UsageError("--no-home needs at least one ROOT")
    if with_home and no_home:
        raise click.UsageError("--home and --no-home contradict each other")
    if ctx.get_parameter_source("fmt") is click.core.ParameterSource.DEFAULT:
        values["fmt"] = "json"
    config = build_config(
        Path.home(),
        values,
        discover=False,
        max_seconds=max_seconds,
        max_bytes=max_bytes,
        low_priority=low_priority,
    )
    line = progress_for(progress)
    try:
        report = sweep(config, roots, include_home=with_home or not roots, progress=line)
    finally:
        if line is not None:
            line.close()
    if upload:
        _upload(ctx, report, config, values, upload, token_file, spool)
    finish(ctx, report, config, values)


def _upload(
    ctx: click.Context,
    report: Any,
    config: Any,
    values: dict[str, Any],
    url: str,
    token_file: Path | None,
    spool: Path | None,
) -> None:
    """Ship the JSON report (and any spooled ones); a refusal exits 2 after the output."""
    from scanner.cli.options import emit
    from scanner.report import render
    from scanner.server import client

    token = client.read_token(token_file)
    try:
        shipped = client.ship(render(report, "json"), url, token, spool or client.default_spool())
    except client.ServerError:
        emit(report, values)
        raise
    if shipped.spooled:
        say(
            f"keysweep: warning: the server is unreachable; {shipped.spooled} report(s) wait "
            f"in {shipped.spool} and go with the next --upload"
        )
    else:
        say(f"keysweep: uploaded {shipped.sent} report(s)")
