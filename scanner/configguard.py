"""A repository's own config may tighten the scan, never loosen it.

`.keysweep.yaml` (or `[tool.keysweep]`) found in the scanned tree is part of
what is scanned: in CI it arrives with the pull request. Such a file may lower
every resource limit, but a value above the built-in one (`jobs: 100000`, a
100 GB archive budget) or following symlinks out of the tree is refused, and so is a registry, baseline or rules path outside the
repository or one that is not a regular file (`/dev/zero`, a FIFO). A file the
operator names with `--config` is taken as it is.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.configfields import limit_fields
from scanner.errors import ConfigError

if TYPE_CHECKING:  # config.py calls this module: no import back at run time
    from scanner.config import Config

HINT = "pass --config to use this file as it is"


def check_repository_config(config: Config, path: Path, root: Path) -> None:
    """Raise ConfigError when the repository's config loosens a limit or points outside."""
    defaults = type(config)(root=root)
    for name in limit_fields(type(config)):  # the fields marked `limit` in `Config`
        _at_most(name, getattr(config, name), getattr(defaults, name), path)
    _at_most("jobs", config.jobs, os.cpu_count() or 1, path)
    if config.follow_symlinks:
        raise ConfigError(f"{path}: a repository's config may not follow symlinks; {HINT}")
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
