"""`keysweep baseline create|update|import`: write the file `--baseline` reads."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from scanner.cli.options import build_config

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_FILE = Path(".keysweep-baseline.json")


def _scan_input(func: F) -> F:
    """What to scan (files, or git history with --git) and how."""
    options = [
        click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
        click.option("--git", "use_git", is_flag=True, help="Scan the git history of PATH."),
        click.option("--since", metavar="REV", help="With --git: only commits after REV."),
        click.option("--branch", metavar="NAME", help="With --git: only this branch."),
        click.option("--config", "config_path", type=click.Path(path_type=Path, dir_okay=False)),
        click.option("--rules", "rules_dirs", multiple=True, type=click.Path(path_type=Path)),
        click.option("--no-builtin-rules", is_flag=True),
        click.option("--registry", type=click.Path(path_type=Path, exists=True, dir_okay=False)),
        click.option("--exclude", multiple=True, help="Glob of paths not to read."),
        click.option("--allow-path", "allow_paths", multiple=True),
        click.option(
            "--detector",
            "detectors",
            multiple=True,
            type=click.Choice(["rules", "python", "detect-secrets"]),
        ),
        click.option("--jobs", "-j", type=click.IntRange(min=0)),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group("baseline")
def command() -> None:
    """Create, update and import baselines (findings to stop reporting)."""


@command.command("create")
@_scan_input
@click.option(
    "--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_FILE
)
def create(output: Path, **values: Any) -> None:
    """Write a baseline of every current finding (ids and audit context, never secrets)."""
    _write(output, values, previous=None)


@command.command("update")
@_scan_input
@click.option(
    "--baseline", "-b", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_FILE
)
def update(baseline: Path, **values: Any) -> None:
    """Rescan: keep audit verdicts of findings still present, add new ones, drop the rest."""
    from scanner.baseline import load_baseline

    _write(baseline, values, previous=load_baseline(baseline))


@command.command("import")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--output", "-o", type=click.Path(path_type=Path, dir_okay=False), default=DEFAULT_FILE
)
def import_(source: Path, output: Path) -> None:
    """Convert a detect-secrets .secrets.baseline (audited verdicts are kept)."""
    from scanner.baseline import dumps, imported_document, load_baseline

    loaded = load_baseline(source)
    output.write_text(dumps(imported_document(loaded, _now(), output)), encoding="utf-8")
    counts = _verdicts(e.is_secret for e in loaded.imported)
    click.echo(f"imported {len(loaded.imported)} entries ({counts}) into {output}", err=True)


def _write(target: Path, values: dict[str, Any], previous: Any) -> None:
    from scanner.baseline import build, dumps

    report = _scan(values)
    document = build(report.findings, previous, _now())
    target.write_text(dumps(document), encoding="utf-8")
    left_out = sum(1 for f in report.findings if f.never_suppressed_by_baseline)
    kept = _verdicts(e["is_secret"] for e in document["findings"])
    note = f"; {left_out} critical registry findings left out" if left_out else ""
    click.echo(f"wrote {len(document['findings'])} findings ({kept}) to {target}{note}", err=True)


def _scan(values: dict[str, Any]) -> Any:
    from scanner.errors import ConfigError
    from scanner.scan import scan
    from scanner.sources.files import FileSource
    from scanner.sources.git import GitSource

    paths: tuple[Path, ...] = values.pop("paths") or (Path("."),)
    use_git, since, branch = values.pop("use_git"), values.pop("since"), values.pop("branch")
    if (since or branch) and not use_git:
        raise ConfigError("--since and --branch go with --git")
    root = paths[0] if len(paths) == 1 and paths[0].is_dir() else Path(".")
    config = build_config(root, values)
    if use_git:
        if len(paths) > 1:
            raise ConfigError("--git takes one repository")
        source: Any = GitSource(
            paths[0], since=since, branch=branch, exclude=config.exclude,
            max_file_size=config.max_file_size,
        )  # fmt: skip
    else:
        source = FileSource(paths, exclude=config.exclude, max_file_size=config.max_file_size)
    return scan(config, [source])


def _verdicts(values: Any) -> str:
    values = list(values)
    real = sum(1 for v in values if v is True)
    false = sum(1 for v in values if v is False)
    return f"{real} audited real, {false} audited false positive, {len(values) - real - false} unaudited"


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()
