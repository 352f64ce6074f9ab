"""Checking an uploaded report before anything is stored: valid JSON, the
shape the inventory reads (`report_schema.json`), and errors that name the
field and the rule it broke, never the value (which could be anything a
hostile client sent). The schema bounds each field so that what the inventory
derives from it (an identity `kind:value`, a fingerprint `key id:hash`) fits its
column; `MAX_PLACES` bounds what no schema keyword can: the sightings a report
makes, its findings and every finding's `locations` together."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match

from scanner import safeload
from scanner.errors import KeysweepError

MAX_PLACES = 100_000
"""Sightings one report may make (a finding, or each of its `locations`)."""


class Invalid(KeysweepError):
    """An upload that is not a keysweep JSON report (HTTP 422)."""


@cache
def _validator() -> Draft202012Validator:
    text = resources.files("scanner.server").joinpath("report_schema.json").read_text("utf-8")
    schema = json.loads(text)
    return Draft202012Validator(_inline(schema, schema.pop("$defs")))


def _inline(node: Any, defs: dict[str, Any]) -> Any:
    """The schema with its local `$ref`s replaced by their definitions: the same
    rules, validated a third faster (no reference lookups per finding)."""
    if isinstance(node, dict):
        if "$ref" in node:
            return _inline(defs[node["$ref"].rsplit("/", 1)[-1]], defs)
        return {key: _inline(value, defs) for key, value in node.items()}
    if isinstance(node, list):
        return [_inline(value, defs) for value in node]
    return node


def parse_upload(body: bytes) -> dict[str, Any]:
    """The report in `body`, checked against the upload schema."""
    try:
        document = safeload.json_loads(body)  # nesting bounded: no RecursionError
    except (ValueError, UnicodeDecodeError) as exc:
        where = f" at line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise Invalid(f"not JSON{where}") from None
    error = best_match(_validator().iter_errors(document))
    if error is not None:
        where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path)
        raise Invalid(f"report{where}: fails {error.validator}")
    assert isinstance(document, dict)
    if places(document) > MAX_PLACES:
        raise Invalid(f"report.findings: more than {MAX_PLACES} places (findings and locations)")
    return document


def places(document: dict[str, Any]) -> int:
    """How many sightings the report's findings make (as `extract._places` reads them)."""
    return sum(_places_of(f) for f in document["findings"] if isinstance(f, dict))


def _places_of(finding: dict[str, Any]) -> int:
    locations = finding.get("locations")
    return len(locations) if isinstance(locations, list) and len(locations) > 1 else 1
