"""detect-secrets as a second engine: its plugins over an item's lines.

The only module that imports detect_secrets. Its settings are a process-global
singleton; every call here runs inside `transient_settings`, which restores the
previous settings afterwards, so nothing leaks into other code or tests.

Network verification never runs: detect-secrets verifies a secret only when the
filter `is_ignored_due_to_verification_policies` is configured (its CLI's
default unless `--no-verify`); our settings leave it out, and `_settings` fails
loudly if it ever reappears. Its heuristic filters (sequential strings, UUIDs,
templates, indirect references, lock files, `pragma: allowlist secret`, …) are on.

Rule ids are `detect-secrets.<secret type in kebab case>`, e.g.
`detect-secrets.base64-high-entropy-string`. Lines longer than `MAX_LINE` are
not given to its (Python `re`) patterns.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from scanner.config import Config
from scanner.detectors.declared import DeclaredRule
from scanner.model import Match, Origin, Rule, RuleKind, ScanWarning, Severity
from scanner.text import is_binary

MAX_LINE = 4096
_VERIFY_FILTER = "detect_secrets.filters.common.is_ignored_due_to_verification_policies"
_HEURISTIC_FILTERS = (
    "detect_secrets.filters.allowlist.is_line_allowlisted",
    "detect_secrets.filters.heuristic.is_sequential_string",
    "detect_secrets.filters.heuristic.is_potential_uuid",
    "detect_secrets.filters.heuristic.is_likely_id_string",
    "detect_secrets.filters.heuristic.is_templated_secret",
    "detect_secrets.filters.heuristic.is_prefixed_with_dollar_sign",
    "detect_secrets.filters.heuristic.is_indirect_reference",
    "detect_secrets.filters.heuristic.is_lock_file",
    "detect_secrets.filters.heuristic.is_not_alphanumeric_string",
    "detect_secrets.filters.heuristic.is_swagger_file",
    "detect_secrets.filters.heuristic.is_non_text_file",
)
_SKIPPED_PLUGINS = frozenset({"IPPublicDetector", "PrivateKeyDetector"})
"""A public IP address is not a credential; private keys are the rule engine's
and key analysis's (detect-secrets reports only the armour line, which would
duplicate the parsed key as an unparsable one)."""
_CREDENTIAL_TYPES = {
    "Secret Keyword": Severity.MEDIUM,
    "Basic Auth Credentials": Severity.MEDIUM,
    "Base64 High Entropy String": Severity.LOW,
    "Hex High Entropy String": Severity.LOW,
}
"""Everything else detect-secrets knows is a vendor token: kind token, medium."""


def rule_id(secret_type: str) -> str:
    """'Base64 High Entropy String' → 'detect-secrets.base64-high-entropy-string'."""
    words = "".join(c.lower() if c.isalnum() else " " for c in secret_type).split()
    return "detect-secrets." + "-".join(words)


class DetectSecretsDetector:
    name = "detect-secrets"

    def __init__(self, config: Config, rules: Sequence[Rule]) -> None:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

        plugins: dict[str, type] = get_mapping_from_secret_type_to_class()
        self._patterns: dict[str, tuple[Any, ...]] = {
            kind: tuple(getattr(cls, "denylist", ())) for kind, cls in plugins.items()
        }
        self._plugins = sorted(
            cls.__name__ for cls in plugins.values() if cls.__name__ not in _SKIPPED_PLUGINS
        )

    def wants(self, origin: Origin, data: bytes) -> bool:
        return not is_binary(data)

    def detect(self, origin: Origin, data: bytes) -> list[Match | ScanWarning]:
        from detect_secrets.settings import transient_settings

        config = {
            "plugins_used": [{"name": name} for name in self._plugins],
            "filters_used": [{"path": path} for path in _HEURISTIC_FILTERS],
        }
        with transient_settings(config) as settings:
            settings.disable_filters("detect_secrets.filters.common.is_invalid_file")
            if _VERIFY_FILTER in settings.filters:  # pragma: no cover - a library change
                raise RuntimeError("detect-secrets would verify secrets over the network")
            return list(self._scan(origin, data))

    def _scan(self, origin: Origin, data: bytes) -> Iterator[Match]:
        from detect_secrets.core.scan import _is_filtered_out, _process_line_based_plugins

        filename = origin.archive_member or origin.path
        if _is_filtered_out(required_filter_parameters=["filename"], filename=filename):
            return
        lines = data.decode("utf-8", errors="replace").split("\n")
        numbered = [(n, line if len(line) <= MAX_LINE else "") for n, line in enumerate(lines, 1)]
        starts = _byte_starts(data)
        seen: set[tuple[int, str, str]] = set()
        for found in _process_line_based_plugins(lines=numbered, filename=filename):
            key = (found.line_number, found.type, found.secret_value or "")
            if found.secret_value and key not in seen:
                seen.add(key)
                line = lines[found.line_number - 1]
                value = self._whole(found.type, found.secret_value, line)
                yield _match(
                    found.type, value, found.line_number, line, starts[found.line_number - 1]
                )

    def _whole(self, secret_type: str, value: str, line: str) -> str:
        """The whole token when a plugin's pattern reports only a capture group of it
        (detect-secrets 1.5 reports `ghp` for a GitHub token)."""
        for pattern in self._patterns.get(secret_type, ()):
            for found in pattern.finditer(line):
                whole: str = found.group(0)
                if whole != value and whole.startswith(value):
                    return whole
        return value


def defer_to_rules(matches: Sequence[Match]) -> list[Match]:
    """detect-secrets' matches minus those on bytes a keysweep detector matched:
    it never replaces the rule id or lowers the severity of keysweep's finding."""
    ours = [m for m in matches if m.detector != DetectSecretsDetector.name]
    if len(ours) == len(matches):
        return list(matches)
    spans = {(m.line, m.start, m.end) for m in ours}
    secrets = {m.secret for m in ours}
    return [
        m
        for m in matches
        if m.detector != DetectSecretsDetector.name
        or not (m.secret in secrets or any(_overlaps(m, s) for s in spans))
    ]


