"""A fresh database is compiled in a forked child and loaded here, on real rules.

The child's database must scan as one compiled in this process does, be written
to the cache and read back from it; a child that dies, is killed, raises or
answers short or malformed leaves the compile to this process, with the same
result; and no child outlives the call: reaped when it answers, killed and
reaped when the parent is interrupted, killed when the parent dies. The child
is made to fail by replacing the function it runs (`hyperscan_db._answer`), which
the fork copies into it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scanner import bounds
from scanner.engine import forked, hyperscan_db
from scanner.engine.compiled import Mode, SidePatterns, compile_rules
from scanner.engine.matcher import Engine, RuleHit
from scanner.engine.ruleset import load_paths
from scanner.model import Rule, RuleKind

hyperscan = pytest.importorskip("hyperscan")
pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="fork, prctl")

MORE_RULES = """
  - {id: lazy.flag, name: ungreedy flag only RE2 knows, kind: token, severity: low,
     keywords: [zz], pattern: '(?U)zz(?P<secret>[0-9]+)', examples: [zz12345, zz0],
     negative_examples: [zz, z1]}
"""
SIDE = SidePatterns((rb"needle[0-9]+", rb"(?i)haystack\s*="), (b"a needle7 here", b"HAYSTACK ="))
RAW = [rb"ghp_[A-Za-z0-9]{36}", rb"(a|b)\1x", rb"(?U)zz([0-9]+)", rb"AKIA[0-9A-Z]{16}"]
"""One pattern of each mode: exact, prefilter (a back-reference), RE2 only."""
TEXTS = [
    b"ghp_" + b"R2d2C3poQ7xWv9LmKp4Tz8Yb1Nf6Hs0Ja5Ge",
    b"aax bax",
    b"zz12",
    b"AKIAQ3EGX7VZK5Y2MB4N",
]


def spans(hits: list[RuleHit]) -> list[tuple[str, int, int]]:
    return sorted((h.rule.id, h.start, h.end) for h in hits)


def reports(db: object, text: bytes) -> list[tuple[int, int, int]]:
    seen: list[tuple[int, int, int]] = []
    db.scan(text, match_event_handler=lambda i, start, end, *_: seen.append((i, start, end)))  # type: ignore[attr-defined]
    return sorted(seen)


def examples(rules: list[Rule]) -> list[bytes]:
    return [e.encode() for r in rules for e in (*r.examples, *r.negative_examples)]


@pytest.fixture
def rules(write_rules: Callable[[str, str], Path], sample_rules_file: Path) -> list[Rule]:
    text = sample_rules_file.read_text(encoding="utf-8") + MORE_RULES
    return load_paths([write_rules(text, "more.yaml")])


@pytest.fixture
def compiled_here(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts the compiles that ran in this process (a child's are its own)."""
    calls: list[int] = []
    real = hyperscan_db._decide

    def counted(*args: object) -> hyperscan_db.Built:
        calls.append(os.getpid())
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(hyperscan_db, "_decide", counted)
    return calls


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The children forked meanwhile; each must be gone (reaped) afterwards."""
    children: list[int] = []
    real = os.fork

    def fork() -> int:
        pid = real()
        if pid:
            children.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", fork)
    yield children
    for pid in children:
        with pytest.raises(ChildProcessError):
            os.waitpid(pid, os.WNOHANG)  # not ours any more: reaped


def pattern_rules(rules: list[Rule]) -> list[bytes]:
    compiled, _ = compile_rules(rules)
    return [c.pattern.encode() for c in compiled if c.rule.kind is not RuleKind.KEY_FILE]


def test_a_database_compiled_in_a_child_scans_as_one_compiled_here(
    rules: list[Rule], forks: list[int]
) -> None:
    exprs = pattern_rules(rules)
    for patterns, side in ((exprs, SIDE.expressions), (RAW, ())):
        apart = hyperscan_db._built_apart(patterns, len(patterns), side)
        here = hyperscan_db._decide(patterns, len(patterns), side)
        assert apart is not None and apart.blob is not None
        assert (apart.modes, apart.side) == (here.modes, here.side)
        for text in [*examples(rules), *TEXTS, *SIDE.probes, b"\n\n".join(examples(rules))]:
            assert reports(apart.db, text) == reports(here.db, text)
    assert hyperscan_db._decide(RAW, 4, ()).modes == [Mode.EXACT, Mode.PREFILTER, Mode.RE2_ONLY, 0]
    assert len(forks) == 2


def test_the_engine_built_from_a_child_finds_what_an_in_process_build_finds(
    rules: list[Rule], compiled_here: list[int], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    apart = Engine(rules, cache_dir=None, side=SIDE)
    assert compiled_here == [] and len(forks) == 1 and apart.has_side
    monkeypatch.setattr(forked, "call", lambda *args: None)  # no child: compiled here
    here = Engine(rules, cache_dir=None, side=SIDE)
    assert compiled_here == [os.getpid()]
    assert (
        [r.id for r in apart.re2_only_rules] == [r.id for r in here.re2_only_rules] == ["lazy.flag"]
    )
    for text in [*examples(rules), b"\n\n".join(examples(rules)), *SIDE.probes]:
        assert spans(apart.find(text)) == spans(here.find(text))
        assert apart.side_found(text) == here.side_found(text)


def test_a_cache_written_from_a_child_is_read_back_and_used(
    rules: list[Rule], tmp_path: Path, compiled_here: list[int]
) -> None:
    cache = tmp_path / "cache"
    first = Engine(rules, cache_dir=cache, side=SIDE)
    assert first._db is not None and not first._db.from_cache and compiled_here == []
    again = Engine(rules, cache_dir=cache, side=SIDE)
    assert again._db is not None and again._db.from_cache and again.has_side
    assert compiled_here == []  # neither here nor (from the cache) anywhere
    for text in [*examples(rules), *SIDE.probes]:
        assert spans(again.find(text)) == spans(first.find(text))
        assert again.side_found(text) == first.side_found(text)


def test_side_expressions_that_do_not_compile_are_left_out_by_the_child(
    rules: list[Rule], compiled_here: list[int]
) -> None:
    broken = Engine(rules, cache_dir=None, side=SidePatterns((rb"(?<=a+)b",), (b"ab",)))
    assert not broken.has_side and compiled_here == []
    plain = Engine(rules, cache_dir=None)
    for text in examples(rules):
        assert spans(broken.find(text)) == spans(plain.find(text))


def _exits(*args: object) -> bytes:
    os._exit(1)


def _killed(*args: object) -> bytes:
    os.kill(os.getpid(), signal.SIGKILL)
    return b""


def _raises(*args: object) -> bytes:
    raise MemoryError


def _too_few_modes(*args: object) -> bytes:
    return b'{"modes": [0], "side": false}\n' + bytes(
        hyperscan.dumpb(hyperscan_db._decide(RAW, 4, ()).db)
    )


def _side_claimed(exprs: list[bytes], count: int, side: list[bytes]) -> bytes:
    """A sound database, said to hold side expressions none were asked for."""
    real = hyperscan_db._decide(exprs, count, side)
    modes = [int(m) for m in real.modes]
    return f'{{"modes": {modes}, "side": true}}\n'.encode() + bytes(hyperscan.dumpb(real.db))


def _garbage(exprs: list[bytes], count: int, side: list[bytes]) -> bytes:
    return f'{{"modes": {[0] * count}, "side": false}}\nnot a database'.encode()


def _cut_short(monkeypatch: pytest.MonkeyPatch) -> None:
    """The child writes half of its answer, then leaves as if all went well."""
    real = forked._write_all

    def half(fd: int, data: bytes) -> None:
        if len(data) == forked.LENGTH.size:
            return real(fd, data)
        real(fd, data[: len(data) // 2])
        os._exit(0)

    monkeypatch.setattr(forked, "_write_all", half)


FAILURES: dict[str, Callable[..., bytes] | None] = {
    "exits": _exits,
    "killed": _killed,
    "raises": _raises,
    "too-few-modes": _too_few_modes,
    "side-claimed": _side_claimed,
    "garbage": _garbage,
    "cut-short": None,
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_child_that_fails_leaves_the_compile_to_this_process(
    rules: list[Rule],
    tmp_path: Path,
    failure: str,
    compiled_here: list[int],
    forks: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = Engine(rules, cache_dir=None)
    compiled_here.clear()
    replacement = FAILURES[failure]
    if replacement is None:
        _cut_short(monkeypatch)
    else:
        monkeypatch.setattr(hyperscan_db, "_answer", replacement)
    engine = Engine(rules, cache_dir=tmp_path / "cache")
    assert compiled_here == [os.getpid()] and len(forks) == 2
    assert engine._db is not None and engine._db.modes == expected._db.modes  # type: ignore[union-attr]
    for text in [*examples(rules), b"\n\n".join(examples(rules))]:
        assert spans(engine.find(text)) == spans(expected.find(text))
    monkeypatch.undo()
    assert Engine(rules, cache_dir=tmp_path / "cache")._db.from_cache  # type: ignore[union-attr]


def test_patterns_that_cannot_compile_at_all_still_raise_hyperscan_error(
    compiled_here: list[int], forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object) -> object:
        raise hyperscan.error("refused for this test")

    monkeypatch.setattr(hyperscan_db, "_build", refuse)  # in the child as well
    with pytest.raises(hyperscan.error, match="refused for this test"):
        hyperscan_db.HyperscanDatabase(["abc"])
    assert compiled_here == [os.getpid()] and len(forks) == 1


def test_a_library_thread_gets_its_database_from_a_child(
    rules: list[Rule], compiled_here: list[int], forks: list[int]
) -> None:
    built: list[Engine] = []
    thread = threading.Thread(target=lambda: built.append(Engine(rules, cache_dir=None)))
    thread.start()
    thread.join()
    assert compiled_here == [] and len(forks) == 1
    assert spans(built[0].find(TEXTS[0])) == spans(Engine(rules, cache_dir=None).find(TEXTS[0]))


def _gone(pid: int) -> bool:
    """Ended: reaped, or a zombie waiting for a parent that is not us."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state == "Z"


