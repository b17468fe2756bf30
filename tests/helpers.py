"""Helpers for tests that look at the database behind the library's back, and the maker of
the session's PostgreSQL databases."""

from __future__ import annotations

import queue
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import sqlalchemy as sa

import timeline
from timeline.store import normalize_url


def raw_engine(url: str) -> sa.Engine:
    """A plain SQLAlchemy engine on ``url``, bypassing the library (for tampering)."""
    return sa.create_engine(normalize_url(url))


def stored_count(url: str) -> int:
    """How many events the database at ``url`` holds, counted with raw SQL."""
    engine = raw_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM timeline_events")).scalar_one()
    finally:
        engine.dispose()


def work_of(conn: sa.Connection, query: sa.Select[Any]) -> int:
    """How much work the database does to run ``query``, counted, not timed: on SQLite
    the virtual machine's steps (a progress handler called at each one), on PostgreSQL
    the rows that its plan's scans return (``EXPLAIN ANALYZE``: rows times loops)."""
    if conn.dialect.name == "sqlite":
        steps = [0]

        def step() -> int:
            steps[0] += 1
            return 0

        raw = conn.connection.driver_connection
        raw.set_progress_handler(step, 1)  # type: ignore[union-attr]
        try:
            conn.execute(query).fetchall()
        finally:
            raw.set_progress_handler(None, 1)  # type: ignore[union-attr]
        return steps[0]
    compiled = query.compile(conn)
    [[plan]] = conn.exec_driver_sql(
        f"EXPLAIN (ANALYZE, FORMAT JSON) {compiled}", compiled.params
    ).all()

    def rows(node: dict[str, Any]) -> int:
        own = node["Actual Rows"] * node["Actual Loops"] if "Scan" in node["Node Type"] else 0
        return own + sum(rows(child) for child in node.get("Plans", []))

    return rows(plan[0]["Plan"])


class PostgresDatabases:
    """The session's throwaway PostgreSQL databases: made empty or as copies of a template
    migrated once, and dropped by a thread of their own, because each ``DROP DATABASE``
    waits for a checkpoint (on PostgreSQL 15), which a test need not wait for. The thread
    drops all the databases waiting at once, each on a connection of its own: drops that
    wait together are served by the same checkpoint (one at a time, each waited for its
    own, and a suite making a database per test fell minutes behind its tests)."""

    # at most this many drops at once (connections of the admin engine's pool)
    DROPS_AT_ONCE = 8

    def __init__(self, admin_url: str) -> None:
        self.admin = sa.create_engine(
            admin_url, isolation_level="AUTOCOMMIT", pool_size=self.DROPS_AT_ONCE + 1
        )
        self.template: str | None = None
        self._doomed: queue.Queue[str | None] = queue.Queue()
        self._failures: list[Exception] = []
        self._dropper = threading.Thread(target=self._drop_each, daemon=True)
        self._dropper.start()

    def url(self, name: str) -> str:
        """The URL of the database ``name``, with the admin URL's credentials."""
        return self.admin.url.set(database=name).render_as_string(hide_password=False)

    def create(self, *, migrated: bool = False) -> str:
        """A new database's name: empty, or (``migrated``) a copy of the template."""
        name = f"timeline_test_{uuid.uuid4().hex[:12]}"
        template = f' TEMPLATE "{self._migrated_template()}"' if migrated else ""
        with self.admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"{template}')
        return name

    def drop(self, name: str) -> None:
        """Drop the database ``name`` soon, on the dropping thread."""
        self._doomed.put(name)

    def close(self) -> None:
        """Drop every database made, the template last; wait until they are gone. Raises
        the first error of a drop, if any failed."""
        self._doomed.put(None)
        self._dropper.join()
        if self.template is not None:
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'ALTER DATABASE "{self.template}" IS_TEMPLATE false')
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.template}"')
        self.admin.dispose()
        if self._failures:
            raise self._failures[0]

    def _migrated_template(self) -> str:
        if self.template is None:
            name = f"timeline_template_{uuid.uuid4().hex[:12]}"
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
            self.template = name
            timeline.upgrade(self.url(name))
            with self.admin.connect() as conn:
                # no connections (autovacuum's included): CREATE DATABASE ... TEMPLATE
                # refuses a template that someone is connected to
                conn.exec_driver_sql(
                    f'ALTER DATABASE "{name}" WITH IS_TEMPLATE true ALLOW_CONNECTIONS false'
                )
        return self.template

    def _drop_each(self) -> None:
        with ThreadPoolExecutor(self.DROPS_AT_ONCE, thread_name_prefix="drop") as pool:
            closing = False
            while not closing:
                names = [self._doomed.get()]
                while not self._doomed.empty():  # and every other one waiting by now
                    names.append(self._doomed.get())
                closing = None in names
                list(pool.map(self._drop_one, [n for n in names if n is not None]))

    def _drop_one(self, name: str) -> None:
        try:
            with self.admin.connect() as conn:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception as e:  # the others are still dropped; close() raises it
            self._failures.append(e)


def prepared_plans(conn: sa.Connection) -> list[tuple[str, str]]:
    """Each statement prepared on the PostgreSQL session of ``conn``, with the plan it
    keeps (``EXPLAIN EXECUTE`` with every parameter NULL: the plan, not the answer)."""
    prepared = conn.exec_driver_sql(
        "SELECT name, statement, cardinality(parameter_types) FROM pg_prepared_statements"
    ).all()
    plans = []
    for name, statement, parameters in prepared:
        nulls = f"({', '.join(['NULL'] * parameters)})" if parameters else ""
        plan = "\n".join(conn.exec_driver_sql(f'EXPLAIN EXECUTE "{name}"{nulls}').scalars())
        plans.append((statement, plan))
    return plans
