"""Test helpers shared across folders (on sys.path through pytest's `pythonpath`)."""

from __future__ import annotations

import secrets
import string

TOKEN_RULE = """\
rules:
  - id: test.kswtest-token
    name: keysweep test token
    kind: credential
    severity: high
    keywords: ["kswtest_"]
    pattern: '(?P<secret>kswtest_[A-Za-z0-9]{32})'
    examples: ["kswtest_0123456789abcdefABCDEF0123456789"]
    negative_examples: ["kswtest_short"]
"""
"""A rule for a token format no built-in rule knows, so tests control every match."""


def token() -> str:
    """A fresh random token that TOKEN_RULE matches."""
    alphabet = string.ascii_letters + string.digits
    return "kswtest_" + "".join(secrets.choice(alphabet) for _ in range(32))
