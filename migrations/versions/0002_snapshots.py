"""Snapshots: a rebuildable cache of folded actor states; an index on recorded_at.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from timeline.schema import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # known_at is turned into "every position up to P" through this index.
    op.create_index("ix_timeline_events_recorded", "timeline_events", ["recorded_at"])
    # A cache, outside the immutability triggers: rows may be deleted at any time and are
    # rebuilt on demand. Never evidence.
    op.create_table(
        "timeline_snapshots",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("fingerprint", sa.String(32), nullable=False),
        sa.Column("through_occurred_at", UTCDateTime, nullable=False),
        sa.Column("through_position", sa.BigInteger, nullable=False),
        sa.Column("known_position", sa.BigInteger, nullable=False),
        sa.Column("max_end", UTCDateTime, nullable=False),
        sa.Column("events_applied", sa.Integer, nullable=False),
        sa.Column("last_position", sa.BigInteger, nullable=False),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("created_at", UTCDateTime, nullable=False),
    )
    op.create_index(
        "ix_timeline_snapshots_actor",
        "timeline_snapshots",
        ["actor", "fingerprint", "through_occurred_at"],
    )


def downgrade() -> None:
    op.drop_table("timeline_snapshots")
    op.drop_index("ix_timeline_events_recorded", "timeline_events")
