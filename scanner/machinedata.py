"""Files over the size limit whose first bytes say they are machine code or media.

Why: a file over `max_file_size` is not read, and content left unread is
`unscanned-content`, which fails the gate. Yet a binary file under the limit is
skipped unread by design (`text.is_binary`, git's own test), so a 30 MB shared
library, static archive, image or video failed the default gate of a real project
only because of its size, where a 20 MB one passed. A file over the limit is
therefore a binary skip like a smaller one when its first bytes are the magic
number of a format in `MACHINE_MAGIC` and its first 8 KiB are binary by the rule a
smaller file meets (a NUL, and no text `binarytext` would read: `GIF89a\0` before
plain text is text with a stray NUL, at any size). Everything
else over the limit stays unscanned content: text, archives (their members may be
text), SQLite, UTF-16 text, key stores, PE files (a self-extracting zip starts like
any `.exe`, and its end cannot be seen from its head) and formats not in the table.
Only the head is read: `HEAD` bytes.
"""

from __future__ import annotations

from scanner.text import BINARY_SNIFF, is_binary

HEAD = BINARY_SNIFF
"""Bytes of an oversized file read to judge it."""

MACHINE_MAGIC: tuple[tuple[int, bytes], ...] = (
    (0, b"\x7fELF"),  # ELF executables, shared libraries, core files
    (0, b"!<arch>\n"),  # static libraries (`.a`); a Debian package is an ar archive too: below
    (0, b"\xcf\xfa\xed\xfe"),  # Mach-O, 64-bit
    (0, b"\xce\xfa\xed\xfe"),  # Mach-O, 32-bit
    (0, b"\x89PNG\r\n\x1a\n"),
    (0, b"\xff\xd8\xff"),  # JPEG
    (0, b"GIF87a"),
    (0, b"GIF89a"),
    (0, b"II*\x00"),  # TIFF, little-endian
    (0, b"MM\x00*"),  # TIFF, big-endian
    (4, b"ftyp"),  # MP4, MOV, HEIF, AVIF
    (0, b"\x1aE\xdf\xa3"),  # Matroska, WebM
    (0, b"OggS"),
    (0, b"fLaC"),
    (0, b"ID3"),  # MP3 with a tag
    (0, b"\x00asm"),  # WebAssembly
    (0, b"\x93NUMPY"),  # NumPy arrays
    (0, b"\x89HDF\r\n\x1a\n"),  # HDF5
)
"""Formats of machine code and media, by magic number and its offset (file(1)'s
facts): none of them stores text a user edits."""


def machine_data(head: bytes) -> bool:
    """Whether `head`, a file's first bytes, names machine code or media."""
    if head.startswith(b"!<arch>\ndebian-binary"):
        return False  # a .deb: an ar archive whose members are tar archives
    if not is_binary(head) or not any(head.startswith(magic, at) for at, magic in MACHINE_MAGIC):
        return False
    from scanner.binarytext import text_of  # heads that pass the magic test only

    return text_of(head) is None  # binary by the rule a smaller file meets
