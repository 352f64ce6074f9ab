"""Git history, commit ranges and the staged index as a Source.

`gitlog.py` decides which blobs to read and whom to attribute each to; this
module reads each blob once through one long-lived `git cat-file --batch`
process (ids are fed by a thread while the output is read, so there is no
round trip per blob) and turns them into Items. A missing or corrupt object is
a warning: the reader restarts after it and the scan goes on. A partial clone
may lack thousands of blobs, and git stops at each: there the blobs it lacks
are found from one listing of what it holds and never asked for.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Collection, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import IO

from scanner import pipes
from scanner.errors import SourceError
from scanner.frozen import quick_init
from scanner.model import Item, Origin, ScanWarning, SourceKind
from scanner.sources import Skipped, SkipReason, SourceEvent, gitblobs, gitlog
from scanner.sources.gitsafe import RepoPaths, SafeGit, discover
from scanner.suppress import PathMatcher
from scanner.threads import Background

FULL_HISTORY = ("--all", "--reflog")
"""Every ref (branches, tags, remotes, refs/stash…) and every reflog entry, which
holds older stashes and amended or reset-away commits."""


READER_CONFIG = gitblobs.READER_CONFIG
READ_BUFFER = gitblobs.READ_BUFFER
NOT_IN_CLONE = "missing object: the clone was made without it"
"""The warning for a blob a partial clone lacks (`GitSource._not_in_clone`)."""


@quick_init  # one per blob read: see `scanner.frozen`
@dataclass(frozen=True)
class Blob:
    sha: str
    data: bytes | None
    size: int
    problem: str | None = None
    too_large: bool = False
    machine: bool = False
    """Too large, and its head names machine code or media: a binary skip."""


@dataclass
class GitSource:
    """Blobs of a repository: its whole history, a range, or the staged index.

    At most one of `since`, `rev_range` and `staged` is given; `branch` limits
    history to one branch (or is the tip `since` is measured to).
    """

    repo: Path
    since: str | None = None
    rev_range: str | None = None
    branch: str | None = None
    staged: bool = False
    all_objects: bool = False
    exclude: Sequence[str] = ()
    max_file_size: int = 25 * 1024 * 1024
    skip_blobs: Collection[str] = ()
    """Blobs already read by another source of the same run (a second clone)."""
    jobs: int = 1
    """Processes the scan runs on: with more than one, the blobs of a history of
    more than `gitblobs.ONE_PROCESS_BLOBS` are read by the process that scans them."""
    fail_partial: bool = True
    """Whether what a partial clone was made without is unscanned content, or
    only warnings (a sweep: it is not on the machine)."""
    blobs_read: int = field(default=0, init=False)
    """Blobs actually read from git (each unique blob once), or handed out to be read."""
    planned: int | None = field(default=None, init=False)
    """How many blobs this source reads, once it knows."""
    unreadable: int = field(default=0, init=False)
    """Blobs the main process found git could not give (or a partial clone lacks)."""
    listed: int = field(default=0, init=False)
    """Blobs this source meant to read: those it reads and those a partial clone lacks."""
    _partial: bool | None = field(default=None, init=False)
    _messages: int = field(default=0, init=False)
    """Commit and tag messages this source hands out after its blobs (`gitmessages`)."""
    _paths: RepoPaths = field(init=False)
    _index: str | None = field(init=False)
    _git: SafeGit = field(init=False)

    def __post_init__(self) -> None:
        chosen = [x for x in (self.since, self.rev_range) if x] + (
            ["staged"] if self.staged else []
        )
        if len(chosen) > 1:
            raise SourceError("choose one of --since, --range and --staged")
        self._paths = discover(self.repo)
        if self.staged and self._paths.work_tree is None:
            raise SourceError(f"{self.repo}: a bare repository has no staged changes")
        self._index = self._index_file()
        self._git = SafeGit(self._paths, self._index)
        status, _, message = self._git.run("rev-parse", "--git-dir", check=False)
        if status != 0:  # e.g. git's "dubious ownership" refusal: never a silent pass
            raise SourceError(f"{self.repo}: git cannot read this repository: {message}")
        for rev in self._user_revs():
            self._verify(rev)

    def _index_file(self) -> str | None:
        """The index git named for this hook (`GIT_INDEX_FILE`). git runs hooks at the
        work tree's top and names the index relative to it, so a relative name is
        read from there, wherever keysweep was started. An index that is not there
        would list no staged file at all: exit 2, never a silent pass."""
        index = os.environ.get("GIT_INDEX_FILE")
        if not index:
            return None
        top = self._paths.work_tree or self._paths.git_dir
        path = os.path.join(top, index)  # an absolute name stays as it is
        if self.staged and not os.path.isfile(path):
            raise SourceError(f"{path}: GIT_INDEX_FILE names no index file")
        return path

    @property
    def roots(self) -> tuple[str, ...]:
        return (str(self._paths.work_tree or self._paths.git_dir),)

    @property
    def base(self) -> Path:
        """Paths in git are relative to the top of the repository."""
        return Path(self._paths.work_tree or self._paths.git_dir)

    def events(self) -> Iterator[SourceEvent]:
        exclude = PathMatcher(self.exclude)
        if self.staged:
            inventory = gitlog.staged_inventory(self._git, exclude)
            at_head: dict[str, set[str]] | None = None
        else:
            head = gitlog.head_paths_later(self._git)  # listed while git log runs
            inventory = self._history(exclude)
            at_head = head()
        if inventory.errors and not inventory.blobs:  # nothing found to read: not scanned
            raise SourceError(f"{self.base}: git could list nothing to scan: {inventory.errors[0]}")
        where = self.roots[0]
        for message in inventory.errors:
            yield ScanWarning(where, message)
        if inventory.errors:  # a treeless clone (`--filter=tree:0`) lists no old blob
            yield from self.left_out_of_clone("part of the history (commits or trees)")
        yield from (Skipped(p, SkipReason.SUBMODULE) for p in sorted(inventory.submodules))
        yield from (Skipped(p, SkipReason.EXCLUDED) for p in sorted(inventory.excluded))
        yield from (Skipped(s, SkipReason.SYMLINK) for s in sorted(inventory.symlinks))
        if self.staged:
            yield from self._items(inventory, at_head)
            return
        from scanner.sources import gitmessages  # not on the hook's path: no message staged

        self._messages = gitmessages.planned(inventory)
        yield from self._items(inventory, at_head)
        from scanner.sources.gitnul import holding_nul

        read, holding = partial(read_blobs, self._git), partial(holding_nul, self._git)
        yield from gitmessages.events(inventory, SourceKind.GIT, read, holding)

    def modules_dir(self) -> Path | None:
        """Where the repository keeps its submodules' stores, if it has any."""
        folder = _common_of(self._paths.git_dir) / "modules"
        return folder if folder.is_dir() and not folder.is_symlink() else None

    def _history(self, exclude: PathMatcher) -> gitlog.Inventory:
        options, revs = self._log_revs()
        inventory = gitlog.log_inventory(self._git, options, revs, exclude)
        if self.since or self.rev_range or self.branch:
            inventory.tags.extend(gitlog.tags_on(self._git, inventory.commits))
        else:
            inventory.add_new(gitlog.ref_objects(self._git, exclude))
            if self.all_objects:
                inventory.add_new(gitlog.unreachable_inventory(self._git, inventory, exclude))
            elif inventory.errors:  # damaged history: no blob may go unread
                inventory.add_new(
                    gitlog.stored_blobs(self._git, inventory, exclude, "unattributed")
                )
        return inventory

    def _log_revs(self) -> tuple[tuple[str, ...], tuple[str, ...]]:
        """(pseudo-ref options, user revisions) for git log."""
        if self.rev_range:
            return (), (self.rev_range,)
        if self.since:
            return (), (f"{self.since}..{self.branch or 'HEAD'}",)
        if self.branch:
            return (), (self.branch,)
        return FULL_HISTORY, ()

    def _user_revs(self) -> list[str]:
        if self.rev_range:
            ends = self.rev_range.replace("...", "..").split("..")
            return [e for e in ends if e] or [self.rev_range]
        return [r for r in (self.since, self.branch) if r]

    def _verify(self, rev: str) -> None:
        status, _, message = self._git.run(
            "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}", check=False
        )
        if status != 0:
            raise SourceError(f"{self.repo}: unknown revision {rev!r} {message}".rstrip())

    def _items(
        self, inventory: gitlog.Inventory, at_head: dict[str, set[str]] | None
    ) -> Iterator[SourceEvent]:
        kind = SourceKind.STAGED if self.staged else SourceKind.GIT
        ids = reading_order(inventory, self.skip_blobs)
        if len(ids) < len(inventory.blobs):
            yield from self._copies(inventory, inventory.blobs.keys() - set(ids), kind, at_head)
        self.listed, self.unreadable = len(ids), 0
        pooled = self.jobs > 1 and len(ids) > gitblobs.ONE_PROCESS_BLOBS
        absent = set() if self.staged else self._not_in_clone(ids)
        if absent:  # never asked for: git stops at each, and is started again after each
            yield from self._unread(inventory, [_lacked(s) for s in ids if s in absent])
            ids = [sha for sha in ids if sha not in absent]
        self.planned = len(ids) + self._messages
        if pooled and len(ids) > gitblobs.ONE_PROCESS_BLOBS:
            yield from self._handed_out(inventory, ids, kind, at_head)
            return
        for blob in self._read(ids):
            if blob.problem is not None:
                yield from self._unread(inventory, [blob])
                continue
            self.blobs_read += 1
            origin = blob_origin(inventory, blob.sha, kind, at_head)
            yield Item(origin, blob.data, blob.sha, blob.size)
        if self.listed and self.unreadable == self.listed:
            raise SourceError(self._none_readable(self.listed))

    def _copies(
        self,
        inventory: gitlog.Inventory,
        blobs: Collection[str],
        kind: SourceKind,
        at_head: dict[str, set[str]] | None,
    ) -> Iterator[Item]:
        """The places of blobs another source of the run read already, as items
        that name the blob and this store but carry no bytes: the scan reads one
        again only where it must (`scanner.copies`)."""
        store = gitblobs.store_of(self._paths, self._index, self.max_file_size)
        for sha in sorted(blobs, key=lambda sha: inventory.blobs[sha][0]):
            yield Item(blob_origin(inventory, sha, kind, at_head), None, sha, None, store)

    def _unread(self, inventory: gitlog.Inventory, blobs: Sequence[Blob]) -> Iterator[SourceEvent]:
        """Blobs not read: a skip and a warning when too large, else unreadable."""
        for blob in blobs:
            path = inventory.blobs[blob.sha][0]
            if blob.machine:
                yield Skipped(path, SkipReason.BINARY)  # as a smaller binary is
                continue
            if blob.too_large:
                yield Skipped(path, SkipReason.TOO_LARGE)
            else:
                self.unreadable += 1
            yield _not_read(path, blob)

    def _read(self, ids: Sequence[str]) -> Iterator[Blob]:
        """`read_blobs`; once a blob could not be read in a partial clone (a staged
        scan, or a clone whose packs carry no `.promisor` mark, is not listed before),
        the blobs the clone lacks are answered without asking git (`_absent`)."""
        done = 0
        with contextlib.closing(read_blobs(self._git, ids, self.max_file_size)) as blobs:
            for blob in blobs:
                if blob.problem is not None and not blob.too_large and self._is_partial_clone():
                    break  # this blob too: lacked by the clone, or damaged
                done += 1
                yield blob
            else:
                return
        rest = ids[done:]
        absent = self._absent(rest)
        yield from (_lacked(sha) for sha in rest if sha in absent)
        yield from read_blobs(self._git, [s for s in rest if s not in absent], self.max_file_size)

    def _not_in_clone(self, ids: Sequence[str]) -> set[str]:
        """The blobs a partial clone was made without. git, which may not fetch them,
        stops at each one, and starting it again after each cost 19-44 ms apiece
        (`keysweep git CLONE --jobs 1`, blob:none clones lacking 500 of 6,600 and
        5,000 of 25,000 blobs: 8.9-9.9 s and 221 s), so the objects the clone holds
        are listed at once instead (14 ms for 20,134 objects; the same scans take
        0.35-0.47 s and 0.63-0.82 s; a single miss took 3.4 s in a clone of 600,000
        objects, whose listing takes 0.33 s); nothing for any other repository."""
        if not ids or not _holds_promised(self._paths.git_dir) or not self._is_partial_clone():
            return set()
        return self._absent(ids)

    def _absent(self, ids: Sequence[str]) -> set[str]:
        """Of `ids`, those this (partial) clone does not hold, from one listing."""
        wanted = set(ids)
        listing = self._git.spawn(
            "cat-file", "--batch-check=%(objectname)", "--batch-all-objects", "--unordered"
        )
        held = {sha for line in listing.stdout if (sha := line[:-1].decode("ascii")) in wanted}
        status, _ = listing.finish()
        return wanted - held if status == 0 else set()

    def _handed_out(
        self,
        inventory: gitlog.Inventory,
        ids: Sequence[str],
        kind: SourceKind,
        at_head: dict[str, set[str]] | None,
    ) -> Iterator[Item]:
        """Items that name their blob, to be read where they are scanned
        (`gitblobs`), without asking git anything here: the reader skips a blob
        over the size limit, and reports it, and a missing one, at the path the
        main process would (`Item.problem_path`)."""
        store = gitblobs.store_of(self._paths, self._index, self.max_file_size)
        blobs = inventory.blobs
        for sha in ids:
            self.blobs_read += 1
            origin = blob_origin(inventory, sha, kind, at_head)
            first = blobs[sha][0]  # raw, as the main process names what it cannot read
            named = None if first == origin.path and first.isascii() else first
            yield Item(origin, None, sha, None, store, named)

    def one_process(self) -> bool | None:
        """Whether this source's blobs are few enough to scan in one process
        (None until it knows how many it reads)."""
        if self.planned is None:
            return None
        return self.planned <= gitblobs.ONE_PROCESS_BLOBS

    def check_read(self, unreadable: Mapping[str, int]) -> list[ScanWarning]:
        """After the scan: SourceError if no process could read any of the blobs
        this source handed out to be read (`unreadable`: blobs each repository's
        readers could not read), as when the main process reads them."""
        lost = unreadable.get(str(self._paths.git_dir), 0)
        if lost and self.unreadable + lost == self.listed:
            raise SourceError(self._none_readable(self.listed))
        missing = self.unreadable + lost
        return self.left_out_of_clone(f"{missing} blobs") if missing else []

    def left_out_of_clone(self, what: str) -> list[ScanWarning]:
        """What a partial clone was made without (blobs with `--filter=blob:none`,
        trees and their blobs with `--filter=tree:0`, as CI checkouts often are)
        is history this scan could not read: unscanned content, never a green
        gate. git is asked only once something could not be read, or before a
        history is read when its packs carry a `.promisor` mark (`_holds_promised`)."""
        if not self.fail_partial or not self._is_partial_clone():
            return []
        from scanner.unscanned import Unscanned

        return [
            Unscanned(
                str(self.base),
                f"{what} not in this partial clone; not scanned "
                "(fetch them, e.g. git fetch --refetch, or scan a full clone)",
            )
        ]

    def _is_partial_clone(self) -> bool:
        """A promisor remote (`remote.<name>.promisor`, what `clone --filter` sets)
        or the older `extensions.partialClone`; asked once."""
        if self._partial is None:
            self._partial = self._asked_partial_clone()
        return self._partial

    def _asked_partial_clone(self) -> bool:
        promisors = self._git.run(
            "config", "--type=bool", "--get-regexp", r"^remote\..*\.promisor$", check=False
        )[1]
        if any(line.endswith(b" true") for line in promisors.splitlines()):
            return True
        status, named, _ = self._git.run("config", "--get", "extensions.partialclone", check=False)
        return status == 0 and bool(named.strip())

    def _none_readable(self, count: int) -> str:
        """A scan that read none of its blobs did not scan: one line, never a green gate."""
        what = "staged files" if self.staged else "blobs in history"
        why = (
            "a partial clone made without them: fetch them, e.g. git fetch --refetch, "
            "or scan a full clone"
            if self._partial
            else "the repository is damaged, or GIT_* variables point elsewhere"
        )
        return f"{self.base}: git could read none of the {count} {what} ({why})"


