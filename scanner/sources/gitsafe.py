"""Running git on a repository we do not trust.

Every invocation goes through `SafeGit`: after `gitvet` has checked the files
git will read, the repository is found by `git rev-parse` and each git process
is started with command-line config that neutralises every
repository-configured command a read-only git call could reach: hooks, `core.fsmonitor`, pagers, external diff and textconv drivers,
signature checking programs, credential helpers, transports (so a partial clone
cannot lazily fetch through `core.sshCommand`) and automatic gc. We only ever
run plumbing that reads: log, ls-tree, diff --cached, cat-file, fsck,
for-each-ref, rev-parse. Never status, checkout, add or fetch.

git is started with `subprocess` directly (environment as gitpython would give
it: the caller's, in the C locale, plus `SAFE_ENV`), not through gitpython:
importing gitpython costs a pre-commit hook more than scanning three files.
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import subprocess
import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from scanner import pipes
from scanner.errors import GitUnavailable, KeysweepError, SourceError
from scanner.threads import Background

if TYPE_CHECKING:
    import queue

SAFE_CONFIG: tuple[str, ...] = (
    "core.hooksPath=/dev/null",
    "core.fsmonitor=false",
    "core.untrackedCache=false",
    "core.pager=cat",
    "core.editor=false",
    "core.askPass=",
    "core.sshCommand=false",
    "core.gitProxy=",
    "credential.helper=",
    "protocol.allow=never",
    "diff.external=",
    "diff.relative=false",
    "log.showSignature=false",
    "gpg.program=false",
    "gpg.ssh.program=false",
    "gpg.x509.program=false",
    "color.ui=never",
    "gc.auto=0",
    "maintenance.auto=false",
    "submodule.recurse=false",
    "fetch.recurseSubmodules=false",
    "log.mailmap=false",
    "mailmap.file=/dev/null",
    "mailmap.blob=",
    "core.attributesFile=/dev/null",
    "core.excludesFile=/dev/null",
    "blame.ignoreRevsFile=",
    "commit.template=",
    "gpg.ssh.allowedSignersFile=/dev/null",
)
"""Applied with `-c` to every git call; command-line config beats the repository's."""

SAFE_ENV: dict[str, str] = {
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
    "GIT_OPTIONAL_LOCKS": "0",
    "GIT_NO_LAZY_FETCH": "1",
    "GIT_ATTR_NOSYSTEM": "1",
    "GIT_PAGER": "cat",
    "GIT_ASKPASS": "",
    "SSH_ASKPASS": "",
    "GIT_NO_REPLACE_OBJECTS": "1",
    "GIT_ALLOW_PROTOCOL": "none",
    "GIT_PROTOCOL_FROM_USER": "0",
}
"""GIT_ALLOW_PROTOCOL beats any `protocol.<name>.allow` a repository sets, so no
transport (and no `ext::` command) can run, even for a promisor's lazy fetch.
Replace refs are ignored: history must read as it is stored."""


@dataclass(frozen=True)
class RepoPaths:
    """Where a repository found by `discover` keeps its objects and its files."""

    git_dir: Path
    work_tree: Path | None
    """None for a bare repository."""


TRUSTED_OWNERS: set[Path] = set()
"""Repositories the user trusts whatever their owner (--trust-repo-owner)."""


_FOUND: contextvars.ContextVar[dict[tuple[str, bool], RepoPaths] | None] = contextvars.ContextVar(
    "keysweep_found_repositories", default=None
)
"""Inside `discovering_once`: the answers of this command's discoveries, by the
folder asked about and by the repository's top, with whether the owner was trusted."""


@contextlib.contextmanager
def discovering_once() -> Iterator[None]:
    """One command, one discovery per repository: a command that finds its
    repository (to read its config there) and then builds the git source, which
    finds it again from its top, runs rev-parse and the vetting once. The answer
    already passed every check below; nothing outlives the block, so a later
    command (or a library caller's next scan) vets and asks git again."""
    token = _FOUND.set({})
    try:
        yield
    finally:
        _FOUND.reset(token)


