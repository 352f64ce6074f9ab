"""SQLite databases read value by value (`scanner/sqlitevalues.py`) and raw
(`scanner/binarytext.py`), through the real CLI on databases the `sqlite3`
module writes here.

The values of one row sit back to back in its record: a token stored right
after `admin` read as `adminghp_…`, and a rule that wants a boundary before
the token passed the gate. Each value read by SQLite stands alone; the raw
reading still finds what SQLite does not return (a deleted row, a damaged
database), and a token both readings find is one finding.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from support import checksummed, keysweep_with_token_rule, token

from scanner import binarytext, sqlitevalues
from scanner.binarytext import text_of
from scanner.cli import cli


def database(path: Path, statements: Iterable[str], rows: Iterable[tuple[Any, ...]] = ()) -> bytes:
    """Run `statements`, insert `rows` into table `t`, and return the file's bytes."""
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA secure_delete = OFF")  # Debian's SQLite zeroes deleted rows by default
        for statement in statements:
            db.execute(statement)
        for row in rows:
            db.execute(f"INSERT INTO t VALUES ({', '.join('?' * len(row))})", row)
        db.commit()
    return path.read_bytes()


def scan(folder: Path) -> tuple[int, list[dict[str, Any]]]:
    result = CliRunner().invoke(cli, ["scan", str(folder), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code, json.loads(result.stdout)["findings"]


def test_a_token_stored_right_after_a_value_ending_in_a_letter_is_found(tmp_path: Path) -> None:
    secret = checksummed("ghp_")
    data = database(
        tmp_path / "app.db", ["CREATE TABLE t (name TEXT, token TEXT)"], [("admin", secret)]
    )
    assert f"admin{secret}".encode() in data  # the record: the two values back to back
    code, findings = scan(tmp_path)
    assert code == 1
    [found] = findings
    assert (found["rule"], found["path"]) == ("vcs.github-pat-classic", "app.db")
    assert secret not in json.dumps(findings)


def test_a_blob_value_and_a_value_with_line_breaks_are_read_alone(tmp_path: Path) -> None:
    first, second = checksummed("ghp_"), checksummed("ghp_")
    rows = [("user9", first.encode(), f"note:\n{second}")]
    data = database(
        tmp_path / "a.sqlite", ["CREATE TABLE t (name TEXT, raw BLOB, note TEXT)"], rows
    )
    assert f"user9{first}note:".encode() in data
    code, findings = scan(tmp_path)
    assert code == 1
    assert [f["rule"] for f in findings] == ["vcs.github-pat-classic"] * 2


def test_a_deleted_row_is_still_found_by_the_raw_reading(tmp_path: Path) -> None:
    secret = token()
    data = database(
        tmp_path / "app.db",
        ["CREATE TABLE t (name TEXT, value TEXT)", "INSERT INTO t VALUES ('k', 'kept value')"],
        [("api", secret)],
    )
    with closing(sqlite3.connect(tmp_path / "app.db")) as db:
        db.execute("PRAGMA secure_delete = OFF")
        db.execute("DELETE FROM t WHERE name = 'api'")
        db.commit()
    data = (tmp_path / "app.db").read_bytes()
    assert secret.encode() in data
    assert sqlitevalues.values(data) == [b"kept value"]  # SQLite no longer returns it
    code, out = keysweep_with_token_rule(tmp_path, tmp_path, "scan", "app.db", "--format", "json")
    assert code == 1, out
    assert '"rule": "test.kswtest-token"' in out


def test_a_damaged_database_is_read_raw_as_before(tmp_path: Path) -> None:
    secret = token()
    data = database(tmp_path / "ok.db", ["CREATE TABLE t (value TEXT)"], [(secret,)])
    damaged = data[:16] + b"\x00\x03" + data[18:]  # a page size SQLite refuses
    (tmp_path / "ok.db").unlink()
    (tmp_path / "app.db").write_bytes(damaged)
    assert not sqlitevalues.values(damaged)
    assert text_of(damaged) == damaged.translate(binarytext._RECORDS)
    code, out = keysweep_with_token_rule(tmp_path, tmp_path, "scan", "app.db", "--format", "json")
    assert code == 1, out
    assert '"rule": "test.kswtest-token"' in out


def test_a_token_both_readings_find_is_one_finding(tmp_path: Path) -> None:
    secret = token()
    database(tmp_path / "app.db", ["CREATE TABLE t (value TEXT)"], [(secret,)])
    code, out = keysweep_with_token_rule(tmp_path, tmp_path, "scan", "app.db", "--format", "json")
    assert code == 1, out
    [found] = json.JSONDecoder().raw_decode(out, out.index("{"))[0]["findings"]
    raw, alone = found["locations"]  # one secret: its place in each reading
    assert raw["path"] == alone["path"] == "app.db" and raw["line"] < alone["line"]
    assert secret not in out


def test_views_virtual_tables_and_generated_columns_are_not_run(tmp_path: Path) -> None:
    statements = [
        "CREATE TABLE t (value TEXT, huge BLOB GENERATED ALWAYS AS (zeroblob(900000000)))",
        "CREATE VIEW endless AS WITH RECURSIVE r(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM r)"
        " SELECT x FROM r",
    ]
    data = database(tmp_path / "app.db", statements, [("a stored value",)])
    assert sqlitevalues.values(data) == [b"a stored value"]
    connection = sqlitevalues._open(data)  # and nothing is written
    with closing(connection), pytest.raises(sqlite3.OperationalError, match="readonly"):
        connection.execute("DELETE FROM t")


def test_a_virtual_table_disguised_in_the_schema_text_is_not_run(tmp_path: Path) -> None:
    """A database may rewrite its own schema text: `CREATE /**/VIRTUAL TABLE` still
    parses, and a text match on `sql` let fts4's code run over shadow tables the
    database's author wrote. SQLite's own typing of its tables decides instead."""
    path = tmp_path / "vt.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("CREATE VIRTUAL TABLE v USING fts4(x)")
        db.execute("INSERT INTO v VALUES ('read through the fts4 module')")
        db.commit()
        db.execute("PRAGMA writable_schema=ON")
        db.execute("UPDATE sqlite_master SET sql = 'CREATE /**/VIRTUAL TABLE v USING fts4(x)'"
                   " WHERE name = 'v'")  # fmt: skip
        db.commit()
    data = path.read_bytes()
    assert b"read through the fts4 module" not in b"".join(sqlitevalues.values(data) or [])
    text = text_of(data)
    assert text is not None and b"read through the fts4 module" in text  # the raw reading


def test_the_step_budget_stops_reading_and_the_raw_reading_stays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = token()
    rows = [(f"row {n} value", "") for n in range(2000)] + [("last", secret)]
    data = database(tmp_path / "app.db", ["CREATE TABLE t (a TEXT, b TEXT)"], rows)
    assert secret.encode() in b"".join(sqlitevalues.values(data) or [])
    monkeypatch.setattr(sqlitevalues, "_MIN_CALLS", 3)
    monkeypatch.setattr(sqlitevalues, "_CALLS_PER_KIB", 0)
    kept = sqlitevalues.values(data) or []
    assert 0 < len(kept) < 2000 and secret.encode() not in b"".join(kept)  # stopped midway
    text = text_of(data)
    assert text is not None and secret.encode() in text


def test_a_wal_database_is_read(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("CREATE TABLE t (value TEXT)")
        db.execute("INSERT INTO t VALUES ('written in WAL mode')")
        db.commit()
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    assert data[18:20] == b"\x02\x02"
    assert sqlitevalues.values(data) == [b"written in WAL mode"]
