"""Test helpers shared across folders (on sys.path through pytest's `pythonpath`):
git repositories, keys and tokens made at test time, a PostgreSQL database, and
the server's login form.
One home for each, so that every test makes them the same way."""

from __future__ import annotations

import os
import secrets
import string
import subprocess
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

TOKEN_RULE = """\
rules:
  - id: test.kswtest-token
    name: keysweep test token
    kind: credential
    severity: high
    keywords: ["kswtest_"]
    pattern: '(?P<secret>kswtest_[A-Za-z0-9]{32})'
    examples: ["kswtest_0123456789abcdefABCDEF0123456789"]
    negative_examples: ["kswtest_short"]
"""
"""A rule for a token format no built-in rule knows, so tests control every match."""


def git(repo: Path, *args: str) -> str:
    """Run git in `repo`; its standard output, stripped."""
    done = subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def commit(repo: Path, files: Mapping[str, str | bytes | None], message: str = "change") -> str:
    """Write (or, for None, delete) files and commit them with the git CLI; the commit id."""
    for name, content in files.items():
        if content is None:
            git(repo, "rm", "-q", name)
            continue
        path = repo / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content if isinstance(content, bytes) else content.encode())
        git(repo, "add", name)
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def token_repo(folder: Path, **files: str) -> Path:
    """`folder/repo`, a repository with one committed token (in `app.env`) and
    `files`, and the test rule for the token beside it, in `folder/rules.yaml`
    (not in the repository)."""
    (folder / "rules.yaml").write_text(TOKEN_RULE)
    path = folder / "repo"
    path.mkdir()
    git(path, "init", "-q")
    commit(path, {"app.env": f"TOKEN={token()}\n", **files})
    return path


def rsa_pem(bits: int = 2048) -> bytes:
    """A fresh RSA private key, PKCS#1 PEM, unencrypted."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )


def ec_pem() -> bytes:
    """A fresh P-256 private key, PKCS#8 PEM, unencrypted."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def token() -> str:
    """A fresh random token that TOKEN_RULE matches."""
    alphabet = string.ascii_letters + string.digits
    return "kswtest_" + "".join(secrets.choice(alphabet) for _ in range(32))


def password(length: int = 24) -> str:
    """A fresh password-like value that every credential rule keeps, by construction.

    Values drawn freely are placeholders or below an entropy floor now and then (one
    24-character `token_urlsafe` in a hundred: a camel-case shape, a repeated
    character, `abcd` or `test` by chance). Here the characters are distinct (entropy
    log2(length) bits: 3.17 at 9) and cycle upper, upper, digit, lower: never four
    letters or two digits in a row, so no word, keyboard or alphabet run (no `9`, so
    no `89ab`-style run across digits and letters either), no camel- or Pascal-case
    identifier, and no word at its start (it starts with two capitals and a digit).
    """
    assert 9 <= length <= 36
    rng = secrets.SystemRandom()
    pools = {
        "U": rng.sample(string.ascii_uppercase, 26),
        "l": rng.sample(string.ascii_lowercase, 26),
        "d": rng.sample("012345678", 9),
    }
    return "".join(pools[kind].pop() for kind in ("UUdl" * 9)[:length])


def aws_secret() -> str:
    """A fresh 40-character AWS secret access key that the rule keeps on every run:
    two `password` halves around a `/` (entropy above the rule's 4.0 floor; 40 free
    random characters fall below it, or spell `xxxx`, about once in 4 000)."""
    return f"{password(20)}/{password(19)}"


def checksummed(prefix: str) -> str:
    """A fresh GitHub- or npm-style token (`ghp_`, `npm_`, …) with a valid checksum."""
    from scanner.engine.validators import with_checksum

    alphabet = string.ascii_letters + string.digits
    return with_checksum(prefix, "".join(secrets.choice(alphabet) for _ in range(30)))


def pypi_token(location: bytes = b"pypi.org") -> str:
    """A fresh PyPI token: `pypi-` and a base64url binary (v2) macaroon."""
    import base64
    import json

    def field(kind: int, value: bytes) -> bytes:
        assert len(value) < 128
        return bytes([kind, len(value)]) + value

    identifier = json.dumps({"nonce": secrets.token_hex(16), "version": 1}).encode()
    caveat = json.dumps({"version": 1, "permissions": "user"}).encode()
    body = b"\x02" + field(1, location) + field(2, identifier) + b"\x00"
    body += field(2, caveat) + b"\x00\x00" + field(6, secrets.token_bytes(32))
    return "pypi-" + base64.urlsafe_b64encode(body).decode().rstrip("=")


def postgres_server() -> str:
    """The PostgreSQL server the tests may use (`.ci/postgres.sh`). Without one the
    test is skipped, except under CI, where it must run."""
    import os

    import pytest

    server = os.environ.get("KEYSWEEP_TEST_PG_URL")
    if server:
        return server
    if os.environ.get("CI") == "true":
        pytest.fail("CI=true but KEYSWEEP_TEST_PG_URL is not set (.ci/postgres.sh)")
    pytest.skip("KEYSWEEP_TEST_PG_URL is not set (source .ci/postgres.sh)")


def fresh_database(server: str, prefix: str = "keysweep_test") -> Iterator[str]:
    """A new, empty database on `server` for one test (dropped afterwards): its URL."""
    import uuid

    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def keysweep_with_token_rule(
    cwd: Path,
    tmp_path: Path,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
) -> tuple[int, str]:
    """The real console script in `cwd`, with only TOKEN_RULE as rules and one job,
    a cache under `tmp_path` and `env` added: (exit code, stdout + stderr)."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(TOKEN_RULE)
    full = {**os.environ, "KEYSWEEP_CACHE_DIR": str(tmp_path / "cache"), **(env or {})}
    full.pop("KEYSWEEP_DEBUG", None)
    keysweep = str(Path(sys.executable).with_name("keysweep"))
    argv = [keysweep, *args, "--no-builtin-rules", "--rules", str(rules), "-j", "1"]
    done = subprocess.run(argv, cwd=cwd, env=full, capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout + done.stderr


def login_form(client: httpx.Client) -> str:
    """Open the server's login form: its session cookie (kept in `client`) and
    the CSRF token the form carries."""
    import re

    page = client.get("/login")
    assert page.status_code == 200
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)
