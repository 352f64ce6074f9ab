"""Adding again after `repos remove`, with the real CLI on SQLite: a listing (a
folder of repositories, a file of URLs, a host's organisation) re-run as it is
leaves the removed repositories removed and says how many it skipped; a URL
named on the command line brings its row back."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from .conftest import keysweep


def _ok(*args: str | Path) -> str:
    code, out = keysweep(*args)
    assert code == 0, out
    return out.strip()


def _urls(db: str) -> list[str]:
    return [r["url"] for r in json.loads(_ok("repos", "list", "--db", db, "--format", "json"))]


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "git"
    for name in ("api", "web"):
        subprocess.run(["git", "init", "-q", str(folder / name)], check=True)
    return folder


def test_a_folder_added_again_skips_what_was_removed(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'inventory.db'}"
    folder = _folder(tmp_path)
    assert _ok("repos", "add", folder, "--db", db) == "2 repositories added, 0 already known"
    api, web = _urls(db)
    assert api.endswith("/api") and web.endswith("/web")
    _ok("repos", "remove", "api", "--db", db, "--cache", tmp_path / "cache")
    assert _ok("repos", "add", folder, "--db", db) == (
        "0 repositories added, 1 already known, 1 removed, skipped (add a URL to bring it back)"
    )
    assert _urls(db) == [web]
    removed = _ok("repos", "list", "--removed", "--db", db)
    assert removed.startswith(f"1  {api}  0 refs  removed 20") and len(removed.splitlines()) == 1
    listed = json.loads(_ok("repos", "add", folder, "--db", db, "--format", "json"))
    assert listed == {"added": 0, "known": 1, "skipped_removed": 1, "refused": []}
    # a file of URLs is a listing too
    urls = tmp_path / "urls.txt"
    urls.write_text(f"{api}\n{web}\n")
    assert _ok("repos", "add", urls, "--db", db).endswith(
        "1 removed, skipped (add a URL to bring it back)"
    )
    assert _urls(db) == [web]
    # named by URL: back
    assert _ok("repos", "add", api, "--db", db) == "1 repositories added, 0 already known"
    assert _urls(db) == [api, web]
    assert _ok("repos", "list", "--removed", "--db", db) == ""
    assert _ok("repos", "add", folder, "--db", db) == "0 repositories added, 2 already known"
