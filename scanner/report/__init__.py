"""Reporters: pure functions Report → str, one per output format.

A new format is a module here plus one line in REPORTERS; `scanner.cli.options.FORMATS`
lists the same names (a test keeps the two in step)."""

from __future__ import annotations

from collections.abc import Callable

from scanner.errors import KeysweepError
from scanner.model import Report
from scanner.report.gitlab import render_gitlab
from scanner.report.json import render_json, render_jsonl
from scanner.report.junit import render_junit
from scanner.report.sarif import render_sarif
from scanner.report.text import render_text

Reporter = Callable[[Report, bool], str]
"""(report, color) → the whole output. Only the text reporter uses colour."""

REPORTERS: dict[str, Reporter] = {
    "text": render_text,
    "json": render_json,
    "jsonl": render_jsonl,
    "sarif": render_sarif,
    "gitlab": render_gitlab,
    "junit": render_junit,
}


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    try:
        reporter = REPORTERS[fmt]
    except KeyError:
        choices = ", ".join(REPORTERS)
        raise KeysweepError(f"unknown report format {fmt!r} (choose from {choices})") from None
    return reporter(report, color)
