"""How much of a gitleaks configuration survives `keysweep rules import-gitleaks`.

Converts a `.gitleaks.toml` (gitleaks' own default configuration is the stress
test: pass `--from-binary` to take the copy a gitleaks binary embeds; it is read
into the scratch folder, never into the repository), then measures recall against
gitleaks itself: for each gitleaks rule, strings generated from its own regex are
planted one per file, gitleaks scans the corpus, and every file gitleaks flags is
a positive. keysweep then scans the same corpus with only the converted rules.

Prints: rules converted, rules written with examples, notes; and recall (files
gitleaks flags that keysweep flags with the converted rule of the same id, and
with any rule), with the rules that lost recall.

    python benchmarks/gitleaks_import.py --from-binary /tmp/peers/bin/gitleaks \
        --gitleaks /tmp/peers/bin/gitleaks [--samples 3] [--keep DIR]
    python benchmarks/gitleaks_import.py --config .gitleaks.toml --gitleaks PATH
"""

from __future__ import annotations

import argparse
import json
import random
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

from scanner.compat.examples import add_examples
from scanner.compat.gitleaks_config import convert, read_config

MARKER = b'title = "gitleaks config"'


def embedded_config(binary: Path, folder: Path) -> Path:
    """The default configuration a gitleaks binary carries as text."""
    data = binary.read_bytes()
    at = data.find(MARKER)
    if at < 0:
        sys.exit(f"{binary}: no embedded gitleaks config found")
    start, end = at, at
    while start > 0 and _texty(data[start - 1]):
        start -= 1
    while end < len(data) and _texty(data[end]):
        end += 1
    path = folder / "gitleaks-default.toml"
    path.write_bytes(data[start:end])
    return path


def _texty(byte: int) -> bool:
    return 32 <= byte < 127 or byte in (9, 10, 13)


def converted(config: Path, folder: Path) -> tuple[dict[str, Any], Path]:
    conversion = convert(read_config(config))
    rules = [dict(r) for r in conversion.rules]
    add_examples(rules, "converted.yaml")
    ready = [r for r in rules if r["examples"] and r["negative_examples"]]
    path = folder / "converted.yaml"
    path.write_text(yaml.safe_dump({"rules": ready}, sort_keys=False))
    counts = {
        "gitleaks rules": conversion.total,
        "converted": len(rules),
        "with examples (written)": len(ready),
        "not converted": len(conversion.skipped),
        "notes": len(conversion.notes),
    }
    return counts, path


def corpus(config: Path, folder: Path, samples: int) -> dict[str, str]:
    """file → the gitleaks rule whose regex it was generated from."""
    import exrex

    from scanner.compat.examples import _generable

    planted: dict[str, str] = {}
    generator = random.Random(7)
    for rule in read_config(config).get("rules", []):
        if not rule.get("regex") or rule.get("path"):
            continue
        for n in range(samples):
            random.seed(generator.random())
            try:
                text = exrex.getone(_generable(rule["regex"]), limit=4)
            except Exception:
                continue
            keyword = (rule.get("keywords") or [""])[0]
            name = f"{re.sub(r'[^a-z0-9-]', '-', rule['id'].lower())}-{n}.txt"
            (folder / name).write_text(f"# {keyword}\n{text}\n")
            planted[name] = rule["id"]
    return planted


def gitleaks_hits(binary: Path, config: Path, target: Path, out: Path) -> dict[str, set[str]]:
    command = [str(binary), "dir", str(target), "-c", str(config), "-f", "json", "-r", str(out)]
    command += ["--exit-code", "0", "--no-banner", "--max-decode-depth", "0", "-l", "error"]
    subprocess.run(command, check=True, capture_output=True)
    hits: dict[str, set[str]] = defaultdict(set)
    for leak in json.loads(out.read_text() or "[]"):
        hits[Path(leak["File"]).name].add(leak["RuleID"])
    return hits


def keysweep_hits(rules: Path, target: Path) -> dict[str, set[str]]:
    command = [sys.executable, "-m", "scanner", "scan", str(target), "--no-builtin-rules"]
    command += ["--rules", str(rules), "--detector", "rules", "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True)
    hits: dict[str, set[str]] = defaultdict(set)
    for finding in json.loads(done.stdout)["findings"]:
        for place in finding["locations"]:
            hits[Path(place["path"]).name].add(finding["rule"].removeprefix("gitleaks."))
    return hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path)
    parser.add_argument("--from-binary", type=Path, help="take the config a gitleaks binary embeds")
    parser.add_argument("--gitleaks", type=Path, help="gitleaks binary (for recall)")
    parser.add_argument("--samples", type=int, default=3)
    parser.add_argument("--keep", type=Path)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="gitleaks-import-"))
    config = args.config or embedded_config(args.from_binary, folder)
    counts, rules = converted(config, folder)
    for name, value in counts.items():
        print(f"{name:>26}: {value}")
    if args.gitleaks:
        recall(args.gitleaks, config, rules, folder, args.samples)
    if args.keep:
        shutil.copytree(folder, args.keep, dirs_exist_ok=True)
    shutil.rmtree(folder)


def recall(binary: Path, config: Path, rules: Path, folder: Path, samples: int) -> None:
    target = folder / "corpus"
    target.mkdir()
    planted = corpus(config, target, samples)
    truth = gitleaks_hits(binary, config, target, folder / "gitleaks.json")
    found = keysweep_hits(rules, target)
    positives = {f: planted[f] for f in planted if planted[f] in truth.get(f, set())}
    same = [f for f, rule in positives.items() if rule in found.get(f, set())]
    anyhow = [f for f in positives if found.get(f)]
    print(f"{'planted files':>26}: {len(planted)} ({len(positives)} flagged by gitleaks)")
    print(f"{'recall, same rule':>26}: {len(same) / max(len(positives), 1):.1%}")
    print(f"{'recall, any rule':>26}: {len(anyhow) / max(len(positives), 1):.1%}")
    missed = Counter(positives[f] for f in positives if f not in anyhow)
    for rule, count in missed.most_common():
        print(f"{'missed':>26}: {rule} ({count})")


if __name__ == "__main__":
    main()
