"""`keysweep scan PATH...`: files and folders."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from scanner.cli.options import build_config, finish, scan_options


@click.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--follow-symlinks", is_flag=True, help="Follow symbolic links (loops are detected).")
@scan_options
@click.pass_context
def command(
    ctx: click.Context, /, paths: tuple[Path, ...], follow_symlinks: bool, **values: Any
) -> None:
    """Scan files and folders (default: the current folder) for keys and credentials."""
    from scanner.scan import scan
    from scanner.sources.files import FileSource

    roots = list(paths) or [Path(".")]
    root = roots[0] if len(roots) == 1 and roots[0].is_dir() else Path(".")
    config = build_config(root, values, follow_symlinks=follow_symlinks or None)
    source = FileSource(
        roots,
        exclude=config.exclude,
        follow_symlinks=config.follow_symlinks,
        max_file_size=config.max_file_size,
    )
    report = scan(config, [source])
    finish(ctx, report, config, values)
