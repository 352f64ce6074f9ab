"""Grouping findings of one secret gives the same finding whatever order the
items' results arrived in (a pool merges them as workers finish)."""

from __future__ import annotations

import secrets
import string

from scanner.config import Config
from scanner.model import Item, Origin, SourceKind
from scanner.pipeline import scan
from scanner.sources.memory import MemorySource


def _version(commit: str, date: str, text: str) -> Item:
    origin = Origin("app/db.py", SourceKind.GIT, commit=commit, date=date, at_head=False)
    data = text.encode()
    return Item(origin=origin, data=data, blob_id=commit, size=len(data))


def test_one_secret_in_two_versions_of_a_file_reads_the_same_in_any_order() -> None:
    password = "".join(secrets.choice(string.ascii_letters) for _ in range(14)) + "7!"
    older = _version(
        "1" * 40,
        "2020-01-01T00:00:00+00:00",
        f'def connect():\n    password = "{password}"\n    username = "joe"\n',
    )
    newer = _version(
        "2" * 40,
        "2021-01-01T00:00:00+00:00",
        f'def connect():\n    password = "{password}"\n    return login(password)\n',
    )
    config = Config(detectors=("python",), jobs=1)
    reports = [scan(config, [MemorySource(items)]) for items in ((older, newer), (newer, older))]
    first, second = ([(f.id, f.origin, f.facts, f.locations) for f in r.findings] for r in reports)
    assert first == second
    ((_, origin, facts, _),) = first  # one place: the same line of two versions
    assert origin.commit == "1" * 40  # the oldest sighting is primary, and gives the facts
    assert facts.get("username") == "joe"


def test_commits_of_one_date_name_the_same_commit_in_any_order() -> None:
    """Scripted commits and rebases share a date: the place a finding names must
    not depend on which worker's result arrived first."""
    password = "".join(secrets.choice(string.ascii_letters) for _ in range(14)) + "7!"
    date = "2022-05-05T12:00:00+00:00"
    versions = [
        _version(c * 40, date, f'def connect():\n    password = "{password}"\n    x = {n}\n')
        for n, c in enumerate("a3f")
    ]
    config = Config(detectors=("python",), jobs=1)
    named = {
        scan(config, [MemorySource(order)]).findings[0].origin.commit
        for order in (versions, versions[::-1], versions[1:] + versions[:1])
    }
    assert named == {"3" * 40}
