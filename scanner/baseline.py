"""The baseline file: findings a team has seen, and what its audit said of them.

A keysweep baseline lists finding ids with enough context to audit them (rule,
severity, path, line, commit, the redacted preview) and never a secret or a
secret's hash: the id is already content-based (rule, path, the secret's keyed
hash), so it survives code moving around, and a second hash would only add a
target. Ids depend on the hash key (`scanner.hashkey`), so the file records
which key made them (`secret_hash.key_id`, which reveals nothing about the key),
and a scan with another key says so (exit 2) instead of silently matching
nothing. Version 1 files, whose ids were built on a plain SHA-256 of the
secret, are refused for the same reason.

`is_secret` is the audit verdict: null (not audited), false (a false positive),
true (a real secret). Entries are suppressed unless audited as real: a baseline
is for known noise and accepted history, and a team that has confirmed a secret
is real must keep seeing it until it is removed (a `--since` CI gate only ever
sees new commits, so this costs nothing there). Registry verdicts of critical
are never suppressed (pipeline.py).

A detect-secrets `.secrets.baseline` is read as it is: its entries match a
finding at the same path whose secret has the same SHA-1 (`hashed_secret`,
computed in memory and never written), with the same `is_secret` rule.
`import` writes a keysweep file that names the detect-secrets file
(`imported_from`, relative to the keysweep file's folder) instead of copying
its SHA-1s, and `update` turns each entry that a scan finds again into an
ordinary id entry, carrying its audit verdict over.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scanner import hashkey, safeload
from scanner.errors import BaselineError
from scanner.model import Finding, RuleKind

if TYPE_CHECKING:
    from scanner.compat.gitleaksignore import GitleaksIgnore
    from scanner.config import Config

FORMAT_VERSION = 2
ENTRY_FIELDS = ("id", "rule", "severity", "path", "line", "commit", "preview")


@dataclass(frozen=True)
class Entry:
    id: str
    rule: str = ""
    severity: str = ""
    path: str = ""
    line: int = 0
    commit: str | None = None
    preview: str = ""
    is_secret: bool | None = None
    note: str = ""


@dataclass(frozen=True)
class ImportedEntry:
    """A detect-secrets result: matched by path and SHA-1 of the secret."""

    path: str
    hashed_secret: str
    type: str = ""
    line: int = 0
    is_secret: bool | None = None

    def matches(self, finding: Finding) -> bool:
        if _norm(finding.path) != self.path:
            return False
        if self.type == PRIVATE_KEY_TYPE:
            return _is_key(finding) and finding.line <= self.line <= max(
                finding.end_line, finding.line
            )
        return finding.secret.sha1 == self.hashed_secret


_AUDIT_ORDER = {True: 0, False: 1, None: 2}
PRIVATE_KEY_TYPE = "Private Key"
"""detect-secrets hashes only a private key's armour line (`BEGIN RSA PRIVATE KEY`),
so its entries match a keysweep key finding by path and the armour line's number."""


def _is_key(finding: Finding) -> bool:
    return finding.key is not None or finding.kind in (RuleKind.PRIVATE_KEY, RuleKind.KEY_FILE)


@dataclass(frozen=True)
class Baseline:
    entries: tuple[Entry, ...] = ()
    imported: tuple[ImportedEntry, ...] = ()
    source: Path | None = None
    key_id: str | None = None
    """The hash key that made the ids (None: not recorded, not checked)."""
    gitleaks: GitleaksIgnore | None = None
    """A `.gitleaksignore` beside the config: its fingerprints are suppressed too."""
    _by_id: Mapping[str, Entry] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_by_id", {e.id: e for e in self.entries})

    def entry(self, finding: Finding) -> Entry | None:
        self.check_key()
        return self._by_id.get(finding.id)

    def check_key(self) -> None:
        """Ids made with another hash key match nothing: a one-line error, not a
        baseline that silently suppresses nothing (or, worse, is trusted)."""
        if self.key_id is None or not self.entries:
            return
        active = hashkey.current()
        if self.key_id != active.key_id:
            raise BaselineError(
                f"{self.source}: its ids were made with another secret-hash key "
                f"({self.key_id}; this run uses {active.key_id}, from {active.source}): "
                f"use the key it was made with ({hashkey.ENV_KEY} or hash_key_file), "
                "or make a new one with `keysweep baseline create`"
            )

    def imported_entry(self, finding: Finding) -> ImportedEntry | None:
        """The detect-secrets entry for this finding; of several (one per plugin that
        saw the secret), one audited as real first, then one audited false."""
        found = [e for e in self.imported if e.matches(finding)]
        return min(found, key=lambda e: _AUDIT_ORDER[e.is_secret], default=None)

    def contains(self, finding: Finding) -> bool:
        """Whether the baseline suppresses this finding (entries audited as real never do)."""
        if self.gitleaks is not None and self.gitleaks.ignores(finding):
            return True
        found = self.entry(finding)
        if found is not None:
            return found.is_secret is not True
        legacy = self.imported_entry(finding)
        return legacy is not None and legacy.is_secret is not True


