"""Files and folders on disk.

Walks dotfiles too, never descends into `.git` internals, follows symlinks only
when asked (and then never around a loop), applies exclude globs before reading,
and turns unreadable folders and files into warnings. Bytes are read later, by
the worker that scans them.
"""

from __future__ import annotations

import errno
import functools
import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scanner.config import DEFAULT_MAX_FILE_SIZE
from scanner.model import Item, Origin, ScanWarning, SourceKind
from scanner.pathnames import shown
from scanner.paths import relative_to_base
from scanner.sources import Skipped, SkipReason, SourceEvent, too_large
from scanner.suppress import PathMatcher
from scanner.unscanned import Unscanned

SKIP_DIRS = frozenset({".git", ".hg", ".svn"})


@dataclass(frozen=True)
class _Descend:
    """A folder to walk next (the walk keeps a stack, not a recursion)."""

    path: str
    rel_dir: str


@dataclass
class FileSource:
    """Every regular file under `paths` (files given directly are taken as they are)."""

    paths: Sequence[Path]
    exclude: Sequence[str] = ()
    follow_symlinks: bool = False
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    display: str = "relative"
    """relative: paths relative to the root they were found under;
    home: '~/…' for paths under the user's home, absolute elsewhere;
    absolute: absolute paths."""
    record_owner: bool = False
    base: Path | None = None
    """With display 'relative': show paths relative to this folder (the repository's
    work tree) rather than to each root; exclude globs match either form."""
    _excluded: PathMatcher = field(init=False)

    def __post_init__(self) -> None:
        self._excluded = PathMatcher(self.exclude)

    @property
    def roots(self) -> tuple[str, ...]:
        return tuple(str(p) for p in self.paths)

    def events(self) -> Iterator[SourceEvent]:
        for root in self.paths:
            yield from self._root(root)

    def _root(self, root: Path) -> Iterator[SourceEvent]:
        try:
            info = os.stat(root) if self.follow_symlinks else os.lstat(root)
        except OSError as exc:
            yield ScanWarning(str(root), f"cannot read: {exc.strerror or exc}", "error")
            return
        if stat.S_ISDIR(info.st_mode):
            base = os.path.abspath(root)
            prefix = self._prefix(root, base)
            visited = {(info.st_dev, info.st_ino)}
            yield from self._walk(base, "", prefix, visited)
        elif stat.S_ISREG(info.st_mode) or (stat.S_ISLNK(info.st_mode) and root.is_file()):
            yield from self._file(os.path.abspath(root), self._display_single(root), None)
        else:
            yield Skipped(str(root), SkipReason.NOT_A_REGULAR_FILE)

    def _prefix(self, root: Path, base: str) -> str:
        """What display paths under this root start with."""
        if self.display == "relative":
            if self.base is None:
                return ""
            shown = relative_to_base(Path(base), self.base)
            return "" if shown == "." else shown.rstrip("/") + "/"
        shown = self._display_single(Path(base))
        return shown if shown.endswith("/") else shown + "/"

    def _walk(
        self, folder: str, rel_dir: str, prefix: str, visited: set[tuple[int, int]]
    ) -> Iterator[SourceEvent]:
        """Walk `folder` (absolute) depth first, with a stack of listings rather
        than recursion: no nesting depth can exhaust Python's stack."""
        stack = [self._listing(folder, rel_dir, prefix, visited)]
        while stack:
            event = next(stack[-1], None)
            if event is None:
                stack.pop()
            elif isinstance(event, _Descend):
                stack.append(self._listing(event.path, event.rel_dir, prefix, visited))
            else:
                yield event

    def _listing(
        self, folder: str, rel_dir: str, prefix: str, visited: set[tuple[int, int]]
    ) -> Iterator[SourceEvent | _Descend]:
        """One folder's events; `rel_dir` is its path below the root ('' or 'a/b/')."""
        try:
            with os.scandir(folder) as scan:
                entries = sorted(scan, key=lambda e: e.name)
        except OSError as exc:
            where = prefix + rel_dir.rstrip("/") or folder
            message = f"cannot list folder: {exc.strerror or exc}"
            yield (
                Unscanned(where, message)
                if exc.errno == errno.ENAMETOOLONG
                else ScanWarning(where, message)
            )
            return
        for entry in entries:
            rel = rel_dir + shown(entry.name)
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=self.follow_symlinks)
            except OSError as exc:
                yield ScanWarning(prefix + rel, f"cannot stat: {exc.strerror or exc}")
                continue
            if is_dir:
                if entry.name in SKIP_DIRS:
                    continue
                if self._is_excluded(rel + "/", prefix):
                    yield Skipped(prefix + rel, SkipReason.EXCLUDED)
                    continue
                key = self._dir_key(entry, is_link)
                if isinstance(key, ScanWarning):
                    yield ScanWarning(prefix + rel, key.message)
                    continue
                if key in visited:
                    yield ScanWarning(prefix + rel, "symlink loop; not followed")
                    continue
                visited.add(key)
                yield _Descend(entry.path, rel + "/")
            elif is_link and not self.follow_symlinks:
                yield Skipped(prefix + rel, SkipReason.SYMLINK)
            elif self._is_excluded(rel, prefix):
                yield Skipped(prefix + rel, SkipReason.EXCLUDED)
            else:
                yield from self._file(entry.path, prefix + rel, entry, rel)

    def _is_excluded(self, rel: str, prefix: str) -> bool:
        if self._excluded.matches(rel):
            return True
        return self.base is not None and bool(prefix) and self._excluded.matches(prefix + rel)

    @staticmethod
    def _dir_key(entry: os.DirEntry[str], is_link: bool) -> tuple[int, int] | ScanWarning:
        try:
            info = entry.stat(follow_symlinks=True)
        except OSError as exc:
            what = "broken symlink" if is_link else "cannot stat"
            return ScanWarning(entry.path, f"{what}: {exc.strerror or exc}")
        return (info.st_dev, info.st_ino)

    def _file(
        self, path: str, display: str, entry: os.DirEntry[str] | None, rel: str | None = None
    ) -> Iterator[SourceEvent]:
        try:
            info = entry.stat(follow_symlinks=True) if entry is not None else os.stat(path)
        except FileNotFoundError:
            yield ScanWarning(display, "vanished before it could be read")
            return
        except OSError as exc:
            yield ScanWarning(display, f"cannot stat: {exc.strerror or exc}")
            return
        if not stat.S_ISREG(info.st_mode):
            yield Skipped(display, SkipReason.NOT_A_REGULAR_FILE)
            return
        if info.st_size > self.max_file_size:
            yield from _oversized(display, path, self.max_file_size)
            return
        yield Item(
            origin=Origin(
                path=display,
                source=SourceKind.FILE,
                fs_path=os.path.abspath(path) if entry is None else path,
                file_mode=oct(stat.S_IMODE(info.st_mode)),
                file_owner=_owner(info.st_uid) if self.record_owner else None,
                context_from=self._context_from(display, rel),
            ),
            size=info.st_size,
        )

    def _context_from(self, display: str, rel: str | None) -> int:
        """A sweep's root is not part of a finding's context: only the path below it
        is (relative display paths are measured from the repository, which is)."""
        if self.display == "relative":
            return 0
        below = rel if rel is not None else display.rsplit("/", 1)[-1]
        return max(len(display) - len(below), 0)

    def _display_single(self, path: Path) -> str:
        if self.display == "home":
            absolute = path.absolute()
            try:
                below = absolute.relative_to(Path.home()).as_posix()
                return "~" if below == "." else "~/" + below
            except ValueError:
                return absolute.as_posix()
        if self.display == "absolute":
            return path.absolute().as_posix()
        if self.base is not None:
            return relative_to_base(path, self.base)
        return os.path.normpath(path).replace(os.sep, "/")


