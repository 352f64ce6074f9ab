from __future__ import annotations

import pytest

from scanner.suppress import InlineAllows, PathMatcher, ValueAllowlist


@pytest.mark.parametrize(
    ("text", "line", "rule", "allowed"),
    [
        (b'token = "abc"  # keysweep:allow\n', 1, "vcs.github-pat", True),
        (b'token = "abc"  // keysweep:allow vcs.github-pat\n', 1, "vcs.github-pat", True),
        (b'token = "abc"  # keysweep:allow saas.slack-bot-token\n', 1, "vcs.github-pat", False),
        (b"# keysweep:allow\ntoken = 'abc'\n", 2, "any.rule", True),
        (b"/* keysweep:allow key.rsa-pkcs1 */\nKEY\n", 2, "key.rsa-pkcs1", True),
        (b"<!-- keysweep:allow -->\n<key>x</key>\n", 2, "r", True),
        (b"x\n\ntoken = 'abc'\n", 3, "r", False),
        (b"password = 'hunter2hunter2'  # pragma: allowlist secret\n", 1, "r", True),
        (b"# keysweep:allow a.b, c.d\nv\n", 2, "c.d", True),
        (b"first line\nsecond # keysweep:allow\n", 1, "r", False),
    ],
)
def test_inline_allow_comments(text: bytes, line: int, rule: str, allowed: bool) -> None:
    assert InlineAllows(text).allows(line, rule) is allowed


def test_a_comment_covers_its_line_and_the_next_only() -> None:
    text = b"a\n# keysweep:allow r.one\nb\nc\n" + b"x" * 100_000 + b" # keysweep:allow\n"
    allows = InlineAllows(text)
    assert [allows.allows(n, "r.one") for n in (1, 2, 3, 4)] == [False, True, True, False]
    assert not allows.allows(3, "r.two")
    assert allows.allows(5, "anything") and allows.allows(6, "anything")


def test_path_matcher_is_gitignore_style() -> None:
    matcher = PathMatcher(["tests/**", "*.lock", "!keep.lock"])
    assert matcher.matches("tests/data/key.pem")
    assert matcher.matches("deep/poetry.lock")
    assert not matcher.matches("keep.lock")
    assert not matcher.matches("src/app.py")
    assert not PathMatcher([]).matches("anything")


def test_value_allowlist_uses_linear_regexes() -> None:
    allow = ValueAllowlist([r"^AKIA[0-9A-Z]{9}EXAMPLE$", r"(a+)+$"])
    assert allow.matches(b"AKIAIOSFODNN7EXAMPLE")
    assert not allow.matches(b"AKIA" + b"Q" * 16 + b"!")
    # A pattern that would backtrack catastrophically in `re` is linear in RE2.
    assert allow.matches(b"a" * 100_000)
    assert not ValueAllowlist([]).matches(b"x")
