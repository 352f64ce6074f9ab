"""`keysweep registry import-jwks`: build and update a registry from JWKS snapshots."""

from __future__ import annotations

import json
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from click.testing import CliRunner

from scanner.cli import cli
from scanner.model import Verdict
from scanner.registry import load_registry
from scanner.registry.crosscheck import check_tokens


def write_jwks(path: Path, keys: list[dict[str, str]]) -> Path:
    path.write_text(json.dumps({"keys": keys}))
    return path


def import_jwks(source: Path, registry: Path, today: str) -> Any:
    args = ["registry", "import-jwks", str(source), "--registry", str(registry), "--today", today]
    return CliRunner().invoke(cli, args)


def test_import_twice_deactivates_the_key_that_disappeared(
    tmp_path: Path, kit: ModuleType, rsa_key: Any, ec_key: Any, ed_key: Any
) -> None:
    registry = tmp_path / "registry.yaml"
    first = [
        {**kit.public_jwk(rsa_key, kid="2019-signer"), "alg": "RS256", "use": "sig"},
        {**kit.public_jwk(ec_key, kid="2024-ec"), "alg": "ES256"},
        kit.public_jwk(ed_key),
    ]
    result = import_jwks(write_jwks(tmp_path / "a.json", first), registry, "2025-01-01")
    assert result.exit_code == 0, result.output
    assert "added 3, updated 0, deactivated 0" in result.stderr
    loaded = load_registry(registry)
    by_id = {k.id: k for k in loaded.keys}
    assert set(by_id) == {
        "2019-signer",
        "2024-ec",
        f"jwk-{kit.thumbprint(kit.public_jwk(ed_key))[:16]}",
    }
    rsa_entry = by_id["2019-signer"]
    assert rsa_entry.fingerprints["spki_sha256"] == (kit.spki_hex(rsa_key),)
    assert rsa_entry.fingerprints["jwk_thumbprint"] == (kit.thumbprint(first[0]),)
    assert (rsa_entry.algorithm, rsa_entry.state, rsa_entry.kids) == (
        "RS256",
        "active",
        ("2019-signer",),
    )
    assert rsa_entry.public_jwk is not None and "d" not in rsa_entry.public_jwk

    second = first[1:]
    result = import_jwks(write_jwks(tmp_path / "b.json", second), registry, "2025-06-30")
    assert result.exit_code == 0, result.output
    assert "added 0, updated 2, deactivated 1" in result.stderr
    retired = load_registry(registry).entry("2019-signer")
    assert retired is not None
    assert retired.state == "deactivated"
    assert retired.dates["deactivated"].isoformat() == "2025-06-30"


def test_imported_public_part_verifies_tokens(
    tmp_path: Path, kit: ModuleType, rsa_key: Any
) -> None:
    import jwt

    registry = tmp_path / "r.json"
    jwks = write_jwks(tmp_path / "a.json", [{**kit.public_jwk(rsa_key, kid="k1"), "alg": "RS256"}])
    assert import_jwks(jwks, registry, "2025-01-01").exit_code == 0
    assert import_jwks(write_jwks(tmp_path / "b.json", []), registry, "2025-02-01").exit_code == 0
    token = jwt.encode({"sub": "x"}, rsa_key, algorithm="RS256", headers={"kid": "k1"}).encode()
    [(_, hit)] = check_tokens(load_registry(registry), [token], [])
    assert hit is not None and hit.verdict is Verdict.TOKEN_SIGNED_BY_RETIRED_KEY


def test_hand_written_entries_are_kept(
    tmp_path: Path, kit: ModuleType, rsa_key: Any, ec_key: Any
) -> None:
    registry = tmp_path / "registry.yaml"
    registry.write_text(
        yaml.safe_dump(
            {
                "schema": "keysweep/key-registry/v1",
                "keys": [
                    {
                        "id": "hand-written",
                        "kind": "asymmetric",
                        "state": "active",
                        "owner": {"team": "identity"},
                        "fingerprints": {"spki_sha256": kit.spki_hex(rsa_key)},
                    }
                ],
            }
        )
    )
    result = import_jwks(
        write_jwks(tmp_path / "a.json", [kit.public_jwk(rsa_key, kid="rk")]), registry, "2025-01-01"
    )
    assert "added 0, updated 1" in result.stderr
    result = import_jwks(
        write_jwks(tmp_path / "b.json", [kit.public_jwk(ec_key)]), registry, "2025-02-01"
    )
    entry = load_registry(registry).entry("hand-written")
    assert (
        entry is not None and entry.state == "active"
    )  # not added by an import: never deactivated
    assert entry.team == "identity" and entry.kids == ("rk",)


def test_jwks_with_private_members_is_refused(tmp_path: Path, kit: ModuleType, ec_key: Any) -> None:
    leaked = {**kit.public_jwk(ec_key, kid="oops"), "d": "bm90LXJlYWxseQ"}
    registry = tmp_path / "registry.yaml"
    result = import_jwks(write_jwks(tmp_path / "leak.json", [leaked]), registry, "2025-01-01")
    assert result.exit_code == 2
    assert "keys[0]: JWK private member 'd'" in result.stderr
    assert "key leak" in result.stderr
    assert not registry.exists()


def test_symmetric_jwk_is_refused(tmp_path: Path) -> None:
    jwks = write_jwks(tmp_path / "oct.json", [{"kty": "oct", "k": "c2VjcmV0"}])
    result = import_jwks(jwks, tmp_path / "r.yaml", "2025-01-01")
    assert result.exit_code == 2 and "JWK private member 'k'" in result.stderr


def test_not_a_jwks(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"keys": 3}')
    result = import_jwks(bad, tmp_path / "r.yaml", "2025-01-01")
    assert result.exit_code == 2 and "no 'keys' list" in result.stderr
    result = import_jwks(tmp_path / "absent.json", tmp_path / "r.yaml", "2025-01-01")
    assert result.exit_code == 2 and "cannot read" in result.stderr


def test_import_from_a_url(tmp_path: Path, kit: ModuleType, ed_key: Any) -> None:
    """A local HTTP server stands in for an identity provider's jwks_uri."""
    import http.server
    import threading

    body = json.dumps({"keys": [kit.public_jwk(ed_key, kid="idp-1")]}).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/.well-known/jwks.json"
        registry = tmp_path / "registry.yaml"
        args = ["registry", "import-jwks", url, "--registry", str(registry), "--timeout", "5"]
        result = CliRunner().invoke(cli, args)
    finally:
        server.shutdown()
        server.server_close()
    assert result.exit_code == 0, result.output
    entry = load_registry(registry).entry("idp-1")
    assert entry is not None and entry.fingerprints["spki_sha256"] == (kit.spki_hex(ed_key),)


def test_unreachable_url_is_one_clear_line(tmp_path: Path) -> None:
    url = "http://127.0.0.1:9/jwks.json"
    args = [
        "registry",
        "import-jwks",
        url,
        "--registry",
        str(tmp_path / "r.yaml"),
        "--timeout",
        "2",
    ]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"keysweep: error: {url}: cannot fetch")
    assert len(result.stderr.strip().splitlines()) == 1
