"""Blobs of a large history read by the process that scans them (`sources.gitblobs`):
the main process hands out Items naming the blob, each scanning process reads its
blobs through a `cat-file --batch` of its own, and every guarantee of reading in the
main process holds (unreadable blobs, budgets, time bounds, signals); a small
history stays in one process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hostile_support import finish, start
from support import TOKEN_RULE, commit, git, token

from scanner import pipes, schedule
from scanner.cli import cli
from scanner.model import Item, Origin
from scanner.schedule import ItemResult
from scanner.sources import gitblobs
from scanner.sources.git import GitSource
from scanner.sources.gitsafe import discover

FILES = 120
PLANTED = range(0, FILES, 30)


@pytest.fixture
def rules(tmp_path: Path) -> Path:
    path = tmp_path / "rules.yaml"
    path.write_text(TOKEN_RULE)
    return path


def _history(repo: Path, files: int = FILES) -> Path:
    repo.mkdir(parents=True)
    git(repo, "init", "-q")
    planted = {
        f"f{n:03}.txt": (f"T={token()}\n" if n in PLANTED else f"n = {n}\n" * 40)
        for n in range(files)
    }
    commit(repo, planted, "many files")
    return repo


def _keysweep(
    repo: Path, rules: Path, *options: str, builtin: bool = False
) -> tuple[int, dict[str, Any], str]:
    """The real CLI on `repo` with the test token rule (and the built-in rules)."""
    only = [] if builtin else ["--no-builtin-rules"]
    args = ["git", str(repo), *only, "--rules", str(rules), "--format", "json"]
    result = CliRunner().invoke(cli, [*args, *options])
    report = json.loads(result.stdout) if result.stdout.startswith("{") else {}
    return result.exit_code, report, result.stderr


def _found(report: dict[str, Any]) -> list[tuple[str, str]]:
    return sorted((f["path"], f["commit"]) for f in report["findings"])


def _garble(repo: Path, path: str) -> str:
    """Cut the loose object of `path` at HEAD in half: git still reads its header
    (`--batch-check` answers), and dies in the middle of its bytes."""
    sha = git(repo, "rev-parse", f"HEAD:{path}")
    loose = repo / ".git" / "objects" / sha[:2] / sha[2:]
    stored = loose.read_bytes()
    assert zlib.decompress(stored).startswith(b"blob ")
    loose.chmod(0o644)
    loose.write_bytes(stored[: len(stored) // 2])
    return sha


def test_a_large_history_hands_out_blobs_to_be_read_where_they_are_scanned(
    tmp_path: Path, lazy: None
) -> None:
    repo = _history(tmp_path / "repo")
    one = [e for e in GitSource(repo, jobs=1).events() if isinstance(e, Item) and e.blob_id]
    two = [e for e in GitSource(repo, jobs=2).events() if isinstance(e, Item) and e.blob_id]

    assert all(i.data is not None and i.store is None for i in one)
    assert all(i.data is None and i.store is not None and i.size is None for i in two)
    assert [(i.blob_id, i.origin) for i in two] == [(i.blob_id, i.origin) for i in one]


def test_a_worker_reads_its_blobs_itself_and_finds_the_same(
    tmp_path: Path, rules: Path, lazy: None, pools: list[int]
) -> None:
    repo = _history(tmp_path / "repo")
    code_one, one, _ = _keysweep(repo, rules, "-j", "1")
    code_two, two, _ = _keysweep(repo, rules, "-j", "2")

    assert pools == [1]
    assert code_one == code_two == 1
    assert _found(two) == _found(one) and len(_found(one)) == len(PLANTED)
    assert (
        two["summary"]["items_scanned"] == one["summary"]["items_scanned"] == FILES + 1
    )  # message
    assert two["summary"]["bytes_scanned"] == one["summary"]["bytes_scanned"]
    assert two["errors"] == []


def test_a_small_history_is_scanned_in_one_process(
    tmp_path: Path, rules: Path, pools: list[int]
) -> None:
    """Forking a worker for a small history cost more than it gained (see
    `gitblobs.ONE_PROCESS_BLOBS`); more than INLINE_THRESHOLD items used to start one."""
    repo = _history(tmp_path / "repo")
    assert FILES > schedule.INLINE_THRESHOLD
    code, report, _ = _keysweep(repo, rules, "-j", "2")

    assert code == 1 and len(report["findings"]) == len(PLANTED)
    assert pools == []


def test_a_directory_scan_still_uses_the_pool(
    tmp_path: Path, rules: Path, pools: list[int]
) -> None:
    tree = tmp_path / "tree"
    tree.mkdir()
    for n in range(FILES):
        (tree / f"f{n:03}.txt").write_text(f"n = {n}\n")
    result = CliRunner().invoke(
        cli, ["scan", str(tree), "--no-builtin-rules", "--rules", str(rules), "-j", "2"]
    )
    assert result.exit_code == 0, result.stderr
    assert pools == [1]


def test_a_corrupt_blob_read_by_a_worker_is_unscanned_content_and_the_scan_goes_on(
    tmp_path: Path, rules: Path, lazy: None, pools: list[int]
) -> None:
    repo = _history(tmp_path / "repo")
    lost = _garble(repo, "f030.txt")

    code, report, _ = _keysweep(repo, rules, "-j", "2")

    assert pools == [1]
    assert code == 1
    paths = {f["path"] for f in report["findings"] if f["rule"] != "unscanned-content"}
    assert paths == {f"f{n:03}.txt" for n in PLANTED} - {"f030.txt"}
    (error,) = report["errors"]
    assert error["path"] == "f030.txt" and lost in error["message"]
    assert "unreadable object" in error["message"]
    unscanned = [f for f in report["findings"] if f["rule"] == "unscanned-content"]
    assert [(f["path"], f["message"]) for f in unscanned] == [("f030.txt", error["message"])]
    assert report["summary"]["items_scanned"] == FILES - 1 + 1  # and the commit's message


def test_a_history_no_worker_can_read_is_exit_2(
    tmp_path: Path, rules: Path, lazy: None, pools: list[int]
) -> None:
    repo = _history(tmp_path / "repo", files=60)
    for n in range(60):
        _garble(repo, f"f{n:03}.txt")

    code, _, stderr = _keysweep(repo, rules, "-j", "2")

    assert pools == [1]
    assert code == 2
    (line,) = stderr.strip().splitlines()
    assert "git could read none of the 60 blobs in history" in line


def _twins(tmp_path: Path, damaged: range = range(60)) -> tuple[Path, Path]:
    """Two repositories holding the same 60 blobs; `damaged` ones of the first are cut."""
    bad, good = _history(tmp_path / "tree" / "a-bad", files=60), tmp_path / "tree" / "b-good"
    good.mkdir()
    git(good, "clone", "-q", "--no-local", str(bad), ".")
    for n in damaged:
        _garble(bad, f"f{n:03}.txt")
    return bad, good


def test_stores_under_a_scanned_folder_read_each_blob_from_a_store_that_has_it(
    tmp_path: Path, rules: Path, lazy: None
) -> None:
    """`scan` and `sweep` read a blob once, from the first store that can give it:
    their stores are read by the main process, so a damaged copy in one store
    never keeps an intact copy in the next from being scanned."""
    _twins(tmp_path)
    tree = tmp_path / "tree"
    args = ["scan", str(tree), "--no-builtin-rules", "--rules", str(rules), "--format", "json"]
    one = CliRunner().invoke(cli, [*args, "-j", "1"])
    two = CliRunner().invoke(cli, [*args, "-j", "2"])

    assert one.exit_code == two.exit_code == 1, two.stderr
    first, second = json.loads(one.stdout), json.loads(two.stdout)
    assert _found(second) == _found(first)
    assert second["summary"]["items_scanned"] == first["summary"]["items_scanned"]
    history = {p["path"] for f in second["findings"] for p in f["locations"] if p.get("commit")}
    assert history == {f"b-good/f{n:03}.txt" for n in PLANTED if n < 60}
    notes = [e for e in second["errors"] if "git history not scanned" in e["message"]]
    assert [e["path"] for e in notes] == ["a-bad"]


def test_two_histories_in_one_scan_read_each_blob_from_one_that_has_it(
    tmp_path: Path, rules: Path, lazy: None
) -> None:
    import scanner
    from scanner.sources.build import GitHistory

    bad, good = _twins(tmp_path, damaged=range(0, 60, 30))  # every blob with a token
    config = scanner.Config(
        root=tmp_path, jobs=2, builtin_rules=False, rules_dirs=(rules,), detectors=("rules",)
    )
    report = scanner.scan(config, [GitHistory(bad), GitHistory(good)])

    assert {f.path for f in report.findings} == {f"f{n:03}.txt" for n in PLANTED if n < 60}
    assert report.items_scanned == 60 + 2  # and each history's commit message
    assert {w.path for w in report.warnings} == {f"f{n:03}.txt" for n in PLANTED if n < 60}


def _reader_items(repo: Path, names: list[str]) -> list[Item]:
    paths = discover(repo)
    store = gitblobs.store_of(paths, None)
    shas = [git(repo, "rev-parse", f"HEAD:{name}") if "/" not in name else name for name in names]
    return [Item(Origin(name), None, sha, 1, store) for name, sha in zip(names, shas, strict=True)]


def test_a_reader_goes_on_after_a_missing_and_a_corrupt_blob(tmp_path: Path) -> None:
    repo = _history(tmp_path / "repo", files=6)
    garbled = _garble(repo, "f002.txt")
    missing = "0123456789abcdef0123456789abcdef01234567"
    items = _reader_items(repo, ["f000.txt", "f001.txt", "f002.txt", "f003.txt"])
    items.insert(1, Item(Origin("gone.txt"), None, missing, 1, items[0].store))
    result = ItemResult()

    try:
        read = list(gitblobs.with_data(items, result))
    finally:
        gitblobs.close_readers()

    assert [i.origin.path for i in read] == ["f000.txt", "f001.txt", "f003.txt"]
    assert all(
        i.data == git(repo, "cat-file", "blob", i.blob_id or "").encode() + b"\n" for i in read
    )
    assert [(w.path, missing in w.message or garbled in w.message) for w in result.warnings] == [
        ("gone.txt", True),
        ("f002.txt", True),
    ]
    assert "missing object" in result.warnings[0].message
    assert sum(result.unreadable.values()) == 2


def test_a_reader_stopped_mid_batch_answers_the_next_batch(tmp_path: Path) -> None:
    """A batch left before its end (a budget, a time bound) leaves answers in the
    pipe; the next batch of the same process still gets its own blobs."""
    repo = _history(tmp_path / "repo", files=8)
    items = _reader_items(repo, [f"f{n:03}.txt" for n in range(8)])
    try:
        taken = gitblobs.with_data(items[:6], ItemResult())
        next(taken)  # asks for six blobs, reads one
        del taken
        read = list(gitblobs.with_data(items[4:], ItemResult()))
    finally:
        gitblobs.close_readers()
    assert [i.origin.path for i in read] == [f"f{n:03}.txt" for n in range(4, 8)]
    assert [i.data for i in read] == [
        git(repo, "cat-file", "blob", i.blob_id or "").encode() + b"\n" for i in read
    ]


def _finishes(work: Callable[[], None], seconds: float = 120) -> bool:
    """Whether `work` ends in time; a reader left waiting is ended after."""
    import threading

    worker = threading.Thread(target=work)
    worker.start()
    worker.join(timeout=seconds)
    stuck = worker.is_alive()
    gitblobs.close_readers()  # ends a stuck git, so the thread ends too
    worker.join(timeout=30)
    return not stuck


@pytest.fixture
def small_pipes(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pipes that cannot be widened (a user past the system's pipe allowance)."""
    import fcntl

    def small(fd: int, size: int = 0) -> None:
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, 8192)

    monkeypatch.setattr(pipes, "widen", small)


