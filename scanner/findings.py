"""From a detector's Match (plus key analysis and the registry's verdict) to a
Finding: severity escalation, the words of the message, the content-based id,
and which of several matches on the same bytes to keep."""

from __future__ import annotations

from scanner import redact
from scanner.context import context_of
from scanner.model import (
    Finding,
    FindingId,
    KeyInfo,
    Match,
    Origin,
    RegistryHit,
    RuleKind,
    Severity,
    Verdict,
)


def build_finding(
    origin: Origin, match: Match, key: KeyInfo | None, hit: RegistryHit | None
) -> Finding:
    """Everything about `match` that is safe to show."""
    info = redact.secret_info(match.secret)
    extra = key.fingerprints.get("spki_sha256", "") if key else ""
    member = f"!{origin.archive_member}" if origin.archive_member else ""
    return Finding(
        id=FindingId(redact.finding_id(match.rule_id, origin.path + member, info.sha256, extra)),
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
        context=context_of(origin.path + member),
        confidence=match.confidence,
        facts=match.facts,
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


def dedup_matches(matches: list[Match]) -> list[Match]:
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


_KIND_RANK = {
    RuleKind.PRIVATE_KEY: 3,
    RuleKind.KEY_FILE: 2,
    RuleKind.TOKEN: 1,
    RuleKind.CREDENTIAL: 0,
}


def _rank(match: Match) -> tuple[int, int, int, int]:
    own = 0 if match.detector == "detect-secrets" else 1  # keysweep's rules win
    generic = 0 if match.rule_id.startswith("generic.") else 1
    return (own, _KIND_RANK[match.kind], generic, int(match.severity))


def looks_like_jwt(secret: bytes) -> bool:
    return secret.startswith(b"eyJ") and secret.count(b".") == 2
