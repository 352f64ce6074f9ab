"""Multi-part credentials are one finding, with their non-secret parts as facts."""

from __future__ import annotations

import base64
import json
import secrets
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support import aws_secret
from support import password as random_password

Scan = Callable[..., tuple[int, list[dict[str, Any]], dict[str, Any]]]
Put = Callable[[str, str], Path]
B64 = string.ascii_letters + string.digits + "+/"


def _aws_pair(account: int) -> tuple[str, str]:
    raw = ((account << 7) | secrets.randbelow(128)).to_bytes(6, "big") + secrets.token_bytes(4)
    key_id = "AKIA" + base64.b32encode(raw).decode()
    return key_id, aws_secret()


def test_aws_key_id_secret_and_session_token_are_one_finding(put: Put, scan: Scan) -> None:
    key_id, secret = _aws_pair(210987654321)
    session = "IQoJb3JpZ2luX2Vj" + "".join(secrets.choice(B64) for _ in range(180))
    put(
        "deploy/credentials",
        f"[default]\naws_access_key_id = {key_id}\naws_secret_access_key = {secret}\n"
        f"aws_session_token = {session}\n",
    )
    code, findings, _ = scan()
    assert code == 1
    [finding] = findings
    assert finding["rule"] == "cloud.aws-secret-access-key"
    assert finding["facts"]["account_id"] == "210987654321"
    assert finding["facts"]["parts"] == "access-key-id+secret-access-key+session-token"
    shown = json.dumps(findings)
    assert secret not in shown and session[16:60] not in shown


def test_far_apart_aws_parts_stay_separate(put: Put, scan: Scan) -> None:
    key_id, secret = _aws_pair(111122223333)
    filler = "".join(f"# note {n}\n" for n in range(20))
    put("ops/keys.env", f"AWS_ACCESS_KEY_ID={key_id}\n{filler}AWS_SECRET_ACCESS_KEY={secret}\n")
    rules = sorted(f["rule"] for f in scan()[1])
    assert rules == ["cloud.aws-access-key-id", "cloud.aws-secret-access-key"]


def test_azure_storage_connection_string_names_its_account(put: Put, scan: Scan) -> None:
    key = "".join(secrets.choice(B64) for _ in range(86)) + "=="
    put(
        "app/appsettings.json",
        json.dumps(
            {
                "Storage": "DefaultEndpointsProtocol=https;AccountName=ordersprod;"
                f"AccountKey={key};EndpointSuffix=core.windows.net"
            }
        ),
    )
    [finding] = scan()[1]
    assert finding["facts"]["account"] == "ordersprod"


def test_database_urls_and_jdbc_name_host_and_user(put: Put, scan: Scan) -> None:
    password = secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
    put(
        "config/app.properties",
        f"broker.url=amqp://orders:{password}@mq.internal:5672/prod\n"
        f"spring.datasource.url=jdbc:postgresql://pg.internal:5432/app?user=app&password={password}Q\n",
    )
    findings = {f["rule"]: f for f in scan()[1]}
    amqp = findings["db.amqp-url"]["facts"]
    assert (amqp["scheme"], amqp["username"], amqp["host"]) == ("amqp", "orders", "mq.internal")
    jdbc = findings["db.jdbc-url-password"]["facts"]
    assert (jdbc["scheme"], jdbc["host"]) == ("postgresql", "pg.internal")


def test_username_and_client_id_beside_the_secret(put: Put, scan: Scan) -> None:
    password, client_secret = random_password(14), random_password(24)
    put(
        "settings/prod.yaml",
        f"database:\n  username: report_reader\n  password: '{password}'\n"
        f"oauth:\n  client_id: 7f3c2a9e-portal\n  client_secret: '{client_secret}'\n",
    )
    facts = [f["facts"] for f in scan()[1]]
    assert {"username": "report_reader"}.items() <= facts[0].items()
    assert any(f.get("client_id") == "7f3c2a9e-portal" for f in facts)


def test_jenkins_credentials_xml_gives_id_and_user(put: Put, scan: Scan) -> None:
    token = random_password(24)
    put(
        "jenkins_home/credentials.xml",
        "<com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>\n"
        "  <scope>GLOBAL</scope>\n  <id>deploy-bot</id>\n"
        "  <username>deployer</username>\n"
        f"  <password>{token}</password>\n"
        "</com.cloudbees.plugins.credentials.impl.UsernamePasswordCredentialsImpl>\n",
    )
    [finding] = scan()[1]
    assert finding["facts"]["username"] == "deployer"
    assert finding["facts"]["credential_id"] == "deploy-bot"


def test_docker_config_auths_decode_user_and_registry(put: Put, scan: Scan) -> None:
    password = secrets.token_urlsafe(18)
    auth = base64.b64encode(f"ci-robot:{password}".encode()).decode()
    put(".docker/config.json", json.dumps({"auths": {"ghcr.io": {"auth": auth}}}, indent=2))
    [finding] = scan()[1]
    assert finding["facts"]["username"] == "ci-robot"
    assert finding["facts"]["registry"] == "ghcr.io"
    assert finding["confidence"] == "verified-format"
    assert password not in json.dumps(finding)


def test_a_password_holding_at_signs_never_shows_as_the_host(put: Put, scan: Scan) -> None:
    tail = secrets.token_hex(10)
    password = f"{random_password(12)}@{tail}"
    put("config/app.env", f"DATABASE_URL=postgresql://svc:{password}@db.internal:5432/app\n")
    findings = scan()[1]
    assert findings
    text = json.dumps(findings)
    assert tail not in text and password not in text
    hosts = [f["facts"].get("host") for f in findings if f["facts"].get("host")]
    assert hosts and set(hosts) == {"db.internal"}


def test_a_token_used_as_the_user_name_is_not_shown(put: Put, scan: Scan) -> None:
    user = "ghp_" + secrets.token_hex(18)
    header = base64.b64encode(f"{user}:x-oauth-basic".encode()).decode()
    put("scripts/fetch.sh", f'curl -H "Authorization: Basic {header}" https://example.test\n')
    text = json.dumps(scan()[1])
    assert user not in text and user[4:20] not in text
