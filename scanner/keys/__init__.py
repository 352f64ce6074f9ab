"""Key analysis: parse key material in any format, derive the public key, fingerprint it.

CONTRACT (owned by the keys room; scan.py calls these two):
- analyse_material(material, *, origin, passphrases) -> list[KeyInfo]
  never raises on bad input; unparsable material gives one KeyInfo(parsed=False).
- is_key_container(path, data) -> bool: a binary file worth handing to key analysis
  (.p12, .pfx, .jks, .keystore, DER keys, GnuPG private-keys-v1.d files, …).
"""

from __future__ import annotations

from collections.abc import Sequence

from scanner.model import KeyInfo, Origin


def analyse_material(
    material: bytes, *, origin: Origin, passphrases: Sequence[str]
) -> list[KeyInfo]:
    return [KeyInfo(format="unknown", parsed=False, note="key analysis not built yet")]


def is_key_container(path: str, data: bytes) -> bool:
    return False
