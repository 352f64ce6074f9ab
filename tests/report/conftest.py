"""Reports built from real findings: a real RSA key, a real signed JWT, random
credentials, all made at test time; the secrets are kept so tests can prove
that no output carries them."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import string
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from scanner.model import (
    Finding,
    FindingId,
    KeyInfo,
    Origin,
    RegistryVerdict,
    Report,
    RuleKind,
    ScanWarning,
    Severity,
    SourceKind,
    TokenInfo,
    Verdict,
)
from scanner.redact import finding_id, secret_info

REASON = "deactivated 2024-06-30, owner emp-1042 departed 2024-11-15"


@dataclass(frozen=True)
class Planted:
    report: Report
    secrets: tuple[bytes, ...]
    public_der: bytes
    spki_sha256: str


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def make_finding(
    secret: bytes,
    *,
    rule: str,
    name: str,
    kind: RuleKind,
    severity: Severity,
    origin: Origin,
    line: int = 1,
    column: int = 1,
    end_line: int | None = None,
    key: KeyInfo | None = None,
    token: TokenInfo | None = None,
    registry: RegistryVerdict | None = None,
    message: str = "",
) -> Finding:
    info = secret_info(secret)
    return Finding(
        id=FindingId(finding_id(rule, origin.path, info.keyed_hash)),
        rule=rule,
        name=name,
        kind=kind,
        severity=severity,
        detector="rules",
        origin=origin,
        line=line,
        column=column,
        end_line=end_line or line,
        secret=info,
        key=key,
        token=token,
        registry=registry,
        message=message,
    )


def _key_finding(private: rsa.RSAPrivateKey) -> tuple[Finding, bytes, bytes, str]:
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    )
    public = private.public_key()
    der = public.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    ssh_blob = public.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).split()[1]
    numbers = public.public_numbers()
    jwk = {
        "e": b64url(numbers.e.to_bytes(3, "big")),
        "kty": "RSA",
        "n": b64url(numbers.n.to_bytes(256, "big")),
    }
    thumb = hashlib.sha256(json.dumps(jwk, separators=(",", ":")).encode()).digest()
    spki = hashlib.sha256(der).hexdigest()
    ssh_digest = hashlib.sha256(base64.b64decode(ssh_blob)).digest()
    ssh = "SHA256:" + base64.b64encode(ssh_digest).decode().rstrip("=")
    key = KeyInfo(
        format="pkcs1-pem",
        algorithm="RSA",
        bits=2048,
        fingerprints={
            "ssh_sha256": ssh,
            "spki_sha256": spki,
            "jwk_thumbprint": b64url(thumb),
        },
        public_der=der,
    )
    hit = RegistryVerdict(
        verdict=Verdict.RETIRED_KEY_PRESENT,
        severity=Severity.CRITICAL,
        key_id="key-auth-2019",
        state="deactivated",
        owner="emp-1042",
        owner_status="departed",
        matched_by="spki_sha256",
        reason=REASON,
    )
    finding = make_finding(
        pem,
        rule="key.rsa-pkcs1",
        name="RSA private key (PKCS#1 PEM)",
        kind=RuleKind.PRIVATE_KEY,
        severity=Severity.CRITICAL,
        origin=Origin(path="home/dev/.ssh/id_rsa", file_mode="0o600", file_owner="dev"),
        end_line=pem.count(b"\n"),
        key=key,
        registry=hit,
    )
    return finding, pem, der, spki


def _jwt(private: rsa.RSAPrivateKey) -> bytes:
    header = b64url(json.dumps({"alg": "RS256", "kid": "2019-signer", "typ": "JWT"}).encode())
    claims = b64url(json.dumps({"sub": "svc-billing", "iat": 1700000000}).encode())
    signing_input = f"{header}.{claims}".encode()
    signature = private.sign(signing_input, padding.PKCS1v15(), hashes.SHA256())
    return signing_input + b"." + b64url(signature).encode()


def _token_finding(token: bytes) -> Finding:
    info = TokenInfo(
        sha256=hashlib.sha256(token).hexdigest(),
        header={
            "alg": "RS256",
            "kid": "2019-signer",
            "typ": "JWT",
            "jwk": {"kty": "oct", "k": "c2VjcmV0"},
        },
        issued_at="2023-11-14T22:13:20Z",
        verified_by="key-auth-2019",
    )
    hit = RegistryVerdict(
        verdict=Verdict.TOKEN_SIGNED_BY_RETIRED_KEY,
        severity=Severity.CRITICAL,
        key_id="key-auth-2019",
        state="deactivated",
        matched_by="signature",
        reason="signed by key-auth-2019, " + REASON,
    )
    return make_finding(
        token,
        rule="token.jwt",
        name="JSON Web Token",
        kind=RuleKind.TOKEN,
        severity=Severity.CRITICAL,
        origin=Origin(path="var/log/app.log"),
        line=812,
        column=44,
        token=info,
        registry=hit,
    )


def random_text(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


@pytest.fixture(scope="session")
def planted() -> Planted:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_finding, pem, der, spki = _key_finding(private)
    token = _jwt(private)
    aws = ("AKIA" + random_text(string.ascii_uppercase + string.digits, 16)).encode()
    git_finding = make_finding(
        aws,
        rule="cloud.aws-access-key-id",
        name="AWS access key id",
        kind=RuleKind.CREDENTIAL,
        severity=Severity.HIGH,
        origin=Origin(
            path="deploy/settings.py",
            source=SourceKind.GIT,
            commit="3f2a9c1e8b7d6a5f4e3d2c1b0a9f8e7d6c5b4a39",
            author="Dana Dev <dana@example.test>",
            date="2024-03-05T10:11:12+00:00",
            at_head=False,
        ),
        line=14,
        column=21,
    )
    password = random_text(string.ascii_letters + string.digits + "!#%", 24).encode()
    archive_finding = make_finding(
        password,
        rule="generic.password-assignment",
        name="Password assignment",
        kind=RuleKind.CREDENTIAL,
        severity=Severity.MEDIUM,
        origin=Origin(path="dist/app.jar", archive_member="BOOT-INF/classes/application.yml"),
        line=7,
        column=15,
        message="entropy 4.6 bits per character",
    )
    errors = (
        ScanWarning("home/dev/secret.bin", "permission denied"),
        ScanWarning("home/dev/notes.txt", "invalid UTF-8; scanned with replacement"),
    )
    report = Report(
        findings=(git_finding, key_finding, archive_finding, _token_finding(token)),
        warnings=errors,
        suppressed={"inline": 2, "baseline": 1},
        items_scanned=1234,
        bytes_scanned=56_700_000,
        skipped={"binary": 3, "too-large": 1},
        elapsed=4.25,
        roots=(".",),
    )
    return Planted(report, (pem, token, aws, password), der, spki)
