"""The pipeline: the only module that knows the order of the stages.

sources → dedup (blob id) → [worker: read → archives → detectors → inline/value
suppression → key analysis → registry cross-check → Finding] → tokens (need
every secret of the scan) → baseline → Report.

Items are processed in batches on a pool of worker processes; each worker
compiles the rules once (`_Worker`). Small scans (a pre-commit hook) run in
this process and never pay for the pool.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from scanner import redact, suppress
from scanner.config import Config
from scanner.model import (
    Finding,
    FindingId,
    Item,
    KeyInfo,
    Match,
    Origin,
    RegistryHit,
    Report,
    Rule,
    RuleKind,
    ScanError,
    Severity,
    Verdict,
)
from scanner.sources import Skipped, Source
from scanner.text import is_binary

if TYPE_CHECKING:
    from scanner.baseline import Baseline
    from scanner.detectors import Detector
    from scanner.registry.model import Registry

INLINE_THRESHOLD = 48
"""Up to this many items, scan in-process: a pool costs more than it saves."""
BATCH_ITEMS = 256
BATCH_BYTES = 8 * 1024 * 1024

ProgressFn = Callable[[int, int], None]
"""Called with (items done, bytes done)."""


@dataclass
class ItemResult:
    """What a worker sends back for a batch. Token and secret bytes stay in memory."""

    findings: list[Finding] = field(default_factory=list)
    errors: list[ScanError] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    suppressed: Counter[str] = field(default_factory=Counter)
    items: int = 0
    nbytes: int = 0
    tokens: list[tuple[int, bytes]] = field(default_factory=list)
    """(index into findings, the token) for JWTs, verified after the scan."""
    secrets: list[bytes] = field(default_factory=list)
    """Candidate HMAC secrets found, to verify HS256 tokens with."""

    def merge(self, other: ItemResult) -> None:
        offset = len(self.findings)
        self.findings.extend(other.findings)
        self.errors.extend(other.errors)
        self.skipped.update(other.skipped)
        self.suppressed.update(other.suppressed)
        self.items += other.items
        self.nbytes += other.nbytes
        self.tokens.extend((offset + i, t) for i, t in other.tokens)
        self.secrets.extend(other.secrets)


def scan(
    config: Config,
    sources: Sequence[Source],
    *,
    progress: ProgressFn | None = None,
) -> Report:
    """Run every stage over every source and return the report."""
    from scanner.detectors.rules import load_rules

    started = time.monotonic()
    rules = load_rules(config)
    registry = _load_registry(config)
    baseline = _load_baseline(config)
    total = ItemResult()
    roots: list[str] = []
    for source in sources:
        roots.extend(source.roots)
    partial_reason = _run(config, rules, registry, sources, total, started, progress)
    findings = _tokens_stage(total, registry)
    findings, baselined = _baseline_stage(findings, baseline)
    if baselined:
        total.suppressed["baseline"] += baselined
    return Report(
        findings=tuple(sorted(findings, key=_order)),
        errors=tuple(total.errors),
        suppressed=dict(total.suppressed),
        items_scanned=total.items,
        bytes_scanned=total.nbytes,
        skipped=dict(total.skipped),
        elapsed=time.monotonic() - started,
        partial=partial_reason is not None,
        partial_reason=partial_reason,
        roots=tuple(roots),
        meta={"rules_version": rules_version(rules), "rules": len(rules)},
    )


def rules_version(rules: Sequence[Rule]) -> str:
    """A short hash of the rule set, so a report says which rules produced it."""
    digest = hashlib.sha256()
    for rule in sorted(rules, key=lambda r: r.id):
        digest.update(f"{rule.id}\x00{rule.pattern}\x00{rule.severity}\x00".encode())
    return digest.hexdigest()[:12]


def _order(finding: Finding) -> tuple[int, str, int, str]:
    return (-int(finding.severity), finding.path, finding.line, finding.rule)


def _load_registry(config: Config) -> Registry | None:
    if config.registry is None:
        return None
    from scanner.registry import load_registry

    return load_registry(config.registry)


def _load_baseline(config: Config) -> Baseline | None:
    if config.baseline is None:
        return None
    from scanner.baseline import load_baseline

    return load_baseline(config.baseline)


# --- scheduling ---------------------------------------------------------------


def _events(sources: Sequence[Source], total: ItemResult) -> Iterator[Item]:
    """Items from every source, each git blob once; errors and skips are recorded."""
    seen_blobs: set[str] = set()
    for source in sources:
        for event in source.events():
            if isinstance(event, ScanError):
                total.errors.append(event)
            elif isinstance(event, Skipped):
                total.skipped[event.reason] += 1
            elif event.blob_id is not None and event.blob_id in seen_blobs:
                total.skipped["duplicate-blob"] += 1
            else:
                if event.blob_id is not None:
                    seen_blobs.add(event.blob_id)
                yield event


def _batches(items: Iterable[Item]) -> Iterator[list[Item]]:
    batch: list[Item] = []
    size = 0
    for item in items:
        batch.append(item)
        size += len(item.data) if item.data is not None else (item.size or 0)
        if len(batch) >= BATCH_ITEMS or size >= BATCH_BYTES:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _run(
    config: Config,
    rules: Sequence[Rule],
    registry: Registry | None,
    sources: Sequence[Source],
    total: ItemResult,
    started: float,
    progress: ProgressFn | None,
) -> str | None:
    """Scan every item into `total`; return why the scan stopped early, if it did."""
    items = _events(sources, total)
    head: list[Item] = []
    for item in items:
        head.append(item)
        if len(head) > INLINE_THRESHOLD:
            break
    if len(head) <= INLINE_THRESHOLD or config.effective_jobs == 1:
        worker = _Worker(config, rules, registry)
        stream = _chain(head, items)
        for batch in _batches(stream):
            total.merge(worker.process_batch(batch))
            if progress:
                progress(total.items, total.nbytes)
            reason = _over_budget(config, total, started)
            if reason:
                return reason
        return None
    return _run_pool(config, rules, registry, _chain(head, items), total, started, progress)


def _chain(head: list[Item], rest: Iterator[Item]) -> Iterator[Item]:
    yield from head
    yield from rest


def _run_pool(
    config: Config,
    rules: Sequence[Rule],
    registry: Registry | None,
    items: Iterator[Item],
    total: ItemResult,
    started: float,
    progress: ProgressFn | None,
) -> str | None:
    jobs = config.effective_jobs
    method = "fork" if sys.platform.startswith("linux") else "spawn"
    context = multiprocessing.get_context(method)
    in_flight: set[Future[ItemResult]] = set()
    reason: str | None = None
    with ProcessPoolExecutor(
        max_workers=jobs,
        mp_context=context,
        initializer=_init_worker,
        initargs=(config, tuple(rules), registry),
    ) as pool:
        for batch in _batches(items):
            in_flight.add(pool.submit(_process_in_worker, batch))
            if len(in_flight) >= jobs * 3:
                _, in_flight = _drain(in_flight, total, FIRST_COMPLETED)
                if progress:
                    progress(total.items, total.nbytes)
                reason = _over_budget(config, total, started)
                if reason:
                    for future in in_flight:
                        future.cancel()
                    break
        _drain(in_flight, total, None)
    if progress:
        progress(total.items, total.nbytes)
    return reason


def _drain(
    futures: set[Future[ItemResult]], total: ItemResult, when: str | None
) -> tuple[set[Future[ItemResult]], set[Future[ItemResult]]]:
    done, pending = wait(futures, return_when=when or "ALL_COMPLETED")
    for future in done:
        if not future.cancelled():
            total.merge(future.result())
    return done, pending


def _over_budget(config: Config, total: ItemResult, started: float) -> str | None:
    if config.max_seconds is not None and time.monotonic() - started > config.max_seconds:
        return f"time budget of {config.max_seconds:g}s reached"
    if config.max_bytes is not None and total.nbytes > config.max_bytes:
        return f"byte budget of {config.max_bytes} reached"
    return None


_WORKER: _Worker | None = None


def _init_worker(config: Config, rules: tuple[Rule, ...], registry: Registry | None) -> None:
    global _WORKER
    if config.low_priority:
        from scanner.priority import lower_priority

        lower_priority()
    _WORKER = _Worker(config, rules, registry)


def _process_in_worker(batch: list[Item]) -> ItemResult:
    assert _WORKER is not None
    return _WORKER.process_batch(batch)


# --- the per-item stages ------------------------------------------------------


class _Worker:
    """Per-process state: compiled detectors, rules by id, the registry."""

    def __init__(self, config: Config, rules: Sequence[Rule], registry: Registry | None) -> None:
        from scanner.detectors import DETECTORS

        self.config = config
        self.registry = registry
        self.rules = {rule.id: rule for rule in rules}
        self.detectors: list[Detector] = [
            DETECTORS[name](config, rules) for name in config.detectors
        ]
        self.allow_paths = suppress.PathMatcher(config.allow_paths)
        self.allow_values = suppress.ValueAllowlist(config.allow_values)
        self.key_file_paths = suppress.PathMatcher(
            [glob for rule in rules if rule.kind is RuleKind.KEY_FILE for glob in rule.path_include]
        )

    def process_batch(self, batch: Sequence[Item]) -> ItemResult:
        result = ItemResult()
        for item in batch:
            try:
                self._process(item, result, depth=0)
            except Exception as exc:  # one bad input never stops the scan
                result.errors.append(
                    ScanError(
                        item.origin.path, f"internal error: {type(exc).__name__}: {exc}", "error"
                    )
                )
        return result

    def _process(self, item: Item, result: ItemResult, depth: int) -> None:
        data = self._read(item, result)
        if data is None:
            return
        result.items += 1
        result.nbytes += len(data)
        if self.config.archives and self._expand_archive(item, data, result, depth):
            return
        if is_binary(data) and not self._is_key_container(item.origin, data):
            result.skipped["binary"] += 1
            return
        matches: list[Match] = []
        for detector in self.detectors:
            try:
                if detector.wants(item.origin, data):
                    for found in detector.detect(item.origin, data):
                        if isinstance(found, ScanError):
                            result.errors.append(found)
                        else:
                            matches.append(found)
            except Exception as exc:  # one detector's bug must not hide the others' matches
                result.errors.append(
                    ScanError(
                        item.origin.path, f"{detector.name} detector failed: {exc!r}", "error"
                    )
                )
        for match in _dedup_matches(matches):
            self._handle_match(item.origin, data, match, result)

    def _read(self, item: Item, result: ItemResult) -> bytes | None:
        if item.data is not None:
            return item.data
        path = item.origin.fs_path
        if path is None:
            result.errors.append(ScanError(item.origin.path, "item has neither data nor a path"))
            return None
        try:
            with open(path, "rb") as handle:
                data = handle.read(self.config.max_file_size + 1)
        except FileNotFoundError:
            result.errors.append(ScanError(item.origin.path, "vanished before it could be read"))
            return None
        except IsADirectoryError:
            return None
        except OSError as exc:
            result.errors.append(ScanError(item.origin.path, f"unreadable: {exc.strerror or exc}"))
            return None
        if len(data) > self.config.max_file_size:
            result.skipped["too-large"] += 1
            result.errors.append(
                ScanError(
                    item.origin.path,
                    f"larger than the size limit of {self.config.max_file_size} bytes; skipped",
                )
            )
            return None
        return data

    def _expand_archive(self, item: Item, data: bytes, result: ItemResult, depth: int) -> bool:
        from scanner.sources import archives

        if not archives.is_archive(item.origin.archive_member or item.origin.path, data):
            return False
        if depth >= self.config.archive_max_depth:
            result.errors.append(
                ScanError(item.origin.path, f"archive nested deeper than {depth}; not opened")
            )
            return True
        for event in archives.expand(item, data, self.config):
            if isinstance(event, ScanError):
                result.errors.append(event)
            elif isinstance(event, Skipped):
                result.skipped[event.reason] += 1
            else:
                self._process(event, result, depth + 1)
        return True

    def _is_key_container(self, origin: Origin, data: bytes) -> bool:
        """Binary files worth reading: key formats, and whatever a key-file rule names."""
        from scanner.keys import is_key_container

        path = origin.archive_member or origin.path
        return is_key_container(path, data) or self.key_file_paths.matches(path)

    def _handle_match(self, origin: Origin, data: bytes, match: Match, result: ItemResult) -> None:
        if self.allow_paths.matches(origin.path):
            result.suppressed["path"] += 1
            return
        if suppress.inline_allowed(data, match.start, match.rule_id):
            result.suppressed["inline"] += 1
            return
        if self.allow_values.matches(match.secret):
            result.suppressed["value"] += 1
            return
        if match.kind in (RuleKind.PRIVATE_KEY, RuleKind.KEY_FILE):
            for key in self._analyse_key(origin, match):
                result.findings.append(
                    self._finding(origin, match, key, self._check_key(key, origin))
                )
            return
        hit = self._check_secret(match.secret)
        finding = self._finding(origin, match, None, hit)
        if _looks_like_jwt(match.secret):
            result.tokens.append((len(result.findings), match.secret))
        elif match.kind is RuleKind.CREDENTIAL or match.kind is RuleKind.TOKEN:
            result.secrets.append(match.secret)
        result.findings.append(finding)

    def _analyse_key(self, origin: Origin, match: Match) -> list[KeyInfo]:
        from scanner.keys import analyse_material

        return analyse_material(match.secret, origin=origin, passphrases=self.config.passphrases)

    def _check_key(self, key: KeyInfo, origin: Origin) -> RegistryHit | None:
        if self.registry is None:
            return None
        from scanner.registry.crosscheck import check_key

        return check_key(self.registry, key, origin)

    def _check_secret(self, secret: bytes) -> RegistryHit | None:
        if self.registry is None:
            return None
        from scanner.registry.crosscheck import check_secret

        return check_secret(self.registry, secret)

    def _finding(
        self, origin: Origin, match: Match, key: KeyInfo | None, hit: RegistryHit | None
    ) -> Finding:
        info = redact.secret_info(match.secret)
        extra = key.fingerprints.get("spki_sha256", "") if key else ""
        member = f"!{origin.archive_member}" if origin.archive_member else ""
        return Finding(
            id=FindingId(
                redact.finding_id(match.rule_id, origin.path + member, info.sha256, extra)
            ),
            rule=match.rule_id,
            name=match.rule_name,
            kind=match.kind,
            severity=_severity(match, key, hit),
            detector=match.detector,
            origin=origin,
            line=match.line,
            column=match.column,
            end_line=match.end_line,
            secret=info,
            key=key,
            registry=hit,
            message=_message(key),
        )


def _severity(match: Match, key: KeyInfo | None, hit: RegistryHit | None) -> Severity:
    """The rule's severity, lowered for material that is not a usable key, raised
    (or set) by the registry's verdict."""
    base = match.severity
    if key is not None and not key.public_known:
        base = Severity.LOW
    if key is not None and not key.parsed and match.kind is RuleKind.PRIVATE_KEY:
        # Key-looking text that is no key: placeholders and damaged copies. A key
        # *file* (KeePass, keytab, wallet) keeps its rule's severity.
        base = Severity.LOW
    if hit is None:
        return base
    if hit.verdict in (Verdict.UNREGISTERED_KEY, Verdict.ENCRYPTED_UNKNOWN):
        return max(base, hit.severity)
    return hit.severity


