"""What the pre-commit paths import: the real CLI, run as a hook runs it, on a real
repository with three staged files, must leave the heavy modules unimported.

A commit waits for the hook every time, and most of its time is imports; a
module-level import added anywhere on these paths would bring the cost back
without failing anything else. The CLI runs in a fresh interpreter (through its
entry point, `scanner.cli.main`) which then prints the names in `sys.modules`.
The second run is the one checked: the first fills the rules cache (a cold
cache reads the YAML rule files, which needs PyYAML).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import git

WRAPPER = """
import json, sys
from scanner.cli import main
sys.argv = ["keysweep", *sys.argv[1:]]
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.stderr)
"""

NEVER_ON_THE_HOOK_PATH = (
    "git",  # gitpython: git plumbing runs through scanner.sources.gitsafe
    "libcst",  # only when the Python detector really parses a statement
    "yaml",  # only when rule files, configs or baselines in YAML are read
    "tomllib",
    "multiprocessing",  # no worker pool for a handful of inputs
    "concurrent.futures",
    "ctypes",
    "cryptography",  # only when key material is analysed
    "detect_secrets",
    "jsonschema",
    "sqlalchemy",
    "exrex",
    "scanner.registry.loading",
    "scanner.keys.dispatch",
    "scanner.pairing",  # only for items with matches
    "scanner.engine.validators",
    "scanner.report.hints",  # only for a report with findings
    "pathspec",  # only for a path that a glob could name (scanner.suppress)
    "scanner.gitglob",  # with pathspec, or for a path with a line break or a non-ASCII byte
    "tarfile",  # only for an archive (scanner.sources.archives.budget)
    "lzma",
    "scanner.baseline",  # only with a baseline or a .gitleaksignore to load
    "scanner.compat.gitleaksignore",
    "scanner.exposure",  # only for a finding in a file others can read
)


def _run(repo: Path, cache: Path, *args: str) -> tuple[int, set[str], str]:
    """(exit code, imported modules, the report and stderr)."""
    env = {**os.environ, "KEYSWEEP_CACHE_DIR": str(cache)}
    env.pop("KEYSWEEP_DEBUG", None)
    done = subprocess.run(
        [sys.executable, "-c", WRAPPER, *args],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    last = done.stderr.strip().splitlines()[-1]
    found = json.loads(last)
    return int(found["code"]), set(found["modules"]), done.stdout + done.stderr


@pytest.fixture
def staged_repo(tmp_path: Path) -> Path:
    """A repository with one commit and three changed, staged Python files."""
    repo = tmp_path / "repo"
    (repo / "pkg").mkdir(parents=True)
    names = [f"pkg/mod{n}.py" for n in range(3)]
    for name in names:
        (repo / name).write_text("def f(x):\n    return x + 1\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "-c", "user.name=t", "-c", "user.email=t@example.test", "commit", "-qm", "init")
    for number, name in enumerate(names):
        (repo / name).write_text(f"def f(x):\n    return x + {number}\n\nLIMIT = 10\n")
    git(repo, "add", *names)
    return repo


@pytest.mark.parametrize(
    "args",
    [
        ("git", "--staged"),
        ("scan", "pkg/mod0.py", "pkg/mod1.py", "pkg/mod2.py"),
    ],
)
def test_the_hook_paths_leave_heavy_modules_unimported(
    staged_repo: Path, tmp_path: Path, args: tuple[str, ...]
) -> None:
    cache = tmp_path / "cache"
    first, _, output = _run(staged_repo, cache, *args)
    assert first == 0, output
    code, modules, output = _run(staged_repo, cache, *args)
    assert code == 0, output
    assert "0 findings" in output and "in 3 files" in output  # really scanned
    assert "scanner.engine.hyperscan_db" in modules or "hyperscan" not in modules
    loaded = [name for name in NEVER_ON_THE_HOOK_PATH if name in modules]
    assert loaded == []
