"""`keysweep repos remove` keeps a removed repository's row, marked with when it
was removed: its findings stay in the inventory under its host, and each one's
commit in `sighting_commits` names the row, so the row is what still says which
repository and commit a key was found in. Removed rows are neither listed nor
scanned; adding the same URL again brings the row back."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_repository_removed_at"
down_revision = "0006_repository_hosts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("repositories") as table:
        table.add_column(sa.Column("removed_at", sa.DateTime, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("repositories") as table:
        table.drop_column("removed_at")
