"""The built-in rule pack as a whole: its shape, its captures, and its refusal to
fire on placeholders. (Each rule's own examples run in tests/test_rules_catalog.py.)"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
import re2

from scanner.engine.matcher import Engine
from scanner.engine.ruleset import builtin_rules_dir, load_paths
from scanner.engine.selfcheck import engines
from scanner.keys import analyse_material
from scanner.model import Origin, Rule, RuleKind, Severity

RULES: list[Rule] = load_paths([builtin_rules_dir()]) if builtin_rules_dir().is_dir() else []
pytestmark = pytest.mark.skipif(not RULES, reason="no built-in rules")

PREFIX = {
    "private-keys": ("key.",),
    "key-files": ("keyfile.",),
    "cloud": ("cloud.",),
    "vcs": ("vcs.",),
    "packages": ("pkg.",),
    "saas": ("saas.",),
    "tokens": ("token.",),
    "databases": ("db.",),
    "config-files": ("config.",),
    "generic": ("generic.",),
    "ci": ("ci.",),
    "hosting": ("hosting.",),
    "infra": ("infra.",),
    "identity": ("identity.",),
    "brokers": ("broker.",),
}
PATTERN_RULES = [r for r in RULES if r.pattern is not None]
KEY_RULES = [r for r in RULES if r.kind is RuleKind.PRIVATE_KEY]


def family(rule: Rule) -> str:
    return Path(rule.source_file).stem


def secrets_of(rule: Rule, text: str) -> list[str]:
    assert rule.pattern is not None
    return [m.group("secret") for m in re2.compile(rule.pattern).finditer(text)]


def test_pack_size_and_families() -> None:
    assert len(RULES) >= 100
    per_family = Counter(family(r) for r in RULES)
    assert set(PREFIX) <= set(per_family)
    # A family file added later names its rules after itself (chat.yaml: `chat.`).
    misplaced = [
        r.id for r in RULES if not r.id.startswith(PREFIX.get(family(r), (f"{family(r)}.",)))
    ]
    assert not misplaced, misplaced


def test_every_rule_is_documented_and_tested_both_ways() -> None:
    thin = [
        r.id
        for r in RULES
        if len(r.examples) < 2 or len(r.negative_examples) < 2 or not r.references
    ]
    assert not thin, thin


def test_generic_rules_stay_low_or_medium() -> None:
    loud = [r.id for r in RULES if r.id.startswith("generic.") and r.severity > Severity.MEDIUM]
    assert not loud, loud


def test_private_key_rules_are_high() -> None:
    assert all(r.severity is Severity.HIGH for r in KEY_RULES)


@pytest.mark.parametrize("rule", PATTERN_RULES, ids=[r.id for r in PATTERN_RULES])
def test_keyword_sits_inside_every_example_match(rule: Rule) -> None:
    """The prefilter is sound: a keyword occurs in the matched text itself."""
    assert rule.pattern is not None and rule.keywords
    regex = re2.compile(rule.pattern)
    for example in rule.examples:
        for match in regex.finditer(example):
            text = match.group(0).lower()
            assert any(k.lower() in text for k in rule.keywords), (rule.id, rule.keywords)


@pytest.mark.parametrize("rule", KEY_RULES, ids=[r.id for r in KEY_RULES])
def test_private_key_captures_parse_as_keys(rule: Rule) -> None:
    """What a private-key rule captures is exactly what key analysis can read."""
    for number, example in enumerate(rule.examples, 1):
        for secret in secrets_of(rule, example):
            infos = analyse_material(
                secret.encode(), origin=Origin(path="example"), passphrases=["test-pass"]
            )
            assert infos and all(i.parsed for i in infos), (rule.id, number, infos)


PLACEHOLDERS = [
    "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    'password = os.environ["DB_PASSWORD"]',
    "password = get_password()",
    "token = None",
    "password: str",
    'password = ""',
    "api_key = '<your-key>'",
    "API_KEY=${API_KEY}\nexport SECRET_KEY=$SECRET_KEY\nDB_PASSWORD=$(vault read -field=pw db)",
    "password: {{ db_password }}\ntoken: '{{ vault_token }}'",
    "password = '%(password)s'",
    "password = 'changeme'\nsecret_key = 'change_me'",
    'SECRET = "****************"',
    "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA...\n-----END OPENSSH PRIVATE KEY-----",
    "STRIPE_SECRET_KEY=sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
    "SLACK_BOT_TOKEN=xoxb-your-bot-token",
    "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
    "DATABASE_URL=postgres://user:password@localhost:5432/app",
    "MONGO_URL=mongodb://<user>:<password>@cluster0.example.net/db",
    "REDIS_URL=redis://:${REDIS_PASSWORD}@cache:6379/0",
    "OPENAI_API_KEY=sk-...\nANTHROPIC_API_KEY=sk-ant-api03-...",
    "Authorization: Bearer <token>\nAuthorization: Basic <base64 user:pass>",
    "machine example.com login user password <password>",
    '"private_key": "-----BEGIN PRIVATE KEY-----\\n...\\n-----END PRIVATE KEY-----\\n"',
    "client-key-data: REDACTED",
    "token = 'your_token_here'\napi_key = 'YOUR_API_KEY_HERE'",
]


@pytest.fixture(scope="module")
def lanes() -> list[Engine]:
    return engines(RULES)


@pytest.mark.parametrize("text", PLACEHOLDERS)
def test_placeholders_are_not_findings(text: str, lanes: list[Engine]) -> None:
    """Every rule, path filters off, in every engine lane: nothing fires."""
    for engine in lanes:
        hits = engine.find(text.encode(), None)
        assert not hits, [(engine.lane, h.rule.id) for h in hits]
