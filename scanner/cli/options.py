"""Options shared by the scanning commands (scan, git, sweep) and the one
function that turns their values into a Config, runs the scan and reports."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from scanner.cli import say
from scanner.cli.streams import STDOUT, StdoutLost, discard, lost_reason, stdout_closed
from scanner.config import Config, load_config
from scanner.context import CONTEXTS, DEFAULT_FAIL_CONTEXTS, blocks
from scanner.detectors import DETECTORS, check_detector_names
from scanner.errors import ConfigError
from scanner.model import Report, Severity
from scanner.report import REPORTERS
from scanner.suppress import check_globs

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = tuple(REPORTERS)


def rule_source_options(func: F) -> F:
    """--config, --rules and --no-builtin-rules: where the rules come from."""
    options = [
        click.option(
            "--config",
            "config_path",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Config file (default: .keysweep.yaml or [tool.keysweep] in the root).",
        ),
        click.option(
            "--rules",
            "rules_dirs",
            multiple=True,
            type=click.Path(path_type=Path, exists=True),
            help="Extra rule file or folder (repeatable).",
        ),
        click.option(
            "--no-builtin-rules", is_flag=True, help="Use only the rules given with --rules."
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def input_options(func: F) -> F:
    """What every scanning command reads and how: the rules, the registry, the
    excludes and allowlists, the detectors and the limits (`keysweep baseline`
    takes the same set, so a baseline is made from the scan it will filter)."""
    options = [
        click.option(
            "--registry",
            multiple=True,
            type=click.Path(path_type=Path, exists=True, dir_okay=False),
            help="Key registry (YAML or JSON) to cross-check keys against (repeatable: "
            "the registries merge).",
        ),
        click.option("--exclude", multiple=True, help="Glob of paths not to read (repeatable)."),
        click.option(
            "--allow-path",
            "allow_paths",
            multiple=True,
            help="Glob of paths whose findings are allowed (repeatable).",
        ),
        click.option(
            "--detector",
            "detectors",
            multiple=True,
            metavar="NAME",
            help=f"Detector to run (repeatable; default: {' and '.join(Config.detectors)}; "
            f"known: {', '.join(sorted(DETECTORS))}).",
        ),
        click.option(
            "--jobs",
            "-j",
            type=click.IntRange(min=0),
            help="Worker processes (default: all cores).",
        ),
        click.option(
            "--max-file-size",
            type=click.IntRange(min=1),
            help=f"Skip files larger than this many bytes (default: {Config.max_file_size}).",
        ),
        click.option("--no-archives", is_flag=True, help="Do not open zip, jar and tar archives."),
    ]
    for option in reversed(options):
        func = option(func)
    return rule_source_options(func)


def report_options(func: F) -> F:
    """How a scanning command filters, writes and judges its report."""
    options = [
        click.option(
            "--baseline",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Report only findings not in this baseline (keysweep or detect-secrets).",
        ),
        click.option(
            "--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True
        ),
        click.option(
            "--output",
            "-o",
            type=click.Path(path_type=Path, dir_okay=False),
            help="Write the report here instead of standard output.",
        ),
        click.option(
            "--fail-on",
            type=click.Choice([s.label for s in Severity]),
            help=f"Exit 1 on findings at or above this severity (default: {Config.fail_on.label}).",
        ),
        click.option(
            "--fail-on-context",
            "fail_on_context",
            multiple=True,
            type=click.Choice([*CONTEXTS, "all"]),
            help=f"Exit 1 on findings in this context (repeatable; default: "
            f"{', '.join(Config.fail_on_context)}). Registry verdicts fail in any context.",
        ),
        click.option(
            "--color/--no-color",
            default=None,
            help="Colour the text report (default: on a terminal).",
        ),
        click.option(
            "--strict-config",
            is_flag=True,
            default=None,
            help="Exit 2 when the config found in the scanned tree loosens the gate (disabled "
            "rules, exclusions, allowlists, a higher fail-on...); also KEYSWEEP_STRICT_CONFIG=1.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def scan_options(func: F) -> F:
    """Decorate a scanning command with the common options."""
    return input_options(report_options(func))


def file_options(func: F) -> F:
    """How files and folders are walked (`scan` and `baseline create|update`)."""
    options = [
        click.option(
            "--follow-symlinks", is_flag=True, help="Follow symbolic links (loops are detected)."
        ),
        click.option(
            "--git-history/--no-git-history",
            default=True,
            show_default=True,
            help="Also scan the full history of every git repository found under the folders.",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def build_config(
    root: Path, values: dict[str, Any], *, discover: bool = True, **extra: Any
) -> Config:
    """Config file values, overridden by the options the user gave.

    discover=False (the sweep) reads only a config given with --config: a sweep
    must not take its settings from a .keysweep.yaml lying in the home folder it
    sweeps, and it keeps no rules cache unless KEYSWEEP_CACHE_DIR names one. The
    other commands cache compiled rules in the user's cache folder."""
    check_output(values.get("output"))
    if values.get("output") is None:
        check_stdout()  # the report goes there: refused before the scan, not after
    check_detector_names(values.get("detectors") or (), "--detector")
    check_globs(values.get("exclude") or (), "--exclude")
    check_globs(values.get("allow_paths") or (), "--allow-path")
    config_path = values.get("config_path")
    if config_path is None and not discover:
        config = Config(root=root)
    else:
        config = load_config(config_path, root, strict=bool(values.get("strict_config")))
    fail_on = values.get("fail_on")
    registries = _registries(values.get("registry"))
    return config.with_overrides(
        rules_dirs=tuple(Path(p).resolve() for p in values.get("rules_dirs") or ()),
        builtin_rules=False if values.get("no_builtin_rules") else None,
        registry=registries[0] if registries else None,
        more_registries=registries[1:] if registries else None,
        baseline=values.get("baseline"),
        exclude=tuple(values.get("exclude") or ()),
        allow_paths=tuple(values.get("allow_paths") or ()),
        detectors=tuple(values.get("detectors") or ()) or None,
        fail_on=Severity.parse(fail_on) if fail_on else None,
        fail_on_context=_contexts(values.get("fail_on_context")),
        jobs=values.get("jobs"),
        max_file_size=values.get("max_file_size"),
        archives=False if values.get("no_archives") else None,
        follow_symlinks=True if values.get("follow_symlinks") else None,
        cache_dir=_user_cache() if discover else None,
        **extra,
    )


