"""Reporters: pure functions Report → str (stub: the report room replaces this).

CONTRACT: REPORTERS maps a format name to a function; render(report, fmt, color=)."""

from __future__ import annotations

import json
from collections.abc import Callable

from scanner.model import Report

Reporter = Callable[[Report, bool], str]


def _json(report: Report, color: bool) -> str:
    return json.dumps({"findings": [f.rule for f in report.findings]})


REPORTERS: dict[str, Reporter] = {"json": _json, "text": _json, "jsonl": _json, "sarif": _json}


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    return REPORTERS[fmt](report, color)
