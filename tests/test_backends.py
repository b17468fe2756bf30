"""The contract every backend keeps, run unchanged on each (SQLite, PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import timeline
from timeline._backends import SUPPORTED, backend_for_url, backend_of
from timeline._backends.base import Backend
from timeline.errors import InvalidEventError, StoreError
from timeline.store import Store, create_engine, normalize_url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """A store with the schema, on a fresh database of each backend."""
    opened = Store.open(db_url)
    try:
        yield opened
    finally:
        opened.close()


def test_the_backend_is_chosen_from_the_url_in_one_place(db_url: str) -> None:
    """The URL's backend and the engine's are one object, of the engine's kind."""
    parsed = normalize_url(db_url)
    engine = create_engine(parsed)
    try:
        backend = backend_for_url(parsed)
        assert backend is backend_of(engine)
        assert isinstance(backend, Backend)
        assert backend.name in SUPPORTED
        assert backend.name == engine.dialect.name
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    "url", ["cockroachdb://root@127.0.0.1:26257/x", "mysql://u@h/x", "oracle://u@h/x"]
)
def test_an_engine_no_backend_serves_is_refused(url: str) -> None:
    """A PostgreSQL-compatible engine with a dialect of its own, or any other, is refused
    naming the field and the supported engines, not taken for SQLite."""
    with pytest.raises(InvalidEventError, match=r"url.*not supported; use sqlite or postgresql"):
        backend_for_url(make_url(url))
    with pytest.raises(InvalidEventError, match="not supported"):
        timeline.open(url)


def test_a_connection_of_another_dialect_is_refused() -> None:
    """Asked for a connection's backend (as migrations ask), another dialect is an error."""

    class Dialect:
        name = "cockroachdb"

    with pytest.raises(StoreError, match="'cockroachdb' is not supported"):
        backend_of(Dialect())


def test_the_append_lock_gives_the_head_and_a_clock_that_never_goes_back(store: Store) -> None:
    """begin_append on an empty store starts the chain at 0; after an append it gives
    that append's head, and a recorded_at not before the head's."""
    backend = store.backend
    with store._write() as conn:
        position, previous, recorded_at = backend.begin_append(conn)
    assert (0, "") == (position, previous)
    assert recorded_at.tzinfo is not None
    event = timeline.Event(
        id=uuid.uuid4(), incident="i", type="strike", actor="A", occurred_at="2017-06-18"
    )
    [stored] = store.append([event])
    with store._write() as conn:
        position, previous, recorded_at = backend.begin_append(conn)
    assert (stored.position, stored.hash) == (position, previous)
    assert recorded_at >= stored.recorded_at


def test_times_round_trip_through_the_encoding(store: Store) -> None:
    """A time encoded by the backend and inserted reads back as the same instant."""
    moment = dt.datetime(999, 1, 2, 3, 4, 5, 6, tzinfo=dt.UTC)
    encoded = store.backend.db_time(moment)
    with store._write() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO timeline_snapshots (actor, fingerprint, through_occurred_at, "
                "through_position, known_position, max_end, events_applied, last_position, "
                "state, created_at, digest) VALUES ('a', 'f', :t, 1, 1, :t, 1, 1, '{}', :t, '')"
            ),
            {"t": encoded},
        )
        found = conn.execute(
            sa.select(sa.column("max_end", timeline.schema.UTCDateTime)).select_from(
                sa.table("timeline_snapshots")
            )
        ).scalar_one()
        conn.rollback()
    assert moment == found


def test_a_stream_reads_what_sqlalchemy_reads_a_page_at_a_time(store: Store) -> None:
    """``Backend.stream`` gives a statement's rows as SQLAlchemy reads them (the driver's
    values, by position), ``size`` at a time; bound times go through the column type's
    processing, which still refuses a naive time; a failing statement raises what
    SQLAlchemy would (so that the store translates it)."""
    store.append(
        [
            timeline.Event("report", f"A{n}", f"2017-06-{10 + n % 9}", incident="s")
            for n in range(25)
        ]
    )
    events = timeline.schema.events
    bound = sa.bindparam("since", type_=events.c.occurred_at.type)
    statement = (
        sa.select(events.c.position, events.c.actor, events.c.occurred_at)
        .where(events.c.occurred_at >= bound, events.c.type == "report")
        .order_by(events.c.position)
    )
    since = {"since": dt.datetime(2017, 6, 12, tzinfo=dt.UTC)}
    with store.session() as conn:
        wanted = [tuple(row) for row in conn.execute(statement, since)]
        pages = list(store.backend.stream(conn, statement, since, 4))
        naive = {"since": dt.datetime(2017, 6, 12)}
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            list(store.backend.stream(conn, statement, naive, 4))
    assert 19 == len(wanted)
    assert [4, 4, 4, 4, 3] == [len(page) for page in pages]
    assert wanted == [tuple(row) for page in pages for row in page]
    with store.session() as conn, pytest.raises(sa.exc.DBAPIError):
        list(store.backend.stream(conn, sa.select(sa.column("nothing_here")), {}, 4))


def test_the_owner_may_read_and_write_snapshots_and_a_new_store_has_integrity(
    store: Store,
) -> None:
    """The role that made the store has both snapshot rights; its integrity check finds
    no problem."""
    with store._read() as conn:
        assert (True, True) == store.backend.snapshot_rights(conn)
    problems, _notes = store.integrity()
    assert [] == problems


@pytest.mark.parametrize("known_before", [0, -20_000])
def test_an_event_behind_a_snapshot_is_found_whichever_key_reads_it(
    store: Store, known_before: int
) -> None:
    """changed_behind finds an actor's event recorded after a snapshot's knowledge and
    occurring before its end, whether the positions in between are few (read by position)
    or many (read by actor); another actor's is not counted."""
    first, second = (
        timeline.Event(id=uuid.uuid4(), incident="i", type="strike", actor=name,
                       occurred_at="2017-06-10")
        for name in ("A", "B")
    )  # fmt: skip
    store.append([first, second])
    end = (dt.datetime(2017, 6, 20, tzinfo=dt.UTC), 99)
    before = (dt.datetime(2017, 6, 1, tzinfo=dt.UTC), 0)
    assert store.changed_behind("A", between=(known_before, 2), through=end)
    assert not store.changed_behind("A", between=(known_before, 2), through=before)
    assert not store.changed_behind("A", between=(1, 2), through=end)  # B's, not A's
