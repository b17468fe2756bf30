"""Helpers for tests that look at the database behind the library's back."""

from __future__ import annotations

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
