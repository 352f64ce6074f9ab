"""What to do about a finding: one short sentence, shared by the text and SARIF reports.

The advice fits where the secret was found. In a repository's files it is
"remove it from the repository and history"; in a commit about to be made, "take
it out of the commit"; in history only, "rewrite history"; on a workstation
(a sweep), it is about the machine: file permissions, a credential helper, the
registry. A registry verdict says what the registry asks for: rotate, revoke,
move into custody, or destroy.
"""

from __future__ import annotations

from collections.abc import Callable

from scanner.model import (
    UNSCANNED_RULE,
    Finding,
    RegistryVerdict,
    RuleKind,
    Severity,
    SourceKind,
    Verdict,
)
from scanner.registry.verdicts import OUTSIDE_ALLOWED

Place = str
"""repository | staged | history | workstation"""
REPOSITORY, STAGED, HISTORY, WORKSTATION = "repository", "staged", "history", "workstation"

_REMOVE = "remove it from the repository and history, then rotate it"


def _entry(hit: RegistryVerdict) -> str:
    return f"see the registry entry {hit.key_id}" if hit.key_id else "see the registry"


def _take_away(place: Place) -> str:
    """How this copy goes away, wherever it is."""
    return {
        REPOSITORY: "remove it from the repository and history",
        STAGED: "take it out of the commit",
        HISTORY: "rewrite the history that holds it",
        WORKSTATION: "delete this file copy",
    }[place]


def _retired(hit: RegistryVerdict, place: Place) -> str:
    if hit.state == "compromised":
        return (
            f"the key is compromised: revoke it wherever it is still trusted and destroy "
            f"this copy ({_take_away(place)}); {_entry(hit)}"
        )
    return f"destroy this copy ({_take_away(place)}): the key is {hit.state or 'retired'}; {_entry(hit)}"


def _active(hit: RegistryVerdict, place: Place) -> str:
    if place != WORKSTATION:
        return f"{_REMOVE}; {_entry(hit)}"
    if hit.severity is Severity.INFO:
        return f"registered and in an allowed location: nothing to do; {_entry(hit)}"
    return (
        f"list where it may live (allowed_locations) in the registry, or move it into "
        f"custody; {_entry(hit)}"
    )


def _outside(hit: RegistryVerdict, place: Place) -> str:
    if OUTSIDE_ALLOWED in hit.reason:
        return (
            f"it may live only in the places its registry entry allows: {_take_away(place)}, "
            f"keep the allowed copy, and rotate it if this one was shared; {_entry(hit)}"
        )
    return (
        f"this key may live only in its custody: move it into custody, {_take_away(place)} "
        f"and rotate it; {_entry(hit)}"
    )


def _unregistered(hit: RegistryVerdict, place: Place) -> str:
    if place == WORKSTATION:
        return "register it (owner, allowed locations) if it is in use, else destroy it"
    return f"{_REMOVE}, or register it if it must exist"


VERDICT_HINTS: dict[Verdict, Callable[[RegistryVerdict, Place], str]] = {
    Verdict.RETIRED_KEY_PRESENT: _retired,
    Verdict.SUSPENDED_KEY_PRESENT: lambda h, p: (
        f"the key is suspended: move this copy into custody until the registry reactivates "
        f"or retires it; {_entry(h)}"
    ),
    Verdict.TOKEN_SIGNED_BY_RETIRED_KEY: lambda h, p: (
        f"treat this token as forged: make sure no service still trusts key "
        f"{h.key_id or '(retired)'}, then delete the token ({_take_away(p)})"
    ),
    Verdict.TOKEN_ALG_NONE: lambda h, p: (
        f"an unsigned token: reject alg none everywhere, and {_take_away(p)}"
    ),
    Verdict.TOKEN_UNVERIFIED_KID: lambda h, p: (
        f"no registered key verifies this token although it names {h.key_id or 'one'}: "
        "treat it as forged"
    ),
    Verdict.OUTSIDE_CUSTODY: _outside,
    Verdict.DEPARTED_OWNER: lambda h, p: (
        f"its owner has left: reassign the key and rotate it; {_entry(h)}"
    ),
    Verdict.ROTATION_OVERDUE: lambda h, p: f"rotation or expiry is overdue: rotate it; {_entry(h)}",
    Verdict.ACTIVE_KEY_PRESENT: _active,
    Verdict.UNREGISTERED_KEY: _unregistered,
    Verdict.ENCRYPTED_UNKNOWN: lambda h, p: (
        "put its public key beside it (x.pub) or register it, so its identity is known"
    ),
    Verdict.TOKEN_VERIFIED_ACTIVE: lambda h, p: (
        f"a live token signed by {h.key_id or 'an active key'}: revoke it and {_take_away(p)}"
    ),
    Verdict.TOKEN_UNKNOWN_SIGNER: lambda h, p: (
        f"{_take_away(p)}, and revoke the token if it is live"
    ),
}

