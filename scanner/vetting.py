"""The credential judgement of one item's matches, after the detectors and
before suppression: structure checks, placeholders, another engine deferring to
the rules, multi-part pairing and decoded values.

Every detector's matches pass through here, so detect-secrets, the python
detector and values found inside base64 are judged by the same filters as the
rules. It works only on the matches and on small regions around them (plus the
few decoding triggers in `scanner.decoding`): no second pass over the item.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace

from scanner import decoding, placeholders
from scanner.model import Match, Origin, Rule, RuleKind

VERIFIED_FORMAT = "verified-format"
_FILTERED_KINDS = (RuleKind.CREDENTIAL, RuleKind.TOKEN)


class Vetter:
    """Per-worker: the rules by id, and the rules detector for decoded regions."""

    def __init__(self, rules: Mapping[str, Rule], rescan: decoding.Rescan | None) -> None:
        self.rules = rules
        self.rescan = rescan
        self.validators = {rule_id: rule.validate for rule_id, rule in rules.items()}

    def decodes(self, origin: Origin, data: bytes) -> bool:
        """Whether the item holds encoded values worth a look without any match
        (`vet` of no matches finds nothing where this is False)."""
        return self.rescan is not None and decoding.file_kind(origin, data) is not None

    def vet(
        self, origin: Origin, data: bytes, matches: Sequence[Match]
    ) -> tuple[list[Match], Counter[str]]:
        """The matches worth a finding, and counts of the others by reason
        (`structure`, `placeholder`)."""
        dropped: Counter[str] = Counter()
        if not matches and not self.decodes(origin, data):
            return [], dropped
        from scanner import pairing  # only for an item with matches or encoded values
        from scanner.detectors.detect_secrets import defer_to_rules

        found = defer_to_rules(matches)
        if self.rescan is not None:
            decoded = decoding.decoded_matches(origin, data, found, self.rescan, self.validators)
            if decoded.incomplete:
                dropped[decoding.UNDECODED] += 1
            if decoded.matches or decoded.replaced:
                found = decoding.merge(found, decoded)
        kept: list[Match] = []
        for match in found:
            judged = self._judge(match, data)
            if isinstance(judged, str):
                dropped[judged] += 1
            else:
                kept.append(judged)
        return pairing.pair(data, kept), dropped

    def _judge(self, match: Match, data: bytes) -> Match | str:
        """The match with its structure verdict, or the reason it is no finding."""
        if match.kind not in _FILTERED_KINDS:
            return match
        from scanner.engine.validators import check, validator_for

        rule = self.rules.get(match.rule_id)
        name = rule.validate if rule is not None else validator_for(match.secret)
        if name is not None:
            verdict = check(name, match.secret)
            if verdict.valid is False:
                return "structure"
            if verdict.valid:
                match = replace(
                    match, confidence=VERIFIED_FORMAT, facts={**match.facts, **verdict.facts}
                )
        if match.confidence is None and placeholders.is_placeholder(
            match.secret, line_before(data, match.start)
        ):
            return "placeholder"
        return match


def line_before(data: bytes, offset: int) -> bytes:
    """The text of the line before `offset` (at most 256 bytes of it)."""
    start = max(data.rfind(b"\n", max(0, offset - 256), offset) + 1, offset - 256, 0)
    return data[start:offset]
