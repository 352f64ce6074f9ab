"""Sources built from the config, in one place.

A caller says what to scan (a `Target`: files and folders, a git range,
standard input, a sweep's home folder and roots); this module makes the
sources and applies the settings every source shares (`exclude`,
`max_file_size`, `follow_symlinks`, the sweep's excludes). The scanning
commands, `keysweep baseline`, the sweep and library callers all come through
here, so a setting cannot be forgotten by one of them. Adding a kind of target
is a dataclass, a member of `Target` and one line in `BUILDERS`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from scanner.config import Config
from scanner.errors import SourceError
from scanner.sources import Source
from scanner.sources.gitrange import GitRange
from scanner.sources.stdin import DEFAULT_NAME

if TYPE_CHECKING:
    from scanner.sources.git import GitSource
    from scanner.sources.gitstores import GitStores
    from scanner.sources.home import HomeSource


@dataclass(frozen=True)
class Files:
    """Files and folders on disk (each root must exist and open)."""

    paths: tuple[Path, ...]
    git_history: bool = True
    """Also the full history of every git repository found under the folders."""


@dataclass(frozen=True)
class GitHistory:
    """A repository's history, a commit range, or its staged changes."""

    repo: Path
    range: GitRange = field(default_factory=GitRange)


@dataclass(frozen=True)
class Stdin:
    """One stream read whole (bounded by `max_file_size`), shown as `name`."""

    stream: BinaryIO
    name: str = DEFAULT_NAME


@dataclass(frozen=True)
class Sweep:
    """A workstation sweep: the home folder (key places first) and `roots`,
    with the sweep's own excludes, and the git stores under them."""

    roots: tuple[Path, ...] = ()
    home: Path | None = None
    include_home: bool = True


Target = Files | GitHistory | Stdin | Sweep


def build_sources(
    config: Config, given: Iterable[Source | Target | str | os.PathLike[str]]
) -> list[Source]:
    """Sources for every target (a path is `Files` of that path); a ready-made
    `Source` is taken as it is."""
    sources: list[Source] = []
    for each in given:
        if isinstance(each, str | os.PathLike):
            each = Files((Path(each),))
        if isinstance(each, Target):
            sources.extend(BUILDERS[type(each)](config, each))
        else:
            sources.append(each)
    return sources


def files(config: Config, target: Files) -> list[Source]:
    """The files under the roots, shown relative to the repository that holds the
    first root (else the current folder), and the git stores under the folders."""
    from scanner.paths import display_base
    from scanner.sources.files import FileSource

    paths = list(target.paths) or [Path(".")]
    check_roots(paths)
    found: list[Source] = [
        FileSource(
            paths,
            exclude=config.exclude,
            follow_symlinks=config.follow_symlinks,
            max_file_size=config.max_file_size,
            base=display_base(paths),
        )
    ]
    folders = [p for p in paths if p.is_dir()]
    if target.git_history and folders:  # a hook passing file names never looks for repositories
        found.append(_stores(config, folders, config.exclude, "relative", fail_partial=True))
    return found


def _stores(
    config: Config,
    folders: list[Path],
    search_exclude: Sequence[str],
    display: str,
    *,
    fail_partial: bool,
    configs: bool = False,
) -> GitStores:
    """The git stores under `folders` (not searched where `search_exclude` says),
    their histories filtered by `exclude`; `fail_partial`: what a partial clone
    lacks is unscanned content (a scan), or only warnings (a sweep: not on the
    machine). A git bundle is read within the archive byte budget, the item
    time bound and what is left of the scan's time budget."""
    from scanner.sources.gitbundle import limits_of
    from scanner.sources.gitstores import GitStores

    return GitStores(
        folders,
        exclude=search_exclude,
        history_exclude=config.exclude,
        max_file_size=config.max_file_size,
        display=display,
        fail_partial=fail_partial,
        bundle_limits=limits_of(config),
        configs=configs,
    )


def git_history(config: Config, target: GitHistory) -> list[Source]:
    from scanner.sources.git import GitSource

    chosen = target.range
    source = GitSource(
        target.repo,
        since=chosen.since,
        rev_range=chosen.rev_range,
        branch=chosen.branch,
        staged=chosen.staged,
        all_objects=chosen.all_objects,
        exclude=config.exclude,
        max_file_size=config.max_file_size,
        jobs=config.effective_jobs,
    )
    return [source, *_submodules(config, source, chosen.narrowed)]


def _submodules(config: Config, source: GitSource, narrowed: bool) -> list[Source]:
    """A whole history's submodules: their stores (`.git/modules/…`) hold their own
    histories, which the superproject's commits only point at. Read as `scan`
    reads them (`GitStores`), named from the repository's top
    (`.git/modules/sub/…`); a gate on a change's commits reads none."""
    modules = None if narrowed else source.modules_dir()
    if modules is None:
        return []
    from scanner.sources.gitbundle import limits_of
    from scanner.sources.gitstores import GitStores

    stores = GitStores(
        [modules],
        history_exclude=config.exclude,
        max_file_size=config.max_file_size,
        fail_partial=True,
        bundle_limits=limits_of(config),
        all_objects=source.all_objects,
        shown_from=source.base,
    )
    return [stores]


def stdin(config: Config, target: Stdin) -> list[Source]:
    from scanner.sources.stdin import StdinSource

    return [StdinSource(target.stream, target.name, config.max_file_size)]


def sweep_sources(config: Config, target: Sweep) -> tuple[HomeSource, GitStores]:
    """The home folder and roots, then the git histories under them (the sweep's
    excludes apply to the search for repositories too); paths shown as '~/…'."""
    from scanner.sources.home import HomeSource

    exclude = (*config.sweep_exclude, *config.exclude)
    home = HomeSource(
        home=target.home,
        extra_roots=target.roots,
        exclude=exclude,
        include_home=target.include_home,
        follow_symlinks=config.follow_symlinks,
        max_file_size=config.max_file_size,
    )
    folders = ([home.home_path] if target.include_home else []) + list(target.roots)
    return home, _stores(config, folders, exclude, "home", fail_partial=False, configs=True)


def _sweep(config: Config, target: Sweep) -> list[Source]:
    return list(sweep_sources(config, target))


BUILDERS: dict[type, Callable[[Config, Any], list[Source]]] = {
    Files: files,
    GitHistory: git_history,
    Stdin: stdin,
    Sweep: _sweep,
}
"""One builder per kind of target."""


def check_roots(paths: Sequence[Path]) -> None:
    """A root that does not exist or cannot be opened is a user mistake: scanning
    nothing must never pass as clean."""
    for path in paths:
        try:
            if path.is_dir():
                os.scandir(path).close()
            elif not path.exists():
                raise SourceError(f"{path}: no such file or folder")
            elif not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO is never opened: it could block
                raise SourceError(
                    f"{path}: not a regular file or folder (use '-' for standard input)"
                )
            else:
                with open(path, "rb"):
                    pass
        except OSError as exc:
            raise SourceError(f"{path}: cannot open: {exc.strerror or exc}") from None


__all__ = ["Files", "GitHistory", "Stdin", "Sweep", "Target", "build_sources", "check_roots"]
