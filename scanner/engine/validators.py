"""Offline structure checks for token formats that carry one: checksums,
decodable prefixes, embedded account ids.

A regex says a value has the *shape* of a token; many formats say more. GitHub
and npm tokens end in a CRC32 of their random part, a PyPI token is a base64
macaroon naming pypi.org, an AWS access key id encodes its account. Checking
that offline turns a look-alike into "not a token" and a real one into
`confidence: verified-format`, with the facts it decodes to (account id,
environment) — facts that name whose credential it is, never anything that
recovers or confirms the secret itself.

One table (`VALIDATORS`) maps the name a rule gives in `validate:` to a
function of the secret's bytes. Adding a validator is one function and one line.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

BASE62 = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_BASE62_INDEX = {c: i for i, c in enumerate(BASE62)}
_CHECKSUM_LEN = 6
_DECODE_MAX = 8192
"""Bytes of a secret any validator decodes: a token is short; a huge one is not checked."""


@dataclass(frozen=True)
class Check:
    """A validator's verdict. `valid` None: the format cannot be told offline."""

    valid: bool | None
    facts: Mapping[str, str] = field(default_factory=dict)


UNKNOWN = Check(None)
INVALID = Check(False)

Validator = Callable[[bytes], Check]


def base62(number: int, width: int = _CHECKSUM_LEN) -> bytes:
    """`number` in base 62 (digits, upper, lower), left-padded with '0' to `width`."""
    digits = bytearray()
    while number:
        number, rest = divmod(number, 62)
        digits.append(BASE62[rest])
    return bytes(reversed(digits)).rjust(width, b"0")


def crc32_base62(body: bytes) -> bytes:
    """The six-character checksum GitHub and npm append to a token's random part."""
    return base62(zlib.crc32(body))


def with_checksum(prefix: str, random_part: str) -> str:
    """A token in the GitHub/npm layout: prefix, random part, its checksum. For
    generating examples and test tokens."""
    return prefix + random_part + crc32_base62(random_part.encode("ascii")).decode("ascii")


def _checksum_ok(body: bytes, checksum: bytes) -> bool:
    return len(checksum) == _CHECKSUM_LEN and crc32_base62(body) == checksum


def github_checksum(secret: bytes) -> Check:
    """ghp_/gho_/ghu_/ghs_/ghr_ + 30 random + 6 checksum characters. Longer refresh
    tokens and fine-grained PATs are checked where their checksum is found, and
    otherwise left unknown (their layout is not documented)."""
    if secret.startswith(b"github_pat_"):
        body = secret[len(b"github_pat_") :]
        if _checksum_ok(body[:-_CHECKSUM_LEN].replace(b"_", b""), body[-_CHECKSUM_LEN:]):
            return Check(True, {"token_type": "fine-grained-pat"})
        return UNKNOWN
    prefix, _, rest = secret.partition(b"_")
    kind = _GITHUB_KINDS.get(prefix)
    if kind is None or not rest.isalnum():
        return INVALID
    if len(rest) != 36:
        return UNKNOWN if prefix == b"ghr" else INVALID
    if not _checksum_ok(rest[:-_CHECKSUM_LEN], rest[-_CHECKSUM_LEN:]):
        return INVALID
    return Check(True, {"token_type": kind})


_GITHUB_KINDS = {
    b"ghp": "personal-access-token",
    b"gho": "oauth-access-token",
    b"ghu": "app-user-token",
    b"ghs": "app-installation-token",
    b"ghr": "app-refresh-token",
}


def npm_checksum(secret: bytes) -> Check:
    """npm_ + 30 random + 6 checksum characters (the GitHub scheme)."""
    rest = secret[len(b"npm_") :]
    if not secret.startswith(b"npm_") or len(rest) != 36 or not rest.isalnum():
        return INVALID
    if not _checksum_ok(rest[:-_CHECKSUM_LEN], rest[-_CHECKSUM_LEN:]):
        return INVALID
    return Check(True, {"token_type": "npm-access-token"})


def b64decode_loose(
    text: bytes, *, urlsafe: bool = False, limit: int = _DECODE_MAX
) -> bytes | None:
    """Standard or URL-safe base64 with or without padding, at most `limit`
    characters of it; None if it is not."""
    text = text.strip().rstrip(b"=")
    if len(text) > limit or len(text) % 4 == 1:
        return None
    padded = text + b"=" * (-len(text) % 4)
    try:
        if urlsafe:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None