def discover(path: Path, *, trust_owner: bool = False) -> RepoPaths:
    """The repository at or above `path`, found by `git rev-parse`; SourceError if
    none, or if a file git would read there is not a bounded regular file, or if
    the repository belongs to another user (unless `trust_owner`), or if git's
    answer is not the repository that was vetted. Inside `discovering_once`, a
    repository already found is not looked for again."""
    found = _FOUND.get()
    known = found.get((os.path.abspath(path), trust_owner)) if found is not None else None
    if known is not None:  # an answer given with `trust_owner` never serves a call without
        return known
    answer = _discover(path, trust_owner=trust_owner)
    if found is not None:
        for asked in (path, answer.work_tree or answer.git_dir):
            found[(os.path.abspath(asked), trust_owner)] = answer
    return answer


def _discover(path: Path, *, trust_owner: bool) -> RepoPaths:
    from scanner.sources import gitvet

    if not os.path.isdir(path):
        raise SourceError(f"{path}: no such folder")
    located = gitvet.locate(path)
    if located is None:
        raise SourceError(f"{path}: not a git repository (none at or above it)")
    vetted = gitvet.vet_located(located)  # before git, which reads the config and its includes
    near = _top_of(located)
    if trust_owner:
        TRUSTED_OWNERS.add(near)
    status, out, message = _rev_parse(path, near, trusted=near in TRUSTED_OWNERS)
    if status != 0:
        gitvet.check_owner(near, near in TRUSTED_OWNERS)  # git's ownership refusal: say what to do
        raise SourceError(f"{path}: not a git repository ({message or 'git found none'})")
    found = _paths_from(Path(os.path.abspath(path)), out, vetted)
    top = (found.work_tree or found.git_dir).resolve()
    if trust_owner:
        TRUSTED_OWNERS.add(top)
    gitvet.check_owner(top, top in TRUSTED_OWNERS)
    return found


DISCOVERY_UNSET = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE")
"""A repository is found from the folder named, never from these (a pre-commit
hook runs with GIT_DIR set): every later call names the repository itself."""
BOUND_UNSET = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_NAMESPACE", "GIT_GRAFT_FILE")
"""Not passed to git once the repository is named: an inherited GIT_COMMON_DIR
would read another repository's objects and refs (every blob "missing"), a
namespace would hide refs, a graft file would rewrite history. GIT_INDEX_FILE
(a hook's index) and GIT_OBJECT_DIRECTORY / GIT_ALTERNATE_OBJECT_DIRECTORIES
(pre-receive's quarantine, where the pushed objects are) stay as git set them."""
DISCOVERY_SECONDS = 30.0
"""rev-parse reads a few small vetted files; a git that takes longer is stuck."""


def _rev_parse(path: Path, top: Path, *, trusted: bool) -> tuple[int, bytes, str]:
    """git's own discovery, kept from searching above `top` (the vetted repository's
    folder: git may not find another one further up); a repository the user
    trusts passes git's ownership check too (later calls name the repository,
    which git does not check)."""
    args = ("--absolute-git-dir", "--is-bare-repository", "--is-inside-work-tree", "--show-cdup")
    trust = ["-c", "safe.directory=*"] if trusted else []
    argv = [git_executable(), "--no-pager", *_config_args(), *trust, "rev-parse", *args]
    env = git_environment(SAFE_ENV)
    for name in DISCOVERY_UNSET:
        env.pop(name, None)
    env["GIT_CEILING_DIRECTORIES"] = str(top.parent)
    return _run(argv, str(path), env, timeout=DISCOVERY_SECONDS)


def _paths_from(start: Path, out: bytes, vetted: Path) -> RepoPaths:
    """RepoPaths from rev-parse's answer, which must name the `vetted` git dir;
    spelled from the path the caller gave (symbolic links kept, as the report's
    paths are) when that path leads to the same folder."""
    lines = out.decode("utf-8", "surrogateescape").splitlines()
    if len(lines) < 3:
        raise SourceError(f"{start}: git rev-parse answered {len(lines)} lines, not 3 or 4")
    git_dir, bare, inside = Path(lines[0]), lines[1] == "true", lines[2] == "true"
    if not _same_folder(git_dir, vetted):
        raise SourceError(f"{start}: git found the repository {git_dir}, not {vetted}")
    if bare:
        return RepoPaths(git_dir, None)
    if not inside:  # named from inside the git folder of a repository with a work tree
        return RepoPaths(git_dir, git_dir.parent)
    cdup = lines[3] if len(lines) > 3 else ""
    real = Path(os.path.normpath(Path(os.path.realpath(start)) / cdup))
    spelled = Path(os.path.normpath(start / cdup))
    work = spelled if _same_folder(spelled, real) else real
    dotgit = work / ".git"
    return RepoPaths(dotgit if dotgit.is_dir() else git_dir, work)


