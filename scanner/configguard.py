"""A repository's own config may tighten the scan; what it loosens is always shown.

`.keysweep.yaml` (or `[tool.keysweep]`) found in the scanned tree is part of
what is scanned: in CI it arrives with the pull request that leaks a key. Such a
file may lower every resource limit, but a value above the built-in one (`jobs:
100000`, a 100 GB archive budget) or following symlinks out of the tree is
refused, and so is a registry, baseline or rules path outside the repository or
one that is not a regular file (`/dev/zero`, a FIFO). It may not name the hash
key file at all: the key is what keeps the report's secret hashes from
confirming a guess, and a key chosen by the scanned content is one its author
knows (committed beside the secret), or a file outside the tree whose contents
the report's key id would then vouch for. That is refused (exit 2), not ignored
with a warning: ignoring it would hash with a key other than the one the
operator may believe the config gives, and a repository that asks for its own
key is a mistake or an attack, either of which someone should look at.

Settings that let a finding pass the gate (disabled rules or detectors, excluded
or allowed paths, allowed values, a higher `fail_on`, fewer failing contexts, a
baseline...) are legitimate in a repository, so they are not refused; each one
is a `Loosening`, listed in every report's summary and as a warning
(`report_meta`, `report_warnings`). Under `--strict-config` or
`KEYSWEEP_STRICT_CONFIG=1` (for CI) the first one is exit 2 naming the file and
the setting. A file the operator names with `--config` is taken as it is.
"""

from __future__ import annotations

import dataclasses
import os
import stat
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner.configfields import limit_fields
from scanner.errors import ConfigError

if TYPE_CHECKING:  # config.py calls this module: no import back at run time
    from scanner.config import Config
    from scanner.model import ScanWarning

HINT = "pass --config to use this file as it is"
STRICT_ENV = "KEYSWEEP_STRICT_CONFIG"
IGNORE_FILE = ".gitleaksignore"  # as `compat.gitleaksignore.FILE_NAME`; that module loads findings
"""Set to 1 (or true/yes): a repository's config that loosens the gate is exit 2."""


def guard_repository_config(config: Config, path: Path, root: Path, *, strict: bool) -> Config:
    """The repository's config, checked (`check_repository_config`) and carrying
    what it loosens; under `strict` (or `KEYSWEEP_STRICT_CONFIG`) a loosening is a
    ConfigError naming the file and the setting."""
    check_repository_config(config, path, root)
    found = loosenings(config, root)
    if found and (strict or strict_from_env()):
        first = found[0]
        raise ConfigError(
            f"{path}: {first.setting} loosens the gate ({first.change}); a repository's "
            f"config may not loosen it under --strict-config or {STRICT_ENV}; {HINT}"
        )
    shown = _shown(config)
    loosened = tuple((shown, f.setting, f.change) for f in found)
    return guard_ignore_file(dataclasses.replace(config, loosened=loosened), path.parent, strict)


def guard_ignore_file(config: Config, folder: Path, strict: bool) -> Config:
    """A `.gitleaksignore` in the scanned tree (beside the repository's config, else
    in the root: where `baseline.for_config` reads it) suppresses findings as a
    baseline does, so it is a loosening like one: listed, and refused under strict."""
    ignore = folder / IGNORE_FILE
    if not folder.is_dir() or not ignore.is_file():
        return config
    if strict or strict_from_env():
        raise ConfigError(
            f"{ignore}: suppresses findings by fingerprint, and a file in the scanned tree "
            f"may not loosen the gate under --strict-config or {STRICT_ENV}"
        )
    change = "suppresses the findings whose fingerprints it lists"
    entry = (_relative(ignore, config.root), "gitleaksignore", change)
    return dataclasses.replace(config, loosened=(*config.loosened, entry))


def strict_from_env() -> bool:
    return os.environ.get(STRICT_ENV, "").strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Loosening:
    """One setting of a repository's config that lets a finding pass the gate."""

    setting: str
    change: str
    """What it does, in words: names detectors, contexts and file names, and the
    entries of the lists the config wrote (globs, rule patterns) by number only."""


def loosenings(config: Config, root: Path) -> tuple[Loosening, ...]:
    """Each setting of `config` that lets more pass than the built-in defaults do."""
    defaults = type(config)(root=root)
    found = []
    for setting, judge in _JUDGES.items():
        change = judge(getattr(config, setting), getattr(defaults, setting), config)
        if change:
            found.append(Loosening(_FILE_KEYS.get(setting, setting), change))
    return tuple(found)


def _listed(values: tuple[str, ...], shown: int = 5) -> str:
    """Names: detectors and contexts (keysweep's own), file names (named as every
    message names a file); never a glob or a pattern the config wrote."""
    more = f" and {len(values) - shown} more" if len(values) > shown else ""
    return ", ".join(values[:shown]) + more


def _entries(values: tuple[str, ...]) -> str:
    """Entries of a list the config wrote, by number: a glob or a rule pattern is the
    repository's own text, and could be a secret (as any value of scanned input)."""
    return "entry 1" if len(values) == 1 else f"entries 1 to {len(values)}"


