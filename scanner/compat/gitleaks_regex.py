"""gitleaks regexes in keysweep's pattern dialect, and gitleaks path regexes as globs.

gitleaks compiles its rules with Go's `regexp`, whose syntax is RE2's, so most
patterns carry over unchanged. What differs is how the secret is named: gitleaks
takes capture group `secretGroup`, else the first capture group that matched,
else the whole match; keysweep takes the group named `secret`. So the chosen
group is renamed `secret` and every other capture group becomes non-capturing.
Path filters are regexes in gitleaks and gitignore globs in keysweep; the common
shapes (an extension, a file name, a folder) are translated and anything else is
reported, never guessed.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace as dataclass_replace

from scanner.engine.syntax import compile_re2, normalise

_FLAGS = re.compile(r"\A\(\?[a-zA-Z]+\)")
_NAMED = re.compile(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>")
MAX_GLOBS = 32


@dataclass(frozen=True)
class Converted:
    """A pattern in keysweep's dialect, or why there is none; `note` says what changed."""

    pattern: str | None
    problem: str = ""
    note: str = ""


def convert_pattern(regex: str, secret_group: int) -> Converted:
    """The gitleaks regex with exactly one `(?P<secret>…)` group, checked under RE2."""
    shape = parse_groups(regex)
    groups = shape.groups
    if secret_group > len(groups):
        return Converted(None, f"secretGroup {secret_group} but the regex has {len(groups)} groups")
    note = ""
    if not groups:
        pattern = _wrap(regex, groups)
    elif secret_group or len(groups) == 1 or shape.always(groups[0]):
        pattern = _rename(regex, groups, secret_group or 1)
    else:  # gitleaks takes the first group that matched: it varies by branch
        note = "capture groups in alternatives and no secretGroup: the whole match is the secret"
        pattern = _wrap(regex, groups)
    problem = re2_problem(pattern)
    return Converted(None, problem) if problem else Converted(pattern, note=note)


def re2_problem(pattern: str) -> str:
    """Why RE2 refuses the pattern (lookarounds, backreferences), or ''."""
    try:
        compile_re2(normalise(pattern))
    except Exception as exc:
        text = exc.args[0] if exc.args else exc
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        kind = " ".join(text.split(":", 1)[0].split())  # RE2 quotes the pattern after ':'
        return f"RE2 cannot compile it ({kind})"
    return ""


@dataclass(frozen=True)
class Group:
    """A capture group: where its opening starts, how long the opening is, how many
    groups enclose it, and where its closing parenthesis is."""

    start: int
    opening: int
    depth: int
    end: int


@dataclass(frozen=True)
class Shape:
    groups: tuple[Group, ...]
    bar_at_top: bool
    """A `|` outside every group: the pattern is an alternation."""
    text: str

    def always(self, group: Group) -> bool:
        """Whether the group takes part in every match (not in any branch or
        optional repeat)."""
        after = self.text[group.end + 1 : group.end + 3]
        optional = after[:1] in ("?", "*") or after == "{0"
        return group.depth == 0 and not self.bar_at_top and not optional


def parse_groups(regex: str) -> Shape:
    """Capture groups (in number order) and top-level alternation, skipping
    escapes and character classes."""
    groups: list[Group] = []
    stack: list[int | None] = []  # index into `groups`, None for a non-capturing group
    i, in_class, bar = 0, False, False
    while i < len(regex):
        ch = regex[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]" or _class_start(regex, i)
        elif ch == "[":
            in_class = True
        elif ch == "(":
            stack.append(_open(regex, i, len(stack), groups))
        elif ch == ")" and stack:
            index = stack.pop()
            if index is not None:
                groups[index] = dataclass_replace(groups[index], end=i)
        elif ch == "|" and not stack:
            bar = True
        i += 1
    return Shape(tuple(groups), bar, regex)


def _open(regex: str, i: int, depth: int, groups: list[Group]) -> int | None:
    named = _NAMED.match(regex, i)
    if named is None and regex.startswith("(?", i):
        return None
    groups.append(Group(i, named.end() - i if named else 1, depth, len(regex)))
    return len(groups) - 1


def _class_start(regex: str, i: int) -> bool:
    """A `]` right after `[` or `[^` is a member, not the end of the class."""
    return regex[i - 1] == "[" or (regex[i - 1] == "^" and regex[i - 2 : i] == "[^")


def _rename(regex: str, groups: Sequence[Group], chosen: int) -> str:
    """Group `chosen` becomes `secret`, every other capture group non-capturing."""
    out, last = [], 0
    for number, group in enumerate(groups, start=1):
        out.append(regex[last : group.start])
        out.append("(?P<secret>" if number == chosen else "(?:")
        last = group.start + group.opening
    out.append(regex[last:])
    return "".join(out)


