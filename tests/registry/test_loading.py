"""Loading a registry: validation against the shipped schema, one-line errors, normalisation."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from scanner.errors import RegistryError
from scanner.registry import load_registry

Writer = Callable[..., Path]


def entry(spki: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "k1",
        "kind": "asymmetric",
        "state": "active",
        "fingerprints": {"spki_sha256": spki},
        **extra,
    }


def load_error(path: Path) -> str:
    with pytest.raises(RegistryError) as caught:
        load_registry(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    return message


def test_yaml_and_json_load_the_same(
    write_registry: Writer, kit: ModuleType, rsa_key: rsa.RSAPrivateKey
) -> None:
    spki = kit.spki_hex(rsa_key)
    people = [{"id": "emp-1", "status": "departed", "departed_on": "2024-11-15"}]
    keys = [entry(spki, dates={"deactivated": "2024-06-30"}, owner={"person": "emp-1"})]
    from_yaml = load_registry(write_registry(keys, people))
    from_json = load_registry(write_registry(keys, people, name="r.json", fmt="json"))
    for registry in (from_yaml, from_json):
        assert registry.name == "test keys"
        assert registry.find("spki_sha256", spki) is not None
        assert registry.people["emp-1"].departed_on is not None
        assert registry.keys[0].dates["deactivated"].isoformat() == "2024-06-30"


def test_unquoted_yaml_dates_are_accepted(
    tmp_path: Path, kit: ModuleType, rsa_key: rsa.RSAPrivateKey
) -> None:
    path = tmp_path / "r.yaml"
    path.write_text(
        "schema: keysweep/key-registry/v1\n"
        "people: [{id: emp-1, status: departed, departed_on: 2024-11-15}]\n"
        "keys:\n"
        f"  - {{id: k1, kind: asymmetric, state: active, dates: {{created: 2019-03-01}},"
        f" fingerprints: {{spki_sha256: {kit.spki_hex(rsa_key)}}}}}\n"
    )
    registry = load_registry(path)
    assert registry.keys[0].dates["created"].year == 2019


def test_fingerprints_are_normalised(
    write_registry: Writer, kit: ModuleType, rsa_key: rsa.RSAPrivateKey
) -> None:
    spki = kit.spki_hex(rsa_key)
    colons = ":".join(spki[i : i + 2] for i in range(0, 64, 2)).upper()
    cert = "AB" * 32
    pgp = " ".join(["C594 2964"] * 5)
    keys = [entry(colons)]
    keys[0]["fingerprints"].update({"x509_sha256": [cert], "pgp": pgp})
    registry = load_registry(write_registry(keys))
    assert registry.find("spki_sha256", spki) is not None
    assert registry.find("x509_sha256", "ab" * 32) is not None
    assert registry.find("pgp", "c5942964" * 5) is not None


def test_unknown_field_fails_with_one_line(write_registry: Writer) -> None:
    keys = [entry("a" * 64, colour="blue")]
    message = load_error(write_registry(keys))
    assert "keys[id=k1].colour: unknown field" in message


def test_unknown_field_in_fingerprints_is_named(write_registry: Writer) -> None:
    keys = [entry("a" * 64)]
    keys[0]["fingerprints"]["md5"] = "0" * 32
    assert "keys[id=k1].fingerprints.md5: unknown field" in load_error(write_registry(keys))


def test_bad_fingerprint_names_the_path(write_registry: Writer) -> None:
    keys = [entry("a" * 64), entry("a" * 64), entry("a" * 64), entry("not-a-hash")]
    message = load_error(write_registry(keys))
    assert "keys[#4, id=k1].fingerprints.spki_sha256: expected 64 hex digits" in message


def test_bad_ssh_fingerprint(write_registry: Writer) -> None:
    keys = [entry("a" * 64)]
    keys[0]["fingerprints"]["ssh_sha256"] = "MD5:aa:bb"
    assert "keys[id=k1].fingerprints.ssh_sha256: expected 'SHA256:'" in load_error(
        write_registry(keys)
    )


def test_bad_state_lists_the_choices(write_registry: Writer) -> None:
    keys = [entry("a" * 64, state="retired")]
    message = load_error(write_registry(keys))
    assert "keys[id=k1].state: not one of pre-activation, active" in message
    assert "retired" not in message.split(":", 1)[1]  # values are never echoed


def test_errors_never_echo_the_value_that_failed(write_registry: Writer) -> None:
    # A secret pasted into the wrong field must not come back in the error line.
    leaked = "ghp_" + "Q7x" * 12
    for field in ("kind", "purpose", "fingerprints"):
        keys = [entry("a" * 64)]
        keys[0][field] = leaked
        message = load_error(write_registry(keys))
        assert f"keys[id=k1].{field}" in message
        assert leaked not in message


def test_private_key_in_registry_is_rejected(
    write_registry: Writer, rsa_key: rsa.RSAPrivateKey
) -> None:
    pem = rsa_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    keys = [entry("a" * 64, description=pem)]
    message = load_error(write_registry(keys))
    assert "keys[id=k1].description: contains key material" in message
    assert "MII" not in message


def test_jwk_private_member_is_rejected(
    write_registry: Writer, kit: ModuleType, ec_key: Any
) -> None:
    jwk = kit.public_jwk(ec_key)
    jwk["d"] = "c2VjcmV0"
    keys = [entry(kit.spki_hex(ec_key), public_jwk=jwk)]
    message = load_error(write_registry(keys))
    assert "keys[id=k1].public_jwk.d: JWK private member 'd'" in message


def test_long_base64_blob_in_free_text_is_rejected(write_registry: Writer) -> None:
    blob = "q8Zr3JkP0aLw9XyB7uVt2NcE5mHs4GdF1oIiQeRbTnYx"
    keys = [entry("a" * 64, owner={"team": f"platform {blob}"})]
    assert "keys[id=k1].owner.team: contains a long base64 blob" in load_error(write_registry(keys))


def test_public_jwk_is_kept(write_registry: Writer, kit: ModuleType, ed_key: Any) -> None:
    jwk = kit.public_jwk(ed_key, kid="ed-1")
    registry = load_registry(write_registry([entry(kit.spki_hex(ed_key), public_jwk=jwk)]))
    assert registry.keys[0].public_jwk == jwk
    assert "ed-1" in registry.keys[0].kids


def test_wrong_schema_name(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("schema: something-else\nkeys: []\n")
    assert "r.yaml: schema: not one of keysweep/key-registry/v1" in load_error(path)


def test_not_yaml(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("keys: [unclosed\n")
    assert "not valid YAML or JSON" in load_error(path)


def test_missing_file(tmp_path: Path) -> None:
    assert "cannot read" in load_error(tmp_path / "absent.yaml")


def test_rotation_due_from_period(write_registry: Writer) -> None:
    keys = [entry("a" * 64, dates={"activated": "2024-01-01"}, rotation={"period_days": 31})]
    registry = load_registry(write_registry(keys))
    assert registry.keys[0].rotation_due is not None
    assert registry.keys[0].rotation_due.isoformat() == "2024-02-01"


def test_registry_pickles(write_registry: Writer) -> None:
    import pickle

    registry = load_registry(write_registry([entry("a" * 64)]))
    assert pickle.loads(pickle.dumps(registry)) == registry


def test_schema_ships_inside_the_package() -> None:
    from importlib import resources

    assert resources.files("scanner.registry").joinpath("schema.json").is_file()


def test_long_paths_and_arns_are_not_blobs(write_registry: Writer) -> None:
    custody = {
        "expected": "software",
        "ref": "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "allowed_locations": ["/srv/deploy/ProductionSigningKeys2024/TokenSigner/current/*.pem"],
    }
    registry = load_registry(write_registry([entry("a" * 64, custody=custody)]))
    assert registry.keys[0].allowed_locations == tuple(custody["allowed_locations"])


ARCHITECTURE_EXAMPLE = """\
schema: keysweep/key-registry/v1
registry:
  name: example signing keys
  secret_hash: {alg: scrypt, salt: "key-registry:example:v1", n: 16384, r: 8, p: 1}
