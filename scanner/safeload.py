"""YAML and JSON that cannot exhaust the scanner.

Config, registry, baseline and imported documents may come from the repository
being scanned, so they are hostile input too. PyYAML expands aliases by
reference: a "billion laughs" document is small in memory until something walks
it (schema validation, our own loops), and then it is not. Deep nesting makes
the composer and `json` recurse until RecursionError. So:

- files are read only when they are regular files, and only up to `MAX_BYTES`;
- YAML is composed with a depth limit, and every alias is charged the size of
  what it expands to, against `MAX_NODES`;
- JSON nesting is measured before `json.loads` runs.

Every refusal is a `LoadError` (a ValueError) naming the problem, never the
content.
"""

from __future__ import annotations

import json
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

MAX_BYTES = 64 * 1024 * 1024
MAX_DEPTH = 64
MAX_NODES = 2_000_000
"""Nodes of the document with every alias expanded."""
_JSON_TOKENS = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)


class LoadError(ValueError):
    """A document refused before it could cost too much."""


def read_bytes(
    path: Path | str, limit: int = MAX_BYTES, check: Callable[[os.stat_result], str] | None = None
) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (never a FIFO or device);
    `check` may refuse the opened file on its status (it returns why, "" to accept)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    fd = os.open(path, flags)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LoadError("not a regular file")
        refused = check(info) if check is not None else ""
        if refused:
            raise LoadError(refused)
        if info.st_size > limit:
            raise LoadError(f"larger than {limit} bytes")
        with os.fdopen(os.dup(fd), "rb") as handle:
            data = handle.read(limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise LoadError(f"larger than {limit} bytes")
    return data


def read_text(path: Path | str, limit: int = MAX_BYTES) -> str:
    """`read_bytes` decoded as UTF-8 (UnicodeDecodeError when it is not)."""
    return read_bytes(path, limit).decode("utf-8")


def json_loads(text: str | bytes, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads`, after checking that nesting stays within `max_depth`."""
    if isinstance(text, bytes):
        text = text.decode("utf-8")
    check_json_depth(text, max_depth)
    return json.loads(text)


def check_json_depth(text: str, max_depth: int = MAX_DEPTH) -> None:
    depth = 0
    for token in _JSON_TOKENS.finditer(text):
        char = token.group()[0]
        if char in "[{":
            depth += 1
            if depth > max_depth:
                raise LoadError(f"nested deeper than {max_depth} levels")
        elif char in "]}":
            depth -= 1


def yaml_load(text: str | bytes) -> Any:
    """`yaml.safe_load` with a depth limit and aliases charged for what they expand to."""
    from scanner.boundedyaml import BoundedLoader  # PyYAML only when YAML is read

    loader = BoundedLoader(text, MAX_DEPTH, MAX_NODES, LoadError)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_NODES",
    "LoadError",
    "json_loads",
    "read_bytes",
    "read_text",
    "yaml_load",
]
