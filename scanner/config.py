"""`.keysweep.yaml` (or `[tool.keysweep]` in pyproject.toml) → a validated, frozen Config.

Unknown keys are rejected with the file and the key named. Command-line options
override the file through `Config.with_overrides`.
"""

from __future__ import annotations

import dataclasses
import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scanner.configfields import (
    Converter,
    check_override,
    file_aliases,
    file_keys,
    merged_fields,
    meta,
    to_contexts,
    to_globs,
    to_paths,
    to_regexes,
    to_registries,
)
from scanner.context import DEFAULT_FAIL_CONTEXTS
from scanner.errors import ConfigError, safe_reason, yaml_problem
from scanner.model import Severity

CONFIG_NAMES = (".keysweep.yaml", ".keysweep.yml")

DEFAULT_PASSPHRASES: tuple[str, ...] = (
    "",
    "changeit",
    "changeme",
    "android",
    "password",
    "passw0rd",
    "secret",
    "123456",
    "12345678",
    "keystore",
    "notasecret",
    "test",
    "admin",
)
"""Well-known defaults: changeit (Java cacerts), android (debug keystores),
notasecret (GCP .p12 service-account keys), and the usual suspects."""

DEFAULT_SWEEP_EXCLUDES: tuple[str, ...] = (
    "**/node_modules/**",
    "**/.cache/**",
    "**/__pycache__/**",
    "**/.venv/**",
    "**/venv/**",
    "**/site-packages/**",
    "**/.cargo/registry/**",
    "**/.rustup/**",
    "**/go/pkg/mod/**",
    "**/.m2/repository/**",
    "**/.gradle/caches/**",
    "**/.npm/_cacache/**",
    "**/.local/share/Trash/**",
    "**/.mozilla/firefox/*/cache2/**",
    "**/.config/google-chrome/**",
    "**/.config/chromium/**",
    "**/Library/Caches/**",
    "**/Library/Application Support/Google/Chrome/**",
    "**/AppData/Local/Google/Chrome/**",
    "**/AppData/Local/Temp/**",
    "**/Music/**",
    "**/Pictures/**",
    "**/Movies/**",
    "**/Videos/**",
    "**/Library/Photos/**",
    "**/snap/*/common/.cache/**",
)


DEFAULT_MAX_FILE_SIZE = 25 * 1024 * 1024
"""Files (and standard input, and git blobs) larger than this are not read."""


CACHE_ENV = "KEYSWEEP_CACHE_DIR"


def env_cache_dir() -> Path | None:
    """`KEYSWEEP_CACHE_DIR` when it names a folder: the cache a library call or a
    sweep uses. Unset or empty: no cache files."""
    explicit = os.environ.get(CACHE_ENV, "")
    return Path(explicit) if explicit else None