def _holds_promised(git_dir: Path) -> bool:
    """Whether the store may be a partial clone: git marks each pack it fetched
    from a promisor remote with a `.promisor` file beside it (kept through `gc` and
    `repack`). Listing the pack folder spares every other history the two git
    calls of `_is_partial_clone` (3.4 ms before its first blob); a store without
    a pack folder holds no pack, and where the folder cannot be read, git is
    asked. Only the speed of a partial clone rests on this: what it lacks is
    still unscanned content."""
    common = git_dir
    try:  # a linked worktree's git dir names the store's own (`commondir`)
        common = git_dir / (git_dir / "commondir").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError):
        return True
    try:
        return any(name.endswith(".promisor") for name in os.listdir(common / "objects" / "pack"))
    except FileNotFoundError:
        return False
    except OSError:
        return True


def _not_read(path: str, blob: Blob) -> ScanWarning:
    """A blob listed and not read. Over the size limit: a warning (the skip is
    unscanned content already). Lacked by a partial clone: a warning, the
    clone's summary says what it means (`left_out_of_clone`). Otherwise git could
    not give it (damaged, cut short): unscanned content, since the bytes git
    could not give may hold a secret. The message names the blob, never its bytes."""
    message = f"{blob.problem} (blob {blob.sha})"
    if blob.too_large or blob.problem == NOT_IN_CLONE:
        return ScanWarning(path, message)
    from scanner.unscanned import Unscanned

    return Unscanned(path, message)