def for_config(config: Config) -> Baseline | None:
    """The config's baseline, with a `.gitleaksignore` found beside the config file
    (else in the scanned root) folded in."""
    from scanner.compat import gitleaksignore

    baseline = load_baseline(config.baseline) if config.baseline is not None else None
    folder = config.source_file.parent if config.source_file is not None else config.root
    ignore = gitleaksignore.beside(folder if folder.is_dir() else None)
    if ignore is None:
        return baseline
    return dataclasses.replace(baseline or Baseline(), gitleaks=ignore)


def load_baseline(path: Path) -> Baseline:
    """A keysweep baseline or a detect-secrets `.secrets.baseline`."""
    data = _read(path)
    if isinstance(data, dict) and isinstance(data.get("results"), dict):
        return Baseline(imported=tuple(_detect_secrets(data["results"], path)), source=path)
    if isinstance(data, dict) and isinstance(data.get("findings"), list):
        return _keysweep(data, path)
    raise BaselineError(f"{path}: neither a keysweep baseline nor a detect-secrets baseline")


def _read(path: Path) -> Any:
    try:
        return safeload.json_loads(safeload.read_text(path))
    except FileNotFoundError:
        raise BaselineError(f"{path}: no such baseline file") from None
    except (OSError, UnicodeDecodeError, safeload.LoadError) as exc:
        raise BaselineError(f"{path}: cannot read baseline: {exc}") from None
    except json.JSONDecodeError as exc:
        raise BaselineError(f"{path}: not JSON: {exc.msg} at line {exc.lineno}") from None


def _keysweep(data: Mapping[str, Any], path: Path) -> Baseline:
    if data.get("version") == 1:
        raise BaselineError(
            f"{path}: a version 1 baseline, whose ids hold a plain hash of each secret: "
            "make a new one with `keysweep baseline create` and delete this one"
        )
    if data.get("version") != FORMAT_VERSION:
        raise BaselineError(f"{path}: unsupported baseline version {data.get('version')!r}")
    entries = []
    for n, raw in enumerate(data["findings"]):
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str):
            raise BaselineError(f"{path}: findings[{n}] has no id")
        entries.append(
            Entry(
                id=raw["id"],
                rule=str(raw.get("rule", "")),
                severity=str(raw.get("severity", "")),
                path=str(raw.get("path", "")),
                line=_int(raw.get("line")),
                commit=raw.get("commit") if isinstance(raw.get("commit"), str) else None,
                preview=str(raw.get("preview", "")),
                is_secret=_verdict(raw.get("is_secret"), path, f"findings[{n}]"),
                note=str(raw.get("note", "")),
            )
        )
    legacy = _imported_from(data.get("imported_from"), path)
    return Baseline(tuple(entries), legacy, source=path, key_id=_key_id(data, path))


def _key_id(data: Mapping[str, Any], path: Path) -> str:
    described = data.get("secret_hash")
    key_id = described.get("key_id") if isinstance(described, dict) else None
    if not isinstance(key_id, str):
        raise BaselineError(f"{path}: no secret_hash.key_id (which key made its ids)")
    return key_id


def _imported_from(name: Any, path: Path) -> tuple[ImportedEntry, ...]:
    """The detect-secrets baseline an `import` named, read where it lies."""
    if name is None:
        return ()
    if not isinstance(name, str):
        raise BaselineError(f"{path}: 'imported_from' must be a file name")
    if not _beside_or_below(path.parent, name):
        raise BaselineError(f"{path}: 'imported_from' must name a file beside it or below it")
    source = path.parent / name
    data = _read(source)
    if not isinstance(data, dict) or not isinstance(data.get("results"), dict):
        raise BaselineError(f"{path}: 'imported_from' names no detect-secrets baseline ({name})")
    return tuple(_detect_secrets(data["results"], source))


