"""Opening the inventory database: a SQLite file in the user's data folder by
default, or any SQLAlchemy URL (postgresql+psycopg://… for PostgreSQL).

`open_engine` is the one place an engine is made, for `keysweep inventory`, the
server and the repository queue alike: SQLite in WAL mode with a busy timeout and
usable from any thread, PostgreSQL with pre-ping and a bounded pool, the schema
prepared by the caller's `prepare` (the inventory's four tables, the migrations,
or the migrations and the job queue's schema), and every failure one line that
never shows the URL's password. `safe_url` is the one way a database URL is
shown: libpq also takes a password (and a key file's passphrase) as a query
parameter, so the value of every query parameter whose name looks like a
credential is hidden as well, not only the password SQLAlchemy knows about.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from scanner.errors import InventoryError
from scanner.inventory.models import INVENTORY_TABLES, Base
from scanner.urlshow import is_credential_name


def data_dir() -> Path:
    """Where per-user application data lives on this OS."""
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA")
        return Path(base) / "keysweep" if base else Path.home() / "AppData/Local/keysweep"
    if sys.platform == "darwin":
        return Path.home() / "Library/Application Support/keysweep"
    base = os.environ.get("XDG_DATA_HOME")
    return (Path(base) if base else Path.home() / ".local/share") / "keysweep"


def default_url() -> str:
    return f"sqlite:///{(data_dir() / 'inventory.db').as_posix()}"


Prepare = Callable[[Engine], None]
"""Brings a new engine's schema to what its user needs (may raise SQLAlchemyError)."""


def inventory_tables(engine: Engine) -> None:
    """`keysweep inventory`'s own four tables, made when missing (no migrations)."""
    Base.metadata.create_all(engine, tables=INVENTORY_TABLES)


def open_engine(
    url: str | None, prepare: Prepare = inventory_tables, *, pool_size: int = 5
) -> Engine:
    """An engine on `url` (default: the SQLite file), its schema made by `prepare`;
    InventoryError with one line when it cannot be."""
    if url is None:
        url = default_url()
        try:
            data_dir().mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InventoryError(f"{data_dir()}: cannot create the data folder: {exc}") from None
    shown = safe_url(url)
    try:
        engine = _engine(url, pool_size)
        prepare(engine)
    except (ArgumentError, ValueError) as exc:
        raise InventoryError(f"{shown}: not a usable database URL: {one_line(exc)}") from None
    except ModuleNotFoundError as exc:
        hint = " (pip install 'keysweep[postgres]')" if "psycopg" in str(exc.name) else ""
        raise InventoryError(f"{shown}: database driver missing: {exc.name}{hint}") from None
    except SQLAlchemyError as exc:
        raise InventoryError(f"{shown}: cannot open the database: {one_line(exc)}") from None
    return engine


def _engine(url: str, pool_size: int) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=pool_size, max_overflow=pool_size)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def safe_url(url: str) -> str:
    """The URL with its password and every credential-like query value hidden, for messages."""
    try:
        parsed = make_url(url)
        query = {name: _hidden(name, value) for name, value in parsed.query.items()}
        return parsed.set(query=query).render_as_string(hide_password=True)
    except (ArgumentError, ValueError, TypeError):
        return "<database URL>"


def _hidden(name: str, value: str | tuple[str, ...]) -> str | tuple[str, ...]:
    if not is_credential_name(name):
        return value
    return "***" if isinstance(value, str) else tuple("***" for _ in value)


def one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return " ".join(text.split())[:300]