def _varint(data: bytes, pos: int) -> tuple[int, int] | None:
    value, shift = 0, 0
    while pos < len(data) and shift < 35:
        byte = data[pos]
        value |= (byte & 0x7F) << shift
        pos += 1
        if not byte & 0x80:
            return value, pos
        shift += 7
    return None


# A binary (version 2) macaroon: the version byte 2, then sections of fields, each
# field a type, a varint length and that many bytes, each section ended by an end
# (EOS) byte 0. The first section is the macaroon's own (location, identifier);
# then one section per caveat (location, identifier, verification id), and an
# empty section ending the caveats; then the signature field, 32 bytes of
# HMAC-SHA256, and nothing after it. Within a section the types ascend.
_EOS, _LOCATION, _IDENTIFIER, _VID, _SIGNATURE = 0, 1, 2, 4, 6
_SIGNATURE_LEN = 32
_MAX_CAVEATS = 256

Fields = dict[int, bytes]


def _macaroon_field(data: bytes, pos: int) -> tuple[int, bytes, int] | None:
    """The field at `pos`: its type, its value and where the next one starts."""
    kind = _varint(data, pos)
    sized = _varint(data, kind[1]) if kind is not None else None
    if kind is None or sized is None or sized[1] + sized[0] > len(data):
        return None
    length, start = sized
    return kind[0], data[start : start + length], start + length


def _macaroon_section(data: bytes, pos: int, allowed: tuple[int, ...]) -> tuple[Fields, int] | None:
    """The fields of one section up to its end byte (ascending types out of
    `allowed`, each once) and the position after that byte."""
    fields: Fields = {}
    while pos < len(data) and data[pos] != _EOS:
        found = _macaroon_field(data, pos)
        if found is None or found[0] not in allowed or max(fields, default=-1) >= found[0]:
            return None
        fields[found[0]] = found[1]
        pos = found[2]
    return (fields, pos + 1) if pos < len(data) else None


def _macaroon(data: bytes) -> Fields | None:
    """The macaroon's own fields when `data` is one whole v2 macaroon: every
    caveat well formed, a 32-byte signature, and nothing after it."""
    if not data or data[0] != 2:
        return None
    root = _macaroon_section(data, 1, (_LOCATION, _IDENTIFIER))
    if root is None or _IDENTIFIER not in root[0]:
        return None
    pos = root[1]
    for _ in range(_MAX_CAVEATS + 1):
        if pos < len(data) and data[pos] == _EOS:
            return root[0] if _signed_to_the_end(data, pos + 1) else None
        caveat = _macaroon_section(data, pos, (_LOCATION, _IDENTIFIER, _VID))
        if caveat is None or _IDENTIFIER not in caveat[0]:
            return None
        pos = caveat[1]
    return None


def _signed_to_the_end(data: bytes, pos: int) -> bool:
    found = _macaroon_field(data, pos)
    return (
        found is not None
        and found[0] == _SIGNATURE
        and len(found[1]) == _SIGNATURE_LEN
        and found[2] == len(data)
    )


def pypi_macaroon(secret: bytes) -> Check:
    """pypi- + base64url of one whole v2 macaroon (identifier, well-formed caveats,
    a 32-byte signature, nothing after it) whose location is (test.)pypi.org."""
    if not secret.startswith(b"pypi-"):
        return INVALID
    data = b64decode_loose(secret[len(b"pypi-") :], urlsafe=True)
    fields = _macaroon(data) if data is not None else None
    location = fields.get(_LOCATION) if fields else None
    if location not in (b"pypi.org", b"test.pypi.org"):
        return INVALID
    return Check(True, {"index": location.decode("ascii")})


def jwt_header(secret: bytes) -> Check:
    """The first segment decodes to a JSON object with a string `alg`."""
    head = secret.split(b".", 1)[0]
    data = b64decode_loose(head, urlsafe=True)
    try:
        header = json.loads(data) if data is not None else None
    except (ValueError, UnicodeDecodeError):
        return INVALID
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str):
        return INVALID
    return Check(True, {"alg": header["alg"][:20]})


_AWS_KINDS = {
    b"AKIA": "long-term-access-key",
    b"ASIA": "temporary-access-key",
    b"ABIA": "sts-bearer-token",
    b"ACCA": "context-specific-credential",
}
_AWS_ACCOUNT_MASK = 0x7FFFFFFFFF80


