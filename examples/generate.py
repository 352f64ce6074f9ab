"""Regenerate the example workstation tree and its key registry.

    python examples/generate.py

Every key here is a throwaway made for the demo: nothing in examples/ was ever
used anywhere. The repository's own .keysweep.yaml allowlists examples/ by path.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import secrets
import shutil
import string
import zipfile
from pathlib import Path

import jwt
import yaml
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from scanner.engine.validators import with_checksum

HERE = Path(__file__).resolve().parent
HOME = HERE / "workstation" / "home" / "dev"
SCRYPT = {"alg": "scrypt", "salt": "key-registry:example:v1", "n": 16384, "r": 8, "p": 1}


def spki_sha256(public_key: object) -> str:
    der = public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def ssh_sha256(public_key: object) -> str:
    blob = public_key.public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).split()[1]
    digest = hashlib.sha256(base64.b64decode(blob)).digest()
    return "SHA256:" + base64.b64encode(digest).decode().rstrip("=")


def write(path: Path, data: bytes | str, mode: int = 0o644) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    path.chmod(mode)


ALNUM = string.ascii_letters + string.digits


def token(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def self_signed(key: rsa.RSAPrivateKey, name: str):  # type: ignore[no-untyped-def]
    import datetime

    from cryptography import x509

    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime(2025, 1, 1, tzinfo=datetime.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )


WORKSTATION_CONFIG = """\
# The example workstation is scanned as a workstation would be. This (empty)
# config keeps the keysweep repository's own config, which allowlists examples/,
# from applying to it.
"""


def main() -> None:
    shutil.rmtree(HERE / "workstation", ignore_errors=True)
    (HERE / "workstation").mkdir()
    (HERE / "workstation" / ".keysweep.yaml").write_text(WORKSTATION_CONFIG)
    pem = serialization.Encoding.PEM
    none = serialization.NoEncryption()

    # The retired token-signing key a departed developer kept (the breach story).
    retired = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write(
        HOME / "old-projects/auth-service/keys/signing-2019.pem",
        retired.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL, none),
        0o644,
    )
    # Access tokens forged with it: one honest kid, one naming the current key.
    claims = {"sub": "user-1", "iat": 1718000000, "exp": 1718003600, "iss": "auth.example"}
    forged = [
        jwt.encode(claims, retired, algorithm="RS256", headers={"kid": kid})
        for kid in ("2019-signer", "2024-signer")
    ]
    log = "".join(
        f'203.0.113.7 - - [12/Jun/2024:10:0{i}:00 +0000] "GET /api/orders HTTP/1.1" 200 '
        f'"Authorization: Bearer {t}"\n'
        for i, t in enumerate(forged)
    )
    write(HOME / "old-projects/auth-service/logs/access.log", log)

    # The current signing key lives in KMS; only its public half is in the registry.
    current = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    current_jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(current.public_key()))

    # A payments key exported to a laptop in a PKCS#12 with the Java default password.
    payments = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    p12 = pkcs12.serialize_key_and_certificates(
        b"payments",
        payments,
        self_signed(payments, "payments-signing"),
        None,
        serialization.BestAvailableEncryption(b"changeit"),
    )
    write(HOME / "Downloads/payments-signing.p12", p12)

    # The developer's own SSH key: registered, allowed in ~/.ssh.
    ssh_key = ed25519.Ed25519PrivateKey.generate()
    write(
        HOME / ".ssh/id_ed25519",
        ssh_key.private_bytes(pem, serialization.PrivateFormat.OpenSSH, none),
        0o600,
    )
    write(
        HOME / ".ssh/id_ed25519.pub",
        ssh_key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        + b" dev@laptop\n",
    )

    # A shadow key nobody registered, and an encrypted key of unknown identity.
    shadow = ec.generate_private_key(ec.SECP256R1())
    write(
        HOME / "projects/webapp/deploy/webhook-signing.pem",
        shadow.private_bytes(pem, serialization.PrivateFormat.PKCS8, none),
    )
    locked = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write(
        HOME / "Documents/backup/server.key",
        locked.private_bytes(
            pem,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(secrets.token_hex(16).encode()),
        ),
    )

    # A key inside an archive someone mailed around.
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr(
            "infra/ci-deploy.pem",
            shadow.private_bytes(pem, serialization.PrivateFormat.TraditionalOpenSSL, none),
        )
    write(HOME / "Downloads/handover.zip", zipped.getvalue())

    # Hardcoded credentials in a project.
    hs256_secret = token(string.ascii_letters + string.digits, 40)
    aws_id = string.ascii_uppercase + "234567"  # AWS key ids are base32 after the prefix
    b64 = string.ascii_letters + string.digits + "+/"
    write(
        HOME / "projects/webapp/.env",
        f"AWS_ACCESS_KEY_ID=AKIA{token(aws_id, 16)}\n"
        f"AWS_SECRET_ACCESS_KEY={token(b64, 40)}\n"
        f"STRIPE_SECRET_KEY=sk_live_{token(string.ascii_letters + string.digits, 24)}\n"
        f"DATABASE_URL=postgres://webapp:{token(string.ascii_letters + string.digits, 20)}"
        "@db.internal:5432/webapp\n",
    )
    write(
        HOME / "projects/webapp/settings.py",
        '"""Web app settings."""\n\nimport os\n\n'
        'DEBUG = os.environ.get("DEBUG") == "1"\n'
        f'JWT_SECRET = "{hs256_secret}"\n'
        'DATABASE_PASSWORD = os.environ["DATABASE_PASSWORD"]\n',
    )
    write(
        HOME / ".npmrc",
        f"//registry.npmjs.org/:_authToken={with_checksum('npm_', token(ALNUM, 30))}\n",
        0o600,
    )
    write(
        HOME / ".config/gh/hosts.yml",
        f"github.com:\n    user: dev\n    oauth_token: {with_checksum('gho_', token(ALNUM, 30))}\n",
        0o600,
    )

    # The registry: fingerprints and lifecycle, never key material.
    secret_hash = hashlib.scrypt(
        hs256_secret.encode(), salt=SCRYPT["salt"].encode(), n=16384, r=8, p=1, dklen=32
    ).hex()
    registry = {
        "schema": "keysweep/key-registry/v1",
        "registry": {"name": "example signing keys", "secret_hash": SCRYPT},
        "people": [
            {"id": "emp-1042", "status": "departed", "departed_on": "2024-11-15"},
            {"id": "emp-2210", "status": "active"},
        ],
        "keys": [
            {
                "id": "key-auth-2019",
                "kind": "asymmetric",
                "purpose": "token-signing",
                "algorithm": "RS256",
                "state": "deactivated",
                "dates": {
                    "created": "2019-03-01",
                    "activated": "2019-03-02",
                    "deactivated": "2024-06-30",
                },
                "owner": {"person": "emp-1042", "team": "identity-platform"},
                "custody": {"expected": "kms"},
                "fingerprints": {"spki_sha256": spki_sha256(retired.public_key())},
                "aliases": {"jwk_kid": ["2019-signer"]},
            },
            {
                "id": "key-auth-2024",
                "kind": "asymmetric",
                "purpose": "token-signing",
                "algorithm": "RS256",
                "state": "active",
                "dates": {"created": "2024-06-01", "activated": "2024-06-30"},
                "rotation": {"period_days": 365, "due": "2026-06-30"},
                "owner": {"person": "emp-2210", "team": "identity-platform"},
                "custody": {"expected": "kms"},
                "fingerprints": {"spki_sha256": spki_sha256(current.public_key())},
                "public_jwk": {
                    "kty": "RSA",
                    "n": current_jwk["n"],
                    "e": current_jwk["e"],
                    "kid": "2024-signer",
                },
                "aliases": {"jwk_kid": ["2024-signer"]},
            },
            {
                "id": "key-payments-signing",
                "kind": "asymmetric",
                "purpose": "code-signing",
                "algorithm": "RS256",
                "state": "active",
                "owner": {"person": "emp-2210", "team": "payments"},
                "custody": {"expected": "hsm"},
                "fingerprints": {"spki_sha256": spki_sha256(payments.public_key())},
            },
            {
                "id": "ssh-dev-laptop",
                "kind": "asymmetric",
                "purpose": "ssh",
                "algorithm": "Ed25519",
                "state": "active",
                "owner": {"person": "emp-2210"},
                "custody": {"expected": "software", "allowed_locations": ["**/.ssh/*"]},
                "fingerprints": {
                    "spki_sha256": spki_sha256(ssh_key.public_key()),
                    "ssh_sha256": ssh_sha256(ssh_key.public_key()),
                },
            },
            {
                "id": "secret-legacy-hs256",
                "kind": "symmetric",
                "purpose": "token-signing",
                "algorithm": "HS256",
                "state": "compromised",
                "owner": {"person": "emp-1042"},
                "fingerprints": {"secret_hash": secret_hash},
            },
        ],
    }
    (HERE / "registry.yaml").write_text(
        "# The example organisation's key registry: fingerprints and lifecycle only.\n"
        "# Regenerate with: python examples/generate.py\n"
        + yaml.safe_dump(registry, sort_keys=False, width=120),
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
