"""Value types shared by every stage of the pipeline.

Frozen dataclasses and enums only: no behaviour beyond derived properties.
Secret bytes live in `Match.secret` (memory only, never serialised); everything
on a `Finding` is safe to show.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NewType

from scanner.frozen import quick_init

FindingId = NewType("FindingId", str)
RuleId = NewType("RuleId", str)
UNSCANNED_RULE = "unscanned-content"
"""The rule of a finding for content that was not fully scanned (`scanner.unscanned`):
it fails the gate in any context and no baseline hides it."""


class Severity(enum.IntEnum):
    """Ordered, so `--fail-on high` is a comparison. INFO is for what is in its
    right place (a registered key inside its allowed locations): shown, never a
    reason to fail unless `--fail-on info` asks."""

    INFO = 0
    LOW = 1
    MEDIUM = 2
    HIGH = 3
    CRITICAL = 4

    @property
    def label(self) -> str:
        return self.name.lower()

    @classmethod
    def parse(cls, text: str) -> Severity:
        try:
            return cls[text.strip().upper()]
        except KeyError:
            choices = ", ".join(s.label for s in cls)
            # never quoted: the text may come from a scanned config or rule file
            raise ValueError(f"unknown severity (choose from {choices})") from None

    def raised(self, steps: int = 1) -> Severity:
        return Severity(min(int(self) + steps, int(Severity.CRITICAL)))


class RuleKind(enum.StrEnum):
    PRIVATE_KEY = "private-key"
    CREDENTIAL = "credential"
    TOKEN = "token"
    KEY_FILE = "key-file"


class SourceKind(enum.StrEnum):
    FILE = "file"
    GIT = "git"
    STAGED = "staged"
    WORKSTATION = "workstation"
    """A file found by a sweep: someone's machine, not a repository."""


class Verdict(enum.StrEnum):
    """Registry cross-check outcomes (README.md, "What it does", and docs/architecture.md)."""

    RETIRED_KEY_PRESENT = "retired-key-present"
    SUSPENDED_KEY_PRESENT = "suspended-key-present"
    TOKEN_SIGNED_BY_RETIRED_KEY = "token-signed-by-retired-key"
    TOKEN_ALG_NONE = "token-alg-none"
    TOKEN_UNVERIFIED_KID = "token-unverified-kid"
    OUTSIDE_CUSTODY = "active-key-outside-custody"
    DEPARTED_OWNER = "active-key-departed-owner"
    ROTATION_OVERDUE = "active-key-rotation-overdue"
    ACTIVE_KEY_PRESENT = "active-key-present"
    UNREGISTERED_KEY = "unregistered-key"
    ENCRYPTED_UNKNOWN = "encrypted-key-identity-unknown"
    TOKEN_VERIFIED_ACTIVE = "token-signed-by-active-key"
    TOKEN_UNKNOWN_SIGNER = "token-unknown-signer"


@quick_init  # one per git blob: see `scanner.frozen`
@dataclass(frozen=True)
class Origin:
    """Where the bytes of an item came from."""

    path: str
    """Display path: relative to the scanned root (absolute or ~/… for a sweep)."""
    source: SourceKind = SourceKind.FILE
    fs_path: str | None = None
    """Absolute path on disk, for items read from the file system."""
    commit: str | None = None
    author: str | None = None
    date: str | None = None
    """ISO 8601 commit date."""
    at_head: bool | None = None
    """For git: whether this blob is still present in HEAD's tree (at any path:
    a key that was moved is still there)."""
    archive_member: str | None = None
    """For archives: the member path inside the archive (nested: a/b.zip!c/d)."""
    file_mode: str | None = None
    """Permissions as `0o600`, for files on disk (sweeps report them)."""
    file_owner: str | None = None
    also: tuple[Origin, ...] = ()
    """Other places that hold the very same bytes (git: the other paths of one blob,
    HEAD paths first). The item is scanned once; its findings list every place."""
    repository: str | None = None
    """For git stores found by `scan` and `sweep`: the repository's display path."""
    context_from: int = 0
    """Where the part of `path` that tells a finding's context starts: a sweep leaves
    out its root, and a git store its repository (a sweep of `~/examples/laptop` is
    not example code; a repository's `tests/` is test code)."""


@dataclass(frozen=True)
class BlobStore:
    """A repository whose blobs the scanning process reads itself, by id: the
    repository as found and vetted in the main process (`sources.gitsafe`), which
    each process turns into a hardened git reader of its own (`sources.gitblobs`)."""

    git_dir: str
    work_tree: str | None = None
    index_file: str | None = None
    max_size: int | None = None
    """Blobs larger than this are skipped by the reader (`sources.gitblobs`), as
    the main process skips them when it reads."""