def _common_of(git_dir: Path) -> Path:
    """The store a git dir uses: a linked worktree's names it in `commondir`."""
    from scanner.sources.gitvet import common_dir

    return common_dir(git_dir) or git_dir


def reading_order(inventory: gitlog.Inventory, skip: Collection[str] = ()) -> list[str]:
    """The blobs to read, grouped by path (the versions of one file together,
    newest first as git log met them). git deltifies the versions of a file
    against each other, so in this order cat-file finds each delta's base in its
    cache: on a replayed Django history it inflates in 0.3 s of CPU instead of
    0.8 s. A worker also gets the versions of a file together, which is what the
    Python detector's caches of already-read statements live on."""
    ids = [sha for sha in inventory.blobs if sha not in skip]
    ids.sort(key=lambda sha: inventory.blobs[sha][0])
    return ids


def blob_origin(
    inventory: gitlog.Inventory,
    sha: str,
    kind: SourceKind,
    at_head: Mapping[str, set[str]] | None,
) -> Origin:
    """Every path the blob was seen at, as one Origin (the others in `also`): paths
    in HEAD's tree first, then by path; each with the commit that put the blob
    there and whether HEAD still has it at that very path."""
    seen = inventory.paths.get(sha)
    if seen is None or len(seen) == 1:  # most blobs: one place, nothing to order
        ((path, index),) = seen.items() if seen else (inventory.blobs[sha],)
        head = None if at_head is None else path in at_head.get(sha, ())
        if index < 0:
            return Origin(path, kind, None, None, None, None, head)
        commit = inventory.commits[index]  # `_place`, written out: one call less per blob
        return Origin(path, kind, None, commit.sha, commit.author, commit.date, head)
    in_head = at_head.get(sha, ()) if at_head is not None else ()
    order = sorted(seen, key=lambda p: (p not in in_head, p))
    places = [
        _place(p, seen[p], inventory, kind, None if at_head is None else p in in_head)
        for p in order
    ]
    return replace(places[0], also=tuple(places[1:]))


