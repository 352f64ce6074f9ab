"""A `.gitleaks.toml` → keysweep rule mappings, with what could not be converted.

A team's custom gitleaks rules encode what it knows about its own tokens; losing
them silently in a switch would lower recall without anyone noticing. So every
part of every rule is either converted or named in a `Note`: regex (one
`secret` group), `secretGroup`, `keywords`, `entropy`, `path` (as include globs),
and allowlists (`regexes` on the secret, `stopwords`, `paths` as exclude globs).
Allowlist regexes aimed at the whole match or line, commit allowlists and `AND`
conditions have no keysweep equivalent and are reported. `[extend]` with `path`
merges the base file first, as gitleaks does; `useDefault` is reported, because
keysweep's own built-in rules take the place of gitleaks' defaults.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import re2

from scanner import safeload
from scanner.compat.gitleaks_regex import convert_pattern, path_globs, re2_problem
from scanner.errors import ConfigError

MAX_EXTEND_DEPTH = 2
"""gitleaks follows `[extend] path` two levels deep; so do we."""
_ID_CHARS = re.compile(r"[^a-z0-9._-]+")
FILE_NOTE = "(file)"


@dataclass(frozen=True)
class Note:
    """One part of one gitleaks rule (or of the file) that was not carried over."""

    rule: str
    text: str

    def __str__(self) -> str:
        return f"gitleaks rule {self.rule}: {self.text}" if self.rule != FILE_NOTE else self.text


@dataclass(frozen=True)
class Conversion:
    rules: tuple[dict[str, Any], ...]
    notes: tuple[Note, ...]
    skipped: tuple[str, ...] = ()
    """gitleaks rule ids that produced no keysweep rule at all."""
    total: int = 0


@dataclass
class _Rule:
    """One rule being converted: the mapping so far and its notes."""

    source: Mapping[str, Any]
    out: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    dropped: bool = False

    def note(self, text: str) -> None:
        self.notes.append(text)


def read_config(path: Path, depth: int = 0) -> dict[str, Any]:
    """The TOML with `[extend] path` merged in (the extending file wins)."""
    try:
        data = tomllib.loads(safeload.read_text(path))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, safeload.LoadError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not TOML: {exc}") from None
    base = _extended(data, path, depth)
    return _merge(base, data) if base else data


def _extended(data: Mapping[str, Any], path: Path, depth: int) -> dict[str, Any] | None:
    extend = data.get("extend")
    if not isinstance(extend, Mapping) or not extend.get("path"):
        return None
    if depth >= MAX_EXTEND_DEPTH:
        raise ConfigError(f"{path}: [extend] nests deeper than {MAX_EXTEND_DEPTH} files")
    base = read_config(path.parent / str(extend["path"]), depth + 1)
    disabled = set(_list(extend.get("disabledRules")))
    base["rules"] = [r for r in _rules(base) if r.get("id") not in disabled]
    return base


def _merge(base: dict[str, Any], child: Mapping[str, Any]) -> dict[str, Any]:
    """gitleaks' merge: a rule with a known id takes the extending file's fields
    over the base's, and both files' allowlists apply."""
    by_id = {r.get("id"): dict(r) for r in _rules(base)}
    for rule in _rules(child):
        old = by_id.get(rule.get("id"), {})
        lists = _allowlists(old) + _allowlists(rule)
        merged_rule = {**old, **rule, "allowlists": lists}
        merged_rule.pop("allowlist", None)
        by_id[rule.get("id")] = merged_rule
    merged = {**base, **{k: v for k, v in child.items() if k != "extend"}}
    merged["rules"] = list(by_id.values())
    merged["allowlists"] = _allowlists(base) + _allowlists(child)
    merged.pop("allowlist", None)
    merged["extend"] = child.get("extend")
    return merged


def _rules(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    rules = data.get("rules", [])
    return [r for r in rules if isinstance(r, Mapping)] if isinstance(rules, list) else []


def _allowlists(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """`[allowlist]` (older gitleaks) and `[[allowlists]]` (newer) alike."""
    found = [data["allowlist"]] if isinstance(data.get("allowlist"), Mapping) else []
    many = data.get("allowlists")
    return found + ([a for a in many if isinstance(a, Mapping)] if isinstance(many, list) else [])


def _list(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


# --- conversion ---------------------------------------------------------------


def convert(
    data: Mapping[str, Any], *, prefix: str = "gitleaks", severity: str = "high"
) -> Conversion:
    """Every rule of the (merged) config, converted or accounted for."""
    shared = [_global(a) for a in _allowlists(data)]
    notes = [Note(FILE_NOTE, text) for text in _file_notes(data)]
    notes += [Note(FILE_NOTE, text) for work, _ in shared for text in work.notes]
    rules, skipped = [], []
    for source in _rules(data):
        work = _convert_rule(source, shared, prefix, severity)
        rule_id = str(source.get("id", "?"))
        notes += [Note(rule_id, text) for text in work.notes]
        if work.dropped:
            skipped.append(rule_id)
        else:
            rules.append(work.out)
    return Conversion(tuple(rules), tuple(notes), tuple(skipped), len(_rules(data)))


def _global(allowlist: Mapping[str, Any]) -> tuple[_Rule, tuple[str, ...]]:
    """A global allowlist converted once (its notes are said once), and the rule
    ids it is limited to (`targetRules`; empty: every rule)."""
    work = _Rule({}, {})
    _apply_allowlist(work, allowlist, where="global allowlist")
    return work, tuple(_list(allowlist.get("targetRules")))


def _file_notes(data: Mapping[str, Any]) -> Iterable[str]:
    extend = data.get("extend")
    if isinstance(extend, Mapping) and extend.get("useDefault"):
        yield (
            "[extend] useDefault: gitleaks' default rules are not converted; keysweep's "
            "built-in rules cover that ground (scan without --no-builtin-rules)"
        )
        if extend.get("disabledRules"):
            yield "[extend] disabledRules of gitleaks' defaults: use disabled_rules in .keysweep.yaml"


def _convert_rule(
    source: Mapping[str, Any],
    shared: Sequence[tuple[_Rule, tuple[str, ...]]],
    prefix: str,
    severity: str,
) -> _Rule:
    work = _Rule(source, {"id": _rule_id(prefix, source.get("id"))})
    work.out["name"] = str(source.get("description") or source.get("id") or "gitleaks rule")
    work.out["kind"] = _kind(str(source.get("id", "")))
    work.out["severity"] = severity
    for step in (_pattern, _keywords, _entropy, _paths, _allowed):
        step(work)
        if work.dropped:
            return work
    for allowed, targets in shared:
        if not targets or str(source.get("id")) in targets:
            _inherit(work.out, allowed.out)
    work.out["description"] = f"Converted from gitleaks rule {source.get('id')}."
    return work


def _rule_id(prefix: str, raw: Any) -> str:
    text = _ID_CHARS.sub("-", str(raw or "rule").lower()).strip("-._") or "rule"
    return f"{prefix}.{text}"[:100]


def _kind(raw_id: str) -> str:
    lowered = raw_id.lower()
    return "token" if "token" in lowered or "key" in lowered else "credential"


def _pattern(work: _Rule) -> None:
    regex, group = work.source.get("regex"), work.source.get("secretGroup", 0)
    if not regex:
        _path_only(work)
        return
    converted = convert_pattern(str(regex), int(group) if isinstance(group, int) else 0)
    if converted.pattern is None:
        work.note(f"regex not converted: {converted.problem}")
        work.dropped = True
        return
    if converted.note:
        work.note(converted.note)
    work.out["pattern"] = converted.pattern


def _path_only(work: _Rule) -> None:
    """A rule with a path and no regex flags the file itself: a key-file rule."""
    globs = path_globs(str(work.source.get("path", "")))
    if not globs:
        work.note("neither a regex nor a path regex keysweep can express as globs")
        work.dropped = True
        return
    work.out["kind"] = "key-file"


def _keywords(work: _Rule) -> None:
    words = [w for w in _list(work.source.get("keywords")) if w.strip()]
    ascii_words = [w for w in words if w.isascii()]
    if len(ascii_words) < len(words):
        work.note("keywords that are not ASCII dropped (the rule runs on every file instead)")
        ascii_words = []
    if ascii_words:
        work.out["keywords"] = ascii_words


def _entropy(work: _Rule) -> None:
    value = work.source.get("entropy")
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value <= 8:
        work.out["entropy"] = float(value)


def _paths(work: _Rule) -> None:
    raw = work.source.get("path")
    if not raw:
        return
    globs = path_globs(str(raw))
    if globs is None:
        work.note(f"path regex {str(raw)!r} has no glob equivalent: the rule runs on every path")
        return
    work.out["paths"] = {"include": list(globs)}


def _inherit(out: dict[str, Any], allowed: Mapping[str, Any]) -> None:
    for regex in allowed.get("allow", []):
        _add(out, "allow", regex)
    for glob in allowed.get("paths", {}).get("exclude", []):
        excluded = out.setdefault("paths", {}).setdefault("exclude", [])
        if glob not in excluded:
            excluded.append(glob)


def _allowed(work: _Rule) -> None:
    for allowlist in _allowlists(work.source):
        _apply_allowlist(work, allowlist, where="allowlist")


def _apply_allowlist(work: _Rule, allowlist: Mapping[str, Any], *, where: str) -> None:
    kinds = [k for k in ("regexes", "stopwords", "paths", "commits") if allowlist.get(k)]
    if str(allowlist.get("condition", "OR")).upper() == "AND" and len(kinds) > 1:
        work.note(f"{where} with condition AND ({', '.join(kinds)}) not converted")
        return
    _allow_regexes(work, allowlist, where)
    _allow_stopwords(work, allowlist)
    _allow_paths(work, allowlist, where)
    if allowlist.get("commits"):
        work.note(f"{where} commits not converted: list them in .gitleaksignore or a baseline")


def _allow_regexes(work: _Rule, allowlist: Mapping[str, Any], where: str) -> None:
    regexes = _list(allowlist.get("regexes"))
    target = str(allowlist.get("regexTarget") or "secret")
    if regexes and target != "secret":
        work.note(
            f"{where} regexes on the {target} not converted (keysweep's allow sees the secret)"
        )
        return
    for regex in regexes:
        problem = re2_problem(regex)
        if problem:
            work.note(f"{where} regex not converted: {problem}")
        else:
            _add(work.out, "allow", regex)


def _allow_stopwords(work: _Rule, allowlist: Mapping[str, Any]) -> None:
    words = [w.lower() for w in _list(allowlist.get("stopwords")) if w]
    if words:
        _add(work.out, "allow", "(?i)" + "|".join(re2.escape(w) for w in sorted(set(words))))


def _allow_paths(work: _Rule, allowlist: Mapping[str, Any], where: str) -> None:
    for regex in _list(allowlist.get("paths")):
        globs = path_globs(regex)
        if globs is None:
            work.note(f"{where} path {regex!r} has no glob equivalent: not converted")
            continue
        excluded = work.out.setdefault("paths", {}).setdefault("exclude", [])
        for glob in globs:
            wider = glob.startswith("/") and glob[1:] in globs  # `vendor/` covers `/vendor/`
            if glob not in excluded and not wider:
                excluded.append(glob)


def _add(out: dict[str, Any], name: str, value: str) -> None:
    values = out.setdefault(name, [])
    if value not in values:
        values.append(value)
