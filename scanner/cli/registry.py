"""`keysweep registry check|import-jwks|import-cbom`: the key registry without a scan."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from scanner.cli import EXIT_CLEAN, EXIT_FINDINGS


def _day(ctx: click.Context, param: click.Parameter, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from None


TODAY = click.option(
    "--today", callback=_day, metavar="YYYY-MM-DD", help="Judge dates as of this day."
)
OUT = click.option(
    "--registry",
    "out",
    required=True,
    type=click.Path(path_type=Path, dir_okay=False),
    help="Registry file to update (created when missing; .json writes JSON, else YAML).",
)


@click.group("registry")
def command() -> None:
    """Check the key registry's own hygiene, and build it from JWKS or CycloneDX."""


@command.command("check")
@click.argument("registry", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "--jwks",
    "jwks_sources",
    multiple=True,
    metavar="FILE|URL",
    help="A published JWKS: retired keys still in it are problems (repeatable).",
)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@click.option(
    "--grace-days",
    type=click.IntRange(min=0),
    default=90,
    show_default=True,
    help="How long a deactivated or compromised key may wait for destruction.",
)
@TODAY
@click.pass_context
def check(
    ctx: click.Context,
    registry: Path,
    jwks_sources: tuple[str, ...],
    fmt: str,
    grace_days: int,
    today: date | None,
) -> None:
    """Report departed owners, overdue rotation, undestroyed and still-published
    retired keys, and duplicate fingerprints. Exit 1 when there are problems."""
    from scanner.registry import audit, load_registry
    from scanner.registry.importers.jwks import read_jwks

    loaded = load_registry(registry)
    published = [key for source in jwks_sources for key in read_jwks(source)]
    problems = audit.audit(loaded, published, today, grace_days)
    render = audit.as_json if fmt == "json" else audit.as_text
    click.echo(render(loaded, problems), nl=False)
    ctx.exit(EXIT_FINDINGS if problems else EXIT_CLEAN)


@command.command("import-jwks")
@click.argument("source")
@OUT
@click.option("--timeout", type=float, default=10.0, show_default=True, help="For a URL.")
@TODAY
def import_jwks(source: str, out: Path, timeout: float, today: date | None) -> None:
    """Add the keys of a JWKS (file or URL) to a registry; keys an earlier import
    added and this snapshot lacks become deactivated."""
    from scanner.registry.importers import load_or_new, save
    from scanner.registry.importers.jwks import import_jwks as run
    from scanner.registry.importers.jwks import read_jwks

    published = read_jwks(source, timeout)
    document = load_or_new(out, f"keys imported from {Path(source).name or source}")
    summary = run(document, published, today or date.today())
    save(document, out)
    for line in summary.lines():
        click.echo(f"{out}: {line}", err=True)


@command.command("import-cbom")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@OUT
def import_cbom(file: Path, out: Path) -> None:
    """Add the keys of a CycloneDX 1.6 or 1.7 CBOM (JSON) to a registry."""
    from scanner.registry.importers import load_or_new, save
    from scanner.registry.importers.cyclonedx import import_cbom as run
    from scanner.registry.importers.cyclonedx import read_cbom

    bom = read_cbom(file)
    document = load_or_new(out, f"keys imported from {file.name}")
    summary = run(document, bom)
    save(document, out)
    for line in summary.lines():
        click.echo(f"{out}: {line}", err=True)
