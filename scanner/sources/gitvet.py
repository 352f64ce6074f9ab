"""A repository's files checked before git (or gitpython) reads any of them.

git follows what a repository says: `include.path` and `includeIf` pull in
other config files, `commondir` and a `.git` file name other folders, and refs,
`packed-refs`, `shallow`, grafts, attributes and alternates are read as they
are. A FIFO there hangs git; `/dev/zero` fills memory. `vet` walks every such
file first: each must be a regular file (or the folder it should be) of
bounded size, includes are followed the way git follows them (depth-limited),
and anything else stops the scan with one line naming it. Settings that name a
file but are never needed for reading history (mailmap, attributes, excludes)
are overridden on git's command line instead (`gitsafe.SAFE_CONFIG`).

Ownership: like git's `safe.directory` check, a repository owned by another
user is refused unless the caller trusts it (`--trust-repo-owner`).
"""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

from scanner.errors import GitUnavailable, KeysweepError, SourceError

MAX_SMALL_FILE = 1024 * 1024
"""config, HEAD, packed-refs (per file), .git, commondir, shallow, grafts …"""
MAX_PACKED_REFS = 256 * 1024 * 1024
MAX_INCLUDE_DEPTH = 10
GIT_CONFIG_SECONDS = 10.0
MAX_ENTRIES = 2_000_000
"""Files under refs/ and objects/ looked at, at most."""
SMALL_FILES = (
    "HEAD",
    "config.worktree",
    "shallow",
    "info/grafts",
    "info/attributes",
    "info/exclude",
    "info/sparse-checkout",
    "objects/info/alternates",
    "commondir",
    "gitdir",
    "ORIG_HEAD",
    "FETCH_HEAD",
    "MERGE_HEAD",
)
TREES = ("refs", "objects", "logs")


def locate(path: Path) -> Path | None:
    """The `.git` (folder or file) or bare repository folder at or above `path`,
    as git's own search finds it: on the real path (git starts from the resolved
    working folder), taking only what git takes for a repository. A decoy (an
    empty `.git` folder) is passed over, as git passes over it."""
    start = Path(os.path.realpath(path))
    for folder in (start, *start.parents):
        dotgit = folder / ".git"
        if os.path.isfile(dotgit) or is_git_dir(dotgit):
            return dotgit
        if os.path.islink(dotgit) and os.path.isdir(dotgit):
            return dotgit  # git would open it; `vet_located` refuses it
        if is_git_dir(folder):
            return folder
    return None


def is_git_dir(folder: Path) -> bool:
    """git's test for a repository folder: a HEAD file, and `objects/` and `refs/`
    there or in the folder its `commondir` file names (a linked worktree's)."""
    if not os.path.isfile(folder / "HEAD"):
        return False
    base = folder
    if os.path.isfile(folder / "commondir"):
        target = _small_text(folder / "commondir").strip()
        base = (folder / target) if target else folder
    return os.path.isdir(base / "objects") and os.path.isdir(base / "refs")


def vet(path: Path) -> None:
    """Raise SourceError unless every file git would read there is safe to read."""
    found = locate(path)
    if found is not None:
        vet_located(found)


def vet_located(found: Path) -> Path:
    """Vet the repository `locate` found; its git dir (a `.git` file followed)."""
    git_dir = _git_dir_of(found)
    _vet_dir(git_dir)
    common = git_dir / "commondir"
    if common.exists():
        target = _small_text(common).strip()
        _vet_dir((git_dir / target).resolve() if target else git_dir)
    return git_dir


def check_owner(folder: Path, trusted: bool) -> None:
    """git's safe.directory rule: the repository must belong to the user running us."""
    if trusted or not hasattr(os, "geteuid"):
        return
    owner = os.stat(folder).st_uid
    if owner != os.geteuid() and not _safe_directory(folder):
        raise SourceError(
            f"{folder}: repository owned by another user (uid {owner}); "
            "pass --trust-repo-owner to scan it anyway"
        )


def _safe_directory(folder: Path) -> bool:
    """Whether the user's own git config lists `folder` (or '*') as safe (no when
    git cannot say: the stricter answer)."""
    try:
        values = _git_config("--global", "--get-all", "safe.directory")
    except (KeysweepError, OSError):
        return False
    return any(v in ("*", str(folder), f"{folder}/") for v in values)


def git_program() -> str:
    """git, or the program GIT_PYTHON_GIT_EXECUTABLE names (`gitsafe.git_executable`)."""
    return os.environ.get("GIT_PYTHON_GIT_EXECUTABLE") or "git"


