"""The service itself: TLS, rate limits, paging, JWKS pushes, the login audit."""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from .conftest import StartServer, items, keysweep, report_body

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "tls.crt", folder / "tls.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


@SQLITE_ONLY
def test_tls_when_given_a_certificate(start_server: StartServer, tmp_path: Path) -> None:
    cert, key = _self_signed(tmp_path)
    server = start_server(tls=(cert, key))
    assert server.url.startswith("https://")
    response = server.get("/login")
    assert response.status_code == 200
    cookie = response.headers["set-cookie"].lower()
    assert "secure" in cookie and "httponly" in cookie and "samesite=strict" in cookie
    with pytest.raises(httpx.HTTPError):
        httpx.get(server.url.replace("https:", "http:") + "/healthz", timeout=5)  # TLS only


@SQLITE_ONLY
def test_requests_beyond_the_rate_are_refused_per_token(start_server: StartServer) -> None:
    server = start_server("--rate", "20")
    viewer = server.token("viewer", "alice")
    other = server.token("viewer", "bob")
    statuses = [server.get("/api/exposures", viewer).status_code for _ in range(40)]
    assert statuses.count(429) >= 10 and statuses[0] == 200
    assert server.get("/api/exposures", other).status_code == 200  # bob has his own bucket
    refused = server.get("/api/exposures", viewer)
    if refused.status_code == 429:
        assert int(refused.headers["Retry-After"]) >= 1


@SQLITE_ONLY
def test_exposures_are_paged(start_server: StartServer) -> None:
    server = start_server()
    viewer = server.token("viewer", "alice")
    for number in range(3):
        host = server.token("host", f"laptop-{number}")
        body = report_body(
            f"laptop-{number}",
            "2026-03-01T09:00:00Z",
            f"{number:02x}" * 32,
            key_id=f"old-key-{number}",
            state="deactivated",
        )
        assert server.put("/api/reports", body, host).status_code == 201
    first = server.get("/api/exposures?per_page=2", viewer).json()
    assert (first["total"], first["next_page"], len(first["items"])) == (3, 2, 2)
    second = server.get("/api/exposures?per_page=2&page=2", viewer).json()
    assert second["next_page"] is None
    keys = [i["key"] for i in first["items"] + second["items"]]
    assert keys == ["old-key-0", "old-key-1", "old-key-2"]
    hosts = items(server.get("/api/hosts", viewer))
    assert [(h["host"], h["exposures"]) for h in hosts] == [
        ("laptop-0", 1),
        ("laptop-1", 1),
        ("laptop-2", 1),
    ]
    assert server.get("/api/hosts/laptop-9", viewer).status_code == 404


def _jwks(tmp_path: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key()
    numbers = key.public_numbers()

    def b64(n: int) -> str:
        raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    path = tmp_path / "jwks.json"
    path.write_text(
        json.dumps(
            {
                "keys": [
                    {
                        "kty": "RSA",
                        "n": b64(numbers.n),
                        "e": b64(numbers.e),
                        "kid": "signer-2026",
                        "alg": "RS256",
                    }
                ]
            }
        )
    )
    return path


@SQLITE_ONLY
def test_a_jwks_is_imported_into_the_current_registry_version(
    start_server: StartServer, tmp_path: Path
) -> None:
    server = start_server()
    admin = server.token_file(server.token("admin", "sec"))
    viewer = server.token("viewer", "alice")
    jwks = _jwks(tmp_path)
    done = keysweep(
        "server",
        "registry",
        "push",
        jwks,
        "--as",
        "jwks",
        "--server",
        server.url,
        "--token-file",
        admin,
    )
    assert done.returncode == 0, done.stderr
    assert "registry version 1" in done.stdout
    again = keysweep(
        "server",
        "registry",
        "push",
        jwks,
        "--as",
        "jwks",
        "--server",
        server.url,
        "--token-file",
        admin,
    )
    assert "registry unchanged (version 1)" in again.stdout
    [version] = items(server.get("/api/registry/versions", viewer))
    assert (version["source"], version["keys"]) == ("jwks:jwks.json", 1)
    assert server.get("/api/registry", viewer).status_code == 403  # the document is admin-only


@SQLITE_ONLY
def test_logins_are_in_the_audit_log(start_server: StartServer) -> None:
    server = start_server()
    viewer = server.token("viewer", "alice")
    admin = server.token("admin", "sec")
    with httpx.Client(base_url=server.url) as client:
        page = client.get("/login").text
        csrf = page.split('name="csrf" value="')[1].split('"')[0]
        assert (
            client.post("/login", data={"token": "ksw_000000000000_nope", "csrf": csrf}).status_code
            == 401
        )
        ok = client.post("/login", data={"token": viewer, "csrf": csrf}, follow_redirects=False)
        assert ok.status_code == 303
        assert client.get("/").status_code == 200
        listed = json.loads(
            keysweep("server", "tokens", "--db", server.db, "--format", "json").stdout
        )
        alice = next(t for t in listed if t["name"] == "alice")
        assert alice["last_used_at"] is not None
        assert keysweep("server", "revoke", alice["id"], "--db", server.db).returncode == 0
        assert client.get("/", follow_redirects=False).status_code == 303  # session ended
    actions = [(a["action"], a["actor"]) for a in items(server.get("/api/audit", admin))]
    assert ("login-refused", "unknown token") in actions
    assert any(action == "login" and "viewer:alice" in actor for action, actor in actions)