@pytest.mark.usefixtures("small_pipes")
def test_a_reader_on_pipes_that_hold_little_never_waits_for_itself(tmp_path: Path) -> None:
    """Asking a whole batch at once left the reader writing ids while git waited
    for its answers to be read: both waited forever."""
    repo = _history(tmp_path / "repo", files=600)
    items = _reader_items(repo, [f"f{n:03}.txt" for n in range(600)])
    read: list[Item] = []
    assert _finishes(lambda: read.extend(gitblobs.with_data(items, ItemResult())))
    assert [i.data for i in read[::97]] == [
        git(repo, "cat-file", "blob", i.blob_id or "").encode() + b"\n" for i in read[::97]
    ]
    assert len(read) == 600


@pytest.mark.usefixtures("small_pipes")
def test_asking_in_pieces_on_small_pipes_never_waits_for_itself(tmp_path: Path) -> None:
    """A pipe is filled by pages: ids well under its size in bytes could still
    wait for room while git waited for its answers to be read."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    names = [f"b{n:03}.txt" for n in range(210)]
    commit(repo, {name: f"{name} {token()}\n" * 400 for name in names}, "large")
    shas = [i.blob_id or "" for i in _reader_items(repo, names)]
    store = _reader_items(repo, ["b000.txt"])[0].store
    assert store is not None
    reader = gitblobs.BlobReader(store)
    got: list[bytes | str | gitblobs.TooLarge] = []

    def pieces() -> None:
        for first, last in ((0, 1), (1, 61), (61, 101)):
            reader.ask(shas[first:last])
            time.sleep(0.3)  # git answers what it was asked, up to what its output holds
        for index in (0, 60, 97):
            got.append(reader.take(shas[index]))
            time.sleep(0.3)
        for first, last in ((101, 161), (161, 201)):
            reader.ask(shas[first:last])
            time.sleep(0.3)
        got.append(reader.take(shas[200]))

    try:
        assert _finishes(pieces)
    finally:
        reader.close()
    wanted = [shas[0], shas[60], shas[97], shas[200]]
    assert got == [git(repo, "cat-file", "blob", sha).encode() + b"\n" for sha in wanted]


def test_a_reader_out_of_step_with_git_never_takes_another_objects_answer(
    tmp_path: Path,
) -> None:
    """Part of a line already in git's input puts every answer one off: an answer
    is taken only for the object its header names, else git is started again."""
    repo = _history(tmp_path / "repo", files=40)
    items = _reader_items(repo, [f"f{n:03}.txt" for n in range(40)])
    shas = [i.blob_id or "" for i in items]
    assert items[0].store is not None
    reader = gitblobs.BlobReader(items[0].store)
    try:
        reader._started()
        assert reader.process is not None
        reader.process.stdin.write(b"0123")
        reader.process.stdin.flush()
        reader.ask(shas)
        got = [reader.take(sha) for sha in shas[:3]]
    finally:
        reader.close()
    assert got == [git(repo, "cat-file", "blob", sha).encode() + b"\n" for sha in shas[:3]]


class _Stop(BaseException):
    """A stop arriving while a reader starts (an item's time bound, a signal)."""


def test_a_reader_stopped_while_it_starts_leaves_no_git_and_starts_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _history(tmp_path / "repo", files=4)
    items = _reader_items(repo, ["f000.txt", "f001.txt"])
    assert items[0].store is not None
    reader = gitblobs.BlobReader(items[0].store)
    started: list[Any] = []
    spawn = reader.git.spawn

    def recorded(*args: str, **options: Any) -> Any:
        started.append(spawn(*args, **options))
        return started[-1]

    def stopped(fd: int, size: int = 0) -> None:
        raise _Stop

    monkeypatch.setattr(reader.git, "spawn", recorded)
    monkeypatch.setattr(pipes, "widen", stopped)
    with pytest.raises(_Stop):
        reader.take(items[0].blob_id or "")
    monkeypatch.undo()
    try:
        assert started[0].popen.wait(timeout=10) is not None  # ended, not left running
        assert reader.process is None
        got = reader.take(items[1].blob_id or "")
    finally:
        reader.close()
    assert got == git(repo, "cat-file", "blob", items[1].blob_id or "").encode() + b"\n"


def test_an_answer_for_another_blob_is_not_taken() -> None:
    one, other = "1" * 40, "2" * 40
    assert gitblobs.answer_header(f"{one} blob 12\n".encode(), one) == 12
    assert gitblobs.answer_header(f"{one} missing\n".encode(), one) == "missing"
    assert gitblobs.answer_header(f"{other} blob 12\n".encode(), one) is None
    assert gitblobs.answer_header(f"{one} blob 12".encode(), one) is None  # cut short
    assert gitblobs.answer_header(f"{one} blob x2\n".encode(), one) is None


# --- through the console script: budgets, time bounds and signals ------------


BIG = gitblobs.ONE_PROCESS_BLOBS + 100
"""More blobs than one process reads alone: the real threshold, in a real child."""


def _fast_import(repo: Path, blobs: Iterator[tuple[str, bytes]]) -> None:
    """One commit holding every (path, bytes), written by `git fast-import`."""
    stream = bytearray()
    paths: list[tuple[int, str]] = []
    for mark, (path, data) in enumerate(blobs, 1):
        stream += b"blob\nmark :%d\ndata %d\n" % (mark, len(data)) + data + b"\n"
        paths.append((mark, path))
    stream += b"commit refs/heads/main\ncommitter T <t@example.test> 1700000000 +0000\n"
    stream += b"data 4\nbig\n"
    stream += b"".join(b"M 100644 :%d %s\n" % (m, p.encode()) for m, p in paths)
    git(repo, "init", "-q", "-b", "main")
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=bytes(stream), check=True)


