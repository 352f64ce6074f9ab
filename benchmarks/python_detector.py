"""What the Python detector adds to a scan of a Python-heavy tree.

Copies the running interpreter's standard library (without site-packages and
caches) into benchmarks/.work/pystdlib once, then times `keysweep scan` on it
with `--detector rules` and with `--detector rules --detector python` (and,
with --detect-secrets, `--detector rules --detector detect-secrets`), each run
`--repeat` times after a warm-up; prints the median wall time, MB/s, files/s,
the peak memory of the largest process, and the overhead of the Python detector
(the goal: at most a third). `--tree PATH` scans another tree instead.

    python benchmarks/python_detector.py [--jobs 2] [--repeat 3] [--tree PATH]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
KEYSWEEP = Path(sys.executable).with_name("keysweep")


def stdlib_tree() -> Path:
    target = WORK / "pystdlib"
    if not target.exists():
        source = Path(sysconfig.get_paths()["stdlib"])
        ignore = shutil.ignore_patterns("site-packages", "__pycache__", "*.pyc")
        shutil.copytree(source, target, ignore=ignore, symlinks=True)
    return target


def tree_size(root: Path) -> tuple[int, int, int]:
    """(files, bytes, Python files)."""
    files = size = python = 0
    for folder, _, names in os.walk(root):
        for name in names:
            path = Path(folder, name)
            if path.is_file() and not path.is_symlink():
                files += 1
                size += path.stat().st_size
                python += name.endswith((".py", ".pyw", ".ipynb"))
    return files, size, python


def run_once(root: Path, detectors: list[str], jobs: int) -> tuple[float, int]:
    """Wall seconds and the peak RSS (KiB) of the largest process of one scan."""
    args = [str(KEYSWEEP), "scan", str(root), "--format", "json", "-o", os.devnull]
    args += ["--jobs", str(jobs), "--fail-on", "critical", "--no-archives"]
    for detector in detectors:
        args += ["--detector", detector]
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    started = time.perf_counter()
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode not in (0, 1):
        raise SystemExit(f"keysweep failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return elapsed, max(peak, before)


def measure(root: Path, detectors: list[str], jobs: int, repeat: int) -> tuple[float, int]:
    run_once(root, detectors, jobs)  # warm the page cache and the rule database
    runs = [run_once(root, detectors, jobs) for _ in range(repeat)]
    return statistics.median(t for t, _ in runs), max(p for _, p in runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="scan this tree instead of a stdlib copy")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--detect-secrets", action="store_true", help="time that engine too")
    options = parser.parse_args()
    root = options.tree or stdlib_tree()
    files, size, python = tree_size(root)
    print(f"tree: {root} ({files} files, {python} Python, {size / 1e6:.1f} MB)")
    plans = {"rules": ["rules"], "rules+python": ["rules", "python"]}
    if options.detect_secrets:
        plans["rules+detect-secrets"] = ["rules", "detect-secrets"]
    results: dict[str, float] = {}
    print(f"{'detectors':24} {'seconds':>8} {'MB/s':>8} {'files/s':>9} {'peak MiB':>9}")
    for label, detectors in plans.items():
        seconds, peak = measure(root, detectors, options.jobs, options.repeat)
        results[label] = seconds
        print(
            f"{label:24} {seconds:8.2f} {size / 1e6 / seconds:8.1f} "
            f"{files / seconds:9.0f} {peak / 1024:9.0f}"
        )
    overhead = results["rules+python"] / results["rules"] - 1
    verdict = "within" if overhead <= 1 / 3 else "OVER"
    print(f"python detector overhead: {overhead:+.1%} ({verdict} the one-third budget)")


if __name__ == "__main__":
    main()
