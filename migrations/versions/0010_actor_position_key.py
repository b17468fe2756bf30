"""An actor's events in position order: the index ``(actor, position)``.

``Timeline.events(actor=X)`` lists X's events in position order, a page per query,
each page starting after the last position of the one before (keyset paging). Schema
0007 left the actor table two B-trees, the key ``(actor, occurred_at, position)`` and the
unique ``(position, actor)``, and neither gives one actor's rows in position order: each
page read every row of the actor (and its event) and sorted them, so a page cost the
actor's whole size and listing a big actor grew with the square of its events (issue 15).
This index gives that order, so a page reads its own rows and no more. On SQLite the
table is ``WITHOUT ROWID``, so the index holds the key's columns too (``occurred_at``
with them); on PostgreSQL it includes ``occurred_at``, so that a time window on the
actor's events is checked in the index as well. No stored value changes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

NAME = "ix_timeline_event_actors_actor_position"


def upgrade() -> None:
    op.create_index(
        NAME,
        "timeline_event_actors",
        ["actor", "position"],
        postgresql_include=["occurred_at"],
    )


def downgrade() -> None:
    op.drop_index(NAME, table_name="timeline_event_actors")