def _slow_answer(marker: Path) -> Callable[..., bytes]:
    def slow(*args: object) -> bytes:
        marker.write_text(str(os.getpid()))
        time.sleep(60)
        return b""

    return slow


def _wait_for(marker: Path) -> int:
    for _ in range(1000):
        if marker.exists() and marker.read_text():
            return int(marker.read_text())
        time.sleep(0.01)
    raise AssertionError("the child never started")


@pytest.mark.parametrize("raise_now", [True, False], ids=["scanning", "building"])
def test_an_interrupted_parent_kills_and_reaps_its_child(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch, raise_now: bool
) -> None:
    """While a batch runs in the main process a stop signal raises at once; while
    the scanner is built it is only noted (`raise_now` off), so the wait must look
    for it. Either way the child is killed and reaped and the build ends with
    Interrupted rather than once the compile is done (this child would sleep for a
    minute)."""
    marker = tmp_path / "child.pid"
    monkeypatch.setattr(hyperscan_db, "_answer", _slow_answer(marker))

    def interrupt() -> None:
        _wait_for(marker)
        os.kill(os.getpid(), signal.SIGINT)

    started = time.monotonic()
    with bounds.StopSignals() as stop:
        stop.raise_now = raise_now
        threading.Thread(target=interrupt).start()
        with pytest.raises(bounds.Interrupted):
            hyperscan_db.HyperscanDatabase(["abc"])
    assert stop.signum == signal.SIGINT
    assert time.monotonic() - started < 30
    assert forks == [int(marker.read_text())]  # the fixture checks it was reaped


