"""Multi-part credentials as one finding: an AWS key id with its secret (and
session token), an Azure storage account with its key, a client id with its
secret, a user name with its password, the host and user of a database or
broker URL, a Jenkins `credentials.xml` entry, a Docker `auths` entry.

A secret alone says little; the part beside it says whose it is and where it
opens. Pairing looks only at a few lines around each match (never the whole
item again) and folds what it learns into the match's `facts`: the non-secret
parts (key id's account, user name, host, client id, account name), and
`parts`, which names what was found together. Companion *matches* (an AWS key id
reported by its own rule) are absorbed into the secret's match, so one
credential is one finding.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace

import re2

from scanner.engine.validators import b64decode_loose
from scanner.model import Match

PAIR_LINES = 6
"""How many lines around a secret its other parts may sit."""
_WINDOW_BYTES = 2048
_FACT_MAX = 128


@dataclass(frozen=True)
class Absorb:
    """Matches of `companions` near a match of `primary` fold into it."""

    primary: str
    companions: tuple[str, ...]
    name: str


ABSORB = (
    Absorb(
        "cloud.aws-secret-access-key",
        ("cloud.aws-access-key-id", "cloud.aws-session-token"),
        "secret-access-key",
    ),
)
_PART_NAMES = {
    "cloud.aws-access-key-id": "access-key-id",
    "cloud.aws-session-token": "session-token",
}


@dataclass(frozen=True)
class Companion:
    """A non-secret part read from the text around a match of some rules."""

    applies: Callable[[str], bool]
    pattern: bytes
    """RE2 syntax, compiled on first use (most scans pair nothing)."""
    facts: tuple[str, ...]
    """Fact name for each group of `pattern`."""
    part: str
    same_line: bool = False
    name_hint: bytes | None = None
    """Also applies to any rule's match assigned to a name holding this (lower case)."""


def _ids(*names: str) -> Callable[[str], bool]:
    return lambda rule_id: rule_id in names


def _prefixed(*prefixes: str) -> Callable[[str], bool]:
    return lambda rule_id: rule_id.startswith(prefixes)


def _containing(*words: str) -> Callable[[str], bool]:
    return lambda rule_id: any(word in rule_id for word in words)


_NAME = rb"[\"']?\s{0,4}(?:=|:|:=|=>)\s{0,4}[\"']?"
COMPANIONS = (
    Companion(
        _ids("cloud.azure-storage-account-key"),
        rb"(?i)account_?name" + _NAME + rb"([a-z0-9]{3,24})",
        ("account",),
        "account-name",
    ),
    Companion(
        _containing("client-secret", "client_secret"),
        rb"(?i)client[_-]?id" + _NAME + rb"([A-Za-z0-9._@-]{6,128})",
        ("client_id",),
        "client-id",
        name_hint=b"client",
    ),
    Companion(
        _prefixed("db.", "config.url-credentials"),
        # the password runs to the last `@` (it may hold `@`), so the host is never a
        # slice of it
        rb"([a-z][a-z0-9+.-]{1,30})://([^:/@\s\"']{1,64}):[^\s\"']{1,256}@([^/:?;,@\s\"']{1,253})",
        ("scheme", "username", "host"),
        "url",
        same_line=True,
    ),
    Companion(
        _ids("db.jdbc-url-password"),
        rb"(?i)jdbc:([a-z0-9]{2,20}):(?://([^/:;?\s\"']{1,253}))?",
        ("scheme", "host"),
        "jdbc-url",
        same_line=True,
    ),
    Companion(
        _containing("password", "passwd", "credential", "netrc", "jdbc", "connection-string"),
        rb"(?i)(?:\buser(?:_?name)?|\blogin|\buid|\buser id|<username)(?:" + _NAME + rb"|>)"
        rb"([A-Za-z0-9._@\\-]{1,64})",
        ("username",),
        "username",
    ),
    Companion(
        _ids("pkg.docker-config-auth"),
        rb"\"([A-Za-z0-9.-]{1,253}(?::[0-9]{1,5})?(?:/[^\"\s]{0,200})?)\"\s{0,4}:\s{0,4}\{[^{}]{0,200}\"auth\"",
        ("registry",),
        "registry",
    ),
    Companion(
        _prefixed("generic.xml-credential"),
        rb"<id>([^<\s]{1,128})</id>",
        ("credential_id",),
        "jenkins-id",
    ),
)


