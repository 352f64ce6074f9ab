"""One scan of a tree that holds a secret of every built-in rule finds each rule once.

The tree has a folder per rule family (the YAML file's name) and, in it, a file per
rule holding that rule's first example; path-restricted rules get a file name their
globs accept, key-file rules a file at their first example path. The scan runs
through the real CLI, `keysweep scan DIR --format json`.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import pytest
import re2
from click.testing import CliRunner

from scanner.cli import cli
from scanner.config import Config
from scanner.detectors.rules import load_rules
from scanner.hashkey import ENV_KEY, HMAC, Hasher
from scanner.model import Rule, RuleKind
from scanner.redact import secret_hash
from scanner.suppress import PathMatcher

RULES: tuple[Rule, ...] = load_rules(Config())
HASH_KEY = "families-scan-test-hash-key"
pytestmark = pytest.mark.skipif(
    not RULES, reason="rule engine still a stub: load_rules returns no rules"
)


def family(rule: Rule) -> str:
    return Path(rule.source_file).stem or "rules"


def file_name(rule: Rule) -> str:
    """A path (relative to the rule's folder) that the rule's path globs accept."""
    if rule.kind is RuleKind.KEY_FILE:
        return rule.examples[0]
    if not rule.path_include:
        return "secrets.txt"
    include, exclude = PathMatcher(rule.path_include), PathMatcher(rule.path_exclude)
    for glob in rule.path_include:
        name = glob.removeprefix("**/").replace("**", "deep").replace("*", "app")
        if include.matches(f"x/{name}") and not exclude.matches(f"x/{name}"):
            return name
    raise AssertionError(f"{rule.id}: no file name fits its path globs {rule.path_include}")


def _filler(rule: Rule, size: int = 48) -> bytes:
    return b"".join(
        hashlib.sha256(f"{rule.id}:{i}".encode()).digest() for i in range(size // 32 + 1)
    )


def _armor(label: str) -> Callable[[Rule], bytes]:
    """A key file whose body is withheld: the path alone must find it (a parsable
    key in it would be reported by the content rule instead)."""
    return lambda r: f"-----BEGIN {label}-----\n(body withheld)\n-----END {label}-----\n".encode()


def _der_key(rule: Rule) -> bytes:
    """A PKCS#8 DER private key made now: the structural rule wants a real one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    return ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pfx(rule: Rule) -> bytes:
    """A PKCS#12 store made now: the structural rule wants a real one."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import pkcs12

    key = ec.generate_private_key(ec.SECP256R1())
    return pkcs12.serialize_key_and_certificates(
        b"k", key, None, None, serialization.NoEncryption()
    )


KEY_FILE_BODIES: dict[str, Callable[[Rule], bytes]] = {
    ".der": _der_key,
    ".pkcs12": _pfx,
    # Text formats as text; binary formats with their real magic bytes.
    ".ppk": lambda r: b"PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: aes256-cbc\n",
    ".p8": _armor("PRIVATE KEY"),
    ".key": _armor("RSA PRIVATE KEY"),
    ".p12": lambda r: b"\x30\x82\x01\x00\x02\x01\x03" + _filler(r, 249),
    ".keystore": lambda r: b"\xfe\xed\xfe\xed\x00\x00\x00\x02" + _filler(r),
    ".kdbx": lambda r: b"\x03\xd9\xa2\x9a\x67\xfb\x4b\xb5\x01\x00\x04\x00" + _filler(r),
    ".keytab": lambda r: b"\x05\x02\x00\x00\x00\x3c" + _filler(r),
    ".dat": lambda r: b"\x00" * 12 + b"\x62\x31\x05\x00" + _filler(r),
    ".tfstate": lambda r: (
        b'{"version": 4, "terraform_version": "1.6.0", "serial": 7, "resources": []}\n'
    ),
}


def content(rule: Rule) -> bytes:
    """The first example for pattern rules; for key-file rules, plausible file bytes."""
    if rule.kind is not RuleKind.KEY_FILE:
        return rule.examples[0].encode() + b"\n"
    name = rule.examples[0]
    if name.endswith("master.key"):
        return _filler(rule).hex()[:32].encode() + b"\n"
    if "private-keys-v1.d" in name:
        return b"Created: 20240301T101112\nKey: (protected-private-key (ecc (curve Ed25519)))\n"
    for suffix, body in KEY_FILE_BODIES.items():
        if name.endswith(suffix):
            return body(rule)
    return _armor("OPENSSH PRIVATE KEY")(rule)  # id_rsa, ssh_host_*_key


def expected_secret_hash(rule: Rule) -> str | None:
    """The secret the rule's first example holds, read with RE2 directly."""
    if rule.pattern is None:
        return None
    found = re2.compile(rule.pattern).search(rule.examples[0])
    assert found is not None, f"{rule.id}: first example does not match"
    hasher = Hasher(HMAC, "environment", HASH_KEY.encode())
    return secret_hash(found.group("secret").encode(), hasher)


@pytest.fixture(scope="module")
def tree(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    """The tree, and the root-relative path of each rule's file."""
    root = tmp_path_factory.mktemp("families")
    paths: dict[str, str] = {}
    for rule in RULES:
        relative = f"{family(rule)}/{rule.id}/{file_name(rule)}"
        target = root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content(rule))
        paths[rule.id] = relative
    return root, paths


@pytest.fixture(scope="module")
def findings(tree: tuple[Path, dict[str, str]]) -> list[dict[str, object]]:
    root, _ = tree
    result = CliRunner().invoke(
        cli,
        ["scan", str(root), "--format", "json", "--detector", "rules", "--jobs", "1"],
        env={ENV_KEY: HASH_KEY},
    )
    assert result.exit_code == 1, result.output[-2000:]
    report = json.loads(result.stdout)
    found: list[dict[str, object]] = report["findings"]
    return found


def test_the_pack_is_large_enough() -> None:
    assert len(RULES) >= 100
    assert len({family(rule) for rule in RULES}) >= 8


def test_every_rule_is_found_once_in_its_own_file(
    tree: tuple[Path, dict[str, str]], findings: list[dict[str, object]]
) -> None:
    _, paths = tree
    counts = Counter(
        (place["rule"], place["path"])
        for f in findings
        for place in f["locations"]  # type: ignore[attr-defined]
    )
    missing = [rule.id for rule in RULES if counts[(rule.id, paths[rule.id])] == 0]
    repeated = [rule.id for rule in RULES if counts[(rule.id, paths[rule.id])] > 1]
    assert not missing, (
        f"not found: {missing} (a binary key file is found only if the file source hands it "
        "to the detectors: scanner.keys.is_key_container must accept its name)"
    )
    assert not repeated, f"found more than once: {repeated}"


def test_each_finding_holds_exactly_the_secret(
    tree: tuple[Path, dict[str, str]], findings: list[dict[str, object]]
) -> None:
    _, paths = tree
    by_rule = {(f["rule"], f["path"]): f for f in findings}
    wrong = []
    for rule in RULES:
        want = expected_secret_hash(rule)
        finding = by_rule.get((rule.id, paths[rule.id]))
        if want is None or finding is None:
            continue
        secret = finding["secret"]
        assert isinstance(secret, dict)
        if secret["hash"] != want:
            wrong.append(rule.id)
    assert not wrong, f"secret span differs from the pattern's secret group: {wrong}"


def test_no_secret_is_printed_in_full(findings: list[dict[str, object]]) -> None:
    for finding in findings:
        secret = finding["secret"]
        assert isinstance(secret, dict)
        preview = str(secret["preview"])
        assert len(preview) < int(str(secret["length"])) or int(str(secret["length"])) <= 4
