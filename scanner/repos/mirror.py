"""A bare mirror per repository in a local cache folder, fetched with git hardened.

A worker keeps one mirror per clone URL, so a rescan fetches only what changed.
git runs with the same settings as `keysweep git` (`sources.gitsafe.SAFE_CONFIG`
and `SAFE_ENV`: no hooks, filters, fsmonitor, credential helpers, lazy fetches),
and the one transport the URL needs is the only one allowed (`protocol.allow`
and `GIT_ALLOW_PROTOCOL`), so a server cannot redirect us through `ext::` or to
another scheme. Blobs above the scan's size limit are left on the server when
it allows partial clones (`--filter=blob:limit=`). A fetch is stopped when it
outlasts its time or the mirror outgrows its size limit; a first clone is made
beside the mirror's final name and renamed only once complete. A removed
repository's mirror is deleted (`discard`) without following any link.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import stat
import subprocess
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from scanner.errors import SourceError
from scanner.repos.urls import CloneUrl
from scanner.sources.gitsafe import SAFE_CONFIG, SAFE_ENV
from scanner.urlshow import shown

REFSPECS = ("+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*")
"""Branches and tags: what people push; pull-request refs and notes are left out."""
POLL_SECONDS = 0.25
log = logging.getLogger("keysweep.repos")


class FetchLimit(SourceError):
    """A fetch outlasted its time or outgrew its size limit."""


@dataclass(frozen=True)
class FetchLimits:
    seconds: float = 600.0
    bytes: int = 2 * 1024**3
    blob_limit: int = 25 * 1024 * 1024
    """Blobs above this stay on the server (partial clone) where it allows."""


def mirror_path(cache: Path, url: str) -> Path:
    """The mirror's folder: a hash of the URL, so any URL makes a plain name."""
    return cache / f"{hashlib.sha256(url.encode()).hexdigest()[:32]}.git"


def default_cache() -> Path:
    """Where `keysweep worker` keeps its mirrors unless told (`--cache`)."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "keysweep" / "mirrors"


def discard(cache: Path, url: str) -> bool:
    """Delete the mirror of `url` in `cache`, if there is one; True when this call
    deleted it. Only the mirror's own name in `cache` is touched: a symbolic link (or
    a file) in its place is unlinked, never followed; a folder is first renamed to a
    scratch name in `cache` (a fetch starting meanwhile finds no mirror and clones,
    never half of one), then removed by `remove_tree`, which follows no link. When
    another process deletes the same mirror meanwhile, one of the two renames (or
    unlinks) it and the other finds nothing: False, not an error."""
    target = mirror_path(cache, url)
    try:
        if not stat.S_ISDIR(os.lstat(target).st_mode):
            target.unlink()
            return True
        return _discard_folder(cache, target)
    except FileNotFoundError:  # not there, or another process deleted it first
        return False


def _discard_folder(cache: Path, target: Path) -> bool:
    scratch = Path(tempfile.mkdtemp(prefix="removed-", dir=cache))
    try:
        os.replace(target, scratch / "m")
        return True
    except FileNotFoundError:  # another process renamed it first
        return False
    finally:
        remove_tree(scratch)


def discard_all(cache: Path, urls: Iterable[str]) -> int:
    """`discard` each URL's mirror in `cache`; how many were deleted. A mirror that
    cannot be deleted is a warning, never an error: a cache problem must not fail
    a removal that is already committed, nor another repository's scan."""
    if not cache.is_dir():
        return 0
    deleted = 0
    for url in urls:
        try:
            deleted += discard(cache, url)
        except OSError as error:
            target = mirror_path(cache, url)
            log.warning("mirror %s not deleted: %s", target, error.strerror or type(error).__name__)
    return deleted


def remove_tree(folder: Path) -> bool:
    """Remove `folder` and all under it without following a symbolic link out of it:
    shutil.rmtree walks by file descriptors where the platform has them (links are
    unlinked, not entered, and a folder swapped for a link midway is refused), and
    where it has not, it checks each entry with lstat and unlinks links. Whatever it
    could not delete is a warning naming the folder (False), and the rest is deleted."""
    failed: list[str] = []

    def note(_func: object, path: str, info: object) -> None:
        error = info[1] if isinstance(info, tuple) else info
        failed.append(f"{path}: {getattr(error, 'strerror', None) or type(error).__name__}")

    shutil.rmtree(folder, onerror=note)
    if failed:
        log.warning("%s not fully deleted (%d left, first %s)", folder, len(failed), failed[0])
    return not failed


