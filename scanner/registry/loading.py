"""Read a registry file (YAML or JSON), validate it, normalise it, index it.

Every problem is a RegistryError with one line: `<file>: <where>: <problem>`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from scanner import safeload
from scanner.errors import RegistryError, yaml_problem
from scanner.registry import material
from scanner.registry.entries import (
    FINGERPRINT_KINDS,
    KeyEntry,
    Person,
    Registry,
    SecretHash,
    due_from_period,
)

PATTERN_HINTS = {
    "spki_sha256": "expected 64 hex digits (SHA-256 of the DER SubjectPublicKeyInfo)",
    "secret_hash": "expected 64 hex digits (scrypt output per registry.secret_hash)",
    "x509_sha256": "expected 64 hex digits (SHA-256 of the DER certificate)",
    "jwk_thumbprint": "expected 43 base64url characters (RFC 7638 SHA-256 thumbprint)",
    "ssh_sha256": "expected 'SHA256:' and 43 base64 characters, as ssh-keygen -l prints",
    "pgp": "expected a 40 (v4) or 64 (v5/v6) hex digit fingerprint",
    "id": "expected letters, digits and . _ : @ / + = -",
    "person": "expected letters, digits and . _ : @ / + = -",
}
HEX_KINDS = ("spki_sha256", "pgp", "secret_hash")


@cache
def schema() -> dict[str, Any]:
    text = resources.files("scanner.registry").joinpath("schema.json").read_text("utf-8")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def load_registry(path: Path) -> Registry:
    """Load, validate and index the registry at `path`."""
    document = read_document(path)
    return build(document, str(path))


def load_registries(paths: Sequence[Path]) -> Registry:
    """Several registry files as one (`--registry` repeated). A key id listed twice,
    in one file or across files, is an error naming both places."""
    documents = [(str(path), read_document(path)) for path in paths]
    if len(documents) == 1:
        return build(documents[0][1], documents[0][0])
    return build(merge_documents(documents), documents[0][0])


def merge_documents(documents: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """One document holding every file's keys and people."""
    seen: dict[str, str] = {}
    merged: dict[str, Any] = {"schema": documents[0][1].get("schema"), "keys": [], "people": []}
    people: dict[str, tuple[str, Any]] = {}
    for name, document in documents:
        for key in document.get("keys") or []:
            if key["id"] in seen:
                raise RegistryError(
                    f"{name}: keys[id={key['id']}]: duplicate id, also in {seen[key['id']]}"
                )
            seen[key["id"]] = name
            merged["keys"].append(key)
        for person in document.get("people") or []:
            other = people.setdefault(person["id"], (name, person))
            if other[1] != person:
                raise RegistryError(
                    f"{name}: people[id={person['id']}]: differs from the entry in {other[0]}"
                )
        _merge_meta(merged, name, document)
    merged["people"] = [person for _, person in people.values()]
    return merged


def _merge_meta(merged: dict[str, Any], name: str, document: Mapping[str, Any]) -> None:
    """Names join; secret hashing parameters must agree (hashes are compared as they are)."""
    meta = document.get("registry") or {}
    target = merged.setdefault("registry", {})
    if meta.get("name"):
        target["name"] = " + ".join(filter(None, [target.get("name"), meta["name"]]))
    params = meta.get("secret_hash")
    if params and target.get("secret_hash") not in (None, params):
        raise RegistryError(f"{name}: registry.secret_hash differs from an earlier registry's")
    if params:
        target["secret_hash"] = params


def read_document(path: Path) -> dict[str, Any]:
    """The validated, normalised document (for importers that rewrite it)."""
    try:
        text = safeload.read_text(path)
    except (OSError, UnicodeDecodeError, safeload.LoadError) as exc:
        raise RegistryError(f"{path}: cannot read: {exc}") from None
    return validate(parse_text(text, str(path)), str(path))


def parse_text(text: str, name: str) -> Any:
    try:
        if text.lstrip().startswith("{"):
            return safeload.json_loads(text)
        return safeload.yaml_load(text)
    except safeload.LoadError as exc:
        raise RegistryError(f"{name}: {exc}") from None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        if isinstance(exc, json.JSONDecodeError):
            line = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
        else:
            line = yaml_problem(exc)
        raise RegistryError(f"{name}: not valid YAML or JSON: {line}") from None
    except ValueError:
        # PyYAML turns 2025-02-30 into a date and fails; read dates as text, so
        # `_check_dates` can name the key and the field.
        return yaml.load(text, Loader=_TextDates)


