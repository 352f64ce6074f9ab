"""What a rescan reads: the blobs of commits not scanned before.

A repository's refs are recorded at the commit each pointed at when it was last
scanned completely. The next scan walks `git log <new tips> --not <recorded
commits>`, so it reads only what the new commits introduced, with the same
attribution (`sources.gitlog`) and blob reader (`sources.git.read_blobs`) as
`keysweep git`. The first scan walks every branch and tag.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from functools import partial

from scanner.model import Item, Origin, ScanWarning, SourceKind
from scanner.sources import Skipped, SkipReason, SourceEvent, gitlog
from scanner.sources.git import blob_origin, read_blobs, reading_order
from scanner.sources.gitsafe import SAFE_ENV, SafeGit
from scanner.suppress import PathMatcher

REF_FORMAT = "--format=%(refname)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)"


def ref_positions(git: SafeGit) -> dict[str, str]:
    """Each branch and tag → the commit it points at (tags peeled; refs to trees or
    blobs left out, as history is walked through commits)."""
    _, out, _ = git.run("for-each-ref", REF_FORMAT, "refs/heads", "refs/tags")
    refs: dict[str, str] = {}
    for line in out.decode("utf-8", "surrogateescape").splitlines():
        name, kind, sha, peeled_kind, peeled = ([*line.split("\0"), "", "", "", ""])[:5]
        if kind == "tag":
            kind, sha = peeled_kind, peeled
        if kind == "commit":
            refs[name] = sha
    return refs


def known_commits(git: SafeGit, recorded: Mapping[str, str]) -> list[str]:
    """The recorded commits the mirror still holds (a commit it lost cannot bound the walk)."""
    wanted = sorted(set(recorded.values()))
    if not wanted:
        return []
    argv = git.argv("cat-file", "--batch-check=%(objectname) %(objecttype)")
    listing = "".join(f"{sha}\n" for sha in wanted).encode("ascii")
    done = subprocess.run(argv, input=listing, capture_output=True, env={**os.environ, **SAFE_ENV})
    lines = done.stdout.decode("ascii", "replace").splitlines()
    return [line.split()[0] for line in lines if line.endswith(" commit")]


@dataclass
class NewHistory:
    """A Source over the blobs introduced by commits reachable from `tips` but not
    from `scanned` (each blob once, attributed to its oldest new commit)."""

    git: SafeGit
    url: str
    tips: tuple[str, ...]
    scanned: tuple[str, ...]
    max_file_size: int
    exclude: tuple[str, ...] = ()
    blobs_read: int = field(default=0, init=False)
    bytes_read: int = field(default=0, init=False)
    commits: int = field(default=0, init=False)
    exhausted: bool = field(default=False, init=False)
    """Every blob was handed out: the scan did not stop before the end of the walk."""

    @property
    def roots(self) -> tuple[str, ...]:
        return (self.url,)

    def events(self) -> Iterator[SourceEvent]:
        yield from self._events()
        self.exhausted = True

    def _events(self) -> Iterator[SourceEvent]:
        if not self.tips:
            return
        inventory = self._inventory()
        self.commits = len(inventory.commits)
        for message in inventory.errors:
            yield ScanWarning(self.url, message)
        yield from (Skipped(p, SkipReason.SUBMODULE) for p in sorted(inventory.submodules))
        yield from (Skipped(p, SkipReason.EXCLUDED) for p in sorted(inventory.excluded))
        yield from (Skipped(s, SkipReason.SYMLINK) for s in sorted(inventory.symlinks))
        yield from self._items(inventory, gitlog.head_paths(self.git))
        yield from self._messages(inventory)

    def _inventory(self) -> gitlog.Inventory:
        walk = (*self.tips, "--not", *self.scanned) if self.scanned else self.tips
        inventory = gitlog.log_inventory(self.git, walk, (), PathMatcher(self.exclude))
        inventory.tags.extend(gitlog.annotated_tags(self.git))  # all: a new tag may name an
        # old commit, and the positions recorded are peeled commits, not tag objects
        return inventory

    def _messages(self, inventory: gitlog.Inventory) -> Iterator[SourceEvent]:
        """The new commits' messages and the annotated tags on them (`gitmessages`),
        each place naming the repository."""
        from scanner.sources import gitmessages
        from scanner.sources.gitnul import holding_nul

        read = partial(read_blobs, self.git)  # asks git nothing for no ids
        holding = partial(holding_nul, self.git)
        for event in gitmessages.events(inventory, SourceKind.GIT, read, holding):
            yield (
                replace(event, origin=self._named(event.origin))
                if isinstance(event, Item)
                else event
            )

    def _items(
        self, inventory: gitlog.Inventory, at_head: dict[str, set[str]]
    ) -> Iterator[SourceEvent]:
        for blob in read_blobs(self.git, reading_order(inventory), self.max_file_size):
            path = inventory.blobs[blob.sha][0]
            if blob.machine:  # over the limit, machine code or media: as a smaller binary
                yield Skipped(path, SkipReason.BINARY)
                continue
            if blob.problem is not None:
                if blob.too_large:
                    yield Skipped(path, SkipReason.TOO_LARGE)
                yield ScanWarning(path, f"{blob.problem} (blob {blob.sha})")
                continue
            self.blobs_read += 1
            self.bytes_read += blob.size
            origin = self._named(blob_origin(inventory, blob.sha, SourceKind.GIT, at_head))
            yield Item(origin=origin, data=blob.data, blob_id=blob.sha, size=blob.size)

    def _named(self, origin: Origin) -> Origin:
        """Every place of the blob names the repository it came from."""
        also = tuple(replace(o, repository=self.url) for o in origin.also)
        return replace(origin, repository=self.url, also=also)
