"""Git bundles under a scan's roots, read as the histories they hold.

`git bundle create backup.bundle --all` writes a whole repository into one
file: a text header (signature, capabilities, prerequisites, refs) and then a
packfile. To the file walk it is one more binary file, yet it holds every
commit of the history, a key committed and then deleted included.
`gitstores.find_stores` takes a regular file named `*.bundle` that starts with
a bundle signature as a store; this module reads its header itself under strict
bounds, has git index its pack (`git index-pack --stdin`, through `SafeGit`)
into a private temporary bare repository, writes the bundle's refs there, and
`GitStores` scans that repository as it scans any store. The temporary
repository is removed when the scan of the bundle ends, also on an error, a stop
signal or the interpreter's exit; the bundle itself is only read.

What cannot be read whole is unscanned content, never a clean pass: a malformed
header, a bundle over the size bound, a pack git cannot index (damaged, or thin
with its delta bases missing) or indexes past the time bound, and the history
before a thin bundle's prerequisites, which is not in the file. A file with a
bundle's signature that the stores did not read (another name,
`--no-git-history`, a blob in a history, an archive member) is noticed where the
scan reads its bytes (`unread`) and stays unscanned content unless the stores
read that very file (`drop_read`).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from scanner.errors import SourceError
from scanner.model import Item, ScanWarning
from scanner.unscanned import Unscanned

if TYPE_CHECKING:
    from scanner.config import Config
    from scanner.schedule import ItemResult
    from scanner.sources import Source
    from scanner.sources.gitsafe import Process, SafeGit

SIGNATURES = (b"# v2 git bundle\n", b"# v3 git bundle\n")
"""The first line of a bundle, version 2 or 3 (`gitformat-bundle`)."""
SUFFIX = ".bundle"
"""Files the search for stores opens to look for a signature: only these, so
the search reads no other file."""
MAX_LINE = 4096
"""Bytes in one header line, its newline included."""
MAX_HEADER_LINES = 100_000
"""Capability, prerequisite and ref lines in one header."""
INDEX_SECONDS = 120.0
"""How long git may take to index a bundle's pack when no item bound is set."""
OID_DIGITS = {"sha1": 40, "sha256": 64}
"""Hex digits of an object id in each object format (`@object-format=`)."""
CAPABILITIES = ("object-format", "filter")
"""The v3 capabilities git knows; a bundle that needs another is refused, as git refuses it."""
HOW_TO_SCAN = (
    "its history was not read (keysweep reads a bundle named *.bundle "
    "under a folder it scans with git history)"
)

FileId = tuple[int, int]
"""(device, inode) of a file on disk."""


class BundleError(SourceError):
    """A bundle that cannot be read whole; its message never quotes its bytes."""


@dataclass(frozen=True)
class Header:
    """What a bundle's header says, checked."""

    object_format: str
    prerequisites: int
    refs: tuple[tuple[str, str], ...]
    """(ref name, object id), `HEAD` among them when the bundle names it."""
    filtered: bool
    pack_at: int
    """Where the packfile starts in the file."""


@dataclass(frozen=True)
class Limits:
    """The bounds one bundle is read under."""

    max_size: int
    seconds: float | None
    """How long git may take to index the pack."""
    deadline: float | None = None
    """When the scan's time budget ends (`time.monotonic`), if it has one."""

    def bound(self) -> tuple[float, bool]:
        """(how long git may take now, whether the scan's budget is what sets it):
        `seconds`, or what is left of the budget where that is less."""
        bound = self.seconds if self.seconds is not None else INDEX_SECONDS
        left = bound if self.deadline is None else self.deadline - time.monotonic()
        return (left, True) if left < bound else (bound, False)


DEFAULT_LIMITS = Limits(512 * 1024 * 1024, INDEX_SECONDS)
"""As the defaults of `archive_max_bytes` and `item_max_seconds`."""


