"""The event store: events, the actors they name, and triggers that keep both immutable.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

import sqlalchemy as sa
from alembic import op

from timeline._backends import backend_of
from timeline.schema import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

IMMUTABLE = ("timeline_events", "timeline_event_actors")


def upgrade() -> None:
    op.create_table(
        "timeline_events",
        sa.Column("position", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("id", sa.Uuid, nullable=False),
        sa.Column("incident", sa.String(200), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("targets", sa.JSON, nullable=False),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
        sa.Column("precision", sa.String(6), nullable=False),
        sa.Column("data", sa.JSON, nullable=False),
        sa.Column("effects", sa.JSON, nullable=False),
        sa.Column("source", sa.JSON, nullable=False),
        sa.Column("corrects", sa.Uuid, nullable=True),
        sa.Column("retracts", sa.Uuid, nullable=True),
        sa.Column("recorded_at", UTCDateTime, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("id", name="uq_timeline_events_id"),
        sa.UniqueConstraint("incident", "version", name="uq_timeline_events_incident_version"),
    )
    op.create_index("ix_timeline_events_type_occurred", "timeline_events", ["type", "occurred_at"])
    op.create_index("ix_timeline_events_occurred", "timeline_events", ["occurred_at", "position"])
    op.create_index("ix_timeline_events_corrects", "timeline_events", ["corrects"])
    op.create_index("ix_timeline_events_retracts", "timeline_events", ["retracts"])

    op.create_table(
        "timeline_event_actors",
        sa.Column("actor", sa.String(200), primary_key=True),
        sa.Column(
            "position",
            sa.BigInteger,
            sa.ForeignKey("timeline_events.position", name="fk_timeline_event_actors_position"),
            primary_key=True,
        ),
        sa.Column("occurred_at", UTCDateTime, nullable=False),
    )
    op.create_index(
        "ix_timeline_event_actors_actor_occurred",
        "timeline_event_actors",
        ["actor", "occurred_at", "position"],
    )
    op.create_index("ix_timeline_event_actors_position", "timeline_event_actors", ["position"])

    if backend_of(op.get_bind()).name == "postgresql":
        _postgres_triggers()
    else:
        _sqlite_triggers()


def _sqlite_triggers() -> None:
    for table in IMMUTABLE:
        for action in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'timeline: {action} on {table} refused: "
                "events are never updated or deleted; record a correction or a retraction'); END"
            )


def _postgres_triggers() -> None:
    op.execute(
        """
        CREATE FUNCTION timeline_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'timeline: % on % refused: events are never updated or deleted; '
                'record a correction or a retraction', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'restrict_violation';
        END
        $$
        """
    )
    for table in IMMUTABLE:
        op.execute(
            f"CREATE TRIGGER {table}_immutable BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION timeline_refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION timeline_refuse_change()"
        )


def downgrade() -> None:
    # Dropping the tables is the only way back from the first revision; an event store
    # keeps evidence, so this is for developers' scratch databases only.
    if backend_of(op.get_bind()).name == "postgresql":
        for table in IMMUTABLE:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_immutable ON {table}")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
        op.execute("DROP FUNCTION IF EXISTS timeline_refuse_change()")
    op.drop_table("timeline_event_actors")
    op.drop_table("timeline_events")
