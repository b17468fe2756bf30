"""Helpers for tests that look at the database behind the library's back."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

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
