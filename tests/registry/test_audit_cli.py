"""`keysweep registry check`: the registry's own hygiene, through the real CLI."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

from click.testing import CliRunner

from scanner.cli import cli

Writer = Callable[..., Path]
PEOPLE = [
    {"id": "emp-1042", "status": "departed", "departed_on": "2024-11-15"},
    {"id": "emp-2210", "status": "active"},
]


def key(key_id: str, spki: str, state: str = "active", **extra: Any) -> dict[str, Any]:
    return {
        "id": key_id,
        "kind": "asymmetric",
        "state": state,
        "fingerprints": {"spki_sha256": spki},
        **extra,
    }


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, ["registry", *args])


def check_json(path: Path, *extra: str) -> tuple[int, list[dict[str, Any]]]:
    result = run("check", str(path), "--format", "json", "--today", "2025-12-01", *extra)
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)["problems"]


def test_clean_registry_exits_0(write_registry: Writer, kit: ModuleType, rsa_key: Any) -> None:
    path = write_registry([key("k", kit.spki_hex(rsa_key), owner={"person": "emp-2210"})], PEOPLE)
    result = run("check", str(path), "--today", "2025-12-01")
    assert result.exit_code == 0, result.output
    assert "no problems" in result.stdout


def test_each_hygiene_problem_is_found(
    write_registry: Writer, kit: ModuleType, rsa_key: Any, ec_key: Any, ed_key: Any
) -> None:
    keys = [
        key("orphaned", kit.spki_hex(rsa_key), owner={"person": "emp-1042"}),
        key("stale", kit.spki_hex(ec_key), rotation={"due": "2025-06-30"}),
        key("expired", "b" * 64, dates={"expires": "2025-01-01"}),
        key("old", "c" * 64, "deactivated", dates={"deactivated": "2024-06-30"}),
        key("recent", "d" * 64, "deactivated", dates={"deactivated": "2025-11-01"}),
        key("gone", "e" * 64, "destroyed", dates={"destroyed": "2024-01-01"}),
        key("twin-a", kit.spki_hex(ed_key)),
        key("twin-b", kit.spki_hex(ed_key)),
        key("ghost-owner", "f" * 64, owner={"person": "emp-9999"}),
    ]
    code, problems = check_json(write_registry(keys, PEOPLE))
    assert code == 1
    found = {(p["check"], p["key_id"]) for p in problems}
    assert found == {
        ("departed-owner", "orphaned"),
        ("rotation-overdue", "stale"),
        ("rotation-overdue", "expired"),
        ("not-destroyed", "old"),
        ("duplicate-fingerprint", "twin-a"),
        ("unknown-owner", "ghost-owner"),
    }
    by_check = {p["check"]: p for p in problems}
    assert "emp-1042, departed 2024-11-15" in by_check["departed-owner"]["message"]
    assert "90-day grace period" in by_check["not-destroyed"]["message"]
    assert "twin-a, twin-b" in by_check["duplicate-fingerprint"]["message"]


def test_grace_period_is_an_option(write_registry: Writer) -> None:
    keys = [key("recent", "d" * 64, "deactivated", dates={"deactivated": "2025-11-01"})]
    code, problems = check_json(write_registry(keys), "--grace-days", "7")
    assert code == 1 and problems[0]["check"] == "not-destroyed"


def test_retired_key_still_published_in_jwks(
    write_registry: Writer, kit: ModuleType, rsa_key: Any, ec_key: Any, tmp_path: Path
) -> None:
    keys = [
        key(
            "retired-by-print",
            kit.spki_hex(rsa_key),
            "compromised",
            dates={"compromised": "2025-11-30"},
        ),
        key(
            "retired-by-kid",
            "a" * 64,
            "deactivated",
            dates={"deactivated": "2025-11-30"},
            aliases={"jwk_kid": ["ec-old"]},
        ),
    ]
    jwks = tmp_path / "jwks.json"
    jwks.write_text(
        json.dumps(
            {"keys": [kit.public_jwk(rsa_key, kid="x"), kit.public_jwk(ec_key, kid="ec-old")]}
        )
    )
    code, problems = check_json(write_registry(keys), "--jwks", str(jwks))
    assert code == 1
    published = {p["key_id"]: p["message"] for p in problems if p["check"] == "retired-published"}
    assert set(published) == {"retired-by-print", "retired-by-kid"}
    assert "matched by kid 'ec-old'" in published["retired-by-kid"]


def test_text_report_lists_problems(write_registry: Writer, kit: ModuleType, rsa_key: Any) -> None:
    path = write_registry(
        [key("orphaned", kit.spki_hex(rsa_key), owner={"person": "emp-1042"})], PEOPLE
    )
    result = run("check", str(path), "--today", "2025-12-01")
    assert result.exit_code == 1
    assert "high     departed-owner" in result.stdout
    assert "1 problems" in result.stdout


def test_invalid_registry_exits_2_with_one_line(write_registry: Writer) -> None:
    path = write_registry([key("k", "zz")])
    result = run("check", str(path))
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        f"keysweep: error: {path}: keys[id=k].fingerprints.spki_sha256: expected 64 hex digits (SHA-256 of the DER SubjectPublicKeyInfo)"
    ]


def test_bad_today_is_a_usage_error(write_registry: Writer) -> None:
    result = run("check", str(write_registry([key("k", "a" * 64)])), "--today", "yesterday")
    assert result.exit_code == 2
