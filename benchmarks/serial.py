"""The serial start and end of a history scan, from marks inside the real CLI.

Before its first item is handed out and after its last item is scanned, `keysweep git`
runs on one core while the others idle. This runs the console script's code
(`scanner.cli.entry`) in a fresh interpreter per run, with marks added by
post-import hooks (nothing is imported earlier than the CLI imports it):

- first item: wall time and the main thread's CPU time when the git source
  yields its first item (`GitSource._items`: a blob read, or one named for a
  scanning process to read);
- tail: from `schedule.run` returning (every item scanned) to the last `atexit`
  function (the report built and written);
- exit: from there until the parent reaps the process (finalisation, or the
  quick exit, and the kernel freeing the memory);
- wall: the whole run as the parent sees it.

    python benchmarks/serial.py REPO [--runs 7] [--jobs 2] [--python OTHER/bin/python]

`--python` runs another checkout's interpreter (its own `scanner`) the same way,
alternating with this one, so two versions are compared under the same load.
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
import atexit, importlib.abc, importlib.util, json, os, sys, time
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

PATCHES = {"scanner.sources.git": patch_git, "scanner.schedule": patch_schedule}

class Hook(importlib.abc.MetaPathFinder):
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


def one_run(python: str, repo: Path, jobs: int, out: Path) -> dict[str, float]:
    """One scan: its marks in milliseconds."""
    args = ["git", str(repo), "-j", str(jobs), "--format", "json", "-o", str(out)]
    started = time.time()
    done = subprocess.run([python, "-c", DRIVER, *args], capture_output=True, text=True)
    ended = time.time()
    line = [x for x in done.stderr.splitlines() if x.startswith("SERIAL ")][-1]
    marks = json.loads(line.removeprefix("SERIAL "))
    first_wall, first_cpu = marks["first_item"]
    run_end, atexit = marks["run_end"][0], marks["atexit"][0]
    return {
        "first item": first_wall * 1000,
        "first item cpu": first_cpu * 1000,
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
    options = parser.parse_args()
    pythons = {"this": sys.executable} | ({"other": options.python} if options.python else {})
    results: dict[str, list[dict[str, float]]] = {name: [] for name in pythons}
    with tempfile.TemporaryDirectory(prefix="keysweep-serial-") as folder:
        out = Path(folder) / "report.json"
        for index in range(options.runs):
            order = list(pythons.items())
            for name, python in order if index % 2 == 0 else order[::-1]:
                results[name].append(one_run(python, options.repo, options.jobs, out))
    for name, runs in results.items():
        medians = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
        shown = "  ".join(f"{key} {value:.0f}" for key, value in medians.items())
        print(f"{name} ({pythons[name]}): {shown}  (ms, medians of {len(runs)})")
    print("load average:", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    main()
