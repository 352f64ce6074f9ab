"""Reporters: pure functions Report → str, one per output format.

A new format is a module here plus one line in REPORTERS, which names the function
rather than importing it: the pre-commit hook imports only the reporter it uses
(the GitLab and JUnit ones pull in XML and hashing code it never needs), and the
command line reads its `--format` choices from this table."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from scanner.errors import KeysweepError
from scanner.model import Report

Reporter = Callable[[Report, bool], str]
"""(report, color) → the whole output. Only the text reporter uses colour."""

REPORTERS: dict[str, str] = {
    "text": "text:render_text",
    "json": "json:render_json",
    "jsonl": "json:render_jsonl",
    "sarif": "sarif:render_sarif",
    "gitlab": "gitlab:render_gitlab",
    "junit": "junit:render_junit",
}
"""Format name → `module:function` in this package."""


def reporter(fmt: str) -> Reporter:
    """The reporter of `fmt`, imported now."""
    try:
        module, function = REPORTERS[fmt].split(":")
    except KeyError:
        choices = ", ".join(REPORTERS)
        raise KeysweepError(f"unknown report format {fmt!r} (choose from {choices})") from None
    found: Reporter = getattr(import_module(f"scanner.report.{module}"), function)
    return found


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    return reporter(fmt)(report, color)
