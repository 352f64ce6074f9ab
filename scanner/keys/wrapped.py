"""Keys wrapped in base64 inside text: a kubeconfig's `client-key-data`, a
Kubernetes Secret's `data`, a DER key pasted into a config file.

The longest base64 tokens of the text are decoded and analysed one level
deeper (`Context.inner`); a kubeconfig holds a CA certificate, a client
certificate and the client key side by side.
"""

from __future__ import annotations

from dataclasses import replace

from scanner.keys.armor import as_text, b64decode, unescape
from scanner.keys.result import Context, Material
from scanner.model import KeyInfo

MAX_TOKENS = 8


def parse(material: Material, ctx: Context) -> list[KeyInfo] | None:
    """Keys in the long base64 tokens; [] when they hold public material only."""
    text = unescape(material.text or "")
    tokens = text.replace('"', " ").replace("'", " ").replace(":", " ").split()
    longest = sorted((t for t in tokens if len(t) >= 64), key=len, reverse=True)
    infos: list[KeyInfo] = []
    public_only = False
    for token in longest[:MAX_TOKENS]:
        decoded = b64decode(token)
        if decoded is None:
            continue
        inner = ctx.inner(decoded)
        binary = as_text(decoded) is None
        infos.extend(_as_base64(i, binary) for i in inner if i.parsed)
        public_only = public_only or not inner
    if infos:
        return infos
    return [] if public_only else None


def _as_base64(info: KeyInfo, binary: bool) -> KeyInfo:
    """Base64 of a PEM key is what Kubernetes stores (kubeconfig `client-key-data`,
    Secret `data`); base64 of binary key material (DER, PKCS#12, …) is named as such."""
    outer = "base64-der" if binary else "kubeconfig"
    note = f"base64 of {info.format}" + (f"; {info.note}" if info.note else "")
    return replace(info, format=outer, note=note)
