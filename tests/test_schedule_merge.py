"""Merging per-item results: every part kept, token indices moved with the findings."""

from __future__ import annotations

from collections import Counter

from scanner.model import ScanWarning
from scanner.schedule import ItemResult


def test_merge_keeps_every_part_and_moves_token_indices() -> None:
    total = ItemResult(findings=["a", "b"], tokens=[(1, b"t1")], items=2)  # type: ignore[list-item]
    empty = ItemResult(items=1, nbytes=10)
    full = ItemResult(
        findings=["c", "d"],  # type: ignore[list-item]
        tokens=[(1, b"t2")],
        warnings=[ScanWarning("x", "w")],
        skipped=Counter({"binary": 2}),
        suppressed=Counter({"placeholder": 1}),
        secrets=[b"s"],
        unscanned=[ScanWarning("y", "u")],
        bounds_hit=["b"],
        items=1,
        nbytes=5,
        not_scanned=1,
    )
    total.merge(empty)
    total.merge(full)
    total.merge(empty)
    assert [str(f) for f in total.findings] == ["a", "b", "c", "d"]
    assert total.tokens == [(1, b"t1"), (3, b"t2")]
    assert [w.message for w in total.warnings] == ["w"]
    assert total.skipped == Counter({"binary": 2})
    assert total.suppressed == Counter({"placeholder": 1})
    assert total.secrets == [b"s"] and total.bounds_hit == ["b"]
    assert [u.message for u in total.unscanned] == ["u"]
    assert (total.items, total.nbytes, total.not_scanned) == (5, 25, 1)
