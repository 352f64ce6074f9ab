"""Copies of one git blob met in several places of one run, and which of them
must be scanned where they are.

A blob that several clones (or a clone and its backup bundle) share is read
once for the whole run: the first copy handed out is scanned, and the sources
send the others only as places (items that name the blob and its store, with
no bytes). Reading each copy again would double a sweep of a home folder that
holds two clones of one project. But a copy is not always the same finding:

- a copy of a blob in which something was found is another place of that
  secret. If it were dropped, a token committed under `deploy/prod.env` in one
  clone and under `tests/fixture.env` in another would be reported only at the
  test path, with the test context, and the gate would pass;
- a copy at another path than every place of the first copy may be read
  differently: key-file rules and allowlists go by path, detectors and decoders
  by file name, the context by folder;
- a copy outside the path allowlist, of a blob whose first copy the allowlist
  covered (a project's `tests/` allowed, the same file in another clone not).

A copy that may be read otherwise is scanned at once, where it is; a copy read
as the first copy is kept (its place, not its bytes) and scanned after the run
only if the first copy holds a finding (`again`). Their findings join the first
copy's by secret (`findings.group_findings`), each place judged by its own path.
Every other copy is left out, as before.
"""

from __future__ import annotations

from collections.abc import Sequence

from scanner.findings import places_of
from scanner.model import Finding, Item, Origin
from scanner.suppress import PathMatcher

Place = tuple[str, str | None, str, str | None]
"""What names one copy of a blob (`_place`)."""
First = tuple[str, str | None, str, str | None, int, tuple[Origin, ...]]
"""What is kept of a blob's first copy: its place, where its path inside the
repository starts, and its other places (nearly always none). A tuple of the
strings its `Origin` holds, not the `Origin` (a history scan of a folder meets
hundreds of thousands of blobs): about 170 bytes a blob."""


class Copies:
    """The first place of each blob handed out, and the places met after it."""

    def __init__(self, allow_paths: Sequence[str]) -> None:
        self.allow_paths = allow_paths
        """The path allowlist's globs, compiled only once a copy is met (`_allowed`)."""
        self._allowed: PathMatcher | None = None
        self.first: dict[str, First] = {}
        self.later: dict[str, list[Item]] = {}

    def note_first(self, blob: str, origin: Origin) -> None:
        self.first[blob] = (*_place(origin), origin.context_from, origin.also)

    def met_again(self, blob: str, copy: Item) -> bool:
        """Note a later copy of `blob`; True when it is to be scanned now, where it
        is: it may be read otherwise than the first copy (`_judged_apart`), and its
        bytes came with it or a store can read them. A copy a store can read
        again that is read as the first copy is kept for `again` (keeping its
        bytes instead could hold a whole second history in memory)."""
        apart = self._judged_apart(copy.origin, self.first.get(blob))
        if copy.data is None and copy.store is not None and not apart:
            self.later.setdefault(blob, []).append(copy)  # wanted only if it holds a finding
        return apart and (copy.data is not None or copy.store is not None)

    def again(self, findings: Sequence[Finding]) -> list[Item]:
        """The later copies kept to scan where they are: those of blobs whose
        first copy has a finding."""
        if not self.later:
            return []
        found = _found_blobs(self.first, self.later, findings)
        return [copy for blob, copies in self.later.items() if blob in found for copy in copies]

    def _judged_apart(self, copy: Origin, first: First | None) -> bool:
        """Whether the copy's places could be read otherwise than the first copy's:
        another path inside the repository, or outside an allowlist that covers one
        of the first copy's places."""
        if first is None:
            return True
        mine = [(p.path, p.context_from) for p in places_of(copy)]
        theirs = _paths(first)
        if not _inner(mine) <= _inner(theirs):
            return True
        if self._allowed is None:
            self._allowed = PathMatcher(self.allow_paths)
        allowed = self._allowed.matches
        return any(allowed(p) for p, _ in theirs) and not all(allowed(p) for p, _ in mine)


def _found_blobs(
    first: dict[str, First], later: dict[str, list[Item]], findings: Sequence[Finding]
) -> set[str]:
    """Blobs met again whose first copy holds a finding (at its primary place)."""
    by_place = {first[blob][:4]: blob for blob in later if blob in first}
    return {blob for f in findings if (blob := by_place.get(_place(f.origin))) is not None}


def _place(origin: Origin) -> Place:
    """What names one copy of a blob: a repository holds one blob at a path of a
    commit (or of the index). Archive members are left out: a finding inside an
    archive is a finding of the archive's blob."""
    return (origin.source.value, origin.repository, origin.path, origin.commit)


def _paths(first: First) -> list[tuple[str, int]]:
    """Each place of a first copy: its display path, and where its path inside
    the repository starts."""
    *_, path, _commit, start, also = first
    return [(path, start), *((p.path, p.context_from) for p in also)]


def _inner(paths: Sequence[tuple[str, int]]) -> set[str]:
    """The paths of a blob's places inside their repository."""
    return {path[start:] for path, start in paths}
