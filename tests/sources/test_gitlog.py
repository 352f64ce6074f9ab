"""`gitlog`: the inventory a history's `git log --raw -c` gives, and the same
calls started early (`gitlog.started_early`, as `keysweep git` starts them while
it imports the scanner): which blob was introduced at which path by which
commit, across merges with resolved conflicts, an octopus merge changed by
hand, renames, deletions, symbolic links, submodules, excluded paths, empty
commits and file names that are not UTF-8 or look like git's own markers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from support import TOKEN_RULE, commit, git, token

import scanner
from scanner.sources import gitlog
from scanner.sources.git import FULL_HISTORY
from scanner.sources.gitsafe import SafeGit, discover
from scanner.suppress import PathMatcher


def _write(repo: Path, name: str | bytes, text: str) -> None:
    path = os.path.join(os.fsencode(repo), os.fsencode(name))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as handle:
        handle.write(text)


def _commit(repo: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        _write(repo, name, text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def _blob(repo: Path, text: str) -> str:
    done = subprocess.run(
        ["git", "hash-object", "--stdin"], cwd=repo, input=text, text=True, capture_output=True
    )
    return done.stdout.strip()


@pytest.fixture
def history(make_repo: object) -> tuple[Path, dict[str, str]]:
    """A history with every kind of change; (repository, commit ids by name)."""
    repo: Path = make_repo()  # type: ignore[operator]
    ids = {"root": _commit(repo, {"a.txt": "one\n", "same/x.py": "X = 1\n"}, "root")}
    ids["copy"] = _commit(repo, {"same/y.py": "X = 1\n", ":odd": "colon\n"}, "copy")
    _write(repo, b"caf\xe9.cfg", "latin-1 name\n")
    _write(repo, "new\nline.txt", "newline in the name\n")
    os.symlink("a.txt", repo / "link")
    ids["names"] = _commit(repo, {}, "names")
    ids["empty"] = _commit(repo, {}, "empty")
    git(repo, "checkout", "-q", "-b", "side")
    ids["side"] = _commit(repo, {"a.txt": "side\n", "b.txt": "b\n"}, "side")
    git(repo, "checkout", "-q", "main")
    ids["main"] = _commit(repo, {"a.txt": "main\n"}, "main")
    subprocess.run(["git", "merge", "-q", "side"], cwd=repo, capture_output=True)
    ids["merge"] = _commit(repo, {"a.txt": "resolved\n"}, "merge")
    for branch in ("o1", "o2"):
        git(repo, "checkout", "-q", "-b", branch, "main")
        _commit(repo, {f"{branch}.txt": branch}, branch)
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-commit", "o1", "o2")
    ids["octopus"] = _commit(repo, {"o1.txt": "changed in the octopus\n"}, "octopus")
    sub = _commit(repo, {}, "for a gitlink")
    git(repo, "update-index", "--add", "--cacheinfo", f"160000,{sub},vendor/sub")
    git(repo, "rm", "-q", "same/y.py")
    (repo / "moved").mkdir()
    git(repo, "mv", "b.txt", "moved/b.txt")
    git(repo, "commit", "-q", "-m", "last")  # not `add -A`: it would drop the gitlink
    ids["last"] = git(repo, "rev-parse", "HEAD")
    tagged = subprocess.run(
        ["git", "hash-object", "-w", "--stdin"],
        cwd=repo,
        input="tagged\n",
        text=True,
        capture_output=True,
        check=True,
    ).stdout.strip()
    git(repo, "tag", "a-blob", tagged)
    git(repo, "tag", "-a", "-m", "a tree", "a-tree", f"{ids['root']}^{{tree}}")
    return repo, ids


def _inventory(repo: Path, globs: tuple[str, ...] = ()) -> gitlog.Inventory:
    safe = SafeGit(discover(repo))
    return gitlog.log_inventory(safe, FULL_HISTORY, (), PathMatcher(globs))


def _commit_of(inventory: gitlog.Inventory, index: int) -> str:
    return inventory.commits[index].sha


def test_each_blob_is_attributed_to_the_commit_that_first_put_it_at_each_path(
    history: tuple[Path, dict[str, str]],
) -> None:
    repo, ids = history
    inventory = _inventory(repo)
    found = {
        blob: {path: _commit_of(inventory, index) for path, index in places.items()}
        for blob, places in inventory.paths.items()
    }
    assert found[_blob(repo, "one\n")] == {"a.txt": ids["root"]}
    assert found[_blob(repo, "X = 1\n")] == {"same/x.py": ids["root"], "same/y.py": ids["copy"]}
    assert found[_blob(repo, "colon\n")] == {":odd": ids["copy"]}
    assert found[_blob(repo, "latin-1 name\n")] == {"caf\udce9.cfg": ids["names"]}
    assert found[_blob(repo, "newline in the name\n")] == {"new\nline.txt": ids["names"]}
    assert found[_blob(repo, "resolved\n")] == {"a.txt": ids["merge"]}
    assert found[_blob(repo, "changed in the octopus\n")] == {"o1.txt": ids["octopus"]}
    assert found[_blob(repo, "b\n")] == {"b.txt": ids["side"], "moved/b.txt": ids["last"]}
    blob, index = inventory.blobs[_blob(repo, "X = 1\n")]
    assert (blob, _commit_of(inventory, index)) == ("same/x.py", ids["root"])
    assert inventory.symlinks == {"link"}
    assert inventory.submodules == {"vendor/sub"}
    assert _blob(repo, "a.txt") in inventory.skipped_blobs  # the link's target name
    assert not inventory.excluded and not inventory.errors
    assert [c.sha for c in inventory.commits][-1] == ids["root"]
    assert ids["empty"] in [c.sha for c in inventory.commits]


def test_excluded_paths_are_noted_and_their_blobs_never_read(
    history: tuple[Path, dict[str, str]],
) -> None:
    repo, _ = history
    everything = _inventory(repo)
    inventory = _inventory(repo, ("*.txt",))
    assert inventory.excluded == {p for b in everything.paths.values() for p in b} - {
        "same/x.py",
        "same/y.py",
        ":odd",
        "caf\udce9.cfg",
    }
    assert {p for b in inventory.paths.values() for p in b} == {
        "same/x.py",
        "same/y.py",
        ":odd",
        "caf\udce9.cfg",
    }
    assert _blob(repo, "one\n") in inventory.skipped_blobs


def _same(one: gitlog.Inventory, other: gitlog.Inventory) -> bool:
    return (
        one.commits == other.commits
        and list(one.blobs.items()) == list(other.blobs.items())
        and list(one.paths.items()) == list(other.paths.items())
        and (one.submodules, one.symlinks, one.excluded, one.skipped_blobs, one.errors)
        == (other.submodules, other.symlinks, other.excluded, other.skipped_blobs, other.errors)
    )


def test_one_parent_lines_read_by_their_places_give_what_splitting_them_gives(
    history: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every line of a real log (changes, deletions, type changes, merges) read
    by `_parse_log`'s fixed places and by `parse_raw_header` alone: the same."""
    repo, _ = history
    sliced = _inventory(repo)
    monkeypatch.setattr(gitlog, "RAW_LINE", -1)  # no line is read by its places
    split = _inventory(repo)
    assert sliced.blobs and _same(sliced, split)
    assert sliced.paths == split.paths


