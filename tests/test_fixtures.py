"""The suite's own fixtures (tests/conftest.py): a store opened through ``tl`` or ``new_db``
is a migrated copy of its own; ``db_url`` alone is an empty database, which the
migrations fill from scratch."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa

import timeline
from timeline import migrate

from helpers import raw_engine, stored_count


def tables(url: str) -> set[str]:
    """The names of the tables in the database at ``url``."""
    engine = raw_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_db_url_alone_is_empty_and_migrated_from_scratch(db_url: str) -> None:
    """Without ``tl``, the database has no tables; upgrading it runs every migration."""
    assert set() == tables(db_url)
    assert migrate.head_revision() == timeline.upgrade(db_url)
    assert {"timeline_events", "timeline_alembic_version"} <= tables(db_url)


def test_a_store_through_tl_is_at_the_newest_revision(tl: timeline.Timeline, db_url: str) -> None:
    """``tl`` and ``db_url`` are one database, at the newest revision, holding nothing until
    the test records."""
    engine = raw_engine(db_url)
    try:
        with engine.connect() as conn:
            assert migrate.head_revision() == migrate.current_revision(conn)
    finally:
        engine.dispose()
    assert 0 == stored_count(db_url)
    tl.record("report", "US", "2017-06-17", incident="fixtures")
    assert 1 == stored_count(db_url)


def test_stores_from_new_db_are_separate(new_db: Callable[[], str]) -> None:
    """Each store ``new_db`` makes is its own: what one records, the next does not hold,
    and the next starts at position 1."""
    first, second = new_db(), new_db()
    with timeline.open(first) as tl:
        tl.record("report", "US", "2017-06-17", incident="fixtures")
    with timeline.open(second) as tl:
        assert [] == list(tl.events())
        assert 1 == tl.record("report", "Syria", "2017-06-18", incident="fixtures").position
    assert (1, 1) == (stored_count(first), stored_count(second))
