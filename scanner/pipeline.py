"""The pipeline: the only module that knows the order of the stages.

sources → dedup (blob id) → [worker: read → archives → detectors → inline/value
suppression → key analysis → registry cross-check → Finding] → tokens (need
every secret of the scan) → baseline → Report.

Items are processed in batches on a pool of worker processes; each worker
compiles the rules once (`_Worker`). Small scans (a pre-commit hook) run in
this process and never pay for the pool.
"""

from __future__ import annotations

import functools
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import replace
from types import ModuleType
from typing import TYPE_CHECKING

from scanner import placeholders, schedule, suppress, unscanned
from scanner.compat.baselinefiles import drop_baseline_values
from scanner.config import Config
from scanner.copies import Copies
from scanner.decoding import UNDECODED
from scanner.detectors.rules import item_paths
from scanner.engine.matcher import key_file_gate
from scanner.engine.ruleset import rules_version
from scanner.errors import safe_reason
from scanner.findings import (
    at_location,
    build_finding,
    dedup_matches,
    group_findings,
    looks_like_jwt,
    with_locations,
)
from scanner.hashkey import activate as activate_hash_key
from scanner.model import (
    Finding,
    Item,
    KeyInfo,
    Match,
    Origin,
    RegistryVerdict,
    Report,
    Rule,
    RuleKind,
    ScanWarning,
)
from scanner.schedule import ItemResult, ProgressFn
from scanner.sources import Skipped, SkipReason, Source, gitblobs, too_large
from scanner.sources.build import Target, build_sources
from scanner.sources.files import NotRegularFile, read_regular
from scanner.text import is_binary
from scanner.vetting import Vetter

if TYPE_CHECKING:
    from pathlib import Path

    from scanner.baseline import Baseline
    from scanner.detectors import Detector
    from scanner.registry.entries import Registry


def scan(
    config: Config,
    targets: Iterable[Source | Target | str | os.PathLike[str]],
    *,
    rules: Sequence[Rule] | None = None,
    registry: Registry | None = None,
    baseline: Baseline | None = None,
    progress: ProgressFn | None = None,
) -> Report:
    """Run every stage over every target and return the report.

    A target is a path (its files, and the git history under it), a target from
    `scanner.sources.build` (built from `config` there) or a ready `Source`.
    `rules`, `registry` and `baseline` default to what `config` names; objects
    passed here are used instead (rules made in code, a registry built from a
    database, a baseline kept in memory)."""
    from scanner import configguard
    from scanner.detectors import check_detectors

    check_detectors(config)
    started = time.monotonic()
    activate_hash_key(config)
    sources = build_sources(config, targets)
    _alone(sources)
    rules = tuple(rules) if rules is not None else _load_rules(config)
    registry = registry if registry is not None else _load_registry(config)
    baseline = baseline if baseline is not None else _load_baseline(config)
    total = ItemResult()
    roots = tuple(root for source in sources for root in source.roots)
    worker_args = (config, rules, registry)
    copies = Copies(config.allow_paths)
    events = _events(sources, total, copies)
    try:
        partial = schedule.run(
            *(config, _Worker, worker_args, events, total, progress, started),
            one_process=_one_process(sources),
            planned=_planned(sources),
        )
        again = copies.again(total.findings) if partial is None else []
        if again:  # copies of a blob that are another place of a finding, or read otherwise
            partial = schedule.run(
                config, _Worker, worker_args, iter(again), total, progress, started
            )
    finally:
        gitblobs.close_readers()
    if total.unscanned:  # a git bundle's bytes met by the file walk, read as a store or not
        from scanner.sources.gitbundle import drop_read

        drop_read(total, sources, _base(sources))
    for problem in gitblobs.check_read(sources, total.unreadable):
        total.warnings.append(problem)
        if isinstance(problem, unscanned.Unscanned):
            total.unscanned.append(problem)
    findings = unscanned.bounded(lambda: _tokens_stage(total, registry), config, started, total)
    findings, doc_values = placeholders.repeated_doc_values(findings)
    if doc_values:
        total.suppressed["placeholder"] += doc_values
    extra, partial = unscanned.close(config, total, list(roots), partial)
    findings = _baselined(findings + extra, baseline, total)
    return Report(
        findings=tuple(sorted(group_findings(findings), key=_order)),
        warnings=tuple(total.warnings) + configguard.report_warnings(config),
        suppressed=dict(total.suppressed),
        items_scanned=total.items,
        bytes_scanned=total.nbytes,
        skipped=dict(total.skipped),
        elapsed=time.monotonic() - started,
        partial=partial is not None,
        partial_reason=partial,
        roots=roots,
        meta={"rules_version": rules_version(rules), "rules": len(rules)}
        | unscanned.signal_meta(total)
        | configguard.report_meta(config),
        base=_base(sources),
    )


