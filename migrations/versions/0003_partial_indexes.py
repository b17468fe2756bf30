"""Partial indexes for corrections and retractions; the type index ends in position.

Corrections and retractions are a few events among many: a full index on ``corrects``
or ``retracts`` is almost all NULLs, costs every append a write, and tempted SQLite (which
keeps no statistics unless told to) to read the whole store through it for ``retracts IS
NULL``. Partial indexes hold only the mending events, so "the corrections of this actor"
reads those few, and the valid-time scans are never planned through them.

``(type, occurred_at, position)``: a scan of one type in valid-time order, page after
page, is an index range with no sort.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

MENDING = "corrects IS NOT NULL OR retracts IS NOT NULL"


def _partial(name: str, columns: list[str], where: str) -> None:
    op.create_index(
        name,
        "timeline_events",
        columns,
        sqlite_where=sa.text(where),
        postgresql_where=sa.text(where),
    )


def upgrade() -> None:
    op.drop_index("ix_timeline_events_corrects", "timeline_events")
    op.drop_index("ix_timeline_events_retracts", "timeline_events")
    _partial("ix_timeline_events_corrects", ["corrects"], "corrects IS NOT NULL")
    _partial("ix_timeline_events_retracts", ["retracts"], "retracts IS NOT NULL")
    _partial("ix_timeline_events_mending", ["position"], MENDING)
    op.drop_index("ix_timeline_events_type_occurred", "timeline_events")
    op.create_index(
        "ix_timeline_events_type_occurred", "timeline_events", ["type", "occurred_at", "position"]
    )


def downgrade() -> None:
    op.drop_index("ix_timeline_events_type_occurred", "timeline_events")
    op.create_index("ix_timeline_events_type_occurred", "timeline_events", ["type", "occurred_at"])
    op.drop_index("ix_timeline_events_mending", "timeline_events")
    op.drop_index("ix_timeline_events_retracts", "timeline_events")
    op.drop_index("ix_timeline_events_corrects", "timeline_events")
    op.create_index("ix_timeline_events_retracts", "timeline_events", ["retracts"])
    op.create_index("ix_timeline_events_corrects", "timeline_events", ["corrects"])
