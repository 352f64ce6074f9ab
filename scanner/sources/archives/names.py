"""Member names as reports show them: never absolute, never climbing out."""

from __future__ import annotations

import posixpath


def safe_name(name: str) -> str:
    """A member path for display: forward slashes, never absolute, no '..'."""
    parts = name.replace("\\", "/").split("/")
    kept = [p for p in parts if p not in ("", ".", "..") and not p.endswith(":")]
    cleaned = posixpath.join(*kept) if kept else "(unnamed)"
    return "".join(c if c.isprintable() else "?" for c in cleaned)
