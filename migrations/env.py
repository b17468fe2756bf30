"""Alembic environment for timeline's own tables.

timeline.migrate runs it with a connection in ``config.attributes["connection"]``; the
Alembic command line can run it too with ``sqlalchemy.url`` set. The whole upgrade is one
transaction (SQLite and PostgreSQL both have transactional DDL), taken under a lock so
that two processes opening an empty database at once create the schema once.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from timeline._backends import backend_of
from timeline.schema import VERSION_TABLE, metadata


def run(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=VERSION_TABLE,
        transactional_ddl=True,
        include_name=lambda name, type_, parent: type_ != "table" or name.startswith("timeline_"),
    )
    with context.begin_transaction():
        backend_of(connection).begin_upgrade(connection)
        context.run_migrations()


def main() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        run(connection)
        return
    from timeline.store import create_engine

    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as conn:
        run(conn.execution_options(timeline_sqlite_begin="IMMEDIATE"))
    engine.dispose()


main()
