"""The YAML rules as a detector: loading (scanner.engine.ruleset) and the
detector that runs them through the one engine (scanner.engine.matcher).

Entry points: load_rules(config) -> tuple[Rule, ...] (built-in + config.rules_dirs,
raises RuleError naming file, rule id and field); RuleDetector(config, rules)
satisfies scanner.detectors.Detector.
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from pathlib import Path

from scanner.config import Config
from scanner.engine.compiled import SidePatterns
from scanner.engine.matcher import Engine, RuleHit
from scanner.engine.ruleset import builtin_rules_dir, load_rules
from scanner.model import Match, Origin, Rule


class RuleDetector:
    """Every YAML rule, compiled once per worker into one engine."""

    name = "rules"

    def __init__(
        self,
        config: Config,
        rules: Sequence[Rule],
        *,
        use_hyperscan: bool = True,
        cache_dir: Path | None = None,
        side: SidePatterns | None = None,
    ) -> None:
        """`side`: another detector's expressions, scanned with the rules
        (`Engine.side_found`)."""
        self.rules = tuple(rules)
        self.engine = Engine(
            self.rules,
            use_hyperscan=use_hyperscan,
            cache_dir=cache_dir if cache_dir is not None else config.cache_dir,
            side=side,
        )

    def wants(self, origin: Origin, data: bytes) -> bool:
        return bool(self.rules)

    def detect(self, origin: Origin, data: bytes) -> list[Match]:
        paths = item_paths(origin)
        # An exception here is a bug in the engine: the scan records it as an
        # internal error for this item (exit 3) instead of reporting it clean.
        hits = self.engine.find(data, paths)
        hits.extend(self.engine.find_key_files(paths, data))
        return to_matches(data, hits) if hits else []


def item_paths(origin: Origin) -> list[str]:
    """The paths rule globs are matched against: the display path and, inside an
    archive, the innermost member path."""
    paths = [origin.path]
    if origin.archive_member:
        paths.append(origin.archive_member.rsplit("!", 1)[-1])
    return paths


def to_matches(data: bytes, hits: Sequence[RuleHit]) -> list[Match]:
    """Matches with line and column, counting newlines once across the item."""
    matches = []
    line, counted = 1, 0
    columns = _Columns(data)
    for hit in sorted(hits, key=lambda h: h.start):
        newlines = data.count(b"\n", counted, hit.start)
        if newlines:
            line += newlines
            columns.new_line(data.rfind(b"\n", counted, hit.start) + 1)
        counted = hit.start
        column = columns.at(hit.start)
        end_line = line + data.count(b"\n", hit.start, max(hit.start, hit.end - 1))
        rule = hit.rule
        matches.append(
            Match(
                rule_id=rule.id,
                rule_name=rule.name,
                kind=rule.kind,
                severity=rule.severity,
                detector="rules",
                start=hit.start,
                end=hit.end,
                line=line,
                column=column,
                end_line=end_line,
                secret=data[hit.start : hit.end],
            )
        )
    return matches


class _Columns:
    """1-based columns in decoded characters, as scanner.text.line_col counts them,
    walking each line once however many hits it holds (minified files have one
    line of megabytes)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.new_line(0)

    def new_line(self, start: int) -> None:
        self.pos = start
        self.chars = 0
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def at(self, offset: int) -> int:
        self.chars += len(self.decoder.decode(self.data[self.pos : offset]))
        self.pos = offset
        pending = self.decoder.getstate()[0]
        return self.chars + (1 if pending else 0) + 1


__all__ = ["RuleDetector", "builtin_rules_dir", "item_paths", "load_rules", "to_matches"]
