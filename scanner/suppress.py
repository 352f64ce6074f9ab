"""Suppression: path allowlists, inline allow comments, secret-value allowlists.

The baseline, the last step, lives in `baseline.py` and is applied by `pipeline.py`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import re2

from scanner.errors import ConfigError

if TYPE_CHECKING:
    import pathspec

_COMMENT = re2.compile(
    rb"keysweep:allow(?:[ \t]+([A-Za-z][A-Za-z0-9_.,\- \t]*[A-Za-z0-9_.\-]))?"
    rb"|pragma:[ \t]*allowlist[ -]secret"
    rb"|gitleaks:allow"
)
_SPLIT = re2.compile(rb"[\s,]+")


class PathMatcher:
    """Gitignore-style globs on root-relative paths, read as git reads them
    (`gitglob` rewrites each glob for `pathspec`, which matches them).

    Importing pathspec and compiling the globs (about 12 ms and 4 ms for the
    key-file gate's 47 globs) is put off until a path comes that one of the
    globs could name (`_Names`): a pre-commit hook on a few source files never
    needs it. Globs that could be refused are compiled at once, so an invalid
    glob is refused where it always was.

    A path is matched as git matches it, byte by byte, with each line break
    stood in (`gitglob.as_read`; only for a path that needs it, so that the
    hook imports no more than it did): to git a line break is an
    ordinary character, but pathspec's `.` does not match it (so `a\nb/id_rsa`
    escaped the glob `id_rsa`), and before 1.0 its `$` also matched before a
    final one."""

    def __init__(self, globs: Sequence[str]) -> None:
        self._globs = tuple(_one_line(g) for g in globs)
        if any("\n" in g for g in self._globs):
            raise ConfigError("a glob cannot hold a line break")
        self._names = _Names.of(self._globs)
        self._compiled: pathspec.GitIgnoreSpec | None = None
        if self._globs and self._names is None:
            self._spec()  # compiled now: one of these globs may be refused

    def _spec(self) -> pathspec.GitIgnoreSpec:
        if self._compiled is None:
            import pathspec

            from scanner.gitglob import patterns

            self._compiled = pathspec.GitIgnoreSpec(patterns(self._globs))
        return self._compiled

    def matches(self, path: str) -> bool:
        if not self._globs:
            return False
        path = self._normal(path)
        if self._names is not None and not self._names.could_name(path):
            return False
        return bool(self._spec().match_file(path))

    def matches_file(self, path: str) -> bool:
        """Like `matches`, but a glob must name the path itself: a folder it names
        (`identity/`) does not make the files inside that folder match."""
        if not self._globs:
            return False
        path = self._normal(path)
        if self._names is not None and not self._names.could_name(path):
            return False
        return _names_file(self._spec().patterns, path)

    def _normal(self, path: str) -> str:
        """The path as pathspec is asked about it: root-relative (as git reads
        `./a`), as its bytes (`?` takes one byte, as in git; an undecodable byte
        is one too), with its line breaks stood in. `matches_file` reads the same
        string, so the key-file gate never rules out a name a key-file rule names."""
        path = path.lstrip("/").removeprefix("~/").removeprefix("./")
        if "\n" in path or not path.isascii():
            from scanner.gitglob import as_read

            return as_read(path)
        return path

    def __bool__(self) -> bool:
        return bool(self._globs)


def check_globs(globs: Sequence[str], where: str) -> None:
    """ConfigError naming the first glob of `globs` that pathspec (or a line break)
    refuses: a glob given on the command line or in a config file is the user's to
    fix (exit 2), not a crash when the first path is matched.

    The message names the glob by its entry number, never by its text: a config
    file in the scanned tree is scanned input, and a glob in it may hold a secret.
    A glob given on the command line is named the same way (`--exclude`, entry 2):
    one wording wherever a glob came from, so no path can quote a scanned one."""
    try:
        if globs:  # compiled now, even when no path could be named yet
            PathMatcher(globs)._spec()
    except Exception as exc:
        bad = next((n for n, g in enumerate(globs, 1) if _refused(g)), None)
        what = f"invalid glob (entry {bad}: " if bad is not None else "invalid globs ("
        raise ConfigError(f"{where}: {what}{_glob_problem(exc)})") from None


def _refused(glob: str) -> bool:
    try:
        PathMatcher([glob])._spec()
    except Exception:
        return True
    return False


def _glob_problem(exc: Exception) -> str:
    """What was wrong with a glob, in words that quote nothing of it: pathspec's
    message quotes the whole pattern, and `gitglob` names an unknown character
    class by the name the glob gave it (`[:name:]`), which is cut off here."""
    from scanner.gitglob import GlobError

    if isinstance(exc, ConfigError | GlobError):  # keysweep's own words
        return " ".join(str(exc).split(" [:", 1)[0].split())[:200]
    return "pathspec refuses it as a gitignore pattern"


def _one_line(glob: str) -> str:
    """A glob as a gitignore line holds it: line breaks at its end (a YAML block
    scalar's) are the end of the line, as pathspec always read them."""
    return glob.rstrip("\r\n") if glob.endswith("\n") else glob


_PLAIN = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-+@~%,=:/*?")
"""Characters of a glob that is never refused and whose `*` and `?` stay within
one name."""
_WILD = ("*", "?")


class _Names:
    """A test that rules paths out without pathspec: a path can match a plain
    glob only if one of its names (between slashes) matches the glob's last name
    that is not `**`, so that name begins with the text before that name's first
    wildcard and ends with the text after its last. Only a path passing the test
    goes to pathspec, which decides; the test never decides a match."""

    def __init__(self, suffixes: tuple[str, ...], prefixes: tuple[str, ...]) -> None:
        self._suffixes = suffixes
        self._prefixes = prefixes

    @classmethod
    def of(cls, globs: Sequence[str]) -> _Names | None:
        """The test for these globs; None when a glob is not plain or a path with
        any names could match it."""
        suffixes: list[str] = []
        prefixes: list[str] = []
        for glob in globs:
            names = [n for n in glob.split("/") if n and n != "**"]
            if not _PLAIN.issuperset(glob) or not names:
                return None
            last = names[-1]
            head, tail = _head(last), _tail(last)
            if tail:
                suffixes.append(tail)
            elif head:
                prefixes.append(head)
            else:
                return None
        return cls(tuple(suffixes), tuple(prefixes))

    def could_name(self, path: str) -> bool:
        """False only where no glob can match. The path holds no line break (each was
        stood in), so pathspec's `$` (before 1.0 it matched before a final line break
        too, so `id_rsa\\n` matched `id_rsa`) matches only at the path's end."""
        suffixes, prefixes = self._suffixes, self._prefixes
        return any(n.endswith(suffixes) or n.startswith(prefixes) for n in path.split("/"))


def _head(name: str) -> str:
    """`name` up to its first wildcard."""
    cut = min((name.find(w) for w in _WILD if w in name), default=len(name))
    return name[:cut]


def _tail(name: str) -> str:
    """`name` after its last wildcard."""
    cut = max((name.rfind(w) for w in _WILD), default=-1)
    return name[cut + 1 :]


def _names_file(patterns: Sequence[Any], path: str) -> bool:
    """Gitignore order (the last matching glob decides), counting a match only where
    it ends at the path's end: pathspec marks a match on a parent folder `ps_d`.
    A regex is searched, as pathspec does: the one for `**/*/**` is `/`."""
    named = False
    for pattern in patterns:
        regex = getattr(pattern, "regex", None)
        found = regex.search(path) if regex is not None and pattern.include is not None else None
        if found is not None and not (pattern.include and found.groupdict().get("ps_d")):
            named = bool(pattern.include)
    return named


class ValueAllowlist:
    """Regexes for documented example values; RE2, so no pattern can hang a scan."""

    def __init__(self, patterns: Sequence[str]) -> None:
        self._patterns = [re2.compile(p.encode()) for p in patterns]

    def matches(self, secret: bytes) -> bool:
        return any(p.search(secret) for p in self._patterns)


ALL_RULES = "*"


class InlineAllows:
    """The inline allow comments of one item, read in one pass: `keysweep:allow`
    (every rule), `keysweep:allow <rule-id> …`, or the other scanners' markers that
    teams already have in their code, `pragma: allowlist secret` (detect-secrets)
    and `gitleaks:allow` (gitleaks), which allow every rule.
    A comment covers its own line and the line below it."""

    def __init__(self, data: bytes) -> None:
        self._by_line: dict[int, set[str]] = {}
        if b"allow" not in data:
            return
        line, counted = 1, 0
        for found in _COMMENT.finditer(data):
            start = found.start()
            line += data.count(b"\n", counted, start)
            counted = start
            self._by_line.setdefault(line, set()).update(_rules_named(found))

    def allows(self, line: int, rule_id: str) -> bool:
        for number in (line, line - 1):
            names = self._by_line.get(number)
            if names and (ALL_RULES in names or rule_id in names):
                return True
        return False


def _rules_named(found: Any) -> set[str]:
    names = found.group(1)
    if not names:  # a bare keysweep:allow, or the detect-secrets or gitleaks marker
        return {ALL_RULES}
    return {n.decode() for n in _SPLIT.split(names.strip()) if n}
