"""The bytes of a zip or tar that no member read covered, scanned as text.

Why: a member reader reads what the archive's index lists, yet text sits in an
archive's own bytes too, where `grep` finds it and other readers take it: the zip
comment and member comments and extra fields, tar PAX header records and link
names, member names, a local entry the central directory does not list (Java's
`ZipInputStream` reads those), a stored member whose CRC is wrong or an archive
cut short before its index (whose member is never read). Each reader records the
byte spans of the members it read (`Spans`); what is left, the archive minus
those spans, is handed to the detectors as one more member, `OUTSIDE` (shown as
`deploy.zip!(outside members)`). Bytes that are not printable ASCII or a tab
become line breaks, so strings from different fields never join into one line
and the item is text to the pipeline (a run of them is one line break). Members read are left out, so a member's
secret is reported once, at the member.

What is left is small for a sound archive (headers, names and the index: about
a hundred bytes per member) and at most the archive itself for a damaged one,
which was admitted within `max_file_size` or the archive byte budget.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

OUTSIDE = "(outside members)"
_NOT_TEXT = re.compile(rb"[^\t\x20-\x7e]+")


@dataclass(frozen=True)
class Outside:
    """The text of an archive's bytes outside the members read (`residue`)."""

    data: bytes


def residue(data: bytes, spans: Iterable[tuple[int, int]]) -> Outside | None:
    """`data` without the `(start, end)` spans, as text; None when nothing printable is left."""
    pieces = [data[start:end] for start, end in gaps(len(data), spans)]
    text = _NOT_TEXT.sub(b"\n", b"\n".join(pieces))
    return Outside(text) if text.strip() else None


def gaps(size: int, spans: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """The `(start, end)` ranges of `range(size)` no span covers."""
    found: list[tuple[int, int]] = []
    at = 0
    for start, end in sorted(spans):
        if start > at:
            found.append((at, start))
        at = max(at, end)
    if at < size:
        found.append((at, size))
    return found
