"""Git object stores found under a scan's roots, each scanned as full history.

The file walk never enters `.git`, yet a key committed and then deleted, a
stash, a reflog entry, an unpushed branch and a dangling object all live on in
a repository's object store. `GitStores` finds every store under its roots
(work trees' `.git` folders and `.git` files, bare repositories, linked
worktrees' and submodules' git dirs) and scans each through `GitSource`, so
history is read by the same hardened git calls as `keysweep git --all-objects`.

A git bundle (`git bundle create FILE --all`) is a whole history in one file:
a regular file named `*.bundle` that starts with a bundle signature is a store
too, read through a temporary repository (`gitbundle`).

A store is scanned once however many work trees point at it, and a blob already
read from one store (a second clone of the same project) is not read again: the
whole run scans each blob once. Each item names its repository; its path is the
repository's display path joined with the path inside the repository. A store
git cannot read (another user's, damaged) is a warning; the scan goes on. A
bundle that cannot be read whole is unscanned content: nothing else on the
machine holds what it was made from.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.bounds import raise_if_stopped
from scanner.errors import SourceError
from scanner.model import Item, Origin, ScanWarning
from scanner.sources import Skipped, SourceEvent, gitbundle
from scanner.sources.gitconfigs import ConfigFile, ConfigReader, config_files
from scanner.sources.gitsafe import discover
from scanner.sources.gitvet import GITFILE_LIMIT, common_dir
from scanner.suppress import PathMatcher
from scanner.unscanned import Unscanned

if TYPE_CHECKING:
    from scanner.sources.git import GitSource

MAX_DEPTH = 64
"""Folders deeper than this under a root are not searched for repositories."""
STORE_PARTS = ("HEAD", "objects", "refs")

ShowFn = Callable[[Path, Path], str]
"""(root, path) → how the path is shown in the report."""


@dataclass(frozen=True)
class Store:
    """One repository to scan."""

    common_dir: Path
    """The object store's git dir (a linked worktree's common dir): the identity."""
    git_dir: Path
    """The git dir that git opens at `open_at` (a linked worktree's own)."""
    open_at: Path
    """The work tree where it was found, or the git dir of a store without one
    (for a bundle, the bundle's file)."""
    display: str
    bundle: bool = False
    """A git bundle file, read through a temporary repository."""
    configs: tuple[ConfigFile, ...] = ()
    """Its config files (and a linked worktree's own), read as files of the machine."""
    links: tuple[str, ...] = ()
    """Its parts that are symbolic links (as Android's `repo` lays out a checkout)."""
    links_out: tuple[str, ...] = ()
    """Of those, the ones that lead out of the scanned root."""


@dataclass
class GitStores:
    """Every git store under `paths`, as history items."""

    paths: Sequence[Path]
    exclude: Sequence[str] = ()
    """Root-relative gitignore globs: folders not searched for repositories."""
    history_exclude: Sequence[str] = ()
    """Globs on paths inside each repository (as `keysweep git --exclude`)."""
    max_file_size: int = 25 * 1024 * 1024
    display: str = "relative"
    """As FileSource: relative to the root, or 'home' ('~/…' under the home folder)."""
    seen_blobs: set[str] = field(default_factory=set)
    """Blobs read from an earlier store in this run: never read again."""
    fail_partial: bool = False
    """Whether what a partial clone was made without is unscanned content (a
    `scan` of a folder with its history, e.g. a CI checkout made with
    `--filter=blob:none`); a sweep asks what is on the machine, and a blob a
    clone never held is not."""
    bundle_limits: gitbundle.Limits = gitbundle.DEFAULT_LIMITS
    """The size and time bounds of one bundle (`archive_max_bytes`, `item_max_seconds`)."""
    all_objects: bool = True
    """Unreachable objects too (`keysweep git --all-objects`), as `scan` and `sweep` read."""
    shown_from: Path | None = None
    """Paths shown relative to this folder rather than to each root (`keysweep
    git` shows its submodules' stores from the repository's top)."""
    configs: bool = False
    """Each store's own config files too (`gitconfigs`): a sweep reads them. A
    scan does not: a CI checkout keeps the job's own token there (`actions/checkout`
    writes an `http.extraheader`), which no commit holds."""
    stores: list[Store] = field(default_factory=list, init=False)
    _configs: ConfigReader = field(default_factory=ConfigReader, init=False)
    bundle_files: set[gitbundle.FileId] = field(default_factory=set, init=False)
    """Bundles this source took as stores: read, or reported as not read."""

    @property
    def roots(self) -> tuple[str, ...]:
        return ()

    def events(self) -> Iterator[SourceEvent]:
        for root in self.paths:
            self._configs.root = Path(os.path.realpath(root))
            self._configs.exclude = self.history_exclude
            for event in find_stores(root, PathMatcher(self.exclude), self._show):
                if isinstance(event, Store):
                    if self.configs:
                        yield from self._configs.items(event.configs, event.display)
                    yield from self._store(event)
                else:
                    yield event

    def _store(self, store: Store) -> Iterator[SourceEvent]:
        if any(s.common_dir == store.common_dir for s in self.stores):
            return
        self.stores.append(store)
        if store.bundle:
            yield from self._bundle(store)
            return
        source = self._source(store)
        if isinstance(source, ScanWarning):
            yield _refused(source, store)
            return
        if store.links_out:
            yield ScanWarning(store.display, _read_through(store.links_out))
        prefix = store.display.rstrip("/") + "/" if store.display not in ("", ".") else ""
        try:
            yield from self._events_of(source, store, prefix)
        except SourceError as exc:  # e.g. none of its blobs readable: this store only
            # A partial clone none of whose blobs is here is unscanned content in a scan.
            kind = Unscanned if source.left_out_of_clone("its blobs") else ScanWarning
            yield _shown(kind(str(store.open_at), f"git history not scanned: {exc}"), store, prefix)

    def _bundle(self, store: Store) -> Iterator[SourceEvent]:
        """A bundle's history, through its temporary repository; what cannot be
        read is unscanned content, shown at the bundle."""
        found = gitbundle.file_id(store.open_at)
        if found in self.bundle_files:  # another name (a hard link) of a bundle already read
            return
        if found is not None:
            self.bundle_files.add(found)
        try:
            with gitbundle.unpacked(store.open_at, self.bundle_limits) as opened:
                yield from self._gaps(opened.header, store.display)
                yield from self._unpacked(store, opened.folder)
        except SourceError as exc:
            message = str(exc).replace(str(store.open_at), store.display)
            yield Unscanned(store.display, f"git bundle not scanned: {message}")

    def _gaps(self, header: gitbundle.Header, where: str) -> Iterator[ScanWarning]:
        """What the bundle says it does not hold (the history before a thin
        bundle's prerequisites, what a filter left out): unscanned content for a
        scan, warnings only for a sweep, as what a partial clone lacks (the sweep
        asks what is on the machine, and that history is not in the file)."""
        for gap in gitbundle.gaps(header, where):
            yield gap if self.fail_partial else ScanWarning(gap.path, gap.message)

    def _unpacked(self, bundle: Store, folder: Path) -> Iterator[SourceEvent]:
        store = replace(bundle, common_dir=folder, git_dir=folder, open_at=folder)
        source = self._source(store)
        if isinstance(source, ScanWarning):
            yield Unscanned(source.path, source.message)
            return
        prefix = store.display.rstrip("/") + "/"
        try:
            yield from self._events_of(source, store, prefix)
        except SourceError as exc:  # e.g. none of its blobs readable
            error = _shown(ScanWarning(str(folder), str(exc)), store, prefix)
            yield Unscanned(error.path, f"git bundle not scanned: {error.message}")

    def _events_of(self, source: GitSource, store: Store, prefix: str) -> Iterator[SourceEvent]:
        for event in source.events():
            if isinstance(event, Item):
                if event.blob_id is not None:
                    self.seen_blobs.add(event.blob_id)
                yield relocate(event, store.display, prefix)
            elif isinstance(event, ScanWarning):
                yield _shown(event, store, prefix)
            else:
                yield Skipped(prefix + event.path, event.reason)
        yield from (_shown(w, store, prefix) for w in source.check_read({}))

    def _source(self, store: Store) -> GitSource | ScanWarning:
        from scanner.sources.git import GitSource

        repo = store.open_at
        try:
            found = discover(repo)
            if os.path.realpath(found.git_dir) != str(store.git_dir):
                raise SourceError(f"{repo}: not a repository git can open here")
            return GitSource(
                repo,
                all_objects=self.all_objects,
                exclude=self.history_exclude,
                max_file_size=self.max_file_size,
                skip_blobs=self.seen_blobs,
                fail_partial=self.fail_partial,
            )
        except SourceError as exc:
            reason = str(exc).replace(str(repo), store.display)
            return ScanWarning(store.display, f"git history not scanned: {reason}")

    def _show(self, root: Path, path: Path) -> str:
        if self.shown_from is not None:
            root = self.shown_from
        if self.display == "home":
            try:
                below = path.relative_to(Path.home()).as_posix()
                return "~" if below == "." else "~/" + below
            except ValueError:
                return path.as_posix()
        below = os.path.relpath(path, os.path.abspath(root))
        return "." if below == "." else below.replace(os.sep, "/")


def _refused(warning: ScanWarning, store: Store) -> ScanWarning:
    """A store git may not read: a warning (another user's, damaged), or
    unscanned content when it is one git reads through symbolic links, which
    `_is_store` took as a store only because git does: refused, it is history
    left unread, never a silent pass."""
    if not store.links:
        return warning
    links = ", ".join(store.links)
    return Unscanned(warning.path, f"{warning.message} (symbolic links in its git dir: {links})")


def _read_through(links: Sequence[str]) -> str:
    """Never follow a link out of the roots silently: the store is read, and said so."""
    return (
        f"git history read through symbolic links out of the scanned folder "
        f"({', '.join(links)}), as git reads them"
    )


def _shown(error: ScanWarning, store: Store, prefix: str) -> ScanWarning:
    """A warning about the store (of the same kind: unscanned content stays so),
    with the store's absolute paths shown as the report shows the store (a sweep
    never names the home folder)."""
    path, message = error.path, error.message
    for absolute in sorted({str(store.open_at), str(store.git_dir)}, key=len, reverse=True):
        message = message.replace(absolute, store.display)
        if path == absolute:
            return replace(error, path=store.display, message=message)
    return replace(error, path=prefix + path, message=message)


def relocate(item: Item, repository: str, prefix: str) -> Item:
    """The item as seen from the scan: its repository named, its path (and every
    other path of the blob) under it."""
    origin = _moved(item.origin, repository, prefix)
    also = tuple(_moved(place, repository, prefix) for place in origin.also)
    return replace(item, origin=replace(origin, also=also))


def _moved(origin: Origin, repository: str, prefix: str) -> Origin:
    moved = prefix + origin.path
    return replace(origin, path=moved, repository=repository, context_from=len(prefix))


# --- discovery ----------------------------------------------------------------


@dataclass(frozen=True)
class _Root:
    """The root a search starts from: how paths under it are shown, and whether a
    symbolic link stays inside it."""

    path: Path
    real: Path
    show: ShowFn

    def shown(self, path: Path) -> str:
        return self.show(self.path, path)

    def inside(self, path: Path) -> bool:
        real = os.path.realpath(path)
        return real == str(self.real) or real.startswith(str(self.real).rstrip("/") + "/")


def find_stores(
    root: Path, exclude: PathMatcher, show: ShowFn
) -> Iterator[Store | ScanWarning | Skipped]:
    """Stores under `root`, walked without recursion and without following links.
    A stop signal the scan has noted ends the walk at the next folder: a home
    of many folders can take long to search, and nothing is scanned meanwhile."""
    base = Path(os.path.abspath(root))
    where = _Root(root, Path(os.path.realpath(root)), show)
    stack: list[tuple[Path, str, int]] = [(base, "", 0)]
    while stack:
        raise_if_stopped()
        folder, rel, depth = stack.pop()
        if _is_store(folder):
            yield from _stores_in(folder, folder, where)
            continue
        entries = _entries(folder)
        if entries is None:
            continue
        for name, is_dir in entries:
            path = folder / name
            if name == ".git":
                yield from _dot_git(path, is_dir, folder, where)
            elif is_dir and depth < MAX_DEPTH and not exclude.matches(rel + name + "/"):
                stack.append((path, rel + name + "/", depth + 1))
            elif not is_dir and name.endswith(gitbundle.SUFFIX):
                yield from _bundle(path, rel + name, exclude, root, show)


def _bundle(
    path: Path, rel: str, exclude: PathMatcher, root: Path, show: ShowFn
) -> Iterator[Store]:
    """A bundle file as a store: named `*.bundle`, so that only such files are
    opened here (the file walk notices a bundle of another name by its bytes)."""
    if not exclude.matches(rel) and gitbundle.is_bundle(path):
        real = Path(os.path.realpath(path))
        yield Store(real, real, path, show(root, path), bundle=True)


def _entries(folder: Path) -> list[tuple[str, bool]] | None:
    """(name, is a real folder) of each entry, sorted; None when unreadable
    (the file walk reports unreadable folders)."""
    try:
        with os.scandir(folder) as scan:
            found = [(e.name, e.is_dir(follow_symlinks=False)) for e in scan]
    except OSError:
        return None
    return sorted(found, reverse=True)  # popped from a stack: walked in name order


def _is_store(folder: Path) -> bool:
    """A git dir (a bare repository or a submodule's) as git takes one: a HEAD
    file, `objects/` and `refs/`, through symbolic links as git follows them
    (Android's `repo` links `objects/` and `refs/` into `.repo/`; HEAD is a link
    under `core.preferSymlinkRefs`). Whether such a store may be read is decided
    later: by the vetting git's reading gets (`gitvet`)."""
    head, objects, refs = (folder / name for name in STORE_PARTS)
    return os.path.isfile(head) and os.path.isdir(objects) and os.path.isdir(refs)


def _links(git_dir: Path, where: _Root) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(the git dir's entries that are symbolic links, those leading out of the root)."""
    try:
        with os.scandir(git_dir) as scan:
            links = sorted(e.name for e in scan if e.is_symlink())
    except OSError:
        return (), ()
    return tuple(links), tuple(n for n in links if not where.inside(git_dir / n))


def _made(common: Path, git_dir: Path, open_at: Path, found: Path, where: _Root) -> Store:
    """The store whose git dir was found at `found` (as spelled under the root),
    with its config files and its links."""
    dirs = [(found, where.shown(found))]
    if common != git_dir:  # a linked worktree: the main store's config too
        dirs.insert(0, (common, where.shown(common)))
    links, out = _links(found, where)
    if common != git_dir:
        more, more_out = _links(common, where)
        links, out = links + more, out + more_out
    return Store(
        common,
        git_dir,
        open_at,
        where.shown(open_at),
        configs=tuple(config_files(dirs)),
        links=links,
        links_out=out,
    )


def _dot_git(
    path: Path, is_dir: bool, work_tree: Path, where: _Root
) -> Iterator[Store | ScanWarning | Skipped]:
    if is_dir:
        if _is_store(path):
            yield from _stores_in(path, work_tree, where)
        else:
            yield from _broken(path, work_tree, where)
        return
    if os.path.islink(path):
        yield from _linked_dot_git(path, work_tree, where)
        return
    target = _gitfile_target(path)
    if target is None:
        return
    if isinstance(target, ScanWarning):
        yield ScanWarning(where.shown(path), target.message)
        return
    if not _is_git_dir(target):
        return
    real = Path(os.path.realpath(target))
    common = common_dir(real) or real  # a linked worktree shares its main store
    yield _made(common, real, work_tree, target, where)


def _broken(path: Path, work_tree: Path, where: _Root) -> Iterator[ScanWarning]:
    """A `.git` folder that is no store because a part of it is a symbolic link
    git cannot follow (to nothing, or to something else): never silent."""
    parts = [name for name in STORE_PARTS if os.path.islink(path / name)]
    if parts:
        names = ", ".join(f".git/{name}" for name in parts)
        message = f"git history not scanned: {names} is a symbolic link to no git store part"
        yield Unscanned(where.shown(work_tree), message)


def _linked_dot_git(path: Path, work_tree: Path, where: _Root) -> Iterator[Store | ScanWarning]:
    """`.git` as a symbolic link to the store: read when the store is inside the
    root (git is pointed at the store itself: `keysweep git` refuses a linked
    `.git`), else unscanned content; the link's target is never named (a sweep
    names no folder outside what it was asked to read)."""
    real = Path(os.path.realpath(path))
    shown = where.shown(work_tree)
    if not _is_git_dir(real):
        yield ScanWarning(shown, "git history not scanned: .git is a symbolic link to no git store")
    elif not where.inside(real):
        message = (
            "git history not scanned: .git is a symbolic link out of the scanned folder "
            "(scan the store it links to)"
        )
        yield Unscanned(shown, message)
    else:
        common = common_dir(real) or real
        store = _made(common, real, real, path, where)
        yield replace(store, display=shown, links=(*store.links, ".git"))


def _stores_in(
    git_dir: Path, open_at: Path, where: _Root
) -> Iterator[Store | ScanWarning | Skipped]:
    """The store itself, then its submodules' stores (`modules/…`, nested)."""
    real = Path(os.path.realpath(git_dir))
    yield _made(real, real, open_at, git_dir, where)
    stack = [git_dir / "modules"]
    while stack:
        folder = stack.pop()
        for name, is_dir in _entries(folder) or []:
            if not is_dir:
                continue
            inner = folder / name
            if _is_store(inner):
                real = Path(os.path.realpath(inner))
                yield _made(real, real, inner, inner, where)
                stack.append(inner / "modules")
            elif len(inner.relative_to(git_dir).parts) < MAX_DEPTH:
                stack.append(inner)  # a submodule named a/b sits in modules/a/b


def _is_git_dir(path: Path) -> bool:
    """A store, or a linked worktree's git dir (HEAD and a `commondir` file)."""
    if _is_store(path):
        return True
    try:
        return stat.S_ISREG(os.lstat(path / "HEAD").st_mode) and (path / "commondir").is_file()
    except OSError:
        return False


def _gitfile_target(path: Path) -> Path | ScanWarning | None:
    """Where a `.git` file points (`gitdir: …`), read as a small regular file only."""
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            return None
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK)
        with os.fdopen(fd, "rb") as handle:
            head = handle.read(GITFILE_LIMIT + 1)
    except OSError as exc:
        return ScanWarning(str(path), f"cannot read .git file: {exc.strerror or exc}")
    line = head.split(b"\n", 1)[0].strip()
    if len(head) > GITFILE_LIMIT or not line.startswith(b"gitdir:"):
        return None
    target = Path(os.fsdecode(line[len(b"gitdir:") :].strip()))
    return target if target.is_absolute() else path.parent / target
