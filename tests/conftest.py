"""Shared fixtures: real git repositories and real keys, made at test time, and a
test session that writes nothing outside its own temporary folders (git config,
the secret-hash key, the compiled-rules cache).

Each test folder puts fixtures of its own in tests/<folder>/conftest.py; plain
functions shared across folders live in tests/support.py."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import support
from hypothesis import settings
from support import git

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.test",
    "GIT_COMMITTER_NAME": "Test Committer",
    "GIT_COMMITTER_EMAIL": "committer@example.test",
    "GIT_CONFIG_NOSYSTEM": "1",
    "GIT_TERMINAL_PROMPT": "0",
}


@pytest.fixture(autouse=True)
def _isolated_git(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """A fixed identity and an empty global config and template dir for every test."""
    home = tmp_path_factory.mktemp("gitglobal")
    (home / ".gitconfig").write_text("[init]\n\tdefaultBranch = main\n")
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
    monkeypatch.setenv("GIT_TEMPLATE_DIR", str(tmp_path_factory.mktemp("gittemplate")))


@pytest.fixture(autouse=True, scope="session")
def _isolated_hash_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The installation's secret-hash key lives in a folder of the test session's own,
    and no organisation key leaks in from the environment running the tests.
    Session-scoped, so module-scoped fixtures that run keysweep are covered too."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("XDG_CONFIG_HOME", str(tmp_path_factory.mktemp("xdg-config")))
        patch.delenv("KEYSWEEP_HASH_KEY", raising=False)
        patch.delenv("KEYSWEEP_HASH_FALLBACK", raising=False)
        yield


# Property tests draw the same examples on every run unless asked to explore: a
# rare draw that fails must not stop a landing at random, and a failure must be
# the same on a rerun. HYPOTHESIS_PROFILE=explore draws fresh examples (and keeps
# failing ones in .hypothesis/) for local bug hunting.
settings.register_profile("derandomized", derandomize=True, database=None, print_blob=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "derandomized"))


CACHE_DIR = pytest.StashKey[tuple[str, str | None]]()


def pytest_configure(config: pytest.Config) -> None:
    """Compiled rules are cached in a folder of the test session's own, never in the
    user's ~/.cache. Set here, before collection, because some test modules load the
    rules when imported; subprocesses running keysweep inherit the variable."""
    folder = tempfile.mkdtemp(prefix="keysweep-test-cache-")
    config.stash[CACHE_DIR] = (folder, os.environ.get("KEYSWEEP_CACHE_DIR"))
    os.environ["KEYSWEEP_CACHE_DIR"] = folder


def pytest_unconfigure(config: pytest.Config) -> None:
    folder, before = config.stash[CACHE_DIR]
    if before is None:
        os.environ.pop("KEYSWEEP_CACHE_DIR", None)
    else:
        os.environ["KEYSWEEP_CACHE_DIR"] = before
    shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def make_repo(tmp_path: Path) -> Callable[..., Path]:
    """make_repo(name='repo', bare=False) → a fresh `git init` repository."""

    def _make(name: str = "repo", bare: bool = False) -> Path:
        path = tmp_path / name
        path.mkdir()
        git(path, "init", "-q", *(["--bare"] if bare else []))
        return path

    return _make


@pytest.fixture(scope="session")
def rsa_pem() -> bytes:
    """A 2048-bit RSA private key, PKCS#1 PEM, generated for this test session."""
    return support.rsa_pem()


def pytest_make_parametrize_id(config: pytest.Config, val: object, argname: str) -> str | None:
    """Stable ids for byte strings (random test bytes would differ between xdist workers)."""
    if isinstance(val, bytes) and (len(val) > 40 or not val.isascii() or not val.isalnum()):
        return f"{argname}-{len(val)}bytes"
    return None
