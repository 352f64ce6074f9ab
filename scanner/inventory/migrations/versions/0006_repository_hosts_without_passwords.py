"""Inventory hosts of repositories are named `repo:` and their clone URL. A URL
stored before its form was refused (`user:password@host:path`) may hold a
password, and a host name is shown on every inventory and server page: such
hosts are renamed to the URL's SHA-256, the name `repos.store.host_name` now
gives them, so later sightings of the same repository land on the same host."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_repository_hosts"
down_revision = "0005_failed_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from scanner.repos.store import HOST_PREFIX, host_name

    hosts = sa.table("hosts", sa.column("id", sa.Integer), sa.column("name", sa.String))
    connection = op.get_bind()
    rows = connection.execute(sa.select(hosts.c.id, hosts.c.name)).all()
    for host_id, name in rows:
        if not name.startswith(HOST_PREFIX):
            continue
        renamed = host_name(name[len(HOST_PREFIX) :])
        if renamed != name:
            connection.execute(hosts.update().where(hosts.c.id == host_id).values(name=renamed))


def downgrade() -> None:
    """Nothing to undo: the password is not kept anywhere to put back."""
