"""PostgreSQL: the append ticket is read by a PL/pgSQL function, whose plan is kept.

Both insert triggers of 0006/0008 (on ``timeline_events`` and on
``timeline_event_actors``) read the calling transaction's ticket through
``timeline_append_ticket()``, a ``SECURITY DEFINER`` function (the tickets table is the
owner's alone). It was written in SQL: a SQL function that cannot be inlined (a
``SECURITY DEFINER`` one never is) parses and plans its query on every call before
PostgreSQL 18, which was about 0.1 ms of server time per call, twice per append (issue
15: a one-event append spent about 1.9 ms of server time, 0.9 ms of it in the triggers).
From this revision the function is PL/pgSQL with the same signature, rights, query and
answer: PL/pgSQL keeps the plan for the session. Measured side by side (one-event
appends, 300 per pass, three passes each, server process CPU from ``/proc``): 1.86 ms
of server time per append before, 1.71 ms after.

No stored row and no check changes: every refusal stays the triggers', word for word,
and every chain verifies as before. The downgrade puts 0006's SQL function back.

Revision ID: 0012
Revises: 0010
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from timeline._backends import backend_of

revision = "0012"
down_revision = "0010"
branch_labels = None
depends_on = None


def _ticket(schema: str, *, language: str) -> str:
    """``timeline_append_ticket()`` in ``language``: ``plpgsql`` (this revision) or
    ``sql`` (0006's, for the downgrade)."""
    head = (
        "CREATE OR REPLACE FUNCTION timeline_append_ticket("
        "OUT recorded_at timestamptz, OUT after_position bigint) "
        f"LANGUAGE {language} STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS "
    )
    if language == "sql":
        return (
            head + "$$ SELECT recorded_at, after_position FROM timeline_append_tickets "
            "WHERE pid = pg_backend_pid() AND xact = txid_current_if_assigned() $$"
        )
    return (
        head + "$$ BEGIN "
        "SELECT t.recorded_at, t.after_position INTO recorded_at, after_position "
        "FROM timeline_append_tickets t "
        "WHERE t.pid = pg_backend_pid() AND t.xact = txid_current_if_assigned(); "
        "END $$"
    )


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
    # CREATE OR REPLACE keeps the function's owner and its grants (EXECUTE for PUBLIC,
    # as 0006 left it: the triggers run as the role that inserts)
    _run(_ticket(_schema(), language="plpgsql"))


def downgrade() -> None:
    if backend_of(op.get_bind()).name != "postgresql":
        return
    _run(_ticket(_schema(), language="sql"))
