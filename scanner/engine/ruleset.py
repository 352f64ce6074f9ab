"""Rule files → validated `Rule` values.

A rule file is YAML holding `rules: [...]` in the format of docs/architecture.md ("Rules (YAML)").
Every field is checked; a problem raises RuleError with one line:
`<file>: rule '<id>': field '<field>': <problem>`. The validated rules of an
unchanged set of files come from a cache (`rulecache`) where there is one.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from scanner.config import Config
from scanner.engine.rulespec import rule_from_mapping
from scanner.errors import RuleError, yaml_problem
from scanner.model import Rule

RULE_SUFFIXES = (".yaml", ".yml")


def builtin_rules_dir() -> Path:
    """`scanner/_builtin_rules` in an installed wheel, else `<repo>/rules`."""
    package = Path(__file__).resolve().parent.parent
    shipped = package / "_builtin_rules"
    return shipped if shipped.is_dir() else package.parent / "rules"


def load_rules(config: Config) -> tuple[Rule, ...]:
    """Built-in rules (unless disabled) plus `config.rules_dirs`, minus `disabled_rules`."""
    sources: list[Path] = []
    if config.builtin_rules:
        sources.append(builtin_rules_dir())
    sources.extend(config.rules_dirs)
    missing_ok = frozenset({builtin_rules_dir()})
    rules = _cached(sources, missing_ok, config.cache_dir)
    return tuple(r for r in rules if not is_disabled(r.id, config.disabled_rules))


def _cached(sources: list[Path], missing_ok: frozenset[Path], cache_dir: Path | None) -> list[Rule]:
    """`load_paths`, through the validated-rules cache (`engine.rulecache`) in
    `config.cache_dir` (none: no cache file)."""
    from scanner.engine.rulecache import cached_rules

    files = list(rule_files(sources, missing_ok))
    return cached_rules(files, cache_dir, lambda: load_paths(files))


def load_paths(paths: Iterable[Path], missing_ok: frozenset[Path] = frozenset()) -> list[Rule]:
    """Rules from files and folders of *.yaml/*.yml; ids must be unique across all."""
    rules: list[Rule] = []
    seen: dict[str, str] = {}
    for file in rule_files(paths, missing_ok):
        for rule in load_file(file):
            if rule.id in seen:
                raise RuleError(
                    f"{file}: rule '{rule.id}': field 'id': duplicate of a rule in {seen[rule.id]}"
                )
            seen[rule.id] = str(file)
            rules.append(rule)
    return rules


def rule_files(paths: Iterable[Path], missing_ok: frozenset[Path] = frozenset()) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.suffix in RULE_SUFFIXES and p.is_file()
            )
        elif path.is_file():
            yield path
        elif path not in missing_ok:
            raise RuleError(f"{path}: no such rule file or folder")


def load_file(path: Path) -> list[Rule]:
    """The rules of one YAML file, validated."""
    from scanner import safeload

    try:
        text = safeload.read_text(path)
    except (OSError, UnicodeDecodeError, safeload.LoadError) as exc:
        raise RuleError(f"{path}: cannot read rule file: {exc}") from None
    import yaml  # only when the validated-rules cache cannot answer

    try:
        document = _parse(text, path)
    except yaml.YAMLError as exc:
        raise RuleError(f"{path}: invalid YAML: {yaml_problem(exc)}") from None
    except safeload.LoadError as exc:
        raise RuleError(f"{path}: {exc}") from None
    return list(_rules_of(document, path))


def _parse(text: str, path: Path) -> Any:
    """The built-in rules through libyaml (ten times faster); any other rule file,
    which may come from the scanned repository, with safeload's alias and depth
    bounds."""
    import yaml

    from scanner import safeload

    if path.resolve().is_relative_to(builtin_rules_dir().resolve()):
        return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    return safeload.yaml_load(text)


def _rules_of(document: Any, path: Path) -> Iterator[Rule]:
    if document is None:
        return
    if not isinstance(document, Mapping) or set(document) - {"rules"}:
        raise RuleError(f"{path}: field 'rules': the file must be a mapping with one key, 'rules'")
    entries = document.get("rules") or []
    if not isinstance(entries, list):
        raise RuleError(f"{path}: field 'rules': expected a list of rules")
    for number, entry in enumerate(entries, start=1):
        yield rule_from_mapping(entry, str(path), number)


def is_disabled(rule_id: str, disabled: Iterable[str]) -> bool:
    """`disabled_rules` patterns (globs) name this rule id."""
    return any(fnmatch.fnmatchcase(rule_id, pattern) for pattern in disabled)


def rules_version(rules: Iterable[Rule]) -> str:
    """A short hash of a rule set, so a report says which rules produced it: the
    same rules give the same version in a scan, a sweep and the inventory."""
    digest = hashlib.sha256()
    for rule in sorted(rules, key=lambda r: r.id):
        digest.update(_rule_identity(rule).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:16]


def _rule_identity(rule: Rule) -> str:
    parts = (rule.id, rule.kind, rule.severity.label, rule.pattern or "", *rule.keywords)
    extra = (*rule.allow, *rule.path_include, "|", *rule.path_exclude, str(rule.entropy))
    return "\x00".join((*parts, *extra)) + "\x01"
