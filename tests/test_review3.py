"""Review of e6fa6a3, 42cf077, c50c1d6 (review3)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

import timeline

from helpers import prepared_plans, raw_engine

INCIDENT = "review3"


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
    service is up), as it did before e6fa6a3 kept those pages: a kept page read inside
    the reader's transaction is refused by PostgreSQL ("cached plan must not change
    result type") and the question fails once, as a StoreError."""
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


def test_events_table_reported_day_of_other_days_written_as_the_occurred_column() -> None:
    """42cf077: a day recorded with UTC days, under a table of New York's days, is written
    in UTC to the minute in the occurred_at column (2017-06-17 00:00), but the reported
    column writes the same kind of moment as a bare date (2017-06-18) under a heading
    that says its dates are New York's: the reader takes it for New York's 18 June
    (04:00 UTC on), four hours off. It should be written as the occurred column does."""
    import warnings

    from timeline.text import events_table, table_time
    from timeline.times import resolve_zone

    tl = timeline.open("sqlite://")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        e = tl.record("truce", "Syria", "2017-06-17", incident="s", reported_at="2017-06-18")
    new_york = resolve_zone("America/New_York")
    header, row = events_table(tl.events(), day_zone=new_york)
    assert "reported (UTC; days of America/New_York)" in header
    assert "2017-06-17 00:00" in row  # the occurred column, as 42cf077 meant
    assert table_time(*e.reported, new_york) == "2017-06-18 00:00"
    assert "2017-06-18 00:00" in row, row


def test_reported_by_warning_counts_no_event_retracted_by_the_bound() -> None:
    """42cf077: Store.unreported counts events "left out only because [they were] given
    no reported time"; an event withdrawn by a retraction reported before the bound is
    left out whatever its reported time, yet state() and events(current=True) warn that
    it was left out for want of one (and to give reported_at, which would change
    nothing)."""
    import warnings

    from timeline.errors import TimelineWarning

    tl = timeline.open("sqlite://")
    e = tl.record("claim", "US", "2017-06-10", incident="s", effects={"US": {"n": 1}})
    tl.retract(e.id, "wrong", reported_at="2017-06-11")
    view = tl.as_of(reported_by="2017-06-15")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        view.state("US")
        list(view.events(actor="US", current=True))
    said = [str(w.message) for w in caught if issubclass(w.category, TimelineWarning)]
    assert not [m for m in said if m.startswith("reported_by:")], said


@pytest.mark.parametrize("text", ["Jun 18 1543 2017Z", "18 June 1800 2017Z", "June 18, 1200 2017Z"])
def test_hhmmz_does_not_make_a_time_of_day_the_year(text: str) -> None:
    """c50c1d6: a four-digit number before Z is taken for a time of day of UTC whenever
    dateutil read it so; then the text's other four-digit number, a time of day written
    without separators, passes as the year: 'Jun 18 1543 2017Z' is read as 18 June 1543
    at 20:17 UTC (refused before c50c1d6, as '18 Jun 2017 1543' still is)."""
    from timeline.errors import InvalidEventError
    from timeline.times import parse_time

    with pytest.raises(InvalidEventError):
        parse_time(text, field="t")
