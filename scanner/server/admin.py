"""What the `keysweep server` commands do, besides running the server: tokens
straight in the database, registry pushes over the API."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from scanner.server import client, tokens
from scanner.server.database import server_engine
from scanner.server.store import audit


def create_token(db_url: str, kind: str, name: str) -> tuple[str, str]:
    engine = server_engine(db_url, pool_size=1)
    try:
        with Session(engine) as session, session.begin():
            token_id, token = tokens.create(session, kind, name)
            audit(session, "command line", "token-created", token=token_id, kind=kind, name=name)
        return token_id, token
    finally:
        engine.dispose()


def revoke_token(db_url: str, token_id: str) -> bool:
    engine = server_engine(db_url, pool_size=1)
    try:
        with Session(engine) as session, session.begin():
            done = tokens.revoke(session, token_id)
            if done:
                audit(session, "command line", "token-revoked", token=token_id)
            return done
    finally:
        engine.dispose()


def list_tokens(db_url: str) -> list[tokens.TokenListing]:
    engine = server_engine(db_url, pool_size=1)
    try:
        with Session(engine) as session:
            return tokens.listing(session)
    finally:
        engine.dispose()


def push_registry(file: Path, server: str, token_file: Path | None, kind: str) -> dict[str, Any]:
    """Send a registry version: a whole file, or a JWKS/CBOM imported into the current one."""
    token = client.read_token(token_file)
    base: int | None = None
    if kind == "registry":
        from scanner.registry.loading import read_document

        document = read_document(file)
    else:
        current = client.request(server, "/api/registry", token)
        base = int(current.get("version") or 0)
        document = _imported(file, kind, current.get("document"))
    body = json.dumps(
        {"document": document, "source": f"{kind}:{file.name}", "base_version": base}
    ).encode()
    result: dict[str, Any] = client.with_retries(
        lambda: client.request(server, "/api/registry", token, "PUT", body)
    )
    return result


def _imported(file: Path, kind: str, current: Any) -> dict[str, Any]:
    from scanner.registry.importers import SCHEMA_NAME

    document: dict[str, Any] = (
        current
        if isinstance(current, dict)
        else {
            "schema": SCHEMA_NAME,
            "registry": {"name": f"keys imported from {file.name}"},
            "keys": [],
        }
    )
    if kind == "jwks":
        from scanner.registry.importers.jwks import import_jwks, read_jwks

        import_jwks(document, read_jwks(str(file)), date.today())
    else:
        from scanner.registry.importers.cyclonedx import import_cbom, read_cbom

        import_cbom(document, read_cbom(file))
    return document
