"""Reported time: when each claim became public, beside when it happened and was recorded.

``reported_at`` and ``reported_precision`` hold what the caller gave (or the source's
``published_at``); NULL means the recorded time stands for it, which is what every event
stored before this revision gets, so their hashes (which cover the reported time only
when one is given) still verify.

The snapshot cache is emptied: snapshots of custom fold functions were keyed on their
bytecode alone, which missed closures, defaults and helpers (they are now used only for
functions that carry a version). It refills as questions are asked.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from timeline.schema import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("timeline_events", sa.Column("reported_at", UTCDateTime, nullable=True))
    op.add_column("timeline_events", sa.Column("reported_precision", sa.String(6), nullable=True))
    op.execute("DELETE FROM timeline_snapshots")


def downgrade() -> None:
    # In place (SQLite 3.35+ and PostgreSQL), so the table and its triggers stay; events
    # given a reported time then hash differently: a downgrade is for scratch databases.
    op.drop_column("timeline_events", "reported_precision")
    op.drop_column("timeline_events", "reported_at")
