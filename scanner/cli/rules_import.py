"""`keysweep rules import-gitleaks`: a team's custom gitleaks rules as a keysweep rule file.

The command writes YAML that `keysweep rules check` accepts (examples included)
and prints, one line each, every part of every gitleaks rule it could not carry
over, so a switch of scanners never loses a rule without saying so.
"""

from __future__ import annotations

from pathlib import Path

import click
import yaml

HEADER = (
    "# Converted from {source} by `keysweep rules import-gitleaks`.\n"
    "# Examples were generated from each pattern and checked by the engine;\n"
    "# replace them with real-looking values of your own tokens when you can.\n"
)


@click.command("import-gitleaks")
@click.argument("source", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@click.option(
    "--output", "-o", required=True, type=click.Path(path_type=Path, dir_okay=False),
    help="The keysweep rule file to write (YAML).",
)  # fmt: skip
@click.option("--prefix", default="gitleaks", show_default=True, help="Rule id prefix.")
@click.option(
    "--severity",
    type=click.Choice(["critical", "high", "medium", "low", "info"]),
    default="high",
    show_default=True,
    help="Severity of every converted rule (gitleaks rules have none).",
)
def command(source: Path, output: Path, prefix: str, severity: str) -> None:
    """Convert a .gitleaks.toml's rules (regex, secretGroup, keywords, entropy, path,
    allowlists, [extend]) into a keysweep rule file; say what could not be converted."""
    from scanner.cli.options import check_output
    from scanner.compat.examples import add_examples
    from scanner.compat.gitleaks_config import convert, read_config

    check_output(output)
    conversion = convert(read_config(source), prefix=prefix, severity=severity)
    rules = [dict(r) for r in conversion.rules]
    untested = add_examples(rules, str(output))
    output.write_text(_document(source, rules), encoding="utf-8")
    for note in conversion.notes:
        click.echo(str(note), err=True)
    for rule_id in untested:
        click.echo(f"{rule_id}: fewer than two examples could be made; add your own", err=True)
    click.echo(
        f"{output}: {len(rules)} of {conversion.total} gitleaks rules converted "
        f"({len(conversion.skipped)} not converted, {len(conversion.notes)} notes)",
        err=True,
    )


def _document(source: Path, rules: list[dict[str, object]]) -> str:
    body = yaml.safe_dump({"rules": rules}, sort_keys=False, allow_unicode=True, width=100)
    return HEADER.format(source=source.name) + body