def _same_folder(one: Path, other: Path) -> bool:
    try:
        return os.path.samefile(one, other)
    except OSError:
        return False


def _top_of(located: Path) -> Path:
    """The folder git's ownership check looks at, for `gitvet.locate`'s answer."""
    return located.parent if located.name == ".git" else located


def git_executable() -> str:
    """git, or the program GIT_PYTHON_GIT_EXECUTABLE names (as gitpython honours it);
    the one `gitvet` runs too."""
    from scanner.sources.gitvet import git_program

    return git_program()


def git_environment(extra: dict[str, str]) -> dict[str, str]:
    """The caller's environment in the C locale (git's messages are read), plus `extra`."""
    return {**os.environ, "LANGUAGE": "C", "LC_ALL": "C", **extra}


def _config_args() -> list[str]:
    args: list[str] = []
    for item in SAFE_CONFIG:
        args += ["-c", item]
    return args


def _run(
    argv: list[str], cwd: str, env: dict[str, str], timeout: float | None = None
) -> tuple[int, bytes, str]:
    try:
        done = subprocess.run(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
            timeout=timeout,
        )
    except OSError as exc:
        raise cannot_start(exc, argv[0], cwd) from None
    except subprocess.TimeoutExpired:
        raise SourceError(f"{cwd}: git did not answer in {timeout:g} s") from None
    message = _first_line(done.stderr.decode("utf-8", "replace"))
    return done.returncode, done.stdout, message


def cannot_start(exc: OSError, program: str, cwd: str) -> KeysweepError:
    """Why git did not start: a folder gone is this repository's problem (a
    SourceError); git missing or not executable stops every git source, so it is
    never a per-repository warning (`GitUnavailable`, exit 2)."""
    if exc.filename == cwd and exc.filename != program:
        return SourceError(f"{cwd}: cannot enter the folder: {exc.strerror or exc}")
    reason = exc.strerror or type(exc).__name__
    return GitUnavailable(f"cannot run git ({program}): {reason}; install git or fix PATH")


