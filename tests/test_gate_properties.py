"""Properties of the gate on random inputs (hypothesis):

- adding detectors never lowers the severity at which any file is reported, and
  adding detect-secrets changes no id that keysweep's detectors gave;
- on a random git history, the full-history findings are exactly the union of
  the `--since` findings over its commits (same places, same ids), so a baseline
  made from the full history fits every `--since` gate.
"""

from __future__ import annotations

import itertools
import json
import secrets
import string
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import TOKEN_RULE, token
from support import git as _git

from scanner.cli import cli
from scanner.model import Severity

ALNUM = string.ascii_letters + string.digits


def _random(alphabet: str, size: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(size))


PLANTS: dict[str, Callable[[], str]] = {
    "token": lambda: f"API_TOKEN = '{token()}'",
    "aws": lambda: f"aws_secret_access_key = {_random(ALNUM + '/+', 40)}",
    "password": lambda: f'DB_PASSWORD = "{_random(ALNUM, 6)}!{_random(ALNUM, 6)}"',
    "generic": lambda: f"password: {_random(ALNUM, 10)}#{_random(ALNUM, 6)}",
    "entropy": lambda: f'blob = "{_random(ALNUM + "+/", 48)}"',
    "plain": lambda: "nothing = 'to see here'",
}
DETECTOR_SETS = (("rules",), ("rules", "python"), ("rules", "python", "detect-secrets"))

trees = st.lists(
    st.tuples(
        st.sampled_from(["app", "conf", "src/deep", "tests"]),
        st.sampled_from(["settings.py", "config.yaml", ".env", "notes.txt"]),
        st.lists(st.sampled_from(sorted(PLANTS)), min_size=1, max_size=4),
    ),
    min_size=1,
    max_size=5,
)


def _scan(*args: str) -> dict[str, Any]:
    result = CliRunner().invoke(cli, [*args, "--format", "json", "-j", "1"])
    assert result.exit_code in (0, 1), result.output
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _severity_by_path(report: dict[str, Any]) -> dict[str, int]:
    worst: dict[str, int] = {}
    for finding in report["findings"]:
        level = int(Severity.parse(finding["severity"]))
        for place in finding["locations"]:
            worst[place["path"]] = max(worst.get(place["path"], 0), level)
    return worst


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees)
def test_adding_detectors_never_lowers_a_severity(tree: list[tuple[str, str, list[str]]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for directory, name, plants in tree:
            target = root / directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("a") as handle:
                handle.writelines(PLANTS[p]() + "\n" for p in plants)
        reports = [
            _scan("scan", folder, *(f"--detector={d}" for d in detectors))
            for detectors in DETECTOR_SETS
        ]
    seen = [_severity_by_path(report) for report in reports]
    ids = [{p["id"] for f in r["findings"] for p in f["locations"]} for r in reports]
    assert ids[1] <= ids[2]  # adding detect-secrets renames nothing keysweep found
    for fewer, more in itertools.pairwise(seen):
        assert max(fewer.values(), default=0) <= max(more.values(), default=0)
        for path, level in fewer.items():
            assert more.get(path, 0) >= level, (path, fewer, more)


# --- history -----------------------------------------------------------------

PATHS = ["a.env", "b.env", "conf/c.env", "deploy/d.env"]
steps = st.lists(
    st.tuples(
        st.sampled_from(["add", "copy", "delete", "move"]),
        st.sampled_from(PATHS),
        st.sampled_from(PATHS),
        st.integers(min_value=0, max_value=2),
    ),
    min_size=1,
    max_size=6,
)


def _apply(repo: Path, step: tuple[str, str, str, int], tokens: list[str]) -> None:
    """One commit's change: add a secret, copy or move a file, or delete one."""
    action, path, other, which = step
    source, target = repo / path, repo / other
    if action == "add" or not source.exists():
        source.parent.mkdir(parents=True, exist_ok=True)
        source.write_text(f"TOKEN={tokens[which]}\n")
    elif action in ("copy", "move") and source != target:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(source.read_text())
        if action == "move":
            source.unlink()
    elif action == "delete":
        source.unlink()
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "--allow-empty", "-m", f"{action} {path}")


def _places(report: dict[str, Any]) -> set[tuple[str, str, str]]:
    return {
        (place["id"], place["rule"], place["path"])
        for finding in report["findings"]
        for place in finding["locations"]
    }


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=steps)
def test_full_history_is_the_union_of_since_scans(
    history: list[tuple[str, str, str, int]],
) -> None:
    tokens = [token() for _ in range(3)]
    with tempfile.TemporaryDirectory() as folder:
        repo = Path(folder) / "repo"
        rules = Path(folder) / "rules.yaml"
        rules.write_text(TOKEN_RULE)
        repo.mkdir()
        _git(repo, "init", "-q", "-b", "main")
        _git(repo, "commit", "-q", "--allow-empty", "-m", "start")
        for step in history:
            _apply(repo, step, tokens)
        commits = _git(repo, "rev-list", "--reverse", "HEAD").split()
        options = ("--no-builtin-rules", "--rules", str(rules))
        full = _places(_scan("git", str(repo), *options))
        union: set[tuple[str, str, str]] = set()
        for sha in commits[:-1]:
            union |= _places(_scan("git", str(repo), "--since", sha, *options))
    assert full == union