def _wrap(regex: str, groups: Sequence[Group]) -> str:
    """The whole match is the secret; leading flags stay in front."""
    regex = _rename(regex, groups, 0)
    flags = _FLAGS.match(regex)
    head = flags.group(0) if flags else ""
    return f"{head}(?P<secret>{regex[len(head) :]})"


# --- paths ------------------------------------------------------------------

_LITERAL = re.compile(r"[A-Za-z0-9_\-/ ~@,=%+]")
_CLASS = re.compile(r"\[(\^?)((?:\\.|[^\]\\])+)\]")
_MEMBER = re.compile(r"(\\.|[^\\])(?:-(\\.|[^\\]))?", re.DOTALL)
"""A member of a regex class: a character or an escape, or a range of two."""
_REPEAT = re.compile(r"\*\??|\+\??|\{\d+(?:,\d*)?\}\??")
_ESCAPES = {"d": "[0-9]", "w": "[A-Za-z0-9_]"}
_CLASS_ESCAPES = {"d": string.digits, "w": string.ascii_letters + string.digits + "_"}
_ANCHOR, _END, _STAR, _ANY = "\x00", "\x01", "\x02", "\x03"
"""Stand-ins while the globs are built: the anchors, and the wildcards `*` and
`?` (a literal `*` or `?` is escaped as soon as it is read)."""


class _NoGlob(Exception):
    """The path regex uses something globs cannot say."""


def path_globs(regex: str) -> tuple[str, ...] | None:
    """Gitignore globs matching what the path regex matches (a case-insensitive
    regex gives the lower-case globs), or None when the regex uses something
    globs cannot say (the caller reports it). Each glob means what the regex
    meant as git reads globs: literals escaped, classes as bracket expressions."""
    body = _FLAGS.sub("", regex, count=1) if _FLAGS.match(regex) else regex
    try:
        alternatives, rest = _alternation(body, 0)
    except _NoGlob:
        return None
    if rest != len(body) or len(alternatives) > MAX_GLOBS:
        return None
    globs = [_glob(a) for a in alternatives]
    if any(g is None for g in globs):
        return None
    return tuple(dict.fromkeys(_finished(g) for g in globs if g))


def _alternation(text: str, i: int) -> tuple[list[str], int]:
    """Alternatives up to a closing `)` or the end: each a glob-ready string."""
    branches: list[str] = []
    current = [""]
    while i < len(text) and text[i] != ")":
        if text[i] == "|":
            branches += current
            current, i = [""], i + 1
            continue
        options, i = _atom(text, i)
        options, i = _quantified(text, i, options)
        current = _product(current, options)
    return branches + current, i


def _product(left: list[str], right: list[str]) -> list[str]:
    joined = [a + b for a in left for b in right]
    if len(joined) > MAX_GLOBS * 4:
        raise _NoGlob
    return joined


def _atom(text: str, i: int) -> tuple[list[str], int]:
    ch = text[i]
    if ch == "(":
        start = text.find(":", i) + 1 if text.startswith("(?:", i) else i + 1
        if text.startswith("(?", i) and not text.startswith("(?:", i):
            raise _NoGlob
        inner, end = _alternation(text, start)
        if end >= len(text):
            raise _NoGlob
        return inner, end + 1
    if ch == "[":
        found = _CLASS.match(text, i)
        if found is None:
            raise _NoGlob
        return [_glob_class(*found.groups())], found.end()
    if ch == "\\" and i + 1 < len(text):
        nxt = text[i + 1]
        if nxt.isalnum():
            if nxt not in _ESCAPES:
                raise _NoGlob
            return [_ESCAPES[nxt]], i + 2
        return [_glob_literal(nxt)], i + 2
    if ch == "^" or ch == "$":
        return [_ANCHOR if ch == "^" else _END], i + 1
    if ch == ".":
        return [_ANY], i + 1
    if _LITERAL.match(ch):
        return [ch], i + 1
    raise _NoGlob


def _glob_literal(ch: str) -> str:
    """A character the regex matches literally, as a glob matches it literally."""
    return "\\" + ch if ch in "*?[\\" else ch


def _glob_class(negated: str, members: str) -> str:
    """A regex class as a bracket expression git reads as naming the same
    characters: ASCII only (a bracket takes one byte, the regex a character),
    never `/` (a bracket never names it); negated only as `[^/]`: any byte."""
    if negated:
        if members in ("/", "\\/"):
            return _ANY
        raise _NoGlob
    chars = set().union(*(_class_member(*m.groups()) for m in _MEMBER.finditer(members)))
    if "/" in chars or not all(c.isascii() and c.isprintable() for c in chars):
        raise _NoGlob
    return _bracket(chars)