def _user_cache() -> Path | None:
    from scanner.engine.matcher import default_cache_dir

    return default_cache_dir()


def _registries(given: Any) -> tuple[Path, ...]:
    """--registry values (one path from older callers, or a tuple)."""
    if given is None:
        return ()
    if isinstance(given, str | Path):
        return (Path(given),)
    return tuple(Path(p) for p in given)


def check_output(output: Path | None) -> None:
    """A report that cannot be written is a user mistake found before the scan runs."""
    if output is None:
        return
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise ConfigError(f"{output}: cannot write the report: folder {folder} does not exist")
    if output.is_dir():
        raise ConfigError(f"{output}: cannot write the report: it is a folder")


def emit(report: Report, values: dict[str, Any], *, meta: dict[str, Any] | None = None) -> None:
    """Render the report in the chosen format to --output or standard output,
    and a one-line summary to standard error."""
    from scanner.report import render
    from scanner.report.text import summary_line

    fmt = values.get("fmt", "text")
    output: Path | None = values.get("output")
    color = values.get("color")
    if color is None:
        color = output is None and sys.stdout is not None and sys.stdout.isatty()
    text = render(report, fmt, color=bool(color and fmt == "text"))
    if output is not None:
        try:
            output.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"{output}: cannot write the report: {exc.strerror or exc}") from None
    else:
        to_stdout(text)
    if fmt != "text" or output is not None:
        say(summary_line(report))  # lost if stderr is closed or full; the exit code is not


def to_stdout(text: str) -> None:
    """Write the report to standard output and flush it: a report that cannot be
    written (stdout closed, a full disk, a reader gone) is exit 2 naming standard
    output, never a crash (exit 3) nor a silent success (exit 0). Run from the root
    group, standard output is a `GuardedStdout` (its failures are `StdoutLost`);
    called otherwise, it is whatever the caller put there."""
    check_stdout()
    try:
        if text:
            click.echo(text, nl=not text.endswith("\n"))
        sys.stdout.flush()
    except StdoutLost as exc:
        raise ConfigError(f"{STDOUT}: cannot write the report: {exc.reason}") from None
    except OSError as exc:
        discard(sys.stdout)  # else the exit's own flush fails again (exit 120)
        raise ConfigError(f"{STDOUT}: cannot write the report: {lost_reason(exc)}") from None


def check_stdout() -> None:
    """Standard output is open: a closed one (`>&-`) cannot take the report."""
    if stdout_closed():
        raise ConfigError(f"{STDOUT}: cannot write the report: it is closed (use --output FILE)")


def _contexts(values: Sequence[str] | None) -> tuple[str, ...] | None:
    from scanner.context import parse_contexts

    return parse_contexts(values) if values else None


def exit_code(
    report: Report, fail_on: Severity, contexts: Sequence[str] = DEFAULT_FAIL_CONTEXTS
) -> int:
    from scanner.unscanned import exit_code_for

    stopped = exit_code_for(report)  # 130/143: a signal stopped the scan
    if stopped is not None:
        return stopped
    return 1 if any(blocks(f, fail_on, contexts) for f in report.findings) else 0


def finish(ctx: click.Context, report: Report, config: Config, values: dict[str, Any]) -> None:
    """Write the report, then exit: 3 when keysweep failed on an item (the scan is
    not complete, whatever it found), else 1 on findings at or above fail_on."""
    emit(report, values)
    if report.internal_errors:
        from scanner.cli import DEBUG_HINT, EXIT_INTERNAL, debugging

        hint = "" if debugging() else f"; {DEBUG_HINT}"
        say(
            f"keysweep: internal error on {report.internal_errors} item(s); the report lists "
            f"them and the scan is incomplete{hint}"
        )
        ctx.exit(EXIT_INTERNAL)
    ctx.exit(exit_code(report, config.fail_on, config.fail_on_context))


def resolve_roots(paths: Sequence[str]) -> list[Path]:
    return [Path(p) for p in (paths or ["."])]


def config_root(paths: Sequence[Path]) -> Path:
    """Where the config is looked for: the first root's folder (and, inside a git
    work tree, the folders above it up to the top)."""
    first = paths[0] if paths else Path(".")
    return first if first.is_dir() else (first.parent if str(first.parent) else Path("."))
