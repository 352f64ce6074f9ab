"""The serial start and end of a history scan, from marks inside the real CLI.

Before its first item is handed out and after its last item is scanned, `keysweep git`
runs on one core while the others idle. This runs the console script's code
(`scanner.cli.entry`) in a fresh interpreter per run, with marks added by
post-import hooks (nothing is imported earlier than the CLI imports it):

- first item: wall time and the main thread's CPU time when the git source
  yields its first item (`GitSource._items`: a blob read, or one named for a
  scanning process to read);
- first batch: wall time when a forked worker starts its first batch (the
  main process has listed the history, built the scanner and forked), on the
  same clock (a pool only: `--jobs 2` on a large history);
- tail: from `schedule.run` returning (every item scanned) to the last `atexit`
  function (the report built and written);
- exit: from there until the parent reaps the process (finalisation, or the
  quick exit, and the kernel freeing the memory);
- wall: the whole run as the parent sees it.

    python benchmarks/serial.py REPO [--runs 7] [--jobs 2] [--python OTHER/bin/python]
                                     [--tree OTHER_CHECKOUT]

`--python` runs another checkout's interpreter (its own `scanner`) the same way,
alternating with this one, so two versions are compared under the same load;
`--tree` runs this interpreter with another checkout's `scanner` first on
`PYTHONPATH` (one virtual environment, two trees).
Medians in milliseconds, with the load average: a busy machine stretches wall
time far more than CPU time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

DRIVER = r"""
import atexit, importlib.util, json, os, sys, time
START = time.perf_counter()
MARKS = {}

def mark(name):
    MARKS.setdefault(name, (time.perf_counter() - START, time.thread_time()))

def patch_git(module):
    items = module.GitSource._items
    def first_item(self, *args, **kwargs):
        for event in items(self, *args, **kwargs):
            if isinstance(event, module.Item):
                mark("first_item")
            yield event
    module.GitSource._items = first_item

def patch_schedule(module):
    run = module.run
    def timed(*args, **kwargs):
        try:
            return run(*args, **kwargs)
        finally:
            mark("run_end")
    module.run = timed
    work = module._process_in_worker
    marked = []
    def first_batch(*args, **kwargs):  # in a forked worker: START is the parent's
        if not marked:
            marked.append(True)
            first = {"first_batch": [time.perf_counter() - START, time.thread_time()]}
            os.write(2, ("SERIAL_WORKER " + json.dumps(first) + "\n").encode())
        return work(*args, **kwargs)
    first_batch.__module__, first_batch.__qualname__ = work.__module__, work.__qualname__
    module._process_in_worker = first_batch  # pickled by name: the worker finds this one

PATCHES = {"scanner.sources.git": patch_git, "scanner.schedule": patch_schedule}

class Hook:  # a meta path finder (importlib.abc would import importlib.resources)
    def find_spec(self, name, path, target=None):
        if name not in PATCHES:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        load = spec.loader.exec_module
        def exec_module(module):
            load(module)
            PATCHES[name](module)
        spec.loader.exec_module = exec_module
        return spec

def report():
    mark("atexit")
    os.write(2, ("SERIAL " + json.dumps({**MARKS, "epoch": time.time()}) + "\n").encode())

sys.meta_path.insert(0, Hook())
atexit.register(report)
from scanner import cli
sys.argv = ["keysweep", *sys.argv[1:]]
getattr(cli, "entry", cli.main)()
"""


def one_run(
    python: str, repo: Path, jobs: int, out: Path, tree: str | None = None
) -> dict[str, float]:
    """One scan: its marks in milliseconds."""
    args = ["git", str(repo), "-j", str(jobs), "--format", "json", "-o", str(out)]
    env = os.environ | {"PYTHONPATH": tree} if tree else None
    started = time.time()
    # Run from the report's folder: `python -c` puts the working folder first on
    # the path, so from a checkout it would import that checkout's `scanner`.
    command = [python, "-c", DRIVER, *args]
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=out.parent)
    ended = time.time()
    line = [x for x in done.stderr.splitlines() if x.startswith("SERIAL ")][-1]
    marks = json.loads(line.removeprefix("SERIAL "))
    for worker in [x for x in done.stderr.splitlines() if x.startswith("SERIAL_WORKER ")][:1]:
        marks |= json.loads(worker.removeprefix("SERIAL_WORKER "))
    first_wall, first_cpu = marks["first_item"]
    run_end, atexit = marks["run_end"][0], marks["atexit"][0]
    batch = {"first batch": marks["first_batch"][0] * 1000} if "first_batch" in marks else {}
    return {
        "first item": first_wall * 1000,
        "first item cpu": first_cpu * 1000,
        **batch,
        "tail": (atexit - run_end) * 1000,
        "exit": (ended - marks["epoch"]) * 1000,
        "wall": (ended - started) * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repo", type=Path)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--python", help="Another checkout's interpreter, run alternately.")
    parser.add_argument("--tree", help="Another checkout, run alternately by this interpreter.")
    options = parser.parse_args()
    other = options.python or (sys.executable if options.tree else None)
    pythons = {"this": sys.executable} | ({"other": other} if other else {})
    trees = {"this": None, "other": options.tree}
    results: dict[str, list[dict[str, float]]] = {name: [] for name in pythons}
    with tempfile.TemporaryDirectory(prefix="keysweep-serial-") as folder:
        out = Path(folder) / "report.json"
        for index in range(options.runs):
            order = list(pythons.items())
            for name, python in order if index % 2 == 0 else order[::-1]:
                run = one_run(python, options.repo.resolve(), options.jobs, out, trees[name])
                results[name].append(run)
    for name, runs in results.items():
        keys = dict.fromkeys(key for run in runs for key in run)
        medians = {k: statistics.median(run[k] for run in runs if k in run) for k in keys}
        shown = "  ".join(f"{key} {value:.0f}" for key, value in medians.items())
        where = trees[name] or pythons[name]
        print(f"{name} ({where}): {shown}  (ms, medians of {len(runs)})")
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