def _place(
    path: str, index: int, inventory: gitlog.Inventory, kind: SourceKind, at_head: bool | None
) -> Origin:
    """One place, its fields given by position (`Origin`'s order): one per blob."""
    if index < 0:
        return Origin(path, kind, None, None, None, None, at_head)
    commit = inventory.commits[index]
    return Origin(path, kind, None, commit.sha, commit.author, commit.date, at_head)


def _lacked(sha: str) -> Blob:
    return Blob(sha, None, 0, NOT_IN_CLONE)


def read_blobs(git: SafeGit, ids: Sequence[str], max_size: int) -> Generator[Blob, None, None]:
    """Each id's bytes, in order, through `cat-file --batch`; a process that dies
    on a corrupt object is restarted after it, unless it answered nothing and
    the store is gone (`gitblobs.store_gone`): each id left is then unreadable,
    with git's message, and no git is started for each."""
    start = 0
    while start < len(ids):
        process = git.spawn(*READER_CONFIG, "cat-file", "--batch", stdin=True, buffer=READ_BUFFER)
        _widen_pipe(process.stdout)
        feeder = Background(gitblobs.feed_ids, process.stdin, ids[start:])
        done = start
        try:
            for blob in _read_batch(process.stdout, ids[start:], max_size):
                done += 1
                yield blob
        finally:
            # Never wait for cat-file to see EOF: a worker forked by the scan pool
            # after this process started holds a copy of its stdin. Every answer
            # has been read (or the consumer stopped), so end it.
            process.kill()
            message = process.error()
            feeder.join(timeout=5)
        gone = done == start and gitblobs.store_gone(git.paths.git_dir)
        problem = f"unreadable object: {message or 'git stopped'}"
        for sha in ids[done : len(ids) if gone else done + 1]:
            yield Blob(sha, None, 0, problem)
            done += 1
        start = done


