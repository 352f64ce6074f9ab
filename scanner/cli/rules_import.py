"""`keysweep rules import-gitleaks`: a team's custom gitleaks rules as a keysweep rule file.

The command writes YAML that `keysweep rules check` accepts (examples included)
and prints, one line each, every part of every gitleaks rule it could not carry
over, so a switch of scanners never loses a rule without saying so.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import yaml

from scanner.cli import say

HEADER = (
    "# Converted from {source} by `keysweep rules import-gitleaks`.\n"
    "# Examples were generated from each pattern and checked by the engine;\n"
    "# replace them with real-looking values of your own tokens when you can.\n"
)


PARKED = (
    "\n# Converted, but no example could be made from the pattern. Add `examples` and\n"
    "# `negative_examples` of your own, then move each rule into the list above.\n"
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
    short = set(add_examples(rules, str(output)))
    ready = [r for r in rules if r["examples"] and r["negative_examples"]]
    parked = [r for r in rules if r not in ready]
    output.write_text(_document(source, ready, parked), encoding="utf-8")
    for note in conversion.notes:
        say(str(note))
    for rule in rules:
        if rule in parked:
            say(f"{rule['id']}: no example could be made: written commented out")
        elif rule["id"] in short:
            say(f"{rule['id']}: fewer than two examples could be made")
    say(
        f"{output}: {len(ready)} of {conversion.total} gitleaks rules converted "
        f"({len(parked)} commented out for want of examples, "
        f"{len(conversion.skipped)} not converted, {len(conversion.notes)} notes)"
    )


def _document(source: Path, ready: list[dict[str, Any]], parked: list[dict[str, Any]]) -> str:
    body = _yaml({"rules": ready})
    if parked:
        lines = _yaml(parked).splitlines()
        body += PARKED + "".join(f"# {line}\n" for line in lines)
    return HEADER.format(source=source.name) + body


def _yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
