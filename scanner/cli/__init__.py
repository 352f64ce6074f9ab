"""The command line: a thin layer of Click commands over the library.

Commands live one group per module and are imported only when invoked, so the
pre-commit hook does not pay for what it does not use. `error_handler` is the
one place that maps outcomes to exit codes.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import sys
import warnings
from collections.abc import Iterator
from typing import Any

import click

from scanner import __version__
from scanner.cli.streams import say as say  # re-exported: commands import it from here

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_INTERNAL = 3
EXIT_INTERRUPTED = 130

COMMANDS: dict[str, tuple[str, str]] = {
    "scan": ("scanner.cli.scan", "Scan files and folders."),
    "git": ("scanner.cli.git", "Scan git history, a commit range or the staged changes."),
    "sweep": ("scanner.cli.sweep", "Sweep a workstation's home folder for keys."),
    "rules": ("scanner.cli.rules", "List and check detection rules."),
    "registry": ("scanner.cli.registry", "Check and import the key registry."),
    "key": ("scanner.cli.key", "Inspect key files."),
    "baseline": ("scanner.cli.baseline", "Create, update and import baselines."),
    "inventory": ("scanner.cli.inventory", "Collect sweep reports and ask where a key lives."),
    "repos": ("scanner.cli.repos", "Repositories to scan on the job queue."),
    "worker": ("scanner.cli.worker", "Run repository scans from the job queue."),
    "server": (
        "scanner.cli.server",
        "Run the fleet server: uploads, live registry, alerts, dashboard.",
    ),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, _ = COMMANDS[cmd_name]
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        command: click.Command = module.command
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in sorted(COMMANDS)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@contextlib.contextmanager
def error_handler() -> Iterator[None]:
    """Exit codes: 2 for user-fixable errors, 3 for crashes, 130 for Ctrl-C."""
    from scanner.errors import KeysweepError

    try:
        yield
    except KeysweepError as exc:
        say(f"keysweep: error: {exc}")
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        say("keysweep: interrupted")
        sys.exit(EXIT_INTERRUPTED)
    except click.UsageError as exc:  # a mistake on the command line: one line too
        words = exc.ctx.command_path.split()[1:] if exc.ctx is not None else []
        hint = f" (see: {' '.join(['keysweep', *words, '--help'])})"
        say(f"keysweep: error: {exc.format_message()}{hint}")
        sys.exit(EXIT_USAGE)
    except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
        raise
    except Exception as exc:  # a bug: say so, distinctly from "found something"
        from scanner.errors import safe_reason

        if debugging():  # frames only: a message may quote what was scanned
            from scanner.safetrace import print_safe

            with contextlib.suppress(OSError):  # a full stderr: the exit code stays
                print_safe(exc)
            say(f"keysweep: internal error: {safe_reason(exc)}")
        else:
            say(f"keysweep: internal error: {safe_reason(exc)} ({DEBUG_HINT})")
        sys.exit(EXIT_INTERNAL)


DEBUG_ENV = "KEYSWEEP_DEBUG"
DEBUG_HINT = "run again with keysweep --debug, or KEYSWEEP_DEBUG=1, to see the traceback"


def debugging() -> bool:
    """--debug on the root group, or KEYSWEEP_DEBUG=1 (worker processes inherit it)."""
    return os.environ.get(DEBUG_ENV, "") not in ("", "0")


def _set_debug(ctx: click.Context, debug: bool) -> None:
    """Turn debugging on for this run (and its worker processes) and off again after."""
    if not debug or debugging():
        return
    os.environ[DEBUG_ENV] = "1"
    ctx.call_on_close(lambda: os.environ.pop(DEBUG_ENV, None))


class KeysweepGroup(LazyGroup):
    """The root group: every subcommand runs inside `error_handler`, so the exit
    codes are the same from the console script and from Click's CliRunner; and
    standard output is guarded for the whole run (`scanner.cli.streams`)."""

    def main(self, *args: Any, **kwargs: Any) -> Any:
        from scanner.cli.streams import guarded_stdout

        with guarded_stdout(EXIT_USAGE):
            return super().main(*args, **kwargs)

    def invoke(self, ctx: click.Context) -> Any:
        with error_handler(), warnings.catch_warnings():
            warnings.showwarning = _show_warning
            return super().invoke(ctx)


def _show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: Any = None,
    line: str | None = None,
) -> None:
    """keysweep's own warnings (e.g. the rules cache's) as one line on stderr."""
    if category.__module__.startswith("scanner."):
        say(f"keysweep: warning: {message}")
    else:
        say(warnings.formatwarning(message, category, filename, lineno, line).rstrip("\n"))


@click.group(cls=KeysweepGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="keysweep")
@click.option(
    "--debug",
    is_flag=True,
    help="Print the traceback of internal errors (also: KEYSWEEP_DEBUG=1).",
)
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """keysweep: find stored signing keys and hardcoded credentials, and
    cross-check every key against your key registry."""
    _set_debug(ctx, debug)
    from scanner.cli import quickexit, startup

    quickexit.choose(ctx.invoked_subcommand)

    if ctx.invoked_subcommand not in startup.LATE_RESUME:
        startup.resume()


def main(argv: list[str] | None = None) -> None:
    from scanner.cli import startup

    startup.pause()  # on again before any real work (scanner.cli.startup)
    try:
        cli.main(args=argv, prog_name="keysweep")
    finally:
        startup.finished()


def entry() -> None:
    """The console script and `python -m scanner`: `main`, then out of the
    process without freeing its heap object by object (`scanner.cli.quickexit`)."""
    from scanner.cli import quickexit

    try:
        main()
    except SystemExit as exc:
        quickexit.leave(exc.code)
        raise
