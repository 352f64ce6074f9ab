"""An exclude or allowlist glob hides only what git's reading of it names.

pathspec read some globs differently from git, and each difference made an
`--exclude`, `--allow-path` or config glob name a path git does not: a finding
there was hidden and the gate went green without scanning it. Each case here is
a real token in a real file that git's own `check-ignore` does not name with the
glob; the real console script, told to exclude (or allow) that glob, must report
it, in a folder and in a history.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from support import commit, keysweep_with_token_rule, token

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file names with any byte")

HIDDEN_BEFORE = [
    ("a[!x]c", "a/c/settings.env"),  # `[!x]` took the slash
    ("a[+-0]c", "a/c/settings.env"),  # a range over `/`
    ("secret[\\.]txt", "secret\\txt"),  # a backslash in brackets escapes, to git
    ("[a\\]b]settings.env", "\\b]settings.env"),
    ("notes\t", "notes"),  # a trailing tab is part of the glob
    ("notes\f", "notes"),
    ("caf?.env", "café.env"),  # `?` is one byte, `é` two
]
"""(glob, a file the glob hid from the scan though git does not name it)."""


def _not_named_by_git(repo: Path, glob: str, path: str) -> None:
    (repo / ".gitignore").write_bytes(os.fsencode(glob) + b"\n")
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", "-q", "--", path], cwd=repo, check=False
    )
    (repo / ".gitignore").unlink()
    assert done.returncode == 1, f"git names {path!r} with {glob!r}"


def _with_tokens(repo: Path, paths: list[str]) -> Path:
    """`repo` with a fresh token in a file at each path."""
    for path in paths:
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text(f"TOKEN={token()}\n")
    return repo


def _findings(cwd: Path, tmp_path: Path, *args: str) -> list[Any]:
    report = tmp_path / "report.json"
    code, said = keysweep_with_token_rule(
        cwd, tmp_path, *args, "--format", "json", "-o", str(report)
    )
    assert code == 1, said
    return [f["path"] for f in json.loads(report.read_text())["findings"]]


@pytest.mark.parametrize(("glob", "path"), HIDDEN_BEFORE)
def test_an_excluded_glob_no_longer_hides_what_git_does_not_name(
    tmp_path: Path, make_repo: Any, glob: str, path: str
) -> None:
    repo = _with_tokens(make_repo(), [path])
    _not_named_by_git(repo, glob, path)
    assert _findings(repo, tmp_path, "scan", ".", "--no-git-history", "--exclude", glob) == [path]


@pytest.mark.parametrize(("glob", "path"), HIDDEN_BEFORE[:3])
def test_an_allowlisted_glob_in_a_config_file_no_longer_hides_it(
    tmp_path: Path, make_repo: Any, glob: str, path: str
) -> None:
    repo = _with_tokens(make_repo(), [path])
    (repo / ".keysweep.yaml").write_text(f"allow_paths: [{json.dumps(glob)}, 'docs/**']\n")
    assert _findings(repo, tmp_path, "scan", ".", "--no-git-history") == [path]


def test_a_history_scan_no_longer_skips_what_git_does_not_name(
    tmp_path: Path, make_repo: Any
) -> None:
    repo: Path = make_repo()
    commit(repo, {path: f"TOKEN={token()}\n" for _, path in HIDDEN_BEFORE})
    hidden = {path for _, path in HIDDEN_BEFORE}
    for glob, _ in HIDDEN_BEFORE:
        assert set(_findings(repo, tmp_path, "git", ".", "--exclude", glob)) == hidden, glob


def test_a_glob_still_hides_what_git_names(tmp_path: Path, make_repo: Any) -> None:
    """The same globs, read as git reads them, still exclude what they name."""
    kept, named = "keep/settings.env", ["abc/s.env", "a,c/s.env", "secret.txt", "]s.env"]
    repo = _with_tokens(make_repo(), [kept, *named, "notes\t"])
    globs = ["a[!x]c", "a[+-0]c", "secret[\\.]txt", "[a\\]b]s.env", "notes\t"]
    excluded = [arg for glob in globs for arg in ("--exclude", glob)]
    assert _findings(repo, tmp_path, "scan", ".", "--no-git-history", *excluded) == [kept]