PIPE_BYTES = pipes.PIPE_BYTES
"""cat-file's output pipe, widened from 64 KiB: git runs ahead of the reader by
this much, instead of waiting to be scheduled again every few blobs (on a busy
machine that round trip cost more than the scan)."""


def _widen_pipe(out: IO[bytes]) -> None:
    pipes.widen(out.fileno(), PIPE_BYTES)


def _read_batch(out: IO[bytes], ids: Sequence[str], max_size: int) -> Iterator[Blob]:
    readline, read, header = out.readline, out.read, gitblobs.answer_header
    for sha in ids:
        size = header(readline(), sha)
        if not isinstance(size, int) or size > max_size:  # missing, too large, out of step
            head = _problem(sha, size, max_size)
            if head is not None and head.too_large:
                head = _oversized(out, head, max_size)
            if head is None:
                return
            yield head
            continue
        data = read(size)
        if len(data) < size or read(1) != b"\n":
            return
        yield Blob(sha, data, size)


def _oversized(out: IO[bytes], blob: Blob, max_size: int) -> Blob | None:
    """A blob over the size limit, read past with its head judged
    (`gitblobs.oversized`); None when git stopped first."""
    answer = gitblobs.oversized(out, blob.size, max_size)
    if answer is None:
        return None
    return Blob(blob.sha, None, blob.size, blob.problem, too_large=True, machine=answer.machine)


