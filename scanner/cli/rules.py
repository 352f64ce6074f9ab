"""`keysweep rules list` and `keysweep rules check [PATH...]`."""

from __future__ import annotations

import importlib
import json
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import click

from scanner.cli import say
from scanner.cli.options import rule_source_options
from scanner.config import Config, load_config

if TYPE_CHECKING:
    from scanner.detectors.declared import DeclaredRule


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
    """List every rule a detector can report under: id, kind, severity, name and
    detector (the YAML rules, the Python detector's and detect-secrets'). A
    detector the config does not run is marked off; disabled rules are left out."""
    from scanner.detectors import check_detectors
    from scanner.detectors.catalog import catalog
    from scanner.engine.ruleset import load_rules

    config = _config(config_path, rules_dirs, no_builtin_rules)
    check_detectors(config)
    rules = catalog(config, load_rules(config))
    if fmt == "json":
        click.echo(json.dumps([_row(r, config) for r in rules], indent=2))
        return
    width = max((len(r.id) for r in rules), default=2)
    for r in rules:
        click.echo(
            f"{r.id:<{width}}  {r.kind.value:<11}  {r.severity.label:<8}  {r.name}"
            f"  [{_detector(r, config)}]"
        )
    say(_counts(rules, config))


def _row(rule: DeclaredRule, config: Config) -> dict[str, object]:
    return {
        "id": rule.id,
        "name": rule.name,
        "kind": rule.kind.value,
        "severity": rule.severity.label,
        "detector": rule.detector,
        "enabled": rule.detector in config.detectors,
        "keywords": list(rule.keywords),
        "file": rule.source,
        "references": list(rule.references),
    }


def _detector(rule: DeclaredRule, config: Config) -> str:
    return rule.detector if rule.detector in config.detectors else f"{rule.detector}, off"


def _counts(rules: list[DeclaredRule], config: Config) -> str:
    """'7 rules from rule files; 9 from the python detector; 25 from detect-secrets (off)'."""
    per = Counter(r.detector for r in rules)
    parts = [f"{per.pop('rules', 0)} rules from rule files"]
    for name, count in per.items():
        parts.append(f"{count} from the {name} detector" + _off(name, config))
    return "; ".join(parts)


def _off(name: str, config: Config) -> str:
    return "" if name in config.detectors else " (off)"


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
            say(
                f"{slow.source_file}: {slow.id}: note: Hyperscan cannot compile this pattern;"
                " it runs in the slower RE2 lane"
            )
    lane_names = " and ".join(e.lane for e in lanes)
    say(f"{len(rules)} rules checked ({lane_names}): {len(failures)} failure(s)")
    ctx.exit(1 if failures else 0)


command.add_command(importlib.import_module("scanner.cli.rules_import").command)
