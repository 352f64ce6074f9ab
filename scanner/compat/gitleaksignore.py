"""`.gitleaksignore`: the findings a gitleaks user has already accepted, kept on switching.

Each line is a gitleaks fingerprint, `commit:file:rule:line` (from a history scan)
or `file:rule:line` (from a folder scan). gitleaks' rule ids are not keysweep's,
so a fingerprint is matched on what both tools agree on: the file and line, and
the commit when the fingerprint names one. The file is read beside the config in
use, else in the scanned root. Like an inline `gitleaks:allow`, it is the
repository's own word, so a gate over changes it does not trust reads config and
ignore file from the target branch (the CI recipes in docs/ci.md do).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from scanner import safeload
from scanner.errors import BaselineError
from scanner.model import Finding

FILE_NAME = ".gitleaksignore"
_COMMIT = re.compile(r"\A[0-9a-fA-F]{7,64}\Z")


@dataclass(frozen=True)
class Fingerprint:
    path: str
    line: int
    commit: str | None = None

    def matches(self, finding: Finding) -> bool:
        if finding.path.removeprefix("./") != self.path or finding.line != self.line:
            return False
        if self.commit is None:
            return True
        commit = (finding.origin.commit or "").lower()
        return bool(commit) and (commit.startswith(self.commit) or self.commit.startswith(commit))


@dataclass(frozen=True)
class GitleaksIgnore:
    fingerprints: tuple[Fingerprint, ...]
    source: Path

    def ignores(self, finding: Finding) -> bool:
        return any(f.matches(finding) for f in self.fingerprints)


def load(path: Path) -> GitleaksIgnore:
    """Every fingerprint of the file; a line that is not one is exit 2, naming it."""
    try:
        text = safeload.read_text(path)
    except (OSError, UnicodeDecodeError, safeload.LoadError) as exc:
        raise BaselineError(f"{path}: cannot read: {exc}") from None
    return GitleaksIgnore(tuple(_parse(text.splitlines(), path)), path)


def _parse(lines: Iterable[str], path: Path) -> Iterable[Fingerprint]:
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            yield _fingerprint(line, path, number)


def _fingerprint(line: str, path: Path, number: int) -> Fingerprint:
    parts = line.rsplit(":", 2)
    if len(parts) != 3 or not parts[0] or not parts[2].isdigit():
        raise BaselineError(
            f"{path}:{number}: not a gitleaks fingerprint ([commit:]file:rule:line)"
        )
    head, place = parts[0], parts[2]
    commit, _, rest = head.partition(":")
    if rest and _COMMIT.match(commit):
        return Fingerprint(_norm(rest), int(place), commit.lower())
    return Fingerprint(_norm(head), int(place))


def _norm(path: str) -> str:
    return path.replace("\\", "/").removeprefix("./")


def beside(folder: Path | None) -> GitleaksIgnore | None:
    """The `.gitleaksignore` in `folder`, when there is one."""
    if folder is None:
        return None
    path = folder / FILE_NAME
    return load(path) if path.is_file() else None
