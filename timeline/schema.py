"""The tables, as SQLAlchemy Core metadata.

Alembic owns the schema (migrations/); this module mirrors the latest revision so that the
store can build queries, and a test checks that the two never drift apart. Every name is
prefixed ``timeline_`` so that the tables can live beside an application's own, with
Alembic's bookkeeping in ``timeline_alembic_version``.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from timeline._backends import backend_of

VERSION_TABLE = "timeline_alembic_version"


class UTCDateTime(sa.types.TypeDecorator[dt.datetime]):
    """An aware UTC ``datetime``: ``timestamptz`` on PostgreSQL, UTC text on SQLite."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: dt.datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime reached the store")  # a bug, never user input
        return backend_of(dialect).bind_time(value.astimezone(dt.UTC))

    def process_result_value(self, value: Any, dialect: Dialect) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


metadata = sa.MetaData()

MENDING = "corrects IS NOT NULL OR retracts IS NOT NULL"
"""The events that correct or retract another: the condition of a partial index."""


COPY_SETTING = "timeline.copying"
"""The PostgreSQL setting that says "this transaction is a copy": ``Store.copy_from`` sets
it with ``SET LOCAL`` (so it ends with the transaction) before it writes a row."""

OWNS_EVENTS = (
    "pg_has_role(current_user, "
    "(SELECT relowner FROM pg_class WHERE oid = 'timeline_events'::regclass), 'USAGE')"
)
"""PostgreSQL: whether the role at work has the privileges of the owner of the events table."""

IN_A_COPY = f"coalesce(current_setting('{COPY_SETTING}', true), '') = 'on' AND {OWNS_EVENTS}"
"""PostgreSQL: the condition, true inside a copy's transaction, by which an INSERT trigger
lets a copy write ``recorded_at`` values of the past (``IF {IN_A_COPY} THEN ...``).

Any role may set a custom setting, so the setting alone proves nothing: the condition
trusts it only for the owner of the events table, who may disable the triggers anyway and
so gains nothing by it; ``Store.copy_from`` refuses any other role, and any store that
holds an event. Checks that a copy still meets (positions without gaps, ``recorded_at``
never decreasing) should stay on for it."""


STORED_TIME = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]"  # noqa: E501
"""SQLite: the GLOB pattern of the one stored form of a time, ``YYYY-MM-DD
HH:MM:SS.ffffff`` (UTC; ``timeline.store.TIME_FORM`` says the same as a regular
expression). Range reads compare the text, so another form of the same instant would
sort elsewhere."""


def _time_forms(*columns: str) -> list[sa.CheckConstraint]:
    """SQLite: a CHECK per time column that refuses any other text than the stored form
    (migration 0009; a constraint costs the insert far less than 0005's trigger did).
    Named for the refusal, which SQLite's message quotes. PostgreSQL keeps
    ``timestamptz``, which has no text form to vary."""
    return [
        sa.CheckConstraint(
            f"{column} GLOB '{STORED_TIME}'",
            name=f"{column}: a time is not stored as YYYY-MM-DD HH:MM:SS.ffffff (UTC)",
        ).ddl_if(dialect="sqlite")
        for column in columns
    ]


def _partial(name: str, column: str, *, where: str) -> sa.Index:
    condition = sa.text(where)
    return sa.Index(name, column, sqlite_where=condition, postgresql_where=condition)


events = sa.Table(
    "timeline_events",
    metadata,
    # SQLite: INTEGER, so that the key is the rowid itself, not a second B-tree (0007)
    sa.Column(
        "position",
        sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
        primary_key=True,
        autoincrement=False,
    ),
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
    # When the claim became public, as the caller gave it (or the source's published_at);
    # NULL: the recorded time stands for it (and for every event stored before 0004).
    sa.Column("reported_at", UTCDateTime, nullable=True),
    sa.Column("reported_precision", sa.String(6), nullable=True),
    sa.UniqueConstraint("id", name="uq_timeline_events_id"),
    sa.UniqueConstraint("incident", "version", name="uq_timeline_events_incident_version"),
    sa.Index("ix_timeline_events_type_occurred", "type", "occurred_at", "position"),
    sa.Index("ix_timeline_events_occurred", "occurred_at", "position"),
    # Partial: corrections and retractions are few, and an index of mostly NULLs costs
    # every append and misleads SQLite's planner (migration 0003).
    _partial("ix_timeline_events_corrects", "corrects", where="corrects IS NOT NULL"),
    _partial("ix_timeline_events_retracts", "retracts", where="retracts IS NOT NULL"),
    _partial("ix_timeline_events_mending", "position", where=MENDING),
    sa.Index("ix_timeline_events_recorded", "recorded_at"),
    *_time_forms("occurred_at", "recorded_at", "reported_at"),
)

# One row per (actor, event) for every actor an event names: as actor, as a target, or in
# its effects. It serves "the events of X" through an index instead of a JSON scan. Three
# B-trees: the key, which serves an actor's events in valid time, the unique
# (position, actor), which serves walks along positions and lookups of one event's rows
# (0007), and (actor, position), which serves an actor's events in position order (0010);
# on SQLite the key is the table itself (WITHOUT ROWID).
event_actors = sa.Table(
    "timeline_event_actors",
    metadata,
    sa.Column("actor", sa.String(200), nullable=False),
    sa.Column(
        "position",
        sa.BigInteger,
        sa.ForeignKey("timeline_events.position", name="fk_timeline_event_actors_position"),
        nullable=False,
    ),
    sa.Column("occurred_at", UTCDateTime, nullable=False),
    sa.PrimaryKeyConstraint("actor", "occurred_at", "position"),
    sa.Index("ix_timeline_event_actors_position", "position", "actor", unique=True),
    # an actor's events in position order, a page at a time (0010)
    sa.Index(
        "ix_timeline_event_actors_actor_position",
        "actor",
        "position",
        postgresql_include=["occurred_at"],
    ),
    *_time_forms("occurred_at"),
    sqlite_with_rowid=False,
)

# A cache of folded states, outside the immutability triggers: deletable at any time,
# rebuilt on demand. ``state`` holds the attributes, uncertainty-free by construction
# (a snapshot is used only where every event it folded is certain). ``digest`` binds a
# row to the hash chain at ``known_position`` (see ``timeline.store.snapshot_digest``).
snapshots = sa.Table(
    "timeline_snapshots",
    metadata,
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
    sa.Column("digest", sa.String(64), nullable=False),
    sa.Index("ix_timeline_snapshots_actor", "actor", "fingerprint", "through_occurred_at"),
    *_time_forms("through_occurred_at", "max_end", "created_at"),
)

TABLES = ("timeline_events", "timeline_event_actors", "timeline_snapshots")

TICKETS_TABLE = "timeline_append_tickets"
"""PostgreSQL: the append tickets ``timeline_begin_append()`` records and the insert
trigger checks (migration 0006); the database's own, never read by the library."""