def _baselined(
    findings: list[Finding], baseline: Baseline | None, total: ItemResult
) -> list[Finding]:
    """The findings no baseline entry suppresses; the others are counted."""
    findings, baselined = _baseline_stage(findings, baseline)
    if baselined:
        total.suppressed["baseline"] += baselined
    return findings


def _base(sources: Sequence[Source]) -> str | None:
    """The folder the report's paths are relative to (the first source's that says)."""
    for source in sources:
        base = getattr(source, "base", None)
        if base is not None:
            return os.path.abspath(str(base))
    return None


def _order(finding: Finding) -> tuple[int, str, int, str]:
    return (-int(finding.severity), finding.path, finding.line, finding.rule)


def _load_rules(config: Config) -> tuple[Rule, ...]:
    from scanner.detectors.rules import load_rules

    return load_rules(config)


def _load_registry(config: Config) -> Registry | None:
    if not config.registry_files:
        return None
    from scanner.registry.loading import load_registries

    return load_registries(config.registry_files)


def _load_baseline(config: Config) -> Baseline | None:
    if config.baseline is None and not _ignore_file(config).is_file():
        return None  # most scans: the baseline modules (about 3 ms of imports) stay unloaded
    from scanner.baseline import for_config

    return for_config(config)


def _ignore_file(config: Config) -> Path:
    """Where `baseline.for_config` looks for a `.gitleaksignore`."""
    from scanner.configguard import IGNORE_FILE

    folder = config.source_file.parent if config.source_file is not None else config.root
    return folder / IGNORE_FILE


# --- sources ------------------------------------------------------------------


def _alone(sources: Sequence[Source]) -> None:
    """Blobs are read where they are scanned only in a scan of one source. A blob
    is scanned once per scan (`_events` keeps its first copy): handed out
    from one repository and found unreadable there only by the process scanning
    it, it would already have kept an intact copy in another repository from
    being read. Read by the main process, an unreadable first copy is never
    handed out, and the next copy is read instead."""
    if len(sources) < 2:
        return
    from scanner.sources.git import GitSource

    for source in sources:
        if isinstance(source, GitSource):
            source.jobs = 1


def _one_process(sources: Sequence[Source]) -> Callable[[], bool]:
    """Whether every source knows it is small enough for one process (git
    histories of at most `gitblobs.ONE_PROCESS_BLOBS` blobs)."""
    return lambda: all(getattr(s, "one_process", _unknown)() for s in sources)


def _unknown() -> bool:
    return False


def _planned(sources: Sequence[Source]) -> Callable[[], int | None]:
    """How many items the sources hand out in all, once every one of them knows
    (a git history, once listed: `GitSource.planned`); None before, or when a
    source never says (files are found as they are walked)."""

    def planned() -> int | None:
        total = 0
        for source in sources:
            count = getattr(source, "planned", None)
            if not isinstance(count, int):
                return None
            total += count
        return total

    return planned


def _events(sources: Sequence[Source], total: ItemResult, copies: Copies) -> Iterator[Item]:
    """Items from every source, each git blob once; errors and skips are recorded,
    and where one source may repeat another's blobs, the copies kept in `copies`."""
    seen_blobs: set[str] = set()
    track = not (len(sources) == 1 and hasattr(sources[0], "skip_blobs"))  # a lone history
    shown_item = unscanned.shown_item
    for source in sources:
        for event in source.events():
            if isinstance(event, Item):  # most events: asked first
                blob = event.blob_id
                if blob is None:
                    yield shown_item(event)
                elif blob in seen_blobs:
                    if copies.met_again(blob, copy := shown_item(event)):
                        yield copy
                    else:
                        total.skipped[SkipReason.DUPLICATE_BLOB] += 1
                else:
                    seen_blobs.add(blob)
                    item = shown_item(event)
                    if track:
                        copies.note_first(blob, item.origin)
                    yield item
            elif isinstance(event, ScanWarning):
                total.warnings.append(event)
                total.unscanned.extend(unscanned.of_error(event))
            else:
                total.skipped[event.reason] += 1
                total.unscanned.extend(unscanned.skipped(event))


# --- the per-item stages ------------------------------------------------------