def aws_access_key_id(secret: bytes) -> Check:
    """AKIA/ASIA + 16 base32 characters; keys issued since 2019 encode their
    account id in bits 1-39 of the decoded bytes. Older ids (second block
    starting with I or J) carry none, and are only checked for shape."""
    kind = _AWS_KINDS.get(secret[:4])
    body = secret[4:]
    if kind is None or len(body) != 16:
        return INVALID
    try:
        raw = base64.b32decode(body)
    except (binascii.Error, ValueError):
        return INVALID
    facts = {"key_type": kind}
    if body[:1] not in (b"I", b"J"):
        account = (int.from_bytes(raw[:6], "big") & _AWS_ACCOUNT_MASK) >> 7
        facts["account_id"] = f"{account:012d}"
    return Check(True, facts)


_SLACK_KINDS = {
    b"xoxb": "bot",
    b"xoxp": "user",
    b"xoxa": "app",
    b"xoxe": "refresh",
    b"xoxs": "session",
    b"xoxr": "refresh",
    b"xapp": "app-level",
}


def slack_prefix(secret: bytes) -> Check:
    """xoxb-/xoxp-/xapp-… with the numeric workspace and user blocks a real one has."""
    parts = secret.split(b"-")
    kind = _SLACK_KINDS.get(parts[0].split(b".")[0])
    if kind is None or len(parts) < 3:
        return INVALID
    if kind in ("bot", "user") and not (parts[1].isdigit() and parts[2].isdigit()):
        return INVALID
    return Check(True, {"token_type": kind})


_STRIPE_KINDS = {b"sk": "secret-key", b"rk": "restricted-key", b"pk": "publishable-key"}


def stripe_env(secret: bytes) -> Check:
    """sk_/rk_ + live_ or test_: says which environment the key opens."""
    if secret.startswith(b"whsec_"):
        return Check(True, {"token_type": "webhook-secret"})
    parts = secret.split(b"_", 2)
    if len(parts) != 3 or parts[0] not in _STRIPE_KINDS or parts[1] not in (b"live", b"test"):
        return INVALID
    kind = _STRIPE_KINDS[parts[0]]
    return Check(True, {"token_type": kind, "environment": parts[1].decode("ascii")})


def docker_auth(secret: bytes) -> Check:
    """A Docker `auth` value: base64 of `user:password`. Shows the user name."""
    data = b64decode_loose(secret)
    if data is None or b":" not in data:
        return INVALID
    from scanner.placeholders import is_placeholder

    user, _, password = data.partition(b":")
    if not user or not password or is_placeholder(password, user + b":"):
        return INVALID
    facts = {"username": user.decode("utf-8", "replace")} if _plain_name(user) else {}
    return Check(True, facts)


def _plain_name(user: bytes) -> bool:
    """A user name worth showing: short, of name characters, of low entropy. A token
    used as the user (`Basic base64(ghp_…:x-oauth-basic)`) is a secret itself."""
    from scanner.text import shannon_entropy

    return (
        len(user) <= 24
        and all(chr(c).isalnum() or chr(c) in "._@+-" for c in user)
        and shannon_entropy(user) < 3.5
    )


VALIDATORS: dict[str, Validator] = {
    "aws-access-key-id": aws_access_key_id,
    "basic-auth": docker_auth,
    "docker-auth": docker_auth,
    "github-checksum": github_checksum,
    "jwt-header": jwt_header,
    "npm-checksum": npm_checksum,
    "pypi-macaroon": pypi_macaroon,
    "slack-prefix": slack_prefix,
    "stripe-env": stripe_env,
}

_BY_PREFIX: tuple[tuple[bytes, str], ...] = (
    (b"ghp_", "github-checksum"),
    (b"gho_", "github-checksum"),
    (b"ghu_", "github-checksum"),
    (b"ghs_", "github-checksum"),
    (b"ghr_", "github-checksum"),
    (b"github_pat_", "github-checksum"),
    (b"npm_", "npm-checksum"),
    (b"pypi-", "pypi-macaroon"),
    (b"xox", "slack-prefix"),
    (b"sk_live_", "stripe-env"),
    (b"sk_test_", "stripe-env"),
    (b"rk_live_", "stripe-env"),
    (b"rk_test_", "stripe-env"),
)
"""For values no keysweep rule named (another engine's matches): the validator
their prefix implies."""


def validator_for(secret: bytes) -> str | None:
    """The validator a bare value's prefix implies, if any."""
    for prefix, name in _BY_PREFIX:
        if secret.startswith(prefix):
            return name
    return None


def check(name: str, secret: bytes) -> Check:
    """Run validator `name`; a value too long to be a token is left unknown."""
    if len(secret) > _DECODE_MAX:
        return UNKNOWN
    return VALIDATORS[name](secret)