@dataclass(frozen=True)
class Config:
    """Everything a scan needs to know. Built by `load_config`, never mutated.

    Each field is one setting: its type says what a config file may give for it
    (`scanner.configfields`), and `docs/configuration.md` documents it."""

    root: Path = field(default=Path("."), metadata=meta(file=False))
    """The folder relative paths and globs are resolved against."""
    rules_dirs: tuple[Path, ...] = field(
        default=(), metadata=meta(merge=True, parse=to_paths, alias="rules")
    )
    """User rule folders or files, in addition to the built-in rules (file key: `rules`)."""
    builtin_rules: bool = True
    disabled_rules: tuple[str, ...] = ()
    registry: Path | None = field(default=None, metadata=meta(parse=to_registries))
    more_registries: tuple[Path, ...] = field(default=(), metadata=meta(file=False))
    """Registries after the first (`--registry` repeated, or a list in the file):
    all of them merge into one (`registry_files`)."""
    hash_key_file: Path | None = None
    """A file holding the organisation's key for secret hashes (`scanner.hashkey`)."""
    exclude: tuple[str, ...] = field(default=(), metadata=meta(merge=True, parse=to_globs))
    """Globs (gitignore-style, matched on the root-relative path): never read."""
    allow_paths: tuple[str, ...] = field(
        default=(), metadata=meta(merge=True, alias="allowlist_paths", parse=to_globs)
    )
    """Globs of paths whose findings are allowed (test data)."""
    allow_values: tuple[str, ...] = field(default=(), metadata=meta(merge=True, parse=to_regexes))
    """Regexes: a secret matching one is not a finding (documented example values)."""
    fail_on: Severity = Severity.MEDIUM
    fail_on_context: tuple[str, ...] = field(
        default=DEFAULT_FAIL_CONTEXTS, metadata=meta(parse=to_contexts)
    )
    """Contexts (scanner.context.CONTEXTS) whose findings fail the gate; registry
    verdicts fail it in any context."""
    max_file_size: int = field(default=DEFAULT_MAX_FILE_SIZE, metadata=meta(limit=True))
    jobs: int = 0
    """0: all cores."""
    follow_symlinks: bool = False
    archives: bool = True
    archive_max_depth: int = field(default=3, metadata=meta(limit=True))
    archive_max_members: int = field(default=10_000, metadata=meta(limit=True))
    archive_max_bytes: int = field(default=512 * 1024 * 1024, metadata=meta(limit=True))
    detectors: tuple[str, ...] = ("rules", "python")
    """Names in scanner.detectors.DETECTORS."""
    baseline: Path | None = None
    passphrases: tuple[str, ...] = DEFAULT_PASSPHRASES
    max_seconds: float | None = None
    max_bytes: int | None = None
    sweep_exclude: tuple[str, ...] = field(
        default=DEFAULT_SWEEP_EXCLUDES, metadata=meta(parse=to_globs)
    )
    low_priority: bool = False
    progress: bool = field(default=False, metadata=meta(file=False))
    source_file: Path | None = field(default=None, metadata=meta(file=False))
    """The config file this came from, if any."""
    item_max_seconds: float | None = field(default=120.0, metadata=meta(limit=True))
    """Wall-clock bound on one item's analysis; past it the item is unscanned."""
    max_findings_per_file: int = field(default=1000, metadata=meta(limit=True))
    max_findings: int = field(default=100_000, metadata=meta(limit=True))
    """Findings past these caps are dropped and the cap itself is a finding."""
    unscanned_severity: Severity | None = None
    """Severity of `unscanned-content` findings (None: the `fail_on` level)."""
    cache_dir: Path | None = field(default_factory=env_cache_dir, metadata=meta(file=False))
    """Where compiled rules are cached; None: no cache files at all."""
    loosened: tuple[tuple[str, str, str], ...] = field(default=(), metadata=meta(file=False))
    """(file, setting, change) for each way a config or ignore file found in the
    scanned tree loosens the gate (`configguard`); every report lists them."""

    def with_overrides(self, **changes: Any) -> Config:
        """Apply command-line values; None means 'not given' and keeps the file's value.
        Each value must be of its field's type (a TypeError otherwise); lists marked
        as merged extend the file's list."""
        given = {
            name: check_override(Config, name, value)
            for name, value in changes.items()
            if value is not None and value != ()
        }
        if "registry" in given:  # registries named on the command line replace the file's
            given.setdefault("more_registries", ())
        for name in merged_fields(Config) & given.keys():
            given[name] = tuple(getattr(self, name)) + tuple(given[name])
        return dataclasses.replace(self, **given)

    @property
    def registry_files(self) -> tuple[Path, ...]:
        return ((self.registry,) if self.registry else ()) + self.more_registries

    @property
    def effective_jobs(self) -> int:
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)


_ALIASES = file_aliases(Config)


@functools.cache
def file_settings() -> dict[str, Converter]:
    """Every key a config file may hold (besides the aliases), with its converter.
    Worked out from `Config`'s type hints when first asked (a config file read):
    evaluating the hints of every field cost each pre-commit hook about a
    millisecond, and most repositories have no config file."""
    return file_keys(Config)


def find_config(root: Path) -> Path | None:
    """The config for `root`: in `root` or, inside a git work tree, in the nearest
    folder above it up to the work tree's top (the repository's config applies to
    `keysweep scan tests`)."""
    from scanner.paths import work_tree_of

    base = (root if root.is_dir() else root.parent).absolute()
    top = work_tree_of(base)
    for folder in (base, *base.parents):
        found = _config_in(folder)
        if found is not None or top is None or folder == top:
            return found
    return None


def _config_in(base: Path) -> Path | None:
    """The config file in `base`: .keysweep.yaml, else pyproject.toml with [tool.keysweep]."""
    for name in CONFIG_NAMES:
        if (base / name).is_file():
            return base / name
    pyproject = base / "pyproject.toml"
    if pyproject.is_file():
        text = _read_text(pyproject)
        if not _may_name_keysweep(text):  # most projects' pyproject: not parsed at all
            return None
        data = _parse_toml(text, pyproject)  # a broken one is an error, never "no config"
        if isinstance(data.get("tool"), dict) and "keysweep" in data["tool"]:
            return pyproject
    return None