@pytest.fixture
def early_calls() -> Iterator[None]:
    yield
    assert not gitlog._EARLY  # every call started early was taken or ended


@pytest.mark.usefixtures("early_calls")
@pytest.mark.parametrize("read_ahead", [64 << 20, 100])
def test_calls_started_early_give_the_same_inventory_and_tree(
    history: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch, read_ahead: int
) -> None:
    """Taken whole, or past a read-ahead smaller than the output (then read on)."""
    repo, _ = history
    monkeypatch.setattr(gitlog, "READ_AHEAD_BYTES", read_ahead)
    safe = SafeGit(discover(repo))
    exclude = PathMatcher(())
    plain, tree = _inventory(repo), gitlog.head_paths(safe)
    refs = gitlog.ref_objects(safe, exclude)
    with gitlog.started_early(safe, FULL_HISTORY):
        assert len(gitlog._EARLY) == 3
        later = gitlog.head_paths_later(SafeGit(discover(repo)))
        early = _inventory(repo)
        early_refs = gitlog.ref_objects(SafeGit(discover(repo)), exclude)
        assert not gitlog._EARLY  # every call was taken
        assert later() == tree
    assert _same(early, plain)
    assert _same(early_refs, refs)
    assert set(refs.paths) == {
        _blob(repo, "tagged\n"),
        _blob(repo, "one\n"),
        _blob(repo, "X = 1\n"),
    }


