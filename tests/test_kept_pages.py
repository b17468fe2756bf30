"""PostgreSQL: the kept (prepared) pages of an actor's events in valid time (issue 15)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

import timeline

from helpers import prepared_plans, raw_engine

INCIDENT = "kept-pages"


@contextmanager
def _many_on_one_connection(
    postgres_url: str, count: int, **options: Any
) -> Iterator[tuple[timeline.Timeline, sa.Engine]]:
    """``count`` events of US (more than a page) on one pooled connection."""
    from sqlalchemy.pool import StaticPool

    from timeline.store import Store, create_engine

    timeline.open(postgres_url).close()
    engine = create_engine(postgres_url, poolclass=StaticPool, **options)
    try:
        tl = timeline.Timeline(Store(engine, url="test"), snapshot_interval=100_000)
        start = dt.datetime(2017, 1, 1, tzinfo=dt.UTC)
        batch = [
            timeline.Event(
                "report",
                "US",
                start + dt.timedelta(minutes=n),
                incident=INCIDENT,
                effects={"US": {"n": {"$inc": 1}}},
            )
            for n in range(count)
        ]
        for i in range(0, count, 500):
            tl.append(batch[i : i + 500])
        yield tl, engine
    finally:
        engine.dispose()


def _alter(postgres_url: str, sql: str) -> None:
    other = raw_engine(postgres_url)
    try:
        with other.begin() as conn:
            conn.exec_driver_sql(sql)
    finally:
        other.dispose()


READERS = {
    "history": lambda tl: len(list(tl.history("US"))),
}


@pytest.mark.postgres
@pytest.mark.parametrize("reader", sorted(READERS))
def test_postgres_read_after_a_column_type_change_answers(postgres_url: str, reader: str) -> None:
    """A reader of an actor's pages (more than one page: 2,500 events) answers after a
    schema change that altered a result type of its statements (a migration run while a
    service is up). A reviewer's find: pages were kept inside the reader's transaction
    too, where PostgreSQL refuses a stale one ("cached plan must not change result
    type") and the question failed once; they are kept only outside one, where a stale
    statement is prepared again."""
    read = READERS[reader]
    with _many_on_one_connection(postgres_url, 2500) as (tl, _):
        expected = read(tl)  # prepares its statements on the one connection
        _alter(postgres_url, "ALTER TABLE timeline_events ALTER COLUMN precision TYPE varchar(8)")
        assert expected == read(tl)


@pytest.mark.postgres
def test_postgres_prepares_no_page_when_told(postgres_url: str) -> None:
    """prepare_threshold=None: a replay of more than a page of one actor's events (and
    its history) prepares nothing on the server."""
    unprepared = {"prepare_threshold": None}
    with _many_on_one_connection(postgres_url, 2500, connect_args=unprepared) as (tl, engine):
        assert {"n": 2500} == dict(tl.state("US"))
        assert 2500 == len(list(tl.history("US")))
        at = dt.datetime(2017, 1, 2, 0, 59, tzinfo=dt.UTC)
        assert {"n": 1500} == dict(tl.state("US", at=at))
        with engine.connect() as conn:
            assert [] == prepared_plans(conn)
