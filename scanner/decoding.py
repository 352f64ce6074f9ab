"""Secrets hidden behind an encoding: base64 values of Kubernetes `Secret`
manifests and Helm values, Docker `auth` and HTTP basic-auth values, JSON string
escapes and percent-encoding.

A password in a k8s `Secret` is base64 on disk, so no rule sees it. Decoding
every base64-looking run in every file would be a second full pass (and an
ocean of noise), so decoding runs only in candidate regions: value lines of a
manifest that says `kind: Secret` or of a Helm `values*.yaml`, lines of JSON
files holding an escaped URL (`:\\/\\/`), and the values that a rule already matched and that
are themselves encoded (`auth`, `Basic`, `%XX`). The decoded text is put back in
its line (`password: <decoded>`) and scanned with the same rules; each match is
reported at the encoded location, with `facts.encoding` saying how it was found.
Depth, size and count are bounded.
"""

from __future__ import annotations

import functools
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

import re2

from scanner.model import Match, Origin

Rescan = Callable[[Origin, bytes], Sequence[object]]
"""The rules detector's `detect` over a small decoded buffer."""


def _lazy(pattern: bytes) -> Callable[[], re2._Regex]:
    """A regex compiled on first use: most scans decode nothing."""
    return functools.cache(lambda: re2.compile(pattern))


MAX_DEPTH = 2
MAX_REGIONS = 256
MAX_VALUE = 64 * 1024
MAX_TOTAL = 1024 * 1024
_ENCODED_MAX = MAX_VALUE * 4 // 3 + 4

_K8S_SECRET = (b"kind: Secret", b'"kind": "Secret"', b"kind: 'Secret'", b'kind: "Secret"')
_VALUE_LINE = _lazy(
    rb"(?m)^([ \t]*-?[ \t]*[\"']?([A-Za-z0-9._-]{1,253})[\"']?[ \t]*:[ \t]*[\"']?)"
    rb"([A-Za-z0-9+/]{8,}={0,2})[\"']?[ \t]*,?[ \t]*\r?$"
)
_JSON_ESCAPE = b":\\/\\/"
"""An escaped URL (`https:\\/\\/user:pass@host`): the one escape that hides
credentials from the rules often enough to pay for a look."""
_SNIFF = 4096
_MANIFEST_SUFFIXES = frozenset({"yaml", "yml"})
_ESCAPED_SUFFIXES = frozenset({"json", "jsonl", "ndjson", "har", "ipynb"})
_ESCAPED_LINE = _lazy(rb"(?m)^.*\\(?:/|u00[0-9A-Fa-f]{2}).*$")
_ESCAPE = _lazy(rb"\\(?:u([0-9A-Fa-f]{4})|([\"\\/bfnrt]))")
_SIMPLE = {b'"': b'"', b"\\": b"\\", b"/": b"/", b"b": b"\b", b"f": b"\f", b"n": b"\n",
           b"r": b"\r", b"t": b"\t"}  # fmt: skip
_VIRTUAL_NAMES = {".dockerconfigjson": ".docker/config.json", ".dockercfg": ".dockercfg"}
_ENCODED_RULE_VALUES = ("docker-auth", "basic-auth")


@dataclass(frozen=True)
class Region:
    """Encoded bytes at [start, end) of the item, and the text to rescan: the line
    with the decoded value in place of the encoded one."""

    start: int
    end: int
    text: bytes
    offset: int
    """Where the decoded value begins inside `text` (matches before it are the
    plain part of the line, which the first pass already saw)."""
    member: str
    encoding: str
    replaces: bool = True
    """Whether what the decoded text holds replaces any match of the encoded form
    (a base64 value in a manifest); False for an encoded value a rule reported
    (a Docker `auth`, a `Basic` header), which stays its own finding."""


UNDECODED = "undecoded"
"""The count `Vetter.vet` returns when an item's decoding budget ran out."""


def decoded_matches(
    origin: Origin,
    data: bytes,
    matches: Sequence[Match],
    rescan: Rescan,
    rule_validators: dict[str, str | None] | None = None,
    depth: int = 0,
) -> Decoded:
    """Matches found by decoding candidate regions of `data`, at encoded locations,
    and the encoded spans whose decoded text replaces any match of the encoded form."""
    budget = [MAX_TOTAL, 0]
    regions = list(_bounded(_regions(origin, data, matches, rule_validators or {}), budget))
    found: list[Match] = []
    lines = _Lines(data)
    for region in regions:
        found.extend(_rescan(origin, data, region, rescan, rule_validators, depth, lines))
    replaced = frozenset((r.start, r.end) for r in regions if r.replaces)
    return Decoded(found, replaced, incomplete=budget[1] > 0)


