"""The Action and the documented CI recipes run as written: `action.yml`'s own
`run:` steps, as a shell script, install keysweep from this checkout and gate
generated repositories (pull requests, pushes, a branch-creation push, no
baseline yet); the recipes in docs/ci.md hold the same gate; and every place that
names a release tag names `v<version>`."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import sysconfig
import textwrap
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml
from compat.support import ALNUM, random_text
from support import git

from scanner import __version__

ROOT = Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
CI_DOCS = ROOT / "docs" / "ci.md"
ZERO = "0" * 40


def _steps() -> list[dict[str, object]]:
    steps: list[dict[str, object]] = yaml.safe_load(ACTION.read_text())["runs"]["steps"]
    return steps


def _gate_block() -> str:
    found = re.search(r"<!-- trusted-settings -->\n```sh\n(.*?)```", CI_DOCS.read_text(), re.S)
    assert found
    return found.group(1)


def test_action_and_recipes_hold_the_documented_gate() -> None:
    gate = _gate_block()
    runs = [str(s["run"]) for s in _steps() if "run" in s]
    assert runs[-1] == gate
    embedded = list(_embedded_gates(CI_DOCS.read_text()))
    assert len(embedded) == 2  # the plain GitHub steps and GitLab CI
    assert all(block == gate for block in embedded)


def _embedded_gates(docs: str) -> Iterator[str]:
    """The indented blocks that follow each `# the block from …` marker."""
    lines = docs.splitlines()
    for n, line in enumerate(lines):
        if line.endswith('# the block from "Settings from the target branch"'):
            first = lines[n + 1]
            indent = first[: len(first) - len(first.lstrip())]
            body = []
            for following in lines[n + 1 :]:
                if following.strip() and not following.startswith(indent):
                    break
                body.append(following)
            yield textwrap.dedent("\n".join(body)) + "\n"


def test_every_release_tag_is_v_version() -> None:
    tag = f"v{__version__}"
    texts = {p: (ROOT / p).read_text() for p in ("README.md", "docs/ci.md", "action.yml")}
    revs = [r for text in texts.values() for r in re.findall(r"^\s*rev: (\S+)", text, re.M)]
    pins = [p for text in texts.values() for p in re.findall(r"keysweep@(v[\w.]+)", text)]
    assert revs and pins
    assert set(revs) | set(pins) == {tag}
    assert "v<version>" in texts["docs/ci.md"]


# --- running the Action's steps ----------------------------------------------


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual environment whose only keysweep is what the Action's install
    step puts there (its dependencies come from the test environment, offline)."""
    venv = tmp_path_factory.mktemp("action") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = next((venv / "lib").glob("python*/site-packages"))
    (site / "test-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    step = next(s for s in _steps() if "Install" in str(s.get("name", "")))
    env = {**_env(venv), "PIP_NO_BUILD_ISOLATION": "0", "PIP_NO_INDEX": "1"}
    env.update(_substituted(step.get("env", {}), {"github.action_path": str(ROOT)}))  # type: ignore[arg-type]
    done = subprocess.run(
        ["bash", "-e", "-c", str(step["run"])], env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert (venv / "bin" / "keysweep").exists()
    return venv


def _env(venv: Path) -> dict[str, str]:
    keep = {
        k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "CI_", "KEYSWEEP_"))
    }
    return {**keep, "PATH": f"{venv / 'bin'}{os.pathsep}{keep['PATH']}", "VIRTUAL_ENV": str(venv)}


def _substituted(env: dict[str, str], values: dict[str, str]) -> dict[str, str]:
    """`${{ expr }}` replaced as GitHub would, from `values` (inputs take their defaults)."""
    defaults = {
        f"inputs.{k}": str(v.get("default", ""))
        for k, v in yaml.safe_load(ACTION.read_text())["inputs"].items()
    }
    table = {**defaults, **values}
    return {
        k: re.sub(r"\$\{\{\s*([\w.-]+)\s*\}\}", lambda m: table.get(m.group(1), ""), str(v))
        for k, v in env.items()
    }


