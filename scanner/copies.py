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

Such copies are scanned again after the run, where they are (`again`): their
findings join the first copy's by secret (`findings.group_findings`), each
place judged by its own path. Every other copy is left out, as before.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

from scanner.findings import places_of
from scanner.model import Finding, Item, Origin

Place = tuple[str, str | None, str, str | None]
"""What names one copy of a blob (`_place`)."""


class First(NamedTuple):
    """What is kept of a blob's first copy: a few strings, not its `Origin` (a
    sweep of a home folder meets hundreds of thousands of blobs)."""

    place: Place
    paths: tuple[tuple[str, int], ...]
    """Each place's display path, and where its path inside the repository starts."""


class Copies:
    """The first place of each blob handed out, and the places met after it."""

    def __init__(self, allowed: Callable[[str], bool]) -> None:
        self.allowed = allowed
        """Whether the path allowlist covers a (display) path."""
        self.first: dict[str, First] = {}
        self.later: dict[str, list[Item]] = {}

    def note_first(self, blob: str, origin: Origin) -> None:
        places = places_of(origin)
        self.first[blob] = First(_place(origin), tuple((p.path, p.context_from) for p in places))

    def met_again(self, blob: str, copy: Item) -> bool:
        """Note a later copy of `blob`; True when it is to be scanned now: its bytes
        came with it (keeping them would hold a whole second history in memory)
        and it lies at a path no place of the first copy has. A copy a store can
        read again is kept for `again`."""
        if copy.data is None:
            if copy.store is not None:
                self.later.setdefault(blob, []).append(copy)
            return False
        return self._judged_apart(copy.origin, self.first.get(blob))

    def again(self, findings: Sequence[Finding]) -> list[Item]:
        """The later copies to scan where they are: those of blobs whose first
        copy has a finding, and those at a path no place of the first copy has."""
        if not self.later:
            return []
        found = _found_blobs(self.first, self.later, findings)
        return [
            copy
            for blob, copies in self.later.items()
            for copy in copies
            if blob in found or self._judged_apart(copy.origin, self.first.get(blob))
        ]

    def _judged_apart(self, copy: Origin, first: First | None) -> bool:
        """Whether the copy's places could be read otherwise than the first copy's:
        another path inside the repository, or outside an allowlist that covers one
        of the first copy's places."""
        if first is None:
            return True
        places = [(p.path, p.context_from) for p in places_of(copy)]
        if not _inner(places) <= _inner(first.paths):
            return True
        allowed = self.allowed
        return any(allowed(p) for p, _ in first.paths) and not all(allowed(p) for p, _ in places)


def _found_blobs(
    first: dict[str, First], later: dict[str, list[Item]], findings: Sequence[Finding]
) -> set[str]:
    """Blobs met again whose first copy holds a finding (at its primary place)."""
    by_place = {first[blob].place: blob for blob in later if blob in first}
    return {blob for f in findings if (blob := by_place.get(_place(f.origin))) is not None}


def _place(origin: Origin) -> Place:
    """What names one copy of a blob: a repository holds one blob at a path of a
    commit (or of the index). Archive members are left out: a finding inside an
    archive is a finding of the archive's blob."""
    return (origin.source.value, origin.repository, origin.path, origin.commit)


def _inner(paths: Sequence[tuple[str, int]]) -> set[str]:
    """The paths of a blob's places inside their repository."""
    return {path[start:] for path, start in paths}