def _detect_secrets(results: Mapping[str, Any], path: Path) -> Iterable[ImportedEntry]:
    for filename, items in results.items():
        if not isinstance(items, list):
            raise BaselineError(f"{path}: results[{filename!r}] must be a list")
        for n, raw in enumerate(items):
            where = f"results[{filename!r}][{n}]"
            if isinstance(raw, dict):  # the results key is the path as detect-secrets saw it
                raw = {**raw, "filename": filename}
            yield _imported(raw, path, where)


def _imported(raw: Any, path: Path, where: str) -> ImportedEntry:
    if not isinstance(raw, dict):
        raise BaselineError(f"{path}: {where} must be an object")
    filename = raw.get("filename", raw.get("path"))
    hashed = raw.get("hashed_secret")
    if not isinstance(filename, str) or not isinstance(hashed, str):
        raise BaselineError(f"{path}: {where} needs 'filename' and 'hashed_secret'")
    return ImportedEntry(
        path=_norm(filename),
        hashed_secret=hashed.lower(),
        type=str(raw.get("type", "")),
        line=_int(raw.get("line_number", raw.get("line"))),
        is_secret=_verdict(raw.get("is_secret"), path, where),
    )


def _verdict(value: Any, path: Path, where: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise BaselineError(f"{path}: {where}.is_secret must be true, false or null")


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _norm(path: str) -> str:
    return path.replace("\\", "/").removeprefix("./")


# --- writing ------------------------------------------------------------------


def build(findings: Iterable[Finding], previous: Baseline | None, now: str) -> dict[str, Any]:
    """The baseline for these findings, keeping `previous`'s audit verdicts.

    Entries no longer found are dropped; imported detect-secrets entries that a
    finding matches become id entries with their verdict; critical registry
    verdicts are left out, as no baseline can suppress them.
    """
    from scanner.findings import at_location
    from scanner.report.fields import finding_to_dict

    previous = previous or Baseline()
    entries: dict[str, dict[str, Any]] = {}
    places = (at_location(f, p) for f in findings for p in f.places)  # one entry a place
    for finding in places:
        if finding.never_suppressed_by_baseline or finding.id in entries:
            continue
        shown = finding_to_dict(finding)
        entry = {name: shown[name] for name in ENTRY_FIELDS if name != "preview"}
        entry["preview"] = shown["secret"]["preview"]
        old, legacy = previous.entry(finding), previous.imported_entry(finding)
        entry["is_secret"] = old.is_secret if old else (legacy.is_secret if legacy else None)
        if old and old.note:
            entry["note"] = old.note
        entries[finding.id] = entry
    ordered = sorted(entries.values(), key=lambda e: (e["path"], e["line"], e["rule"], e["id"]))
    return {**_header(now), "findings": ordered}


def _header(now: str) -> dict[str, Any]:
    return {
        "version": FORMAT_VERSION,
        "tool": "keysweep",
        "generated_at": now,
        "secret_hash": hashkey.current().describe(),
    }


def imported_document(baseline: Baseline, now: str, output: Path | None = None) -> dict[str, Any]:
    """A keysweep baseline that names a detect-secrets baseline (its SHA-1s stay there
    and are never copied), relative to the folder of `output`."""
    if baseline.source is None:
        raise BaselineError("a detect-secrets baseline is needed to import from")
    target = output or Path("baseline.json")
    folder = target.absolute().parent.resolve()
    name = Path(os.path.relpath(baseline.source.resolve(), folder)).as_posix()
    if not _beside_or_below(folder, name):  # what loading it would refuse
        raise BaselineError(
            f"{target}: must be in the folder of {baseline.source} or above it, since it names "
            "that file by a relative path; write it there"
        )
    return {**_header(now), "findings": [], "imported_from": name}


def _beside_or_below(folder: Path, name: str) -> bool:
    """Whether `name`, relative to `folder`, stays inside it (the one rule for both
    writing and reading `imported_from`)."""
    return (folder / name).resolve().is_relative_to(folder.resolve())


def dumps(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"
