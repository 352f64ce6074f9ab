"""The time bound around every item holds in a worker's batch, in the main
process's own batches and in an in-process scan: a costly item is stopped,
reported as unscanned, and the items beside it are still scanned."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hostile_support import private_key_pem, run

COSTLY = 4
PLAIN = 60
"""Enough files for a pool (more than schedule.INLINE_THRESHOLD)."""


def _costly_key() -> bytes:
    """An encrypted key whose passphrase attempts take seconds (bcrypt-pbkdf, 120 rounds)."""
    encryption = (
        serialization.PrivateFormat.OpenSSH.encryption_builder().kdf_rounds(120).build(b"q7")
    )
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH, encryption
    )


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(PLAIN):
        (tree / f"notes{i:02}.txt").write_text(f"nothing to see in file {i}\n")
    for i in range(COSTLY):
        (tree / f"slow{i}.txt").write_bytes(_costly_key())
    (tree / "plain.pem").write_bytes(private_key_pem())
    (tree / ".keysweep.yaml").write_text("item_max_seconds: 0.5\n")
    return tree


@pytest.mark.parametrize("jobs", ["1", "2", "3"])
def test_a_costly_item_is_stopped_and_the_rest_scanned(tmp_path: Path, jobs: str) -> None:
    tree = _tree(tmp_path)
    result = run(tree, "scan", ".", "--jobs", jobs, "--fail-on", "low")
    result.bounded()
    assert result.code == 1, result.stderr
    stopped = {
        f["path"] for f in result.unscanned() if "analysis stopped after 0.5s" in f["message"]
    }
    assert stopped == {f"slow{i}.txt" for i in range(COSTLY)}
    found = {f["path"] for f in result.report["findings"] if f["rule"] != "unscanned-content"}
    assert "plain.pem" in found
    assert result.report["summary"]["items_scanned"] >= PLAIN


def test_a_library_scan_from_a_thread_bounds_every_item(tmp_path: Path) -> None:
    """No timer reaches a thread other than the main one, so a pool scan started
    from a thread leaves every batch to the workers, where the bound holds."""
    import threading

    from scanner import load_config, scan
    from scanner.model import Report

    tree = _tree(tmp_path)
    config = load_config(tree / ".keysweep.yaml", tree).with_overrides(jobs=2)
    reports: list[Report] = []
    thread = threading.Thread(target=lambda: reports.append(scan(config, [str(tree)])))
    thread.start()
    thread.join(timeout=300)
    assert not thread.is_alive()
    [report] = reports
    stopped = {
        f.path for f in report.findings if "analysis stopped after 0.5s" in (f.message or "")
    }
    assert stopped == {f"slow{i}.txt" for i in range(COSTLY)}


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_items_before_a_stopped_one_in_its_slice_are_kept_once(tmp_path: Path, jobs: str) -> None:
    """Items reach the detectors in slices; the slice that holds a costly item
    loses its result when the item is stopped, and the items before it are
    scanned again: each of their findings is reported, and only once."""
    tree = tmp_path / "tree"
    tree.mkdir()
    (tree / "a0.pem").write_bytes(private_key_pem())
    (tree / "a1.pem").write_bytes(private_key_pem())
    (tree / "b_slow.txt").write_bytes(_costly_key())
    (tree / "c.pem").write_bytes(private_key_pem())
    (tree / ".keysweep.yaml").write_text("item_max_seconds: 0.5\n")
    result = run(tree, "scan", ".", "--jobs", jobs, "--fail-on", "low")
    result.bounded()
    assert result.code == 1, result.stderr
    [stopped] = result.unscanned()
    assert stopped["path"] == "b_slow.txt"
    found = [f for f in result.report["findings"] if f["rule"] != "unscanned-content"]
    assert sorted(f["path"] for f in found) == ["a0.pem", "a1.pem", "c.pem"]
    assert all(len(f["locations"]) == 1 for f in found)
