"""gitleaks' command-line flags on `keysweep scan` and `keysweep git`.

CI scripts and muscle memory carry gitleaks flags. Those with a clean keysweep
meaning are taken (`--report-format`/`-f`, `--report-path`/`-r`, `--exit-code`,
`--redact`, and `--log-opts` when it names a range, a branch or `--all`); the
others stop the run with one line naming keysweep's own option, because a
scan that silently covers something else than asked is worse than no scan.
The flags are hidden from `--help`: keysweep's own options are the documented way.
"""

from __future__ import annotations

import functools
import re
import shlex
from collections.abc import Callable
from typing import Any, TypeVar

import click

from scanner.errors import ConfigError

F = TypeVar("F", bound=Callable[..., Any])

REPORT_FORMATS = {"json": "json", "sarif": "sarif", "junit": "junit"}
"""gitleaks report formats keysweep writes too (json in keysweep's own layout)."""
BY_EXTENSION = {".json": "json", ".sarif": "sarif", ".xml": "junit"}
"""`--report-path` without `--report-format` or `--format`: the format its name
ends in, else json, gitleaks' default (never keysweep's text in `report.json`)."""
REPORT_PATH_HELP = (
    "gitleaks' flag: write the report here. Without --report-format or --format, the "
    "format follows the extension (.json, .sarif, .xml for JUnit), else json as gitleaks."
)
_RANGE = re.compile(r"\A[^\s-][^\s]*\.\.\.?[^\s]+\Z")
_NAMES = ("report_format", "report_path", "exit_code_on_leak", "redact", "log_opts")


def gitleaks_flags(command: F) -> F:
    """Accept gitleaks' flags on a scanning command (apply right below `click.command`)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **values: Any) -> Any:
        given = {name: values.pop(name) for name in _NAMES}
        _translate(given, values)
        try:
            return command(*args, **values)
        except click.exceptions.Exit as stop:
            raise _remapped(stop, given["exit_code_on_leak"]) from None

    options = [
        click.option("--report-format", "-f", "report_format", hidden=True),
        click.option("--report-path", "-r", "report_path", hidden=True, help=REPORT_PATH_HELP),
        click.option("--exit-code", "exit_code_on_leak", type=click.IntRange(0, 255), hidden=True),
        click.option("--redact", "redact", is_flag=True, hidden=True),
        click.option("--log-opts", "log_opts", hidden=True),
    ]
    for option in options:
        wrapper = option(wrapper)
    return wrapper  # type: ignore[return-value]


def _translate(given: dict[str, Any], values: dict[str, Any]) -> None:
    if given["report_format"] is not None:
        values["fmt"] = _report_format(given["report_format"])
    if given["report_path"] is not None:
        from pathlib import Path

        values["output"] = Path(given["report_path"])
        if given["report_format"] is None and not _format_given():
            values["fmt"] = BY_EXTENSION.get(values["output"].suffix.lower(), "json")
    if given["log_opts"] is not None:
        _log_opts(given["log_opts"], values)
    # --redact: keysweep never shows more than a short preview of any secret (gitleaks'
    # partial `--redact=N` has no meaning here and is refused by Click as a value).


def _format_given() -> bool:
    """Whether keysweep's own --format was on the command line."""
    context = click.get_current_context(silent=True)
    source = context.get_parameter_source("fmt") if context is not None else None
    return source is not None and source is not click.core.ParameterSource.DEFAULT


def _report_format(name: str) -> str:
    try:
        return REPORT_FORMATS[name.lower()]
    except KeyError:
        raise ConfigError(
            f"--report-format {name}: not a keysweep format; use --format "
            "(text, json, jsonl, sarif, gitlab, junit)"
        ) from None


def _log_opts(text: str, values: dict[str, Any]) -> None:
    """`--all` (keysweep's default), one `A..B` range, or one branch name."""
    words = shlex.split(text)
    hint = "use keysweep git --range A..B, --since REV or --branch NAME"
    if "rev_range" not in values:
        raise ConfigError(f"--log-opts reads git history: {hint}")
    if words == ["--all"]:
        return
    if len(words) == 1 and _RANGE.match(words[0]) and not values.get("rev_range"):
        values["rev_range"] = words[0]
        return
    if len(words) == 1 and not words[0].startswith("-") and not values.get("branch"):
        values["branch"] = words[0]
        return
    raise ConfigError(f"--log-opts {text!r}: keysweep does not pass options to git log; {hint}")


def _remapped(stop: click.exceptions.Exit, code: int | None) -> click.exceptions.Exit:
    """gitleaks' `--exit-code N`: the code for "leaks found" (keysweep's 1)."""
    if code is not None and stop.exit_code == 1:
        return click.exceptions.Exit(code)
    return stop