@pytest.fixture(scope="module")
def big_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """BIG small blobs, and a token every 500th: read by the workers at -j 2."""
    repo = tmp_path_factory.mktemp("big") / "repo"
    repo.mkdir()

    def blobs() -> Iterator[tuple[str, bytes]]:
        for n in range(BIG):
            text = f"T={token()}\n" if n % 500 == 0 else f"note {n}\n" * 8
            yield f"notes/n{n:05}.txt", text.encode()

    _fast_import(repo, blobs())
    (repo.parent / "rules.yaml").write_text(TOKEN_RULE)
    return repo


def _child(repo: Path, *options: str, builtin: bool = False) -> tuple[list[str], Path, Path]:
    report, err = repo.parent / "report.json", repo.parent / "stderr.txt"
    report.unlink(missing_ok=True)
    rules = str(repo.parent / "rules.yaml")
    only = [] if builtin else ["--no-builtin-rules"]
    args = ["git", ".", *only, "--rules", rules, "--format", "json"]
    return [*args, "-o", str(report), *options], report, err


def _git_readers(repo: Path) -> list[int]:
    """Live `git cat-file` processes reading `repo`."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            argv = (proc / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"cat-file" in argv and any(str(repo).encode() in a for a in argv):
            found.append(int(proc.name))
    return found


def test_a_byte_budget_stops_a_history_read_by_the_workers(big_history: Path) -> None:
    budget = big_history.parent / "budget.yaml"
    budget.write_text("max_bytes: 20000\n")
    args, report, err = _child(big_history, "-j", "2", "--config", str(budget))
    result = finish(start(args, big_history, err), report, err, time.monotonic())

    assert result.code == 1, result.stderr
    summary = result.report["summary"]
    assert summary["partial"] is True and "byte budget" in summary["partial_reason"]
    assert 0 < summary["items_scanned"] < BIG


def test_the_whole_history_read_by_the_workers(big_history: Path) -> None:
    args, report, err = _child(big_history, "-j", "2")
    result = finish(start(args, big_history, err), report, err, time.monotonic())

    assert result.code == 1, result.stderr
    assert result.report["summary"]["items_scanned"] == BIG + 1  # and the commit's message
    assert len(result.report["findings"]) == len(range(0, BIG, 500))
    assert _git_readers(big_history) == []


def _slow_key(rounds: int) -> bytes:
    """An encrypted key whose passphrase attempts take a second or more."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    builder = serialization.PrivateFormat.OpenSSH.encryption_builder().kdf_rounds(rounds)
    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        builder.build(b"not-a-default-passphrase"),
    )


