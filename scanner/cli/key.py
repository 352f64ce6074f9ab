"""`keysweep key inspect FILE...`: format, algorithm and fingerprints of key files."""

from __future__ import annotations

from pathlib import Path

import click

from scanner.cli import EXIT_CLEAN, EXIT_FINDINGS, say


@click.group(name="key")
def command() -> None:
    """Inspect key files."""


@command.command("inspect")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=True))
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--registry-entry",
    is_flag=True,
    help="Print a registry `keys:` skeleton (YAML) with the fingerprints filled in.",
)
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Config file whose `passphrases` list to try (default: the built-in list).",
)
@click.pass_context
def inspect(
    ctx: click.Context,
    files: tuple[str, ...],
    fmt: str,
    registry_entry: bool,
    config_path: Path | None,
) -> None:
    """Print the format, algorithm, size and every fingerprint of each key FILE.

    FILE may hold a private key in any format keysweep reads, or only a public
    key or certificate (an SSH .pub line, a PEM public key, a certificate, a
    public JWK or JWKS), which is enough to fill a registry entry.

    No passphrase is ever asked for: the short list of well-known ones (empty,
    changeit, android, password, …) is tried, and a key that opens with one is
    reported as such. Where the public part cannot be read (an encrypted
    PKCS#8 or PKCS#12 with no public key or certificate beside it) the output
    says so.

    Exit status: 0 when every FILE holds a key; 1 when some FILE holds no
    readable key (not a key, or damaged); 2 when a FILE cannot be read.
    """
    from scanner.config import load_config
    from scanner.keys.inspect import read_key_file, render_json, render_text
    from scanner.text import escape_control

    passphrases = load_config(config_path, Path(".")).passphrases
    results = [read_key_file(path, passphrases) for path in files]
    if registry_entry:
        from scanner.keys.skeleton import render

        click.echo(render(results), nl=False)
    elif fmt == "json":
        click.echo(render_json(results), nl=False)
    else:
        click.echo(render_text(results), nl=False)
    missing = [r.path for r in results if not r.holds_key]
    for path in missing:
        say(f"keysweep: {escape_control(path)}: no readable key")
    ctx.exit(EXIT_FINDINGS if missing else EXIT_CLEAN)