def limits_of(config: Config) -> Limits:
    """A scan's bounds for its bundles: the archive byte budget, the item time
    bound, and the end of `--max-seconds` counted from now (the stores are made
    as the scan starts, so git's work on a bundle ends with the scan's budget,
    not up to `item_max_seconds` after it)."""
    budget = config.max_seconds
    deadline = None if budget is None else time.monotonic() + budget
    return Limits(config.archive_max_bytes, config.item_max_seconds, deadline)


# --- noticing a bundle ---------------------------------------------------------


def signed(data: bytes) -> bool:
    """Whether bytes start as a git bundle does."""
    return data.startswith(SIGNATURES)


def is_bundle(path: Path) -> bool:
    """A regular file (not a link) whose first line is a bundle signature."""
    try:
        with _opened(path) as handle:
            return signed(handle.read(len(SIGNATURES[0])))
    except (OSError, BundleError):
        return False


def file_id(path: str | Path | None) -> FileId | None:
    """The file's identity, which every name of it shares; None if there is none."""
    if path is None:
        return None
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_dev, info.st_ino


@dataclass(frozen=True)
class NotRead(Unscanned):
    """A bundle's bytes scanned as a file or blob, its history not read."""

    file: FileId | None = None
    """The file on disk, when the bytes came from one (not a member, not a blob)."""


def unread(item: Item) -> NotRead:
    """The record for an item that is a bundle; dropped if the stores read its file."""
    origin = item.origin
    where = "!".join(filter(None, (origin.path, origin.archive_member)))
    on_disk = origin.fs_path if origin.archive_member is None else None
    return NotRead(where, f"a git bundle: {HOW_TO_SCAN}", file=file_id(on_disk))


def drop_read(total: ItemResult, sources: Sequence[Source], base: str | None) -> None:
    """Drop the records of bundles the stores of this scan took (they report
    what they could not read themselves): the bytes' records, and the file
    walk's "over the size limit" for the same file (a bundle is read within its
    own bound). The walk's display path is taken back to the file as the walk
    shows it (`~/…` under the home folder, else relative to `base`), and a record
    is dropped only when that is the very file the stores took."""
    taken: set[FileId] = set()
    for source in sources:
        taken.update(getattr(source, "bundle_files", ()))
    if taken:
        total.unscanned[:] = [r for r in total.unscanned if not _read(r, taken, base)]


def _read(record: ScanWarning, taken: set[FileId], base: str | None) -> bool:
    if isinstance(record, NotRead):
        return record.file in taken
    from scanner.sources import Skipped, SkipReason
    from scanner.unscanned import skipped

    if record not in skipped(Skipped(record.path, SkipReason.TOO_LARGE)):
        return False
    return file_id(_on_disk(record.path, base)) in taken


def _on_disk(shown: str, base: str | None) -> str:
    """Where the file walk's display path `shown` points."""
    if shown == "~" or shown.startswith("~/"):
        return os.path.join(Path.home(), shown[2:])
    return os.path.join(base or os.getcwd(), shown)  # an absolute path stays as it is


# --- the header ----------------------------------------------------------------


