"""Inventories filled before secret hashes were keyed hold a plain SHA-256 of each
symmetric secret (`secret_sha256` fingerprints, and identities
`secret_sha256:<hex>`), which lets anyone with the database confirm a guess. Drop
the fingerprints and rename each identity to its row id: the sighting (where a
secret was, its verdict and history) stays; the hash goes."""

from __future__ import annotations

from alembic import op

revision = "0003_no_plain_secret_hashes"
down_revision = "0002_server"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("DELETE FROM sighting_fingerprints WHERE kind = 'secret_sha256'")
    op.execute(
        "UPDATE key_sightings SET identity = 'secret_removed:' || CAST(id AS VARCHAR(20)) "
        "WHERE identity LIKE 'secret_sha256:%'"
    )


def downgrade() -> None:
    """Nothing to restore: the plain hashes are gone on purpose."""
