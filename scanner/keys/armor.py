"""Normalising captured key material: escapes, quotes, PEM armour and base64.

A rule captures key material as it sits in a file: a PEM block with escaped
`\\n` sequences inside a JSON string, pieces of a string literal already
joined, a base64 blob in a kubeconfig. These helpers turn it back into what
the parsers expect. No regular expressions: bounded `str` operations only.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field, replace

_B64_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=-_"
_NOT_B64 = bytes(b for b in range(256) if b not in _B64_BYTES)
_QUOTES = "\"'`"
MAX_BLOCKS = 64


@dataclass(frozen=True)
class PemBlock:
    """One `-----BEGIN label-----` … `-----END label-----` block, decoded."""

    label: str
    der: bytes = field(repr=False)
    headers: tuple[tuple[str, str], ...] = ()
    ended: bool = True
    """False for a private-key block whose END line is missing (a file cut off, a
    copy that lost its last line): its body is read up to the next `-----`."""

    @property
    def encrypted_legacy(self) -> bool:
        return any(k == "Proc-Type" and "ENCRYPTED" in v for k, v in self.headers)

    def pem(self) -> bytes:
        """Canonical PEM text (64-column body, headers kept) for `cryptography`."""
        body = base64.b64encode(self.der).decode("ascii")
        lines = [f"-----BEGIN {self.label}-----"]
        lines += [f"{k}: {v}" for k, v in self.headers]
        if self.headers:
            lines.append("")
        lines += [body[i : i + 64] for i in range(0, len(body), 64)]
        lines.append(f"-----END {self.label}-----")
        return ("\n".join(lines) + "\n").encode("ascii")


def as_text(material: bytes) -> str | None:
    """The material as text, or None for binary data."""
    if b"\x00" in material[:4096]:
        return None
    try:
        return material.decode("utf-8")
    except UnicodeDecodeError:
        return None


def unescape(text: str) -> str:
    """Undo string-literal escaping of line breaks and strip surrounding quotes."""
    for escaped in ("\\\\r\\\\n", "\\\\n", "\\r\\n", "\\n", "\\r"):
        text = text.replace(escaped, "\n")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text.strip().strip(_QUOTES + ",;").strip()


def pem_blocks(text: str) -> list[PemBlock]:
    """Every well-formed PEM block in `text` (escapes undone), in order."""
    text = unescape(text)
    blocks: list[PemBlock] = []
    pos = 0
    while len(blocks) < MAX_BLOCKS:
        start = text.find("-----BEGIN ", pos)
        if start < 0:
            break
        label_end = text.find("-----", start + 11)
        if label_end < 0 or label_end - start > 80:
            break
        label = text[start + 11 : label_end].strip()
        end_marker = f"-----END {label}-----"
        end = text.find(end_marker, label_end + 5)
        if end < 0 or text.find("-----BEGIN ", label_end + 5, end) >= 0:
            block, pos = _unended(label, text, label_end + 5)
        else:
            block = _decode_block(label, text[label_end + 5 : end])
            pos = end + len(end_marker)
        if block is not None:
            blocks.append(block)
    return blocks


def _unended(label: str, text: str, body: int) -> tuple[PemBlock | None, int]:
    """A block without its END line: a private key's body runs to the next `-----`
    (another block) or the end of the text; other labels are skipped."""
    stop = text.find("-----", body)
    stop = len(text) if stop < 0 else stop
    if not label.endswith("PRIVATE KEY"):
        return None, body
    block = _decode_block(label, text[body:stop])
    return (replace(block, ended=False) if block is not None else None), stop


def _decode_block(label: str, body: str) -> PemBlock | None:
    headers: list[tuple[str, str]] = []
    chunks: list[str] = []
    lines = [_inside_quotes(line).strip() for line in body.split("\n")]
    lines = [line for line in lines if line]
    if label.startswith("PGP ") and lines and lines[-1].startswith("=") and len(lines[-1]) <= 6:
        lines = lines[:-1]  # the armour checksum line
    for line in lines:
        name, colon, value = line.partition(":")
        if colon and not chunks and _is_header_name(name):
            headers.append((name.strip(), value.strip()))
        else:
            chunks.append(line.encode("ascii", "ignore").translate(None, _NOT_B64).decode("ascii"))
    der = b64decode("".join(chunks))
    if der is None:
        return None
    return PemBlock(label=label, der=der, headers=tuple(headers))


def _inside_quotes(line: str) -> str:
    """A line of a string literal split over lines (`"MIIE…" +`): the quoted text only."""
    for quote in _QUOTES:
        if line.count(quote) >= 2:
            return "".join(line.split(quote)[1::2])
    tokens = [t.strip(_QUOTES) for t in line.split()]
    return "".join(t for t in tokens if t.strip("+,;.&") and t != "\\")


def _is_header_name(name: str) -> bool:
    return 0 < len(name) <= 40 and all(c.isalnum() or c == "-" for c in name.strip())


def b64decode(text: str) -> bytes | None:
    """Standard or URL-safe base64, padding optional; None when it is not base64."""
    try:
        cleaned = "".join(text.split()).encode("ascii")
    except UnicodeEncodeError:
        return None
    if not cleaned or cleaned.translate(None, _B64_BYTES):
        return None
    cleaned = cleaned.rstrip(b"=")
    if len(cleaned) % 4 == 1:
        return None
    padded = cleaned + b"=" * (-len(cleaned) % 4)
    try:
        if b"-" in padded or b"_" in padded:
            return base64.urlsafe_b64decode(padded)
        return base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        return None