@contextlib.contextmanager
def _opened(path: Path) -> Iterator[IO[bytes]]:
    """The file, read-only, never through a link, never blocking on a FIFO."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | os.O_NONBLOCK | os.O_CLOEXEC
    fd = os.open(path, flags)
    with os.fdopen(fd, "rb") as handle:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise BundleError("not a regular file")
        yield handle


def read_header(handle: IO[bytes]) -> Header:
    """The header, from the start of the file; BundleError if malformed."""
    first = handle.readline(MAX_LINE)
    if first not in SIGNATURES:
        raise BundleError("not a git bundle header")
    fields = _Fields(v3=first == SIGNATURES[1])
    for _ in range(MAX_HEADER_LINES):
        line = handle.readline(MAX_LINE)
        if not line.endswith(b"\n"):
            raise BundleError("header line too long, or the header is cut short")
        if line == b"\n":
            return fields.header(handle.tell())
        fields.add(line[:-1])
    raise BundleError(f"header of more than {MAX_HEADER_LINES} lines")


class _Fields:
    """The header's lines as they are read: capabilities first (v3), then
    prerequisites and refs in any order."""

    def __init__(self, *, v3: bool) -> None:
        self.v3 = v3
        self.object_format = "sha1"
        self.filtered = False
        self.prerequisites = 0
        self.refs: dict[str, str] = {}
        self.past_capabilities = False

    def add(self, line: bytes) -> None:
        if line.startswith(b"@"):
            self._capability(line[1:])
            return
        self.past_capabilities = True
        if line.startswith(b"-"):
            self._oid(line[1:].split(b" ", 1)[0])
            self.prerequisites += 1
            return
        oid, _, name = line.partition(b" ")
        self._oid(oid)
        self.refs[_ref_name(name)] = oid.decode("ascii")

    def _capability(self, text: bytes) -> None:
        if not self.v3 or self.past_capabilities:
            raise BundleError("a capability line where none may be")
        key, _, value = (part.decode("ascii", "replace") for part in text.partition(b"="))
        if key not in CAPABILITIES:
            raise BundleError("a capability this reader does not know")
        if key == "filter":
            self.filtered = True
        elif value in OID_DIGITS:
            self.object_format = value
        else:
            raise BundleError("an object format this reader does not know")

    def _oid(self, text: bytes) -> None:
        if len(text) != OID_DIGITS[self.object_format] or not _HEX.fullmatch(text):
            raise BundleError(f"an object id that is not {self.object_format}")

    def header(self, pack_at: int) -> Header:
        refs = tuple(self.refs.items())
        return Header(self.object_format, self.prerequisites, refs, self.filtered, pack_at)


_HEX = re.compile(rb"[0-9a-f]+")
_REF_PART = re.compile(rb"[^\x00-\x20\x7f~^:?*\[\\]+")


def _ref_name(name: bytes) -> str:
    """`HEAD` or a name under `refs/` that git's own rules accept
    (`git check-ref-format`); anything else makes the header malformed."""
    if name == b"HEAD":
        return "HEAD"
    parts = name.split(b"/")
    valid = (
        name.startswith(b"refs/")
        and b".." not in name
        and b"@{" not in name
        and all(_REF_PART.fullmatch(p) and p[:1] != b"." for p in parts)
        and not name.endswith((b".", b".lock"))
        and not any(p.endswith(b".lock") for p in parts)
    )
    if not valid:
        raise BundleError("a ref name git would not accept")
    return name.decode("utf-8", "surrogateescape")


# --- the temporary repository -------------------------------------------------


@dataclass(frozen=True)
class Opened:
    """A bundle's history in its temporary bare repository."""

    folder: Path
    header: Header


@contextlib.contextmanager
def unpacked(bundle: Path, limits: Limits) -> Iterator[Opened]:
    """The bundle indexed into a private temporary bare repository, with its refs;
    the folder is removed when the block ends (or at the interpreter's exit, if
    the block is never left). BundleError if it cannot be read whole."""
    folder = _Private()
    try:
        try:
            header = _unpack(bundle, folder.path, limits)
        except SourceError as exc:  # the folder is no place of the scan's: never named
            raise BundleError(str(exc).replace(str(folder.path), "(a temporary copy)")) from None
        yield Opened(folder.path, header)
    finally:
        folder.remove()


class _Private:
    """A folder only this user can open (`mkdtemp`), removed by the process that
    made it: a forked worker that exits never removes its parent's."""

    def __init__(self) -> None:
        import tempfile
        import weakref

        self.path = Path(os.path.realpath(tempfile.mkdtemp(prefix="keysweep-bundle-")))
        self._remove = weakref.finalize(self, _remove, self.path, os.getpid())

    def remove(self) -> None:
        self._remove()


