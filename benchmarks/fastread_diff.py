"""Compare the Python detector's `ast` fast path with the libcst reader on real code.

Collects statement windows from git histories (`--git REPO`, every blob) and
folders (`--tree DIR`, every `.py` file), in two ways: the windows the detector
itself sends to `read_window`, and every statement window around a prefilter
hit line (screened or not: a superset). For each distinct window the fast path
must decline (None) or give exactly what libcst gives.

    python benchmarks/fastread_diff.py --git REPO --tree DIR ...

Prints, per source, how many distinct windows it gave, how many the fast path
answered, and how many differed (with the first few differing windows' shapes,
never their text); exits 1 when any differed.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path

from scanner.config import Config
from scanner.detectors import python_cst
from scanner.detectors.python_cst import (
    PythonDetector,
    Spot,
    WindowError,
    WindowFacts,
    libcst_window,
)
from scanner.detectors.python_fastread import fast_spots
from scanner.detectors.python_prefilter import hit_lines
from scanner.detectors.python_windows import LineIndex, statement_windows, window_source
from scanner.model import Item, Origin


def _git_blobs(repo: Path) -> Iterator[tuple[Origin, bytes]]:
    from scanner.sources.git import GitSource

    for event in GitSource(repo).events():
        if isinstance(event, Item) and event.data:
            yield event.origin, event.data


def _tree_files(top: Path) -> Iterator[tuple[Origin, bytes]]:
    for folder, _, names in os.walk(top):
        for name in sorted(names):
            if name.endswith(".py"):
                path = Path(folder, name)
                try:
                    yield Origin(str(path)), path.read_bytes()
                except OSError:
                    continue


_BROAD = re.compile(
    rb"(?i)(pass|pwd|secret|token|key|auth|login|connect|jwt|hmac|cred|session)[^\n]*['\"]"
)


def collect(
    files: Iterator[tuple[Origin, bytes]], broad: bool
) -> tuple[set[str], set[str], set[str]]:
    """(windows the detector reads, every window around a prefilter hit line,
    with `broad` every window around a line naming a credential word and a quote)."""
    detector = PythonDetector(Config(), ())
    sent: set[str] = set()
    real = python_cst.read_window

    def spy(source: str) -> WindowFacts | python_cst.WindowError:
        sent.add(source)
        return real(source)

    around: set[str] = set()
    wide: set[str] = set()
    python_cst.read_window = spy
    try:
        for origin, data in files:
            if detector.wants(origin, data):
                detector.detect(origin, data)
                around.update(_around(data, hit_lines(data)))
            if broad:
                found = set(_around(data, _broad_lines(data)))
                wide.update(found, map(_with_secrets, found), map(_with_credentials, found))
    finally:
        python_cst.read_window = real
        python_cst.window_facts.cache_clear()
    return sent, around, wide


_STRING_BODY = re.compile(r"""(?<![\\\w])(["'])((?:(?!\1)[^\\\n])*)\1""")


def _with_secrets(window: str) -> str:
    """`window` with the text of each one-line string that is not a name replaced
    by a password-like value, so that real code's shapes yield findings."""

    def swap(match: re.Match[str]) -> str:
        quote, body = match.group(1), match.group(2)
        if body.replace("-", "_").isidentifier():
            return match.group(0)
        return f"{quote}Xk9#mQ2vLp{len(body)}{quote}"

    return _STRING_BODY.sub(swap, window)


_BOUND_NAME = re.compile(r"\b[A-Za-z_]\w*(?=\s*=(?!=))")


def _with_credentials(window: str) -> str:
    """`_with_secrets`, and every name before a `=` (targets, keywords, defaults)
    and every string that is a name turned into a credential name."""

    def rename(match: re.Match[str]) -> str:
        quote, body = match.group(1), match.group(2)
        if body.replace("-", "_").isidentifier():
            return f"{quote}api_key{quote}"
        return match.group(0)

    return _STRING_BODY.sub(rename, _BOUND_NAME.sub("password", _with_secrets(window)))


def _broad_lines(data: bytes) -> list[int]:
    starts = {m.start() for m in _BROAD.finditer(data)}
    return sorted({data.count(b"\n", 0, at) + 1 for at in starts}) if starts else []


def _around(data: bytes, lines: list[int]) -> Iterator[str]:
    if not lines:
        return
    try:
        text = data.decode("utf-8")
        index = LineIndex(text, "utf-8")
        for window in statement_windows(text, lines):
            yield window_source(index.lines, window)[0]
    except (SyntaxError, ValueError, UnicodeError, RecursionError, MemoryError):
        return


def compare(windows: set[str]) -> tuple[int, int, int, list[str]]:
    """(windows, answered by the fast path, answered with a finding, shapes of
    those that differ)."""
    answered = found = 0
    differing: list[str] = []
    for source in sorted(windows):
        spots = fast_spots(source)
        if spots is None:
            continue
        answered += 1
        found += bool(spots)
        fast = WindowFacts(tuple(Spot(*spot) for spot in spots), ())
        try:
            slow: WindowFacts | WindowError | str = libcst_window(source)
        except (RecursionError, MemoryError, UnicodeError, ValueError) as exc:
            slow = type(exc).__name__  # the detector turns these into a warning
        if fast != slow:
            differing.append(f"{len(source)} chars, {source.count(chr(10))} lines")
    return len(windows), answered, found, differing


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--git", action="append", default=[], type=Path)
    parser.add_argument("--tree", action="append", default=[], type=Path)
    parser.add_argument("--broad", action="store_true", help="also every credential-word line")
    args = parser.parse_args()
    failed = False
    sources = [(p, _git_blobs) for p in args.git] + [(p, _tree_files) for p in args.tree]
    for path, reader in sources:
        sent, around, wide = collect(reader(path), args.broad)
        labelled = [("detector", sent), ("around hits", around | sent), ("broad", wide)]
        for label, windows in labelled[: 3 if args.broad else 2]:
            total, answered, found, differing = compare(windows)
            failed = failed or bool(differing)
            print(
                f"{path} [{label}]: {total} windows, {answered} answered by ast ({found} with a finding), "
                f"{len(differing)} differ {differing[:5]}"
            )
            sys.stdout.flush()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