def _overlaps(match: Match, span: tuple[int, int, int]) -> bool:
    line, start, end = span
    return match.line == line and match.start < end and start < match.end


def _byte_starts(data: bytes) -> list[int]:
    starts = [0]
    index = data.find(b"\n")
    while index >= 0:
        starts.append(index + 1)
        index = data.find(b"\n", index + 1)
    return starts


def _match(secret_type: str, value: str, number: int, line: str, line_start: int) -> Match:
    column = max(line.find(value), 0)
    start = line_start + len(line[:column].encode("utf-8"))
    secret = value.encode("utf-8")
    kind, severity = _kind(secret_type)
    return Match(
        rule_id=rule_id(secret_type),
        rule_name=f"{secret_type} (detect-secrets)",
        kind=kind,
        severity=severity,
        detector="detect-secrets",
        start=start,
        end=start + len(secret),
        line=number,
        column=column + 1,
        end_line=number,
        secret=secret,
    )


def declared_rules() -> list[DeclaredRule]:
    """One rule per detect-secrets plugin in use, named as its matches are."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    plugins: dict[str, type] = get_mapping_from_secret_type_to_class()
    return [
        DeclaredRule(
            rule_id(secret_type),
            f"{secret_type} (detect-secrets)",
            *_kind(secret_type),
            DetectSecretsDetector.name,
            f"detect_secrets.plugins ({cls.__name__})",
        )
        for secret_type, cls in sorted(plugins.items())
        if cls.__name__ not in _SKIPPED_PLUGINS
    ]


def _kind(secret_type: str) -> tuple[RuleKind, Severity]:
    """Credentials and high-entropy strings are what `_CREDENTIAL_TYPES` says;
    every other detect-secrets type is a vendor token."""
    if secret_type in _CREDENTIAL_TYPES:
        return RuleKind.CREDENTIAL, _CREDENTIAL_TYPES[secret_type]
    return RuleKind.TOKEN, Severity.MEDIUM
