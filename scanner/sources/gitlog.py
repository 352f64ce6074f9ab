"""Which blobs a repository holds, and which commit introduced each at which path.

One `git log --raw -c` pass (newest first) lists every (commit, path, blob)
change; keeping the last sighting of each blob leaves its oldest introduction.
`-c` makes merges list only paths whose result differs from every parent, so a
blob born in a merge (a conflict resolution) is attributed to the merge. No blob
is read here: `git.py` reads each one once with `cat-file --batch`.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from scanner.bounds import raise_if_stopped
from scanner.sources.gitsafe import Process, SafeGit
from scanner.suppress import PathMatcher

LOG_FORMAT = "--format=%x01%H%x00%an <%ae>%x00%aI%x00%e%x00%B"
"""Each commit's id, author, date, `encoding` header and message (`%B`: git prints
it up to a NUL), read in the same pass as its changes. `--encoding=none` (in
`LOG_ARGS`) keeps git from re-encoding messages into a repository's
`i18n.logOutputEncoding` (IBM037 made ASCII text bytes no rule reads); a commit
whose own header names an encoding other than UTF-8 is re-encoded by `%B` whatever
is asked (git printed such a message empty), so its message is read from its
object instead (`Inventory.unread_messages`)."""
LOG_ARGS = (
    "log",
    "--raw",
    "-c",
    "--no-renames",
    "-z",
    "--no-abbrev",
    "--root",
    "--date-order",
    "--no-color",
    "--no-ext-diff",
    "--no-textconv",
    "--encoding=none",
    LOG_FORMAT,
)
RECOVERY_LIMIT = 5000
"""After git log fails, at most this many commits are read one by one."""
LS_TREE = ("ls-tree", "-r", "-z", "--full-tree")
REFS = (
    "for-each-ref",
    "--format=%(objecttype) %(objectname) %(*objecttype) %(*objectname) %(refname)",
)
MESSAGE_MAX_BYTES = 1 << 20
"""A commit message (or tag message) longer than this is not scanned: it is
unscanned content (`gitmessages`). Also the longest field of the log kept whole
(`tokens`)."""
MESSAGES_MAX_BYTES = 64 << 20
"""Messages held from the log at once, at most; the messages of the commits past
it are read from their objects after the log, one at a time (`gitmessages`)."""
GITLINK = b"160000"
SYMLINK = b"120000"


@dataclass(frozen=True)
class Commit:
    sha: str
    author: str
    date: str


@dataclass
class Inventory:
    """Blobs to read: blob id → (path, index into `commits` or -1 for none)."""

    commits: list[Commit] = field(default_factory=list)
    blobs: dict[str, tuple[str, int]] = field(default_factory=dict)
    paths: dict[str, dict[str, int]] = field(default_factory=dict)
    """Blob id → every path it was seen at → the commit that first put it there."""
    submodules: set[str] = field(default_factory=set)
    symlinks: set[str] = field(default_factory=set)
    excluded: set[str] = field(default_factory=set)
    skipped_blobs: set[str] = field(default_factory=set)
    """Blobs of symlinks and excluded paths: never read."""
    errors: list[str] = field(default_factory=list)
    messages: list[tuple[int, bytes]] = field(default_factory=list)
    """(index into `commits`, message) of the commits whose message the log gave."""
    message_bytes: int = 0
    unread_messages: list[int] = field(default_factory=list)
    """Commits whose message is read from their object: past `MESSAGES_MAX_BYTES`
    in all, in an encoding other than UTF-8, or (`gitmessages`) holding a NUL."""
    overlong_messages: list[int] = field(default_factory=list)
    """Commits whose message is over `MESSAGE_MAX_BYTES`: unscanned content."""
    tags: list[str] = field(default_factory=list)
    """Annotated tag objects whose messages are read (`gitmessages`)."""

    def message(self, commit: int, text: bytes) -> None:
        """A commit's message from the log: held while the bounds allow."""
        if not text:
            return
        size = len(text)
        if size > MESSAGE_MAX_BYTES:
            self.overlong_messages.append(commit)
        elif self.message_bytes + size > MESSAGES_MAX_BYTES:
            self.unread_messages.append(commit)
        else:
            self.message_bytes += size
            self.messages.append((commit, text))

    def note(self, mode: bytes, blob: str, path: str, commit: int, exclude: PathMatcher) -> None:
        """One change: keep it (overwriting a newer sighting of the same blob)."""
        if mode == GITLINK:
            self.submodules.add(path)
        elif mode == SYMLINK:
            self.symlinks.add(path)
            self.skipped_blobs.add(blob)
        elif exclude.matches(path):
            self.excluded.add(path)
            self.skipped_blobs.add(blob)
        else:
            self.blobs[blob] = (path, commit)
            self.paths.setdefault(blob, {})[path] = commit

    def add_new(self, other: Inventory) -> None:
        """Merge `other`'s blobs that this inventory does not know yet."""
        offset = len(self.commits)
        self.commits.extend(other.commits)
        for blob, (path, index) in other.blobs.items():
            if blob not in self.blobs and blob not in self.skipped_blobs:
                self.blobs[blob] = (path, index + offset if index >= 0 else -1)
                self.paths[blob] = {
                    p: i + offset if i >= 0 else -1 for p, i in other.paths.get(blob, {}).items()
                } or {path: self.blobs[blob][1]}
        self.submodules |= other.submodules
        self.excluded |= other.excluded
        self.symlinks |= other.symlinks
        self.skipped_blobs |= other.skipped_blobs
        self.errors.extend(other.errors)
        for index, text in other.messages:
            self.message(index + offset, text)
        self.unread_messages.extend(index + offset for index in other.unread_messages)
        self.overlong_messages.extend(index + offset for index in other.overlong_messages)
        self.tags = list(dict.fromkeys([*self.tags, *other.tags]))