@pytest.mark.usefixtures("early_calls")
def test_a_call_started_early_and_not_taken_is_ended(
    history: tuple[Path, dict[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, _ = history
    safe = SafeGit(discover(repo))
    with gitlog.started_early(safe, FULL_HISTORY):
        processes = list(gitlog._EARLY.values())
        monkeypatch.setenv("GIT_INDEX_FILE", str(repo / ".git" / "other-index"))
        other = SafeGit(discover(repo))  # another environment: another call
        assert _same(
            gitlog.log_inventory(other, FULL_HISTORY, (), PathMatcher(())), _inventory(repo)
        )
        assert len(gitlog._EARLY) == 3
    assert all(p.popen.poll() is not None for p in processes)


@pytest.mark.usefixtures("early_calls")
def test_a_block_left_by_an_error_ends_its_calls(history: tuple[Path, dict[str, str]]) -> None:
    repo, _ = history
    with pytest.raises(RuntimeError), gitlog.started_early(SafeGit(discover(repo)), FULL_HISTORY):
        processes = list(gitlog._EARLY.values())
        raise RuntimeError("the command failed before its scan")
    assert all(p.popen.poll() is not None for p in processes)


@pytest.mark.usefixtures("early_calls")
def test_sigterm_before_the_scan_ends_the_calls_started_early(
    history: tuple[Path, dict[str, str]],
) -> None:
    """By default SIGTERM killed the process at once and left git running."""
    import signal

    repo, _ = history
    runner = signal.signal(signal.SIGTERM, signal.SIG_DFL)  # as in a command's process
    try:
        with (
            pytest.raises(SystemExit) as stopped,
            gitlog.started_early(SafeGit(discover(repo)), FULL_HISTORY),
        ):
            processes = list(gitlog._EARLY.values())
            os.kill(os.getpid(), signal.SIGTERM)
            for _ in range(1000):  # the handler runs between bytecodes
                pass
        assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL
    finally:
        signal.signal(signal.SIGTERM, runner)
    assert stopped.value.code == 143
    assert processes and all(p.popen.poll() is not None for p in processes)


def test_the_cli_finds_in_a_history_what_the_library_finds(
    history: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """`keysweep git` (git started early, the console script's way out) against
    `scanner.scan` on the same history (git started when the source asks)."""
    repo, _ = history
    commit(repo, {f"deploy/key{n}.env": f"KEY={token()}\n" for n in range(60)}, "tokens")
    commit(repo, {"deploy/key1.env": None}, "one removed")
    rules = tmp_path / "rules.yaml"
    rules.write_text(TOKEN_RULE)
    env = {**os.environ, "KEYSWEEP_CACHE_DIR": str(tmp_path / "cache")}
    options = ["--rules", str(rules), "--no-builtin-rules", "--format", "json", "--jobs", "2"]
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "git", str(repo), *options],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    config = scanner.load_config(None, repo).with_overrides(
        rules_dirs=(rules,), builtin_rules=False, jobs=2
    )
    library = scanner.scan(config, [scanner.GitHistory(repo)])
    cli = json.loads(done.stdout)
    assert len(cli["findings"]) == len(library.findings) == 60
    assert sorted(f["id"] for f in cli["findings"]) == sorted(f.id for f in library.findings)
    places = sorted((p["path"], p["commit"]) for f in cli["findings"] for p in f["locations"])
    assert places == sorted((p.path, p.origin.commit) for f in library.findings for p in f.places)
    assert cli["summary"]["items_scanned"] == library.items_scanned


def test_under_a_hooks_relative_index_each_history_call_runs_once(
    history: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """git names the index relative to the work tree in a hook; the source resolves
    it, so calls started before would differ from the source's and run twice."""
    repo, _ = history
    calls = tmp_path / "calls.txt"
    wrapper = tmp_path / "git-logged"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\n" "$*" >> "{calls}"\nexec git "$@"\n')
    wrapper.chmod(0o755)
    env = {
        **os.environ,
        "KEYSWEEP_CACHE_DIR": str(tmp_path / "cache"),
        "GIT_INDEX_FILE": ".git/index",
        "GIT_PYTHON_GIT_EXECUTABLE": str(wrapper),
    }
    done = subprocess.run(
        [sys.executable, "-m", "scanner", "git", ".", "--format", "json"],
        capture_output=True, text=True, env=env, cwd=repo, timeout=300,
    )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr
    ran = calls.read_text().splitlines()
    log = [line for line in ran if " log " in line and "--reflog" in line]
    tree = [line for line in ran if " ls-tree " in line and line.endswith(" HEAD")]
    refs = [line for line in ran if " for-each-ref " in line]
    assert (len(log), len(tree), len(refs)) == (1, 1, 1)


def _children(name: str) -> list[int]:
    """Processes of this one's named `name` that are still alive (not reaped)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        comm, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat.rsplit(")", 1)[1].split()
        if comm == name and int(fields[1]) == os.getpid():
            found.append(int(entry))
    return found


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_stop_signal_ends_the_listing_of_a_large_history(make_repo: Any) -> None:
    """A large history is listed before its first blob is scanned; a stop signal
    the scan has noted ends the listing between two MiB of git's output, and git,
    which may still be writing, is killed rather than waited for."""
    import signal

    from scanner import bounds

    repo: Path = make_repo()
    stream = "".join(
        f"commit refs/heads/main\ncommitter T <t@example.test> {1_600_000_000 + n} +0000\n"
        f"data 3\nc{n % 10}\nM 100644 inline dir{n % 97}/file{n}.txt\ndata 2\n{n % 10}\n\n"
        for n in range(8_000)
    )
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream.encode(), check=True)
    safe = SafeGit(discover(repo))
    whole = gitlog.log_inventory(safe, FULL_HISTORY, (), PathMatcher(()))
    assert len(whole.commits) == 8_000  # a log of over a MiB: read in many chunks
    with bounds.StopSignals():
        os.kill(os.getpid(), signal.SIGTERM)  # noted, not raised: no scan slice is running
        started = time.monotonic()
        with pytest.raises(bounds.Interrupted):
            gitlog.log_inventory(safe, FULL_HISTORY, (), PathMatcher(()))
        assert time.monotonic() - started < 2
    assert _children("git") == []


def test_a_signal_noted_for_one_scan_never_stops_another_threads(make_repo: Any) -> None:
    """A signal reaches the main thread's scan only: a scan a library runs in
    another thread at the same time lists its whole history (it used to stop
    and come out as a clean scan of nothing)."""
    import signal
    import threading

    from scanner import bounds

    repo: Path = make_repo()
    _commit(repo, {"a.txt": "one\n"}, "root")
    safe = SafeGit(discover(repo))
    listed: list[object] = []

    def other_scan() -> None:
        with bounds.StopSignals():
            try:
                bounds.raise_if_stopped()
                listed.append(gitlog.log_inventory(safe, FULL_HISTORY, (), PathMatcher(())))
            except bounds.Interrupted as stopped:
                listed.append(stopped)

    with bounds.StopSignals():
        os.kill(os.getpid(), signal.SIGTERM)  # noted for this thread's scan
        thread = threading.Thread(target=other_scan)
        thread.start()
        thread.join(timeout=60)
        with pytest.raises(bounds.Interrupted):
            bounds.raise_if_stopped()
    assert [type(x) for x in listed] == [gitlog.Inventory]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_stop_signal_ends_the_search_for_unreachable_objects(make_repo: Any) -> None:
    """`fsck` and the listing of every stored object can take seconds before they
    write; a stop signal the scan has noted ends them at once, git killed."""
    import signal

    from scanner import bounds

    repo: Path = make_repo()
    _commit(repo, {"a.txt": "one\n"}, "root")
    (repo / "loose.txt").write_text("dangling\n")
    git(repo, "hash-object", "-w", "loose.txt")
    safe = SafeGit(discover(repo))
    found = gitlog.unreachable_inventory(safe, gitlog.Inventory(), PathMatcher(()))
    assert [path for path, _ in found.blobs.values()][-1].startswith("unreachable/")
    with bounds.StopSignals():
        os.kill(os.getpid(), signal.SIGTERM)  # noted, not raised: no scan slice is running
        with pytest.raises(bounds.Interrupted):
            gitlog.unreachable_inventory(safe, gitlog.Inventory(), PathMatcher(()))
    assert _children("git") == []
