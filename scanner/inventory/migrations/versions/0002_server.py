"""The server's tables: tokens, registry versions, verdict history, alerts, audit log."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_server"
down_revision = "0001_inventory"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(255), nullable=False, index=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("revoked_at", sa.DateTime),
        sa.Column("last_used_at", sa.DateTime),
    )
    op.create_table(
        "registry_versions",
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("author", sa.String(255), nullable=False),
        sa.Column("source", sa.String(255), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("keys", sa.Integer, nullable=False),
        sa.Column("changed", sa.Integer, nullable=False),
    )
    op.create_table(
        "verdict_changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "sighting_id", sa.Integer, sa.ForeignKey("key_sightings.id"), nullable=False, index=True
        ),
        sa.Column("at", sa.DateTime, nullable=False),
        sa.Column("registry_version", sa.Integer),
        sa.Column("key_id", sa.String(255)),
        sa.Column("verdict", sa.String(64)),
        sa.Column("state", sa.String(32)),
        sa.Column("severity", sa.String(16), nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key_ref", sa.String(255), nullable=False),
        sa.Column("host_id", sa.Integer, sa.ForeignKey("hosts.id"), nullable=False),
        sa.Column("verdict", sa.String(64), nullable=False),
        sa.Column("key_id", sa.String(255)),
        sa.Column("state", sa.String(32)),
        sa.Column("path", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("key_ref", "host_id"),
    )
    op.create_table(
        "alert_deliveries",
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), primary_key=True),
        sa.Column("target", sa.String(64), primary_key=True),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("next_attempt", sa.DateTime, nullable=False, index=True),
        sa.Column("delivered_at", sa.DateTime),
        sa.Column("last_error", sa.String(255)),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
        sa.Column("actor", sa.String(255), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    op.create_table(
        "exposure_samples",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime, nullable=False, index=True),
        sa.Column("exposures", sa.Integer, nullable=False),
        sa.Column("hosts", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "exposure_samples",
        "audit_log",
        "alert_deliveries",
        "alerts",
        "verdict_changes",
        "registry_versions",
        "api_tokens",
    ):
        op.drop_table(table)