def _oversized(display: str, path: str, limit: int) -> Iterator[SourceEvent]:
    """A file over the size limit: a binary skip, as a smaller binary is, when its
    head names machine code or media (`scanner.machinedata`); else a skip, its
    warning and unscanned content."""
    if _machine_data(path):
        yield Skipped(display, SkipReason.BINARY)
        return
    yield Skipped(display, SkipReason.TOO_LARGE)
    yield too_large(display, limit)


def _machine_data(path: str) -> bool:
    from scanner.machinedata import HEAD, machine_data  # oversized files only

    try:
        return machine_data(read_regular(path, HEAD))
    except OSError:  # gone or swapped since its stat: judged as over the limit
        return False


class NotRegularFile(OSError):
    """The path no longer names a regular file (replaced by a FIFO or device)."""


def read_regular(path: str, limit: int) -> bytes:
    """Up to `limit` bytes of the regular file at `path`. Opened without blocking and
    checked after opening: a file swapped for a FIFO after the walk cannot hang us."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotRegularFile(path)
        # O_NONBLOCK means nothing for a regular file; read what fstat promised
        # (one more byte tells a file that grew past the limit).
        chunk = max(min(info.st_size + 1, limit), 1)
        parts: list[bytes] = []
        left = limit
        while left > 0:
            part = os.read(fd, min(chunk, left))
            if not part:
                break
            parts.append(part)
            left -= len(part)
        return b"".join(parts)
    finally:
        os.close(fd)


@functools.lru_cache(maxsize=256)
def _owner(uid: int) -> str | None:
    try:
        import pwd

        return pwd.getpwuid(uid).pw_name
    except (ImportError, KeyError):
        return str(uid)