def _may_name_keysweep(text: str) -> bool:
    """Whether a TOML text can hold a `keysweep` key: spelled out, or through an
    escape in a quoted key (`[tool."keysw\\u0065ep"]`). A text with neither holds
    no keysweep table, whatever else it holds, so `tomllib` (imported and run
    before the first blob of every scan of a Python project) is not needed."""
    return "keysweep" in text or "\\u" in text or "\\U" in text


def load_config(path: Path | None, root: Path, *, strict: bool = False) -> Config:
    """Read `path` (or the config found in `root`) into a Config. `strict`: a found
    config that loosens the gate is an error (`configguard`)."""
    from scanner import configguard

    discovered = path is None
    path = path if path is not None else find_config(root)
    if path is None:
        return configguard.guard_ignore_file(Config(root=root), root, strict)
    raw = _read_raw(path)
    config = _from_mapping(raw, path, root)
    configguard.check_config_detectors(config)
    if discovered:  # the repository's own file: limits only lower, loosenings shown
        config = configguard.guard_repository_config(config, path, root, strict=strict)
    return config


def _read_text(path: Path) -> str:
    from scanner.safeload import LoadError, read_text

    try:
        return read_text(path, limit=1024 * 1024)
    except (OSError, UnicodeDecodeError, LoadError) as exc:
        reason = str(exc) if isinstance(exc, LoadError) else safe_reason(exc)
        raise ConfigError(f"{path}: cannot read config: {reason}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    return _parse_toml(_read_text(path), path)


def _parse_toml(text: str, path: Path) -> dict[str, Any]:
    import tomllib  # only when a TOML config file may hold keysweep's settings

    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {toml_problem(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None


_TOML_QUOTING = (
    "Cannot declare",
    "Cannot mutate immutable namespace",
    "Cannot redefine namespace",
    "Duplicate inline table key",
    "Found invalid character",
    "Illegal character",
)
"""The start of each tomllib message that goes on to quote the file (a key, a
character): a pyproject.toml in the scanned tree is scanned input."""


def toml_problem(exc: ValueError) -> str:
    """A TOML error as its problem and position (`(at line 3, column 7)`), with what
    tomllib quotes of the file cut off (its other messages quote only its own
    delimiters: `Expected '='`)."""
    text = str(exc)
    problem, found, where = text.rpartition(" (at ")
    if not found or not where.endswith(")"):
        problem, where = text, ""
    head = next((h for h in _TOML_QUOTING if problem.startswith(h)), None)
    if head is not None:
        problem = f"{head} (what it names is left out)"
    return f"{problem} (at {where}" if where else problem


def _read_raw(path: Path) -> Mapping[str, Any]:
    if path.name == "pyproject.toml":
        tool = _read_toml(path).get("tool", {})
        raw = tool.get("keysweep", {}) if isinstance(tool, dict) else {}
    else:
        import yaml

        from scanner.safeload import LoadError, yaml_load

        try:
            raw = yaml_load(_read_text(path)) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: invalid YAML: {yaml_problem(exc)}") from None
        except LoadError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the config must be a mapping of keys to values")
    return raw


def _from_mapping(raw: Mapping[str, Any], path: Path, root: Path) -> Config:
    base = path.parent
    values: dict[str, Any] = {}
    for number, (key, value) in enumerate(raw.items(), 1):
        name = _ALIASES.get(str(key), str(key).replace("-", "_"))
        settings = file_settings()
        if name not in settings:
            raise ConfigError(f"{path}: {_unknown_key(number, name, settings)}")
        values[name] = settings[name](value, f"{path}: at key {name!r}", base)
    if isinstance(values.get("registry"), tuple):  # a list of registries
        values["registry"], *more = values["registry"]
        values["more_registries"] = tuple(more)
    return Config(root=root, source_file=path, **values)


def _unknown_key(number: int, name: str, settings: Mapping[str, Any]) -> str:
    """Words for an unknown key: its place and the known key it is closest to, never
    the key itself (a scanned config may hold a secret as a key)."""
    import difflib

    near = difflib.get_close_matches(name, sorted(settings), n=1)
    hint = f"did you mean {near[0]!r}? " if near else ""
    return f"unknown key (key {number}; {hint}known: {', '.join(sorted(settings))})"


__all__ = [
    "DEFAULT_MAX_FILE_SIZE",
    "DEFAULT_PASSPHRASES",
    "Config",
    "env_cache_dir",
    "find_config",
    "load_config",
]