@quick_init
@dataclass(frozen=True)
class Item:
    """A unit of bytes to scan. `data` None means: read blob `blob_id` from
    `store` when a store is named, else `origin.fs_path`."""

    origin: Origin
    data: bytes | None = None
    blob_id: str | None = None
    """Git blob id (sha1 of 'blob <len>\\0' + data): the dedup key."""
    size: int | None = None
    store: BlobStore | None = None
    """Where the scanning process reads the blob (a large history, read by its workers)."""
    problem_path: str | None = None
    """Where a blob read from `store` that cannot be scanned (missing, corrupt, over
    the size limit) is reported, when not at `origin.path`: the path git log first
    met it at, as the main process reports the blobs it reads."""


@quick_init  # about a thousand, each time the rules are read from their cache
@dataclass(frozen=True)
class Rule:
    """One YAML rule, validated. The compiled form lives in `engine`."""

    id: str
    name: str
    kind: RuleKind
    severity: Severity
    pattern: str | None
    """None only for key-file rules, which match on path alone."""
    keywords: tuple[str, ...] = ()
    entropy: float | None = None
    path_include: tuple[str, ...] = ()
    path_exclude: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    examples: tuple[str, ...] = ()
    negative_examples: tuple[str, ...] = ()
    references: tuple[str, ...] = ()
    description: str = ""
    source_file: str = ""
    """The YAML file the rule came from (for error messages)."""
    validate: str | None = None
    """Name in scanner.engine.validators.VALIDATORS: the value's structure check."""


@dataclass(frozen=True)
class Match:
    """A detector's raw hit. `secret` is in memory only and never serialised."""

    rule_id: str
    rule_name: str
    kind: RuleKind
    severity: Severity
    detector: str
    start: int
    """Byte offset of the secret in the item."""
    end: int
    line: int
    """1-based."""
    column: int
    """1-based, counted in characters of the decoded line."""
    end_line: int
    secret: bytes = field(repr=False)
    confidence: str | None = None
    """'verified-format' when the rule's validator checked the value's structure."""
    facts: Mapping[str, str] = field(default_factory=dict)
    """What the structure or the parts around it tell (account id, environment,
    user name, host): never the secret or anything that confirms it."""
    floor: Severity | None = None
    """On a key match that absorbed token or credential matches on the same bytes:
    the highest severity they gave. What key analysis says about the key material
    never lowers the finding below it."""


@dataclass(frozen=True)
class KeyInfo:
    """What key analysis learned about a piece of key material."""

    format: str
    """pkcs1-pem, sec1-pem, pkcs8-pem, pkcs8-encrypted, openssh, putty, pgp, jwk,
    pkcs12, jks, der, gcp-service-account, kubeconfig, hmac-secret, …"""
    algorithm: str | None = None
    """RSA, EC, Ed25519, Ed448, DSA, X25519, …"""
    bits: int | None = None
    curve: str | None = None
    encrypted: bool = False
    public_known: bool = True
    """False when the public part could not be read (encrypted, no adjacent .pub)."""
    weak_passphrase: bool = False
    """Opened with a well-known or empty passphrase (the passphrase is never kept)."""
    fingerprints: Mapping[str, str] = field(default_factory=dict)
    """spki_sha256 (hex), jwk_thumbprint (base64url), ssh_sha256 ('SHA256:…'),
    pgp (hex), x509_sha256 (hex, first certificate), secret_hash (symmetric)."""
    certificates: tuple[str, ...] = ()
    """SHA-256 (hex) of DER certificates found alongside the key."""
    note: str | None = None
    """E.g. 'public part read from x.pub', 'unparsable key material: …'."""
    parsed: bool = True
    """False for material that matched a private-key rule but did not parse."""
    public_der: bytes | None = field(default=None, repr=False, compare=False)
    """DER SubjectPublicKeyInfo, when known: lets the token stage verify JWTs with
    keys found in the same scan. Public, but reporters do not print it."""


@dataclass(frozen=True)
class TokenInfo:
    """A JWT, decoded without trusting it. Never holds the token itself."""

    sha256: str
    header: Mapping[str, object]
    issued_at: str | None = None
    expires_at: str | None = None
    not_before: str | None = None
    subject_hash: str | None = None
    verified_by: str | None = None
    """Registry key id (or 'secret:<sha256 prefix>') whose key verified the signature."""