def update(url: CloneUrl, cache: Path, limits: FetchLimits) -> Path:
    """Clone (first time) or fetch the mirror of `url`; its path."""
    if url.scheme == "file" and in_cache(cache, url.url):
        raise SourceError(
            f"{shown(url.url)}: a file:// URL into the mirror cache is refused "
            "(it would read another repository's mirror)"
        )
    cache.mkdir(parents=True, exist_ok=True, mode=0o700)
    target = mirror_path(cache, url.url)
    if (target / "HEAD").is_file():
        _fetch(url, target, limits)
    else:
        _clone(url, target, limits)
    if folder_bytes(target) > limits.bytes:  # a fetch faster than the watch's polling
        shutil.rmtree(target, ignore_errors=True)
        raise FetchLimit(f"{shown(url.url)}: mirror over {limits.bytes} bytes (size limit)")
    return target


def in_cache(cache: Path, file_url: str) -> bool:
    """Whether a file:// URL names the cache folder or anything in it (links resolved)."""
    from urllib.parse import urlsplit
    from urllib.request import url2pathname

    named = Path(url2pathname(urlsplit(file_url).path)).resolve()
    return named.is_relative_to(cache.resolve())


def _clone(url: CloneUrl, target: Path, limits: FetchLimits) -> None:
    scratch = Path(tempfile.mkdtemp(prefix="clone-", dir=target.parent))
    try:
        args = ["clone", "--bare", "--quiet", f"--filter=blob:limit={limits.blob_limit}"]
        argv = git_argv(url, None, *args, "--", url.url, str(scratch / "m"))
        run_bounded(argv, url, scratch, limits)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(scratch / "m", target)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _fetch(url: CloneUrl, target: Path, limits: FetchLimits) -> None:
    args = ["fetch", "--quiet", "--prune", "--no-write-fetch-head", "origin", *REFSPECS]
    run_bounded(git_argv(url, target, *args), url, target, limits)


def git_argv(url: CloneUrl, git_dir: Path | None, *args: str) -> list[str]:
    """git with the scanner's hardened settings, then the few that fetching needs."""
    head = ["git", "--no-pager"]
    if git_dir is not None:
        head.append(f"--git-dir={git_dir}")
    for item in (*SAFE_CONFIG, *_transport_config(url)):
        head += ["-c", item]
    return [*head, *args]


def _transport_config(url: CloneUrl) -> tuple[str, ...]:
    """Only this URL's transport; no redirects (a redirect could change the scheme)."""
    ssh = ("core.sshCommand=ssh -o BatchMode=yes",) if url.scheme == "ssh" else ()
    return (
        "protocol.allow=never",
        f"protocol.{url.scheme}.allow=always",
        "http.followRedirects=false",
        *ssh,
    )


def git_env(url: CloneUrl) -> dict[str, str]:
    return {**os.environ, **SAFE_ENV, "GIT_ALLOW_PROTOCOL": url.scheme}


def run_bounded(argv: list[str], url: CloneUrl, watch: Path, limits: FetchLimits) -> None:
    """Run git; stop it past the time limit or when `watch` outgrows the size limit."""
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err, env=git_env(url)
        )
        problem = _watch(process, watch, limits)
        err.seek(0)
        message = _first_line(err.read(4096).decode("utf-8", "replace"))
    if problem is not None:
        raise FetchLimit(f"{shown(url.url)}: {problem}")
    if process.returncode != 0:
        raise SourceError(f"{shown(url.url)}: git {argv_verb(argv)} failed: {message}")


def _watch(process: subprocess.Popen[bytes], watch: Path, limits: FetchLimits) -> str | None:
    deadline = time.monotonic() + limits.seconds
    while True:
        try:
            process.wait(timeout=POLL_SECONDS)
            return None
        except subprocess.TimeoutExpired:
            pass
        problem = _over(watch, limits, deadline)
        if problem is not None:
            process.kill()
            process.wait()
            return problem


def _over(watch: Path, limits: FetchLimits, deadline: float) -> str | None:
    if time.monotonic() > deadline:
        return f"fetch stopped after {limits.seconds:g} s (time limit)"
    if folder_bytes(watch) > limits.bytes:
        return f"fetch stopped at {limits.bytes} bytes (size limit)"
    return None


def folder_bytes(folder: Path) -> int:
    """Bytes of the regular files under `folder` (links are not followed)."""
    total = 0
    for top, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.lstat(os.path.join(top, name)).st_size
            except OSError:
                continue
    return total


def argv_verb(argv: list[str]) -> str:
    return next((a for a in argv if a in ("clone", "fetch")), "fetch")


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return (lines[0] if lines else "no message")[:200]
