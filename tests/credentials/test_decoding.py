"""Secrets behind an encoding (base64 in k8s Secrets, Helm values, Docker config,
basic auth; JSON escapes; percent-encoding) are found and reported at the
encoded place, within bounds."""

from __future__ import annotations

import base64
import json
import secrets
import string
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support import checksummed
from support import password as random_password

from scanner.decoding import MAX_REGIONS

Scan = Callable[..., tuple[int, list[dict[str, Any]], dict[str, Any]]]
Put = Callable[[str, str], Path]


def b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


def test_a_token_in_a_k8s_secret_is_found_at_its_encoded_line(put: Put, scan: Scan) -> None:
    token = checksummed("ghp_")
    put(
        "deploy/secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ntype: Opaque\ndata:\n"
        f"  user: {b64('ci-bot')}\n"
        f"  token: {b64(token)}\n",
    )
    code, findings, _ = scan()
    assert code == 1
    [finding] = findings
    assert finding["rule"] == "vcs.github-pat-classic"
    assert finding["line"] == 8
    assert finding["facts"]["encoding"] == "base64"
    assert finding["confidence"] == "verified-format"


def test_a_password_in_a_k8s_secret_is_found_and_a_placeholder_is_not(put: Put, scan: Scan) -> None:
    password = random_password(16)
    put(
        "k8s/db.yaml",
        "kind: Secret\napiVersion: v1\ndata:\n"
        f"  password: {b64(password)}\n"
        f"  admin-password: {b64('changeme')}\n",
    )
    _code, findings, _ = scan()
    assert [(f["line"], f["facts"]["encoding"]) for f in findings] == [(4, "base64")]
    assert password not in json.dumps(findings)


def test_docker_config_inside_a_pull_secret_is_decoded_twice(put: Put, scan: Scan) -> None:
    password = secrets.token_urlsafe(20)
    auths = {"auths": {"registry.corp.example": {"auth": b64(f"deployer:{password}")}}}
    put(
        "charts/app/templates/pull.yaml",
        "apiVersion: v1\nkind: Secret\ntype: kubernetes.io/dockerconfigjson\ndata:\n"
        f"  .dockerconfigjson: {b64(json.dumps(auths))}\n",
    )
    _code, findings, _ = scan()
    facts = [f["facts"] for f in findings if f["rule"] == "pkg.docker-config-auth"]
    assert facts and facts[0]["username"] == "deployer"
    assert facts[0]["registry"] == "registry.corp.example"
    assert facts[0]["encoding"] == "base64"
    assert password not in json.dumps(findings)


def test_helm_values_and_basic_auth_headers_are_decoded(put: Put, scan: Scan) -> None:
    token = checksummed("npm_")
    put("charts/app/values.yaml", f"registry:\n  npmToken: {b64(token)}\n")
    put(
        "scripts/call.sh",
        f"curl -H 'Authorization: Basic {b64('robot:' + checksummed('ghp_'))}' x\n",
    )
    _code, findings, _ = scan()
    rules = sorted(f["rule"] for f in findings)
    assert "pkg.npm-token" in rules
    assert "vcs.github-pat-classic" in rules and "token.authorization-basic" in rules
    basic = next(f for f in findings if f["rule"] == "token.authorization-basic")
    assert basic["facts"]["username"] == "robot"


def test_json_escaped_urls_are_unescaped(put: Put, scan: Scan) -> None:
    password = secrets.token_urlsafe(14)
    put(
        "conf/service.json",
        '{"db": "postgres:\\/\\/app:' + password + '@db.internal:5432\\/app"}\n',
    )
    code, findings, _ = scan()
    assert code == 1
    [finding] = findings
    assert finding["rule"].startswith("db.")
    assert finding["facts"]["encoding"] == "json-escape"
    assert finding["facts"]["host"] == "db.internal"


def test_decoding_is_bounded_and_what_it_leaves_fails_closed(put: Put, scan: Scan) -> None:
    lines = "".join(
        f"  k{n}: {b64('value-' + secrets.token_hex(8))}\n" for n in range(3 * MAX_REGIONS)
    )
    token = checksummed("ghp_")
    put("big/secret.yaml", f"kind: Secret\ndata:\n{lines}  last: {b64(token)}\n")
    huge = base64.b64encode(b"not a secret, only long. " * 8_000).decode()  # random bytes
    # were flaky: 266 KB of random base64 holds `1//0` (a GCP refresh token's start) 1 time in 60
    put("big/huge.yaml", f"kind: Secret\ndata:\n  blob: {huge}\n")
    code, findings, _ = scan()
    # Values past the budget are never decoded, and the gate says so (fail closed).
    assert code == 1
    assert [(f["rule"], f["path"]) for f in findings] == [("unscanned-content", "big/secret.yaml")]
    assert "decoding budget" in findings[0]["message"]


def test_a_percent_encoded_webhook_is_found_by_its_own_rule(put: Put, scan: Scan) -> None:
    tail = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(24))
    hook = "https://hooks.slack.com/services/T525LPETQY7/B9T6DQSG969/" + tail
    put("app/settings.py", f'notify_token = "{urllib.parse.quote(hook, safe="")}"\n')
    [finding] = scan()[1]
    assert finding["rule"] == "saas.slack-webhook"
    assert finding["facts"]["encoding"] == "percent"
    assert tail not in json.dumps(finding)
