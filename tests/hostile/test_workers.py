"""Class 5: a scan that loses a worker, or is told to stop, still writes its
report; no worker outlives the scan."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hostile_support import finish, start

FILES = 64


def _slow_tree(tmp_path: Path) -> Path:
    """FILES files, each an encrypted key whose passphrases take a moment to try."""
    tree = tmp_path / "tree"
    tree.mkdir()
    for i in range(FILES):
        (tree / f"k{i:03}.pem").write_bytes(_encrypted_key(i, rounds=12))
    return tree


def _encrypted_key(i: int, *, rounds: int) -> bytes:
    """A fresh EC key in OpenSSH form under a passphrase no default list holds;
    each passphrase tried costs `rounds` bcrypt rounds."""
    encryption = serialization.PrivateFormat.OpenSSH.encryption_builder().kdf_rounds(rounds)
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        encryption.build(b"not-a-default-%d" % i),
    )


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        text = (task / "children").read_text() if (task / "children").exists() else ""
        found += [int(x) for x in text.split()]
    return found


def _wait_for_workers(pid: int, count: int, seconds: float = 60) -> list[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        workers = _children(pid)
        if len(workers) >= count:
            return workers
        time.sleep(0.1)
    raise AssertionError("the worker pool never started")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def _scan(tree: Path) -> tuple[Path, Path, list[str]]:
    report, err = tree.parent / "report.json", tree.parent / "stderr.txt"
    args = ["scan", ".", "--jobs", "2", "--fail-on", "low", "--format", "json", "-o", str(report)]
    return report, err, args


def test_a_killed_worker_loses_nothing(tmp_path: Path) -> None:
    tree = _slow_tree(tmp_path)
    report, err, args = _scan(tree)
    began = time.monotonic()
    proc = start(args, tree, err)
    workers = _wait_for_workers(proc.pid, 1)  # --jobs 2: this process and one worker
    time.sleep(1.0)

    os.kill(workers[0], signal.SIGKILL)  # as the OOM killer would
    result = finish(proc, report, err, began)
    result.bounded()
    assert result.code == 1, result.stderr
    paths = {f["path"] for f in result.report["findings"]}
    assert paths == {f"k{i:03}.pem" for i in range(FILES)}
    assert not any(_alive(pid) for pid in workers)


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_the_scan_and_keeps_the_report(
    tmp_path: Path, signum: int, code: int
) -> None:
    tree = _slow_tree(tmp_path)
    report, err, args = _scan(tree)
    began = time.monotonic()
    proc = start(args, tree, err)
    workers = _wait_for_workers(proc.pid, 1)  # --jobs 2: this process and one worker
    time.sleep(1.0)
    proc.send_signal(signum)  # the main process alone, not its group
    signalled = time.monotonic()
    result = finish(proc, report, err, began)
    assert time.monotonic() - signalled < 30
    assert result.code == code, result.stderr
    summary = result.report["summary"]
    assert summary["partial"] is True
    assert summary["meta"]["interrupted"] == signal.Signals(signum).name
    assert not any(_alive(pid) for pid in workers)


def test_a_signal_in_an_in_process_scan_keeps_what_was_found(tmp_path: Path) -> None:
    """With --jobs 1 items reach the detectors in slices; a signal that stops the
    scan in the middle of one still leaves the findings of the items the slice
    finished before it in the report."""
    from hostile_support import private_key_pem, run

    tree = tmp_path / "tree"
    tree.mkdir()
    # Build the scanner's database first: a signal while a cold one compiles (several
    # seconds on a loaded machine) stops the scan before any item, by design.
    assert run(tree, "scan", ".").code == 0
    plain = [f"{letter}{i}.pem" for letter in "ab" for i in range(4)]  # a*: warm-up
    for name in plain:
        (tree / name).write_bytes(private_key_pem())
    for i in range(4):  # up to 3 CPU s of passphrase attempts each
        (tree / f"s{i:02}.txt").write_bytes(_encrypted_key(i, rounds=120))
    report, err = tree.parent / "report.json", tree.parent / "stderr.txt"
    args = ["scan", ".", "--jobs", "1", "--fail-on", "low", "--format", "json", "-o", str(report)]
    began = time.monotonic()
    proc = start(args, tree, err)
    time.sleep(5.0)  # the plain keys take well under that; the slow ones seconds each
    proc.send_signal(signal.SIGINT)
    result = finish(proc, report, err, began)
    assert result.code == 130, result.stderr
    assert result.report["summary"]["partial"] is True
    found = {f["path"] for f in result.report["findings"] if f["rule"] != "unscanned-content"}
    assert set(plain) <= found
