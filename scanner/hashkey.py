"""The key behind every secret hash that leaves the process.

A plain hash of a secret lets anyone who reads a report confirm a guess offline:
`sha256("Winter2024!")` is one line of code. So the hashes keysweep shows (the
secret's hash, a token's, the finding id built on them) are keyed, HMAC-SHA-256,
and the key decides who can match them:

1. `KEYSWEEP_HASH_KEY` (the environment) or `hash_key_file` (the config): the
   organisation's key. Every machine and CI job that has it makes the same
   hashes and ids, so baselines travel and the inventory matches one secret
   across machines. Nobody without it can confirm a guess. The key never comes
   from what is scanned: a repository's own config may not name a key file
   (`configguard.check_repository_config`), since a key committed beside the
   secrets would let anyone holding the report confirm a guess. A key file is
   read only when it is a regular file of at most `MAX_KEY_FILE_BYTES` that no
   other user may write (`_read_key_file`): a FIFO or a device cannot hang or
   exhaust the scan, and nobody else can swap in a key he knows.
2. Otherwise, this installation's own key: 32 random bytes made on first use in
   the user's config folder (`$XDG_CONFIG_HOME/keysweep/hash-key`, mode 0600).
   Runs on this machine match each other; nothing matches anywhere else.
3. Where nothing may be written and no key is given (the sweep, or
   `KEYSWEEP_HASH_FALLBACK=scrypt`), or the installation key cannot be made: a
   deliberately slow, unkeyed hash (scrypt, 16 MiB per guess). The same everywhere,
   so it matches across machines, but a weak password can still be confirmed by
   whoever pays that price per guess: give such runs the organisation key.

The process-wide `Hasher` is set by `activate` before a scan (the parent and each
worker), and `current()` gives it to `redact`.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scanner.errors import ConfigError

if TYPE_CHECKING:
    from scanner.config import Config

ENV_KEY = "KEYSWEEP_HASH_KEY"
ENV_FALLBACK = "KEYSWEEP_HASH_FALLBACK"
MIN_KEY_BYTES = 16
MAX_KEY_FILE_BYTES = 4096
"""A key file larger than this is not a key (a device, a log named by mistake)."""
HMAC = "hmac-sha256"
SCRYPT = "scrypt"
SCRYPT_SALT = b"keysweep secret hash v1"
SCRYPT_N, SCRYPT_R, SCRYPT_P = 1 << 14, 8, 1
_KEY_ID_LABEL = b"keysweep hash key id"
_CACHE_LIMIT = 50_000


@dataclass(frozen=True)
class Hasher:
    """One way of hashing secrets: HMAC-SHA-256 under a key, or scrypt without one."""

    scheme: str
    source: str
    """environment | config | installation | none"""
    key: bytes = field(default=b"", repr=False)
    _cache: dict[bytes, bytes] = field(default_factory=dict, repr=False, compare=False)

    def digest(self, data: bytes) -> bytes:
        if self.scheme == HMAC:
            return hmac.digest(self.key, data, "sha256")
        return self._slow(data)

    def hexdigest(self, data: bytes) -> str:
        return self.digest(data).hex()

    def _slow(self, data: bytes) -> bytes:
        """scrypt, cached per process by a digest of the input (memory only)."""
        memo = hashlib.sha256(data).digest()
        cached = self._cache.get(memo)
        if cached is None:
            if len(self._cache) >= _CACHE_LIMIT:
                self._cache.clear()
            cached = hashlib.scrypt(
                data, salt=SCRYPT_SALT, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P,
                maxmem=256 * SCRYPT_N * SCRYPT_R + (1 << 20), dklen=32,
            )  # fmt: skip
            self._cache[memo] = cached
        return cached

    @property
    def key_id(self) -> str:
        """Names the key without revealing it: two runs with equal ids hash alike."""
        if self.scheme != HMAC:
            return f"{SCRYPT}-n{SCRYPT_N}-r{SCRYPT_R}-p{SCRYPT_P}"
        return hmac.digest(self.key, _KEY_ID_LABEL, "sha256").hex()[:16]

    def describe(self) -> dict[str, str]:
        """What a report or baseline records about its hashes."""
        return {"scheme": self.scheme, "key": self.source, "key_id": self.key_id}


_ACTIVE: Hasher | None = None


def activate(config: Config | None = None) -> Hasher:
    """Resolve the hasher for `config` and make it this process's."""
    global _ACTIVE
    _ACTIVE = resolve(config)
    return _ACTIVE


def current() -> Hasher:
    """The active hasher (resolved without a config if none was activated)."""
    return _ACTIVE if _ACTIVE is not None else activate(None)


def resolve(config: Config | None) -> Hasher:
    """The organisation key, else the installation key, else scrypt (module docstring)."""
    env = os.environ.get(ENV_KEY, "")
    if env:
        return Hasher(HMAC, "environment", _checked(env.encode("utf-8"), ENV_KEY))
    key_file = config.hash_key_file if config is not None else None
    if key_file is not None:
        return Hasher(HMAC, "config", _read_key_file(key_file))
    if os.environ.get(ENV_FALLBACK, "").strip().lower() == SCRYPT:
        return Hasher(SCRYPT, "none")
    key = installation_key()
    return Hasher(HMAC, "installation", key) if key else Hasher(SCRYPT, "none")


def _checked(key: bytes, where: str) -> bytes:
    key = key.strip()
    if len(key) < MIN_KEY_BYTES:
        raise ConfigError(f"{where}: the hash key must be at least {MIN_KEY_BYTES} bytes")
    return key


def _read_key_file(path: Path) -> bytes:
    """The key in `path`; exit 2 (ConfigError) naming the file and the problem."""
    from scanner.errors import safe_reason
    from scanner.safeload import LoadError, read_bytes

    try:
        data = read_bytes(path, MAX_KEY_FILE_BYTES, check=_writable_by_others)
    except LoadError as exc:
        raise ConfigError(f"{path}: cannot use it as the hash key: {exc}") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the hash key: {safe_reason(exc)}") from None
    return _checked(data, str(path))


def _writable_by_others(info: os.stat_result) -> str:
    """Why another user could replace the key with one he knows ("" if none can):
    the file must belong to this user or root and be writable by nobody else."""
    owner = getattr(os, "geteuid", None)
    if owner is not None and info.st_uid not in (owner(), 0):
        return "it belongs to another user"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "other users may write it (chmod go-w)"
    return ""


def installation_key_path() -> Path:
    """$XDG_CONFIG_HOME/keysweep/hash-key (or ~/.config/…; %APPDATA%\\keysweep on Windows)."""
    base = os.environ.get("XDG_CONFIG_HOME") or os.environ.get("APPDATA")
    root = Path(base) if base else Path.home() / ".config"
    return root / "keysweep" / "hash-key"


def installation_key() -> bytes | None:
    """This installation's key, made on first use; None when it cannot be read or made."""
    path = installation_key_path()
    try:
        return _load_or_create(path)
    except (OSError, RuntimeError, ConfigError):
        return None


def _load_or_create(path: Path) -> bytes:
    """Read the key; if there is none, write one whole and link it into place, so a
    process racing this one reads either no file or a complete key."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        temp = path.with_name(f".{path.name}.{os.getpid()}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(os.urandom(32).hex() + "\n")
        try:
            os.link(temp, path)
        except FileExistsError:
            pass  # another process made it first: read theirs
        finally:
            temp.unlink()
    return _read_key_file(path)


__all__ = ["ENV_FALLBACK", "ENV_KEY", "Hasher", "activate", "current", "resolve"]
