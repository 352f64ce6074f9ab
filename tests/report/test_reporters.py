"""The REPORTERS table is the --format choices and every entry imports; hints cover every verdict and kind."""

from __future__ import annotations

import pytest

from scanner.cli.options import FORMATS
from scanner.errors import KeysweepError
from scanner.model import Report, RuleKind, Verdict
from scanner.report import REPORTERS, render, reporter
from scanner.report.hints import KIND_HINTS, VERDICT_HINTS


def test_reporters_match_the_format_option_and_import() -> None:
    assert set(REPORTERS) == set(FORMATS)
    assert all(callable(reporter(fmt)) for fmt in REPORTERS)


def test_every_verdict_and_kind_has_a_fix_hint() -> None:
    assert set(VERDICT_HINTS) == set(Verdict)
    assert set(KIND_HINTS) == set(RuleKind)


def test_unknown_format_is_a_clear_user_error() -> None:
    with pytest.raises(KeysweepError, match="unknown report format 'xml'"):
        render(Report(findings=()), "xml")
