"""One placeholder filter for every detector: values that look like credentials
but are documentation, templates or jokes.

Rules refuse many placeholders with their own `allow` lists, but the python
detector, detect-secrets and values decoded from base64 do not run those lists.
This module is the one judgement all of them share: `hunter2`-style words,
`changeme`, keyboard runs, a value equal to the name it is assigned to, the
example keys vendors publish in their documentation, regular expressions that
describe a token's shape, and (for the whole scan)
one value repeated across many files that are mostly docs, tests or examples.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence

import re2

from scanner.context import PRODUCTION
from scanner.model import Finding, RuleKind

_WORDS = frozenset(
    [
        "password",
        "passwd",
        "passw0rd",
        "p4ssw0rd",
        "p@ssw0rd",
        "p@ssword",
        "pass",
        "pwd",
        "secret",
        "s3cret",
        "s3cr3t",
        "changeme",
        "changeit",
        "change_me",
        "letmein",
        "hunter2",
        "admin",
        "administrator",
        "root",
        "toor",
        "guest",
        "default",
        "example",
        "sample",
        "dummy",
        "placeholder",
        "redacted",
        "test",
        "testing",
        "tester",
        "demo",
        "foo",
        "bar",
        "foobar",
        "baz",
        "qux",
        "token",
        "mytoken",
        "apikey",
        "api_key",
        "mykey",
        "mypassword",
        "mysecret",
        "yourpassword",
        "yoursecret",
        "yourtoken",
        "notasecret",
        "not-a-secret",
        "supersecret",
        "topsecret",
        "secretpassword",
        "opensesame",
        "trustno1",
        "iloveyou",
        "welcome",
        "monkey",
        "dragon",
        "master",
        "login",
        "null",
        "none",
        "nil",
        "undefined",
        "empty",
        "fake",
        "mock",
        "invalid",
        "wrong",
        "xxx",
        "xxxxxx",
        "value",
        "string",
    ]
)
"""Lower-cased words that are never a real credential (trailing digits ignored)."""

_ROWS = (
    "qwertyuiopasdfghjklzxcvbnm",
    "azertyuiopqsdfghjklmwxcvbn",
    "1234567890",
    "abcdefghijklmnopqrstuvwxyz",
    "0123456789abcdef",
    "qazwsxedcrfvtgbyhnujmikolp",
)
_RUN_MIN = 4

VENDOR_EXAMPLES = frozenset(
    {
        b"AKIAIOSFODNN7EXAMPLE",
        b"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        b"AKIAI44QH8DHBEXAMPLE",
        b"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY",
        b"ASIAIOSFODNN7EXAMPLE",
        b"Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
        b"sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        b"pk_test_TYooMQauvdEDq54NiTphI7jx",
    }
)
"""Keys vendors print in their own documentation: AWS's IAM examples, the Azure
storage emulator's well-known account key, Stripe's documented test keys."""

_NAME_BEFORE = re2.compile(
    rb"([A-Za-z_][A-Za-z0-9_.-]{0,63})[\"']?\s{0,4}(?:=|:|:=|=>)\s{0,4}[\"']?$"
)
_TRAILING_DIGITS = re2.compile(rb"[0-9!._-]*$")
_PATTERN = re2.compile(
    rb"\[\^?[^\]\[]*[0-9A-Za-z]-[0-9A-Za-z][^\]\[]*\](?:[+*?]|\{[0-9]+(?:,[0-9]*)?\})"
)
"""A bracket expression with a range and a repeat after it (`[-!#$%&'*+.^_`|~0-9a-zA-Z]+`,
`[A-Fa-f0-9]{32}`): a regular expression that describes tokens, not a token."""
REPEAT_FILES = 3
"""A non-verified credential value in at least this many files of one scan, most
of them outside production, is documentation."""


def is_placeholder(secret: bytes, before: bytes = b"") -> bool:
    """Whether `secret` is a placeholder; `before` is the text on its line before it."""
    if secret in VENDOR_EXAMPLES or _PATTERN.search(secret) is not None:
        return True
    if len(secret) > 64:
        return False
    text = secret.strip(b"\"' ").lower()
    if not text or _is_word(text) or _is_run(text) or _is_repeat(text):
        return True
    return _equals_name(text, before)


def _is_word(text: bytes) -> bool:
    stem = _TRAILING_DIGITS.sub(b"", text) if text[:1].isalpha() else text
    return text.decode("utf-8", "replace") in _WORDS or stem.decode("utf-8", "replace") in _WORDS


def _is_run(text: bytes) -> bool:
    """A keyboard or alphabet run (`qwerty`, `123456789`, `abcdef`), either way."""
    word = text.decode("utf-8", "replace")
    if len(word) < _RUN_MIN:
        return False
    return any(word in row or word[::-1] in row for row in _ROWS)


def _is_repeat(text: bytes) -> bool:
    """One short unit repeated (`aaaaaaaa`, `abcabcabc`, `0000`)."""
    for size in (1, 2, 3, 4):
        if (
            len(text) >= 2 * size
            and len(text) % size == 0
            and text == text[:size] * (len(text) // size)
        ):
            return True
    return False


def _equals_name(text: bytes, before: bytes) -> bool:
    """`password = "password"`, `API_KEY=api-key`, `token: TOKEN`."""
    found = _NAME_BEFORE.search(before[-96:])
    if found is None:
        return False
    name = _normal(found.group(1).rsplit(b".", 1)[-1])
    return bool(name) and _normal(text) == name


def _normal(text: bytes) -> bytes:
    return bytes(c for c in text.lower() if chr(c).isalnum())


def repeated_doc_values(findings: Sequence[Finding]) -> tuple[list[Finding], int]:
    """Drop credential values that one scan sees in many files, mostly outside
    production, with no structure check or registry verdict behind them: the
    password a project's documentation repeats in every sample. Copies in
    production files stay findings (a real password that docs repeat is real)."""
    places: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        if _doc_candidate(finding):
            places[finding.secret.keyed_hash].append(finding)
    dropped: set[int] = set()
    for group in places.values():
        if _is_doc_value(group):
            dropped.update(id(f) for f in group if f.context != PRODUCTION)
    kept = [f for f in findings if id(f) not in dropped]
    return kept, len(findings) - len(kept)


def _doc_candidate(finding: Finding) -> bool:
    return (
        finding.kind is RuleKind.CREDENTIAL
        and finding.confidence is None
        and finding.registry is None
        and finding.key is None
    )


def _is_doc_value(group: Iterable[Finding]) -> bool:
    paths: dict[str, str] = {f.path: f.context for f in group}
    if len(paths) < REPEAT_FILES:
        return False
    outside = sum(1 for context in paths.values() if context != PRODUCTION)
    return outside * 2 > len(paths)
