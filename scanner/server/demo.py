"""`keysweep server demo`: a first look at the server on one machine.

A SQLite database in a temporary folder, the example registry pushed as
version 1, the example workstation swept (by the real `keysweep sweep`) and
uploaded as host `demo-workstation`, a viewer token printed, then the server.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import click
from sqlalchemy.orm import Session

from scanner.errors import KeysweepError
from scanner.inventory.db import safe_url
from scanner.registry.loading import read_document
from scanner.server import tokens
from scanner.server.database import server_engine
from scanner.server.store import Store
from scanner.server.tokens import Caller

HOST = "demo-workstation"


def run_demo(listen: str, examples: Path, db_url: str | None) -> None:
    from scanner.server.run import serve

    registry = examples / "registry.yaml"
    workstation = examples / "workstation"
    if not registry.is_file() or not workstation.is_dir():
        raise KeysweepError(
            f"{examples}: not keysweep's examples/ folder (registry.yaml, workstation/)"
        )
    folder = Path(tempfile.mkdtemp(prefix="keysweep-demo-"))
    db_url = db_url or f"sqlite:///{folder / 'server.db'}"
    viewer = prepare(db_url, registry, _sweep(workstation, registry, folder))
    click.echo(f"keysweep demo: database {safe_url(db_url)}", err=True)
    click.echo(f"keysweep demo: open http://{listen}/ and log in with this viewer token:", err=True)
    click.echo(viewer)
    serve(
        db_url=db_url,
        listen=listen,
        tls=None,
        webhooks=(),
        webhook_secret=None,
        max_report_bytes=16 * 1024 * 1024,
        rate=600,
        session_key=None,
        behind_proxy=False,
    )


def prepare(db_url: str, registry: Path, report: Path) -> str:
    """Push the registry, upload the report; the viewer token."""
    engine = server_engine(db_url, pool_size=1)
    store = Store(engine)
    with Session(engine) as session, session.begin():
        admin_id, _ = tokens.create(session, "admin", "demo")
        host_id, _ = tokens.create(session, "host", HOST)
        _, viewer = tokens.create(session, "viewer", "demo")
    store.push(
        read_document(registry), f"registry:{registry.name}", Caller(admin_id, "admin", "demo")
    )
    store.upload(json.loads(report.read_text("utf-8")), Caller(host_id, "host", HOST))
    engine.dispose()
    return viewer


def _sweep(workstation: Path, registry: Path, folder: Path) -> Path:
    out = folder / "sweep.json"
    env = dict(os.environ, KEYSWEEP_CACHE_DIR=str(folder / "cache"))
    command = [
        sys.executable,
        "-m",
        "scanner",
        "sweep",
        "--no-home",
        str(workstation),
        "--registry",
        str(registry),
        "--no-progress",
        "-o",
        str(out),
    ]
    done = subprocess.run(command, env=env, capture_output=True, check=False)
    if done.returncode not in (0, 1) or not out.is_file():
        raise KeysweepError(f"{workstation}: the example sweep failed (exit {done.returncode})")
    document = json.loads(out.read_text("utf-8"))
    document.setdefault("summary", {}).setdefault("meta", {})["host"] = HOST
    out.write_text(json.dumps(document), "utf-8")
    return out