def _git_config(*args: str) -> list[str]:
    """Values from `git config` (git's own parser), NUL-separated. GitUnavailable
    when git cannot start, SourceError when it does not answer in time."""
    import tempfile  # only when a config includes files or the owner differs (1.5 ms)

    program = git_program()
    with tempfile.TemporaryDirectory() as nowhere:  # run outside any repository
        env = {
            **os.environ,
            "GIT_CONFIG_NOSYSTEM": "1",
            "GIT_CEILING_DIRECTORIES": os.path.dirname(nowhere),
        }
        for name in ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR"):
            env.pop(name, None)
        try:
            done = subprocess.run(
                [program, "config", "--null", *args],
                capture_output=True,
                timeout=GIT_CONFIG_SECONDS,
                env=env,
                cwd=nowhere,
                check=False,
                stdin=subprocess.DEVNULL,
            )
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            message = f"cannot run git ({program}): {reason}; install git or fix PATH"
            raise GitUnavailable(message) from None
        except subprocess.TimeoutExpired:
            raise SourceError(f"git config did not answer in {GIT_CONFIG_SECONDS:g} s") from None
    return [v.decode("utf-8", "surrogateescape") for v in done.stdout.split(b"\0") if v]


def _git_dir_of(found: Path) -> Path:
    if found.is_dir() and not found.is_symlink():
        return found
    info = _regular(found, MAX_SMALL_FILE)
    del info
    text = _small_text(found)
    if not text.startswith("gitdir:"):
        raise SourceError(f"{found}: not a gitdir file")
    target = Path(text[len("gitdir:") :].strip())
    return (found.parent / target).resolve()


def _vet_dir(git_dir: Path) -> None:
    if not git_dir.is_dir():
        raise SourceError(f"{git_dir}: the repository folder is missing")
    _vet_config(git_dir / "config", 0)
    _vet_config(git_dir / "config.worktree", 0)
    for name in SMALL_FILES:
        _regular_if_present(git_dir / name, MAX_SMALL_FILE)
    _regular_if_present(git_dir / "packed-refs", MAX_PACKED_REFS)
    _regular_if_present(git_dir / "index", None)
    seen = 0
    for name in TREES:
        seen = _vet_tree(git_dir / name, seen)


def _vet_config(path: Path, depth: int) -> None:
    """A config file and every file it includes, as git would follow them."""
    if not os.path.lexists(path):
        return
    if depth > MAX_INCLUDE_DEPTH:
        raise SourceError(f"{path}: config includes nested deeper than {MAX_INCLUDE_DEPTH}")
    _regular(path, MAX_SMALL_FILE)
    for target in _includes(path):
        _vet_config(target, depth + 1)


def _includes(path: Path) -> list[Path]:
    """Files `path` includes, read by git's own parser without following them
    (only when the text names an include at all: most configs do not, and git
    is a process to start)."""
    with open(path, "rb") as handle:
        if b"include" not in handle.read(MAX_SMALL_FILE + 1).lower():
            return []
    pattern = r"^include(if\..*)?\.path$"
    found = _git_config("--file", str(path), "--no-includes", "--get-regexp", pattern)
    targets = [entry.split("\n", 1)[1] for entry in found if "\n" in entry]
    return [_include_target(path, value) for value in targets if value]


def _include_target(config: Path, value: str) -> Path:
    target = Path(os.path.expanduser(value))
    return target if target.is_absolute() else config.parent / target


def _vet_tree(top: Path, seen: int) -> int:
    """Every entry under `top` must be a folder or a regular file (no FIFOs, devices)."""
    if not top.is_dir():
        return seen
    stack = [str(top)]
    while stack:
        folder = stack.pop()
        with os.scandir(folder) as entries:
            for entry in entries:
                seen += 1
                if seen > MAX_ENTRIES:
                    return seen  # a huge repository: git's own limits apply from here
                mode = entry.stat(follow_symlinks=False).st_mode
                if stat.S_ISDIR(mode):
                    stack.append(entry.path)
                elif not stat.S_ISREG(mode):
                    raise SourceError(f"{entry.path}: not a regular file; the repository is unsafe")
    return seen


def _regular_if_present(path: Path, limit: int | None) -> None:
    if os.path.lexists(path):
        _regular(path, limit)


def _regular(path: Path, limit: int | None) -> os.stat_result:
    try:
        info = os.stat(path)
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(info.st_mode):
        raise SourceError(f"{path}: not a regular file; the repository is unsafe")
    if limit is not None and info.st_size > limit:
        raise SourceError(f"{path}: larger than {limit} bytes; the repository is unsafe")
    return info


def _small_text(path: Path) -> str:
    from scanner.safeload import LoadError, read_bytes

    try:
        return read_bytes(path, MAX_SMALL_FILE).decode("utf-8", "replace")
    except LoadError as exc:
        raise SourceError(f"{path}: {exc}; the repository is unsafe") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read: {exc.strerror or exc}") from None


GITFILE_LIMIT = 4096
"""A `.git` file holds one `gitdir:` line, and `commondir` one path: anything
longer is not one."""


def common_dir(git_dir: Path) -> Path | None:
    """A linked worktree's git dir names the main repository's in `commondir`."""
    try:
        fd = os.open(git_dir / "commondir", os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as handle:
            info = os.fstat(handle.fileno())
            if not stat.S_ISREG(info.st_mode):
                return None
            text = handle.read(GITFILE_LIMIT).strip()
    except OSError:
        return None
    common = Path(os.fsdecode(text))
    return Path(os.path.realpath(common if common.is_absolute() else git_dir / common))
