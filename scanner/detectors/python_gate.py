"""A Hyperscan look at a Python file before the prefilter's RE2 pass.

On a history most Python files hold no prefilter hit, and RE2 reading each of
them to its end cost more than everything the detector does with the few that
hold one (Django replay: 8,964 Python blobs, 116 MB, 0.21 s; 196 with a hit).
Hyperscan answers "is there any match?" at about twice RE2's speed and stops at
the first one, so RE2 runs only on the files it lets through; what RE2 then
finds is what it finds without the gate, since it reads the same whole file.

The gate may only let through more, never less. Its pattern is the prefilter's
own (`gate_expression`), loosened where the two engines differ:

- named groups become plain groups (Hyperscan has none);
- `\\s` is spelt out as RE2's set (`[\\t\\n\\f\\r ]`); PCRE's adds `\\v`, which in
  a negated class would make the gate refuse what RE2 accepts;
- every bounded repeat `{0,n}` becomes `*`, `{1,n}` becomes `+` and `{n}`
  becomes `{n,}`: RE2 counts a UTF-8 character where Hyperscan counts a byte,
  and a wider repeat is a superset either way (it also compiles in a fifth of
  the time);
- RE2's case folding is Unicode's: under `(?i)` it lets the long s (U+017F) stand for
  `s` and the Kelvin sign (U+212A) for `k`, which no ASCII pattern does. A file
  holding either lets the gate through (a second expression of the database).
  `tests/detectors/test_python_gate.py` checks, over every code point, that no
  other non-ASCII character folds onto an ASCII letter.

Compiling the database takes about 40 ms, more than it saves on a small scan,
so it is built only once a detector has seen `GATE_FROM` bytes of Python, and
kept in the cache folder (`python-gate-*.db`, read only when private, with the
hash of its inputs and a SHA-256 of its bytes in the header, and checked on
probe lines of every branch of the prefilter after loading). A database that
cannot be built or believed means no gate: RE2 reads every file, as before.

When the rule engine scans the same item (the default: the rules detector runs
first), the gate's expressions are side expressions of the rules' own database
(`side_patterns`, `engine.compiled.SidePatterns`), and the rules' scan answers
for the gate: one Hyperscan pass over a Python file instead of two
(`scanner.detectors.share_first_looks`). This database is then only the
fallback for items the engine did not scan to their end.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from scanner.detectors.python_prefilter import PREFILTER_PATTERN
from scanner.engine.compiled import SidePatterns

GATE_FROM = 1 << 20
"""Python bytes a detector reads with RE2 alone before it builds or loads the gate."""
GATE_FROM_UNCACHED = 64 << 20
"""The same without a cache folder (every run would compile it again)."""
FOLDS = rb"\xC5\xBF|\xE2\x84\xAA"
"""UTF-8 of the long s and of the Kelvin sign, which RE2's `(?i)` reads as `s` and `k`."""
_FORMAT = 1
PROBES = (
    b'password = "abcdef"\n',
    b'cfg = {"api_key": "abcdef"}\n',
    b'jwt.encode(payload, "abcdef")\n',
    b'hmac.new(b"abcdef", msg)\n',
    b'HTTPBasicAuth("user", "abcdef")\n',
    b'psycopg2.connect(dbname="x", password="y")\n',
    b"-----BEGIN RSA PRIVATE KEY-----\n",
    "pa\u017fsword = 1\n".encode(),
)
"""One line for each branch of the prefilter and for the folds: a database read
from the cache must let each through on its own."""


def gate_expression(pattern: bytes) -> bytes:
    """The prefilter's pattern loosened for Hyperscan (see the module's notes)."""
    loose = re.sub(rb"\(\?P<\w+>", b"(?:", pattern)
    loose = loose.replace(rb"\s", rb"\t\n\f\r ")
    loose = re.sub(rb"\{0,\d+\}\??", b"*", loose)
    loose = re.sub(rb"\{1,\d+\}\??", b"+", loose)
    return re.sub(rb"\{(\d+)\}", rb"{\1,}", loose)


def expressions() -> list[bytes]:
    """The gate's expressions: the loosened prefilter and the two folds."""
    return [gate_expression(PREFILTER_PATTERN), FOLDS]


def side_patterns() -> SidePatterns:
    """The gate as side expressions of the rules' database, with its probe lines."""
    return SidePatterns(tuple(expressions()), PROBES)


class Gate:
    """Whether a file may hold a prefilter hit (never False where it does)."""

    def __init__(self, db: Any) -> None:
        import hyperscan

        self._db = db
        self._scratch = hyperscan.Scratch(db)
        self._terminated = hyperscan.ScanTerminated

    def may_hit(self, data: bytes) -> bool:
        try:
            self._db.scan(data, match_event_handler=_stop, scratch=self._scratch)
        except self._terminated:
            return True  # `_stop` ended the scan at the first match
        return False


def _stop(*_: object) -> bool:
    return True  # the first match answers: Hyperscan stops there


def load_gate(cache_dir: Path | None) -> Gate | None:
    """The gate, from the cache when a good copy is there, else compiled (and
    cached); None when Hyperscan cannot build or run it."""
    try:
        import hyperscan
    except ImportError:
        return None
    gate_expressions = expressions()
    key = _inputs_hash(gate_expressions, getattr(hyperscan, "__version__", ""))
    path = None if cache_dir is None else cache_dir / f"python-gate-{key[:40]}.db"
    gate = _read(path, key) if path is not None else None
    if gate is not None:
        return gate
    try:
        db = _compile(gate_expressions)
        gate = Gate(db)
        if not all(gate.may_hit(probe) for probe in PROBES):
            return None
        if path is not None:
            _write(path, key, hyperscan.dumpb(db))
    except Exception:  # hyperscan.error, ArchitectureError and kin: no gate, RE2 everywhere
        return None
    return gate


def _compile(expressions: list[bytes]) -> Any:
    import hyperscan

    db = hyperscan.Database()
    flags = [hyperscan.HS_FLAG_SINGLEMATCH] * len(expressions)
    ids = list(range(len(expressions)))
    db.compile(expressions=expressions, ids=ids, elements=len(expressions), flags=flags)
    return db


def _inputs_hash(expressions: list[bytes], version: str) -> str:
    return hashlib.sha256(repr((_FORMAT, version, expressions)).encode()).hexdigest()


def _read(path: Path, key: str) -> Gate | None:
    import hyperscan

    from scanner.engine.cachefile import read_private_parts

    try:
        parts = read_private_parts(path)
        if parts is None:
            return None
        header = json.loads(parts[0])
        if header.get("format") != _FORMAT or header.get("inputs") != key:
            return None
        if header.get("sha256") != hashlib.sha256(parts[1]).hexdigest():
            return None
        gate = Gate(hyperscan.loadb(parts[1], hyperscan.HS_MODE_BLOCK))
        return gate if all(gate.may_hit(probe) for probe in PROBES) else None
    except Exception:  # unreadable, not ours, or not a database: compiled afresh
        return None


def _write(path: Path, key: str, blob: bytes) -> None:
    from scanner.engine.cachefile import write_private

    header = {"format": _FORMAT, "inputs": key, "sha256": hashlib.sha256(blob).hexdigest()}
    write_private(path, json.dumps(header).encode() + b"\n" + blob)