@dataclass(frozen=True)
class Decoded:
    matches: list[Match]
    replaced: frozenset[tuple[int, int]]
    """Encoded spans that were decoded and rescanned in full."""
    incomplete: bool = False
    """The decoding budget ran out before every candidate region was decoded."""


def merge(direct: Sequence[Match], found: Decoded) -> list[Match]:
    """Direct and decoded matches, one per encoded place. A manifest's decoded value
    replaces every match of its encoded form (the rescan judged the real value).
    Elsewhere a rule's match on the encoded form stays as it is, a decoded match
    replaces a generic one there, and a generic decoded match yields to a
    specific rule's match."""
    direct = [m for m in direct if (m.start, m.end) not in found.replaced]
    taken = {(m.start, m.end, m.rule_id) for m in direct}
    specific = {(m.start, m.end) for m in direct if not _generic(m)}
    kept: dict[tuple[int, int, str], Match] = {}
    for match in found.matches:
        place = (match.start, match.end)
        if (*place, match.rule_id) in taken or (_generic(match) and place in specific):
            continue
        kept.setdefault((*place, match.rule_id), match)
    places = {(s, e) for s, e, _ in kept}
    direct = [m for m in direct if not (_generic(m) and (m.start, m.end) in places)]
    return direct + list(kept.values())


def _generic(match: Match) -> bool:
    """Matches by name and shape only (assignment rules, the python detector)."""
    return match.rule_id.startswith(("generic.", "python."))


def _bounded(regions: Iterator[Region], budget: list[int]) -> Iterator[Region]:
    """At most MAX_REGIONS regions and MAX_TOTAL bytes; `budget[1]` is set when a
    region was left undecoded (fail closed: the caller reports it)."""
    for count, region in enumerate(regions):
        budget[0] -= len(region.text)
        if count >= MAX_REGIONS or budget[0] < 0:
            budget[1] = 1
            return
        yield region


def file_kind(origin: Origin, data: bytes) -> str | None:
    """'manifest' (k8s Secret, Helm values), 'escaped' (JSON with escaped URLs), or
    None: the cheap test that keeps decoding off nearly every item."""
    named = _named_kind(origin.archive_member or origin.path)
    if named is None:  # most items: a name that is neither
        return None
    if named == "values" or (named == "manifest" and _is_k8s_secret(data)):
        return "manifest"
    if named == "escaped" and _escapes_slashes(data):
        return "escaped"
    return None


@functools.lru_cache(maxsize=1 << 16)
def _named_kind(path: str) -> str | None:
    """What the name of `path` says the content may be: 'values' (Helm values, a
    manifest whatever it holds), 'manifest' (YAML, a manifest if it holds a
    Secret), 'escaped' (JSON and kin) or None. Asked of every item: the versions
    of a file share a path, so each path is judged once."""
    name = path.rsplit("/", 1)[-1].lower()
    suffix = name.rsplit(".", 1)[-1] if "." in name else ""
    if suffix in _MANIFEST_SUFFIXES:
        return "values" if _is_helm_values(name) else "manifest"
    return "escaped" if suffix in _ESCAPED_SUFFIXES else None


def _regions(
    origin: Origin, data: bytes, matches: Sequence[Match], validators: dict[str, str | None]
) -> Iterator[Region]:
    kind = file_kind(origin, data)
    if kind == "manifest":
        yield from _base64_values(data)
    elif kind == "escaped":
        yield from _escaped_lines(data)
    for match in matches:
        yield from _encoded_value(data, match, validators.get(match.rule_id))


def _is_k8s_secret(data: bytes) -> bool:
    """A Kubernetes manifest (apiVersion or kind near the top) holding a Secret;
    other YAML (CI files, API specs) costs one look at its first bytes."""
    head = data[:_SNIFF]
    if b"apiVersion" not in head and b"kind:" not in head:
        return False
    return b"Secret" in data and any(marker in data for marker in _K8S_SECRET)


