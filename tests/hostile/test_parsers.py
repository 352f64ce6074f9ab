"""Class 3: archives and documents that would exhaust the parser are refused
within bounds, on this Python whatever its patch release; nothing recurses."""

from __future__ import annotations

import gzip
import io
import json
import os
import tarfile
from pathlib import Path

import pytest
from hostile_support import private_key_pem, run

LAUGHS = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 10)}]\n" for i in range(9)
)
"""A billion laughs: ten lines, 10**10 nodes once the aliases are expanded."""
DEEP_JSON = "[" * 50_000 + "]" * 50_000
DEEP_YAML = "a: " + "[" * 50_000 + "]" * 50_000 + "\n"


def _block(info: tarfile.TarInfo, payload: bytes) -> bytes:
    info.size = len(payload)
    padding = b"\0" * (-len(payload) % tarfile.BLOCKSIZE)
    return info.tobuf(tarfile.USTAR_FORMAT) + payload + padding


def _pax_tar(size_value: str) -> bytes:
    """A PAX header that sets the next member's size to `size_value`, then a key."""
    record = f"size={size_value}\n"
    record = f"{len(record) + 3} {record}"
    pax = tarfile.TarInfo("././@PaxHeader")
    pax.type = tarfile.XHDTYPE
    key = private_key_pem()
    member = tarfile.TarInfo("id.pem")
    body = _block(pax, record.encode()) + _block(member, key)
    return body + b"\0" * (2 * tarfile.BLOCKSIZE)


@pytest.mark.parametrize("size_value", ["-512", "-1024"])
def test_a_tar_with_a_negative_pax_size_is_refused_fast(tmp_path: Path, size_value: str) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a.tar.gz").write_bytes(gzip.compress(_pax_tar(size_value)))
    result = run(tree, "scan", ".")
    result.bounded()  # the unbounded parse grew past 6 GB
    assert result.cpu < 30
    assert result.code == 1
    assert "tar archive refused" in result.unscanned()[0]["message"]


def test_a_tar_with_a_huge_pax_header_is_refused(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        info = tarfile.TarInfo("x.txt")
        info.pax_headers = {"comment": "1 " * 200_000}  # a backtracking feast for old regexes
        archive.addfile(info, io.BytesIO(b""))
    (tree / "b.tar").write_bytes(buffer.getvalue())
    result = run(tree, "scan", ".")
    result.bounded()
    assert result.code == 1
    assert "PAX header of" in result.unscanned()[0]["message"]


def test_billion_laughs_in_the_config_is_exit_2(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / ".keysweep.yaml").write_text(LAUGHS + "exclude: *j\n")
    result = run(tree, "scan", ".", fmt=False)
    assert result.code == 2, result.stderr
    assert "expands to more than" in result.stderr
    result.bounded()


@pytest.mark.parametrize("document", [LAUGHS + "rules: []\n", DEEP_YAML])
def test_a_hostile_rule_file_named_by_the_repository_is_exit_2(
    tmp_path: Path, document: str
) -> None:
    """A pull request's own rule file (named by its `.keysweep.yaml`) is parsed with
    the same bounds as any other document it carries."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "bomb.yaml").write_text(document)
    (tree / ".keysweep.yaml").write_text("rules: [bomb.yaml]\n")
    result = run(tree, "scan", ".", fmt=False)
    assert result.code == 2, result.stderr
    assert "bomb.yaml" in result.stderr
    result.bounded()


@pytest.mark.parametrize("document", [LAUGHS, DEEP_YAML, DEEP_JSON])
def test_hostile_registry_is_exit_2_within_bounds(tmp_path: Path, document: str) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tmp_path / "registry.yaml").write_text(document)
    result = run(tree, "scan", ".", "--registry", str(tmp_path / "registry.yaml"), fmt=False)
    result.bounded()
    assert result.code == 2, result.stderr
    assert "registry.yaml" in result.stderr


def test_deep_config_and_baseline_are_exit_2(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tmp_path / "baseline.json").write_text(DEEP_JSON)
    result = run(tree, "scan", ".", "--baseline", str(tmp_path / "baseline.json"), fmt=False)
    result.bounded()
    assert result.code == 2, result.stderr
    (tree / ".keysweep.yaml").write_text(DEEP_YAML.replace("a:", "exclude:"))
    result = run(tree, "scan", ".", fmt=False)
    assert result.code == 2, result.stderr


@pytest.mark.parametrize("command", ["import-jwks", "import-cbom"])
def test_deep_jwks_and_cbom_are_exit_2(tmp_path: Path, command: str) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "doc.json").write_text('{"keys": ' + DEEP_JSON + "}")
    result = run(tree, "registry", command, "doc.json", "--registry", "r.yaml", fmt=False)
    result.bounded()
    assert result.code == 2, result.stderr


def test_a_deep_inventory_report_is_exit_2(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "report.json").write_text('{"findings": ' + DEEP_JSON + "}")
    db = f"sqlite:///{tmp_path / 'inv.db'}"
    result = run(tree, "inventory", "ingest", "report.json", "--db", db, fmt=False)
    result.bounded()
    assert result.code == 2, result.stderr


def test_a_registry_that_is_a_fifo_is_refused(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    os.mkfifo(tmp_path / "registry.yaml")
    result = run(tree, "scan", ".", "--registry", str(tmp_path / "registry.yaml"), fmt=False)
    result.bounded()
    assert result.code == 2, result.stderr
    assert json.dumps(result.stderr)
