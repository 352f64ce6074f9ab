"""Offline structure checks: each validator on values made at test time, valid and
broken, and the `validate:` rule field through `rules check`."""

from __future__ import annotations

import base64
import json
import secrets
from pathlib import Path

import pytest
from click.testing import CliRunner
from support import checksummed, pypi_token

from scanner.cli import cli
from scanner.engine.validators import VALIDATORS, check, validator_for


def _flip_last(token: str) -> str:
    last = token[-1]
    return token[:-1] + ("A" if last != "A" else "B")


@pytest.mark.parametrize("prefix", ["ghp_", "gho_", "ghu_", "ghs_", "ghr_"])
def test_github_tokens_need_their_checksum(prefix: str) -> None:
    token = checksummed(prefix)
    verdict = check("github-checksum", token.encode())
    assert verdict.valid is True and verdict.facts["token_type"]
    assert check("github-checksum", _flip_last(token).encode()).valid is False


def test_npm_tokens_need_their_checksum() -> None:
    token = checksummed("npm_")
    assert check("npm-checksum", token.encode()).valid is True
    assert check("npm-checksum", _flip_last(token).encode()).valid is False


def test_pypi_token_is_a_macaroon_naming_pypi() -> None:
    assert check("pypi-macaroon", pypi_token().encode()).facts == {"index": "pypi.org"}
    test_index = check("pypi-macaroon", pypi_token(b"test.pypi.org").encode())
    assert test_index.facts == {"index": "test.pypi.org"}
    assert check("pypi-macaroon", pypi_token(b"evil.example").encode()).valid is False
    # pypi.org's location field, then random bytes (a free random tail)
    random_tail = "pypi-" + _b64url(b"\x02\x01\x08pypi.org" + secrets.token_bytes(45))
    assert check("pypi-macaroon", random_tail.encode()).valid is False


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _varint(n: int) -> bytes:
    out = b""
    while n >= 0x80:
        out += bytes([n & 0x7F | 0x80])
        n >>= 7
    return out + bytes([n])


def _field(kind: int, value: bytes) -> bytes:
    return bytes([kind]) + _varint(len(value)) + value


def _macaroon(
    caveats: list[bytes], identifier: bytes = b"", signature: bytes = b"", vid: bool = False
) -> bytes:
    """A v2 macaroon naming pypi.org, made field by field."""
    identifier = identifier or json.dumps({"nonce": secrets.token_hex(16), "version": 1}).encode()
    body = b"\x02" + _field(1, b"pypi.org") + _field(2, identifier) + b"\x00"
    for caveat in caveats:
        extra = _field(4, secrets.token_bytes(48)) if vid else b""
        body += _field(2, caveat) + extra + b"\x00"
    return body + b"\x00" + _field(6, signature or secrets.token_bytes(32))


def _pypi(data: bytes) -> bool | None:
    return check("pypi-macaroon", b"pypi-" + _b64url(data).encode()).valid


CAVEAT = json.dumps({"version": 1, "permissions": "user"}).encode()


@pytest.mark.parametrize(
    "caveats",
    [[], [CAVEAT], [CAVEAT, b"[0, 1767225600, 1767229200]", b'{"project_ids": ["a"]}']],
    ids=["no-caveat", "one-caveat", "three-caveats"],
)
def test_pypi_whole_macaroons_are_accepted(caveats: list[bytes]) -> None:
    assert _pypi(_macaroon(caveats)) is True
    # an identifier or caveat of 128 bytes or more has a two-byte length
    assert _pypi(_macaroon([b"x" * 300, *caveats], identifier=b"i" * 200)) is True
    assert _pypi(_macaroon(caveats, vid=True)) is True


def test_pypi_macaroon_must_be_whole() -> None:
    whole = _macaroon([CAVEAT])
    assert _pypi(whole[:-1]) is False  # signature cut short
    assert _pypi(whole + b"\x00") is False  # bytes after the signature
    assert _pypi(_macaroon([CAVEAT], signature=secrets.token_bytes(31))) is False
    no_end = whole[: -(2 + 32) - 1] + _field(6, secrets.token_bytes(32))
    assert _pypi(no_end) is False  # the caveats' end byte missing
    no_identifier = whole.replace(_field(2, CAVEAT), _field(1, b"pypi.org"))
    assert _pypi(no_identifier) is False  # a caveat without an identifier
    unordered = whole.replace(_field(1, b"pypi.org") + b"\x02", b"\x02" + _field(1, b"pypi.org"))
    assert _pypi(unordered) is False
    unknown = _field(2, CAVEAT) + _field(9, b"x") + b"\x00"  # a field type v2 does not have
    assert _pypi(whole.replace(_field(2, CAVEAT) + b"\x00", unknown)) is False


def test_pypi_identifier_then_random_bytes_is_no_token() -> None:
    """pypi.org's location and an identifier field, its end byte, then random
    bytes: the first section of a macaroon, and nothing of the rest."""
    tail = _field(2, secrets.token_bytes(20)) + b"\x00" + secrets.token_bytes(60)
    assert _pypi(b"\x02\x01\x08pypi.org" + tail) is False


