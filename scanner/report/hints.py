"""What to do about a finding: one short sentence, shared by the text and SARIF reports."""

from __future__ import annotations

from collections.abc import Callable

from scanner.model import Finding, RegistryHit, RuleKind, Severity, SourceKind, Verdict

_REMOVE = "remove it from the repository and history, then rotate it"


def _entry(hit: RegistryHit) -> str:
    return f"see the registry entry {hit.key_id}" if hit.key_id else "see the registry"


VERDICT_HINTS: dict[Verdict, Callable[[RegistryHit], str]] = {
    Verdict.RETIRED_KEY_PRESENT: lambda h: f"destroy this copy; it is retired ({_entry(h)})",
    Verdict.TOKEN_SIGNED_BY_RETIRED_KEY: lambda h: (
        f"treat this token as forged: make sure no service still trusts key "
        f"{h.key_id or '(retired)'}, then delete the token"
    ),
    Verdict.TOKEN_ALG_NONE: lambda h: "an unsigned token: reject alg none everywhere, delete it",
    Verdict.TOKEN_UNVERIFIED_KID: lambda h: (
        f"no registered key verifies this token although it names {h.key_id or 'one'}: "
        "treat it as forged"
    ),
    Verdict.OUTSIDE_CUSTODY: lambda h: (
        f"this key may live only in its custody: remove this copy and rotate it; {_entry(h)}"
    ),
    Verdict.DEPARTED_OWNER: lambda h: (
        f"its owner has left: reassign the key and rotate it; {_entry(h)}"
    ),
    Verdict.ROTATION_OVERDUE: lambda h: f"rotation or expiry is overdue: rotate it; {_entry(h)}",
    Verdict.ACTIVE_KEY_PRESENT: lambda h: f"{_REMOVE}; {_entry(h)}",
    Verdict.UNREGISTERED_KEY: lambda h: f"{_REMOVE}, or register it if it must exist",
    Verdict.ENCRYPTED_UNKNOWN: lambda h: (
        "put its public key beside it (x.pub) or register it, so its identity is known"
    ),
    Verdict.TOKEN_VERIFIED_ACTIVE: lambda h: (
        f"a live token signed by {h.key_id or 'an active key'}: delete it and revoke it"
    ),
    Verdict.TOKEN_UNKNOWN_SIGNER: lambda h: "delete the token, and revoke it if it is live",
}

KIND_HINTS: dict[RuleKind, str] = {
    RuleKind.PRIVATE_KEY: _REMOVE,
    RuleKind.KEY_FILE: "remove the key file from the repository and history, then rotate the key",
    RuleKind.CREDENTIAL: "remove it from the repository and history, then revoke and replace it",
    RuleKind.TOKEN: "remove it from the repository and history, then revoke it",
}


def fix_hint(finding: Finding) -> str:
    if finding.registry is not None:
        return VERDICT_HINTS[finding.registry.verdict](finding.registry)
    if finding.key is not None and not finding.key.parsed:
        return "check it: it looks like key material but does not parse"
    hint = KIND_HINTS[finding.kind]
    if finding.origin.source is SourceKind.GIT and finding.origin.at_head is False:
        hint += " (it is in history only)"
    return hint


def is_critical_registry(finding: Finding) -> bool:
    """A retired or compromised key present, or a forged token: shown first."""
    return finding.registry is not None and finding.registry.severity >= Severity.CRITICAL