def _dropped(value: tuple[str, ...], default: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(name for name in default if name not in value)


def _unscanned(value: Any, default: Any, config: Config) -> str:
    if value is not None and value < config.fail_on:
        return f"unscanned content is {value.label}, below fail_on {config.fail_on.label}"
    return ""


Judge = Callable[[Any, Any, "Config"], str]
_JUDGES: Mapping[str, Judge] = {
    "builtin_rules": lambda v, d, c: "turns the built-in rules off" if d and not v else "",
    "disabled_rules": lambda v, d, c: f"disables the rules named by its {_entries(v)}" if v else "",
    "detectors": lambda v, d, c: (
        f"drops detectors {_listed(_dropped(v, d))}" if _dropped(v, d) else ""
    ),
    "exclude": lambda v, d, c: f"never reads the paths matching its {_entries(v)}" if v else "",
    "allow_paths": lambda v, d, c: (
        f"allows findings in the paths matching its {_entries(v)}" if v else ""
    ),
    "allow_values": lambda v, d, c: f"allows values matching {len(v)} pattern(s)" if v else "",
    "fail_on": lambda v, d, c: f"fails only at {v.label} and above, not {d.label}" if v > d else "",
    "fail_on_context": lambda v, d, c: (
        f"no longer fails in {_listed(_dropped(v, d))}" if _dropped(v, d) else ""
    ),
    "archives": lambda v, d, c: "never opens archives" if d and not v else "",
    "unscanned_severity": _unscanned,
    "baseline": lambda v, d, c: f"suppresses what {v.name} lists" if v is not None else "",
    # A repository's own rule can outrank a built-in one on the same text (a
    # private-key rule beats a token rule) and carry a lower severity.
    "rules_dirs": lambda v, d, c: (
        f"adds rules from {_listed(tuple(p.name for p in v))}, which can outrank built-in ones"
        if v
        else ""
    ),
    "passphrases": lambda v, d, c: (
        f"no longer tries {len(_dropped(v, d))} well-known passphrase(s)" if _dropped(v, d) else ""
    ),
}
"""Per setting: what a value loosens compared with the default ("" for nothing)."""

_FILE_KEYS = {"rules_dirs": "rules"}
"""Settings shown by the key a config file gives them, where the two differ."""


def report_meta(config: Config) -> dict[str, object]:
    """`config_loosened` for the report's summary (JSON, SARIF run properties)."""
    if not config.loosened:
        return {}
    shown = [{"file": f, "setting": s, "change": c} for f, s, c in config.loosened]
    return {"config_loosened": shown}


def report_warnings(config: Config) -> tuple[ScanWarning, ...]:
    """One warning per loosening (the text report's warnings block)."""
    from scanner.model import ScanWarning

    return tuple(
        ScanWarning(where, f"the repository's config loosens the gate: {setting}: {change}")
        for where, setting, change in config.loosened
    )


def _shown(config: Config) -> str:
    source = config.source_file
    return "<config>" if source is None else _relative(source, config.root)


def _relative(path: Path, root: Path) -> str:
    base = (root if root.is_dir() else root.parent).absolute()
    try:
        return str(path.absolute().relative_to(base))
    except ValueError:
        return str(path)


def check_config_detectors(config: Config) -> None:
    """Every detector a config file names exists (exit 2 naming the file)."""
    from scanner.detectors.names import check_names

    check_names(config.detectors, f"{config.source_file}: at key 'detectors'")


def check_repository_config(config: Config, path: Path, root: Path) -> None:
    """Raise ConfigError when the repository's config loosens a limit, points outside,
    or names the hash key file."""
    defaults = type(config)(root=root)
    for name in limit_fields(type(config)):  # the fields marked `limit` in `Config`
        _at_most(name, getattr(config, name), getattr(defaults, name), path)
    _at_most("jobs", config.jobs, os.cpu_count() or 1, path)
    if config.follow_symlinks:
        raise ConfigError(f"{path}: a repository's config may not follow symlinks; {HINT}")
    if config.hash_key_file is not None:
        raise ConfigError(
            f"{path}: a repository's config may not set hash_key_file (a key chosen by what "
            f"is scanned lets the report confirm guessed secrets); give the key with "
            f"KEYSWEEP_HASH_KEY or a config passed with --config"
        )
    base = (root if root.is_dir() else root.parent).resolve()
    for name, target in (("registry", config.registry), ("baseline", config.baseline)):
        if target is not None:
            _inside(name, target, base, path, files_only=True)
    for target in config.rules_dirs:
        _inside("rules", target, base, path, files_only=False)


def _at_most(name: str, value: float | None, limit: float | None, path: Path) -> None:
    if value is not None and limit is not None and value > limit:
        raise ConfigError(
            f"{path}: a repository's config may lower {name}, not raise it above {limit:g}; {HINT}"
        )


def _inside(name: str, target: Path, base: Path, path: Path, *, files_only: bool) -> None:
    resolved = target.resolve()
    if not resolved.is_relative_to(base):
        raise ConfigError(f"{path}: {name} points outside the repository; {HINT}")
    try:
        mode = os.stat(resolved).st_mode
    except OSError:
        return  # a missing file is reported where it is read
    if not (stat.S_ISREG(mode) or (not files_only and stat.S_ISDIR(mode))):
        raise ConfigError(f"{path}: {name} is not a regular file; {HINT}")
