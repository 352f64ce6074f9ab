"""`.keysweep.yaml` (or `[tool.keysweep]` in pyproject.toml) → a validated, frozen Config.

Unknown keys are rejected with the file and the key named. Command-line options
override the file through `Config.with_overrides`.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class Config:
    """Everything a scan needs to know. Built by `load_config`, never mutated."""

    root: Path = Path(".")
    """The folder relative paths and globs are resolved against."""
    rules_dirs: tuple[Path, ...] = ()
    """User rule folders or files, in addition to the built-in rules."""
    builtin_rules: bool = True
    disabled_rules: tuple[str, ...] = ()
    registry: Path | None = None
    more_registries: tuple[Path, ...] = ()
    """Registries after the first (`--registry` repeated, or a list in the file):
    all of them merge into one (`registry_files`)."""
    hash_key_file: Path | None = None
    """A file holding the organisation's key for secret hashes (`scanner.hashkey`)."""
    exclude: tuple[str, ...] = ()
    """Globs (gitignore-style, matched on the root-relative path): never read."""
    allow_paths: tuple[str, ...] = ()
    """Globs of paths whose findings are allowed (test data)."""
    allow_values: tuple[str, ...] = ()
    """Regexes: a secret matching one is not a finding (documented example values)."""
    fail_on: Severity = Severity.MEDIUM
    fail_on_context: tuple[str, ...] = ("production",)
    """Contexts (scanner.context.CONTEXTS) whose findings fail the gate; registry
    verdicts fail it in any context."""
    max_file_size: int = 25 * 1024 * 1024
    jobs: int = 0
    """0: all cores."""
    follow_symlinks: bool = False
    archives: bool = True
    archive_max_depth: int = 3
    archive_max_members: int = 10_000
    archive_max_bytes: int = 512 * 1024 * 1024
    detectors: tuple[str, ...] = ("rules", "python")
    """Names in scanner.detectors.DETECTORS."""
    baseline: Path | None = None
    passphrases: tuple[str, ...] = DEFAULT_PASSPHRASES
    max_seconds: float | None = None
    max_bytes: int | None = None
    sweep_exclude: tuple[str, ...] = DEFAULT_SWEEP_EXCLUDES
    low_priority: bool = False
    progress: bool = False
    source_file: Path | None = None
    """The config file this came from, if any."""
    item_max_seconds: float | None = 120.0
    """Wall-clock bound on one item's analysis; past it the item is unscanned."""
    max_findings_per_file: int = 1000
    max_findings: int = 100_000
    """Findings past these caps are dropped and the cap itself is a finding."""
    unscanned_severity: Severity | None = None
    """Severity of `unscanned-content` findings (None: the `fail_on` level)."""

    def with_overrides(self, **changes: Any) -> Config:
        """Apply command-line values; None means 'not given' and keeps the file's value."""
        given = {k: v for k, v in changes.items() if v is not None and v != ()}
        if "registry" in given:  # registries named on the command line replace the file's
            given.setdefault("more_registries", ())
        for name in ("exclude", "allow_paths", "allow_values", "rules_dirs"):
            if name in given:
                given[name] = tuple(getattr(self, name)) + tuple(given[name])
        return dataclasses.replace(self, **given)

    @property
    def registry_files(self) -> tuple[Path, ...]:
        return ((self.registry,) if self.registry else ()) + self.more_registries

    @property
    def effective_jobs(self) -> int:
        return self.jobs if self.jobs > 0 else (os.cpu_count() or 1)


