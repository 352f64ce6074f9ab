"""What the Python detector adds to a scan of a Python-heavy tree.

Copies the running interpreter's standard library (without site-packages and
caches) into benchmarks/.work/pystdlib once, then times `keysweep scan` on it
with `--detector rules` and with `--detector rules --detector python` (and,
with --detect-secrets, `--detector rules --detector detect-secrets`), each run
`--repeat` times after a warm-up; prints the median wall time, MB/s, files/s,
the peak memory of the largest process, and the overhead of the Python detector
(the goal: at most a third). `--tree PATH` scans another tree instead; `--git
REPO` scans a repository's whole history (`keysweep git`), where the goal is
CPU seconds added over the rule engine alone (a few tenths of a second on a
history of ten Django releases), and prints them. `--git REPO --alone` runs
only the detector, in this process, over every Python blob of the history (each
blob once, in `git rev-list --objects --all` order, nothing kept between
repeats; libcst's import is paid by the first only): its CPU seconds, steadier
than a whole scan's on a busy machine. Each repeat's detector builds (or reads
from the cache folder) its Hyperscan gate after the first megabyte of Python,
as a scan's does.

    python benchmarks/python_detector.py [--jobs 2] [--repeat 3] [--tree PATH | --git REPO]
    python benchmarks/python_detector.py --git REPO --alone [--repeat 3]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
HISTORY = False
"""Set by `--git`: scan the root's history instead of its files."""
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


def run_once(root: Path, detectors: list[str], jobs: int) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds (all processes) and the peak RSS (KiB) of the
    largest process of one scan. CPU time is the steadier figure on a busy machine."""
    command = ["git"] if HISTORY else ["scan", "--no-archives"]
    args = [str(KEYSWEEP), *command, str(root), "--format", "json", "-o", os.devnull]
    args += ["--jobs", str(jobs), "--fail-on", "critical"]
    for detector in detectors:
        args += ["--detector", detector]
    with tempfile.TemporaryFile() as errors:
        started = time.perf_counter()
        process = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=errors)
        _, status, usage = os.wait4(process.pid, 0)  # this scan's own resource usage
        elapsed = time.perf_counter() - started
        process.returncode = code = os.waitstatus_to_exitcode(status)
        errors.seek(0)
        if code not in (0, 1):
            message = errors.read().decode(errors="replace").strip()[-500:]
            raise SystemExit(f"keysweep failed ({code}): {message}")
    return elapsed, usage.ru_utime + usage.ru_stime, usage.ru_maxrss


def measure(
    root: Path, plans: dict[str, list[str]], jobs: int, repeat: int
) -> dict[str, list[tuple[float, float, int]]]:
    """Every plan `repeat` times, interleaved (rules, rules+python, rules, …) so
    that a change in the machine's load hits both sides alike."""
    for detectors in plans.values():
        run_once(root, detectors, jobs)  # warm the page cache and the rule database
    runs: dict[str, list[tuple[float, float, int]]] = {label: [] for label in plans}
    for _ in range(repeat):
        for label, detectors in plans.items():
            runs[label].append(run_once(root, detectors, jobs))
    return runs


