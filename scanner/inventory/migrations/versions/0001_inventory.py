"""The inventory's tables: hosts, reports, key sightings and their fingerprints."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_inventory"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hosts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(255), unique=True, nullable=False),
        sa.Column("first_seen", sa.DateTime, nullable=False),
        sa.Column("last_seen", sa.DateTime, nullable=False),
    )
    op.create_table(
        "reports",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("host_id", sa.Integer, sa.ForeignKey("hosts.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("scope", sa.String(64), nullable=False, index=True),
        sa.Column("roots", sa.Text, nullable=False),
        sa.Column("time", sa.DateTime, nullable=False),
        sa.Column("ingested_at", sa.DateTime, nullable=False),
        sa.Column("partial", sa.Boolean, nullable=False),
        sa.Column("user", sa.String(255)),
        sa.Column("keysweep_version", sa.String(64)),
        sa.Column("rules_version", sa.String(64)),
        sa.Column("sightings", sa.Integer, nullable=False),
        sa.Column("source_name", sa.Text, nullable=False),
    )
    op.create_table(
        "key_sightings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("host_id", sa.Integer, sa.ForeignKey("hosts.id"), nullable=False, index=True),
        sa.Column("scope", sa.String(64), nullable=False),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("identity", sa.String(255), nullable=False, index=True),
        sa.Column("key_id", sa.String(255), index=True),
        sa.Column("verdict", sa.String(64)),
        sa.Column("state", sa.String(32)),
        sa.Column("severity", sa.String(16), nullable=False),
        sa.Column("rule", sa.String(255), nullable=False),
        sa.Column("format", sa.String(64)),
        sa.Column("algorithm", sa.String(64)),
        sa.Column("file_mode", sa.String(16)),
        sa.Column("first_seen", sa.DateTime, nullable=False),
        sa.Column("last_seen", sa.DateTime, nullable=False),
        sa.Column("gone_since", sa.DateTime),
        sa.Column("first_report_id", sa.String(64), nullable=False),
        sa.Column("last_report_id", sa.String(64), nullable=False),
        sa.UniqueConstraint("host_id", "scope", "path", "identity"),
    )
    op.create_table(
        "sighting_fingerprints",
        sa.Column("sighting_id", sa.Integer, sa.ForeignKey("key_sightings.id"), primary_key=True),
        sa.Column("kind", sa.String(32), primary_key=True),
        sa.Column("value", sa.String(255), primary_key=True, index=True),
    )


def downgrade() -> None:
    for table in ("sighting_fingerprints", "key_sightings", "reports", "hosts"):
        op.drop_table(table)