_PATH_FIELDS = {"registry", "baseline", "hash_key_file"}
_PATH_TUPLE_FIELDS = {"rules_dirs"}
_STR_TUPLE_FIELDS = {
    "exclude",
    "allow_paths",
    "allow_values",
    "detectors",
    "passphrases",
    "disabled_rules",
    "sweep_exclude",
}
_INT_FIELDS = {
    "max_file_size",
    "jobs",
    "archive_max_depth",
    "archive_max_members",
    "archive_max_bytes",
    "max_bytes",
    "max_findings_per_file",
    "max_findings",
}
_BOOL_FIELDS = {"builtin_rules", "follow_symlinks", "archives", "low_priority"}
_FLOAT_FIELDS = {"max_seconds", "item_max_seconds"}
_ALIASES = {"rules": "rules_dirs", "allowlist_paths": "allow_paths"}
FILE_KEYS = (
    _PATH_FIELDS
    | _PATH_TUPLE_FIELDS
    | _STR_TUPLE_FIELDS
    | _INT_FIELDS
    | _BOOL_FIELDS
    | _FLOAT_FIELDS
    | {"fail_on", "fail_on_context", "unscanned_severity"}
)


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
        data = _read_toml(pyproject)  # a broken pyproject is an error, never "no config"
        if isinstance(data.get("tool"), dict) and "keysweep" in data["tool"]:
            return pyproject
    return None


def load_config(path: Path | None, root: Path) -> Config:
    """Read `path` (or the config found in `root`) into a Config."""
    discovered = path is None
    path = path if path is not None else find_config(root)
    if path is None:
        return Config(root=root)
    raw = _read_raw(path)
    config = _from_mapping(raw, path, root)
    if discovered:  # the repository's own file: it may tighten limits, never loosen them
        from scanner.configguard import check_repository_config

        check_repository_config(config, path, root)
    return config


def _read_text(path: Path) -> str:
    from scanner.safeload import LoadError, read_text

    try:
        return read_text(path, limit=1024 * 1024)
    except (OSError, UnicodeDecodeError, LoadError) as exc:
        reason = str(exc) if isinstance(exc, LoadError) else safe_reason(exc)
        raise ConfigError(f"{path}: cannot read config: {reason}") from None


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: invalid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: invalid TOML: nested too deeply") from None


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
    for key, value in raw.items():
        name = _ALIASES.get(str(key), str(key).replace("-", "_"))
        if name not in FILE_KEYS:
            known = ", ".join(sorted(FILE_KEYS))
            raise ConfigError(f"{path}: unknown key {key!r} (known: {known})")
        values[name] = _convert(name, value, path, base)
    if isinstance(values.get("registry"), tuple):  # a list of registries
        values["registry"], *more = values["registry"]
        values["more_registries"] = tuple(more)
    return Config(root=root, source_file=path, **values)


def _convert(name: str, value: Any, path: Path, base: Path) -> Any:
    where = f"{path}: at key {name!r}"
    if name == "registry" and isinstance(value, list) and value:
        return tuple(_convert(name, v, path, base) for v in value)
    if name in _PATH_FIELDS:
        if not isinstance(value, str):
            raise ConfigError(f"{where}: expected a path")
        return (base / value).resolve()
    if name in _PATH_TUPLE_FIELDS | _STR_TUPLE_FIELDS:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
            raise ConfigError(f"{where}: expected a list of strings")
        if name in _PATH_TUPLE_FIELDS:
            return tuple((base / v).resolve() for v in items)
        if name == "allow_values":
            _check_regexes(items, where)
        return tuple(items)
    if name in _BOOL_FIELDS:
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: expected true or false")
        return value
    if name in _INT_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ConfigError(f"{where}: expected a whole number >= 0")
        return value
    if name in _FLOAT_FIELDS:
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
            raise ConfigError(f"{where}: expected a number > 0")
        return float(value)
    if name == "fail_on_context":
        return _contexts(value, where)
    if name in ("fail_on", "unscanned_severity"):
        try:
            return Severity.parse(str(value))
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    raise ConfigError(f"{where}: unsupported")  # pragma: no cover - FILE_KEYS is exhaustive


def _contexts(value: Any, where: str) -> tuple[str, ...]:
    from scanner.context import parse_contexts

    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise ConfigError(f"{where}: expected a list of contexts")
    try:
        return parse_contexts(items)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _check_regexes(patterns: list[str], where: str) -> None:
    """Value allowlists run in RE2 on every match: a bad one is a config error now,
    not a crash in a worker later."""
    import re2

    for pattern in patterns:
        try:
            re2.compile(pattern.encode())
        except re2.error as exc:
            raise ConfigError(f"{where}: invalid regex {pattern!r}: {exc}") from None


__all__ = ["DEFAULT_PASSPHRASES", "Config", "find_config", "load_config"]