def _problem(sha: str, size: int | str | None, max_size: int) -> Blob | None:
    """From an answer's header (`gitblobs.answer_header`): a missing or too large
    blob with its problem, or None when git stopped (or answered another id)."""
    if size is None:
        return None
    if isinstance(size, str):
        return Blob(sha, None, 0, gitblobs.damaged(size))
    message = f"over the size limit of {max_size} bytes; skipped"  # as sources.too_large
    return Blob(sha, None, size, message, too_large=True)


CI_BASES: tuple[tuple[str, str], ...] = (
    ("GITHUB_BASE_REF", "origin/{}"),
    ("CI_MERGE_REQUEST_DIFF_BASE_SHA", "{}"),
    ("BITBUCKET_PR_DESTINATION_BRANCH", "origin/{}"),
    ("SYSTEM_PULLREQUEST_TARGETBRANCH", "origin/{}"),
    ("BUILDKITE_PULL_REQUEST_BASE_BRANCH", "origin/{}"),
    ("CI_COMMIT_BEFORE_SHA", "{}"),
)
"""CI variables naming a change's base, in order of preference (`--ci`)."""


def ci_base(env: Mapping[str, str]) -> str | None:
    """The base revision a CI run's change should be measured from, if the CI says."""
    for name, template in CI_BASES:
        value = env.get(name, "").strip()
        if value and value.strip("0"):
            return template.format(value.removeprefix("refs/heads/"))
    return None