class _Worker:
    """Per-process state: compiled detectors, rules by id, the registry."""

    def __init__(self, config: Config, rules: Sequence[Rule], registry: Registry | None) -> None:
        from scanner.detectors import DETECTORS, share_first_looks

        activate_hash_key(config)
        self.config = config
        self.registry = registry
        self.rules = {rule.id: rule for rule in rules}
        self.detectors: list[Detector] = [
            DETECTORS[name](config, rules) for name in config.detectors
        ]
        share_first_looks(self.detectors)
        self.allow_paths = suppress.PathMatcher(config.allow_paths)
        self.allow_values = suppress.ValueAllowlist(config.allow_values)
        self.key_file_paths = key_file_gate(rules)
        self.vetter = _vetter(self.rules, self.detectors)

    def process_batch(self, batch: Sequence[Item]) -> ItemResult:
        result = ItemResult()
        from scanner.keys.passphrase import begin_item, end_item

        for item in gitblobs.with_data(batch, result):  # blobs read here, by id
            begin_item()  # the keys of one item share one passphrase budget
            try:
                self._process(item, result)
            except Exception as exc:  # one bad input never stops the scan
                result.warnings.append(internal_error(item.origin.path, "internal error", exc))
            finally:
                end_item()
        return result

    def _process(self, item: Item, result: ItemResult, *, expand: bool = True) -> None:
        """Every stage for one item. Archive members come with `expand` False:
        `archives.expand` opens nested archives itself, under one budget."""
        data = item.data if item.data is not None else self._read(item, result)
        if data is None:
            return
        result.items += 1
        result.nbytes += len(data)
        if expand and self.config.archives and self._expand_archive(item, data, result):
            return
        if data.startswith(b"# v") and (bundle := _bundle_record(item, data)):
            result.unscanned.append(bundle)  # a git history, never a clean binary skip
        if is_binary(data) and not self._is_key_container(item.origin, data):
            from scanner.binarytext import text_of  # binary items only: a hook rarely has one

            if (text := text_of(data)) is None:
                result.skipped[SkipReason.BINARY] += 1
                return
            data = text  # UTF-16/32 text, stray NULs, SQLite (`binarytext`)
        matches = self._detect(item.origin, data, result)
        if matches:
            matches = unscanned.cap_matches(
                dedup_matches(matches), item.origin, self.config, result
            )
        elif not self.vetter.decodes(item.origin, data):
            return  # most items: nothing found, nothing encoded to look into
        matches, dropped = self.vetter.vet(item.origin, data, matches)
        matches = drop_baseline_values(data, matches, dropped)  # a baseline's own hashes
        if dropped.pop(UNDECODED, 0):
            message = "decoding budget reached; the rest of its encoded values not scanned"
            result.unscanned.append(unscanned.Unscanned(item.origin.path, message))
        result.suppressed.update(dropped)
        if not matches:
            return
        origin = self._allowed_places(item.origin)
        if origin is None:
            result.suppressed["path"] += len(matches)
            return
        inline = suppress.InlineAllows(data)
        for match in matches:
            if inline.allows(match.line, match.rule_id):
                result.suppressed["inline"] += 1
            else:
                self._handle_match(origin, match, result)

    def _detect(self, origin: Origin, data: bytes, result: ItemResult) -> list[Match]:
        """Every detector's matches; their warnings (and their bugs) go to `result`."""
        matches: list[Match] = []
        for detector in self.detectors:
            try:
                if detector.wants(origin, data):
                    for found in detector.detect(origin, data):
                        if isinstance(found, ScanWarning):
                            result.warnings.append(found)
                        else:
                            matches.append(found)
            except Exception as exc:  # one detector's bug must not hide the others' matches
                result.warnings.append(
                    internal_error(origin.path, f"{detector.name} detector failed", exc)
                )
        return matches

    def _allowed_places(self, origin: Origin) -> Origin | None:
        """The places of these bytes that no path allowlist covers, the first one
        primary; None when every place is allowed."""
        places = [p for p in (origin, *origin.also) if not self.allow_paths.matches(p.path)]
        if not places:
            return None
        if len(places) == 1 + len(origin.also):
            return origin
        return replace(places[0], also=tuple(places[1:]))

    def _read(self, item: Item, result: ItemResult) -> bytes | None:
        if item.data is not None:
            return item.data
        path = item.origin.fs_path
        if path is None:
            result.warnings.append(
                ScanWarning(item.origin.path, "item has neither data nor a path")
            )
            return None
        try:
            data = read_regular(path, self.config.max_file_size + 1)
        except NotRegularFile:
            result.skipped[SkipReason.NOT_A_REGULAR_FILE] += 1
            return None
        except FileNotFoundError:
            result.warnings.append(
                ScanWarning(item.origin.path, "vanished before it could be read")
            )
            return None
        except IsADirectoryError:
            return None
        except OSError as exc:
            result.warnings.append(
                ScanWarning(item.origin.path, f"unreadable: {exc.strerror or exc}")
            )
            return None
        if len(data) > self.config.max_file_size:
            from scanner.machinedata import HEAD, machine_data  # rare: no import for a hook

            if machine_data(data[:HEAD]):  # grew past the limit since the walk
                result.skipped[SkipReason.BINARY] += 1
                return None
            result.skipped[SkipReason.TOO_LARGE] += 1
            result.warnings.append(too_large(item.origin.path, self.config.max_file_size))
            result.unscanned.extend(
                unscanned.skipped(Skipped(item.origin.path, SkipReason.TOO_LARGE))
            )
            return None
        return data

    def _expand_archive(self, item: Item, data: bytes, result: ItemResult) -> bool:
        archives = _archives()
        if not archives.is_archive(item.origin.archive_member or item.origin.path, data):
            return False
        for event in archives.expand(item, data, self.config):
            if isinstance(event, ScanWarning):
                result.warnings.append(event)
                result.unscanned.extend(unscanned.of_error(event))
            elif isinstance(event, Skipped):
                result.skipped[event.reason] += 1
                result.unscanned.extend(unscanned.skipped(event))
            else:
                self._process(event, result, expand=False)
        return True

    def _is_key_container(self, origin: Origin, data: bytes) -> bool:
        """Binary files worth reading: key formats, and whatever a key-file rule names."""
        from scanner.keys import is_key_container

        paths = item_paths(origin)
        return is_key_container(paths[-1], data) or any(
            self.key_file_paths.matches(p) for p in paths
        )

    def _handle_match(self, origin: Origin, match: Match, result: ItemResult) -> None:
        if self.allow_values.matches(match.secret):
            result.suppressed["value"] += 1
            return
        if match.kind in (RuleKind.PRIVATE_KEY, RuleKind.KEY_FILE):
            for key in self._analyse_key(origin, match):
                result.findings.append(
                    build_finding(origin, match, key, self._check_key(key, origin))
                )
            return
        hit = self._check_secret(match.secret)
        finding = build_finding(origin, match, None, hit)
        if looks_like_jwt(match.secret):
            result.tokens.append((len(result.findings), match.secret))
        elif match.kind is RuleKind.CREDENTIAL or match.kind is RuleKind.TOKEN:
            result.secrets.append(match.secret)
        result.findings.append(finding)

    def _analyse_key(self, origin: Origin, match: Match) -> list[KeyInfo]:
        from scanner.keys import analyse_material

        return analyse_material(match.secret, origin=origin, passphrases=self.config.passphrases)

    def _check_key(self, key: KeyInfo, origin: Origin) -> RegistryVerdict | None:
        if self.registry is None:
            return None
        from scanner.registry.crosscheck import check_key

        return check_key(self.registry, key, origin)

    def _check_secret(self, secret: bytes) -> RegistryVerdict | None:
        if self.registry is None:
            return None
        from scanner.registry.crosscheck import check_secret

        return check_secret(self.registry, secret)


