"""Content checks a key-file rule may name in `validate:`.

A key-file rule matches a file by its name. Some key files have a structure
that says what they are whatever they are called (a DER private key named
`blob`, a PKCS#12 store named `backup.bin`): a key-file rule that names such a check in `validate:` also matches
every item whose whole bytes pass it, and a file its globs name only when its
bytes pass it too (a certificate named `.der` is no key). The checks are
asked of every item the rules engine scans, so each is a cheap look at the
leading bytes, never a parse; key analysis parses what they let through.

Token and credential rules name their value checks in the same field; those
live in `engine/validators.py`.
"""

from __future__ import annotations

from collections.abc import Callable

from scanner.keys.dershape import is_pkcs12, is_private_key

Structure = Callable[[bytes], bool]

STRUCTURES: dict[str, Structure] = {
    "der-private-key": is_private_key,
    "pkcs12": is_pkcs12,
}
