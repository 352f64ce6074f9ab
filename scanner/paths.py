"""Where report paths are measured from.

A report names files relative to the repository they belong to, whichever
folder was scanned, so `keysweep scan tests` and `keysweep scan .` name a file
the same way, baselines match, and SARIF URIs resolve from the repository root.
Outside a git work tree, paths are relative to the current folder (or, for
folders elsewhere, to the folder the scanned roots share).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def work_tree_of(path: Path) -> Path | None:
    """The top of the git work tree holding `path` (a folder with `.git`), if any."""
    start = path.absolute()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    return None


def display_base(roots: Sequence[Path]) -> Path:
    """The folder paths under `roots` are shown relative to: the work tree holding
    the first root; else the current folder when every root lies below it; else
    the folder the roots share (a lone folder: itself, as before)."""
    folders = [Path(os.path.abspath(r if r.is_dir() else r.parent)) for r in roots]
    tree = work_tree_of(folders[0])
    if tree is not None:
        return tree
    here = Path.cwd()
    if all(f == here or here in f.parents for f in folders):
        return here
    return Path(os.path.commonpath([str(f) for f in folders]))


def relative_to_base(path: Path, base: Path) -> str:
    """`path` relative to `base` in POSIX form; absolute when it lies outside `base`."""
    absolute = Path(os.path.abspath(path))
    try:
        shown = absolute.relative_to(base.absolute()).as_posix()
    except ValueError:
        return absolute.as_posix()
    return shown