def _message(key: KeyInfo | None) -> str:
    """What key analysis adds in words; the registry's reason has its own field."""
    if key is None:
        return ""
    parts: list[str] = []
    if not key.parsed:
        parts.append("unparsable key material")
    elif not key.public_known:
        parts.append("encrypted key, identity unknown")
    if key.weak_passphrase:
        parts.append("weak passphrase: the key opens with a well-known or empty passphrase")
    if key.note:
        parts.append(key.note)
    return "; ".join(dict.fromkeys(parts))


def _dedup_matches(matches: list[Match]) -> list[Match]:
    """One match per (secret, line): two detectors or rules on the same bytes report
    once, while the same secret on two lines stays two matches.

    When two rules hit the same secret, the more specific (higher severity, then
    private-key kinds) wins.
    """
    if any(m.kind is RuleKind.PRIVATE_KEY for m in matches):
        # The content rule read the key itself; the path rule adds nothing.
        matches = [m for m in matches if m.kind is not RuleKind.KEY_FILE]
    best: dict[tuple[bytes, int], Match] = {}
    for match in matches:
        key = (match.secret, match.line)
        current = best.get(key)
        if current is None or _rank(match) > _rank(current):
            best[key] = match
    return sorted(best.values(), key=lambda m: (m.start, m.rule_id))