def history_blobs(repo: Path) -> list[tuple[str, bytes]]:
    """(path, bytes) of each Python blob of the repository's history, once."""
    listed = subprocess.run(
        ["git", "-C", str(repo), "rev-list", "--objects", "--all"],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    paths: dict[str, str] = {}
    for line in listed.splitlines():
        blob, _, path = line.partition(" ")
        if path.lower().endswith((".py", ".pyw", ".ipynb")):
            paths.setdefault(blob, path)
    request = "".join(f"{blob}\n" for blob in paths).encode()
    out = subprocess.run(
        ["git", "-C", str(repo), "cat-file", "--batch"], input=request, capture_output=True
    ).stdout
    blobs: list[tuple[str, bytes]] = []
    at = 0
    for path in paths.values():
        header_end = out.index(b"\n", at)
        size = int(out[at:header_end].split()[2])
        blobs.append((path, out[header_end + 1 : header_end + 1 + size]))
        at = header_end + 1 + size + 1
    return blobs


def detector_alone(repo: Path, repeat: int) -> None:
    """CPU seconds of the Python detector's `wants` and `detect` over the history's
    Python blobs, in this process, each repeat starting with nothing kept."""
    import importlib

    from scanner.config import Config
    from scanner.detectors import python_screen
    from scanner.detectors.python_cst import PythonDetector, window_facts
    from scanner.model import Origin

    try:  # absent from older trees, which this also times
        forget = importlib.import_module("scanner.detectors.python_chunks").forget
    except (ImportError, AttributeError):
        forget = dict().clear

    blobs = history_blobs(repo)
    size = sum(len(data) for _, data in blobs) / 1e6
    print(f"history: {repo} ({len(blobs)} Python blobs, {size:.1f} MB; ", end="")
    print(f"load average {os.getloadavg()[0]:.2f})")
    for _ in range(repeat):
        python_screen._KEPT.clear()
        forget()
        window_facts.cache_clear()
        detector = PythonDetector(Config(), ())
        started, found, read = time.process_time(), 0, 0
        for path, data in blobs:
            if detector.wants(Origin(path), data):
                read += 1
                found += len(detector.detect(Origin(path), data))
        spent = time.process_time() - started
        gate = "on" if getattr(detector, "_gate", None) is not None else "off"  # older trees: none
        print(
            f"python detector alone: {spent:.2f} s CPU ({read} blobs read, {found} results; "
            f"Hyperscan gate {gate})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, help="scan this tree instead of a stdlib copy")
    parser.add_argument("--git", type=Path, help="scan this repository's history instead")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--detect-secrets", action="store_true", help="time that engine too")
    parser.add_argument("--alone", action="store_true", help="with --git: the detector alone")
    options = parser.parse_args()
    if options.alone and options.git:
        detector_alone(options.git, options.repeat)
        return
    global HISTORY
    HISTORY = options.git is not None
    root = options.git or options.tree or stdlib_tree()
    files, size, python = tree_size(root)
    print(f"{'history' if HISTORY else 'tree'}: {root} ({files} files, {python} Python, ", end="")
    print(f"{size / 1e6:.1f} MB; load average {os.getloadavg()[0]:.2f})")
    plans = {"rules": ["rules"], "rules+python": ["rules", "python"]}
    if options.detect_secrets:
        plans["rules+detect-secrets"] = ["rules", "detect-secrets"]
    runs = measure(root, plans, options.jobs, options.repeat)
    print(f"{'detectors':24} {'wall s':>7} {'cpu s':>7} {'MB/s':>7} {'files/s':>8} {'peak MiB':>9}")
    for label, results in runs.items():
        wall = statistics.median(r[0] for r in results)
        cpu = statistics.median(r[1] for r in results)
        peak = max(r[2] for r in results)
        print(
            f"{label:24} {wall:7.2f} {cpu:7.2f} {size / 1e6 / wall:7.1f} "
            f"{files / wall:8.0f} {peak / 1024:9.0f}"
        )
    added = [b[1] - a[1] for a, b in zip(runs["rules"], runs["rules+python"], strict=True)]
    print(f"python detector CPU added (median of {len(added)}): {statistics.median(added):+.2f} s")
    for index, name in ((0, "wall"), (1, "cpu")):
        ratios = [
            b[index] / a[index] - 1
            for a, b in zip(runs["rules"], runs["rules+python"], strict=True)
        ]
        overhead = statistics.median(ratios)
        verdict = "within" if overhead <= 1 / 3 else "OVER"
        print(
            f"python detector overhead ({name}, median of {len(ratios)} paired runs): "
            f"{overhead:+.1%} ({verdict} the one-third budget)"
        )


if __name__ == "__main__":
    main()