@pytest.fixture(scope="module")
def slow_history(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """BIG blobs, the first few of them keys that take seconds to try passphrases on."""
    repo = tmp_path_factory.mktemp("slow") / "repo"
    repo.mkdir()

    def blobs() -> Iterator[tuple[str, bytes]]:
        for n in range(8):
            yield f"a/slow{n}.pem", _slow_key(12)
        for n in range(BIG):
            yield f"notes/n{n:05}.txt", f"note {n}\n".encode()

    _fast_import(repo, blobs())
    (repo.parent / "rules.yaml").write_text(TOKEN_RULE)
    return repo


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = task / "children"
        found += [int(x) for x in (children.read_text() if children.exists() else "").split()]
    return found


def _python_children(pid: int) -> list[int]:
    """The worker processes: children that are not git, and still there a moment
    later (a git child between its fork and its exec is named python too)."""
    first = set(_named_python(pid))
    time.sleep(0.1)
    return [c for c in _named_python(pid) if c in first]


def _named_python(pid: int) -> list[int]:
    found = []
    for child in _children(pid):
        try:
            if b"git" not in Path(f"/proc/{child}/comm").read_bytes():
                found.append(child)
        except OSError:  # gone already
            pass
    return found


@pytest.mark.parametrize(("signum", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_stops_a_history_read_by_the_workers(
    slow_history: Path, signum: int, code: int
) -> None:
    """The report of what was found is written; no worker and no git reader is left."""
    args, report, err = _child(slow_history, "-j", "2", builtin=True)
    began = time.monotonic()
    proc = start(args, slow_history, err)
    deadline = began + 60
    workers: list[int] = []
    while not workers and time.monotonic() < deadline:
        time.sleep(0.05)
        workers = _python_children(proc.pid)
    time.sleep(0.5)  # the workers are trying passphrases on the slow keys
    proc.send_signal(signum)
    result = finish(proc, report, err, began)

    assert result.code == code, result.stderr
    summary = result.report["summary"]
    assert summary["meta"]["interrupted"] == signal.Signals(signum).name
    assert summary["partial"] is True
    assert _wait_gone(slow_history)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_a_killed_worker_loses_no_blob_it_was_to_read(slow_history: Path) -> None:
    """The batches a killed worker held are read and scanned again, item by item."""
    args, report, err = _child(slow_history, "-j", "2", builtin=True)
    began = time.monotonic()
    proc = start(args, slow_history, err)
    workers: list[int] = []
    while not workers and time.monotonic() < began + 60:
        time.sleep(0.05)
        workers = _python_children(proc.pid)
    time.sleep(0.5)
    os.kill(workers[0], signal.SIGKILL)  # as the OOM killer would
    result = finish(proc, report, err, began)

    assert result.code == 1, result.stderr
    assert result.report["summary"]["items_scanned"] == BIG + 8 + 1  # and the commit's message
    keys = {f["path"] for f in result.report["findings"] if f["path"].startswith("a/")}
    assert keys == {f"a/slow{n}.pem" for n in range(8)}
    assert _wait_gone(slow_history)


def _wait_gone(repo: Path, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while _git_readers(repo) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not _git_readers(repo)


def test_an_item_read_in_its_process_is_bounded_in_time(
    tmp_path: Path, rules: Path, lazy: None, pools: list[int]
) -> None:
    """An item whose blob its process reads runs under its time bound as before: a
    costly one is reported as not scanned, and the items beside it are scanned."""
    repo = _history(tmp_path / "repo", files=60)
    commit(repo, {"slow.pem": _slow_key(48)}, "slow key")
    config = tmp_path / "bound.yaml"
    config.write_text("item_max_seconds: 0.5\n")

    code, report, _ = _keysweep(repo, rules, "-j", "2", "--config", str(config), builtin=True)

    assert pools == [1]
    assert code == 1
    stopped = [f for f in report["findings"] if f["rule"] == "unscanned-content"]
    assert [f["path"] for f in stopped] == ["slow.pem"]
    assert "analysis stopped after 0.5s" in stopped[0]["message"]
    tokens = {f["path"] for f in report["findings"] if f["rule"] == "test.kswtest-token"}
    assert tokens == {f"f{n:03}.txt" for n in PLANTED if n < 60}
