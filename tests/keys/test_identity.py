"""The same key in any format gives the same SPKI fingerprint (the canonical identity)."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import ALGORITHMS, Written, analyse, spki

CASES = [
    "pkcs8-pem",
    "pkcs8-encrypted",
    "der",
    "der-encrypted",
    "openssh",
    "openssh-weak",
    "openssh-strong",
    "escaped-json-string",
    "double-escaped",
    "split-literal",
    "kubeconfig",
    "gcp-service-account",
    "apple-p8",
    "pkcs12",
    "pkcs12-weak",
    "jks-weak",
    "jks-strong",
    "jwk",
    "jwks",
    "traditional",
    "legacy-encrypted",
    "der-traditional",
]


@pytest.mark.parametrize("algorithm", ALGORITHMS)
@pytest.mark.parametrize("case", CASES)
def test_every_format_gives_the_same_spki(
    keys: dict[str, Any], samples: dict[str, dict[str, Written]], algorithm: str, case: str
) -> None:
    key = keys[algorithm]
    cases = samples[algorithm]
    if case not in cases:
        pytest.skip(f"{algorithm} keys have no {case} form")
    sample = cases[case]
    infos = analyse(sample.data, path=sample.path)
    assert len(infos) == 1, infos
    info = infos[0]
    assert info.parsed, info.note
    assert info.format == sample.format
    assert info.public_known
    assert info.fingerprints["spki_sha256"] == spki(key)
    assert info.encrypted == sample.encrypted
    assert info.weak_passphrase == sample.weak
    assert info.public_der is not None


@pytest.mark.parametrize("algorithm", ["rsa", "p256", "p384", "ed25519"])
def test_thumbprint_and_ssh_fingerprint_agree_across_formats(
    samples: dict[str, dict[str, Written]], algorithm: str
) -> None:
    cases = samples[algorithm]
    prints = {
        name: analyse(cases[name].data, path=cases[name].path)[0].fingerprints
        for name in ("pkcs8-pem", "jwk", "openssh", "pkcs12-weak")
    }
    assert len({p["jwk_thumbprint"] for p in prints.values()}) == 1
    assert len({p["ssh_sha256"] for p in prints.values()}) == 1


def test_curve_and_size_are_reported(samples: dict[str, dict[str, Written]]) -> None:
    described = {
        name: analyse(samples[name]["pkcs8-pem"].data)[0]
        for name in ("rsa", "p256", "p384", "ed25519", "dsa")
    }
    assert (described["rsa"].algorithm, described["rsa"].bits) == ("RSA", 2048)
    assert (described["p256"].algorithm, described["p256"].curve) == ("EC", "P-256")
    assert described["p384"].curve == "P-384"
    assert described["ed25519"].algorithm == "Ed25519"
    assert (described["dsa"].algorithm, described["dsa"].bits) == ("DSA", 1024)


def test_pkcs12_and_jks_report_the_certificate(samples: dict[str, dict[str, Written]]) -> None:
    cases = samples["rsa"]
    for name in ("pkcs12", "jks-weak", "jks-strong"):
        info = analyse(cases[name].data)[0]
        assert len(info.certificates) == 1
        assert info.fingerprints["x509_sha256"] == info.certificates[0]


def test_rfc7638_example_thumbprint() -> None:
    """The RSA example key of RFC 7638 §3.1 and its published thumbprint."""
    import json

    n = (
        "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_"
        "BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_"
        "FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4"
        "vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"
    )
    infos = analyse(json.dumps({"kty": "RSA", "n": n, "e": "AQAB", "alg": "RS256"}).encode())
    assert infos[0].fingerprints["jwk_thumbprint"] == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
    assert infos[0].note == "public JWK (no private members)"
