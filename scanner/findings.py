"""From a detector's Match (plus key analysis and the registry's verdict) to a
Finding: severity escalation, the words of the message, the content-based id,
and which of several matches on the same bytes to keep."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from scanner import redact
from scanner.context import context_of, strongest
from scanner.model import (
    UNSCANNED_RULE,
    Finding,
    FindingId,
    KeyInfo,
    Location,
    Match,
    Origin,
    RegistryVerdict,
    RuleKind,
    Severity,
    Verdict,
)


def build_finding(
    origin: Origin, match: Match, key: KeyInfo | None, hit: RegistryVerdict | None
) -> Finding:
    """Everything about `match` that is safe to show, at every place its bytes sit
    (`origin` and `origin.also`), each place with its own id."""
    info = redact.secret_info(match.secret)
    extra = key.fingerprints.get("spki_sha256", "") if key else ""
    locations = tuple(
        Location(
            location_id(match.rule_id, place, info.keyed_hash, extra),
            replace(place, also=()),
            match.line,
            match.column,
            match.end_line,
            match.rule_id,
        )
        for place in places_of(origin)
    )
    primary = locations[0]
    return Finding(
        id=primary.id,
        locations=locations if len(locations) > 1 else (),
        rule=match.rule_id,
        name=match.rule_name,
        kind=match.kind,
        severity=_severity(match, key, hit),
        detector=match.detector,
        origin=primary.origin,
        line=match.line,
        column=match.column,
        end_line=match.end_line,
        secret=info,
        key=key,
        registry=hit,
        message=_message(key),
        context=strongest(context_of(_context_path(place.origin)) for place in locations),
        confidence=match.confidence,
        facts=match.facts,
    )


def _context_path(origin: Origin) -> str:
    member = f"!{origin.archive_member}" if origin.archive_member else ""
    return origin.path[origin.context_from :] + member


def places_of(origin: Origin) -> tuple[Origin, ...]:
    """`origin` and its `also` places; inside an archive, each place is the same
    member of the archive at that place."""
    member = origin.archive_member
    return (origin, *(replace(p, archive_member=member) if member else p for p in origin.also))


def location_id(rule: str, origin: Origin, secret_hash: str, extra: str) -> FindingId:
    """The id of one place: rule, path (with archive member), the secret's hash and
    the key's fingerprint; never the line, the commit or the other places."""
    member = f"!{origin.archive_member}" if origin.archive_member else ""
    return FindingId(redact.finding_id(rule, origin.path + member, secret_hash, extra))


def _severity(match: Match, key: KeyInfo | None, hit: RegistryVerdict | None) -> Severity:
    """The rule's severity, lowered for material that is not a usable key, raised
    (or set) by the registry's verdict."""
    base = match.severity
    if key is not None and not key.public_known:
        base = Severity.LOW
    if key is not None and not key.parsed and match.kind is RuleKind.PRIVATE_KEY:
        # Key-looking text that is no key: placeholders and damaged copies. A key
        # *file* (KeePass, keytab, wallet) keeps its rule's severity.
        base = Severity.LOW
    if hit is not None:
        keyed = hit.verdict in (Verdict.UNREGISTERED_KEY, Verdict.ENCRYPTED_UNKNOWN)
        base = max(base, hit.severity) if keyed else hit.severity
    # Text in key armour that is no key (it did not parse) is judged by what else
    # was found on the same bytes: a token or a credential there keeps the severity
    # its own rule gave. A key that parsed is judged as a key, by key analysis and
    # the registry alone (a token rule matching inside its base64 is chance).
    if match.floor is None or (key is not None and key.parsed):
        return base
    return max(base, match.floor)


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
    """One match per secret: matches whose bytes overlap (or that hold the same
    secret on the same line) are one secret, whichever detectors found it.

    The most specific rule names it (`specificity`) and it keeps the highest
    severity any of them gave, so adding a detector never lowers a verdict nor
    changes the rule (and so the id) that a keysweep rule gave the secret.
    """
    if len(matches) < 2:  # most items: nothing to merge
        return list(matches)
    if any(m.kind is RuleKind.PRIVATE_KEY for m in matches):
        # The content rule read the key itself; the path rule adds nothing.
        matches = [m for m in matches if m.kind is not RuleKind.KEY_FILE]
    kept = [_verdict(group) for group in _same_secret(matches)]
    return sorted(kept, key=lambda m: (m.start, m.rule_id))


