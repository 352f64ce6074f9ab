"""Opening the inventory database: a SQLite file in the user's data folder by
default, or any SQLAlchemy URL (postgresql+psycopg://… for PostgreSQL)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from scanner.errors import InventoryError
from scanner.inventory.models import INVENTORY_TABLES, Base


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


def open_engine(url: str | None) -> Engine:
    """An engine on `url` (default: the SQLite file), with the tables created."""
    if url is None:
        url = default_url()
        try:
            data_dir().mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise InventoryError(f"{data_dir()}: cannot create the data folder: {exc}") from None
    shown = safe_url(url)
    try:
        engine = create_engine(url)
        Base.metadata.create_all(engine, tables=INVENTORY_TABLES)
    except (ArgumentError, ValueError) as exc:
        raise InventoryError(f"{shown}: not a usable database URL: {one_line(exc)}") from None
    except ModuleNotFoundError as exc:
        hint = " (pip install 'keysweep[postgres]')" if "psycopg" in str(exc.name) else ""
        raise InventoryError(f"{shown}: database driver missing: {exc.name}{hint}") from None
    except SQLAlchemyError as exc:
        raise InventoryError(f"{shown}: cannot open the database: {one_line(exc)}") from None
    return engine


def safe_url(url: str) -> str:
    """The URL with any password hidden, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return "<database URL>"


def one_line(exc: BaseException) -> str:
    text = str(getattr(exc, "orig", None) or exc)
    return " ".join(text.split())[:300]
