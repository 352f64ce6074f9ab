"""Examples and negative examples for rules that came without any.

Every keysweep rule carries examples that `keysweep rules check` runs, so a rule
that stops matching (or starts matching noise) is caught. A converted gitleaks
rule has none, so they are made here: strings generated from the rule's own
pattern (`exrex`), kept only when the real engine, in every lane, finds the rule
in them (keywords, entropy floor and allow regexes included); negatives are
near misses kept only when no lane finds it. A rule for which no example can be
made is reported rather than written untested.
"""

from __future__ import annotations

import random
import re
import warnings
from collections.abc import Iterator, Sequence
from typing import Any

from scanner.engine.matcher import Engine
from scanner.engine.rulespec import rule_from_mapping
from scanner.engine.selfcheck import engines, matches
from scanner.model import Rule, RuleKind

WANTED = 2
TRIES = 40
_POSIX = {
    "[:alnum:]": "a-zA-Z0-9",
    "[:alpha:]": "a-zA-Z",
    "[:digit:]": "0-9",
    "[:lower:]": "a-z",
    "[:upper:]": "A-Z",
    "[:xdigit:]": "0-9a-fA-F",
    "[:space:]": " \\t",
    "[:punct:]": "!-/:-@",
}
_FLAGS = re.compile(r"\(\?[a-zA-Z]+\)")
_ASCII = {r"\w": "A-Za-z0-9_", r"\d": "0-9", r"\s": r"\x20", r"\S": "!-~"}
_NEGATIVE_FILLERS = ("", "<redacted>", "${SECRET}", "xxxxxxxx", "changeme")


def add_examples(mappings: Sequence[dict[str, Any]], file: str) -> list[str]:
    """Fill `examples` and `negative_examples` in place; returns the ids of rules
    that got fewer than two of either (the caller reports them; a rule with none
    cannot pass `rules check`)."""
    rules = [rule_from_mapping(m, file, n) for n, m in enumerate(mappings, 1)]
    with warnings.catch_warnings():  # Python's parser remarks on Go-style classes
        warnings.simplefilter("ignore", FutureWarning)
        lanes = engines(rules)
    short = []
    for mapping, rule in zip(mappings, rules, strict=True):
        positives = _pick(lanes, rule, _candidates(rule), True)
        negatives = _pick(lanes, rule, _near_misses(rule, positives), False)
        mapping["examples"], mapping["negative_examples"] = positives, negatives
        if len(positives) < WANTED or len(negatives) < WANTED:
            short.append(rule.id)
    return short


def _pick(lanes: Sequence[Engine], rule: Rule, candidates: Iterator[str], hit: bool) -> list[str]:
    chosen: list[str] = []
    for candidate in candidates:
        if candidate not in chosen and all(matches(e, rule, candidate) is hit for e in lanes):
            chosen.append(candidate)
        if len(chosen) == WANTED:
            break
    return chosen


def _candidates(rule: Rule) -> Iterator[str]:
    """Strings from the pattern (a path from the include glob's regex for
    key-file rules); a keyword line goes first when the string lacks one."""
    source = rule.pattern if rule.kind is not RuleKind.KEY_FILE else None
    generator = random.Random(f"{rule.id}:{source}")
    for _ in range(TRIES):
        text = _generate(source, rule, generator)
        if text is None:
            return
        yield _with_keyword(text, rule)
        if rule.kind is not RuleKind.KEY_FILE:  # a fixed value still gets two examples
            yield _with_keyword(f'value = "{text}"', rule)


def _generate(pattern: str | None, rule: Rule, generator: random.Random) -> str | None:
    import exrex  # imported here: only conversion needs it

    if pattern is None:
        return _key_file_path(rule, generator)
    state = random.getstate()
    random.seed(generator.random())  # exrex draws from the module's generator
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            text = exrex.getone(_generable(pattern), limit=4)
    except Exception:
        return None
    finally:
        random.setstate(state)
    if not isinstance(text, str) or not all(c.isprintable() or c in "\n\t\r" for c in text):
        return None
    return text


def _generable(pattern: str) -> str:
    """Python's `re` (which exrex parses with) spells a few things differently, and
    `\\s` is written as a space so that examples stay readable one-liners."""
    for posix, members in _POSIX.items():
        pattern = pattern.replace(posix, members)
    head = _FLAGS.match(pattern)  # Python refuses flags after the start; drop them
    start = head.end() if head else 0
    pattern = pattern[:start] + _FLAGS.sub("", pattern[start:])
    return _ascii_classes(pattern).replace(r"\z", r"\Z")


def _ascii_classes(pattern: str) -> str:
    """Go's `\\w`, `\\d`, `\\s` and `\\S` are ASCII; exrex's are Unicode, and would
    write examples the rule itself never matches. `.` and negated classes are kept
    to printable ASCII, so examples are readable one-line strings."""
    out, i, in_class = [], 0, False
    while i < len(pattern):
        pair = pattern[i : i + 2]
        if pair in _ASCII:
            out.append(_ASCII[pair] if in_class else f"[{_ASCII[pair]}]")
            i += 2
            continue
        if pattern[i] == "\\":
            out.append(pair)
            i += 2
            continue
        if not in_class and pattern.startswith("[^", i):  # no control characters
            first = "]" if pattern.startswith("]", i + 2) else ""  # `[^]…]`: `]` a member
            out.append("[^\\x00-\\x1f\\x7f" + ("\\]" if first else ""))
            i, in_class = i + 2 + len(first), True
            continue
        if not in_class and pattern[i] == ".":
            out.append("[ -~]")
            i += 1
            continue
        in_class = (pattern[i] == "[") or (in_class and pattern[i] != "]")
        out.append(pattern[i])
        i += 1
    return "".join(out)


def _key_file_path(rule: Rule, generator: random.Random) -> str | None:
    globs = [g for g in rule.path_include if "*" in g or "/" not in g]
    if not globs:
        return None
    glob = generator.choice(globs).lstrip("/").replace("**/", "")
    return glob.replace("?*", "secrets").replace("*", "secrets")


def _with_keyword(text: str, rule: Rule) -> str:
    if not rule.keywords or any(k.lower() in text.lower() for k in rule.keywords):
        return text
    return f"# {rule.keywords[0]}\n{text}"


def _near_misses(rule: Rule, positives: Sequence[str]) -> Iterator[str]:
    """The keyword with no value, the positives with their letters and digits
    blanked, then plain text."""
    if rule.kind is RuleKind.KEY_FILE:
        yield from ("README.md", "docs/notes.txt", "src/main.py")
        return
    word = rule.keywords[0] if rule.keywords else "token"
    for filler in _NEGATIVE_FILLERS:
        yield f"{word} = {filler}".strip()
    for text in positives:
        yield re.sub(r"[A-Za-z0-9]", "x", text)
        yield re.sub(r"[A-Za-z0-9]", "0", text)
    yield "nothing to see here"
