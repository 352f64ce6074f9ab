"""What the rule engine and the per-item stages cost per blob of a history.

Reads every blob of a repository's history once (`GitSource`, as `keysweep git`
does), keeps them in memory, then times in this process, in CPU seconds (best of
`--repeat`):

- `hyperscan`: the compiled database's scan of every blob, without a callback;
- `detector`: the rules detector's `detect` on every blob (what a history scan
  spends in the rule engine, binary blobs included);
- `worker`: `pipeline._Worker.process_batch` over batches of 256 blobs with the
  rules detector only (reading, archives, the binary test, key containers,
  vetting, findings);
- `per-item`: the same with no detector at all, which is the per-item overhead;
- `both`: the same with the rules and the Python detector (the default
  detectors), the Python detector's caches emptied before each repeat (libcst's
  import is paid before the first).

Each line also prints a digest of what was found (rules, paths, lines,
severities, skips and suppressions), so two builds can be checked to give the
same results. Nothing is timed but CPU: the figures hold on a busy machine.

    python benchmarks/item_path.py --git REPO [--repeat 5] [--only detector,worker]
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from scanner.config import Config
from scanner.detectors import DETECTORS
from scanner.detectors.rules import RuleDetector
from scanner.engine.ruleset import load_rules
from scanner.model import Item
from scanner.pipeline import _Worker
from scanner.schedule import ItemResult
from scanner.sources.git import GitSource

BATCH = 256
PARTS = ("hyperscan", "detector", "worker", "per-item", "both")


def blobs(repository: Path) -> list[Item]:
    return [event for event in GitSource(repository).events() if isinstance(event, Item)]


def best(repeat: int, run: Callable[[], str]) -> tuple[float, str]:
    """The least CPU seconds of `repeat` runs, and what the last run returned."""
    times, out = [], ""
    for _ in range(repeat):
        started = time.process_time()
        out = run()
        times.append(time.process_time() - started)
    return min(times), out


def digest(result: ItemResult) -> str:
    found = sorted((f.rule, f.path, f.line, int(f.severity)) for f in result.findings)
    summary = (found, sorted(result.skipped.items()), sorted(result.suppressed.items()))
    text = repr((summary, result.items, result.nbytes))
    return f"{len(found)} findings, digest {hashlib.sha256(text.encode()).hexdigest()[:12]}"


def over_batches(worker: _Worker, items: Sequence[Item], *, fresh: bool = False) -> str:
    if fresh:
        forget_python()
    total = ItemResult()
    for start in range(0, len(items), BATCH):
        total.merge(worker.process_batch(items[start : start + BATCH]))
    return digest(total)


def forget_python() -> None:
    """Empty the Python detector's caches of runs, windows and their facts."""
    from scanner.detectors import python_chunks, python_cst, python_screen

    python_chunks.forget()
    python_screen._KEPT.clear()
    python_cst.window_facts.cache_clear()


def runs(items: Sequence[Item], config: Config) -> dict[str, Callable[[], str]]:
    rules = load_rules(config)
    detector = DETECTORS["rules"](config, rules)
    assert isinstance(detector, RuleDetector)
    database: Any = detector.engine._db  # the compiled database itself
    rules_only = _Worker(replace(config, detectors=("rules",)), rules, None)
    bare = _Worker(replace(config, detectors=()), rules, None)
    both = _Worker(replace(config, detectors=("rules", "python")), rules, None)
    import libcst  # noqa: F401  (its import, once per process, is not what is measured)

    def hyperscan() -> str:
        for item in items:
            database._db.scan(item.data)
        return ""

    def detect() -> str:
        return f"{sum(len(detector.detect(i.origin, i.data or b'')) for i in items)} matches"

    return {
        "hyperscan": hyperscan if database is not None else (lambda: "no hyperscan"),
        "detector": detect,
        "worker": lambda: over_batches(rules_only, items),
        "per-item": lambda: over_batches(bare, items),
        "both": lambda: over_batches(both, items, fresh=True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git", type=Path, required=True, help="the repository to read")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", default=",".join(PARTS), help="comma-separated parts")
    parser.add_argument("--cache-dir", type=Path, help="the compiled-rules cache to use")
    args = parser.parse_args()
    started = time.process_time()
    items = blobs(args.git)
    size = sum(len(item.data or b"") for item in items)
    read = time.process_time() - started
    print(f"{len(items)} blobs, {size / 1e6:.1f} MB, read in {read:.2f} s CPU")
    chosen = runs(items, Config(cache_dir=args.cache_dir))
    for part in args.only.split(","):
        seconds, out = best(args.repeat, chosen[part])
        print(f"{part:<10} {seconds:6.3f} s CPU  {out}", flush=True)


if __name__ == "__main__":
    main()