@pytest.fixture
def gate(installed: Path) -> Callable[..., tuple[int, str]]:
    """Run the Action's gate step in a repository, as GitHub would (its rule cache
    shared by this module's runs, as a runner's home folder would be)."""
    step = _steps()[-2]
    assert step["name"] == "keysweep (what this change introduced)"

    def run(repo: Path, *, base_ref: str = "", before: str = "") -> tuple[int, str]:
        values = {"github.event.before": before, "github.event.repository.default_branch": "main"}
        env = {**_env(installed), **_substituted(step["env"], values)}  # type: ignore[arg-type]
        env.update(
            {"GITHUB_BASE_REF": base_ref, "KEYSWEEP_CACHE_DIR": str(installed.parent / "cache")}
        )
        done = subprocess.run(
            ["bash", "-e", "-c", str(step["run"])],
            cwd=repo,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        sarif = repo / "keysweep.sarif"
        return done.returncode, sarif.read_text() if sarif.exists() else done.stderr

    return run


@pytest.fixture
def repo(make_repo: Callable[..., Path]) -> Iterator[Path]:
    """main with one commit, published as origin/main; no baseline anywhere."""
    path = make_repo()
    (path / "README.md").write_text("service\n")
    (path / ".keysweep.yaml").write_text("fail_on: medium\n")
    _commit(path, "start")
    git(path, "update-ref", "refs/remotes/origin/main", "main")
    yield path


def _commit(repo: Path, message: str, files: dict[str, str] | None = None) -> str:
    for name, text in (files or {}).items():
        (repo / name).write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", message)
    return git(repo, "rev-parse", "HEAD").strip()


def _leak() -> dict[str, str]:
    return {"settings.py": f'AWS_SECRET_ACCESS_KEY = "{random_text(ALNUM, 40)}"\n'}


CLEAN = {"app.py": "print('hello')\n"}


@pytest.mark.slow
@pytest.mark.parametrize("leaked", [False, True])
def test_pull_request(gate: Callable[..., tuple[int, str]], repo: Path, leaked: bool) -> None:
    git(repo, "checkout", "-qb", "feature")
    _commit(repo, "change", _leak() if leaked else CLEAN)
    code, sarif = gate(repo, base_ref="main")
    assert code == (1 if leaked else 0), sarif
    assert ("settings.py" in sarif) is leaked


@pytest.mark.slow
@pytest.mark.parametrize("leaked", [False, True])
def test_push_to_main(gate: Callable[..., tuple[int, str]], repo: Path, leaked: bool) -> None:
    before = git(repo, "rev-parse", "HEAD").strip()
    _commit(repo, "change", _leak() if leaked else CLEAN)
    code, sarif = gate(repo, before=before)
    assert code == (1 if leaked else 0), sarif


@pytest.mark.slow
@pytest.mark.parametrize("leaked", [False, True])
def test_branch_creation_push(
    gate: Callable[..., tuple[int, str]], repo: Path, leaked: bool
) -> None:
    _commit(repo, "old leak, accepted long ago", _leak())  # in main's history: not this push's
    git(repo, "update-ref", "refs/remotes/origin/main", "main")
    git(repo, "checkout", "-qb", "topic")
    _commit(repo, "change", {"other.py": _leak()["settings.py"]} if leaked else CLEAN)
    code, sarif = gate(repo, before=ZERO)
    assert code == (1 if leaked else 0), sarif
    assert ("other.py" in sarif) is leaked and "settings.py" not in sarif


@pytest.mark.slow
def test_first_push_scans_the_whole_history(
    gate: Callable[..., tuple[int, str]], repo: Path
) -> None:
    _commit(repo, "leak", _leak())
    git(repo, "update-ref", "refs/remotes/origin/main", "main")  # the push being checked
    code, sarif = gate(repo, before=ZERO)
    assert code == 1 and "settings.py" in sarif