def _remove(path: Path, owner: int) -> None:
    import shutil

    if os.getpid() == owner:
        shutil.rmtree(path, ignore_errors=True)


def _unpack(bundle: Path, folder: Path, limits: Limits) -> Header:
    with _opened(bundle) as handle:
        size = os.fstat(handle.fileno()).st_size
        if size > limits.max_size:
            raise BundleError(f"over the size limit of {limits.max_size} bytes for a bundle")
        header = read_header(handle)
        _check_room(folder, size - header.pack_at, _objects(handle, size - header.pack_at))
        git = _repository(folder, header.object_format)
        _index(git, handle, size - header.pack_at, limits)
    _write_refs(git, header.refs)
    return header


ROOM_LEFT = 256 * 1024 * 1024
"""Bytes a bundle's temporary copy must leave free where it is written (TMPDIR):
a sweep of a developer's machine must not fill the disk it runs on."""
INDEX_ENTRY = 48
"""Bytes per object that git's pack index and reverse index take, at most (a
SHA-256 id, its CRC, offsets, a 64-bit offset for a large pack)."""
SMALLEST_ENTRY = 9
"""Bytes of the smallest object a pack can hold: a one-byte header and an empty
zlib stream (header, empty block, checksum)."""


def _objects(handle: IO[bytes], pack: int) -> int:
    """The object count the pack's own header says (0 if it is not a pack's:
    git refuses it), the file left where it stood. A count that `pack` bytes
    cannot hold makes the bundle damaged."""
    at = handle.tell()
    head = handle.read(12)
    handle.seek(at)
    if len(head) < 12 or not head.startswith(b"PACK"):
        return 0
    count = int.from_bytes(head[8:12], "big")
    if count > pack // SMALLEST_ENTRY:
        raise BundleError("its pack claims more objects than it can hold")
    return count