class _TextDates(yaml.SafeLoader):
    """SafeLoader that leaves timestamps as strings."""


_TextDates.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def validate(document: Any, name: str) -> dict[str, Any]:
    """Reject key material, normalise fingerprints, check the schema."""
    document = _plain(document)
    if not isinstance(document, dict):
        raise RegistryError(f"{name}: expected a mapping with 'schema: keysweep/key-registry/v1'")
    problem = material.find(document)
    if problem is not None:
        where, what = problem
        where = name_keys(where, document)
        raise RegistryError(f"{name}: {where}: {what}; a registry holds fingerprints only")
    _normalise(document)
    error = best_match(Draft202012Validator(schema()).iter_errors(document))
    if error is not None:
        raise RegistryError(f"{name}: {name_keys(describe(error), document)}")
    _check_unique(document, name)
    _check_dates(document, name)
    return document


_INDEXED = re.compile(r"\b(keys|people)\[(\d+)\]")


def name_keys(text: str, document: Mapping[str, Any]) -> str:
    """`keys[3].state` → `keys[id=svc-signing].state`: people read ids, not indexes.
    An entry without a usable id, or sharing it, is counted from 1 (`keys[#4]`)."""

    def named(found: re.Match[str]) -> str:
        section, index = found.group(1), int(found.group(2))
        entries = document.get(section)
        entry = entries[index] if isinstance(entries, list) and index < len(entries) else None
        ident = entry.get("id") if isinstance(entry, dict) else None
        if not isinstance(ident, str) or not _IDENT.fullmatch(ident):
            return f"{section}[#{index + 1}]"
        same = sum(1 for e in entries or [] if isinstance(e, dict) and e.get("id") == ident)
        return f"{section}[id={ident}]" if same == 1 else f"{section}[#{index + 1}, id={ident}]"

    return _INDEXED.sub(named, text)


_IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,199}")


def _check_unique(document: Mapping[str, Any], name: str) -> None:
    for section in ("keys", "people"):
        first: dict[str, int] = {}
        for number, entry in enumerate(document.get(section) or [], start=1):
            ident = entry["id"]
            if ident in first:
                raise RegistryError(
                    f"{name}: {section}[id={ident}]: duplicate id (entries #{first[ident]} "
                    f"and #{number})"
                )
            first[ident] = number


def _check_dates(document: Mapping[str, Any], name: str) -> None:
    """Dates that match the schema's shape but do not exist (2025-02-30)."""
    for key in document.get("keys") or []:
        where = f"keys[id={key['id']}]"
        for field_name, value in (key.get("dates") or {}).items():
            _date(value, f"{name}: {where}.dates.{field_name}")
        _date((key.get("rotation") or {}).get("due"), f"{name}: {where}.rotation.due")
    for person in document.get("people") or []:
        _date(person.get("departed_on"), f"{name}: people[id={person['id']}].departed_on")


def _date(value: Any, where: str) -> None:
    if value is None:
        return
    try:
        date.fromisoformat(value)
    except ValueError:
        raise RegistryError(f"{where}: {value} is not a date (YYYY-MM-DD)") from None


def describe(error: ValidationError) -> str:
    """jsonschema's error as `keys[3].fingerprints.spki_sha256: <problem>`."""
    where = _path(list(error.absolute_path))
    rules: Any = error.schema
    if error.validator == "additionalProperties":
        allowed = sorted(rules.get("properties", {}))
        instance: Any = error.instance
        extra = sorted(set(instance) - set(allowed))
        field = _path([*error.absolute_path, extra[0]]) if extra else where
        return f"{field}: unknown field (allowed: {', '.join(allowed)})"
    if error.validator == "required":
        return f"{where or 'top level'}: {error.message}"
    if error.validator == "pattern":
        last = str(error.absolute_path[-1]) if error.absolute_path else ""
        parent = str(error.absolute_path[-2]) if len(error.absolute_path) > 1 else ""
        hint = PATTERN_HINTS.get(last) or PATTERN_HINTS.get(parent) or "malformed value"
        return f"{where}: {hint}"
    if error.validator in ("enum", "const"):
        value: Any = error.validator_value
        choices = value if error.validator == "enum" else [value]
        return f"{where}: not one of {', '.join(map(str, choices))}"
    if error.validator == "type":
        return f"{where}: expected {error.validator_value}"
    # jsonschema's own message quotes the value, which may be a secret put in the wrong place
    return f"{where or 'top level'}: fails {error.validator} ({error.validator_value!r})"


