"""The pre-commit hook as a developer feels it: an installed `.git/hooks/pre-commit`
running `keysweep git --staged` on three staged files, timed as git runs it.

A commit waits for this hook every time, so its wall time is what matters: the
interpreter start, the imports of the scan path, reading the cached rules and
compiled database, and three small blobs. The hook is run directly (as git would,
with the repository as the working folder) after one warm-up run that fills the
cache, and the median of `--runs` runs is printed with the load average, since a
busy machine stretches every figure.

    python benchmarks/hook.py [--repo PATH] [--runs 21] [--files 3] [--command CMD]...

Without `--repo` a small repository of Python modules is generated under
benchmarks/.work/. The keysweep used is the one beside this interpreter, or
each `--command` given: with several, their runs alternate (one of each in
turn, each command with its own clone and cache), so a comparison of two
builds sees the same load.

An installed keysweep runs from compiled bytecode (pip writes it at install
time), while an editable checkout under PYTHONDONTWRITEBYTECODE=1 compiles every
module on every run (about 70 ms of a hook). So the `scanner` package is
byte-compiled first (`compileall`, into its usual `__pycache__`), unless
`--no-compile` asks to time the checkout as it is.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}
HOOK = "#!/bin/sh\nexec {keysweep} git --staged\n"
CHILDREN = resource.RUSAGE_CHILDREN


def keysweep_bin() -> str:
    local = Path(sys.executable).parent / "keysweep"
    return str(local if local.exists() else shutil.which("keysweep") or "keysweep")


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, env=ENV, capture_output=True)


def generated_repo() -> Path:
    """A repository of forty small Python modules, one commit."""
    repo = WORK / "hook-repo"
    if (repo / ".git" / "keysweep-benchmark-complete").exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    (repo / "pkg").mkdir(parents=True)
    for n in range(40):
        body = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(60))
        (repo / "pkg" / f"mod{n}.py").write_text(f'"""Module {n}."""\n\n{body}')
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=b", "-c", "user.email=b@example.test", "commit", "-qm", "init")
    (repo / ".git" / "keysweep-benchmark-complete").write_text("ok\n")
    return repo


def staged_clone(source: Path, files: int, into: Path, command: str) -> Path:
    """A fresh clone of `source` with `files` Python files changed and staged, and
    the hook installed."""
    work = into / "clone"
    into.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{source}", str(work)],
        check=True, env=ENV, capture_output=True,
    )  # fmt: skip
    names = sorted(p for p in work.rglob("*.py") if ".git" not in p.parts)[:files]
    for path in names:
        path.write_text(path.read_text(errors="replace") + "\nextra = 1\n")
    _git(work, "add", *map(str, names))
    hook = work / ".git" / "hooks" / "pre-commit"
    hook.write_text(HOOK.format(keysweep=command))
    hook.chmod(0o755)
    return work


def time_hooks(works: list[Path], runs: int, cache: Path) -> list[tuple[list[float], list[float]]]:
    """Wall times and CPU times (user + system, the hook's whole process tree) of
    each clone's hook, the clones' runs alternating."""
    envs = [{**ENV, "KEYSWEEP_CACHE_DIR": str(cache / str(n))} for n in range(len(works))]
    hooks = [str(work / ".git" / "hooks" / "pre-commit") for work in works]
    for hook, work, env in zip(hooks, works, envs, strict=True):
        subprocess.run([hook], cwd=work, env=env, capture_output=True)  # warm-up: fills the cache
    timed: list[tuple[list[float], list[float]]] = [([], []) for _ in works]
    for _ in range(runs):
        for hook, work, env, (times, cpus) in zip(hooks, works, envs, timed, strict=True):
            before = resource.getrusage(CHILDREN)
            started = time.monotonic()
            done = subprocess.run([hook], cwd=work, env=env, capture_output=True)
            times.append(time.monotonic() - started)
            after = resource.getrusage(CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
            if done.returncode not in (0, 1):
                raise SystemExit(f"hook failed ({done.returncode}): {done.stderr.decode()[-400:]}")
    return timed


def compile_package() -> None:
    """Byte-compile the `scanner` package this interpreter imports, as pip does."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("scanner")
    if spec is None or spec.origin is None:
        return
    compileall.compile_dir(Path(spec.origin).parent, quiet=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repo", type=Path, help="Clone this repository (default: generated).")
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--files", type=int, default=3)
    parser.add_argument(
        "--command",
        action="append",
        help="What the hook runs instead of keysweep (e.g. another checkout); "
        "repeat it to alternate the runs of several.",
    )
    parser.add_argument(
        "--no-compile", action="store_true", help="Do not byte-compile the scanner package first."
    )
    args = parser.parse_args()
    if not args.no_compile:
        compile_package()
    source = args.repo.resolve() if args.repo else generated_repo()
    commands = args.command or [keysweep_bin()]
    with tempfile.TemporaryDirectory(prefix="keysweep-hook-") as folder:
        works = [
            staged_clone(source, args.files, Path(folder) / str(n), command)
            for n, command in enumerate(commands)
        ]
        print(
            f"load average before: {os.getloadavg()[0]:.2f}; bytecode compiled first: "
            f"{not args.no_compile}"
        )
        timed = time_hooks(works, args.runs, Path(folder) / "cache")
        print(f"load average after: {os.getloadavg()[0]:.2f}")
    for command, (times, cpus) in zip(commands, timed, strict=True):
        label = f" ({command})" if len(commands) > 1 else ""
        print(
            f"installed pre-commit hook{label}, {args.files} staged files, {args.runs} runs: "
            f"median {statistics.median(times):.3f} s (min {min(times):.3f}, "
            f"max {max(times):.3f}); CPU median {statistics.median(cpus):.3f} s "
            f"(min {min(cpus):.3f})"
        )


if __name__ == "__main__":
    main()
