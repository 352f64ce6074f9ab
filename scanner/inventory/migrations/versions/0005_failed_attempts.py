"""The server's failed token attempts per client, in the database its workers
share, so that `--workers N` gives a client one budget rather than N."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_failed_attempts"
down_revision = "0004_repositories"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "failed_attempts",
        sa.Column("source", sa.String(255), primary_key=True),
        sa.Column("tokens", sa.Float, nullable=False),
        sa.Column("at", sa.Float, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("failed_attempts")
