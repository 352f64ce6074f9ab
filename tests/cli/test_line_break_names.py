"""A key file is found by its name even in a folder whose name holds a line break.

Binary key stores (DER keys, PKCS#12) are told from other files by their names,
through gitignore-style globs. A line break is an ordinary character in a git
path, so a repository must not be able to hide such a file in a folder named
`a<line break>b`. Real files, real keys made at test time, the real console
script with the built-in rules, in a folder and in a git history.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from support import commit

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file names with line breaks")

KEY_FILES = {
    "a\nb/id_ecdsa": "keyfile.ssh-private-key",
    "deploy\n/keys\r/store.p12": "keyfile.pkcs12",
}


def _key_files() -> dict[str, bytes]:
    """A DER private key and a PKCS#12 store, neither of which any pattern reads."""
    key = ec.generate_private_key(ec.SECP256R1())
    der = key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    store = pkcs12.serialize_key_and_certificates(
        b"k", key, None, None, serialization.NoEncryption()
    )
    return dict(zip(KEY_FILES, (der, store), strict=True))


def _found(cwd: Path, *args: str) -> set[tuple[str, str]]:
    """(rule, path) of each finding of the real `keysweep ARGS --format json` in `cwd`."""
    keysweep = str(Path(sys.executable).with_name("keysweep"))
    done = subprocess.run(
        [keysweep, *args, "--format", "json"], cwd=cwd, capture_output=True, timeout=120
    )
    assert done.returncode == 1, done.stderr.decode()
    findings = json.loads(done.stdout)["findings"]
    return {(f["rule"], f["path"]) for f in findings}


def test_a_folder_scan_finds_key_files_in_folders_named_with_line_breaks(
    tmp_path: Path,
) -> None:
    for name, data in _key_files().items():
        (tmp_path / name).parent.mkdir(parents=True)
        (tmp_path / name).write_bytes(data)
    assert _found(tmp_path, "scan", ".") == {(r, p) for p, r in KEY_FILES.items()}


def test_a_history_scan_finds_a_committed_and_deleted_key_file(
    make_repo: Callable[[], Path],
) -> None:
    repo = make_repo()
    commit(repo, _key_files())
    commit(repo, dict.fromkeys(KEY_FILES))
    assert _found(repo, "git") == {(r, p) for p, r in KEY_FILES.items()}
