"""`keysweep key inspect`: read key files and describe what they hold.

Pure functions apart from `read_key_file`; the CLI only chooses and prints.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass

from scanner.errors import KeysweepError
from scanner.keys import analyse_material
from scanner.model import KeyInfo, Origin
from scanner.text import escape_control

MAX_FILE = 16 * 1024 * 1024
WEAK_WORDS = "opens with a well-known or empty passphrase"
_PRINT_ORDER = ("spki_sha256", "jwk_thumbprint", "ssh_sha256", "pgp", "x509_sha256")


class KeyFileError(KeysweepError):
    """A key file that cannot be read at all."""


@dataclass(frozen=True)
class Inspected:
    path: str
    keys: tuple[KeyInfo, ...]

    @property
    def holds_key(self) -> bool:
        return any(k.parsed for k in self.keys)


def read_key_file(path: str, passphrases: Sequence[str]) -> Inspected:
    """Analyse one file; KeyFileError (one line, naming the file) when unreadable."""
    try:
        if os.path.isdir(path):
            raise KeyFileError(f"{escape_control(path)}: is a folder, not a key file")
        with open(path, "rb") as handle:
            data = handle.read(MAX_FILE + 1)
    except OSError as exc:
        raise KeyFileError(f"{escape_control(path)}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE:
        raise KeyFileError(f"{escape_control(path)}: larger than {MAX_FILE} bytes; not a key file")
    origin = Origin(path=path, fs_path=os.path.abspath(path))
    keys = analyse_material(data, origin=origin, passphrases=passphrases)
    if not any(k.parsed for k in keys):
        keys = public_only(data) or keys
    return Inspected(path=path, keys=tuple(keys))


def public_only(data: bytes) -> list[KeyInfo]:
    """A public key or certificate file: registries are often filled from these."""
    from scanner.keys.adjacent import parse_public
    from scanner.keys.result import from_public

    found = parse_public(data)
    if found is None:
        return []
    public, cert = found
    fmt = "x509-certificate" if cert is not None else "public-key"
    return [
        from_public(
            fmt,
            public,
            certificates=[cert] if cert is not None else (),
            note="public part only: this file holds no private key",
        )
    ]


def size_words(key: KeyInfo) -> str:
    if key.curve:
        return key.curve if key.bits is None else f"{key.curve} ({key.bits} bits)"
    return f"{key.bits} bits" if key.bits else "-"


def protection_words(key: KeyInfo) -> str:
    if not key.encrypted:
        return "no (unencrypted)"
    if key.weak_passphrase:
        return f"yes, but it {WEAK_WORDS}"
    return "yes (no well-known passphrase opens it)"


def render_text(results: Sequence[Inspected]) -> str:
    blocks = []
    for item in results:
        blocks.append(_text_block(item))
    return "\n".join(blocks)


def _text_block(item: Inspected) -> str:
    path = escape_control(item.path)
    if not item.keys:
        return f"{path}: no key, public or private\n"
    lines = []
    for index, key in enumerate(item.keys, 1):
        suffix = f" [key {index} of {len(item.keys)}]" if len(item.keys) > 1 else ""
        lines.append(f"{path}{suffix}")
        lines += [f"  {name:<16}{escape_control(value)}" for name, value in _text_rows(key)]
    return "\n".join(lines) + "\n"


def _text_rows(key: KeyInfo) -> list[tuple[str, str]]:
    if not key.parsed:
        return [("format", key.format), ("result", f"not a readable key: {key.note}")]
    rows = [
        ("format", key.format),
        ("algorithm", key.algorithm or "-"),
        ("size", size_words(key)),
        ("encrypted", protection_words(key)),
        ("public part", "known" if key.public_known else "not readable: identity unknown"),
    ]
    rows += [
        (name, str(key.fingerprints[name])) for name in _PRINT_ORDER if name in key.fingerprints
    ]
    rows += [("certificate", sha) for sha in key.certificates[1:]]
    if key.note:
        rows.append(("note", key.note))
    return rows


def render_json(results: Sequence[Inspected]) -> str:
    from scanner.report.fields import key_to_dict

    document = {
        "version": 1,
        "files": [
            {"path": r.path, "keys": [key_to_dict(k) for k in r.keys], "holds_key": r.holds_key}
            for r in results
        ],
    }
    return json.dumps(document, indent=2) + "\n"
