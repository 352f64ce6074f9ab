"""Jupyter notebooks: the Python detector run over each code cell.

Each code cell is parsed on its own (IPython magics and shell escapes are turned
into comments of the same length first). Positions are mapped back to the
notebook's own JSON text, so a finding's line and column point into the .ipynb
file as it sits on disk (the line of the JSON string holding that source line),
and inline `keysweep:allow` comments in the cell work as in any file.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable

from scanner.model import Match

DetectSource = Callable[[bytes], list[Match]]


@dataclasses.dataclass(frozen=True)
class _Element:
    raw_start: int
    """Index in the raw JSON text of the string's opening quote."""
    value: str


def detect_notebook(data: bytes, detect_source: DetectSource) -> list[Match]:
    """Matches of every code cell, positioned in the notebook file."""
    raw = data.decode("utf-8")
    notebook = json.loads(raw)
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        return []
    matches: list[Match] = []
    cursor = 0
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        found = raw.find('"source"', cursor)
        elements = _source_elements(raw, found) if found >= 0 else None
        cursor = found + 1 if found >= 0 else cursor
        if cell.get("cell_type") != "code" or elements is None:
            continue
        source = "".join(e.value for e in elements)
        if source != _joined(cell.get("source")):
            continue
        try:
            found_matches = detect_source(_without_magics(source).encode("utf-8"))
        except SyntaxError:
            continue
        matches.extend(_place(m, source, elements, raw) for m in found_matches)
    return matches


def _joined(source: object) -> str | None:
    if isinstance(source, str):
        return source
    if isinstance(source, list) and all(isinstance(s, str) for s in source):
        return "".join(source)
    return None


def _source_elements(raw: str, key: int) -> list[_Element] | None:
    """The JSON strings of a cell's "source" value, with where each one starts."""
    decoder = json.JSONDecoder()
    index = raw.find(":", key + len('"source"'))
    index = _skip_space(raw, index + 1)
    if raw.startswith('"', index):
        value, _ = decoder.raw_decode(raw, index)
        return [_Element(index, value)] if isinstance(value, str) else None
    if not raw.startswith("[", index):
        return None
    elements: list[_Element] = []
    index = _skip_space(raw, index + 1)
    while raw.startswith('"', index):
        value, end = decoder.raw_decode(raw, index)
        elements.append(_Element(index, value))
        index = _skip_space(raw, end)
        if raw.startswith(",", index):
            index = _skip_space(raw, index + 1)
    return elements


def _skip_space(raw: str, index: int) -> int:
    while index < len(raw) and raw[index] in " \t\r\n":
        index += 1
    return index


def _without_magics(source: str) -> str:
    """`%time x()`, `%%bash` and `!pip install` become comments of the same length."""
    lines = source.split("\n")
    for number, line in enumerate(lines):
        stripped = line.lstrip()
        if stripped.startswith(("%", "!")):
            lines[number] = line.replace(stripped[0], "#", 1)
    return "\n".join(lines)


def _place(match: Match, source: str, elements: list[_Element], raw: str) -> Match:
    lines = source.split("\n")
    cell_offset = sum(len(line) + 1 for line in lines[: match.line - 1]) + match.column - 1
    encoded = source.encode("utf-8")
    content_offset = len(encoded[: match.start].decode("utf-8", errors="replace"))
    end_offset = len(encoded[: match.end].decode("utf-8", errors="replace"))
    start_raw = _raw_index(raw, elements, cell_offset)
    content_raw = _raw_index(raw, elements, content_offset)
    end_raw = _raw_index(raw, elements, end_offset)
    line = raw.count("\n", 0, start_raw) + 1
    column = start_raw - (raw.rfind("\n", 0, start_raw) + 1) + 1
    return dataclasses.replace(
        match,
        start=len(raw[:content_raw].encode("utf-8")),
        end=len(raw[:end_raw].encode("utf-8")),
        line=line,
        column=column,
        end_line=raw.count("\n", 0, end_raw) + 1,
    )


def _raw_index(raw: str, elements: list[_Element], offset: int) -> int:
    """Index in the raw JSON of character `offset` of the joined cell source."""
    for element in elements:
        if offset < len(element.value) or element is elements[-1]:
            return _walk_escapes(raw, element.raw_start + 1, min(offset, len(element.value)))
        offset -= len(element.value)
    return 0


def _walk_escapes(raw: str, index: int, count: int) -> int:
    """Advance over `count` decoded characters of a JSON string starting at `index`."""
    for _ in range(count):
        if raw[index] != "\\":
            index += 1
        elif raw[index + 1] != "u":
            index += 2
        elif 0xD800 <= int(raw[index + 2 : index + 6], 16) < 0xDC00:
            index += 12
        else:
            index += 6
    return index
