"""What `keysweep repos add` accepts: clone URLs, files of URLs, folders of repositories.

Every URL passes the same policy (`urls.check_url`) wherever it came from, so a
file of URLs or an API listing cannot slip in a transport that runs programs. A
local folder that is a repository, or that holds repositories one level down,
becomes file:// URLs of absolute paths.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from scanner import safeload
from scanner.errors import KeysweepError
from scanner.repos.store import NewRepository
from scanner.repos.urls import SCP_LIKE, CloneUrl, check_url, file_url, repo_name

MAX_LIST_BYTES = 16 * 1024 * 1024


def expand(args: Sequence[str], *, allow_http: bool = False) -> list[NewRepository]:
    """Every repository the arguments name, in order, each URL once."""
    found: dict[str, NewRepository] = {}
    for arg in args:
        for new in _one(arg, allow_http):
            found.setdefault(new.url, new)
    return list(found.values())


def _one(arg: str, allow_http: bool) -> Iterator[NewRepository]:
    path = Path(arg)
    if "://" in arg or (SCP_LIKE.match(arg) and not path.exists()):
        yield named(check_url(arg, allow_http=allow_http), "url")
    elif path.is_dir():
        yield from _folder(path)
    elif path.is_file():
        yield from _url_file(path, allow_http)
    else:
        raise KeysweepError(f"{arg}: not a clone URL, a file of URLs or a folder")


def _url_file(path: Path, allow_http: bool) -> Iterator[NewRepository]:
    """One URL a line; blank lines and `#` comments are skipped."""
    try:
        text = safeload.read_text(path, limit=MAX_LIST_BYTES)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise KeysweepError(f"{path}: cannot read the list of URLs: {exc}") from None
    for number, line in enumerate(text.splitlines(), 1):
        entry = line.strip()
        if entry and not entry.startswith("#"):
            try:
                yield named(check_url(entry, allow_http=allow_http), f"file:{path.name}")
            except KeysweepError as exc:
                raise KeysweepError(f"{path}:{number}: {exc}") from None


def _folder(path: Path) -> Iterator[NewRepository]:
    if is_repository(path):
        yield named(file_url(path), "folder")
        return
    children = sorted(p for p in path.iterdir() if p.is_dir() and not p.is_symlink())
    repositories = [p for p in children if is_repository(p)]
    if not repositories:
        raise KeysweepError(f"{path}: neither a repository nor a folder of repositories")
    yield from (named(file_url(p), "folder") for p in repositories)


def is_repository(path: Path) -> bool:
    """A work tree (`.git` inside) or a bare store (HEAD, objects/ and refs/)."""
    if (path / ".git").exists():
        return True
    return (path / "HEAD").is_file() and (path / "objects").is_dir() and (path / "refs").is_dir()


def named(
    url: CloneUrl, origin: str, *, archived: bool = False, fork: bool = False
) -> NewRepository:
    return NewRepository(url.url, repo_name(url.url), origin, archived, fork)
