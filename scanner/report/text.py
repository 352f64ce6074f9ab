"""Text report (stub: the report room replaces this)."""

from __future__ import annotations

from scanner.model import Report


def summary_line(report: Report) -> str:
    return f"{len(report.findings)} findings in {report.items_scanned} items"
