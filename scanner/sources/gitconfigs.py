"""A repository's own config files, scanned as files of the machine.

`git clone https://x-access-token:TOKEN@github.com/…` leaves the token in the
remote URL of `.git/config`, and `http.extraHeader = Authorization: Bearer …`
sits there too: one of the commonest places a token lives on a developer's
machine. The file walk never enters `.git`, and history holds no config, so
the git stores a sweep finds hand out their config files (`config`,
`config.worktree`, of the store and of a linked worktree's own git dir) as
items of their own, named where they are (`~/src/app/.git/config`). `scan` and
`keysweep git` do not (`GitStores.configs`): a CI checkout keeps the job's own
token there, which no commit holds.

Each is read here, in the main process, as a small regular file: never through
a symbolic link (a link is named in a warning unless it stays inside the
scanned root, where the link's target is read in its own right), never a FIFO
or a device, at most `MAX_CONFIG` bytes (what the vetting of a repository
allows, `gitvet.MAX_SMALL_FILE`); a larger one is unscanned content. A file
reached twice (a linked worktree and its main store) is read once.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from scanner.model import Item, Origin, ScanWarning, SourceKind
from scanner.sources import Skipped, SkipReason
from scanner.sources.gitvet import MAX_SMALL_FILE
from scanner.suppress import PathMatcher

MAX_CONFIG = MAX_SMALL_FILE
CONFIG_NAMES = ("config", "config.worktree")
NO_FOLLOW = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


@dataclass(frozen=True)
class ConfigFile:
    """One config file to read: where it is, and how the report names it."""

    path: Path
    shown: str


def config_files(git_dirs: Iterable[tuple[Path, str]]) -> list[ConfigFile]:
    """The config files of each (git dir, its display path), in order."""
    return [
        ConfigFile(folder / name, f"{shown.rstrip('/')}/{name}" if shown not in ("", ".") else name)
        for folder, shown in git_dirs
        for name in CONFIG_NAMES
    ]


@dataclass
class ConfigReader:
    """Reads config files as items, each file once per run."""

    root: Path | None = None
    """Links that resolve inside this folder are left to be read there, silently."""
    exclude: Sequence[str] = ()
    """Globs on the path inside the repository (`.git/config`), as on its history."""
    seen: set[tuple[int, int]] | None = None

    def items(
        self, files: Iterable[ConfigFile], repository: str | None = None
    ) -> Iterator[Item | ScanWarning | Skipped]:
        excluded = PathMatcher(self.exclude)
        for file in files:
            if excluded and excluded.matches(file.shown[_context_from(file.shown, repository) :]):
                yield Skipped(file.shown, SkipReason.EXCLUDED)
            else:
                yield from self._one(file, repository)

    def _one(self, file: ConfigFile, repository: str | None) -> Iterator[Item | ScanWarning]:
        try:
            info = os.lstat(file.path)
        except OSError:  # absent (most `config.worktree`), or its folder unreadable
            return
        if stat.S_ISLNK(info.st_mode):
            yield from self._linked(file)
            return
        read = _read(file)
        if isinstance(read, ScanWarning):
            yield read
            return
        data, info = read
        if self._again(info):
            return
        origin = Origin(
            path=file.shown,
            source=SourceKind.WORKSTATION,
            file_mode=oct(stat.S_IMODE(info.st_mode)),
            repository=repository,
            context_from=_context_from(file.shown, repository),
        )
        yield Item(origin, data, size=len(data))

    def _linked(self, file: ConfigFile) -> Iterator[ScanWarning]:
        if self.root is not None and _inside(Path(os.path.realpath(file.path)), self.root):
            return
        yield ScanWarning(
            file.shown,
            "a symbolic link out of the scanned folder; not read as the repository's config "
            "(scan the file it names)",
        )

    def _again(self, info: os.stat_result) -> bool:
        if self.seen is None:
            self.seen = set()
        key = (info.st_dev, info.st_ino)
        if key in self.seen:
            return True
        self.seen.add(key)
        return False


def _read(file: ConfigFile) -> tuple[bytes, os.stat_result] | ScanWarning:
    """The file's bytes, or why they were not read (unscanned content when the
    file is there and holds more than we read)."""
    try:
        fd = os.open(file.path, NO_FOLLOW)
    except OSError as exc:
        return ScanWarning(file.shown, f"cannot read: {exc.strerror or exc}")
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            return ScanWarning(file.shown, "not a regular file; not read")
        data = _bounded(fd)
    except OSError as exc:
        return ScanWarning(file.shown, f"cannot read: {exc.strerror or exc}")
    finally:
        os.close(fd)
    if len(data) > MAX_CONFIG:
        from scanner.unscanned import Unscanned

        return Unscanned(file.shown, f"larger than {MAX_CONFIG} bytes; not scanned")
    return data, info


def _bounded(fd: int) -> bytes:
    parts: list[bytes] = []
    left = MAX_CONFIG + 1
    while left > 0 and (part := os.read(fd, left)):
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _context_from(shown: str, repository: str | None) -> int:
    """A finding's context is read from the path inside the repository's folder."""
    if repository is None or repository in ("", "."):
        return 0
    prefix = repository.rstrip("/") + "/"
    return len(prefix) if shown.startswith(prefix) else 0


def _inside(path: Path, root: Path) -> bool:
    try:
        return os.path.commonpath([path, root]) == str(root)
    except ValueError:
        return False
