"""`keysweep registry check|import-jwks|import-cbom|hash-secret`: the key registry without a scan."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from scanner.cli import EXIT_CLEAN, EXIT_FINDINGS, say


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
        say(f"{out}: {line}")


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
        say(f"{out}: {line}")


MAX_SECRET_BYTES = 64 * 1024


@command.command("hash-secret")
@click.argument("registry", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--stdin/--prompt",
    "from_stdin",
    default=None,
    help="Read the secret from standard input (one trailing newline dropped), or ask for "
    "it without echo (default: ask on a terminal, else read standard input).",
)
def hash_secret(registry: Path, from_stdin: bool | None) -> None:
    """Print the `secret_hash` of a symmetric secret under REGISTRY's scrypt settings,
    for its entry's `fingerprints.secret_hash`. The secret is never an argument:
    arguments end up in shell history and process listings."""
    from scanner.errors import RegistryError
    from scanner.registry import load_registry
    from scanner.registry.secrethash import secret_hash, secret_hash_affordable

    loaded = load_registry(registry)
    params = loaded.secret_hash
    if params is None:
        raise RegistryError(
            f"{registry}: no registry.secret_hash (alg, salt, n, r, p) to hash with"
        )
    if not secret_hash_affordable(params):
        raise RegistryError(f"{registry}: registry.secret_hash asks scrypt for too much memory")
    secret = _read_secret(_use_stdin(from_stdin))
    digest = secret_hash(secret, params)
    click.echo(digest)
    listed = loaded.find("secret_hash", digest)
    where = f"already listed as {listed.id}" if listed else "put it in the key's fingerprints"
    say(f"{registry}: secret_hash of a {len(secret)}-byte secret; {where}")


def _use_stdin(choice: bool | None) -> bool:
    import sys

    return choice if choice is not None else not sys.stdin.isatty()


def _read_secret(from_stdin: bool) -> bytes:
    """The secret, from standard input or a hidden prompt (asked twice)."""
    import sys

    from scanner.errors import ConfigError

    if from_stdin:
        data = sys.stdin.buffer.read(MAX_SECRET_BYTES + 1)
        if len(data) > MAX_SECRET_BYTES:
            raise ConfigError(f"the secret on standard input is over {MAX_SECRET_BYTES} bytes")
        secret = data.removesuffix(b"\n").removesuffix(b"\r")
    else:
        text = click.prompt("Secret", hide_input=True, confirmation_prompt=True, err=True)
        secret = str(text).encode("utf-8")
    if not secret:
        raise ConfigError("the secret is empty")
    return secret
