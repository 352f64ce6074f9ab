"""The fields every reporter shows, as plain JSON-ready values in a fixed key order.

`finding_to_dict` is the one place that decides what of a finding leaves the
process: the secret's preview, keyed hash and length (never a plain hash, never
its SHA-1, never more), a key's fingerprints (hashes of public material; never
its public DER), a token's keyed hash and header (never the token, never a plain
hash of it or of its subject). Reporters, the baseline, the sweep and the
inventory reuse it. The summary says which hash key made the hashes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from scanner import __version__, hashkey
from scanner.model import (
    Finding,
    KeyInfo,
    RegistryVerdict,
    Report,
    ScanWarning,
    Severity,
    TokenInfo,
)
from scanner.redact import rekey

TOOL_NAME = "keysweep"
FINGERPRINT_ORDER = ("spki_sha256", "jwk_thumbprint", "ssh_sha256", "pgp", "x509_sha256")
"""Well-known fingerprints first, in this order; any others follow, sorted."""
PRIVATE_JWK_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})
"""JWK members that carry private or symmetric material: never copied from a token header."""
_HEADER_DEPTH = 3
_HEADER_TEXT_MAX = 200
_HEADER_ITEMS = 32
_SECRET_SIGNER = "secret:"

JSONDict = dict[str, Any]


def finding_to_dict(finding: Finding) -> JSONDict:
    origin = finding.origin
    return {
        "id": finding.id,
        "rule": finding.rule,
        "name": finding.name,
        "kind": finding.kind.value,
        "severity": finding.severity.label,
        "detector": finding.detector,
        "path": origin.path,
        "line": finding.line,
        "column": finding.column,
        "end_line": finding.end_line,
        "source": origin.source.value,
        "commit": origin.commit,
        "author": origin.author,
        "date": origin.date,
        "at_head": origin.at_head,
        "repository": origin.repository,
        "archive_member": origin.archive_member,
        "file_mode": origin.file_mode,
        "file_owner": origin.file_owner,
        "message": finding.message,
        "context": finding.context,
        "confidence": finding.confidence,
        "facts": facts_to_dict(finding.facts),
        "secret": {
            "preview": finding.secret.preview,
            "hash": finding.secret.keyed_hash,
            "length": finding.secret.length,
        },
        "key": key_to_dict(finding.key) if finding.key else None,
        "token": token_to_dict(finding.token) if finding.token else None,
        "registry": registry_to_dict(finding.registry) if finding.registry else None,
    }


def facts_to_dict(facts: Mapping[str, str]) -> dict[str, str]:
    """Decoded facts (account id, environment, user name, host), sorted and bounded.
    Validators and pairing put only non-secret parts here."""
    return {str(k): str(v)[:_HEADER_TEXT_MAX] for k, v in sorted(facts.items())[:_HEADER_ITEMS]}


def key_to_dict(key: KeyInfo) -> JSONDict:
    return {
        "format": key.format,
        "algorithm": key.algorithm,
        "bits": key.bits,
        "curve": key.curve,
        "encrypted": key.encrypted,
        "public_known": key.public_known,
        "weak_passphrase": key.weak_passphrase,
        "parsed": key.parsed,
        "note": key.note,
        "fingerprints": ordered_fingerprints(key.fingerprints),
        "certificates": list(key.certificates),
    }


def ordered_fingerprints(fingerprints: Mapping[str, str]) -> dict[str, str]:
    known = [name for name in FINGERPRINT_ORDER if name in fingerprints]
    others = sorted(name for name in fingerprints if name not in FINGERPRINT_ORDER)
    return {name: fingerprints[name] for name in (*known, *others)}


def token_to_dict(token: TokenInfo) -> JSONDict:
    return {
        "hash": rekey(token.sha256),
        "header": _safe_header(token.header, _HEADER_DEPTH),
        "issued_at": token.issued_at,
        "expires_at": token.expires_at,
        "not_before": token.not_before,
        "subject_hash": rekey(token.subject_hash) if token.subject_hash else None,
        "verified_by": _safe_signer(token.verified_by),
    }


def _safe_signer(label: str | None) -> str | None:
    """A registry key id as it is; a found HMAC secret ('secret:<hash prefix>') by a
    prefix of its keyed hash instead."""
    if label is None or not label.startswith(_SECRET_SIGNER):
        return label
    return _SECRET_SIGNER + rekey(label.removeprefix(_SECRET_SIGNER))[:12]


def _safe_header(value: object, depth: int) -> Any:
    """An untrusted JWT header, bounded: sorted keys, short strings, no private JWK members."""
    if isinstance(value, Mapping):
        if depth <= 0:
            return "<object>"
        return {
            str(k): _safe_header(v, depth - 1)
            for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))[:_HEADER_ITEMS]
            if str(k) not in PRIVATE_JWK_MEMBERS
        }
    if isinstance(value, list | tuple):
        return (
            [_safe_header(v, depth - 1) for v in value[:_HEADER_ITEMS]] if depth > 0 else "<array>"
        )
    if value is None or isinstance(value, bool | int | float):
        return value
    text = str(value)
    return text if len(text) <= _HEADER_TEXT_MAX else text[:_HEADER_TEXT_MAX] + "…"


def registry_to_dict(hit: RegistryVerdict) -> JSONDict:
    return {
        "verdict": hit.verdict.value,
        "key_id": hit.key_id,
        "state": hit.state,
        "owner": hit.owner,
        "owner_status": hit.owner_status,
        "matched_by": hit.matched_by,
        "reason": hit.reason,
        "severity": hit.severity.label,
    }


def error_to_dict(error: ScanWarning) -> JSONDict:
    return {"path": error.path, "message": error.message, "level": error.level}


def severity_counts(findings: Iterable[Finding]) -> dict[str, int]:
    counts = {s.label: 0 for s in sorted(Severity, reverse=True)}
    for finding in findings:
        counts[finding.severity.label] += 1
    return counts


def tool_to_dict(report: Report) -> JSONDict:
    tool: JSONDict = {"name": TOOL_NAME, "version": __version__}
    rules_version = report.meta.get("rules_version")
    if rules_version is not None:
        tool["rules_version"] = str(rules_version)
    return tool


def summary_to_dict(report: Report) -> JSONDict:
    summary: JSONDict = {
        "findings": len(report.findings),
        "by_severity": severity_counts(report.findings),
        "items_scanned": report.items_scanned,
        "bytes_scanned": report.bytes_scanned,
        "elapsed": round(report.elapsed, 3),
        "suppressed": dict(sorted(report.suppressed.items())),
        "skipped": dict(sorted(report.skipped.items())),
        "warnings": len(report.warnings),
        "partial": report.partial,
        "partial_reason": report.partial_reason,
        "roots": list(report.roots),
        "secret_hash": hashkey.current().describe(),
    }
    meta = {k: v for k, v in sorted(report.meta.items()) if k != "rules_version"}
    if meta:
        summary["meta"] = meta
    return summary


def sorted_findings(findings: Iterable[Finding]) -> list[Finding]:
    """A stable order whatever order the workers finished in."""
    return sorted(
        findings,
        key=lambda f: (
            f.origin.path,
            f.origin.archive_member or "",
            f.line,
            f.column,
            f.rule,
            f.origin.commit or "",
            f.id,
        ),
    )


def sorted_errors(errors: Iterable[ScanWarning]) -> list[ScanWarning]:
    return sorted(errors, key=lambda e: (e.path, e.message, e.level))
