"""Where the benchmarks write: SQLite files and a throwaway PostgreSQL database.

The baselines' tables are made from the library's own metadata (``timeline.schema``), so
they have exactly its columns, types, keys and indexes, whatever the schema becomes.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import URL, make_url
from sqlalchemy.schema import CreateIndex, CreateTable

from timeline._backends.sqlite import CACHE_KIB
from timeline.schema import event_actors, events

EVENT_TABLES = (events, event_actors)


def schema_ddl(dialect: str, *, indexes: bool = True) -> list[str]:
    """Return the DDL of the library's two event tables for ``dialect``.

    ``indexes=True``: as ``timeline.schema`` declares them (primary keys, unique
    constraints, the foreign key and every index). ``indexes=False``: the same columns and
    nothing else (no key, constraint or index; the floor).
    """
    compiled_for = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}[dialect]
    statements = []
    for table in EVENT_TABLES:
        if indexes:
            statements.append(str(CreateTable(table).compile(dialect=compiled_for)))
            statements.extend(
                str(CreateIndex(index).compile(dialect=compiled_for))
                for index in sorted(table.indexes, key=lambda ix: str(ix.name))
            )
        else:
            bare = sa.Table(
                table.name, sa.MetaData(), *(sa.Column(c.name, c.type) for c in table.columns)
            )
            statements.append(str(CreateTable(bare).compile(dialect=compiled_for)))
    return statements


def raw_sqlite(path: Path, *, indexes: bool) -> sqlite3.Connection:
    """Open a new SQLite file set up as the library sets up its own, with the tables.

    WAL, ``synchronous=FULL``, foreign keys on and the page cache, as the library's
    SQLite backend has them; autocommit mode, so that the caller's ``BEGIN``/``COMMIT``
    make the transactions.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    for statement in schema_ddl("sqlite", indexes=indexes):
        conn.execute(statement)
    return conn


class Postgres:
    """A PostgreSQL database made for one run (``timeline_bench_<random>``), then dropped.

    ``url`` is any database on the server that the user may connect to; it is used with
    AUTOCOMMIT to create and later drop (``WITH (FORCE)``) the run's database.
    """

    def __init__(self, url: str | URL) -> None:
        parsed = make_url(url) if isinstance(url, str) else url
        if parsed.get_backend_name() != "postgresql":
            raise ValueError(f"not a PostgreSQL URL: {parsed.render_as_string()}")
        self.admin_url = parsed.set(drivername="postgresql")
        self.name = f"timeline_bench_{secrets.token_hex(4)}"
        self.server_version: str | None = None
        self.created = False

    @property
    def shown(self) -> str:
        """The server's URL for messages, without the password."""
        return self.admin_url.render_as_string(hide_password=True)

    @property
    def url(self) -> URL:
        """The run's database, as a SQLAlchemy URL for ``timeline.open``."""
        return self.admin_url.set(drivername="postgresql+psycopg", database=self.name)

    @property
    def conninfo(self) -> str:
        """The run's database, as a libpq connection string for psycopg."""
        return self.admin_url.set(database=self.name).render_as_string(hide_password=False)

    def _admin(self) -> Any:
        import psycopg

        return psycopg.connect(
            self.admin_url.render_as_string(hide_password=False), autocommit=True
        )

    def create(self) -> str:
        """Create the run's database; return the server's version."""
        from psycopg import sql

        with self._admin() as conn:
            self.server_version = str(conn.execute("SHOW server_version").fetchone()[0])
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.name)))
        self.created = True
        return self.server_version

    def drop(self) -> None:
        """Drop the run's database, even with sessions still open."""
        if not self.created:
            return
        from psycopg import sql

        with self._admin() as conn:
            conn.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(self.name))
            )
        self.created = False

    def connect(self) -> Any:
        """Return a new psycopg connection to the run's database, in autocommit mode.

        ``conn.transaction()`` blocks then make the transactions (BEGIN ... COMMIT).
        """
        import psycopg

        return psycopg.connect(self.conninfo, autocommit=True)

    @contextmanager
    def new_database(self) -> Iterator[str]:
        """Create another database on the server, yield its URL (for ``timeline --db``),
        then drop it: a store made in a database that nothing has used yet."""
        from psycopg import sql

        name = f"{self.name}_new"
        with self._admin() as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        try:
            yield self.url.set(database=name).render_as_string(hide_password=False)
        finally:
            with self._admin() as conn:
                conn.execute(
                    sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
                )

    @contextmanager
    def fresh(self) -> Iterator[None]:
        """Empty the run's database (a new ``public`` schema) and checkpoint, then yield."""
        import psycopg

        with psycopg.connect(self.conninfo, autocommit=True) as conn:
            conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
            conn.execute("CREATE SCHEMA public")
            # So that one measurement's dirty pages are not flushed during the next. Needs
            # superuser or pg_checkpoint; it only steadies the numbers, so failing is fine.
            with suppress(psycopg.Error):
                conn.execute("CHECKPOINT")
        yield
