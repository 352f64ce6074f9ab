"""Files and folders on disk.

Walks dotfiles too, never descends into `.git` internals, follows symlinks only
when asked (and then never around a loop), applies exclude globs before reading,
and turns unreadable folders and files into warnings. Bytes are read later, by
the worker that scans them.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from scanner.model import Item, Origin, ScanError, SourceKind
from scanner.sources import Skipped, SourceEvent
from scanner.suppress import PathMatcher

SKIP_DIRS = frozenset({".git", ".hg", ".svn"})


@dataclass
class FileSource:
    """Every regular file under `paths` (files given directly are taken as they are)."""

    paths: Sequence[Path]
    exclude: Sequence[str] = ()
    follow_symlinks: bool = False
    max_file_size: int = 25 * 1024 * 1024
    display: str = "relative"
    """relative: paths relative to the root they were found under;
    home: '~/…' for paths under the user's home, absolute elsewhere;
    absolute: absolute paths."""
    record_owner: bool = False
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
            yield ScanError(str(root), f"cannot read: {exc.strerror or exc}", "error")
            return
        if stat.S_ISDIR(info.st_mode):
            visited = {(info.st_dev, info.st_ino)}
            yield from self._walk(root, root, visited)
        elif stat.S_ISREG(info.st_mode) or (stat.S_ISLNK(info.st_mode) and root.is_file()):
            yield from self._file(root, str(root), root)
        else:
            yield Skipped(str(root), "not-a-regular-file")

    def _walk(
        self, root: Path, folder: Path, visited: set[tuple[int, int]]
    ) -> Iterator[SourceEvent]:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            yield ScanError(
                self._display(root, folder), f"cannot list folder: {exc.strerror or exc}"
            )
            return
        for entry in entries:
            path = Path(entry.path)
            rel = path.relative_to(root).as_posix()
            try:
                is_link = entry.is_symlink()
                is_dir = entry.is_dir(follow_symlinks=self.follow_symlinks)
            except OSError as exc:
                yield ScanError(self._display(root, path), f"cannot stat: {exc.strerror or exc}")
                continue
            if is_dir:
                if entry.name in SKIP_DIRS:
                    continue
                if self._excluded.matches(rel + "/"):
                    yield Skipped(rel, "excluded")
                    continue
                if is_link:
                    try:
                        target = os.stat(path)
                    except OSError as exc:
                        yield ScanError(
                            self._display(root, path), f"broken symlink: {exc.strerror or exc}"
                        )
                        continue
                    key = (target.st_dev, target.st_ino)
                    if key in visited:
                        yield ScanError(self._display(root, path), "symlink loop; not followed")
                        continue
                    visited.add(key)
                else:
                    try:
                        st = entry.stat(follow_symlinks=False)
                        visited.add((st.st_dev, st.st_ino))
                    except OSError:
                        pass
                yield from self._walk(root, path, visited)
            elif is_link and not self.follow_symlinks:
                yield Skipped(rel, "symlink")
            else:
                if self._excluded.matches(rel):
                    yield Skipped(rel, "excluded")
                    continue
                yield from self._file(path, rel, root)

    def _file(self, path: Path, rel: str, root: Path) -> Iterator[SourceEvent]:
        display = self._display(root, path) if path != root else self._display_single(path)
        try:
            info = os.stat(path)
        except FileNotFoundError:
            yield ScanError(display, "vanished before it could be read")
            return
        except OSError as exc:
            yield ScanError(display, f"cannot stat: {exc.strerror or exc}")
            return
        if not stat.S_ISREG(info.st_mode):
            yield Skipped(display, "not-a-regular-file")
            return
        if info.st_size > self.max_file_size:
            yield Skipped(display, "too-large")
            yield ScanError(
                display,
                f"{info.st_size} bytes, over the size limit of {self.max_file_size}; skipped",
            )
            return
        yield Item(
            origin=Origin(
                path=display,
                source=SourceKind.FILE,
                fs_path=str(path.absolute()),
                file_mode=oct(stat.S_IMODE(info.st_mode)),
                file_owner=_owner(info) if self.record_owner else None,
            ),
            size=info.st_size,
        )

    def _display(self, root: Path, path: Path) -> str:
        if self.display == "relative" and root.is_dir():
            return path.relative_to(root).as_posix()
        return self._display_single(path)

    def _display_single(self, path: Path) -> str:
        if self.display == "home":
            absolute = path.absolute()
            home = Path.home()
            try:
                return "~/" + absolute.relative_to(home).as_posix()
            except ValueError:
                return absolute.as_posix()
        if self.display == "absolute":
            return path.absolute().as_posix()
        return os.path.normpath(path).replace(os.sep, "/")


def _owner(info: os.stat_result) -> str | None:
    try:
        import pwd

        return pwd.getpwuid(info.st_uid).pw_name
    except (ImportError, KeyError):
        return str(info.st_uid)
