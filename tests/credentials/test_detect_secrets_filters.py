"""detect-secrets, when enabled, passes through keysweep's placeholder, structure
and context filters, and never replaces a keysweep rule's finding."""

from __future__ import annotations

import secrets
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any

from support import checksummed

Scan = Callable[..., tuple[int, list[dict[str, Any]], dict[str, Any]]]
Put = Callable[[str, str], Path]
BOTH = ("--detector", "rules", "--detector", "detect-secrets")


def test_a_keysweep_finding_keeps_its_rule_and_severity(put: Put, scan: Scan) -> None:
    put("app/config.py", f"GITHUB_TOKEN = '{checksummed('ghp_')}'\n")
    code, findings, _ = scan(*BOTH)
    assert code == 1
    assert [(f["rule"], f["severity"], f["detector"]) for f in findings] == [
        ("vcs.github-pat-classic", "high", "rules")
    ]


def test_its_placeholders_and_broken_tokens_are_no_findings(put: Put, scan: Scan) -> None:
    broken = "ghp_" + "".join(secrets.choice(string.ascii_letters) for _ in range(36))
    put(
        "app/settings.py",
        f'password = "changeme123"\napi_key = "qwertyuiop"\ntoken = "{broken}"\n',
    )
    code, findings, summary = scan(*BOTH)
    assert (code, findings) == (0, [])
    assert (
        summary["suppressed"].get("placeholder", 0) + summary["suppressed"].get("structure", 0) >= 2
    )


def test_its_findings_carry_context(put: Put, scan: Scan) -> None:
    value = secrets.token_hex(20)
    put("tests/test_client.py", f'client_key = "{value}"\n')
    code, findings, _ = scan("--detector", "detect-secrets")
    assert code == 0
    assert findings and {f["context"] for f in findings} == {"test"}
    assert {f["detector"] for f in findings} == {"detect-secrets"}
