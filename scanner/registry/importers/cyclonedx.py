"""Import the keys of a CycloneDX 1.6 or 1.7 cryptographic bill of materials.

Components of `type: cryptographic-asset` whose `cryptoProperties.assetType` is
`related-crypto-material` and whose `relatedCryptoMaterialProperties.type` is a
key (private-key, public-key, secret-key, key) become registry entries, keyed by
their `bom-ref` (alias `cbom_ref`). The key `state` uses the same six SP 800-57
states as the registry.

Fingerprints. CycloneDX 1.7 has `relatedCryptoMaterialProperties.fingerprint`
({alg, content}); 1.6 has none there, so the component's `hashes` are read
instead. ASSUMPTION: a SHA-256 fingerprint of a key is the SHA-256 of its DER
SubjectPublicKeyInfo (the registry's `spki_sha256`); the standard does not say
what is hashed. A 1.7 certificate's SHA-256 `fingerprint` is taken as the hash of
the DER certificate (`x509_sha256`) and attached to the key it names
(`subjectPublicKeyRef`, or `relatedCryptographicAssets` of type publicKey).
A key's `value` is never imported; a secret key cannot be matched (the registry
holds scrypt hashes only) and is skipped. A key without state is taken as active.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from scanner import safeload
from scanner.errors import RegistryError
from scanner.registry.importers import ImportSummary, dict_entry, find_entry, ident

VERSIONS = ("1.6", "1.7")
KEY_TYPES = ("private-key", "public-key", "key")
DATES = {"creationDate": "created", "activationDate": "activated", "expirationDate": "expires"}
CUSTODY = {"hsm": "hsm", "software": "software", "kms": "kms"}
MAX_BYTES = 64 * 1024 * 1024


def read_cbom(path: Path) -> dict[str, Any]:
    try:
        document = safeload.json_loads(safeload.read_bytes(path, MAX_BYTES))
    except OSError as exc:
        raise RegistryError(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise RegistryError(f"{path}: not CycloneDX JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("bomFormat") != "CycloneDX":
        raise RegistryError(f"{path}: not CycloneDX JSON (bomFormat is not 'CycloneDX')")
    if document.get("specVersion") not in VERSIONS:
        version = document.get("specVersion")
        raise RegistryError(f"{path}: CycloneDX {version}: only 1.6 and 1.7 are supported")
    return document


def components(node: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
    for component in node.get("components") or []:
        if isinstance(component, dict):
            yield component
            yield from components(component)


def import_cbom(document: dict[str, Any], bom: Mapping[str, Any]) -> ImportSummary:
    """Update the registry `document` in place from the CycloneDX `bom`."""
    summary = ImportSummary()
    by_ref = {c["bom-ref"]: c for c in components(bom) if isinstance(c.get("bom-ref"), str)}
    certificates = _certificates_by_key(by_ref.values())
    keys: list[dict[str, Any]] = document.setdefault("keys", [])
    touched: set[str] = set()
    for component in components(bom):
        props = _material(component)
        if props is None:
            continue
        ref = component.get("bom-ref")
        name = ref or component.get("name") or "?"
        if props.get("value"):
            summary.skipped.append(f"{name}: carries key material in 'value' (not imported)")
        if props.get("type") == "secret-key":
            summary.skipped.append(f"{name}: secret key (the registry needs a scrypt hash)")
        if props.get("type") not in KEY_TYPES:
            continue
        spki = _fingerprint(component, props)
        if spki is None or not isinstance(ref, str):
            summary.skipped.append(f"{name}: no bom-ref or no SHA-256 fingerprint")
            continue
        fields = _fields(component, props, by_ref, certificates.get(ref, []))
        entry = _existing(document, ref, spki)
        if entry is None:
            entry = {"id": ident(ref, [k["id"] for k in keys]), **fields}
            entry["fingerprints"] = {"spki_sha256": spki, **entry.get("fingerprints", {})}
            keys.append(entry)
            summary.added.append(entry["id"])
        else:
            _merge(entry, fields, spki, full=entry["id"] not in touched)
            if entry["id"] not in touched and entry["id"] not in summary.added:
                summary.updated.append(entry["id"])
        touched.add(entry["id"])
    return summary


def _material(component: Mapping[str, Any]) -> dict[str, Any] | None:
    crypto = component.get("cryptoProperties") or {}
    if component.get("type") != "cryptographic-asset":
        return None
    if crypto.get("assetType") != "related-crypto-material":
        return None
    props = crypto.get("relatedCryptoMaterialProperties")
    return props if isinstance(props, dict) else None


def _sha256(hashes: Any) -> str | None:
    for item in hashes if isinstance(hashes, list) else [hashes]:
        if isinstance(item, dict) and item.get("alg") == "SHA-256":
            content = str(item.get("content", "")).lower()
            if len(content) == 64:
                return content
    return None


def _fingerprint(component: Mapping[str, Any], props: Mapping[str, Any]) -> str | None:
    return _sha256(props.get("fingerprint")) or _sha256(component.get("hashes"))


def _certificates_by_key(items: Any) -> dict[str, list[str]]:
    """bom-ref of a key → SHA-256 fingerprints of the certificates naming it."""
    out: dict[str, list[str]] = {}
    for component in items:
        cert = (component.get("cryptoProperties") or {}).get("certificateProperties")
        if not isinstance(cert, dict):
            continue
        digest = _sha256(cert.get("fingerprint"))
        refs = [cert.get("subjectPublicKeyRef")] + [
            a.get("ref")
            for a in cert.get("relatedCryptographicAssets") or []
            if isinstance(a, dict) and a.get("type") == "publicKey"
        ]
        for ref in refs:
            if digest and isinstance(ref, str):
                out.setdefault(ref, []).append(digest)
    return out


def _fields(
    component: Mapping[str, Any],
    props: Mapping[str, Any],
    by_ref: Mapping[str, Mapping[str, Any]],
    certificates: list[str],
) -> dict[str, Any]:
    fields: dict[str, Any] = {"kind": "asymmetric", "state": props.get("state") or "active"}
    algorithm = by_ref.get(str(props.get("algorithmRef")), {}).get("name")
    if isinstance(algorithm, str) and algorithm.replace("-", "").isalnum() and len(algorithm) < 64:
        fields["algorithm"] = algorithm
    dates = {ours: str(props[theirs])[:10] for theirs, ours in DATES.items() if props.get(theirs)}
    if dates:
        fields["dates"] = dates
    mechanism = str((props.get("securedBy") or {}).get("mechanism", "")).lower()
    if mechanism in CUSTODY:
        fields["custody"] = {"expected": CUSTODY[mechanism]}
    if certificates:
        fields["fingerprints"] = {"x509_sha256": certificates}
    fields["aliases"] = {"cbom_ref": component["bom-ref"]}
    fields["imported_from"] = "cbom"
    return fields


def _existing(document: Mapping[str, Any], ref: str, spki: str) -> dict[str, Any] | None:
    for entry in document.get("keys") or []:
        if (entry.get("aliases") or {}).get("cbom_ref") == ref:
            return dict_entry(entry)
    return find_entry(document, "spki_sha256", spki)


def _merge(entry: dict[str, Any], fields: Mapping[str, Any], spki: str, full: bool) -> None:
    """Update an entry; `full` False (a second component of the same key, such as
    its public half) adds certificate fingerprints only."""
    if full:
        entry["state"] = fields["state"]
        for name in ("algorithm", "custody"):
            if name in fields and name not in entry:
                entry[name] = fields[name]
        if "dates" in fields:
            entry.setdefault("dates", {}).update(fields["dates"])
        entry.setdefault("aliases", {}).setdefault("cbom_ref", fields["aliases"]["cbom_ref"])
    prints = entry.setdefault("fingerprints", {})
    prints.setdefault("spki_sha256", spki)
    certs = prints.setdefault("x509_sha256", [])
    certs.extend(c for c in fields.get("fingerprints", {}).get("x509_sha256", []) if c not in certs)
    if not certs:
        del prints["x509_sha256"]