def _check_room(folder: Path, pack: int, objects: int) -> None:
    """BundleError, before git writes anything, when the pack and its index
    would leave less free where the temporary copy is kept than ROOM_LEFT, or
    than a twentieth of a smaller file system (a small tmpfs)."""
    import shutil

    needed = pack + objects * INDEX_ENTRY + (1 << 20)
    try:
        room = shutil.disk_usage(folder)
    except OSError:  # the file system says nothing: git finds out as it writes
        return
    left = min(ROOM_LEFT, room.total // 20)
    if room.free - needed < left:
        raise BundleError(
            f"not read: its copy needs {needed >> 20} MB in the temporary folder, which "
            f"has {room.free >> 20} MB free (keysweep leaves {left >> 20} MB; set TMPDIR)"
        )


def _repository(folder: Path, object_format: str) -> SafeGit:
    """An empty bare repository, without the user's template (no hook samples)."""
    from scanner.sources.gitsafe import RepoPaths, SafeGit

    git = SafeGit(RepoPaths(folder, None))
    git.run("init", "--bare", "--quiet", "--template=", f"--object-format={object_format}")
    return git


def _index(git: SafeGit, pack: IO[bytes], size: int, limits: Limits) -> None:
    """git indexes the pack (`size` bytes from where `pack` stands) as it reads it
    from its standard input; killed past the time bound."""
    from scanner.threads import Background

    seconds, budget = limits.bound()
    if seconds <= 0:
        raise BundleError("not read: the scan's time budget was spent")
    process = git.spawn("index-pack", "--stdin", f"--max-input-size={size}", stdin=True)
    feeder = Background(_feed, pack, process.stdin)
    try:
        _wait(process, seconds, budget)
    finally:
        process.kill()
        feeder.join(timeout=5)
    status, message = process.finish()
    if status != 0:
        raise BundleError(f"git could not index its pack: {message or 'git stopped'}")


STOP_POLL_SECONDS = 0.1
"""How often a wait for git looks whether the scan was asked to stop."""


def _wait(process: Process, seconds: float, budget: bool) -> None:
    """Until git ends; BundleError past `seconds` (`budget`: the scan's time
    budget set them, not the item bound). SIGINT or SIGTERM, which the scan only
    notes while its sources list what to scan, ends the wait within
    STOP_POLL_SECONDS (`bounds.raise_if_stopped`), not when git is done."""
    import subprocess

    from scanner import bounds

    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        bounds.raise_if_stopped()
        try:
            process.popen.wait(timeout=min(left, STOP_POLL_SECONDS))
            return
        except subprocess.TimeoutExpired:
            continue
    if budget:
        raise BundleError("the scan's time budget ended while git indexed its pack")
    raise BundleError(f"git took more than {seconds:g} s to index its pack")


def _feed(source: IO[bytes], stdin: IO[bytes]) -> None:
    """Copy `source` to git's standard input and close it; git may stop reading
    first (it failed, or was killed), and then says why itself."""
    import shutil

    try:
        shutil.copyfileobj(source, stdin, 1 << 20)
        stdin.close()
    except (OSError, ValueError):
        pass


def _write_refs(git: SafeGit, refs: Sequence[tuple[str, str]]) -> None:
    """The bundle's refs in the repository, so that commits are attributed; its
    `HEAD` (else its first ref to a commit) as a detached HEAD. A ref to an
    object the pack does not hold makes the bundle damaged."""
    named_objects = {oid for _, oid in refs}
    kinds = _object_kinds(git, named_objects)
    if missing := len(named_objects - kinds.keys()):
        raise BundleError(f"{missing} of its refs name objects that are not in it")
    named = [(name, oid) for name, oid in refs if name != "HEAD"]
    if named:
        _feed_git(git, ("update-ref", "--stdin"), (f"create {n} {o}\n" for n, o in named))
    head = dict(refs).get("HEAD") or next((o for _, o in named if kinds[o] == "commit"), None)
    if head is not None and kinds[head] == "commit":
        git.run("update-ref", "--no-deref", "HEAD", head)


def _object_kinds(git: SafeGit, oids: Iterable[str]) -> dict[str, str]:
    """Each object's type, for the objects git has."""
    out = _feed_git(git, ("cat-file", "--batch-check"), (f"{oid}\n" for oid in oids))
    kinds: dict[str, str] = {}
    for line in out.decode("ascii", "replace").splitlines():
        oid, _, rest = line.partition(" ")
        if rest and rest != "missing":
            kinds[oid] = rest.split(" ", 1)[0]
    return kinds


def _feed_git(git: SafeGit, args: tuple[str, ...], lines: Iterable[str]) -> bytes:
    """Run git with `lines` on its standard input (written by a thread, as git
    may answer before it has read them all); its whole output."""
    from scanner.threads import Background

    process = git.spawn(*args, stdin=True)
    text = "".join(lines).encode("utf-8", "surrogateescape")
    feeder = Background(_feed, io.BytesIO(text), process.stdin)
    out = process.stdout.read()
    feeder.join(timeout=5)
    status, _ = process.finish()
    if status != 0:  # git's message would quote ref names, which are the bundle's bytes
        raise BundleError(f"git {args[0]} refused its refs")
    return out


def gaps(header: Header, where: str) -> list[ScanWarning]:
    """What the bundle says it does not hold: the history before a thin bundle's
    prerequisites, the objects a filtered bundle left out."""
    found: list[ScanWarning] = []
    if header.prerequisites:
        found.append(
            Unscanned(
                where,
                f"a thin git bundle: the history before its {header.prerequisites} "
                "prerequisite commits is not in it; not scanned (scan the repository "
                "it was made from)",
            )
        )
    if header.filtered:
        found.append(
            Unscanned(
                where,
                "a git bundle made with a filter: the objects it left out are not in "
                "it; not scanned (scan the repository it was made from)",
            )
        )
    return found