def _path(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _plain(value: Any) -> Any:
    """YAML dates become ISO strings, so one schema serves YAML and JSON."""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def normal_hex(value: str) -> str:
    return value.replace(":", "").replace(" ", "").strip().lower()


def _normalise(document: dict[str, Any]) -> None:
    for key in document.get("keys") or []:
        prints = key.get("fingerprints") if isinstance(key, dict) else None
        if not isinstance(prints, dict):
            continue
        for kind in HEX_KINDS:
            if isinstance(prints.get(kind), str):
                prints[kind] = normal_hex(prints[kind])
        if isinstance(prints.get("x509_sha256"), str):
            prints["x509_sha256"] = [prints["x509_sha256"]]
        if isinstance(prints.get("x509_sha256"), list):
            prints["x509_sha256"] = [
                normal_hex(v) if isinstance(v, str) else v for v in prints["x509_sha256"]
            ]
        ssh = prints.get("ssh_sha256")
        if isinstance(ssh, str):
            prints["ssh_sha256"] = ssh.strip().rstrip("=")


def build(document: Mapping[str, Any], name: str) -> Registry:
    meta = document.get("registry") or {}
    params = meta.get("secret_hash")
    people = {p["id"]: _person(p) for p in document.get("people") or []}
    keys = tuple(_entry(k) for k in document.get("keys") or [])
    index: dict[tuple[str, str], tuple[str, ...]] = {}
    for entry in keys:
        for kind, values in entry.fingerprints.items():
            for value in values:
                index[(kind, value)] = (*index.get((kind, value), ()), entry.id)
    return Registry(
        name=meta.get("name") or Path(name).name,
        path=name,
        keys=keys,
        people=people,
        secret_hash=(
            SecretHash(params["salt"].encode(), params["n"], params["r"], params["p"])
            if params
            else None
        ),
        index=index,
    )


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _person(raw: Mapping[str, Any]) -> Person:
    return Person(id=raw["id"], status=raw["status"], departed_on=_day(raw.get("departed_on")))


def _entry(raw: Mapping[str, Any]) -> KeyEntry:
    dates = {k: date.fromisoformat(v) for k, v in (raw.get("dates") or {}).items()}
    rotation = raw.get("rotation") or {}
    start = dates.get("activated") or dates.get("created")
    due = _day(rotation.get("due")) or due_from_period(start, rotation.get("period_days"))
    prints: dict[str, tuple[str, ...]] = {}
    for kind, value in (raw.get("fingerprints") or {}).items():
        prints[kind] = tuple(value) if isinstance(value, list) else (value,)
    custody = raw.get("custody") or {}
    owner = raw.get("owner") or {}
    aliases = raw.get("aliases") or {}
    jwk = raw.get("public_jwk")
    return KeyEntry(
        id=raw["id"],
        kind=raw["kind"],
        state=raw["state"],
        purpose=raw.get("purpose"),
        algorithm=raw.get("algorithm"),
        dates=dates,
        rotation_due=due,
        owner=owner.get("person"),
        team=owner.get("team"),
        custody=custody.get("expected"),
        allowed_locations=tuple(custody.get("allowed_locations") or ()),
        fingerprints=prints,
        public_jwk=dict(jwk) if jwk else None,
        kids=tuple(
            dict.fromkeys(
                [*(aliases.get("jwk_kid") or ()), *([jwk["kid"]] if jwk and "kid" in jwk else [])]
            )
        ),
        cbom_ref=aliases.get("cbom_ref"),
        imported_from=raw.get("imported_from"),
    )


__all__ = ["FINGERPRINT_KINDS", "load_registries", "load_registry", "read_document", "validate"]
