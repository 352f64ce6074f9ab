"""The exception family. The CLI maps these to exit code 2; anything else is 3."""

from __future__ import annotations


class KeysweepError(Exception):
    """A problem the user can fix: bad usage, configuration, rules or registry."""


class ConfigError(KeysweepError):
    """An invalid .keysweep.yaml, [tool.keysweep] table or option."""


class RuleError(KeysweepError):
    """A malformed rule: the message names the file, the rule id and the field."""


class RegistryError(KeysweepError):
    """A registry file that does not load or does not validate."""


class SourceError(KeysweepError):
    """A source that cannot be opened at all (not a repository, no such path)."""


class GitUnavailable(KeysweepError):
    """git cannot be started at all (not installed, not executable): no git source
    can be read, so a scan that needs one stops instead of passing unscanned."""


class BaselineError(KeysweepError):
    """A baseline file that cannot be read."""


class InventoryError(KeysweepError):
    """The inventory database cannot be opened or a report cannot be ingested."""


_QUIET_TYPES = frozenset(
    {
        "builtins.OSError",
        "builtins.EOFError",
        "builtins.NotImplementedError",
        "zipfile.BadZipFile",
        "tarfile.TarError",
        "zlib.error",
        "_lzma.LZMAError",
        "scanner.errors.KeysweepError",
    }
)
"""Exception types whose messages describe the damage without quoting the input."""


def safe_reason(exc: BaseException) -> str:
    """Words for an exception raised while reading scanned input, safe to print.

    ValueError, KeyError, UnicodeError, SyntaxError and most library errors can
    quote the bytes they choked on (a key, a token); for those only the type is
    named. Types known to describe the damage in their own words keep their message.
    """
    names = {f"{cls.__module__}.{cls.__qualname__}" for cls in type(exc).__mro__}
    if names.isdisjoint(_QUIET_TYPES):
        return type(exc).__name__
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    text = " ".join(str(exc).split())[:200]
    return text or type(exc).__name__


def yaml_problem(exc: Exception) -> str:
    """A YAML error as its problem and position: PyYAML's message quotes the line,
    which may hold a passphrase or an example secret."""
    mark = getattr(exc, "problem_mark", None)
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
    problem = getattr(exc, "problem", None) or type(exc).__name__
    return f"{problem}{where}"
