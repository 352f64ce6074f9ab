"""How each setting is read from a config file and checked as an override,
derived from the `Config` dataclass itself (type hints and field metadata).

A setting is declared once: one field with its type, its default and its
docstring. What a file may say for it (a path, a list of strings, a number…),
whether command-line values extend it, and whether a repository's own config
may only lower it all follow from that field, so there are no parallel tables
of names to keep in step. `docs/configuration.md` documents every field.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable
from pathlib import Path
from typing import Any

from scanner.errors import ConfigError
from scanner.model import Severity

FILE = "file"
"""Field metadata: False for a setting a config file may not set."""
MERGE = "merge"
"""Field metadata: True for a list that command-line values extend."""
LIMIT = "limit"
"""Field metadata: True for a limit a repository's own config may only lower."""
PARSE = "parse"
"""Field metadata: a converter that replaces the one the field's type implies."""
ALIAS = "alias"
"""Field metadata: another name a file may use for the key."""

Converter = Callable[[Any, str, Path], Any]
"""(value from the file, where it is for messages, the file's folder) → field value."""


def meta(
    *,
    file: bool = True,
    merge: bool = False,
    limit: bool = False,
    parse: Converter | None = None,
    alias: str | None = None,
) -> dict[str, object]:
    """A field's metadata: `field(default=(), metadata=meta(merge=True))`."""
    found: dict[str, object] = {FILE: file, MERGE: merge, LIMIT: limit}
    found |= {PARSE: parse} if parse is not None else {}
    return found | ({ALIAS: alias} if alias is not None else {})


def file_keys(cls: type) -> dict[str, Converter]:
    """Every key a config file may hold, with the converter for its value."""
    hints = _hints(cls)
    return {
        f.name: f.metadata.get(PARSE) or converter_for(hints[f.name])
        for f in dataclasses.fields(cls)
        if f.metadata.get(FILE, True)
    }


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """The class's evaluated type hints, worked out once (each override is checked
    against them, and evaluating every field's hint takes about half a millisecond)."""
    return typing.get_type_hints(cls)


def file_aliases(cls: type) -> dict[str, str]:
    """Other names a file may use for a key (alias → field name)."""
    return {f.metadata[ALIAS]: f.name for f in dataclasses.fields(cls) if ALIAS in f.metadata}


def merged_fields(cls: type) -> frozenset[str]:
    """Lists that command-line values add to rather than replace."""
    return frozenset(f.name for f in dataclasses.fields(cls) if f.metadata.get(MERGE))


def limit_fields(cls: type) -> tuple[str, ...]:
    """Limits a repository's own config may only lower."""
    return tuple(f.name for f in dataclasses.fields(cls) if f.metadata.get(LIMIT))


def converter_for(hint: Any) -> Converter:
    """The file converter a field's type implies."""
    base = value_type(hint)
    for kind, convert in _CONVERTERS:
        if base == kind:
            return convert
    raise TypeError(f"no config file form for {hint!r}")  # a field with an unknown type


def value_type(hint: Any) -> Any:
    """`X | None` → X; any other type as it is."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return hint


def check_override(cls: type, name: str, value: Any) -> Any:
    """An override for field `name`, of the field's type (a path may be given as a
    string, a list as any sequence); anything else is a TypeError: a caller's bug."""
    hints = _hints(cls)
    if name not in hints:
        raise TypeError(f"Config has no setting {name!r}")
    base = value_type(hints[name])
    if typing.get_origin(base) is tuple:
        (item, _) = typing.get_args(base)
        if isinstance(value, str | bytes) or not isinstance(value, list | tuple):
            raise TypeError(f"Config.{name}: expected a sequence, got {type(value).__name__}")
        return tuple(_single(name, item, v) for v in value)
    return _single(name, base, value)


def _single(name: str, kind: Any, value: Any) -> Any:
    if kind is Path and isinstance(value, str | Path):
        return Path(value)
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    raise TypeError(f"Config.{name}: expected {kind.__name__}, got {type(value).__name__}")


# --- converters for values read from a file ----------------------------------------


def to_path(value: Any, where: str, base: Path) -> Path:
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a path")
    return (base / value).resolve()


def to_strings(value: Any, where: str, base: Path) -> tuple[str, ...]:
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise ConfigError(f"{where}: expected a list of strings")
    return tuple(items)


def to_paths(value: Any, where: str, base: Path) -> tuple[Path, ...]:
    return tuple((base / v).resolve() for v in to_strings(value, where, base))


def to_bool(value: Any, where: str, base: Path) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{where}: expected true or false")
    return value


def to_int(value: Any, where: str, base: Path) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(f"{where}: expected a whole number >= 0")
    return value


def to_float(value: Any, where: str, base: Path) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise ConfigError(f"{where}: expected a number > 0")
    return float(value)


def to_severity(value: Any, where: str, base: Path) -> Severity:
    try:
        return Severity.parse(str(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def to_registries(value: Any, where: str, base: Path) -> Path | tuple[Path, ...]:
    """One registry, or a list of them (the first is `registry`, the rest merge in)."""
    if isinstance(value, list) and value:
        return tuple(to_path(v, where, base) for v in value)
    return to_path(value, where, base)


def to_contexts(value: Any, where: str, base: Path) -> tuple[str, ...]:
    from scanner.context import parse_contexts

    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        raise ConfigError(f"{where}: expected a list of contexts")
    try:
        return parse_contexts(items)
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def to_globs(value: Any, where: str, base: Path) -> tuple[str, ...]:
    """Path globs are matched on every path: a bad one is a config error now, not
    a crash at the first path."""
    from scanner.suppress import check_globs

    globs = to_strings(value, where, base)
    check_globs(globs, where)
    return globs


def to_regexes(value: Any, where: str, base: Path) -> tuple[str, ...]:
    """Value allowlists run in RE2 on every match: a bad one is a config error now,
    not a crash in a worker later. The error names the entry, never its text (a
    scanned config may hold a secret there), and RE2 is told not to log it."""
    import re2

    options = re2.Options()
    options.log_errors = False  # RE2 would print the whole pattern on stderr
    patterns = to_strings(value, where, base)
    for number, pattern in enumerate(patterns, 1):
        try:
            re2.compile(pattern.encode(), options)
        except re2.error as exc:
            problem = re2_problem(exc)
            raise ConfigError(f"{where}: invalid regex (entry {number}: {problem})") from None
    return patterns


_RE2_PROBLEMS = frozenset(
    {
        "invalid escape sequence", "invalid character class", "invalid character class range",
        "missing ]", "missing )", "unexpected )", "trailing \\",
        "no argument for repetition operator", "invalid repetition size",
        "bad repetition operator", "invalid perl operator", "invalid UTF-8",
        "invalid named capture group", "pattern too large - compile failed",
    }
)  # fmt: skip
"""RE2's own words for what is wrong (`RE2::ErrorCodeText`), which quote nothing."""


def re2_problem(exc: Exception) -> str:
    """What RE2 found wrong, without the part of the pattern it quotes after ': '."""
    reason = exc.args[0] if exc.args else b""
    text = reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    head = text.split(": ", 1)[0]
    return head if head in _RE2_PROBLEMS else "RE2 refuses it"


_CONVERTERS: tuple[tuple[Any, Converter], ...] = (
    (Path, to_path),
    (tuple[Path, ...], to_paths),
    (tuple[str, ...], to_strings),
    (bool, to_bool),
    (int, to_int),
    (float, to_float),
    (Severity, to_severity),
)
"""Each value type a setting may have, and how a file spells it."""
