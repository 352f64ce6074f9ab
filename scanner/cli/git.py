"""`keysweep git [REPO]`: history, a commit range, or the staged changes."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from scanner.cli.compat_flags import gitleaks_flags
from scanner.cli.options import build_config, finish, scan_options

if TYPE_CHECKING:
    from scanner.sources.gitrange import GitRange
    from scanner.sources.gitsafe import RepoPaths


@click.command("git")
@gitleaks_flags
@click.argument("repo", required=False, type=click.Path(path_type=Path, file_okay=False))
@click.option("--since", metavar="REV", help="Only what commits after REV introduced (REV..HEAD).")
@click.option("--range", "rev_range", metavar="A..B", help="Only what commits in A..B introduced.")
@click.option("--branch", metavar="NAME", help="Only the history of this branch.")
@click.option("--staged", is_flag=True, help="Only the staged contents of staged files.")
@click.option(
    "--all-objects", is_flag=True, help="Also unreachable and dangling objects (full history)."
)
@click.option(
    "--ci",
    is_flag=True,
    help="Without a range: scan from the base the CI names (GITHUB_BASE_REF, "
    "CI_MERGE_REQUEST_DIFF_BASE_SHA, …); full history if it names none.",
)
@click.option(
    "--pre-push",
    is_flag=True,
    help="Scan the pushed range from PRE_COMMIT_FROM_REF and PRE_COMMIT_TO_REF (pre-commit).",
)
@click.option(
    "--trust-repo-owner",
    is_flag=True,
    help="Scan a repository owned by another user (git's safe.directory check).",
)
@scan_options
@click.pass_context
def command(
    ctx: click.Context,
    /,
    repo: Path | None,
    since: str | None,
    rev_range: str | None,
    branch: str | None,
    staged: bool,
    all_objects: bool,
    ci: bool,
    pre_push: bool,
    trust_repo_owner: bool,
    **values: Any,
) -> None:
    """Scan a git repository's history (default: every ref, every blob once)."""
    from scanner.cli import startup
    from scanner.sources.build import GitHistory, build_sources
    from scanner.sources.gitrange import GitRange, resolve
    from scanner.sources.gitsafe import discover, discovering_once

    given = GitRange(since, rev_range, branch, staged, all_objects)
    chosen = resolve(given, ci=ci, pre_push=pre_push)
    with contextlib.ExitStack() as early:
        with discovering_once():  # the source finds the repository named here, not again
            found = discover(repo or Path("."), trust_owner=trust_repo_owner)
            early.enter_context(_history_early(found, chosen))
            root = found.work_tree or found.git_dir  # the config is looked for at the top
            config = build_config(root, values)
            sources = build_sources(config, [GitHistory(root, chosen)])
        from scanner.pipeline import scan  # imported while git lists the history

        startup.resume(scanning=True)
        report = scan(config, sources)
    finish(ctx, report, config, values)


def _history_early(found: RepoPaths, chosen: GitRange) -> contextlib.AbstractContextManager[None]:
    """A whole history's `git log`, HEAD's tree listing and the refs' listing,
    started as soon as discovery has checked the repository
    (`gitlog.started_early`): on a replayed Django history git needs about 30 ms
    for them, which it now spends while the scanner is imported, the config read
    and the rules loaded."""
    if chosen.narrowed or os.environ.get("GIT_INDEX_FILE"):
        # Under a hook git names the index relative to the work tree; the source
        # resolves it, so its calls would not be these and each would run twice.
        return contextlib.nullcontext()
    from scanner.sources import gitlog
    from scanner.sources.git import FULL_HISTORY
    from scanner.sources.gitsafe import SafeGit

    return gitlog.started_early(SafeGit(found), FULL_HISTORY)
