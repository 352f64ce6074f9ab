"""Which git objects hold a NUL byte, read without holding any of them.

git log prints a commit's message only up to a NUL, so `gitmessages` must know
which commit objects hold one, and every commit of a history is asked. Reading
each object whole through `git.read_blobs` cost about 4 µs of Python per commit
(a header parse, two reads and a `Blob` each); here cat-file's answers are
parsed in place in chunks of a mebibyte and each body is only searched for a
NUL in C (about 3 µs of Python a commit, with git's answers buffered), and an
object of any size is read in pieces, so none is held whole. Like `read_blobs`,
a git that stops on an object it cannot give is started again after it.

git is asked to buffer its answers (`--batch-command --buffer`, git 2.36 and
later): unbuffered, it wrote each commit on its own and this process read each
on its own (26,831 reads for 20,000 commits), which cost more than the search.
A buffered git writes its answers when told to (`flush`, after every
`ASK_AT_ONCE` ids), never only at the end of its input: a pool worker forked
meanwhile, in this thread or another (the job queue runs jobs side by side),
holds that input open until it exits. An older git, which refuses the option,
is asked with `--batch`, unbuffered, from then on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import IO

from scanner import pipes
from scanner.bounds import raise_if_stopped
from scanner.sources.gitblobs import READER_CONFIG, answer_header, damaged, feed_ids, store_gone
from scanner.sources.gitsafe import SafeGit
from scanner.threads import Background

CHUNK = 1 << 20
"""Bytes asked of git's pipe at once."""
STOP_EVERY = 4096
"""Objects read between two looks for a stop (a signal, the time bound)."""
ASK_AT_ONCE = 4096
"""Ids asked between two `flush` commands: git holds the commands it has read
until the next one."""
REFUSED = "unknown option `batch-command'"
"""What a git before 2.36 says of `--batch-command` (in the C locale `SafeGit` sets)."""
_COMMANDS = [True]
"""Whether this machine's git takes `--batch-command` (set False once it refuses)."""


def holding_nul(git: SafeGit, ids: Sequence[str]) -> Iterator[tuple[str, str | None]]:
    """(id, None) for each of `ids` whose object holds a NUL byte, and (id,
    problem) for each that git could not give; nothing for the others. A git
    that answered nothing in a store that is gone (`gitblobs.store_gone`) ends
    it with one problem naming how many ids were left unread."""
    start = 0
    while start < len(ids):
        commands = _COMMANDS[0]
        args = ("--batch-command", "--buffer") if commands else ("--batch",)
        process = git.spawn(*READER_CONFIG, "cat-file", *args, stdin=True)
        pipes.widen(process.stdout.fileno())
        feeder = Background(_feed, process.stdin, ids[start:], commands)
        answers = _Answers(process.stdout)
        try:
            yield from _noted(answers, ids[start:])
        finally:
            process.kill()  # every answer was read, or the reader stopped: no waiting for EOF
            message = process.error()
            feeder.join(timeout=5)
        if commands and not answers.done and REFUSED in message:
            _COMMANDS[0] = False  # a git before 2.36
            continue
        gone = not answers.done and store_gone(git.paths.git_dir)
        start += answers.done
        if start < len(ids):  # git stopped at this one: go on after it
            left = f" (and the {len(ids) - start - 1} after it)" if gone else ""
            yield ids[start], f"unreadable object{left}: {message or 'git stopped'}"
            start = len(ids) if gone else start + 1


def _feed(stdin: IO[bytes], ids: Sequence[str], commands: bool) -> None:
    """Each id as a `contents` command, with a `flush` after every ASK_AT_ONCE
    and at the end (or, for `--batch`, each id alone); then the end of input."""
    if not commands:
        feed_ids(stdin, ids)
        return
    try:
        for offset in range(0, len(ids), ASK_AT_ONCE):
            asked = "".join(f"contents {i}\n" for i in ids[offset : offset + ASK_AT_ONCE])
            stdin.write(f"{asked}flush\n".encode("ascii"))
            stdin.flush()
        stdin.close()
    except (BrokenPipeError, OSError, ValueError):
        pass


def _noted(answers: _Answers, ids: Sequence[str]) -> Iterator[tuple[str, str | None]]:
    """The notable answers among `ids`, in order, until git stops or answers
    out of step (`answers.done` counts the ones read)."""
    for count, sha in enumerate(ids):
        if count % STOP_EVERY == 0:
            raise_if_stopped()  # a history of a million commits takes seconds
        size = answer_header(answers.line(), sha)
        if isinstance(size, str):
            answers.done += 1
            yield sha, damaged(size)
            continue
        held = None if size is None else answers.nul_in(size)
        if held is None:
            return
        answers.done += 1
        if held:
            yield sha, None


class _Answers:
    """`cat-file --batch` output read in chunks: header lines cut out in place,
    bodies searched for a NUL and read past."""

    def __init__(self, out: IO[bytes]) -> None:
        self.read = out.read1  # type: ignore[attr-defined]
        self.buffer = b""
        self.at = 0
        self.done = 0
        """Answers read whole."""

    def _more(self) -> bool:
        chunk = self.read(CHUNK)
        if not chunk:
            return False
        self.buffer = self.buffer[self.at :] + chunk
        self.at = 0
        return True

    def line(self) -> bytes:
        """The next header line, with its newline; what is left when git stopped."""
        while (end := self.buffer.find(b"\n", self.at)) < 0:
            if not self._more():
                return self.buffer[self.at :]
        line = self.buffer[self.at : end + 1]
        self.at = end + 1
        return line

    def nul_in(self, size: int) -> bool | None:
        """Whether the next `size` bytes hold a NUL, read past with the newline
        after them; None when git stopped first."""
        found = False
        while len(self.buffer) - self.at <= size:  # the body's end or its newline still to come
            found = found or self.buffer.find(b"\0", self.at) >= 0
            size -= len(self.buffer) - self.at
            self.at = len(self.buffer)
            if not self._more():
                return None
        end = self.at + size
        found = found or self.buffer.find(b"\0", self.at, end) >= 0
        if self.buffer[end : end + 1] != b"\n":
            return None
        self.at = end + 1
        return found