def _rank(match: Match) -> tuple[int, int, int]:
    kinds = {
        RuleKind.PRIVATE_KEY: 3,
        RuleKind.KEY_FILE: 2,
        RuleKind.TOKEN: 1,
        RuleKind.CREDENTIAL: 0,
    }
    generic = 0 if match.rule_id.startswith("generic.") else 1
    return (kinds[match.kind], generic, int(match.severity))


def _looks_like_jwt(secret: bytes) -> bool:
    return secret.startswith(b"eyJ") and secret.count(b".") == 2


# --- whole-scan stages --------------------------------------------------------


def _tokens_stage(total: ItemResult, registry: Registry | None) -> list[Finding]:
    findings = total.findings
    if not total.tokens:
        return findings
    from scanner.registry.crosscheck import check_tokens

    public_keys = [f.key.public_der for f in findings if f.key and f.key.public_der]
    results = check_tokens(registry, [t for _, t in total.tokens], total.secrets, public_keys)
    for (index, _), (token, hit) in zip(total.tokens, results, strict=True):
        finding = findings[index]
        severity = finding.severity if hit is None else max(finding.severity, hit.severity)
        findings[index] = replace(
            finding,
            token=token,
            registry=hit or finding.registry,
            severity=severity,
        )
    return findings


def _baseline_stage(
    findings: list[Finding], baseline: Baseline | None
) -> tuple[list[Finding], int]:
    if baseline is None:
        return findings, 0
    kept = [f for f in findings if f.never_suppressed_by_baseline or not baseline.contains(f)]
    return kept, len(findings) - len(kept)


def default_jobs() -> int:
    return os.cpu_count() or 1
