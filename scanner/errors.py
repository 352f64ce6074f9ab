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


class BaselineError(KeysweepError):
    """A baseline file that cannot be read."""


class InventoryError(KeysweepError):
    """The inventory database cannot be opened or a report cannot be ingested."""
