"""PostgreSQL: what an append reads under its lock, in one call with kept plans.

An append's first chunk read three things under the append lock: the ticket
(``timeline_begin_append()``, which takes the lock), the newest version of each incident
it names, and which of its ids are stored already. They went as three statements in one
pipeline: one round trip, but each statement parsed and planned by the server on every
append (the library prepares nothing, see ``PostgresBackend.engine_options``) and each
sent, tracked and read back by the driver (issue 15: a one-event append spent about
0.4 ms of client CPU on that pipeline).

From this revision ``timeline_open_append(incidents, ids)`` does the three in one call:
a PL/pgSQL function, so its plans are kept for the session, and ``VOLATILE``, so each of
its statements reads a snapshot taken when that statement starts, as the pipeline's
statements did: the reads after the ticket see every append committed before the lock
was granted. It is no ``SECURITY DEFINER``: it runs as its caller, who needs the right to
call ``timeline_begin_append()`` (granted to writers by 0006) and to read the events
table, as before. It answers the ticket's three values, each incident's newest version
(0 for none) in the order of ``incidents``, and the ids of ``ids`` stored already.

No stored row, check or refusal changes; the downgrade drops the function.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from timeline._backends import backend_of

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _open_append(schema: str) -> str:
    # Each read is one shape the planner has a single plan for, generic or custom: a
    # probe of the (incident, version) key read backwards per incident, and a probe of
    # the unique id key per id (a lateral subquery with LIMIT 1, as ``by_ids``), so a
    # plan kept from the store's first, empty days stays right as it grows.
    return f"""
        CREATE FUNCTION timeline_open_append(
            incidents text[], ids uuid[],
            OUT last_position bigint, OUT last_hash text, OUT recorded_at timestamptz,
            OUT versions bigint[], OUT known uuid[]
        ) LANGUAGE plpgsql VOLATILE SET search_path = {schema}, pg_temp AS $$
        BEGIN
            -- the lock first (taken by the ticket), then the reads, each on a snapshot
            -- of its own taken after the lock was granted
            SELECT t.last_position, t.last_hash, t.recorded_at
                INTO last_position, last_hash, recorded_at FROM timeline_begin_append() t;
            SELECT coalesce(array_agg(coalesce(v.version, 0) ORDER BY i.n), '{{}}')
                INTO versions
                FROM unnest(incidents) WITH ORDINALITY AS i(incident, n)
                LEFT JOIN LATERAL (
                    SELECT e.version FROM timeline_events e WHERE e.incident = i.incident
                    ORDER BY e.version DESC LIMIT 1
                ) AS v ON true;
            SELECT coalesce(array_agg(f.id), '{{}}') INTO known
                FROM unnest(ids) AS i(id) JOIN LATERAL (
                    SELECT e.id FROM timeline_events e WHERE e.id = i.id LIMIT 1
                ) AS f ON true;
        END
        $$
        """


def _schema() -> str:
    return str(op.get_bind().execute(sa.text("SELECT quote_ident(current_schema())")).scalar_one())


def _run(statement: str) -> None:
    # through the driver as written: the text holds no parameters
    conn = op.get_bind()
    with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        cursor.execute(statement)


def upgrade() -> None:
    if backend_of(op.get_bind()).name != "postgresql":
        return
    _run(_open_append(_schema()))
    # every role may call it (as the default privileges of a database may say
    # otherwise, said here): it runs with its caller's rights, so only a role that may
    # call timeline_begin_append() gets anything from it
    _run("GRANT EXECUTE ON FUNCTION timeline_open_append(text[], uuid[]) TO PUBLIC")


def downgrade() -> None:
    if backend_of(op.get_bind()).name != "postgresql":
        return
    _run("DROP FUNCTION timeline_open_append(text[], uuid[])")