def _bundle_record(item: Item, data: bytes) -> unscanned.Unscanned | None:
    """For bytes that start as a git bundle (`gitbundle.SIGNATURES`, each `# v…`),
    the unscanned record that stays unless the git stores read that very file
    (`gitbundle.drop_read`). The module is imported only for bytes that start
    with `# v`: a hook never imports it."""
    from scanner.sources import gitbundle

    return gitbundle.unread(item) if gitbundle.signed(data) else None


@functools.cache
def _archives() -> ModuleType:
    """The archives package, imported on first use (it imports tarfile and lzma,
    which a pre-commit hook does not need) and then without an import statement
    per item."""
    from scanner.sources import archives

    return archives


def internal_error(path: str, what: str, exc: Exception) -> ScanWarning:
    """A keysweep bug met on one item: recorded (the run then exits 3), never
    swallowed. With --debug the traceback goes to standard error as well."""
    if os.environ.get("KEYSWEEP_DEBUG", "") not in ("", "0"):
        from scanner.safetrace import print_safe

        print_safe(exc)  # frames only: the message may quote the item's bytes
    return ScanWarning(path, f"{what}: {safe_reason(exc)}", "error", internal=True)


def _vetter(rules: dict[str, Rule], detectors: Sequence[Detector]) -> Vetter:
    """Imported with this module, so pool workers inherit it instead of importing it."""
    found = [d for d in detectors if d.name == "rules"]
    return Vetter(rules, found[0].detect if found else None)


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
    """Baselines list places: each place of a finding is suppressed on its own id,
    and a finding stays while any of its places is not baselined."""
    if baseline is None:
        return findings, 0
    kept: list[Finding] = []
    suppressed = 0
    for finding in findings:
        places = finding.places
        if not finding.never_suppressed_by_baseline:
            places = tuple(p for p in places if not baseline.contains(at_location(finding, p)))
        suppressed += len(finding.places) - len(places)
        if places:
            kept.append(
                finding if len(places) == len(finding.places) else with_locations(finding, places)
            )
    return kept, suppressed
