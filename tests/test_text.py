"""Byte helpers every item passes through."""

from __future__ import annotations

from scanner.text import BINARY_SNIFF, is_binary


def test_binary_means_a_nul_in_the_first_8_kib_as_git_decides() -> None:
    text = b"x" * (BINARY_SNIFF * 2)
    assert not is_binary(text) and not is_binary(b"")
    assert is_binary(b"\x00") and is_binary(b"PNG\x00\x01")
    assert is_binary(text[: BINARY_SNIFF - 1] + b"\x00" + text)
    assert not is_binary(text[:BINARY_SNIFF] + b"\x00" + text)