def _same_secret(matches: list[Match]) -> list[list[Match]]:
    """Clusters of matches on one secret. keysweep's own matches cluster when their
    spans overlap (a key-file match spans the whole file and clusters only with
    itself) or they hold equal bytes on one line; a detect-secrets match then joins
    the first cluster it overlaps, so it can never merge two secrets that keysweep
    keeps apart, and clusters with other detect-secrets matches otherwise."""
    native = [m for m in matches if _DETECTOR_RANK.get(m.detector, 0)]
    foreign = [m for m in matches if not _DETECTOR_RANK.get(m.detector, 0)]
    groups = _clusters(native)
    loose: list[Match] = []
    for match in foreign:
        home = next((g for g in groups if any(_same(match, m) for m in g)), None)
        if home is None:
            loose.append(match)
        else:
            home.append(match)
    return groups + _clusters(loose)


def _same(a: Match, b: Match) -> bool:
    if (a.kind is RuleKind.KEY_FILE) != (b.kind is RuleKind.KEY_FILE):
        return False
    if a.kind is RuleKind.KEY_FILE:
        return a.secret == b.secret
    return (a.start < b.end and b.start < a.end) or (a.secret == b.secret and a.line == b.line)


def _clusters(matches: list[Match]) -> list[list[Match]]:
    """Connected groups of `_same` matches (a sweep over spans plus equal bytes)."""
    parent = list(range(len(matches)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    order = sorted(
        (i for i, m in enumerate(matches) if m.kind is not RuleKind.KEY_FILE),
        key=lambda i: (matches[i].start, matches[i].end),
    )
    reach, last = -1, -1
    for i in order:
        if last >= 0 and matches[i].start < reach:
            parent[root(i)] = root(last)
        if matches[i].end > reach:
            reach, last = matches[i].end, i
    first: dict[tuple[bytes, int, bool], int] = {}
    for i, m in enumerate(matches):
        key_file = m.kind is RuleKind.KEY_FILE
        j = first.setdefault((m.secret, 0 if key_file else m.line, key_file), i)
        parent[root(i)] = root(j)
    groups: dict[int, list[Match]] = {}
    for i, m in enumerate(matches):
        groups.setdefault(root(i), []).append(m)
    return list(groups.values())


def _verdict(group: list[Match]) -> Match:
    best = min(group, key=lambda m: (_negated(specificity(m)), m.rule_id))
    severity = max(m.severity for m in group)
    floor = _non_key_floor(best, group)
    if best.severity == severity and floor == best.floor:
        return best
    return replace(best, severity=severity, floor=floor)


_KEY_KINDS = (RuleKind.PRIVATE_KEY, RuleKind.KEY_FILE)


def _non_key_floor(best: Match, group: list[Match]) -> Severity | None:
    """When a key rule names a cluster, the highest severity of its other (token,
    credential) matches of keysweep's own detectors: key analysis may lower what
    the key rule said about the key material (unparsable, identity unknown), never
    what they said. detect-secrets' entropy plugins, which any line of base64 in
    armour sets off, give no floor."""
    if best.kind not in _KEY_KINDS:
        return best.floor
    found = [m.severity for m in group if m.kind not in _KEY_KINDS and m.detector in _DETECTOR_RANK]
    found += [m.floor for m in group if m.floor is not None]
    return max(found, default=None)


def _negated(rank: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(-x for x in rank)


_KIND_RANK = {
    RuleKind.PRIVATE_KEY: 3,
    RuleKind.KEY_FILE: 2,
    RuleKind.TOKEN: 1,
    RuleKind.CREDENTIAL: 0,
}
_DETECTOR_RANK = {"rules": 2, "python": 1}
"""keysweep's own detectors before detect-secrets (0); on an otherwise equal
footing, the rules before the Python detector."""


def specificity(match: Match | Finding) -> tuple[int, int, int, int, int]:
    """How specific a rule is: keysweep's detectors before detect-secrets' plugins
    (so adding detect-secrets never renames a secret nor changes its id), then named
    formats before `generic.` assignment rules (a provider's rule names its value,
    whatever kind either rule declares), then key content before tokens before
    credentials, then severity."""
    rule_id = match.rule_id if isinstance(match, Match) else match.rule
    native = _DETECTOR_RANK.get(match.detector, 0)
    return (
        int(native > 0),
        int(not rule_id.startswith("generic.")),
        _KIND_RANK[match.kind],
        int(match.severity),
        native,
    )


# --- places -------------------------------------------------------------------


def at_location(finding: Finding, location: Location) -> Finding:
    """The finding as it reads at one of its places (what a baseline entry matches)."""
    return replace(
        finding,
        id=location.id,
        rule=location.rule or finding.rule,
        origin=location.origin,
        line=location.line,
        column=location.column,
        end_line=location.end_line,
        locations=(),
    )


def with_locations(finding: Finding, locations: Sequence[Location]) -> Finding:
    """The finding at these places, the first one primary."""
    primary = locations[0]
    return replace(
        at_location(finding, primary),
        rule=finding.rule,
        locations=tuple(locations) if len(locations) > 1 else (),
    )


def group_findings(findings: Sequence[Finding]) -> list[Finding]:
    """One finding per secret: findings of the same secret (and, for keys, the same
    key and registry verdict) become one, named by the most specific rule, at the
    highest severity, listing every place (HEAD places first, each place once: the
    same secret on two lines of one file is two places with one id)."""
    groups: dict[tuple[str, ...], list[Finding]] = {}
    for finding in findings:
        groups.setdefault(_group_key(finding), []).append(finding)
    return [_merge(group) for group in groups.values()]


def _group_key(finding: Finding) -> tuple[str, ...]:
    if finding.rule == UNSCANNED_RULE:  # each unscanned place keeps its own reason
        return (finding.rule, finding.origin.path, finding.message)
    spki = finding.key.fingerprints.get("spki_sha256", "") if finding.key else ""
    hit = finding.registry
    verdict = (hit.verdict.value, hit.key_id or "") if hit else ("", "")
    token = finding.token.verified_by or "" if finding.token else ""
    return (finding.secret.keyed_hash, spki, *verdict, token)


def _merge(group: list[Finding]) -> Finding:
    if len(group) == 1 and len(group[0].places) == 1:
        return group[0]
    best = min(group, key=_best_order)
    unique: dict[tuple[str, str, int, int], Location] = {}
    for place in sorted((p for f in group for p in f.places), key=_place_order):
        # Once a place: the same path, line and column in two versions of a file
        # (two blobs in history) is listed once, HEAD's or else the oldest. A file
        # on disk and a committed blob at the same path are two places: the second
        # names the commit that holds the secret.
        key = (place.origin.source.value, place.id, place.line, place.column)
        unique.setdefault(key, place)
    merged = with_locations(best, list(unique.values()))
    context = strongest([best.context, *(f.context for f in group)])
    return replace(merged, severity=max(f.severity for f in group), context=context)


def _best_order(finding: Finding) -> tuple[object, ...]:
    """The most specific rule names a group; among equals, the finding seen at the
    first place (in `_place_order`, then by commit) gives its facts and context,
    whatever order the workers' results arrived in."""
    first = min((*_place_order(p), p.origin.commit or "") for p in finding.places)
    return (_negated(specificity(finding)), finding.rule, finding.id, first)


def _place_order(place: Location) -> tuple[bool, str, str, str, str, int, int]:
    """HEAD places first; then by path; the oldest sighting of a path first. Commits
    of one date (scripted commits, rebases) are ordered by id, so which of them a
    finding names never depends on which worker's result arrived first."""
    origin = place.origin
    return (
        origin.at_head is False,
        origin.path,
        origin.archive_member or "",
        origin.date or "",
        origin.commit or "",
        place.line,
        place.column,
    )


def looks_like_jwt(secret: bytes) -> bool:
    return secret.startswith(b"eyJ") and secret.count(b".") == 2