@dataclass(frozen=True)
class RegistryVerdict:
    """The registry's verdict on a finding: the entry that matched and what that means."""

    verdict: Verdict
    severity: Severity
    key_id: str | None = None
    state: str | None = None
    owner: str | None = None
    owner_status: str | None = None
    matched_by: str | None = None
    reason: str = ""
    """Human words, e.g. 'deactivated 2024-06-30, owner emp-1042 departed 2024-11-15'."""


@dataclass(frozen=True)
class SecretInfo:
    """What a finding keeps of a secret: enough to recognise it, never the secret."""

    preview: str
    """A few leading characters and an ellipsis: never the whole secret."""
    keyed_hash: str
    """HMAC-SHA-256 (or scrypt) of the secret, per `scanner.hashkey`: never a plain hash."""
    length: int
    sha1: str = ""
    """Only to match detect-secrets baselines (its `hashed_secret`); not reported."""


@dataclass(frozen=True)
class Location:
    """One place a finding's secret sits. `id` is the finding id for this place
    alone: baselines list and suppress locations, so they survive grouping."""

    id: FindingId
    origin: Origin
    line: int
    column: int
    end_line: int
    rule: str = ""
    """The rule that matched here (it names the id); the finding's rule is the most
    specific among its places'."""

    @property
    def path(self) -> str:
        return self.origin.path


@dataclass(frozen=True)
class Finding:
    """Everything about a match that is safe to show.

    One finding per secret: the same secret at several places is one finding whose
    `locations` list every place (the first one is `origin`, `line`, `column`)."""

    id: FindingId
    """Content-based: hash of (rule, path, the secret's keyed hash). Never the line number."""
    rule: str
    name: str
    kind: RuleKind
    severity: Severity
    detector: str
    origin: Origin
    line: int
    column: int
    end_line: int
    secret: SecretInfo
    key: KeyInfo | None = None
    token: TokenInfo | None = None
    registry: RegistryVerdict | None = None
    message: str = ""
    locations: tuple[Location, ...] = ()
    """Every place, the primary one first; empty means only the primary one."""
    context: str = "production"
    """production, test, fixture, vendored, docs or example (scanner.context)."""
    confidence: str | None = None
    """'verified-format' when a validator checked the value's structure."""
    facts: Mapping[str, str] = field(default_factory=dict)
    """Decoded, non-secret facts: account id, environment, user name, host, parts."""

    @property
    def path(self) -> str:
        return self.origin.path

    @property
    def places(self) -> tuple[Location, ...]:
        """`locations`, or the primary location alone when none were recorded."""
        if self.locations:
            return self.locations
        return (Location(self.id, self.origin, self.line, self.column, self.end_line, self.rule),)

    @property
    def never_suppressed_by_baseline(self) -> bool:
        """A critical registry verdict, and content left unscanned (a baseline made
        on a run that hit a budget must not hide the next one)."""
        if self.rule == UNSCANNED_RULE:
            return True
        return self.registry is not None and self.registry.severity >= Severity.CRITICAL


@dataclass(frozen=True)
class ScanWarning:
    """A problem with one input; the scan went on."""

    path: str
    message: str
    level: str = "warning"
    """warning | error"""
    internal: bool = False
    """A keysweep bug (a detector or stage raised), not bad input: the run exits 3."""

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class Report:
    """The outcome of a scan: what every reporter renders and the exit code is judged on."""

    findings: tuple[Finding, ...]
    warnings: tuple[ScanWarning, ...] = ()
    suppressed: Mapping[str, int] = field(default_factory=dict)
    """Counts by reason: path, inline, value, baseline."""
    items_scanned: int = 0
    bytes_scanned: int = 0
    skipped: Mapping[str, int] = field(default_factory=dict)
    """Counts by reason: binary, too-large, excluded, duplicate-blob, …"""
    elapsed: float = 0.0
    partial: bool = False
    """True when a budget (--max-seconds, --max-bytes) ended the scan early."""
    partial_reason: str | None = None
    roots: tuple[str, ...] = ()
    meta: Mapping[str, object] = field(default_factory=dict)
    """Extra context for reporters (sweep host info, tool versions, …)."""
    base: str | None = None
    """The folder report paths are relative to (the repository's work tree, or the
    current folder), absolute; None when paths are shown otherwise (sweeps)."""

    @property
    def internal_errors(self) -> int:
        """Items on which keysweep itself failed: such a scan is not complete."""
        return sum(1 for warning in self.warnings if warning.internal)