def test_pypi_random_tails_are_refused() -> None:
    """Values of the rule's shape with a random base64url tail (seeded, so a failure
    is the same on every run): reading only the first two fields accepted 64 to 87
    in 100 000 (`benchmarks/pypi_tails.py`)."""
    import random
    import string

    rng = random.Random(20261206)
    alphabet = string.ascii_letters + string.digits + "-_"
    for _ in range(20_000):
        prefix = rng.choice(("pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw"))
        tail = "".join(rng.choices(alphabet, k=rng.randint(50, 250)))
        assert check("pypi-macaroon", (prefix + tail).encode()).valid is False, prefix + tail


def test_jwt_header_must_decode_to_json_with_alg() -> None:
    good = _b64url(json.dumps({"alg": "ES256", "typ": "JWT"}).encode()) + ".e30.sig"
    assert check("jwt-header", good.encode()).facts == {"alg": "ES256"}
    no_alg = _b64url(json.dumps({"typ": "JWT"}).encode()) + ".e30.sig"
    assert check("jwt-header", no_alg.encode()).valid is False
    assert check("jwt-header", b"eyJub3QganNvbg.e30.sig").valid is False


def _aws_key_id(account: int, prefix: str = "AKIA") -> str:
    high = (account << 7) | secrets.randbelow(128)
    raw = high.to_bytes(6, "big") + secrets.token_bytes(4)
    return prefix + base64.b32encode(raw).decode()


def test_aws_access_key_id_shows_its_account() -> None:
    key_id = _aws_key_id(123456789012)
    assert check("aws-access-key-id", key_id.encode()).facts == {
        "key_type": "long-term-access-key",
        "account_id": "123456789012",
    }
    temporary = check("aws-access-key-id", _aws_key_id(42, "ASIA").encode())
    assert temporary.facts["account_id"] == "000000000042"
    assert temporary.facts["key_type"] == "temporary-access-key"
    legacy = check("aws-access-key-id", b"AKIAIQZ2XDHMRG7CWPLA")
    assert legacy.valid is True and "account_id" not in legacy.facts


def test_slack_and_stripe_prefixes_give_type_and_environment() -> None:
    bot = b"xoxb-812484772485-6189029615946-" + secrets.token_hex(12).encode()
    assert check("slack-prefix", bot).facts == {"token_type": "bot"}
    assert check("slack-prefix", b"xoxb-team-user-" + secrets.token_hex(12).encode()).valid is False
    live = check("stripe-env", b"sk_live_" + secrets.token_hex(12).encode())
    assert live.facts == {"token_type": "secret-key", "environment": "live"}
    test = check("stripe-env", b"rk_test_" + secrets.token_hex(12).encode())
    assert test.facts == {"token_type": "restricted-key", "environment": "test"}


def test_docker_auth_names_the_user_never_the_password() -> None:
    password = secrets.token_urlsafe(16)
    value = base64.b64encode(f"ci-bot:{password}".encode())
    verdict = check("docker-auth", value)
    assert verdict.facts == {"username": "ci-bot"}
    assert password not in json.dumps(verdict.facts)
    assert check("docker-auth", base64.b64encode(b"admin:changeme")).valid is False
    assert check("docker-auth", base64.b64encode(b"no-colon-here")).valid is False


def test_bare_values_find_their_validator_by_prefix() -> None:
    assert validator_for(b"ghp_abc") == "github-checksum"
    assert validator_for(b"npm_abc") == "npm-checksum"
    assert validator_for(b"something-else") is None
    assert {validator_for(p) for p in (b"pypi-x", b"xoxb-1", b"sk_live_x")} <= set(VALIDATORS)


RULE = """\
rules:
  - id: test.gh
    name: test GitHub token
    kind: token
    severity: high
    keywords: ["ghp_"]
    pattern: '(?P<secret>ghp_[A-Za-z0-9]{{36}})'
    validate: {validator}
    examples: ["t = {example}"]
    negative_examples: ["t = ghp_short"]
"""


def _rules_check(tmp_path: Path, validator: str, example: str) -> tuple[int, str]:
    path = tmp_path / "rule.yaml"
    path.write_text(RULE.format(validator=validator, example=example))
    result = CliRunner().invoke(cli, ["rules", "check", "--no-builtin-rules", "--rules", str(path)])
    return result.exit_code, result.stdout + result.stderr


def test_rules_check_runs_the_validator_on_examples(tmp_path: Path) -> None:
    token = checksummed("ghp_")
    assert _rules_check(tmp_path, "github-checksum", token)[0] == 0
    code, out = _rules_check(tmp_path, "github-checksum", _flip_last(token))
    assert code == 1 and "example 1 did not match" in out
    assert "fails the github-checksum check" in out


def test_an_unknown_validator_is_one_line_naming_the_field(tmp_path: Path) -> None:
    code, out = _rules_check(tmp_path, "no-such-check", checksummed("ghp_"))
    assert code == 2
    assert "field 'validate'" in out and "github-checksum" in out
    assert len(out.strip().splitlines()) == 1
