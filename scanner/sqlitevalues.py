"""The text and blob values of an SQLite database's tables, read by SQLite itself.

Why: `binarytext` reads a database's bytes with every non-printable byte as a
line break, but the values of one row sit back to back in its record, often
with a printable record-header or cell-length byte beside them. A token right
after a value that ends in a letter or digit (a row `('admin', 'ghp_…')` is
stored as `adminghp_…`) was missed by every rule that wants a boundary before
it. Read through SQLite, each value stands alone; `binarytext` puts them after
the raw reading, one per line, and keeps the raw reading for what SQLite does
not return (free pages, deleted rows, a damaged database).

Hostile input: the bytes are deserialized into a private in-memory connection
(never a file, never attached); writes are refused (`query_only`), functions in
the schema are not trusted (`trusted_schema`), extensions are never enabled, no
value may be longer than the database itself (`SQLITE_LIMIT_LENGTH`), and a
progress handler stops every statement once a budget proportional to the
database's size is spent, so a looping or enormous database cannot hang the
scan. Only real tables are read (no views, no virtual tables, which need
modules), and only their stored columns (no generated ones, which run
expressions). What was read before a refusal or the budget is kept; a database
SQLite refuses at once gives None and is read raw only, as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator

_STEPS = 1000
"""Virtual-machine instructions between two calls of the progress handler."""
_CALLS_PER_KIB = 64
"""Handler calls allowed per KiB of database (64,000 instructions): reading a
table costs a few dozen per value, so only a hostile database meets it."""
_MIN_CALLS = 1000
MIN_VALUE = 8
"""Shorter values hold no secret a rule finds alone; the raw reading has them."""
_TABLES = (
    "SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table'"
    " AND name NOT LIKE 'sqlite!_%' ESCAPE '!'"
)
"""Real tables as SQLite itself types them (3.37+; older: none, the raw reading
only), not its own (`sqlite_schema`: the raw reading holds its text). A text match on `sql` let `CREATE /**/VIRTUAL TABLE` through to a module's
code over shadow tables the database's author wrote."""
_WAL, _LEGACY = b"\x02\x02", b"\x01\x01"
"""Header bytes 18-19 (read and write versions): a WAL database deserialized
as-is cannot be read; its main file reads as a rollback-journal one."""


def values(data: bytes) -> list[bytes] | None:
    """The stored text and blob values of `data`'s tables (at most `len(data)`
    bytes in all), or None when SQLite does not open it."""
    if not hasattr(sqlite3.Connection, "deserialize"):  # an SQLite built without it
        return None
    try:
        connection = _open(data)
    except sqlite3.Error:
        return None
    try:
        return _bounded(_values(connection), len(data))
    finally:
        connection.close()


def _open(data: bytes) -> sqlite3.Connection:
    """A private, read-only, bounded in-memory connection on a copy of `data`."""
    connection = sqlite3.connect(":memory:")
    try:
        _configure(connection, len(data))
        if data[18:20] == _WAL:
            data = data[:18] + _LEGACY + data[20:]
        connection.deserialize(data)
    except sqlite3.Error:
        connection.close()
        raise
    return connection


def _configure(connection: sqlite3.Connection, size: int) -> None:
    """Bounds and refusals set before the database's schema is ever read."""
    connection.text_factory = bytes  # no decoding: text that is not UTF-8 is read too
    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, max(size, 1 << 16))
    connection.set_progress_handler(_budget(size), _STEPS)
    connection.execute("PRAGMA trusted_schema = OFF")
    connection.execute("PRAGMA query_only = ON")


def _budget(size: int) -> Callable[[], bool]:
    """A progress handler that stops every statement once its calls are spent."""
    left = [_MIN_CALLS + size // 1024 * _CALLS_PER_KIB]

    def handler() -> bool:
        left[0] -= 1
        return left[0] < 0  # true: interrupt

    return handler


def _values(connection: sqlite3.Connection) -> Iterator[bytes]:
    """Every long enough text or blob value, table by table; a table that fails
    (damaged pages, an unknown collation) is left to the raw reading."""
    try:
        tables = [row[0] for row in connection.execute(_TABLES)]
    except sqlite3.Error:
        return
    for table in tables:
        try:
            yield from _table(connection, table)
        except sqlite3.Error:
            continue


def _table(connection: sqlite3.Connection, table: bytes) -> Iterator[bytes]:
    """The stored columns' values of one table."""
    name = _quoted(table)
    columns = [row[1] for row in connection.execute(f"PRAGMA table_xinfo({name})") if not row[6]]
    if not columns:
        return
    listed = ", ".join(_quoted(column) for column in columns)
    for row in connection.execute(f"SELECT {listed} FROM {name}"):
        yield from (v for v in row if isinstance(v, bytes) and len(v) >= MIN_VALUE)


def _quoted(name: bytes) -> str:
    """An SQL identifier for a name read from the schema."""
    text = name.decode("utf-8", errors="replace")
    return '"' + text.replace('"', '""') + '"'


def _bounded(found: Iterator[bytes], limit: int) -> list[bytes]:
    """The values until their total reaches `limit` (a damaged database may
    name one overflow chain from many cells)."""
    kept: list[bytes] = []
    total = 0
    for value in found:
        total += len(value)
        if total > limit:
            break
        kept.append(value)
    return kept
