"""Which commits a git scan reads: a range, a branch, the staged index, or the
whole history, and how a pre-push hook or a CI run names it.

The command line, `keysweep baseline create --git` and library callers all
describe the part of a repository to scan with one `GitRange`. The variables
that pre-commit's pre-push stage and the CI services set are read here, by one
function each, so no command carries its own copy of that logic.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, replace

from scanner.errors import ConfigError


@dataclass(frozen=True)
class GitRange:
    """At most one of `since`, `rev_range` and `staged`; `branch` limits history to
    one branch (or is the tip `since` is measured to). Nothing given: every ref,
    every blob once."""

    since: str | None = None
    rev_range: str | None = None
    branch: str | None = None
    staged: bool = False
    all_objects: bool = False
    """Also unreachable and dangling objects (a full-history scan only)."""

    @property
    def narrowed(self) -> bool:
        """Whether anything less than the whole history was asked for."""
        return bool(self.since or self.rev_range or self.branch or self.staged)


def resolve(
    given: GitRange,
    *,
    ci: bool = False,
    pre_push: bool = False,
    env: Mapping[str, str] | None = None,
) -> GitRange:
    """The range to scan: `given`, narrowed by the pre-push variables (`pre_push`)
    or, when nothing narrower was given, by the CI's base revision (`ci`)."""
    from scanner.sources.git import ci_base

    env = os.environ if env is None else env
    chosen = pushed(given, env) if pre_push else given
    if ci and not (chosen.since or chosen.rev_range or chosen.staged):
        chosen = replace(chosen, since=ci_base(env))
    if chosen.all_objects and chosen.narrowed:
        raise ConfigError("--all-objects goes with a full-history scan only")
    return chosen


def pushed(given: GitRange, env: Mapping[str, str]) -> GitRange:
    """pre-commit's pre-push variables: FROM..TO; only TO (or neither, for a new
    history pushed whole): the local branch's history."""
    start = env.get("PRE_COMMIT_FROM_REF", "").strip()
    end = env.get("PRE_COMMIT_TO_REF", "").strip()
    if start and end and start.strip("0"):
        return replace(given, since=None, rev_range=f"{start}..{end}", branch=None)
    local = end or env.get("PRE_COMMIT_LOCAL_BRANCH", "").strip() or "HEAD"
    return replace(given, branch=given.branch or local)
