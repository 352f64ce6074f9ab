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
_REPEAT = re.compile(r"\*\??|\+\??|\{\d+(?:,\d*)?\}\??")
_ESCAPES = {"d": "[0-9]", "w": "[A-Za-z0-9_]"}
_ANCHOR, _END = "\x00", "\x01"


class _NoGlob(Exception):
    """The path regex uses something globs cannot say."""


def path_globs(regex: str) -> tuple[str, ...] | None:
    """Gitignore globs matching what the path regex matches (a case-insensitive
    regex gives the lower-case globs), or None when the regex uses something
    globs cannot say (the caller reports it)."""
    body = _FLAGS.sub("", regex, count=1) if _FLAGS.match(regex) else regex
    try:
        alternatives, rest = _alternation(body.replace("\\/", "/"), 0)
    except _NoGlob:
        return None
    if rest != len(body.replace("\\/", "/")) or len(alternatives) > MAX_GLOBS:
        return None
    globs = [_glob(a) for a in alternatives]
    if any(g is None for g in globs):
        return None
    return tuple(dict.fromkeys(g for g in globs if g))


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
        return [_glob_class(text, i)], _CLASS.match(text, i).end()  # type: ignore[union-attr]
    if ch == "\\" and i + 1 < len(text):
        nxt = text[i + 1]
        if nxt.isalnum():
            if nxt not in _ESCAPES:
                raise _NoGlob
            return [_ESCAPES[nxt]], i + 2
        return [nxt], i + 2
    if ch == "^" or ch == "$":
        return [_ANCHOR if ch == "^" else _END], i + 1
    if ch == ".":
        return ["?"], i + 1
    if _LITERAL.match(ch):
        return [ch], i + 1
    raise _NoGlob


def _glob_class(text: str, i: int) -> str:
    found = _CLASS.match(text, i)
    if found is None:
        raise _NoGlob
    negated, members = found.groups()
    if negated and members in ("/", "\\/"):
        return "?"
    if negated or "[" in members:
        raise _NoGlob
    return "[" + members.replace("\\.", ".").replace("\\-", "-") + "]"


def _quantified(text: str, i: int, options: list[str]) -> tuple[list[str], int]:
    """`?` doubles the choices; a repeat that may be empty becomes a wildcard, and
    any other keeps one copy and a wildcard after it."""
    if text.startswith("?", i):
        return ["", *options], i + 1 + text.startswith("?", i + 1)
    repeat = _REPEAT.match(text, i)
    if repeat is None:
        return options, i
    if repeat.group(0)[0] == "*" or repeat.group(0).startswith("{0"):
        return ["*"], repeat.end()
    return _product(options, ["*"]), repeat.end()


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
    text = re.sub(r"\*+", "*", text.replace("?*", "*").replace("*?", "*"))
    return _place(text, where, ends)


def _place(glob: str, where: str, ends: bool) -> str:
    """gitignore semantics: a leading `/` anchors, a slash inside anchors too (so
    `**/` keeps a sub-path free), a trailing `/` names a folder and what it holds."""
    if not ends and not glob.endswith(("/", "*")):
        glob += "*"
    if where == "anchored":
        return "/" + glob
    if where == "anywhere" and not glob.startswith("*"):
        glob = "*" + glob
    return glob if "/" not in glob.rstrip("/") else "**/" + glob.removeprefix("**/")
