"""Running git on a repository we do not trust.

Every invocation goes through `SafeGit`: the repository is found by gitpython
(which parses config files itself and runs nothing from them), and each git
process is started through gitpython's `Git.execute` with command-line config
that neutralises every repository-configured command a read-only git call could
reach: hooks, `core.fsmonitor`, pagers, external diff and textconv drivers,
signature checking programs, credential helpers, transports (so a partial clone
cannot lazily fetch through `core.sshCommand`) and automatic gc. We only ever
run plumbing that reads: log, ls-tree, diff --cached, cat-file, fsck,
for-each-ref, rev-parse. Never status, checkout, add or fetch.
"""

from __future__ import annotations

import contextlib
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from scanner.errors import SourceError

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
    git_dir: Path
    work_tree: Path | None
    """None for a bare repository."""


TRUSTED_OWNERS: set[Path] = set()
"""Repositories the user trusts whatever their owner (--trust-repo-owner)."""


def discover(path: Path, *, trust_owner: bool = False) -> RepoPaths:
    """The repository at or above `path`, found by gitpython; SourceError if none,
    or if a file git would read there is not a bounded regular file, or if the
    repository belongs to another user (unless `trust_owner`)."""
    import git

    from scanner.sources import gitvet

    gitvet.vet(path)  # before gitpython, which reads the config (and its includes) too
    try:
        repo = git.Repo(path, search_parent_directories=True)
    except git.NoSuchPathError:
        raise SourceError(f"{path}: no such folder") from None
    except (git.InvalidGitRepositoryError, git.GitError) as exc:
        raise SourceError(f"{path}: not a git repository ({type(exc).__name__})") from None
    try:
        work = None if repo.bare else repo.working_tree_dir
        found = RepoPaths(Path(repo.git_dir), Path(work) if work else None)
    finally:
        repo.close()
    top = (found.work_tree or found.git_dir).resolve()
    if trust_owner:
        TRUSTED_OWNERS.add(top)
    gitvet.check_owner(top, top in TRUSTED_OWNERS)
    return found


class SafeGit:
    """git, hardened, bound to one repository."""

    def __init__(self, paths: RepoPaths, index_file: str | None = None) -> None:
        import git

        self.paths = paths
        self._git = git.Git(str(paths.work_tree or paths.git_dir))
        self._exe = str(git.Git.GIT_PYTHON_GIT_EXECUTABLE or "git")
        self._env = dict(SAFE_ENV)
        if index_file:
            self._env["GIT_INDEX_FILE"] = index_file

    def argv(self, *args: str) -> list[str]:
        head = [self._exe, "--no-pager", f"--git-dir={self.paths.git_dir}"]
        if self.paths.work_tree is not None:
            head.append(f"--work-tree={self.paths.work_tree}")
        for item in SAFE_CONFIG:
            head += ["-c", item]
        return [*head, *args]

    def run(self, *args: str, check: bool = True) -> tuple[int, bytes, str]:
        """Run to completion: (status, stdout bytes, first stderr line)."""
        status, out, err = self._git.execute(
            self.argv(*args),
            with_extended_output=True,
            with_exceptions=False,
            stdout_as_string=False,
            strip_newline_in_stdout=False,
            env=self._env,
        )
        message = _first_line(err if isinstance(err, str) else str(err))
        if check and status != 0:
            raise SourceError(f"{self.paths.git_dir}: git {args[0]} failed: {message}")
        return int(status), bytes(out or b""), message

    def spawn(self, *args: str, stdin: bool = False) -> Process:
        """Start a streaming process; stderr is drained in the background."""
        proc: Any = self._git.execute(
            self.argv(*args),
            as_process=True,
            istream=subprocess.PIPE if stdin else None,
            env=self._env,
        )
        return Process(proc)


class Process:
    """A running git process: stdout to read, stdin to feed, stderr collected."""

    def __init__(self, proc: Any) -> None:
        self._auto = proc
        self.popen: subprocess.Popen[bytes] = proc.proc
        self._stderr: list[bytes] = []
        self._drain = threading.Thread(target=self._collect, daemon=True)
        self._drain.start()

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

    def chunks(self, size: int = 1 << 20) -> Iterator[bytes]:
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


def _first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""
