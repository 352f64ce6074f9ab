"""Repositories scanned on the job queue: the repositories, each ref's last
scanned commit, one row per finished scan, and the commit behind each
repository sighting. Procrastinate's own tables are not made here: `keysweep
repos` and `keysweep worker` apply its schema (`scanner/repos/queue.py`), so it
follows the installed Procrastinate version."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_repositories"
down_revision = "0003_no_plain_secret_hashes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "repositories",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False, unique=True),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("origin", sa.String(255), nullable=False),
        sa.Column("archived", sa.Boolean, nullable=False),
        sa.Column("fork", sa.Boolean, nullable=False),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sa.Column("host_id", sa.Integer, sa.ForeignKey("hosts.id")),
        sa.Column("last_scan_at", sa.DateTime),
        sa.Column("last_status", sa.String(32)),
        sa.Column("last_error", sa.String(300)),
    )
    op.create_table(
        "repository_refs",
        sa.Column("repository_id", sa.Integer, sa.ForeignKey("repositories.id"), primary_key=True),
        sa.Column("ref", sa.String(255), primary_key=True),
        sa.Column("commit", sa.String(64), nullable=False),
        sa.Column("scanned_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "repository_scans",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "repository_id",
            sa.Integer,
            sa.ForeignKey("repositories.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("finished_at", sa.DateTime, nullable=False),
        sa.Column("commits", sa.Integer, nullable=False),
        sa.Column("blobs", sa.Integer, nullable=False),
        sa.Column("bytes", sa.BigInteger, nullable=False),
        sa.Column("findings", sa.Integer, nullable=False),
        sa.Column("partial", sa.Boolean, nullable=False),
        sa.Column("report_id", sa.String(64)),
    )
    op.create_table(
        "sighting_commits",
        sa.Column("sighting_id", sa.Integer, sa.ForeignKey("key_sightings.id"), primary_key=True),
        sa.Column(
            "repository_id",
            sa.Integer,
            sa.ForeignKey("repositories.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("commit", sa.String(64), nullable=False),
    )


def downgrade() -> None:
    for table in ("sighting_commits", "repository_scans", "repository_refs", "repositories"):
        op.drop_table(table)
