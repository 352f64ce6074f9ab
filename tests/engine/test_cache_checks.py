"""What a compiled-database cache file must prove before it is used, on real files.

A rule whose example does not match its own pattern is said once, when the
database is built, and the cache is still used afterwards (it is not rebuilt on
every run). A cache file cut short, with a mode list that does not fit the
patterns, or with modes or bytes altered under its old hash, is rebuilt, and the
scan finds what a fresh database finds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

from scanner.engine import hyperscan_db
from scanner.engine.matcher import Engine, RuleHit
from scanner.engine.ruleset import load_paths

pytest.importorskip("hyperscan")

GOOD = "zzq_" + "k3Jd9Qw2Lm5Tx8Vb1Nc4"
BROKEN_RULE = """
  - id: test.broken-example
    name: A rule whose example is wrong
    kind: token
    severity: high
    pattern: '\\b(?P<secret>zzq_[A-Za-z0-9]{20})\\b'
    examples: ["zzq_tooShort"]
    negative_examples: ["zzq_"]
"""
NO_EXAMPLES_RULE = """
  - id: test.no-examples
    name: A rule without examples
    kind: token
    severity: high
    pattern: '\\b(?P<secret>yyw_[A-Za-z0-9]{24})\\b'
"""


def spans(hits: list[RuleHit]) -> list[tuple[str, int, int]]:
    return sorted((h.rule.id, h.start, h.end) for h in hits)


def database(engine: Engine) -> hyperscan_db.HyperscanDatabase:
    assert engine._db is not None
    return engine._db


@pytest.fixture
def rules_file(write_rules: Callable[[str, str], Path], sample_rules_file: Path) -> Path:
    text = sample_rules_file.read_text(encoding="utf-8") + BROKEN_RULE + NO_EXAMPLES_RULE
    return write_rules(text, "with-broken.yaml")


def cache_file(cache: Path) -> Path:
    (path,) = cache.glob("hyperscan-*.db")
    return path


def test_a_broken_example_is_one_warning_and_the_cache_is_still_used(
    rules_file: Path, tmp_path: Path
) -> None:
    rules = load_paths([rules_file])
    cache = tmp_path / "cache"
    with pytest.warns(hyperscan_db.CacheWarning, match=r"1 rule\(s\) not matched") as said:
        first = Engine(rules, cache_dir=cache)
    assert len(said) == 1 and "zzq_" in str(said[0].message)
    assert not database(first).from_cache
    written = cache_file(cache).stat()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # any warning now fails the test
        for _ in range(2):
            again = Engine(rules, cache_dir=cache)
            assert database(again).from_cache
    after = cache_file(cache).stat()
    assert (after.st_ino, after.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    data = f"t = {GOOD}\n".encode()
    assert spans(again.find(data)) == spans(Engine(rules, cache_dir=None).find(data)) != []


def test_the_cli_says_it_once_and_the_next_run_is_quiet(rules_file: Path, tmp_path: Path) -> None:
    target = tmp_path / "app.py"
    target.write_text(f'TOKEN = "{GOOD}"\n')
    env = {**os.environ, "KEYSWEEP_CACHE_DIR": str(tmp_path / "cache")}
    argv = [sys.executable, "-m", "scanner", "scan", "--rules", str(rules_file)]
    argv += ["--no-builtin-rules", "--format", "json", str(target)]
    runs = [subprocess.run(argv, capture_output=True, text=True, env=env) for _ in range(2)]
    for run in runs:
        assert run.returncode == 1, run.stderr
        assert "test.broken-example" in {f["rule"] for f in json.loads(run.stdout)["findings"]}
    said = [line for line in runs[0].stderr.splitlines() if line.startswith("keysweep: warning:")]
    assert len(said) == 1 and "not matched by their own examples" in said[0]
    assert "keysweep: warning" not in runs[1].stderr


def _rewrite(path: Path, header: dict[str, object], body: bytes) -> None:
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)
    path.chmod(0o600)


@pytest.mark.parametrize(
    "damage", ["truncated", "modes-too-few", "modes-too-many", "mode-altered", "body-altered"]
)
def test_a_damaged_cache_is_rebuilt_never_trusted(
    rules_file: Path, tmp_path: Path, damage: str
) -> None:
    rules = load_paths([rules_file])
    cache = tmp_path / "cache"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hyperscan_db.CacheWarning)
        Engine(rules, cache_dir=cache)
        assert database(Engine(rules, cache_dir=cache)).from_cache  # stamped now
    path = cache_file(cache)
    header_text, body = path.read_bytes().split(b"\n", 1)
    header = json.loads(header_text)
    modes = list(header["modes"])
    if damage == "truncated":
        path.write_bytes(header_text + b"\n" + body[: len(body) // 2])
    elif damage in ("modes-too-few", "modes-too-many"):
        header["modes"] = modes[:-1] if damage == "modes-too-few" else [*modes, 0]
        header["sha256"] = hyperscan_db._digest(header["modes"], body)  # a consistent hash
        _rewrite(path, header, body)
    elif damage == "mode-altered":  # the first pattern said to be RE2-only, old hash kept
        header["modes"] = [2, *modes[1:]]
        _rewrite(path, header, body)
    else:
        _rewrite(path, header, body[:-1] + bytes([body[-1] ^ 1]))
    data = b"x = ghp_R2d2C3poQ7xWv9LmKp4Tz8Yb1Nf6Hs0Ja5Ge\nAKIAQ3EGX7VZK5Y2MB4N\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hyperscan_db.CacheWarning)
        engine = Engine(rules, cache_dir=cache)
        assert not database(engine).from_cache
        assert spans(engine.find(data)) == spans(Engine(rules, cache_dir=None).find(data)) != []
        assert database(Engine(rules, cache_dir=cache)).from_cache  # rewritten, sound again


def test_the_stamp_names_the_file_and_its_hash(rules_file: Path, tmp_path: Path) -> None:
    rules = load_paths([rules_file])
    cache = tmp_path / "cache"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", hyperscan_db.CacheWarning)
        Engine(rules, cache_dir=cache)
        Engine(rules, cache_dir=cache)
    path = cache_file(cache)
    header = json.loads(path.read_bytes().split(b"\n", 1)[0])
    stamp = json.loads(path.with_suffix(".ok").read_bytes())
    info = path.stat()
    assert stamp["verified"] == [info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns,
                                 info.st_ctime_ns, header["sha256"]]  # fmt: skip
