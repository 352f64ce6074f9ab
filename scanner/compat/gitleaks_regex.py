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

import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from scanner.engine.syntax import compile_re2, normalise

_FLAGS = re.compile(r"\A\(\?[a-zA-Z]+\)")
_NAMED = re.compile(r"\(\?P?<[A-Za-z_][A-Za-z0-9_]*>")
MAX_GLOBS = 16


@dataclass(frozen=True)
class Converted:
    """A pattern in keysweep's dialect, or why there is none; `note` says what changed."""

    pattern: str | None
    problem: str = ""
    note: str = ""


def convert_pattern(regex: str, secret_group: int) -> Converted:
    """The gitleaks regex with exactly one `(?P<secret>…)` group, checked under RE2."""
    opens = list(capture_groups(regex))
    if secret_group > len(opens):
        return Converted(None, f"secretGroup {secret_group} but the regex has {len(opens)} groups")
    note = ""
    if not opens:
        pattern = _wrap(regex)
    else:
        chosen = secret_group or 1
        if secret_group == 0 and len(opens) > 1:
            note = "several capture groups and no secretGroup: the first group is the secret"
        pattern = _rename(regex, opens, chosen)
    problem = re2_problem(pattern)
    return Converted(None, problem) if problem else Converted(pattern, note=note)


def re2_problem(pattern: str) -> str:
    """Why RE2 refuses the pattern (lookarounds, backreferences), or ''."""
    try:
        compile_re2(normalise(pattern))
    except Exception as exc:
        text = exc.args[0] if exc.args else exc
        text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        return f"RE2 cannot compile it ({' '.join(text.split())})"
    return ""


def capture_groups(regex: str) -> Iterator[tuple[int, int]]:
    """(start, length of the opening) of each capture group, in group-number order."""
    i, in_class = 0, False
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
            named = _NAMED.match(regex, i)
            if named:
                yield i, named.end() - i
            elif not regex.startswith("(?", i):
                yield i, 1
        i += 1


def _class_start(regex: str, i: int) -> bool:
    """A `]` right after `[` or `[^` is a member, not the end of the class."""
    return regex[i - 1] == "[" or (regex[i - 1] == "^" and regex[i - 2 : i] == "[^")


def _rename(regex: str, opens: list[tuple[int, int]], chosen: int) -> str:
    out, last = [], 0
    for number, (start, length) in enumerate(opens, start=1):
        out.append(regex[last:start])
        out.append("(?P<secret>" if number == chosen else "(?:")
        last = start + length
    out.append(regex[last:])
    return "".join(out)


def _wrap(regex: str) -> str:
    """The whole match is the secret; leading flags stay in front."""
    flags = _FLAGS.match(regex)
    head = flags.group(0) if flags else ""
    return f"{head}(?P<secret>{regex[len(head) :]})"


# --- paths ------------------------------------------------------------------

_LITERAL = re.compile(r"[A-Za-z0-9_\-/ ~@]")


def path_globs(regex: str) -> tuple[str, ...] | None:
    """Gitignore globs matching what the path regex matches, or None when the
    regex is not one of the shapes translated (the caller reports it)."""
    body = (_FLAGS.sub("", regex) if _FLAGS.match(regex) else regex).replace("\\/", "/")
    alternatives = _expand(body)
    if not alternatives or len(alternatives) > MAX_GLOBS:
        return None
    globs = [_glob(a) for a in alternatives]
    return None if any(g is None for g in globs) else tuple(g for g in globs if g)


def _expand(body: str) -> list[str]:
    """Top-level alternatives, with each `(?:a|b)` of plain parts multiplied out."""
    parts = re.split(r"(\((?:\?:)?[^()]*\))", body)
    choices = []
    for part in parts:
        group = re.fullmatch(r"\((?:\?:)?([^()]*)\)", part)
        choices.append(group.group(1).split("|") if group else [part])
    joined = ["".join(c) for c in itertools.islice(itertools.product(*choices), MAX_GLOBS + 1)]
    return [alt for text in joined for alt in _top_level(text)]


def _top_level(text: str) -> list[str]:
    return text.split("|") if "[" not in text else [text]


def _glob(alternative: str) -> str | None:
    """One alternative: `^` or `/` (after `(^|/)`), literal text, `.*`, `[^/]+`, `$`."""
    text, ends = alternative.removesuffix("$"), alternative.endswith("$")
    where = {"^": "anchored", "/": "after-slash"}.get(text[:1], "anywhere")
    text = text[1:] if where != "anywhere" else text
    glob = _literal_glob(text) if text else None
    return None if not glob else _place(glob, where, ends)


def _literal_glob(text: str) -> str | None:
    out, i = [], 0
    while i < len(text):
        for regex, glob in ((".*", "*"), (".+", "?*"), ("[^/]+", "?*"), ("[^/]*", "*")):
            if text.startswith(regex, i):
                out.append(glob)
                i += len(regex)
                break
        else:
            if text[i] == "\\" and i + 1 < len(text) and not text[i + 1].isalnum():
                out.append(text[i + 1])
                i += 2
            elif _LITERAL.match(text[i]):
                out.append(text[i])
                i += 1
            else:
                return None
    return "".join(out)


def _place(glob: str, where: str, ends: bool) -> str:
    """gitignore semantics: a leading `/` anchors, a slash inside anchors too (so
    `**/` keeps a sub-path free), a trailing `/` names a folder and what it holds."""
    if not ends and not glob.endswith("/"):
        glob += "*"
    if where == "anchored":
        return "/" + glob
    if where == "anywhere" and not glob.startswith("*"):
        glob = "*" + glob
    return glob if "/" not in glob.rstrip("/") else "**/" + glob
