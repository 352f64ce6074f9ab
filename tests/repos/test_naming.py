"""How `keysweep repos remove|scan NAME` picks repositories, with the real CLI on
a real PostgreSQL: digits that are no usable id ("²", more than a 64-bit integer,
thousands of digits) are only a name, so naming nothing is exit 2 with one line,
never a crash; and a URL or name match wins over an id, so a repository named
"5" is never hidden by the one with id 5."""

from __future__ import annotations

import json

import pytest

from .conftest import keysweep

pytestmark = pytest.mark.postgres

BASE = "https://git.example.test/acme"


def _listed(db: str) -> dict[int, str]:
    code, out = keysweep("repos", "list", "--db", db, "--format", "json")
    assert code == 0, out
    return {r["id"]: r["url"] for r in json.loads(out)}


@pytest.mark.parametrize("command", ["remove", "scan"])
def test_digits_that_are_no_id_name_nothing(pg_db: str, command: str) -> None:
    code, out = keysweep("repos", "add", f"{BASE}/app.git", "--db", pg_db)
    assert code == 0, out
    for name in ("²", "٣", "99999999999999999999999", "9223372036854775808", "7" * 5000):
        code, out = keysweep("repos", command, name, "--db", pg_db)
        assert code == 2, out
        assert len(out.strip().splitlines()) == 1 and "no such repository" in out
    assert list(_listed(pg_db).values()) == [f"{BASE}/app.git"]


def test_a_name_match_wins_over_an_id(pg_db: str) -> None:
    urls = [f"{BASE}/{name}.git" for name in ("a", "b", "c", "d", "e", "5")]
    for url in urls:  # one at a time: ids in this order
        assert keysweep("repos", "add", url, "--db", pg_db)[0] == 0
    ids = {url: repo_id for repo_id, url in _listed(pg_db).items()}
    by_id = next(url for url, repo_id in ids.items() if repo_id == 5)
    assert by_id != f"{BASE}/5.git"
    code, out = keysweep("repos", "remove", "5", "--db", pg_db)
    assert code == 0, out
    assert out.splitlines()[0] == f"{ids[f'{BASE}/5.git']}  {BASE}/5.git  removed"
    # nothing is named "5" any more: now it is the id
    code, out = keysweep("repos", "remove", "5", "--db", pg_db)
    assert code == 0, out
    assert out.splitlines()[0] == f"5  {by_id}  removed"
    assert sorted(_listed(pg_db).values()) == sorted(set(urls) - {f"{BASE}/5.git", by_id})
