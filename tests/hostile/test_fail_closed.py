"""Class 1: what was not fully scanned is a finding (the gate fails), never only
a warning; names of any bytes are scanned."""

from __future__ import annotations

import io
import os
import random
import tarfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

from hostile_support import private_key_pem, run

from scanner.config import Config
from scanner.model import Item, Origin
from scanner.pipeline import scan

KEY_RULE = "key.pkcs8"


def _tree(tmp_path: Path) -> Path:
    tree = tmp_path / "tree"
    tree.mkdir()
    return tree


def _zip(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def test_member_over_the_byte_budget_fails_the_gate(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    (tree / ".keysweep.yaml").write_text("archive_max_bytes: 1000000\n")
    padding = ("pad.tar", b"\0" * 3_000_000)  # an archive member: may use the whole budget
    (tree / "a.zip").write_bytes(_zip([padding, ("id.pem", private_key_pem())]))
    result = run(tree, "scan", ".")
    result.bounded()
    assert result.code == 1
    assert [f["path"] for f in result.unscanned()] == ["a.zip"]
    assert result.report["summary"]["partial"] is True


def test_past_the_member_limit_fails_the_gate(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for i in range(10_001):
            info = tarfile.TarInfo(f"pad/{i}")
            archive.addfile(info, io.BytesIO(b""))
        key = private_key_pem()
        info = tarfile.TarInfo("id.pem")
        info.size = len(key)
        archive.addfile(info, io.BytesIO(key))
    (tree / "many.tar").write_bytes(buffer.getvalue())
    result = run(tree, "scan", ".")
    result.bounded()
    assert result.code == 1
    assert "archive members" in result.unscanned()[0]["message"]


def test_past_the_depth_limit_fails_the_gate(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    data = _zip([("id.pem", private_key_pem())])
    for level in range(4):
        data = _zip([(f"level{level}.zip", data)])
    (tree / "deep.zip").write_bytes(data)
    result = run(tree, "scan", ".")
    result.bounded()
    assert result.code == 1
    assert "nested deeper" in result.unscanned()[0]["message"]


def test_a_file_over_the_size_limit_fails_the_gate(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    (tree / "big.env").write_bytes(b"x" * 5000 + private_key_pem())
    result = run(tree, "scan", ".", "--max-file-size", "4000")
    result.bounded()
    assert result.code == 1
    assert [f["path"] for f in result.unscanned()] == ["big.env"]


def test_unscanned_severity_is_configurable(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    (tree / ".keysweep.yaml").write_text("unscanned_severity: critical\n")
    (tree / "big.env").write_bytes(b"x" * 5000)
    result = run(tree, "scan", ".", "--max-file-size", "4000")
    assert result.code == 1
    assert result.unscanned()[0]["severity"] == "critical"


def test_a_name_that_is_not_utf8_is_scanned_and_shown_escaped(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    os.makedirs(os.fsencode(tree) + b"/d\xff")
    Path(os.fsdecode(os.fsencode(tree) + b"/d\xff/k\xfe.pem")).write_bytes(private_key_pem())
    result = run(tree, "scan", ".", "--exclude", "nothing*")
    result.bounded()
    assert result.code == 1
    assert [(f["rule"], f["path"]) for f in result.report["findings"]] == [
        (KEY_RULE, "d\\xff/k\\xfe.pem")
    ]
    excluded = run(tree, "scan", ".", "--exclude", "d*/")
    assert excluded.code == 0, excluded.stderr


def test_a_folder_nested_a_thousand_deep_is_walked(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    fd = os.open(tree, os.O_RDONLY)
    for _ in range(1000):  # os.makedirs and Path.mkdir recurse: build it one level at a time
        os.mkdir("d", dir_fd=fd)
        fd, parent = os.open("d", os.O_RDONLY, dir_fd=fd), fd
        os.close(parent)
    key = os.open("id.pem", os.O_WRONLY | os.O_CREAT, 0o600, dir_fd=fd)
    os.write(key, private_key_pem())
    os.close(key)
    os.close(fd)
    try:
        result = run(tree, "scan", ".")
    finally:
        _remove_deep(tree)  # pytest's own clean-up recurses
    result.bounded()
    assert result.code == 1, result.stderr
    assert result.rules() == [KEY_RULE]


def _remove_deep(top: Path) -> None:
    fds = [os.open(top, os.O_RDONLY)]
    while "d" in os.listdir(fds[-1]):
        fds.append(os.open("d", os.O_RDONLY, dir_fd=fds[-1]))
    while len(fds) > 1:
        fd = fds.pop()
        for name in os.listdir(fd):
            os.unlink(name, dir_fd=fd)
        os.close(fd)
        os.rmdir("d", dir_fd=fds[-1])
    os.close(fds[0])


def test_findings_are_capped_per_file_and_the_cap_fails_closed(tmp_path: Path) -> None:
    tree = _tree(tmp_path)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    chars = random.Random(10).choices(alphabet, k=16_000_000)
    text = "".join(chars)
    ids = "".join(f"AKIA{text[i : i + 16]}\n" for i in range(0, len(text), 16)).encode()
    (tree / "ids.txt").write_bytes(ids)  # 21 MB of AWS key ids
    result = run(tree, "scan", ".", "--jobs", "1")
    result.bounded()
    assert result.code == 1
    assert len(result.report["findings"]) <= 1001
    assert "more than 1000 findings" in result.unscanned()[0]["message"]


class _Swapped:
    """A source whose file became a FIFO after the walk listed it."""

    def __init__(self, fifo: Path) -> None:
        self.fifo = fifo

    @property
    def roots(self) -> tuple[str, ...]:
        return (str(self.fifo.parent),)

    def events(self) -> Iterator[Item]:
        yield Item(origin=Origin(path="swapped.pem", fs_path=str(self.fifo)), size=10)


def test_a_file_swapped_for_a_fifo_after_the_walk_does_not_hang(tmp_path: Path) -> None:
    fifo = tmp_path / "swapped.pem"
    os.mkfifo(fifo)
    began = time.monotonic()
    report = scan(Config(root=tmp_path), [_Swapped(fifo)])
    assert time.monotonic() - began < 30
    assert report.skipped.get("not-a-regular-file") == 1
