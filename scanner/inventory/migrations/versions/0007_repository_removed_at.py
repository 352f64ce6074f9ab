"""`keysweep repos remove` keeps a removed repository's row, marked with when it
was removed: its findings stay in the inventory under its host, and each one's
commit in `sighting_commits` names the row, so the row is what still says which
repository and commit a key was found in. Removed rows are neither listed nor
scanned; adding the same URL again brings the row back."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context, op

revision = "0007_repository_removed_at"
down_revision = "0006_repository_hosts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("repositories") as table:
        table.add_column(sa.Column("removed_at", sa.DateTime, nullable=True))


class RemovedRepositories(RuntimeError):
    """A downgrade would bring removed repositories back into every listing and scan."""


def downgrade() -> None:
    """Refused while a repository is marked removed: without the column its row is
    an ordinary repository again, listed and scanned by the next run. Remove such
    rows' findings and rows first, or stay at this revision."""
    if context.is_offline_mode():  # SQL written out, not run: nothing to count
        removed = 0
    else:
        removed = op.get_bind().scalar(
            sa.text("SELECT count(*) FROM repositories WHERE removed_at IS NOT NULL")
        )
    if removed:
        raise RemovedRepositories(
            f"{removed} repositories are marked removed; downgrading past "
            f"{revision} would scan them again"
        )
    with op.batch_alter_table("repositories") as table:
        table.drop_column("removed_at")
