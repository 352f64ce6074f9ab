"""The key behind the report's secret hashes never comes from what is scanned, and
a key file is read only when it is a small regular file nobody else may write.

A repository's own config naming `hash_key_file` would hash the report's secrets
with a key its author knows (committed beside them), or make the key id vouch for
a file outside the tree; a FIFO hung the scan and `/dev/zero` exhausted memory.
Each case runs the real CLI (`python -m scanner`) on a real git repository with a
token made at test time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import commit, git, token_repo

REFUSED = "a repository's config may not set hash_key_file"


def _keysweep(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of the console script's entry point."""
    done = subprocess.run(
        [sys.executable, "-m", "scanner", *args],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,  # a guard against the hang this file is about, not a measure
    )
    return done.returncode, done.stdout, done.stderr


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository with a committed token and a rule file beside it (not in it)."""
    return token_repo(tmp_path)


def _scan(repo: Path, *extra: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    rules = str(repo.parent / "rules.yaml")
    args = ("scan", ".", "--rules", rules, "--no-builtin-rules", "-j", "1", *extra)
    return _keysweep(repo, *args, env=env)


def _one_line(err: str) -> str:
    [line] = err.strip().splitlines()
    return line


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("form", ["yaml", "pyproject"])
def test_a_repository_config_naming_a_committed_key_is_refused(
    repo: Path, form: str, strict: bool
) -> None:
    known = b"public-key-known-to-everyone-0123456789"
    setting = "hash_key_file = 'hk.bin'" if form == "pyproject" else "hash_key_file: hk.bin"
    name = "pyproject.toml" if form == "pyproject" else ".keysweep.yaml"
    text = f"[tool.keysweep]\n{setting}\n" if form == "pyproject" else f"{setting}\n"
    commit(repo, {"hk.bin": known + b"\n", name: text})
    code, out, err = _scan(repo, "--format", "json", *(["--strict-config"] if strict else []))
    assert code == 2
    line = _one_line(err)
    assert line.startswith(f"keysweep: error: {repo / name}: {REFUSED}")
    assert out == ""  # no report, so no hash made under the known key


def test_the_refusal_leaves_no_hash_a_known_key_confirms(repo: Path) -> None:
    """With the config gone, the same secret is hashed under the installation key:
    the committed key does not confirm it."""
    known = b"public-key-known-to-everyone-0123456789"
    commit(repo, {"hk.bin": known + b"\n", ".keysweep.yaml": "hash_key_file: hk.bin\n"})
    assert _scan(repo)[0] == 2
    git(repo, "rm", "-q", ".keysweep.yaml")
    code, out, _ = _scan(repo, "--format", "json")
    assert code == 1
    report = json.loads(out)
    assert report["summary"]["secret_hash"]["key"] == "installation"
    secret = (repo / "app.env").read_text().split("=", 1)[1].strip()
    [finding] = report["findings"]
    guess = hmac.new(known, b"secret\0" + secret.encode(), hashlib.sha256).hexdigest()
    assert finding["secret"]["hash"] != guess


@pytest.mark.parametrize("target", ["fifo", "/dev/zero", "/etc/hostname"])
def test_a_repository_config_may_not_point_the_key_anywhere(repo: Path, target: str) -> None:
    if target == "fifo":
        os.mkfifo(repo / "hk")
        target = "hk"
    (repo / ".keysweep.yaml").write_text(f"hash_key_file: {target}\n")
    for strict in ((), ("--strict-config",)):
        code, out, err = _scan(repo, *strict)
        assert code == 2, err
        assert REFUSED in _one_line(err) and out == ""


def _user_config(tmp_path: Path, key_file: Path | str) -> Path:
    """A config the operator names with --config (outside the repository)."""
    config = tmp_path / "operator.yaml"
    config.write_text(f"hash_key_file: {key_file}\n")
    return config


def test_an_operator_key_file_that_is_a_fifo_is_a_one_line_error(
    repo: Path, tmp_path: Path
) -> None:
    fifo = tmp_path / "key.fifo"
    os.mkfifo(fifo)
    code, out, err = _scan(repo, "--config", str(_user_config(tmp_path, fifo)))
    assert code == 2
    assert _one_line(err) == (
        f"keysweep: error: {fifo}: cannot use it as the hash key: not a regular file"
    )
    assert out == ""


def test_an_operator_key_file_that_is_dev_zero_is_a_one_line_error(
    repo: Path, tmp_path: Path
) -> None:
    code, _, err = _scan(repo, "--config", str(_user_config(tmp_path, "/dev/zero")))
    assert code == 2
    assert _one_line(err) == (
        "keysweep: error: /dev/zero: cannot use it as the hash key: not a regular file"
    )


def test_an_oversized_key_file_is_a_one_line_error(repo: Path, tmp_path: Path) -> None:
    key = tmp_path / "big.key"
    key.write_bytes(os.urandom(3000).hex().encode())
    key.chmod(0o600)
    code, _, err = _scan(repo, "--config", str(_user_config(tmp_path, key)))
    assert code == 2
    assert _one_line(err) == (
        f"keysweep: error: {key}: cannot use it as the hash key: larger than 4096 bytes"
    )


@pytest.mark.parametrize("mode", [0o620, 0o602, 0o666])
def test_a_key_file_others_may_write_is_a_one_line_error(
    repo: Path, tmp_path: Path, mode: int
) -> None:
    key = tmp_path / "org.key"
    key.write_text(os.urandom(32).hex() + "\n")
    key.chmod(mode)
    code, _, err = _scan(repo, "--config", str(_user_config(tmp_path, key)))
    assert code == 2
    line = _one_line(err)
    assert line.startswith(f"keysweep: error: {key}: cannot use it as the hash key: ")
    assert "other users may write it" in line


def test_a_private_key_file_read_through_a_symlink_keys_the_hashes(
    repo: Path, tmp_path: Path
) -> None:
    """A mounted secret (a Kubernetes volume) is a symlink to a file only the owner
    or root may write, readable by others: taken, and it hashes as the same key
    given in the environment does."""
    key = os.urandom(32).hex()
    real = tmp_path / "mounted" / "org.key"
    real.parent.mkdir()
    real.write_text(key + "\n")
    real.chmod(0o644)
    link = tmp_path / "org.key"
    link.symlink_to(real)
    code, from_file, err = _scan(
        repo, "--format", "json", "--config", str(_user_config(tmp_path, link))
    )
    assert code == 1, err
    _, from_env, _ = _scan(repo, "--format", "json", env={"KEYSWEEP_HASH_KEY": key})
    first, second = json.loads(from_file), json.loads(from_env)
    assert first["summary"]["secret_hash"]["key"] == "config"
    assert first["summary"]["secret_hash"]["key_id"] == second["summary"]["secret_hash"]["key_id"]
    assert first["findings"][0]["secret"]["hash"] == second["findings"][0]["secret"]["hash"]


def test_a_fifo_where_the_installation_key_lives_falls_back_to_scrypt(
    repo: Path, tmp_path: Path
) -> None:
    """The installation key is read the same way: a FIFO planted under its name
    neither hangs the scan nor becomes a key; the scan hashes with scrypt."""
    home = tmp_path / "xdg"
    (home / "keysweep").mkdir(parents=True)
    os.mkfifo(home / "keysweep" / "hash-key")
    code, out, err = _scan(repo, "--format", "json", env={"XDG_CONFIG_HOME": str(home)})
    assert code == 1, err
    assert json.loads(out)["summary"]["secret_hash"]["scheme"] == "scrypt"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs chown")
def test_a_key_file_of_another_user_is_a_one_line_error(repo: Path, tmp_path: Path) -> None:
    key = tmp_path / "org.key"
    key.write_text(os.urandom(32).hex() + "\n")
    key.chmod(0o600)
    os.chown(key, 4242, -1)
    code, _, err = _scan(repo, "--config", str(_user_config(tmp_path, key)))
    assert code == 2
    assert _one_line(err) == (
        f"keysweep: error: {key}: cannot use it as the hash key: it belongs to another user"
    )