def tokens(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """NUL-separated fields of a stream of chunks (a chain of each chunk's fields:
    taking the next field is then a C call, not a generator's step)."""
    return itertools.chain.from_iterable(_fields(chunks))


def _fields(chunks: Iterable[bytes], limit: int = MESSAGE_MAX_BYTES) -> Iterator[list[bytes]]:
    """Each chunk's whole fields. Between chunks (a MiB of a log each) a stop
    signal that the scan has noted ends the reading (`bounds.raise_if_stopped`):
    the history of a large repository is listed before its first blob is
    scanned, and Ctrl-C used to wait for the whole listing. A field still
    unfinished past `limit` bytes (a hostile commit's 1 GB message or author) is
    given as its first `limit` + 1 bytes, in its place, and the rest of it is
    dropped unread: what is held stays bounded, and the fields after it keep
    their order."""
    rest, dropping = b"", False
    for chunk in chunks:
        raise_if_stopped()
        if dropping:
            end = chunk.find(b"\0")
            if end < 0:
                continue
            chunk, dropping = chunk[end + 1 :], False
        parts = (rest + chunk).split(b"\0")
        rest = parts.pop()
        if len(rest) > limit:
            parts.append(rest[: limit + 1])
            rest, dropping = b"", True
        yield parts
    if rest:
        yield [rest]


def decode_path(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def parse_raw_header(header: bytes) -> tuple[bytes, str] | None:
    """(destination mode, destination blob) of a `--raw` line; None for a deletion.

    Plain lines have one colon, combined (merge) lines one per parent:
    `::100644 100644 100644 <p1> <p2> <result> MM`.
    """
    if header[1:2] != b":":  # one parent, most lines: `:<mode> <mode> <blob> <blob> <status>`
        fields = header.split(b" ")
        if len(fields) < 5:
            return None
        mode, raw = fields[1], fields[3]
    else:
        parents = len(header) - len(header.lstrip(b":"))
        fields = header[parents:].split(b" ")
        if len(fields) < 2 * parents + 3:
            return None
        mode, raw = fields[parents], fields[2 * parents + 1]
    if not raw.strip(b"0"):
        return None
    return mode, raw.decode("ascii", "replace")


def log_inventory(
    git: SafeGit,
    options: Sequence[str],
    revs: Sequence[str],
    exclude: PathMatcher,
) -> Inventory:
    """Run one `git log` over `options` (pseudo-refs like --all) and `revs` (user revisions)."""
    inventory = Inventory()
    status, message = _parsed(_spawn(git, *log_args(options, revs)), inventory, exclude)
    if status != 0:
        _recover(git, options, revs, exclude, inventory, message or f"exit {status}")
    return inventory


def _parsed(process: Process, inventory: Inventory, exclude: PathMatcher) -> tuple[int, str]:
    """`process`'s log read into `inventory`; git's status and message. Stopped
    part-way (a stop signal, an error), git is killed, not waited for: it may
    still be writing to a pipe nobody reads, and would never end."""
    try:
        _parse_log(tokens(process.chunks()), inventory, exclude)
    except BaseException:
        process.kill()
        raise
    return process.finish()


def log_args(options: Sequence[str], revs: Sequence[str]) -> tuple[str, ...]:
    """The arguments of the `git log` that `log_inventory` runs."""
    return (*LOG_ARGS, *options, "--end-of-options", *revs, "--")


def _recover(
    git: SafeGit,
    options: Sequence[str],
    revs: Sequence[str],
    exclude: PathMatcher,
    inventory: Inventory,
    message: str,
) -> None:
    """git log died on a damaged object: go on commit by commit (newest first, so
    the oldest sighting still wins), skipping those that cannot be read."""
    _, out, _ = git.run(
        "rev-list", "--date-order", *options, "--end-of-options", *revs, "--", check=False
    )
    done = {commit.sha for commit in inventory.commits[:-1]}
    todo = [sha for sha in out.decode("ascii", "replace").split() if sha not in done]
    failed = 0
    for sha in todo[:RECOVERY_LIMIT]:
        raise_if_stopped()  # a commit git cannot read prints nothing to check between
        process = git.spawn(*LOG_ARGS, "--no-walk", sha)  # a hex id from rev-list
        failed += _parsed(process, inventory, exclude)[0] != 0
    skipped = max(0, len(todo) - RECOVERY_LIMIT)
    inventory.errors.append(
        f"git log stopped early ({message}); read the other {len(todo)} commits one by one: "
        f"{failed} unreadable"
        + (f", {skipped} not read (limit {RECOVERY_LIMIT})" if skipped else "")
    )


RAW_LINE = len(b":100644 100644 ") + 2 * 41 + len(b"M")
"""The length of a one-parent `--raw` line between SHA-1 ids (nearly all of them)."""
NULL_BLOB = b"0" * 40


def _parse_log(stream: Iterator[bytes], inventory: Inventory, exclude: PathMatcher) -> None:
    """Commits and changes into `inventory`. Without exclude globs, a change to a
    regular file (nearly all of them) is noted here rather than by `Inventory.note`:
    the same two dictionary writes, without a call per change. A one-parent line
    of RAW_LINE bytes has its fields at fixed places (git prints modes as six
    digits), so it is sliced, not split (`parse_raw_header` reads the others)."""
    current = -1
    blobs, paths, plain = inventory.blobs, inventory.paths, not exclude
    for token in stream:
        head = token.lstrip(b"\n") if token[:1] == b"\n" else token
        first = head[:1]
        if first == b":":
            path = next(stream, None)
            if path is None:
                continue
            if len(head) == RAW_LINE and head[1:2] != b":":
                mode, raw = head[8:14], head[56:96]
                if raw == NULL_BLOB:  # a deletion
                    continue
                blob = raw.decode("ascii", "replace")
            else:
                change = parse_raw_header(head)
                if change is None:
                    continue
                mode, blob = change
            if plain and mode != GITLINK and mode != SYMLINK:
                name = path.decode("utf-8", "surrogateescape")
                blobs[blob] = (name, current)
                seen = paths.get(blob)
                if seen is None:
                    paths[blob] = {name: current}
                else:
                    seen[name] = current
            else:
                inventory.note(mode, blob, decode_path(path), current, exclude)
        elif first == b"\x01":
            current = _commit(head, stream, inventory)


def _commit(head: bytes, stream: Iterator[bytes], inventory: Inventory) -> int:
    """A commit's header (its id, then the author, date and message fields): its index."""
    author = next(stream, b"")
    date = next(stream, b"")
    encoding = next(stream, b"")
    message = next(stream, b"")
    inventory.commits.append(
        Commit(
            head[1:].decode("ascii", "replace"),
            author.decode("utf-8", "replace"),
            date.decode("ascii", "replace").strip(),
        )
    )
    index = len(inventory.commits) - 1
    if encoding.strip().lower() in _UTF8:
        inventory.message(index, message)
    else:  # re-encoded by git from what the object holds: read the object's bytes
        inventory.unread_messages.append(index)
    return index


_UTF8 = frozenset({b"", b"utf-8", b"utf8"})
"""`encoding` headers whose messages git prints as they are stored."""


READ_AHEAD_BYTES = 64 << 20
"""How much of an early call's output is held before anyone reads it; past it,
git waits for its reader as it always does."""

_EARLY: dict[object, Process] = {}
"""Calls started by `started_early` and not yet taken, by `SafeGit.call`."""


@contextlib.contextmanager
def started_early(git: SafeGit, options: Sequence[str], rev: str = "HEAD") -> Iterator[None]:
    """Start now the `git log` that `log_inventory(git, options, ())` runs, the
    listing of `rev`'s tree that `head_paths_later(git, rev)` runs and the
    listing of refs that `ref_objects` runs, each read ahead in the background.
    A command starts them as soon as its repository has passed discovery's
    checks, so git works on another core while the command imports the
    scanner, loads its rules and starts the scan. The source that later makes
    exactly the same call (same command line, folder and environment) takes the
    running process; a call not taken by the end of the block is ended."""
    calls = (log_args(options, ()), (*LS_TREE, rev), REFS)
    keys = []
    with _terminated_by_unwinding():
        try:
            for args in calls:
                process = git.spawn(*args)
                process.read_ahead(READ_AHEAD_BYTES)
                keys.append(git.call(*args))
                _EARLY[keys[-1]] = process
            yield
        finally:
            for key in keys:
                left = _EARLY.pop(key, None)
                if left is not None:
                    left.kill()


@contextlib.contextmanager
def _terminated_by_unwinding() -> Iterator[None]:
    """Until the scan handles stop signals itself, SIGTERM ends the command by
    unwinding (exit 143), so that the calls started early are ended with it: by
    default the process would die at once and leave them running until their
    first write failed. A handler someone else installed is left alone."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        yield
        return

    def unwind(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, unwind)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _spawn(git: SafeGit, *args: str) -> Process:
    """`git.spawn(*args)`, or the same call if `started_early` started it."""
    early = _EARLY.pop(git.call(*args), None) if _EARLY else None
    return early if early is not None else git.spawn(*args)


def _output(git: SafeGit, *args: str) -> tuple[int, bytes, str]:
    """`git.run(*args, check=False)`, or the same call if `started_early` started it."""
    early = _EARLY.pop(git.call(*args), None) if _EARLY else None
    if early is None:
        return git.run(*args, check=False)
    out = b"".join(early.chunks())
    status, message = early.finish()
    return status, out, message


def head_paths(git: SafeGit, rev: str = "HEAD") -> dict[str, set[str]]:
    """Blob id → the paths it has in the tree of `rev` (empty for an unborn HEAD)."""
    status, out, _ = git.run(*LS_TREE, rev, check=False)
    return _tree_paths(out) if status == 0 else {}


def head_paths_later(git: SafeGit, rev: str = "HEAD") -> Callable[[], dict[str, set[str]]]:
    """`head_paths`, started now and read when the answer is asked for: git lists
    HEAD's tree while `git log` runs, instead of after it."""
    process = _spawn(git, *LS_TREE, rev)

    def answer() -> dict[str, set[str]]:
        out = b"".join(process.chunks())
        status, _ = process.finish()
        return _tree_paths(out) if status == 0 else {}

    return answer


def _tree_paths(out: bytes) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for entry in out.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        parts = meta.split(b" ")
        if len(parts) == 3 and parts[1] == b"blob":
            found.setdefault(parts[2].decode("ascii"), set()).add(decode_path(path))
    return found


def head_blobs(git: SafeGit, rev: str = "HEAD") -> set[str]:
    """Blob ids in the tree of `rev` (empty for an unborn HEAD)."""
    status, out, _ = git.run("ls-tree", "-r", "-z", "--full-tree", rev, check=False)
    if status != 0:
        return set()
    blobs: set[str] = set()
    for entry in out.split(b"\0"):
        meta, _, _ = entry.partition(b"\t")
        parts = meta.split(b" ")
        if len(parts) == 3 and parts[1] == b"blob":
            blobs.add(parts[2].decode("ascii"))
    return blobs


def staged_inventory(git: SafeGit, exclude: PathMatcher) -> Inventory:
    """The index contents of staged files (added, copied, modified, renamed, retyped)."""
    inventory = Inventory()
    _, out, _ = git.run(
        "diff",
        "--cached",
        "--raw",
        "-z",
        "--no-renames",
        "--no-abbrev",
        "--no-ext-diff",
        "--no-textconv",
        "--no-color",
        "--diff-filter=ACMRT",
    )
    stream = iter(out.split(b"\0"))
    for token in stream:
        head = token.lstrip(b"\n")
        if head.startswith(b":"):
            path = next(stream, None)
            change = parse_raw_header(head)
            if path is not None and change is not None:
                inventory.note(change[0], change[1], decode_path(path), -1, exclude)
    return inventory


def ref_objects(git: SafeGit, exclude: PathMatcher) -> Inventory:
    """Blobs that refs point at directly, or through a tree (`git tag x <blob>`):
    `git log` walks commits only, so these would be missed. And the annotated
    tags refs point at, whose messages are read (`gitmessages`)."""
    inventory = Inventory()
    _, out, _ = _output(git, *REFS)
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        kind, sha, peeled_kind, peeled, ref = ([*line.split(" ", 4), "", "", "", "", ""])[:5]
        if kind == "tag":
            inventory.tags.append(sha)
        if kind == "tag" and peeled_kind:
            kind, sha = peeled_kind, peeled
        if kind == "blob":
            inventory.note(b"100644", sha, ref, -1, exclude)
        elif kind == "tree":
            _tree_into(git, sha, f"{ref}:", inventory, exclude)
    return inventory


TAGS = (
    "for-each-ref",
    "--format=%(objecttype) %(objectname) %(*objectname) %(*objecttype)",
    "refs/tags",
)


def annotated_tags(git: SafeGit) -> list[str]:
    """Every annotated tag object the tag refs name."""
    _, out, _ = git.run(*TAGS, check=False)
    lines = out.decode("ascii", "replace").splitlines()
    return [line.split(" ")[1] for line in lines if line.startswith("tag ")]


def tags_on(git: SafeGit, commits: Iterable[Commit]) -> list[str]:
    """The annotated tags that point at one of `commits` (a range's new commits:
    a tag pushed with them is new too), and every tag of a tag: `%(*objectname)`
    peels one level only, so where a chain ends is known only once it is read."""
    listed = {commit.sha for commit in commits}
    _, out, _ = git.run(*TAGS, check=False)
    found = []
    for line in out.decode("ascii", "replace").splitlines():
        kind, sha, peeled, peeled_kind = [*line.split(" "), "", "", ""][:4]
        if kind == "tag" and (peeled in listed or peeled_kind == "tag"):
            found.append(sha)
    return found


def _tree_into(
    git: SafeGit, tree: str, prefix: str, inventory: Inventory, exclude: PathMatcher
) -> None:
    _, out, _ = git.run("ls-tree", "-r", "-z", "--end-of-options", tree, check=False)
    for entry in out.split(b"\0"):
        meta, _, path = entry.partition(b"\t")
        parts = meta.split(b" ")
        if len(parts) == 3 and parts[1] == b"blob":
            inventory.note(
                parts[0], parts[2].decode("ascii"), prefix + decode_path(path), -1, exclude
            )


def unreachable_inventory(git: SafeGit, known: Inventory, exclude: PathMatcher) -> Inventory:
    """Dangling commits (attributed like history), dangling annotated tags (a
    deleted tag's message) and any other blob in the object store."""
    out = _read_whole(
        git, "fsck", "--unreachable", "--no-reflogs", "--connectivity-only", "--no-progress"
    )
    lines = out.decode("ascii", "replace").splitlines()
    commits = [line.split()[2] for line in lines if line.startswith("unreachable commit ")]
    found = Inventory()
    if commits:  # hex ids from fsck: safe before --end-of-options
        found = log_inventory(git, (*commits, "--not", "--all", "--reflog"), (), exclude)
    found.tags.extend(line.split()[2] for line in lines if line.startswith("unreachable tag "))
    seen = Inventory(blobs=dict(known.blobs), skipped_blobs=known.skipped_blobs)
    seen.add_new(found)
    found.add_new(stored_blobs(git, seen, exclude, "unreachable"))
    return found


def _read_whole(git: SafeGit, *args: str) -> bytes:
    """The whole output of a git call that may take seconds before and while it
    writes, on a large object store (`fsck`, the listing of every object); a
    stop signal the scan has noted ends it within a tenth of a second (git is
    killed). Its exit status is not asked: what it wrote is what is read."""
    process = git.spawn(*args)
    out = process.output(raise_if_stopped)
    process.finish()
    return out


def stored_blobs(git: SafeGit, known: Inventory, exclude: PathMatcher, label: str) -> Inventory:
    """Every blob in the object store that `known` does not hold, as `<label>/<id>`."""
    fmt = "--batch-check=%(objecttype) %(objectname)"
    listing = _read_whole(git, "cat-file", "--batch-all-objects", fmt)
    rest = Inventory()
    for line in listing.decode("ascii", "replace").splitlines():
        kind, _, sha = line.partition(" ")
        if kind == "blob" and sha not in known.blobs and sha not in known.skipped_blobs:
            rest.note(b"100644", sha, f"{label}/{sha}", -1, exclude)
    return rest