def test_without_a_stop_the_wait_for_the_child_goes_on() -> None:
    """`raise_if_stopped` outside any scan, and inside one not asked to stop, is silent."""
    bounds.raise_if_stopped()
    with bounds.StopSignals():
        bounds.raise_if_stopped()


STOPPED = textwrap.dedent(
    """
    import os, signal, sys, time
    from scanner.engine import forked

    class Stop(BaseException):
        pass

    def stop(signum, frame):
        raise Stop

    forks = []
    os.register_at_fork(after_in_parent=lambda: forks.append(1))
    signal.signal(signal.SIGALRM, stop)
    answers = 0
    for step in range(200):
        try:
            signal.setitimer(signal.ITIMER_REAL, 0.0001 * 1.03**step)  # 0.1 to 36 ms
            answers += forked.call(lambda: time.sleep(0.005) or b"answer") == b"answer"
            signal.setitimer(signal.ITIMER_REAL, 0)
        except Stop:
            pass
    signal.setitimer(signal.ITIMER_REAL, 0)
    left = []  # children never reaped, running or not
    for entry in os.listdir("/proc"):
        try:
            stat = open(f"/proc/{entry}/stat").read()
        except (OSError, ValueError):
            continue
        if entry.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == os.getpid():
            left.append(int(entry))
    print(len(forks), answers, left)
    """
)


