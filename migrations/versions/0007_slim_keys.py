"""Slimmer keys: one covering actor key, and on SQLite the position as the rowid.

Every append writes into each B-tree of the two event tables, and the keys of most of
them (actors, times) arrive in random order, so their number is most of an append's
cost. Before this revision the actor index kept, on SQLite, four B-trees (the table, its
key ``(actor, position)``, ``(actor, occurred_at, position)`` and ``(position)``), and
``timeline_events.position`` was a ``BIGINT`` key beside the table's own rowid, so every
read by position went through a second B-tree.

Now ``timeline_event_actors`` has the key ``(actor, occurred_at, position)``, which
serves the reads of an actor's events in valid time (``state``, ``history``), and one
unique index ``(position, actor)``, which serves the walk of ``verify`` and ``copy``
along positions, the check that a mending event is indexed under an actor, and keeps
an event from being listed twice under one actor. On SQLite the table is ``WITHOUT
ROWID`` (the key is the table: two B-trees instead of four) and ``position`` is an
``INTEGER PRIMARY KEY``, the rowid itself. Both tables are rebuilt in place, rows,
indexes and triggers as they were; no stored value changes, so every hash chain still
verifies. On PostgreSQL the key and the index are replaced (three indexes become two).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

import re

import sqlalchemy as sa
from alembic import op

from timeline._backends import backend_of

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

EVENTS = "timeline_events"
ACTORS = "timeline_event_actors"
OLD_KEY = "(actor, position)"
NEW_KEY = "(actor, occurred_at, position)"


def upgrade() -> None:
    if backend_of(op.get_bind()).name == "postgresql":
        _postgres(key=NEW_KEY, slim=True)
    else:
        _sqlite(slim=True)


def downgrade() -> None:
    if backend_of(op.get_bind()).name == "postgresql":
        _postgres(key=OLD_KEY, slim=False)
    else:
        _sqlite(slim=False)


def _postgres(*, key: str, slim: bool) -> None:
    name = sa.inspect(op.get_bind()).get_pk_constraint(ACTORS)["name"]
    op.execute(f"ALTER TABLE {ACTORS} DROP CONSTRAINT {name}")
    op.execute(f"ALTER TABLE {ACTORS} ADD CONSTRAINT {name} PRIMARY KEY {key}")
    op.execute("DROP INDEX ix_timeline_event_actors_position")
    if slim:
        op.execute("DROP INDEX ix_timeline_event_actors_actor_occurred")
    _actor_indexes(slim=slim)


def _actor_indexes(*, slim: bool) -> None:
    """The actor table's indexes besides its key: slim, the unique (position, actor);
    else, as before this revision, (actor, occurred_at, position) and (position)."""
    if slim:
        op.execute(
            f"CREATE UNIQUE INDEX ix_timeline_event_actors_position ON {ACTORS} (position, actor)"
        )
    else:
        op.execute(
            "CREATE INDEX ix_timeline_event_actors_actor_occurred "
            f"ON {ACTORS} (actor, occurred_at, position)"
        )
        op.execute(f"CREATE INDEX ix_timeline_event_actors_position ON {ACTORS} (position)")


def _sqlite(*, slim: bool) -> None:
    """Rebuild both tables (SQLite cannot change a key in place): new tables, the rows
    copied, the old ones dropped, the new renamed, then their indexes and triggers as
    they were. Inside the upgrade's one transaction, under its write lock."""
    conn = op.get_bind()

    def objects(kind: str, table: str) -> list[str]:
        return list(
            conn.exec_driver_sql(
                "SELECT sql FROM sqlite_master WHERE type = ? AND tbl_name = ? "
                "AND sql IS NOT NULL ORDER BY name",
                (kind, table),
            ).scalars()
        )

    triggers = objects("trigger", EVENTS) + objects("trigger", ACTORS)
    event_indexes = objects("index", EVENTS)
    [events_sql] = objects("table", EVENTS)
    old, new = ("BIGINT", "INTEGER") if slim else ("INTEGER", "BIGINT")
    # a table renamed once (by this revision) has its name quoted
    renamed = re.sub(rf'^CREATE TABLE "?{EVENTS}"? \(', f"CREATE TABLE {EVENTS}_new (", events_sql)
    rebuilt = renamed.replace(f"position {old} NOT NULL", f"position {new} NOT NULL", 1)
    if rebuilt == renamed or renamed == events_sql:  # a table not made by these migrations
        raise RuntimeError(f"0007: unexpected definition of {EVENTS}: {events_sql}")
    conn.exec_driver_sql(rebuilt)
    op.execute(f"INSERT INTO {EVENTS}_new SELECT * FROM {EVENTS}")
    key = NEW_KEY if slim else OLD_KEY
    op.execute(
        f"CREATE TABLE {ACTORS}_new (\n"
        "\tactor VARCHAR(200) NOT NULL, \n"
        "\tposition BIGINT NOT NULL, \n"
        "\toccurred_at DATETIME NOT NULL, \n"
        f"\tPRIMARY KEY {key}, \n"
        "\tCONSTRAINT fk_timeline_event_actors_position FOREIGN KEY(position) "
        f"REFERENCES {EVENTS}_new (position)\n"
        ")" + (" WITHOUT ROWID" if slim else "")
    )
    op.execute(
        f"INSERT INTO {ACTORS}_new (actor, position, occurred_at) "
        f"SELECT actor, position, occurred_at FROM {ACTORS}"
    )
    # the children first: the implicit DELETE of a dropped parent checks foreign keys
    # (and fires no trigger)
    op.execute(f"DROP TABLE {ACTORS}")
    op.execute(f"DROP TABLE {EVENTS}")
    # renaming the parent rewrites the child's REFERENCES clause to the new name
    op.execute(f"ALTER TABLE {EVENTS}_new RENAME TO {EVENTS}")
    op.execute(f"ALTER TABLE {ACTORS}_new RENAME TO {ACTORS}")
    for statement in event_indexes:
        conn.exec_driver_sql(statement)
    _actor_indexes(slim=slim)
    for statement in triggers:  # as written: their text holds colons
        conn.exec_driver_sql(statement)
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"0007: foreign keys broken by the rebuild: {broken[:5]}")
