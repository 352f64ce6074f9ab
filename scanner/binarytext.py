"""Bytes that git's binary test calls binary but that hold text worth scanning.

Why: the pipeline skips an item with a NUL in its first 8 KiB (`text.is_binary`, as
git decides), and three kinds of such items hold text a user reads as text, so a
token in them passed a green gate as a "binary" skip:

- UTF-16 and UTF-32 text, where each ASCII character carries NUL bytes. Windows
  PowerShell 5's `>` writes UTF-16LE with a byte-order mark, and many Windows
  editors save `.env` and config files that way. Told by a byte-order mark, or
  without one only when the NUL pattern can be nothing else: over the first 8 KiB
  the high bytes of (nearly) every code unit are NUL and the low bytes never are.
  The text is decoded to UTF-8: a line break stays a line break and one character
  one character, so a finding's line and column are those an editor shows for the
  original file (the mark, which no editor shows, is dropped). The result is at
  most 1.5 times the input (a BMP code unit is at most three UTF-8 bytes); the item
  was admitted by its stored size, within `max_file_size`.
- Text with a few stray NULs (a log or an `.env` with one NUL written into it): one
  NUL, or at most one per 256 bytes of the first 8 KiB, and the rest UTF-8 text. Each NUL
  becomes a space, so lines and columns stay those of the file.
- SQLite databases (`SQLite format 3` header), read twice. First raw: every byte
  that is not printable ASCII or a tab becomes a line break, so text from
  different records never runs together, and free pages, deleted rows and a
  damaged database are read too. Then, after it, the stored text and blob values
  of the real tables as SQLite returns them, one per line (`sqlitevalues`): the
  values of one row sit back to back in its record, so in the raw reading a token
  right after a value that ends in a letter or digit was missed by a rule that
  wants a boundary before it. A database SQLite refuses is read raw only. The
  same secret found in both readings is one finding (grouped by secret, with
  both places). Line numbers in a database are those of this text, which no
  editor shows: the raw reading's are those of its bytes.

Every decoded text must look like text (no NUL, at most 2 % control or
undecodable characters among its first 4,096), so a binary file that merely
starts with `FF FE` stays binary. Only items already found binary are asked, so
text files pay nothing. Other binaries (images, archives' compressed bytes,
machine code) stay skipped: reading the printable runs of every binary file was
measured and not kept (the report of this change, in `docs/architecture.md`).
"""

from __future__ import annotations

import codecs

SNIFF = 8192
SAMPLE = 4096
SQLITE_MAGIC = b"SQLite format 3\x00"
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16LE: it starts with the same two bytes
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_PATTERNS = (  # codec, code unit size, the byte that is never NUL, the bytes nearly always NUL
    ("utf-32-le", 4, 0, (1, 2, 3)),
    ("utf-32-be", 4, 3, (0, 1, 2)),
    ("utf-16-le", 2, 0, (1,)),
    ("utf-16-be", 2, 1, (0,)),
)
_HIGH_NUL_SHARE = 0.9
_MIN_UNITS = 4
_STRAY_NULS = 4
"""NULs any text file may hold (a small `.env` with two stray ones is still text)."""
_BYTES_PER_STRAY_NUL = 256
_WHITESPACE = frozenset("\t\n\r\f\v")
_PRINTABLE = frozenset(b"\t" + bytes(range(0x20, 0x7F)))
_RECORDS = bytes(b if b in _PRINTABLE else 0x0A for b in range(256))
"""A `bytes.translate` table: printable ASCII and tab kept, anything else a line break."""


def text_of(data: bytes) -> bytes | None:
    """The UTF-8 text to scan in binary `data`, or None when it holds none we read."""
    if data.startswith(SQLITE_MAGIC):
        return _sqlite(data)
    wide = _wide(data)
    return wide if wide is not None else _stray_nuls(data)


def _sqlite(data: bytes) -> bytes:
    """The raw reading of a database, then each value SQLite returns on its own line."""
    from scanner.sqlitevalues import values  # databases only

    raw = data.translate(_RECORDS)
    found = values(data)
    if not found:
        return raw
    return b"\n".join([raw, b"\n".join(found).translate(_RECORDS), b""])


def _wide(data: bytes) -> bytes | None:
    """UTF-16/32 `data` as UTF-8, or None."""
    codec, start = _encoding(data)
    if codec is None:
        return None
    text = data[start:].decode(codec, errors="replace")
    return text.encode("utf-8") if _looks_like_text(text) else None


def _stray_nuls(data: bytes) -> bytes | None:
    """UTF-8 text with a few NULs, each NUL a space; None for anything else."""
    window = data[:SNIFF]
    if window.count(0) > max(_STRAY_NULS, len(window) // _BYTES_PER_STRAY_NUL):
        return None
    sample = window.replace(b"\x00", b" ").decode("utf-8", errors="replace")
    return data.replace(b"\x00", b" ") if _looks_like_text(sample) else None


def _encoding(data: bytes) -> tuple[str | None, int]:
    """The codec `data` is written in and where its text starts (after a BOM)."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return codec, len(bom)
    window = data[:SNIFF]
    nuls = window.count(0)  # once: each pattern needs most code units' high bytes NUL
    for codec, unit, letter, high in _PATTERNS:
        if _pattern(window, nuls, unit, letter, high):
            return codec, 0
    return None, 0


def _pattern(window: bytes, nuls: int, unit: int, letter: int, high: tuple[int, ...]) -> bool:
    """Whether byte `letter` of every code unit in `window` is not NUL and its
    bytes `high` are NUL in (nearly) every unit; `nuls` is the window's NUL count,
    which the high bytes' NULs cannot outnumber (a quick no for most binaries)."""
    units = len(window) // unit
    end = units * unit
    if units < _MIN_UNITS or nuls < units * _HIGH_NUL_SHARE:
        return False
    if window[letter:end:unit].count(0):
        return False
    need = units * _HIGH_NUL_SHARE
    return all(window[at:end:unit].count(0) >= need for at in high)


def _looks_like_text(text: str) -> bool:
    """No NUL, and at most 2 % control or undecodable characters in the sample."""
    sample = text[:SAMPLE]
    if "\x00" in sample:
        return False
    odd = sum(1 for ch in sample if _odd(ch))
    return odd * 50 <= len(sample)


def _odd(ch: str) -> bool:
    return ch == "\ufffd" or (not ch.isprintable() and ch not in _WHITESPACE)