def _escapes_slashes(data: bytes) -> bool:
    """A JSON encoder that escapes `/` does so everywhere, so its first bytes tell;
    only then is the whole file searched for an escaped URL."""
    return b"\\/" in data[:_SNIFF] and _JSON_ESCAPE in data


def _is_helm_values(name: str) -> bool:
    return name.startswith("values") and name.endswith((".yaml", ".yml"))


def _base64_values(data: bytes) -> Iterator[Region]:
    """`key: <base64>` lines, decoded when the result is text."""
    from scanner.engine.validators import b64decode_loose

    for found in _VALUE_LINE().finditer(data):
        decoded = b64decode_loose(found.group(3), limit=_ENCODED_MAX)
        if decoded is None or len(decoded) > MAX_VALUE or not _is_text(decoded):
            continue
        head, key = found.group(1), found.group(2).decode("ascii", "replace")
        start, end = found.span(3)
        yield Region(start, end, head + decoded, len(head), _VIRTUAL_NAMES.get(key, key), "base64")


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _escaped_lines(data: bytes) -> Iterator[Region]:
    """Lines with JSON string escapes, unescaped."""
    for found in _ESCAPED_LINE().finditer(data):
        line = found.group(0)
        if len(line) > MAX_VALUE:
            continue
        text = _ESCAPE().sub(_unescape, line)
        if text != line:
            start, end = found.span()
            yield Region(start, end, text, 0, "", "json-escape")


def _unescape(found: re2._Match[bytes]) -> bytes:
    code = found.group(1)
    if code is not None:
        return chr(int(code, 16)).encode("utf-8", "replace")
    return _SIMPLE[found.group(2)]


def _encoded_value(data: bytes, match: Match, validator: str | None) -> Iterator[Region]:
    """A rule's match that is itself encoded: a base64 `user:password`, or `%XX`."""
    if validator in _ENCODED_RULE_VALUES:
        from scanner.engine.validators import b64decode_loose

        decoded = b64decode_loose(match.secret)
        if decoded is not None and _is_text(decoded):
            password = decoded.partition(b":")[2]
            yield Region(match.start, match.end, b"password: " + password, 10, "", "base64", False)
    elif b"%" in match.secret:
        decoded = urllib.parse.unquote_to_bytes(match.secret)
        if decoded != match.secret:
            head = data[max(0, match.start - 64) : match.start].rsplit(b"\n", 1)[-1]
            yield Region(match.start, match.end, head + decoded, len(head), "", "percent", False)


def _rescan(
    origin: Origin,
    data: bytes,
    region: Region,
    rescan: Rescan,
    validators: dict[str, str | None] | None,
    depth: int,
    lines: _Lines,
) -> list[Match]:
    inner = (
        replace(origin, archive_member=_member(origin, region.member)) if region.member else origin
    )
    found = [m for m in rescan(inner, region.text) if isinstance(m, Match)]
    found = [m for m in found if m.end > region.offset]
    if depth + 1 < MAX_DEPTH and found:
        deeper = decoded_matches(inner, region.text, found, rescan, validators, depth + 1)
        found = merge(found, deeper)
    from scanner import pairing

    found = pairing.pair(region.text, found)
    return [_at_encoded(data, region, m, lines) for m in found if m.end > region.offset]


def _member(origin: Origin, name: str) -> str:
    return f"{origin.archive_member}!{name}" if origin.archive_member else name


class _Lines:
    """Line numbers of offsets, counted on from the last one asked (regions come
    in order), so many regions in a large item cost one walk, not one each."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0
        self.line = 1

    def at(self, offset: int) -> int:
        if offset < self.pos:
            self.pos, self.line = 0, 1
        self.line += self.data.count(b"\n", self.pos, offset)
        self.pos = offset
        return self.line


def _at_encoded(data: bytes, region: Region, match: Match, lines: _Lines) -> Match:
    """The decoded match, placed at the encoded bytes it came from."""
    line = lines.at(region.start)
    column = region.start - (data.rfind(b"\n", 0, region.start) + 1) + 1
    encodings = [region.encoding, match.facts.get("encoding", "")]
    return replace(
        match,
        start=region.start,
        end=region.end,
        line=line,
        column=column,
        end_line=line + data.count(b"\n", region.start, region.end),
        facts={**match.facts, "encoding": "+".join(e for e in encodings if e)},
    )