def test_a_stop_at_any_moment_leaves_no_child_and_closes_nothing_twice() -> None:
    """Stopped before, during or after the fork, while the answer is read or
    while the child is reaped (a timer's handler raising at 200 moments): every
    child is reaped, and no other exception comes out (a descriptor closed twice
    would be EBADF). In a process of its own: a stop raised inside the fork's own
    handlers (the logging module's) is swallowed there and can leave their lock
    held."""
    run = subprocess.run([sys.executable, "-c", STOPPED], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    forks, answers, left = run.stdout.split(" ", 2)
    assert int(forks) > 100 and int(answers) < 200 and left.strip() == "[]"


PARENT = textwrap.dedent(
    """
    import atexit, os, sys, time
    from pathlib import Path
    from scanner.engine import hyperscan_db

    marker, said = Path(sys.argv[1]), Path(sys.argv[2])
    atexit.register(lambda: said.open("a").write(f"atexit in {os.getpid()}\\n"))
    if sys.argv[3] == "slow":
        def slow(*args):
            marker.write_text(str(os.getpid()))
            time.sleep(60)
        hyperscan_db._answer = slow
    db = hyperscan_db.HyperscanDatabase(["abc", "(?U)zz[0-9]+"])
    said.open("a").write(f"modes {[int(m) for m in db.modes]} in {os.getpid()}\\n")
    """
)


def test_the_child_runs_none_of_the_parents_exit_functions(tmp_path: Path) -> None:
    said = tmp_path / "said.txt"
    command = [sys.executable, "-c", PARENT, str(tmp_path / "pid"), str(said), "fast"]
    run = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    lines = said.read_text().splitlines()
    pids = {line.rsplit(" ", 1)[1] for line in lines}
    assert lines[0].startswith("modes [0, 2] in ") and len(lines) == 2 and len(pids) == 1


def test_a_parent_killed_outright_takes_its_child_with_it(tmp_path: Path) -> None:
    marker = tmp_path / "child.pid"
    command = [sys.executable, "-c", PARENT, str(marker), str(tmp_path / "said"), "slow"]
    parent = subprocess.Popen(command)
    try:
        child = _wait_for(marker)
    finally:
        parent.kill()
        parent.wait()
    deadline = time.monotonic() + 10
    while not _gone(child) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert _gone(child)


def test_without_linux_no_child_is_forked(
    monkeypatch: pytest.MonkeyPatch, forks: list[int]
) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    assert forked.call(lambda: b"answer") is None and forks == []
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert forked.call(lambda: b"answer") == b"answer"


def test_the_cache_file_from_a_child_is_the_one_an_in_process_compile_writes(
    rules: list[Rule], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    Engine(rules, cache_dir=tmp_path / "apart", side=SIDE)
    monkeypatch.setattr(forked, "call", lambda *args: None)
    Engine(rules, cache_dir=tmp_path / "here", side=SIDE)
    (apart,) = (tmp_path / "apart").glob("hyperscan-*.db")
    (here,) = (tmp_path / "here").glob("hyperscan-*.db")
    assert apart.name == here.name and apart.read_bytes() == here.read_bytes()
