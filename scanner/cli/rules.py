"""`keysweep rules list` and `keysweep rules check [PATH...]`."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import click

from scanner.cli.options import rule_source_options
from scanner.config import Config, load_config


def _config(config_path: Path | None, rules_dirs: tuple[Path, ...], no_builtin: bool) -> Config:
    return load_config(config_path, Path(".")).with_overrides(
        rules_dirs=tuple(p.resolve() for p in rules_dirs),
        builtin_rules=False if no_builtin else None,
    )


@click.group("rules")
def command() -> None:
    """List and check detection rules."""


@command.command("list")
@rule_source_options
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
def list_rules(
    config_path: Path | None, rules_dirs: tuple[Path, ...], no_builtin_rules: bool, fmt: str
) -> None:
    """List the rules in use: id, kind, severity and name."""
    from scanner.engine.ruleset import load_rules

    rules = load_rules(_config(config_path, rules_dirs, no_builtin_rules))
    if fmt == "json":
        rows = [
            {
                "id": r.id,
                "name": r.name,
                "kind": r.kind.value,
                "severity": r.severity.label,
                "keywords": list(r.keywords),
                "file": r.source_file,
                "references": list(r.references),
            }
            for r in rules
        ]
        click.echo(json.dumps(rows, indent=2))
        return
    width = max((len(r.id) for r in rules), default=2)
    for r in rules:
        click.echo(f"{r.id:<{width}}  {r.kind.value:<11}  {r.severity.label:<8}  {r.name}")
    click.echo(f"{len(rules)} rules", err=True)


@command.command("check")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path, exists=True))
@rule_source_options
@click.pass_context
def check(
    ctx: click.Context,
    paths: tuple[Path, ...],
    config_path: Path | None,
    rules_dirs: tuple[Path, ...],
    no_builtin_rules: bool,
) -> None:
    """Run every rule's examples and negative examples (default: the built-in rules)."""
    from scanner.engine.ruleset import load_paths, load_rules
    from scanner.engine.selfcheck import check_rules, engines

    if paths:
        rules = tuple(load_paths([*paths, *(p.resolve() for p in rules_dirs)]))
    else:
        rules = load_rules(_config(config_path, rules_dirs, no_builtin_rules))
    lanes = engines(rules)
    failures = check_rules(rules, lanes)
    for failure in failures:
        click.echo(str(failure))
    for engine in lanes:
        for slow in engine.re2_only_rules:
            click.echo(
                f"{slow.source_file}: {slow.id}: note: Hyperscan cannot compile this pattern;"
                " it runs in the slower RE2 lane",
                err=True,
            )
    lane_names = " and ".join(e.lane for e in lanes)
    click.echo(f"{len(rules)} rules checked ({lane_names}): {len(failures)} failure(s)", err=True)
    ctx.exit(1 if failures else 0)


command.add_command(importlib.import_module("scanner.cli.rules_import").command)
