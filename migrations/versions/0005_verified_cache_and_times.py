"""Snapshots bound to the hash chain; one stored form of time on SQLite.

``timeline_snapshots.digest`` binds each snapshot to the hash of the event at its
``known_position`` (``timeline.store.snapshot_digest``), so that a reader can check a
snapshot against the events it claims to stand for before using it. The cache is emptied:
snapshots made before have no digest. It refills as questions are asked.

SQLite keeps times as text, compared as text by every range read, so a time written in
another form (``T`` for the space, an offset) would move an event in ``since``, ``until``
and ``known_at`` reads while the instant, and so the hash, stays the same. Insert
triggers refuse any time that is not ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC), the one form
the store writes; ``verify()`` checks the rows stored before. PostgreSQL keeps
``timestamptz``, which has no text form to vary.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from timeline._backends import backend_of

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

STORED_TIME = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]"  # noqa: E501
"""The GLOB pattern of the one stored form of a time on SQLite (``timeline.store.TIME_FORM``
says the same as a regular expression)."""

TIMES = {
    "timeline_events": ("occurred_at", "recorded_at", "reported_at"),
    "timeline_event_actors": ("occurred_at",),
    "timeline_snapshots": ("through_occurred_at", "max_end", "created_at"),
}


def upgrade() -> None:
    op.execute("DELETE FROM timeline_snapshots")
    # SQLite adds a NOT NULL column only with a default; the table is empty here
    op.add_column(
        "timeline_snapshots",
        sa.Column("digest", sa.String(64), nullable=False, server_default=""),
    )
    if backend_of(op.get_bind()).name == "postgresql":
        op.alter_column("timeline_snapshots", "digest", server_default=None)
        return
    for table, columns in TIMES.items():
        wrong = " OR ".join(
            f"(NEW.{column} IS NOT NULL AND NEW.{column} NOT GLOB '{STORED_TIME}')"
            for column in columns
        )
        op.execute(
            f"CREATE TRIGGER {table}_time_form BEFORE INSERT ON {table} WHEN {wrong} "
            f"BEGIN SELECT RAISE(ABORT, 'timeline: INSERT on {table} refused: a time is not "
            "stored as YYYY-MM-DD HH:MM:SS.ffffff (UTC)'); END"
        )


def downgrade() -> None:
    if backend_of(op.get_bind()).name != "postgresql":
        for table in TIMES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_time_form")
    op.drop_column("timeline_snapshots", "digest")