class SafeGit:
    """git, hardened, bound to one repository."""

    def __init__(self, paths: RepoPaths, index_file: str | None = None) -> None:
        self.paths = paths
        self._cwd = str(paths.work_tree or paths.git_dir)
        self._exe = git_executable()
        extra = dict(SAFE_ENV)
        if index_file:
            extra["GIT_INDEX_FILE"] = index_file
        self._env = git_environment(extra)
        for name in BOUND_UNSET:
            self._env.pop(name, None)

    def argv(self, *args: str) -> list[str]:
        head = [self._exe, "--no-pager", f"--git-dir={self.paths.git_dir}"]
        if self.paths.work_tree is not None:
            head.append(f"--work-tree={self.paths.work_tree}")
        return [*head, *_config_args(), *args]

    def run(self, *args: str, check: bool = True) -> tuple[int, bytes, str]:
        """Run to completion: (status, stdout bytes, first stderr line)."""
        status, out, message = _run(self.argv(*args), self._cwd, self._env)
        if check and status != 0:
            raise SourceError(f"{self.paths.git_dir}: git {args[0]} failed: {message}")
        return status, out, message

    def call(self, *args: str) -> tuple[tuple[str, ...], str, frozenset[tuple[str, str]]]:
        """What `run(*args)` or `spawn(*args)` starts: the command line, folder and
        environment. Two calls that start the same are the same git call."""
        return tuple(self.argv(*args)), self._cwd, frozenset(self._env.items())

    def spawn(self, *args: str, stdin: bool = False, buffer: int = -1) -> Process:
        """Start a streaming process; stderr is drained in the background. Its
        pipes are buffered by `buffer` bytes (-1: Python's default, 8 KiB): what
        is written to its standard input reaches it when the buffer fills, on a
        flush or when it is closed."""
        try:
            popen = subprocess.Popen(
                self.argv(*args),
                bufsize=buffer,
                cwd=self._cwd,
                env=self._env,
                stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError as exc:
            raise cannot_start(exc, self._exe, self._cwd) from None
        return Process(popen)


class Process:
    """A running git process: stdout to read, stdin to feed, stderr collected."""

    def __init__(self, popen: subprocess.Popen[bytes]) -> None:
        self.popen = popen
        weakref.finalize(self, _end, popen)  # a process left behind is ended, not orphaned
        self._stderr: list[bytes] = []
        self._drain = Background(self._collect)
        self._ahead: queue.SimpleQueue[bytes | None] | None = None

    def read_ahead(self, limit: int) -> None:
        """Read standard output in the background from now on, up to `limit` bytes,
        so git runs while this process does other work; `chunks` yields them
        first, then reads on. The pipe is widened so that the reader, which
        waits for the interpreter's lock between reads, rarely keeps git waiting."""
        import queue  # only for a call started early, never on a pre-commit hook's path

        pipes.widen(self.stdout.fileno())
        self._ahead = queue.SimpleQueue()
        Background(self._fill, self._ahead, limit)

    def _fill(self, ahead: queue.SimpleQueue[bytes | None], limit: int) -> None:
        try:
            while limit > 0 and (chunk := self.stdout.read1(1 << 20)):  # type: ignore[attr-defined]
                ahead.put(chunk)
                limit -= len(chunk)
        except (OSError, ValueError):  # ended by `kill`
            pass
        finally:
            ahead.put(None)

    @property
    def stdout(self) -> IO[bytes]:
        assert self.popen.stdout is not None
        return self.popen.stdout

    @property
    def stdin(self) -> IO[bytes]:
        assert self.popen.stdin is not None
        return self.popen.stdin

    def _collect(self) -> None:
        stream = self.popen.stderr
        if stream is None:
            return
        size = 0
        for line in stream:
            if size < 16384:
                self._stderr.append(line)
                size += len(line)

    def output(self, poll: Callable[[], None], seconds: float = 0.1) -> bytes:
        """All that git writes, read by a background thread while this thread
        calls `poll` every `seconds` and after each chunk: `poll` may raise to
        stop reading (then git is killed, never waited for), where git takes
        long to answer (`fsck` walks a whole history before it writes)."""
        import queue

        self.read_ahead(1 << 62)
        ahead, self._ahead = self._ahead, None
        assert ahead is not None
        parts: list[bytes] = []
        try:
            while True:
                poll()
                try:
                    chunk = ahead.get(timeout=seconds)
                except queue.Empty:
                    continue
                if chunk is None:
                    return b"".join(parts)
                parts.append(chunk)
        except BaseException:
            self.kill()
            raise

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
        if self._ahead is not None:
            ahead, self._ahead = self._ahead, None
            while (early := ahead.get()) is not None:
                yield early
        while chunk := self.stdout.read1(size):  # type: ignore[attr-defined]
            yield chunk

    def finish(self) -> tuple[int, str]:
        """Wait for the end; (status, first stderr line)."""
        if self.popen.stdin is not None and not self.popen.stdin.closed:
            self.popen.stdin.close()
        status = self.popen.wait()
        self._drain.join(timeout=5)
        return status, self.error()

    def error(self) -> str:
        text = b"".join(self._stderr).decode("utf-8", "replace")
        return _first_line(text)

    def kill(self) -> None:
        """End the process now (it only reads, so nothing is lost) and reap it."""
        if self.popen.poll() is None:
            self.popen.kill()
        self.popen.wait()
        for stream in (self.popen.stdin, self.popen.stdout):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()
        self._drain.join(timeout=5)


def _end(popen: subprocess.Popen[bytes]) -> None:
    if popen.poll() is None:
        popen.kill()
        popen.wait()


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""
