"""One rule mapping → a validated `Rule`: every field is checked here.

Errors name the file, the rule id and the field, on one line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NoReturn

from scanner.engine.syntax import SECRET_GROUP, compile_re2, normalise, secret_group
from scanner.errors import RuleError
from scanner.model import Rule, RuleKind, Severity
from scanner.suppress import PathMatcher

_ID = re.compile(r"\A[a-z0-9][a-z0-9._-]{0,99}\Z")
_REQUIRED = ("id", "name", "kind", "severity")
_KNOWN = frozenset(
    {
        *_REQUIRED,
        "pattern",
        "keywords",
        "entropy",
        "paths",
        "allow",
        "examples",
        "negative_examples",
        "references",
        "description",
        "validate",
    }
)


class _Where:
    """Formats errors for one rule: `<file>: rule '<id>': field '<field>': <problem>`."""

    def __init__(self, file: str, rule: str) -> None:
        self.file = file
        self.rule = rule

    def fail(self, name: str, problem: str) -> NoReturn:
        raise RuleError(f"{self.file}: rule {self.rule}: field '{name}': {problem}")


def rule_from_mapping(entry: Any, file: str, number: int) -> Rule:
    where = _Where(file, f"#{number}")
    if not isinstance(entry, Mapping):
        where.fail("rules", f"entry {number} is not a mapping")
    raw_id = entry.get("id")
    if isinstance(raw_id, str) and raw_id:
        where = _Where(file, f"'{raw_id}'")
    for name in _REQUIRED:
        if name not in entry:
            where.fail(name, "missing")
    unknown = sorted(str(k) for k in entry if k not in _KNOWN)
    if unknown:
        where.fail(unknown[0], f"unknown field (known: {', '.join(sorted(_KNOWN))})")
    kind = _kind(entry["kind"], where)
    include, exclude = _paths(entry.get("paths"), where)
    return Rule(
        id=_rule_id(entry["id"], where),
        name=_text(entry["name"], "name", where),
        kind=kind,
        severity=_severity(entry["severity"], where),
        pattern=_pattern(entry.get("pattern"), kind, include, where),
        keywords=_keywords(entry.get("keywords"), where),
        entropy=_entropy(entry.get("entropy"), where),
        path_include=include,
        path_exclude=exclude,
        allow=_regexes(entry.get("allow"), "allow", where),
        examples=_strings(entry.get("examples"), "examples", where),
        negative_examples=_strings(entry.get("negative_examples"), "negative_examples", where),
        references=_strings(entry.get("references"), "references", where),
        description=_text(entry.get("description", ""), "description", where, empty=True),
        source_file=file,
        validate=_validator(entry.get("validate"), kind, where),
    )


def _validator(value: Any, kind: RuleKind, where: _Where) -> str | None:
    """A value check (`engine/validators.py`), or for a key-file rule a content
    check (`engine/structures.py`)."""
    from scanner.engine.structures import STRUCTURES
    from scanner.engine.validators import VALIDATORS

    if value is None:
        return None
    known = STRUCTURES if kind is RuleKind.KEY_FILE else VALIDATORS
    if not isinstance(value, str) or value not in known:
        where.fail("validate", f"expected one of {', '.join(sorted(known))}")
    return value


def _rule_id(value: Any, where: _Where) -> str:
    if not isinstance(value, str) or not _ID.match(value):
        where.fail("id", "expected lower-case letters, digits, '.', '_' or '-' (e.g. key.rsa)")
    return value


def _text(value: Any, name: str, where: _Where, empty: bool = False) -> str:
    if not isinstance(value, str) or (not empty and not value.strip()):
        where.fail(name, "expected a non-empty string" if not empty else "expected a string")
    return value.strip()


def _kind(value: Any, where: _Where) -> RuleKind:
    try:
        return RuleKind(value)
    except ValueError:
        where.fail("kind", f"expected one of {', '.join(k.value for k in RuleKind)}")


def _severity(value: Any, where: _Where) -> Severity:
    try:
        return Severity.parse(str(value))
    except ValueError as exc:
        where.fail("severity", str(exc))


def _strings(value: Any, name: str, where: _Where) -> tuple[str, ...]:
    if value is None:
        return ()
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) and v for v in items):
        where.fail(name, "expected a list of non-empty strings")
    return tuple(items)


def _keywords(value: Any, where: _Where) -> tuple[str, ...]:
    words = _strings(value, "keywords", where)
    if any(not w.strip() for w in words):
        where.fail("keywords", "a keyword is blank")
    return words


def _entropy(value: Any, where: _Where) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 8:
        where.fail("entropy", "expected a number of bits per byte between 0 and 8")
    return float(value)


def _paths(value: Any, where: _Where) -> tuple[tuple[str, ...], tuple[str, ...]]:
    if value is None:
        return (), ()
    if not isinstance(value, Mapping) or set(value) - {"include", "exclude"}:
        where.fail("paths", "expected a mapping with 'include' and/or 'exclude' lists")
    globs = []
    for part in ("include", "exclude"):
        items = _strings(value.get(part), f"paths.{part}", where)
        try:
            PathMatcher(items)
        except Exception as exc:
            where.fail(f"paths.{part}", f"invalid glob: {exc}")
        globs.append(items)
    return globs[0], globs[1]


def _regexes(value: Any, name: str, where: _Where) -> tuple[str, ...]:
    patterns = _strings(value, name, where)
    for index, pattern in enumerate(patterns, start=1):
        try:
            compile_re2(normalise(pattern))
        except Exception as exc:
            where.fail(name, f"entry {index} does not compile under RE2: {_message(exc)}")
    return patterns


def _pattern(value: Any, kind: RuleKind, include: tuple[str, ...], where: _Where) -> str | None:
    if kind is RuleKind.KEY_FILE:
        if not include:
            where.fail("paths.include", "a key-file rule needs path globs to match")
        if value is None:
            return None
    if value is None:
        where.fail("pattern", "missing (every rule except kind key-file needs one)")
    if not isinstance(value, str) or not value.strip():
        where.fail("pattern", "expected a regular expression (a non-empty string)")
    try:
        regex = compile_re2(normalise(value))
    except Exception as exc:
        where.fail("pattern", f"does not compile under RE2: {_message(exc)}")
    if kind is not RuleKind.KEY_FILE and secret_group(regex) is None:
        where.fail("pattern", f"has no named group '{SECRET_GROUP}' (write (?P<secret>...))")
    if regex.search(b"") is not None:
        where.fail("pattern", "matches the empty string")
    return value


def _message(exc: Exception) -> str:
    text = exc.args[0] if exc.args else str(exc)
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return " ".join(str(text).split())
