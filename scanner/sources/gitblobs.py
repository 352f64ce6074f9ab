"""Git blobs read by the process that scans them.

A large history scanned on several processes used to be read whole by the main
process, which then pickled about half of the bytes to its worker: the main
process was the bottleneck. Now the main process asks git nothing about the
blobs: it hands out Items that name the blob and its repository
(`model.BlobStore`); each process that scans them (a worker, or the main process
scanning a slice itself) keeps one long-lived `cat-file --batch` per
repository, started with the same hardened settings as every git call
(`gitsafe.SafeGit`), and asks it for a batch's blobs at once, so git inflates
the next blob while this one is scanned.

A blob git cannot give is unscanned content for its item, counted in
`ItemResult.unreadable`; the reader is started again after it and the batch
goes on. A blob over the store's size limit is skipped unread: a skip, a
warning and unscanned content, as where the main process reads. Both are
reported at the path the main process would name (`Item.problem_path`).
Readers belong to the process that started them: a forked worker never touches
its parent's.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from scanner.errors import KeysweepError, safe_reason
from scanner.model import BlobStore, Item, ScanWarning
from scanner.threads import Background

if TYPE_CHECKING:
    from scanner.schedule import ItemResult
    from scanner.sources.gitsafe import Process, RepoPaths

READER_CONFIG = (
    "-c",
    "core.deltaBaseCacheLimit=4m",
    "-c",
    "core.packedGitWindowSize=4m",
    "-c",
    "core.packedGitLimit=16m",
)
"""git keeps up to 96 MiB of delta bases by default and maps packs in windows
of 1 GiB: the largest process of a history scan. Read in `git.reading_order`, 4
MiB of delta bases lose nothing, and 16 MiB of 4 MiB pack windows hold cat-file at
about 22 MB RSS (47 MB with a 16 MiB cache and the default windows) for the same
0.3 s of CPU on a replayed Django history. Every cat-file of a scan runs with it."""
READ_BUFFER = 256 << 10
"""The buffer cat-file's answers are read through. With Python's 8 KiB each
header line cost a read of the pipe of its own, and most of a blob's bytes
another: 256 KiB takes what git has written in one read. Reading every blob of
the Django replay through one cat-file (`--batch`, a 1 MiB pipe) took 0.14-0.17 s
of CPU with 8 KiB and 0.13 s with 256 KiB or 1 MiB; from a file, 0.07 s."""
ONE_PROCESS_BLOBS = 6000
"""A history of at most this many blobs is read by the main process and scanned
in it. Measured with `--jobs 1` against `--jobs 2` with every history read by a
pool (`keysweep git REPO --format json`, Django and requests replays, fewer
Django releases, parts of one excluded; wall seconds, 4 or 5 runs each,
alternated, on two cores shared with other work, the scan's processes given
most of them): 1,202 blobs 0.26-0.27 / 0.26-0.30; 1,421: 0.27-0.29 /
0.28-0.30; 3,463: 0.27-0.34 / 0.29-0.33; 4,145: 0.32-0.44 / 0.34-0.39;
6,280: 0.65-0.73 / 0.59-0.76; 7,193: 0.76-0.87 / 0.79-0.81; 9,389: 0.95-1.08 /
0.80; 18,813: 1.74-1.91 / 1.26-1.37. Up to about 6,000 blobs a worker gains
nothing and costs CPU (0.02-0.1 s) and memory (docs/architecture.md, "Blobs
read where they are scanned")."""
MAX_ASKED = 8192
"""Ids sent to one reader and not yet read back, at most."""


def damaged(problem: str) -> str:
    """The warning for an object git named a problem with (missing, ambiguous)."""
    return f"{problem} object: the repository is incomplete or corrupt"


def answer_header(header: bytes, sha: str) -> int | str | None:
    """From a `cat-file --batch` answer's header line: the
    size of `sha`, or the problem git named (missing, ambiguous); None when git
    stopped or the line does not answer `sha` (the stream is out of step: taking
    it would give one blob's bytes under another's name)."""
    parts = header.split()
    if not header.endswith(b"\n") or not parts or parts[0] != sha.encode("ascii"):
        return None
    if len(parts) == 2:
        return parts[1].decode("ascii", "replace")
    if len(parts) != 3 or not parts[2].isdigit():
        return None
    return int(parts[2])


def store_of(paths: RepoPaths, index_file: str | None, max_size: int | None = None) -> BlobStore:
    """The picklable description of a repository every process can read from,
    and the size over which its blobs are skipped."""
    work_tree = None if paths.work_tree is None else str(paths.work_tree)
    return BlobStore(str(paths.git_dir), work_tree, index_file, max_size)


def with_data(batch: Sequence[Item], result: ItemResult) -> Iterator[Item]:
    """The items of `batch` in order, each blob read by this process as it is
    taken; the first blob to read asks for the rest of the batch.
    A blob that cannot be read is a warning in `result`, and its item is left out."""
    store: BlobStore | None = None
    reader: BlobReader | None = None
    for index, item in enumerate(batch):
        if item.store is None or item.data is not None or item.blob_id is None:
            yield item
            continue
        if reader is None or item.store is not store:
            store, reader = item.store, reader_for(item.store)
        data = _read(reader, batch, index, item.blob_id)
        if isinstance(data, bytes):
            yield Item(item.origin, data, item.blob_id, len(data))
        else:
            _not_read(item, data, result)


def _not_read(item: Item, problem: str | TooLarge, result: ItemResult) -> None:
    """A blob that was not read, recorded as the main process records the blobs it
    reads: a warning at the path git log first met it at; a blob over the size
    limit is a skip and unscanned content as well; any other is unreadable, and
    unscanned content of its own (`git._not_read`)."""
    assert item.store is not None
    path = item.problem_path or item.origin.path
    if isinstance(problem, TooLarge) and problem.machine:
        from scanner.sources import SkipReason

        result.skipped[SkipReason.BINARY] += 1
        return
    if isinstance(problem, TooLarge):
        from scanner.sources import Skipped, SkipReason, too_large
        from scanner.unscanned import skipped

        result.skipped[SkipReason.TOO_LARGE] += 1
        result.unscanned.extend(skipped(Skipped(path, SkipReason.TOO_LARGE)))
        problem = too_large(path, problem.limit).message
        result.warnings.append(ScanWarning(path, f"{problem} (blob {item.blob_id})"))
        return
    from scanner.unscanned import Unscanned

    result.unreadable[item.store.git_dir] += 1
    lost = Unscanned(path, f"{problem} (blob {item.blob_id})")  # bytes that may hold a secret
    result.warnings.append(lost)
    result.unscanned.append(lost)


class TooLarge:
    """A blob over its store's size limit: skipped, never held. `machine` says its
    head names machine code or media (`scanner.machinedata`): a binary skip."""

    __slots__ = ("limit", "machine")

    def __init__(self, limit: int, machine: bool = False) -> None:
        self.limit = limit
        self.machine = machine


def _read(
    reader: BlobReader, batch: Sequence[Item], index: int, sha: str
) -> bytes | str | TooLarge:
    """The blob's bytes, or why they could not be had (git could not start, its
    pipe failed: the reader is ended, and the next blob starts another)."""
    try:
        if sha not in reader.asked:
            reader.ask(_ids_of(batch, index, reader.store))
        return reader.take(sha)
    except (OSError, KeysweepError) as exc:
        reader.close()
        return f"unreadable object: {safe_reason(exc)}"


def _ids_of(batch: Sequence[Item], start: int, store: BlobStore) -> list[str]:
    """The blobs of `store` from `start` to the end of the batch (indexed, not
    iterated: iterating a scheduler's batch takes its items)."""
    return [
        i.blob_id
        for i in batch[start:]
        if i.blob_id and i.data is None and (i.store is store or i.store == store)
    ]


def check_read(sources: Iterable[object], unreadable: Mapping[str, int]) -> list[ScanWarning]:
    """After the scan: a git source none of whose blobs any process could read
    did not scan (SourceError, exit 2); a store found by `scan` or `sweep` is a
    warning instead (`gitstores`)."""
    warnings: list[ScanWarning] = []
    for source in sources:
        check = getattr(source, "check_read", None)
        if check is not None:
            warnings.extend(check(unreadable))
    return warnings


_READERS: dict[tuple[int, BlobStore], BlobReader] = {}
"""This process's readers, by process id: a forked child starts its own."""


def reader_for(store: BlobStore) -> BlobReader:
    key = (os.getpid(), store)
    reader = _READERS.get(key)
    if reader is None:
        reader = _READERS[key] = BlobReader(store)
    return reader


def close_readers() -> None:
    """End this process's readers (the end of a scan)."""
    pid = os.getpid()
    for key in [k for k in _READERS if k[0] == pid]:
        _READERS.pop(key).close()


class BlobReader:
    """One `cat-file --batch` on one repository, asked for ids ahead of reading
    them. Every answer is read in the order asked; an answer nobody takes any more
    (a batch stopped early) is read past. A reader that stops mid-answer (an item's
    time bound, a signal, git dying on a corrupt object) is ended; the next
    question starts another."""

    def __init__(self, store: BlobStore) -> None:
        from scanner.sources.gitsafe import RepoPaths, SafeGit  # not for a scan of files

        self.store = store
        work_tree = None if store.work_tree is None else Path(store.work_tree)
        self.git = SafeGit(RepoPaths(Path(store.git_dir), work_tree), store.index_file)
        self.config = READER_CONFIG
        self.process: Process | None = None
        self.asked: dict[str, None] = {}
        """Ids sent to git and not yet read back, in order."""
        self._feed: queue.SimpleQueue[bytes | None] | None = None
        self._feeder: Background | None = None

    def ask(self, ids: Sequence[str]) -> None:
        """Send git `ids` (up to MAX_ASKED outstanding). A thread writes them
        (`_write`): written here, they could fill git's input while git waits
        for its answers to be read, and both would wait forever; a pipe's room
        cannot be known in bytes (Linux fills it by pages)."""
        new = [sha for sha in dict.fromkeys(ids) if sha not in self.asked]
        if len(self.asked) + len(new) > MAX_ASKED and self.asked:
            self.close()  # answers nobody will take: cheaper to start again
            new = list(dict.fromkeys(ids))
        new = new[: MAX_ASKED - len(self.asked)]
        if not new:
            return
        feed = self._started()
        feed.put("".join(f"{sha}\n" for sha in new).encode("ascii"))
        self.asked.update(dict.fromkeys(new))

    def take(self, sha: str) -> bytes | str | TooLarge:
        """The blob's bytes, or why git could not give them (or that it is over
        the store's size limit). Answers before it that nobody takes any more are
        read past."""
        if sha not in self.asked:
            self.ask([sha])
        try:
            while self.asked:
                head = next(iter(self.asked))
                try:
                    answer = self._answer(head, head == sha)
                except _OutOfStep:
                    answer = self._retried(head, head == sha)
                del self.asked[head]
                if answer is None:  # git stopped at `head`: start again after it
                    message = self._restart()
                    if head == sha:
                        return f"unreadable object: {message or 'git stopped'}"
                elif head == sha:
                    return answer
            return "unreadable object: git stopped"
        except BaseException:
            self.close()  # stopped mid-answer: the stream is out of step
            raise

    def _retried(self, head: str, wanted: bool) -> bytes | str | TooLarge | None:
        """`head`'s answer from a new git, asked again with what follows it (the
        stream was out of step); None when that one is out of step too."""
        self._restart()
        try:
            return self._answer(head, wanted)
        except _OutOfStep:
            return None

    def _restart(self) -> str:
        """End git, and ask a new one for what is still wanted; git's message."""
        pending = list(self.asked)
        message = self.close()
        self.ask(pending)
        return message

    def _answer(self, head: str, wanted: bool) -> bytes | str | TooLarge | None:
        """The next answer, for `head` (its bytes skipped unless `wanted`, or over
        the store's size limit); None when git stopped. A whole line that does not
        answer `head` (the stream is out of step) raises _OutOfStep: never one
        blob's bytes for another's."""
        assert self.process is not None
        out = self.process.stdout
        line = out.readline()
        size = answer_header(line, head)
        if isinstance(size, str):
            return damaged(size)
        if size is None:
            if line.endswith(b"\n"):
                raise _OutOfStep
            return None
        limit = self.store.max_size
        if limit is not None and size > limit and wanted:
            return oversized(out, size, limit)
        if not wanted:
            return b"" if skip(out, size + 1) else None
        data = out.read(size)
        if len(data) < size or out.read(1) != b"\n":
            return None
        return data

    def _started(self) -> queue.SimpleQueue[bytes | None]:
        """The queue of ids for a running git (started now if none is). The
        reader is published whole or not at all: a stop (an item's time bound, a
        signal) while it is built ends the git it started."""
        if self.process is not None and self._feed is not None:
            return self._feed
        self.close()
        process = self.git.spawn(
            *self.config, "cat-file", "--batch", stdin=True, buffer=READ_BUFFER
        )
        try:
            feed, feeder = _feeding(process)
        except BaseException:
            process.kill()
            raise
        self.process, self._feed, self._feeder = process, feed, feeder
        return feed

    def close(self) -> str:
        """End git now (it only reads: nothing is lost) and forget what was asked;
        the first line git wrote to its standard error, if any."""
        process, feed, feeder = self.process, self._feed, self._feeder
        self.process = self._feed = self._feeder = None
        self.asked.clear()
        if feed is not None:
            feed.put(None)
        message = ""
        if process is not None:
            process.kill()  # a write the feeder is blocked in fails now
            message = process.error()
        if feeder is not None:
            feeder.join(timeout=5)
        return message


def _feeding(process: Process) -> tuple[queue.SimpleQueue[bytes | None], Background]:
    """git's pipes widened, and a started thread writing what is queued to it."""
    from scanner import pipes

    pipes.widen(process.stdout.fileno())
    pipes.widen(process.stdin.fileno())
    feed: queue.SimpleQueue[bytes | None] = queue.SimpleQueue()
    feeder = Background(_write, process.stdin, feed)
    return feed, feeder


class _OutOfStep(Exception):
    """git answered another object than the one expected next."""


def _write(stdin: IO[bytes], feed: queue.SimpleQueue[bytes | None]) -> None:
    """Write each chunk of ids to git, whole, until told to stop or git has gone."""
    try:
        while (chunk := feed.get()) is not None:
            stdin.write(chunk)
            stdin.flush()
    except (OSError, ValueError):
        pass  # git has gone: reading says why


def store_gone(git_dir: Path) -> bool:
    """Whether a store's git dir is no longer there (deleted during the scan):
    then a cat-file that gave nothing is not started again for the ids left.
    A damaged object, or a damaged delta base that many versions of a file rest
    on, leaves it there, and the reading goes on after each."""
    return not git_dir.is_dir()


def feed_ids(stdin: IO[bytes], ids: Sequence[str]) -> None:
    """Write `ids` to cat-file's input, one a line, and close it (a thread's work:
    git answers as it reads, and its answers must be read meanwhile)."""
    try:
        for offset in range(0, len(ids), 4096):
            stdin.write("".join(f"{i}\n" for i in ids[offset : offset + 4096]).encode("ascii"))
        stdin.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def oversized(out: IO[bytes], size: int, limit: int) -> TooLarge | None:
    """Read past an answer of `size` bytes over `limit`, judging its head on the way
    (`machinedata`); None when git stopped first."""
    from scanner.machinedata import HEAD, machine_data  # oversized blobs only

    head = out.read(min(size, HEAD))
    if len(head) < min(size, HEAD) or not skip(out, size - len(head) + 1):
        return None
    return TooLarge(limit, machine_data(head))


def skip(out: IO[bytes], count: int) -> bool:
    """Read past `count` bytes of git's answers; False when git stopped first."""
    while count > 0:
        chunk = out.read(min(count, 1 << 20))
        if not chunk:
            return False
        count -= len(chunk)
    return True