def _class_member(first: str, last: str | None) -> set[str]:
    """What one member of a regex class names: a character, an escaped one, `\\d`
    or `\\w`, or a range (RE2's syntax; a POSIX class or anything else is no glob)."""
    if last is not None:
        low, high = _class_end(first), _class_end(last)
        if low > high:
            raise _NoGlob
        return set(map(chr, range(ord(low), ord(high) + 1)))
    if first.startswith("\\") and first[1].isalnum():
        if first[1] not in _CLASS_ESCAPES:
            raise _NoGlob
        return set(_CLASS_ESCAPES[first[1]])
    return {_class_end(first)}


def _class_end(member: str) -> str:
    """One character of a class: itself, or escaped punctuation."""
    if member == "[" or (member.startswith("\\") and member[1].isalnum()):
        raise _NoGlob
    return member[-1]


def _bracket(chars: set[str]) -> str:
    """A bracket expression naming exactly `chars`, with no escape but `\\\\` (which
    pathspec, before keysweep read brackets as git does, read the same way):
    `]` first, `-` last, ranges of letters and digits, `!` and `^` never first."""
    if len(chars) == 1:
        return _glob_literal(min(chars))
    signs = ["\\\\" if c == "\\" else c for c in sorted(chars) if not c.isalnum() and c not in "]-"]
    words = _ranges(sorted(c for c in chars if c.isalnum()))
    parts = ["]"] * ("]" in chars) + words + signs + ["-"] * ("-" in chars)
    return "[" + "".join(_not_negated(parts)) + "]"


def _ranges(words: list[str]) -> list[str]:
    """Letters and digits, runs of three or more as ranges (`a-z`)."""
    runs: list[list[str]] = []
    for c in words:
        if runs and ord(runs[-1][-1]) + 1 == ord(c):
            runs[-1].append(c)
        else:
            runs.append([c])
    return [f"{r[0]}-{r[-1]}" if len(r) > 2 else "".join(r) for r in runs]


def _not_negated(parts: list[str]) -> list[str]:
    """A first `!` or `^` would negate the bracket: another part goes first (a
    `-` may, as a literal), or, for `!` and `^` alone, an escape."""
    if parts[0] not in ("!", "^"):
        return parts
    other = next((k for k, p in enumerate(parts) if p not in ("!", "^", "-")), None)
    if other is not None:
        parts[0], parts[other] = parts[other], parts[0]
        return parts
    if parts[-1] == "-":
        return ["-", *parts[:-1]]
    return ["\\" + parts[0], *parts[1:]]


def _quantified(text: str, i: int, options: list[str]) -> tuple[list[str], int]:
    """`?` doubles the choices; a repeat that may be empty becomes a wildcard, and
    any other keeps one copy and a wildcard after it."""
    if text.startswith("?", i):
        return ["", *options], i + 1 + text.startswith("?", i + 1)
    repeat = _REPEAT.match(text, i)
    if repeat is None:
        return options, i
    if repeat.group(0)[0] == "*" or repeat.group(0).startswith("{0"):
        return [_STAR], repeat.end()
    return _product(options, [_STAR]), repeat.end()


def _glob(alternative: str) -> str | None:
    """One expanded alternative, anchors placed as gitignore reads them."""
    ends = alternative.endswith(_END)
    text = alternative.removesuffix(_END)
    where = "anchored" if text.startswith(_ANCHOR) else "anywhere"
    text = text.removeprefix(_ANCHOR)
    if text.startswith("/") and where == "anywhere":  # after `(^|/)`: a name anywhere
        where, text = "after-slash", text[1:]
    if not text or _ANCHOR in text or _END in text:
        return None
    text = text.replace(_ANY + _STAR, _STAR).replace(_STAR + _ANY, _STAR)
    text = re.sub(f"{_STAR}+", _STAR, text)
    return _place(text, where, ends)


def _place(glob: str, where: str, ends: bool) -> str:
    """gitignore semantics: a leading `/` anchors, a slash inside anchors too (so
    `**/` keeps a sub-path free), a trailing `/` names a folder and what it holds."""
    if not ends and not glob.endswith(("/", _STAR)):
        glob += _STAR
    if where == "anchored":
        return "/" + glob
    if where == "anywhere" and not glob.startswith(_STAR):
        glob = _STAR + glob
    deep = _STAR * 2 + "/"
    return glob if "/" not in glob.rstrip("/") else deep + glob.removeprefix(deep)


def _finished(glob: str) -> str:
    """The wildcards written out; a first `!` or `#` (a negation, a comment) and
    a last space (which git trims) escaped."""
    glob = glob.replace(_STAR, "*").replace(_ANY, "?")
    if glob.startswith(("!", "#")):
        glob = "\\" + glob
    return glob[:-1] + "\\ " if glob.endswith(" ") else glob
