"""Dispatch: sniff what the material is and hand it to the right parser.

The order is the key-format table's (`formats.FORMATS`): text formats first
(PuTTY PPK, SSH.com keys, PEM blocks, SSH public key lines, GnuPG
s-expressions, JSON, base64-wrapped keys), then binary ones (JKS/JCEKS magic,
OpenPGP packets, raw openssh-key-v1, DER: a private key, then PKCS#12, then a
certificate). The first parser that recognises the material answers; public
material alone (certificates, public keys) gives []. Wrapped material (base64
in a kubeconfig, PEM inside JSON) comes back here one level deeper through
`Context.reread`.
"""

from __future__ import annotations

from dataclasses import replace

from scanner.keys import result
from scanner.keys.armor import as_text
from scanner.keys.formats import FORMATS, guess, is_archive_bytes
from scanner.model import KeyInfo


def analyse(material: bytes, ctx: result.Context) -> list[KeyInfo]:
    if ctx.reread is None:
        ctx = replace(ctx, reread=analyse)
    seen = result.Material(material, as_text(material))
    for fmt in FORMATS:
        if fmt.parse is None or not fmt.claims(seen, ctx):
            continue
        found = fmt.parse(seen, ctx)
        if found is not None:
            return found
    return [result.unparsable(guess(seen, ctx), _nothing(seen))]


def _nothing(material: result.Material) -> str:
    if material.text is None and is_archive_bytes(material.data):
        return "an archive, not key material"
    if material.text is None:
        return "unrecognised binary key material"
    return "no key found in the material"