KIND_HINTS: dict[RuleKind, str] = {
    RuleKind.PRIVATE_KEY: _REMOVE,
    RuleKind.KEY_FILE: "remove the key file from the repository and history, then rotate the key",
    RuleKind.CREDENTIAL: "remove it from the repository and history, then revoke and replace it",
    RuleKind.TOKEN: "remove it from the repository and history, then revoke it",
}
"""Repository advice by kind (also each SARIF rule's help text)."""

PLACE_HINTS: dict[Place, dict[RuleKind, str]] = {
    STAGED: {
        RuleKind.PRIVATE_KEY: "take it out of the commit (it is not in history yet); rotate it "
        "if it was shared",
        RuleKind.KEY_FILE: "take the key file out of the commit and add it to .gitignore",
        RuleKind.CREDENTIAL: "take it out of the commit and read it from the environment or a "
        "secret manager instead",
        RuleKind.TOKEN: "take it out of the commit; revoke it if it was shared",
    },
    HISTORY: {
        RuleKind.PRIVATE_KEY: "it is in history only: rotate it, then rewrite the history that "
        "holds it",
        RuleKind.KEY_FILE: "it is in history only: rotate the key, then rewrite the history "
        "that holds the file",
        RuleKind.CREDENTIAL: "it is in history only: revoke and replace it, then rewrite the "
        "history that holds it",
        RuleKind.TOKEN: "it is in history only: revoke it, then rewrite the history that holds it",
    },
    WORKSTATION: {
        RuleKind.PRIVATE_KEY: "keep it readable by you alone (chmod 600) and passphrase-protected, "
        "and register it; destroy it if it is no longer used",
        RuleKind.KEY_FILE: "keep it readable by you alone (chmod 600) and register the key; "
        "destroy it if it is no longer used",
        RuleKind.CREDENTIAL: "move it into a credential helper, keychain or secret manager "
        "(short-lived credentials where the tool allows), and revoke it if it is not needed",
        RuleKind.TOKEN: "delete it if it is not needed and revoke it; keep live tokens in a "
        "keychain or credential helper",
    },
}


def place(finding: Finding) -> Place:
    """Where the secret is, as far as advice goes."""
    origin = finding.origin
    if origin.source is SourceKind.WORKSTATION:
        return WORKSTATION
    if origin.source is SourceKind.STAGED:
        return STAGED
    if origin.source is SourceKind.GIT and origin.at_head is False:
        return HISTORY
    return REPOSITORY


UNSCANNED_HINT = (
    "nothing here was proven clean: scan it within a larger limit (the reason says which), "
    "or exclude the path if it can hold no secret"
)
"""Advice for `unscanned-content`: content the scan could not read is not a secret to
remove or revoke; what it needs is a scan."""


def fix_hint(finding: Finding) -> str:
    if finding.rule == UNSCANNED_RULE:
        return UNSCANNED_HINT
    where = place(finding)
    if finding.registry is not None:
        return VERDICT_HINTS[finding.registry.verdict](finding.registry, where)
    if finding.key is not None and not finding.key.parsed:
        return "check it: it looks like key material but does not parse"
    return PLACE_HINTS.get(where, KIND_HINTS)[finding.kind]


CRITICAL_VERDICTS = frozenset(
    {
        Verdict.RETIRED_KEY_PRESENT,
        Verdict.TOKEN_SIGNED_BY_RETIRED_KEY,
        Verdict.TOKEN_ALG_NONE,
        Verdict.TOKEN_UNVERIFIED_KID,
    }
)
"""Retired or compromised keys, and forged tokens: the text report's first block.
Active keys never go there, however severe (a departed owner, an overdue rotation)."""


def is_critical_registry(finding: Finding) -> bool:
    """A retired or compromised key present, or a forged token: shown first."""
    return finding.registry is not None and finding.registry.verdict in CRITICAL_VERDICTS
