"""File names whatever their bytes.

POSIX names are bytes. Python hands undecodable bytes over as lone surrogates
(`surrogateescape`), which `open` accepts but UTF-8 encoders, RE2, glob
matchers and JSON reports refuse. So a name is kept raw where the file is read
(`Origin.fs_path`) and shown escaped everywhere else: `\\xff` for each byte
that is not UTF-8. A secret in such a file is scanned and reported like any
other.
"""

from __future__ import annotations


def shown(name: str) -> str:
    """`name` with every undecodable byte written as a `\\xNN` escape."""
    if name.isascii():
        return name
    return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
