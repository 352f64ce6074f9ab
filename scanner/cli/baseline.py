"""`keysweep baseline create|update|import`: write the file `--baseline` reads."""

from __future__ import annotations

import dataclasses
import datetime
import importlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from scanner.cli import say
from scanner.cli.options import (
    build_config,
    check_output,
    config_root,
    file_options,
    input_options,
)
from scanner.config import Config

if TYPE_CHECKING:
    from scanner.sources import Source
    from scanner.sources.build import Target

F = TypeVar("F", bound=Callable[..., Any])
DEFAULT_FILE = Path(".keysweep-baseline.json")


def _scan_input(func: F) -> F:
    """What to scan (files, or git history with --git) and how: the same options
    as `keysweep scan`, so a baseline is made from the scan it will filter."""
    options = [
        click.argument("paths", nargs=-1, type=click.Path(path_type=Path)),
        click.option("--git", "use_git", is_flag=True, help="Scan the git history of PATH."),
        click.option("--since", metavar="REV", help="With --git: only commits after REV."),
        click.option("--branch", metavar="NAME", help="With --git: only this branch."),
    ]
    for option in reversed(options):
        func = option(func)
    return file_options(input_options(func))


@click.group("baseline")
def command() -> None:
    """Create, update and import baselines (findings to stop reporting)."""


@command.command("create")
@_scan_input
@click.option(
    "--output",
    "-o",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"Where to write (default: the config's baseline, else {DEFAULT_FILE}).",
)
def create(output: Path | None, **values: Any) -> None:
    """Write a baseline of every current finding (ids and audit context, never secrets)."""
    _write(output, values, update=False)


@command.command("update")
@_scan_input
@click.option(
    "--baseline",
    "-b",
    type=click.Path(path_type=Path, dir_okay=False),
    help=f"The baseline to update (default: the config's baseline, else {DEFAULT_FILE}).",
)
def update(baseline: Path | None, **values: Any) -> None:
    """Rescan: keep audit verdicts of findings still present, add new ones, drop the rest."""
    _write(baseline, values, update=True)


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
    say(f"imported {len(loaded.imported)} entries ({counts}) into {output}")


def _write(target: Path | None, values: dict[str, Any], *, update: bool) -> None:
    from scanner.baseline import build, dumps, load_baseline
    from scanner.pipeline import scan

    check_output(target)
    config, sources = _prepare(values)
    target = target or config.baseline or DEFAULT_FILE
    check_output(target)
    previous = load_baseline(target) if update else None
    # A baseline is made from (or updated with) every finding: none is filtered
    # through the baseline being written, which need not exist yet.
    report = scan(dataclasses.replace(config, baseline=None), sources)
    document = build(report.findings, previous, _now())
    target.write_text(dumps(document), encoding="utf-8")
    left_out = sum(1 for f in report.findings if f.never_suppressed_by_baseline)
    kept = _verdicts(e["is_secret"] for e in document["findings"])
    note = f"; {left_out} critical registry findings left out" if left_out else ""
    say(f"wrote {len(document['findings'])} findings ({kept}) to {target}{note}")


def _prepare(values: dict[str, Any]) -> tuple[Config, list[Source]]:
    """The config and the sources to scan (files, or git history with --git)."""
    from scanner.errors import ConfigError
    from scanner.sources.build import Files, GitHistory, build_sources
    from scanner.sources.gitrange import GitRange

    paths: tuple[Path, ...] = values.pop("paths") or (Path("."),)
    use_git, since, branch = values.pop("use_git"), values.pop("since"), values.pop("branch")
    git_history = values.pop("git_history")
    if (since or branch) and not use_git:
        raise ConfigError("--since and --branch go with --git")
    if use_git and len(paths) > 1:
        raise ConfigError("--git takes one repository")
    config = build_config(config_root(paths), values)
    target: Target = (
        GitHistory(paths[0], GitRange(since=since, branch=branch))
        if use_git
        else Files(paths, git_history=git_history)
    )
    return config, build_sources(config, [target])


def _verdicts(values: Any) -> str:
    values = list(values)
    real = sum(1 for v in values if v is True)
    false = sum(1 for v in values if v is False)
    return f"{real} audited real, {false} audited false positive, {len(values) - real - false} unaudited"


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()


command.add_command(importlib.import_module("scanner.cli.baseline_audit").command)
