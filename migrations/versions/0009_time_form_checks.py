"""SQLite: the one stored form of time is kept by CHECK constraints, not insert triggers.

Revision 0005 made SQLite refuse a time that is not ``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC)
with a ``BEFORE INSERT`` trigger per table, whose ``WHEN`` clause matched each time
column against a ``GLOB`` pattern. A trigger is a sub-program that SQLite runs for every
row, and it was measured at 15-30 % of the raw insert of a batch (``sqlite3`` into the
same tables with and without the triggers). The same ``GLOB`` as a ``CHECK`` constraint
is evaluated inside the insert itself, for a few per cent.

Each time column gets one constraint, named for the refusal (SQLite's message then reads
``CHECK constraint failed: occurred_at: a time is not stored as YYYY-MM-DD
HH:MM:SS.ffffff (UTC)``); ``NULL`` (``reported_at``) passes, as it did the trigger.
SQLite cannot add a constraint to a table, so the three tables that hold times are
rebuilt in place as 0007 rebuilt the event tables: new tables, the rows copied, the old
ones dropped, the new renamed, their indexes and their other triggers (the immutability
triggers of 0001) as they were. Rows are copied as stored (with ``PRAGMA
ignore_check_constraints`` during the copy): a row written in another form before 0005
stays as it is, and ``verify()`` names it as before. No stored value changes, so every
hash chain still verifies. PostgreSQL keeps ``timestamptz`` and is not touched.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

import re

from alembic import op

from timeline._backends import backend_of

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

STORED_TIME = "[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] [0-9][0-9]:[0-9][0-9]:[0-9][0-9].[0-9][0-9][0-9][0-9][0-9][0-9]"  # noqa: E501
"""The GLOB pattern of the one stored form of a time (as 0005 has it)."""

EVENTS = "timeline_events"
TIMES = {
    EVENTS: ("occurred_at", "recorded_at", "reported_at"),
    "timeline_event_actors": ("occurred_at",),
    "timeline_snapshots": ("through_occurred_at", "max_end", "created_at"),
}
"""The tables with time columns, parents first (the actor index refers to the events)."""


def checks(table: str) -> str:
    """The constraints of ``table``'s time columns, as they end its CREATE TABLE."""
    return "".join(
        f', \n\tCONSTRAINT "{column}: a time is not stored as YYYY-MM-DD HH:MM:SS.ffffff '
        f"(UTC)\" CHECK ({column} GLOB '{STORED_TIME}')"
        for column in TIMES[table]
    )


def upgrade() -> None:
    if backend_of(op.get_bind()).name != "postgresql":
        _rebuild(checked=True)


def downgrade() -> None:
    if backend_of(op.get_bind()).name != "postgresql":
        _rebuild(checked=False)


def _trigger(table: str) -> str:
    """0005's insert trigger of ``table``."""
    wrong = " OR ".join(
        f"(NEW.{column} IS NOT NULL AND NEW.{column} NOT GLOB '{STORED_TIME}')"
        for column in TIMES[table]
    )
    return (
        f"CREATE TRIGGER {table}_time_form BEFORE INSERT ON {table} WHEN {wrong} "
        f"BEGIN SELECT RAISE(ABORT, 'timeline: INSERT on {table} refused: a time is not "
        "stored as YYYY-MM-DD HH:MM:SS.ffffff (UTC)'); END"
    )


def _rebuild(*, checked: bool) -> None:
    """Rebuild the tables of :data:`TIMES` with (``checked``) or without their CHECK
    constraints, and without or with 0005's insert triggers. Inside the upgrade's one
    transaction, under its write lock."""
    conn = op.get_bind()

    def objects(kind: str, table: str) -> list[tuple[str, str]]:
        return [
            (name, sql)
            for name, sql in conn.exec_driver_sql(
                "SELECT name, sql FROM sqlite_master WHERE type = ? AND tbl_name = ? "
                "AND sql IS NOT NULL ORDER BY name",
                (kind, table),
            ).all()
        ]

    form = {f"{table}_time_form" for table in TIMES}
    triggers = [sql for table in TIMES for name, sql in objects("trigger", table)]
    kept = [sql for table in TIMES for name, sql in objects("trigger", table) if name not in form]
    indexes = [sql for table in TIMES for _, sql in objects("index", table)]
    for table in TIMES:
        [(_, sql)] = objects("table", table)
        # a table renamed once (by 0007 or this revision) has its name quoted
        new = re.sub(rf'^CREATE TABLE "?{table}"? \(', f"CREATE TABLE {table}_new (", sql)
        new = re.sub(rf'REFERENCES "?{EVENTS}"? \(', f"REFERENCES {EVENTS}_new (", new)
        if checked:
            ending = re.search(r"\)( WITHOUT ROWID)?$", new)
            rebuilt = new if ending is None else new[: ending.start()] + checks(table) + ending[0]
        else:
            rebuilt = new.replace(checks(table), "", 1)
        if new == sql or rebuilt == new:  # a table not made by these migrations
            raise RuntimeError(f"0009: unexpected definition of {table}: {sql}")
        conn.exec_driver_sql(rebuilt)
    # rows as stored: one written in another form before 0005 is for verify() to name
    conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
    try:
        for table in TIMES:  # parents first: the actor rows' foreign key is checked
            conn.exec_driver_sql(f"INSERT INTO {table}_new SELECT * FROM {table}")
    finally:
        conn.exec_driver_sql("PRAGMA ignore_check_constraints = OFF")
    # the children first: the implicit DELETE of a dropped parent checks foreign keys
    # (and fires no trigger)
    for table in reversed(TIMES):
        conn.exec_driver_sql(f"DROP TABLE {table}")
    # renaming the parent rewrites the child's REFERENCES clause to the new name
    for table in TIMES:
        conn.exec_driver_sql(f"ALTER TABLE {table}_new RENAME TO {table}")
    for statement in indexes:
        conn.exec_driver_sql(statement)
    for statement in kept if checked else [*kept, *(_trigger(table) for table in TIMES)]:
        conn.exec_driver_sql(statement)  # as written: their text holds colons
    if not checked and len(triggers) != len(kept):
        raise RuntimeError("0009: time form triggers found beside the CHECK constraints")
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"0009: foreign keys broken by the rebuild: {broken[:5]}")
