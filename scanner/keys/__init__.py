"""Key analysis: parse key material in any format, derive the public key, fingerprint it.

What pipeline.py calls:
- analyse_material(material, *, origin, passphrases) -> list[KeyInfo]
  never raises on bad input; unparsable material gives one KeyInfo(parsed=False).
  Material that holds no private key (a truststore, a lone certificate) gives [].
- is_key_container(path, data) -> bool: a binary file worth handing to key analysis
  (.p12, .pfx, .jks, .keystore, DER keys, GnuPG private-keys-v1.d files, …: the
  key-format table in `formats.py`).
"""

from __future__ import annotations

from collections.abc import Sequence

from scanner.model import KeyInfo, Origin

MAX_MATERIAL = 8 * 1024 * 1024
"""Larger material is not a key (the biggest keystores are a few hundred KB)."""


def analyse_material(
    material: bytes, *, origin: Origin, passphrases: Sequence[str]
) -> list[KeyInfo]:
    from scanner.keys import dispatch
    from scanner.keys.fingerprint import quiet_deprecations
    from scanner.keys.result import Context, unparsable

    if len(material) > MAX_MATERIAL:
        return [unparsable("unknown", "too large to be key material")]
    try:
        with quiet_deprecations():
            return dispatch.analyse(
                material, Context(origin=origin, passphrases=tuple(passphrases))
            )
    except Exception as exc:  # a damaged key must never stop a scan
        return [unparsable("unknown", f"key analysis failed: {type(exc).__name__}")]


def is_key_container(path: str, data: bytes) -> bool:
    from scanner.keys.container import is_key_container as check

    return check(path, data)
