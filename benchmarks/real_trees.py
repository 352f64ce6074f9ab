"""Findings per 100 MB on real trees: the rules review's measure.

Every built-in rule is meant to stay quiet on files that hold no secret. This runs
`keysweep scan` with only the rules detector over trees that exist on the machine (a
large virtual environment's site-packages, /usr/share, a wheel mirror), prints the
bytes scanned, the findings per 100 MB and the rules that fired, and lists each
finding's rule, path and line (never the secret) so that a reviewer can look at it.

    python benchmarks/real_trees.py /usr/share /usr/include [--rules DIR] [--exclude GLOB]

`--rules DIR` scans with the rules in DIR instead of the built-in ones (for example an
older copy of rules/, to compare before and after a change).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any


def scan(trees: list[str], rules: str | None, excludes: list[str]) -> dict[str, Any]:
    """The JSON report of one rules-only scan over every tree."""
    with tempfile.TemporaryDirectory() as scratch:
        report = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "scanner", "scan", *trees, "--detector", "rules"]
        command += ["--format", "json", "-o", str(report), "--max-file-size", "20000000"]
        command += [f"--exclude={glob}" for glob in excludes]
        if rules:
            command += ["--no-builtin-rules", "--rules", rules]
        subprocess.run(command, check=False, capture_output=True)
        loaded: dict[str, Any] = json.loads(report.read_text())
        return loaded


def summary(report: dict[str, Any]) -> list[str]:
    """Lines: bytes, findings per 100 MB, per-rule counts, then each finding."""
    megabytes = report["summary"]["bytes_scanned"] / 1e6
    findings = report["findings"]
    per_100 = 100 * len(findings) / megabytes if megabytes else 0.0
    lines = [f"{megabytes:.0f} MB, {len(findings)} findings, {per_100:.2f} per 100 MB"]
    for rule, count in Counter(f["rule"] for f in findings).most_common():
        lines.append(f"  {count:5d}  {rule}")
    for f in sorted(findings, key=lambda f: (f["rule"], f["path"], f["line"])):
        member = f"!{f['archive_member']}" if f.get("archive_member") else ""
        lines.append(f"  {f['rule']}  {f['path']}{member}:{f['line']}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("trees", nargs="+")
    parser.add_argument("--rules", help="rule folder to use instead of the built-in rules")
    parser.add_argument("--exclude", action="append", default=[], help="glob not to read")
    args = parser.parse_args()
    print("\n".join(summary(scan(args.trees, args.rules, args.exclude))))


if __name__ == "__main__":
    main()
