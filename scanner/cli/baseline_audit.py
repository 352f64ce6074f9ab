"""`keysweep baseline audit`: label a baseline's unaudited entries, one at a time.

detect-secrets users audit their baseline interactively; this is the same walk
over a keysweep baseline. Each entry is shown as the baseline holds it (rule,
severity, place, commit, the redacted preview: never the secret), and the answer
is written back at once as `is_secret`, so quitting half-way keeps every label
given so far.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from scanner.cli import say

ANSWERS = {"y": True, "n": False}
PROMPT = "Real secret? [y]es, [n]o (false positive), [s]kip, [q]uit"


@click.command("audit")
@click.argument(
    "baseline", required=False, type=click.Path(path_type=Path, dir_okay=False, exists=True)
)
@click.option("--all", "everything", is_flag=True, help="Also walk entries audited before.")
def command(baseline: Path | None, everything: bool) -> None:
    """Walk the unaudited entries of a baseline and label each one real or false."""
    from scanner.cli.baseline import DEFAULT_FILE

    path = baseline or DEFAULT_FILE
    document = _read(path)
    entries = [e for e in document["findings"] if everything or e.get("is_secret") is None]
    labelled = 0
    for number, entry in enumerate(entries, start=1):
        click.echo(_describe(entry, number, len(entries)))
        answer = click.prompt(PROMPT, type=click.Choice(["y", "n", "s", "q"]), show_choices=False)
        if answer == "q":
            break
        if answer in ANSWERS:
            entry["is_secret"] = ANSWERS[answer]
            labelled += 1
            _write(path, document)
    left = sum(1 for e in document["findings"] if e.get("is_secret") is None)
    say(f"{path}: labelled {labelled} entries; {left} left unaudited")


def _read(path: Path) -> dict[str, Any]:
    from scanner.baseline import load_baseline
    from scanner.errors import BaselineError

    load_baseline(path)  # checks the format, the version and the hash key
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(document.get("findings"), list):  # loaded, so detect-secrets'
        raise BaselineError(
            f"{path}: a detect-secrets baseline; import it and run `keysweep baseline "
            "update` first, then audit the keysweep baseline"
        )
    return document


def _describe(entry: dict[str, Any], number: int, total: int) -> str:
    from scanner.text import escape_control

    place = f"{entry.get('path', '?')}:{entry.get('line', '?')}"
    commit = f"  commit {str(entry['commit'])[:12]}" if entry.get("commit") else ""
    lines = [
        f"[{number}/{total}] {entry.get('severity', '').upper()}  {entry.get('rule', '')}  "
        f"{place}{commit}",
        f"    secret {entry.get('preview', '')}",
    ]
    if entry.get("is_secret") is not None:
        lines.append(f"    audited before: is_secret {json.dumps(entry['is_secret'])}")
    return "\n".join(escape_control(line) for line in lines)


def _write(path: Path, document: dict[str, Any]) -> None:
    from scanner.baseline import dumps

    path.write_text(dumps(document), encoding="utf-8")
