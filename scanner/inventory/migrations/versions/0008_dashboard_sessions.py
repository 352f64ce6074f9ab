"""The dashboard's sessions on the server: logging out ends a session there, so
a copy of its cookie is refused afterwards (the cookie alone was valid until it
expired)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_dashboard_sessions"
down_revision = "0007_repository_removed_at"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dashboard_sessions",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("token_id", sa.String(16), nullable=False, index=True),
        sa.Column("created_at", sa.DateTime, nullable=False, index=True),
        sa.Column("ended_at", sa.DateTime, nullable=True),
    )


def downgrade() -> None:
    # A downgrade past 0007 that 0007 refuses may leave this drop done on SQLite,
    # whose DDL is not rolled back with the version: the next attempt finds no table.
    if "dashboard_sessions" in sa.inspect(op.get_bind()).get_table_names():
        op.drop_table("dashboard_sessions")