def pair(data: bytes, matches: Sequence[Match]) -> list[Match]:
    """`matches` with companions absorbed and companion facts added."""
    kept = _absorb(list(matches))
    return [_with_companions(data, match) for match in kept]


def _absorb(matches: list[Match]) -> list[Match]:
    gone: set[int] = set()
    for rule in ABSORB:
        for index, match in enumerate(matches):
            if match.rule_id != rule.primary:
                continue
            parts = [
                i
                for i, other in enumerate(matches)
                if other.rule_id in rule.companions
                and i not in gone
                and abs(other.line - match.line) <= PAIR_LINES
            ]
            if parts:
                matches[index] = _merge(match, [matches[i] for i in parts], rule.name)
                gone.update(parts)
    return [m for i, m in enumerate(matches) if i not in gone]


def _merge(primary: Match, parts: Sequence[Match], name: str) -> Match:
    facts: dict[str, str] = {}
    for part in parts:
        facts.update(part.facts)
    facts.update(primary.facts)
    names = sorted({_PART_NAMES.get(p.rule_id, p.rule_id) for p in parts} | {name})
    facts["parts"] = "+".join(names)
    return replace(
        primary, facts=facts, severity=max([primary.severity, *(p.severity for p in parts)])
    )


def _with_companions(data: bytes, match: Match) -> Match:
    facts = dict(match.facts)
    parts = [p for p in facts.get("parts", "").split("+") if p]
    for companion in COMPANIONS:
        if not _applies(companion, data, match):
            continue
        found = _find(companion, data, match)
        if found:
            for name, value in found.items():
                facts.setdefault(name, value)
            parts.append(companion.part)
    if len(facts) == len(match.facts):
        return match
    facts["parts"] = "+".join(dict.fromkeys([*parts, "secret"]))
    return replace(match, facts=facts)


def _applies(companion: Companion, data: bytes, match: Match) -> bool:
    if companion.applies(match.rule_id):
        return True
    if companion.name_hint is None:
        return False
    line_start = data.rfind(b"\n", max(0, match.start - 128), match.start) + 1
    return companion.name_hint in data[max(line_start, match.start - 128) : match.start].lower()


def _find(companion: Companion, data: bytes, match: Match) -> Mapping[str, str]:
    start, end = _window(data, match, 0 if companion.same_line else PAIR_LINES)
    for found in _compiled(companion.pattern).finditer(data, start, end):
        if companion.same_line and not found.start() <= match.start <= found.end() + 256:
            continue
        encoded = match.facts.get("encoding", "").startswith("base64")
        shown = {
            name: _safe_fact(found, i, match, encoded) for i, name in enumerate(companion.facts, 1)
        }
        values = {name: value for name, value in shown.items() if value is not None}
        if values:
            return values
    return {}


@functools.cache
def _compiled(pattern: bytes) -> re2._Regex:
    return re2.compile(pattern)


def _window(data: bytes, match: Match, lines: int) -> tuple[int, int]:
    """The byte span of `lines` lines either side of the match, bounded."""
    floor = max(0, match.start - _WINDOW_BYTES)
    start = match.start
    for _ in range(lines + 1):
        start = data.rfind(b"\n", floor, start - 1) if start > floor else floor
        if start < 0:
            start = floor
            break
    ceiling = min(len(data), match.end + _WINDOW_BYTES)
    end = match.end
    for _ in range(lines + 1):
        found = data.find(b"\n", end + 1, ceiling)
        end = ceiling if found < 0 else found
        if found < 0:
            break
    return max(start, floor), end


def _safe_fact(found: re2._Match, group: int, match: Match, encoded: bool) -> str | None:
    """A companion's value, unless it is (or holds, or sits inside) the secret itself,
    whether compared as written or decoded."""
    value = found.group(group)
    if not value or match.secret in value:
        return None
    start, end = found.span(group)
    if start < match.end and match.start < end:
        return None
    shown = _fact(value, encoded)
    return None if match.secret.decode("utf-8", "replace") in shown else shown


def _fact(value: bytes, encoded: bool = False) -> str:
    """A companion's value; in a manifest of base64 values, decoded when it is text."""
    if encoded:
        decoded = b64decode_loose(value)
        if decoded is not None and decoded.isascii() and decoded.decode("ascii").isprintable():
            value = decoded
    return value.decode("utf-8", "replace")[:_FACT_MAX]