people:
  - {id: emp-1042, status: departed, departed_on: "2024-11-15"}
  - {id: emp-2210, status: active}
keys:
  - id: key-auth-2019
    kind: asymmetric
    purpose: token-signing
    algorithm: RS256
    state: deactivated
    dates: {created: "2019-03-01", activated: "2019-03-02", deactivated: "2024-06-30"}
    rotation: {period_days: 365, due: "2025-06-30"}
    owner: {person: emp-1042, team: identity-platform}
    custody: {expected: kms, ref: "arn:aws:kms:eu-west-1:1:key/x", allowed_locations: []}
    fingerprints:
      spki_sha256: E2:DF:70:46:3D:53:EF:87:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77
      jwk_thumbprint: HZzBx4WmM7tOaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
      ssh_sha256: "SHA256:2srMsAqAaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
      pgp: C59429641F540BE5000000000000000000000000
      x509_sha256: [5b8b989f31f10000000000000000000000000000000000000000000000000000]
    aliases: {jwk_kid: ["2019-signer"], cbom_ref: key-auth-2019}
  - id: secret-legacy-hs256
    kind: symmetric
    algorithm: HS256
    state: compromised
    owner: {person: emp-1042}
    fingerprints: {secret_hash: 8d3918829b360000000000000000000000000000000000000000000000000000}
"""


def test_the_architecture_example_loads(tmp_path: Path) -> None:
    path = tmp_path / "registry.yaml"
    path.write_text(ARCHITECTURE_EXAMPLE)
    registry = load_registry(path)
    assert [k.id for k in registry.keys] == ["key-auth-2019", "secret-legacy-hs256"]
    assert registry.secret_hash is not None and registry.has_symmetric
    assert registry.find(
        "spki_sha256", "e2df70463d53ef87" + "00112233445566778899aabbccddeeff" + "0011223344556677"
    )
