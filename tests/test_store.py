"""Appending and reading events, run unchanged on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import timeline
from timeline import ConcurrencyError, DuplicateEventError, Event, InvalidEventError

import strategies
from helpers import prepared_plans, raw_engine, stored_count, work_of

UTC = dt.UTC
INCIDENT = "syria-2017-06"


def ev(type_: str, actor: str, at: str, **fields: object) -> Event:
    """A seed-like event in the default incident."""
    fields.setdefault("incident", INCIDENT)
    return Event(type_, actor, at, **fields)  # type: ignore[arg-type]


def test_record_assigns_version_position_recorded_at_and_hash(tl: timeline.Timeline) -> None:
    """The store assigns version, position, recorded_at and a hash; the rest is kept."""
    before = dt.datetime.now(UTC)
    first = tl.record(
        "shootdown",
        "US",
        "2017-06-18T18:43+03:00",
        incident=INCIDENT,
        targets=["Syria"],
        data={"aircraft": "Su-22"},
        source={"quote": "Two hours later, the US military said it shot down"},
    )
    second = tl.record("truce", "Syria", "2017-06-17", incident="daraa")
    assert (1, 1) == (first.version, first.position)
    assert (1, 2) == (second.version, second.position)
    assert first.recorded_at <= second.recorded_at
    assert before - dt.timedelta(minutes=5) < first.recorded_at < before + dt.timedelta(minutes=5)
    assert 64 == len(first.hash) and first.hash != second.hash
    assert [first, second] == list(tl.events())


def test_versions_count_per_incident_without_gaps(tl: timeline.Timeline) -> None:
    """Each incident numbers its events 1, 2, 3 …; positions number all of them."""
    recorded = tl.append([ev("a", "X", "2017-06-18", incident=f"i{n % 3}") for n in range(9)])
    assert [1, 1, 1, 2, 2, 2, 3, 3, 3] == [e.version for e in recorded]
    assert list(range(1, 10)) == [e.position for e in recorded]
    assert 3 == tl.incident_version("i0")
    assert 0 == tl.incident_version("nothing-here")


def test_a_bad_event_in_a_batch_stores_none_of_it(tl: timeline.Timeline, db_url: str) -> None:
    """A batch with one bad item is refused whole, naming the item."""
    tl.record("truce", "Syria", "2017-06-17", incident=INCIDENT)
    batch = [ev("shootdown", "US", "2017-06-18"), {"type": "not an Event"}]
    with pytest.raises(InvalidEventError, match=r"^events\[1\]: expected a timeline.Event"):
        tl.append(batch)  # type: ignore[list-item]
    assert 1 == stored_count(db_url)


def test_expected_version_conflict_stores_nothing(tl: timeline.Timeline, db_url: str) -> None:
    """A stale expected_version raises ConcurrencyError and stores none of the batch."""
    tl.append([ev("a", "X", "2017-06-18"), ev("b", "X", "2017-06-18")], expected_version=0)
    with pytest.raises(ConcurrencyError, match="is at version 2, not 1") as caught:
        tl.append([ev("c", "X", "2017-06-19"), ev("d", "X", "2017-06-19")], expected_version=1)
    assert (INCIDENT, 1, 2) == (caught.value.incident, caught.value.expected, caught.value.actual)
    assert 2 == stored_count(db_url)
    assert 3 == tl.append([ev("c", "X", "2017-06-19")], expected_version=2)[0].version


def test_expected_version_by_incident(tl: timeline.Timeline, db_url: str) -> None:
    """A mapping checks every incident named; an int needs a one-incident batch."""
    batch = [ev("a", "X", "2017-06-18", incident="one"), ev("b", "X", "2017-06-18", incident="two")]
    with pytest.raises(InvalidEventError, match=r"^expected_version: the batch spans incidents"):
        tl.append(batch, expected_version=0)
    with pytest.raises(ConcurrencyError):
        tl.append(batch, expected_version={"one": 0, "two": 3})
    assert 0 == stored_count(db_url)
    assert [1, 1] == [e.version for e in tl.append(batch, expected_version={"one": 0, "two": 0})]
    with pytest.raises(InvalidEventError, match=r"^expected_version: must not be negative"):
        tl.append([ev("a", "X", "2017-06-18")], expected_version=-1)


def test_same_id_same_content_is_a_no_op(tl: timeline.Timeline, db_url: str) -> None:
    """Appending a stored id with identical content returns the stored event, stores nothing."""
    event = ev("shootdown", "US", "2017-06-18")
    stored = tl.append([event], expected_version=0)[0]
    again = tl.append([event], expected_version=0)[0]  # a retried append: not a conflict
    assert stored == again
    assert 1 == stored_count(db_url)
    mixed = tl.append([event, ev("truce", "Syria", "2017-06-17")])
    assert [stored.position, 2] == [e.position for e in mixed]


def test_same_id_other_content_is_refused(tl: timeline.Timeline, db_url: str) -> None:
    """A stored id with other content raises DuplicateEventError naming the fields."""
    event = ev("shootdown", "US", "2017-06-18")
    tl.append([event])
    changed = ev("shootdown", "Russia", "2017-06-18", id=event.id)
    with pytest.raises(DuplicateEventError, match=r"differs in actor\)") as caught:
        tl.append([ev("truce", "Syria", "2017-06-17"), changed])
    assert ["actor"] == caught.value.fields
    assert 1 == stored_count(db_url)


def test_same_id_twice_in_one_batch(tl: timeline.Timeline, db_url: str) -> None:
    """Within a batch, a repeated id is stored once, or refused if its content differs."""
    event = ev("shootdown", "US", "2017-06-18")
    first, second = tl.append([event, event])
    assert first == second and 1 == stored_count(db_url)
    other = ev("withdrawal", "SDF", "2017-06-18")
    with pytest.raises(DuplicateEventError):
        tl.append([other, ev("withdrawal", "SDF", "2017-06-19", id=other.id)])
    assert 1 == stored_count(db_url)


def test_recorded_at_never_decreases_with_position(tl: timeline.Timeline) -> None:
    """recorded_at is the store's clock and never goes down as positions go up."""
    for n in range(5):
        tl.append([ev("a", "X", "2017-06-18") for _ in range(3)])
        if n == 2:
            time.sleep(0.01)
    stamps = [e.recorded_at for e in tl.events()]
    assert stamps == sorted(stamps)
    assert all(s.tzinfo is not None and s.utcoffset() == dt.timedelta(0) for s in stamps)


def test_a_batch_shares_one_recorded_at(tl: timeline.Timeline) -> None:
    """All events of one append were learned at one moment."""
    recorded = tl.append([ev("a", "X", "2017-06-18"), ev("b", "Y", "2017-06-19")])
    assert recorded[0].recorded_at == recorded[1].recorded_at


@pytest.fixture
def seed(tl: timeline.Timeline) -> list[timeline.RecordedEvent]:
    """A few seed events, recorded out of valid-time order and in three appends."""
    first = tl.append(
        [
            ev(
                "cooperation_suspended",
                "Russia",
                "2017-06-19",
                targets=["US"],
                effects={"Russia": {"cooperation.US": "suspended"}},
            ),
            ev("shootdown", "US", "2017-06-18T18:43+03:00", targets=["Syria"]),
        ]
    )
    time.sleep(0.002)
    second = tl.append(
        [ev("truce", "Syria", "2017-06-17", incident="daraa", targets=["Syrian rebels"])]
    )
    time.sleep(0.002)
    third = tl.append(
        [
            ev("aircraft_repositioned", "US", "2017-06-19"),
            ev("missile_strike", "Iran", "2017-06-18", targets=["Islamic State"]),
        ]
    )
    return first + second + third


def types(events: object) -> list[str]:
    """The type names of some events, in order."""
    return [e.type for e in events]  # type: ignore[attr-defined]


def test_filters(tl: timeline.Timeline, seed: list[timeline.RecordedEvent]) -> None:
    """events() narrows by incident, actor (as actor, target or in effects) and type."""
    assert ["truce"] == types(tl.events(incident="daraa"))
    assert ["cooperation_suspended", "shootdown", "aircraft_repositioned"] == types(
        tl.events(actor="US")
    )
    assert ["cooperation_suspended"] == types(tl.events(actor="Russia"))
    assert ["shootdown", "missile_strike"] == types(tl.events(type=["shootdown", "missile_strike"]))
    assert ["truce"] == types(tl.events(type="truce", incident="daraa"))
    assert [] == types(tl.events(actor="Nobody"))


def test_valid_time_range(tl: timeline.Timeline, seed: list[timeline.RecordedEvent]) -> None:
    """since is inclusive from its start; until takes in the whole of a day it names."""
    assert ["shootdown", "missile_strike"] == types(
        tl.events(since="2017-06-18", until="2017-06-18")
    )
    assert ["cooperation_suspended", "aircraft_repositioned"] == types(
        tl.events(since="2017-06-19")
    )
    noon = dt.datetime(2017, 6, 18, 12, tzinfo=UTC)
    assert ["truce", "missile_strike"] == types(tl.events(until=noon))
    assert ["shootdown"] == types(tl.events(actor="US", until="2017-06-18"))


def test_known_at_and_after_position(
    tl: timeline.Timeline, seed: list[timeline.RecordedEvent]
) -> None:
    """known_at sees only what was recorded by then; after_position resumes a reader."""
    assert 2 == len(list(tl.events(known_at=seed[0].recorded_at)))
    assert 3 == len(list(tl.events(known_at=seed[2].recorded_at)))
    assert [4, 5] == [e.position for e in tl.events(after_position=3)]
    assert [] == list(tl.events(known_at="1999-01-01"))
    assert 5 == len(list(tl.events(known_at="2999")))


def test_limit_and_paging(tl: timeline.Timeline) -> None:
    """Reading in pages gives the same events as one read; limit cuts the total."""
    tl.append([ev("a", f"X{n}", "2017-06-18") for n in range(25)])
    everything = list(tl.events())
    assert everything == list(tl.events(page_size=4))
    assert everything[:10] == list(tl.events(limit=10, page_size=3))
    assert everything[20:] == list(tl.events(after_position=20, page_size=2))
    assert [] == list(tl.events(limit=0))


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"incident": ""}, "incident"),
        ({"actor": 5}, "actor"),
        ({"type": "Not Snake"}, "type"),
        ({"type": ["ok", "Not Snake"]}, "type[1]"),
        ({"since": "garbage"}, "since"),
        ({"until": dt.datetime(2017, 6, 18)}, "until"),
        ({"known_at": "15:00"}, "known_at"),
        ({"after_position": -1}, "after_position"),
        ({"limit": "10"}, "limit"),
        ({"page_size": 0}, "page_size"),
    ],
)
def test_bad_read_arguments_are_refused(
    tl: timeline.Timeline, kwargs: dict[str, object], field: str
) -> None:
    """Read filters are validated like events, naming the argument."""
    with pytest.raises(InvalidEventError) as caught:
        list(tl.events(**kwargs))  # type: ignore[arg-type]
    assert field == caught.value.field


def test_get(tl: timeline.Timeline) -> None:
    """get() returns a stored event by id and raises NotFoundError for an unknown one."""
    stored = tl.record("truce", "Syria", "2017-06-17", incident=INCIDENT)
    assert stored == tl.get(str(stored.id))
    with pytest.raises(timeline.NotFoundError, match=r"^event_id: no event"):
        tl.get(uuid.uuid4())


def test_texts_are_stored_verbatim(tl: timeline.Timeline) -> None:
    """SQL meta-characters and non-ASCII text are stored as given, never interpreted."""
    nasty = "Robert'); DROP TABLE timeline_events;-- % _ \\ \" Ja’Din دمشق"
    stored = tl.record(
        "statement",
        nasty,
        "2017-06-18",
        incident=nasty,
        targets=[nasty],
        data={nasty: nasty},
        source={"quote": nasty},
    )
    read = tl.get(stored.id)
    assert (nasty, nasty, (nasty,), {nasty: nasty}) == (
        read.actor,
        read.incident,
        read.targets,
        read.data,
    )
    assert [stored] == list(tl.events(actor=nasty, incident=nasty))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batch=st.lists(strategies.events(), min_size=1, max_size=4))
def test_any_valid_event_reads_back_equal(tl: timeline.Timeline, batch: list[Event]) -> None:
    """Round trip: whatever valid events are appended read back equal, field for field."""
    recorded = tl.append(batch)
    assert batch == [r.to_event() for r in recorded]
    assert recorded == [tl.get(e.id) for e in batch]
    assert recorded == list(tl.events(after_position=recorded[0].position - 1))


def test_load_streams_many_events_in_one_transaction(tl: timeline.Timeline, db_url: str) -> None:
    """load() takes an iterator, writes it in chunks, and counts the new events."""
    chunks: list[int] = []
    stream = (ev("report", f"X{n % 7}", "2017-06-18", data={"n": n}) for n in range(25))
    assert 25 == tl.load(stream, chunk_size=10, on_chunk=chunks.append)
    assert [10, 10, 5] == chunks
    assert list(range(1, 26)) == [e.version for e in tl.events()]
    assert tl.verify().ok


@pytest.mark.postgres
def test_postgres_plans_statements_for_the_tables_as_they_are(postgres_url: str) -> None:
    """No statement that reads the tables keeps a plan made while a new store's tables
    were empty (issue 15): psycopg prepares only what the store keeps on purpose, which
    for appends and loads is a one-event append's INSERT of values, whose plan reads no
    table; every other statement of a load that grows the tables in its one transaction
    is planned for them as they are, chunk after chunk."""
    with timeline.open(postgres_url) as tl:
        stream = (ev("report", f"X{n % 7}", "2017-06-18", data={"n": n}) for n in range(120))
        assert 120 == tl.load(stream, chunk_size=10)  # each lookup of ids run 12 times
        for n in range(8):
            tl.record("report", "Y", "2017-06-19", incident=f"i{n}")
        assert 128 == len(list(tl.events()))
        with tl._store.engine.connect() as conn:  # the pool's one connection, reused
            plans = prepared_plans(conn)
            kinds = {statement.split(" ", 1)[0] for statement, _ in plans}
            assert kinds and kinds <= {"INSERT", "WITH"}, plans
            for statement, plan in plans:
                assert not re.search(
                    r"Scan .*on timeline_(events|event_actors|snapshots)\b", plan
                ), f"{statement}\n{plan}"


@pytest.mark.postgres
def test_postgres_kept_statement_made_stale_by_a_schema_change_is_prepared_again(
    postgres_url: str,
) -> None:
    """A schema change that alters the types of a kept statement's result (a migration
    run while a service is up) makes PostgreSQL refuse the statement prepared before it
    ("cached plan must not change result type"): state(), which reads without a
    transaction, prepares it again and answers, now and on every later question, where
    the connection stayed refused for good."""
    with _counting_on_one_connection(postgres_url, 4) as (tl, _):
        assert {"n": 4} == dict(tl.state("US"))  # prepared now
        other = raw_engine(postgres_url)
        try:
            with other.begin() as conn:
                conn.exec_driver_sql(
                    "ALTER TABLE timeline_events ALTER COLUMN precision TYPE varchar(8)"
                )
        finally:
            other.dispose()
        for _ in range(3):
            assert {"n": 4} == dict(tl.state("US"))
            assert {"n": 2} == dict(tl.state("US", at="2017-06-11"))


@pytest.mark.postgres
def test_postgres_prepares_nothing_when_told(postgres_url: str) -> None:
    """``connect_args={"prepare_threshold": None}`` (as the README says, for a pooler that
    passes no prepared statement through) leaves nothing prepared on the server, the
    kept statements of state() and appends included, and the answers as they were."""
    unprepared = {"prepare_threshold": None}
    with _counting_on_one_connection(postgres_url, 6, connect_args=unprepared) as (tl, engine):
        assert {"n": 6} == dict(tl.state("US"))
        assert {"n": 3} == dict(tl.state("US", at="2017-06-12"))
        with engine.connect() as conn:
            assert [] == prepared_plans(conn)


@contextmanager
def _counting_on_one_connection(
    postgres_url: str, count: int, **options: Any
) -> Iterator[tuple[timeline.Timeline, sa.Engine]]:
    """A timeline (snapshots every 2 events) on a new PostgreSQL store through one
    connection (what it prepares stays prepared on it) made with ``options``, holding
    ``count`` reports from 2017-06-10 on, a day apart, each adding 1 to US's ``n``."""
    from sqlalchemy.pool import StaticPool

    from timeline.store import Store, create_engine

    timeline.open(postgres_url).close()  # the schema
    engine = create_engine(postgres_url, poolclass=StaticPool, **options)
    try:
        tl = timeline.Timeline(Store(engine, url="test"), snapshot_interval=2)
        for n in range(count):
            tl.record(
                "report",
                "US",
                f"2017-06-{10 + n}",
                incident=INCIDENT,
                effects={"US": {"n": {"$inc": 1}}},
            )
        yield tl, engine
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_appends_one_after_the_other_ping_no_connection(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Appends one after the other reuse the pooled connection without a ping (a round
    trip each, issue 15); a connection that rested longer than PING_AFTER_IDLE is pinged
    once before use. Counted in calls of the dialect's ping, not timed."""
    from timeline._backends import postgres

    with timeline.open(postgres_url) as tl:
        dialect = tl._store.engine.dialect
        pings: list[object] = []
        ping = dialect.do_ping

        def counted(dbapi_connection: object) -> bool:
            pings.append(dbapi_connection)
            return ping(dbapi_connection)

        monkeypatch.setattr(dialect, "do_ping", counted)
        monkeypatch.setattr(postgres, "PING_AFTER_IDLE", 3600.0)
        for n in range(5):
            tl.record("report", "US", "2017-06-18", incident=INCIDENT, data={"n": n})
        assert 0 == len(pings)
        monkeypatch.setattr(postgres, "PING_AFTER_IDLE", 0.0)
        time.sleep(0.01)
        tl.record("report", "US", "2017-06-19", incident=INCIDENT)
        assert 1 == len(pings)
        assert 6 == tl.incident_version(INCIDENT)


@pytest.mark.postgres
def test_a_pooled_connection_the_server_ended_is_replaced_before_use(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pooled connection whose session the server ended (pg_terminate_backend, as a
    restart or idle_session_timeout would) is found by its readable socket, pinged and
    replaced: the next append, however soon, works on a new session."""
    from timeline._backends import postgres

    monkeypatch.setattr(postgres, "PING_AFTER_IDLE", 3600.0)  # only the socket can tell
    with timeline.open(postgres_url) as tl:
        tl.record("report", "US", "2017-06-18", incident=INCIDENT)
        with tl._store.engine.connect() as conn:
            pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        admin = raw_engine(postgres_url)
        try:
            with admin.connect() as conn:
                assert conn.execute(sa.text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
                for _ in range(600):  # until the session is gone (its FATAL sent)
                    alive = conn.execute(
                        sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :p"), {"p": pid}
                    ).scalar_one()
                    if not alive:
                        break
                    time.sleep(0.05)
        finally:
            admin.dispose()
        after = tl.record("report", "US", "2017-06-19", incident=INCIDENT)
        assert (2, 2) == (after.version, after.position)
        with tl._store.engine.connect() as conn:
            assert pid != conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
        assert tl.verify().ok


def test_a_page_of_an_actors_events_costs_the_page_not_the_actor(tl: timeline.Timeline) -> None:
    """Reading one actor's events page by page (keyset on position) does the same work
    per page in a store ten times larger (issue 15): the first and the last page of an
    actor named by most events, and the one page of an actor named by three, each counted
    in steps (SQLite) or rows scanned (PostgreSQL), not timed."""
    from timeline.store import EventFilter

    page = 50
    base = dt.datetime(2017, 1, 1, tzinfo=UTC)

    def load(count: int, seed: int) -> None:
        # valid times out of position order, so that no order but the index's serves
        spread = [(n * 7919 + seed) % 100_003 for n in range(count)]
        actors = ["Big" if n % 10 else f"other{n % 30}" for n in range(count)]
        actors[count // 2] = "Rare"
        tl.load(
            ev("report", actor, base + dt.timedelta(minutes=minutes), data={"n": n})
            for n, (actor, minutes) in enumerate(zip(actors, spread, strict=True))
        )

    def work() -> dict[str, int]:
        store = tl._store
        known = store.known_position(None)
        big = [e.position for e in tl.events(actor="Big")]
        pages = {"first": 0, "last": big[-page - 1]}
        with store.engine.connect() as conn:
            found = {
                name: work_of(
                    conn,
                    store._select(
                        EventFilter(actor="Big", after_position=after, known_position=known)
                    ).limit(page),
                )
                for name, after in pages.items()
            }
            found["rare"] = work_of(
                conn, store._select(EventFilter(actor="Rare", known_position=known)).limit(page)
            )
        return found

    load(300, seed=1)
    small = work()
    load(3_000, seed=2)
    large = work()
    assert 2 == len(list(tl.events(actor="Rare")))
    for name, done in small.items():
        # a B-tree a level deeper may cost a few steps more; reading the actor would cost
        # ten times as many
        assert large[name] <= 1.5 * done + 20, (name, small, large)


def test_known_at_costs_a_probe_whatever_the_moment(tl: timeline.Timeline) -> None:
    """The last position recorded by K (what every ``known_at`` question reads first) is
    a probe of the recorded-time index for any K: before every event, among them, or after
    the newest, in a store ten times larger the work is about the same (it was a walk back
    from the newest event, a full scan for a K before them all). Counted, not timed."""
    from timeline.store import _KNOWN

    recorded: list[dt.datetime] = []

    def load(appends: int) -> None:
        for n in range(appends):
            batch = tl.append(
                [
                    ev("report", "US", f"2017-06-{1 + n % 28:02d}", data={"n": n, "i": i})
                    for i in range(5)
                ]
            )
            recorded.append(batch[0].recorded_at)

    def work() -> dict[str, int]:
        moments = {
            "before": (recorded[0] - dt.timedelta(seconds=1), True),
            "among": (recorded[len(recorded) // 2], True),
            "among, exclusive": (recorded[len(recorded) // 2], False),
            "after": (recorded[-1] + dt.timedelta(seconds=1), True),
        }
        store = tl._store
        with store.engine.connect() as conn:
            return {
                name: work_of(conn, _KNOWN[inclusive].params(bound=moment))
                for name, (moment, inclusive) in moments.items()
            }

    load(40)
    small = work()
    half = recorded[len(recorded) // 2]
    assert 5 * len(recorded) // 2 + 5 == tl._store.known_position((half, True))
    assert 5 * len(recorded) // 2 == tl._store.known_position((half, False))
    assert 0 == tl._store.known_position((recorded[0] - dt.timedelta(seconds=1), True))
    load(360)
    large = work()
    for name, done in small.items():
        assert large[name] <= 1.5 * done + 20, (name, small, large)


@pytest.mark.postgres
def test_postgres_generic_plans_of_an_append_look_rows_up_by_key(postgres_url: str) -> None:
    """Every statement an append runs on PostgreSQL has a plan that reads the tables
    through their keys even as the generic plan PostgreSQL makes for an empty table
    (issue 15): each is prepared on the server, with generic plans forced, in a new
    store, and its plan scans no table whole."""
    from sqlalchemy.pool import StaticPool

    from timeline.store import Store, create_engine

    timeline.open(postgres_url).close()  # the schema
    generic = {"options": "-c plan_cache_mode=force_generic_plan"}
    engine = create_engine(
        sa.make_url(postgres_url).update_query_dict(generic),
        poolclass=StaticPool,  # one connection: the statements stay prepared on it
        connect_args={"prepare_threshold": 0},  # prepare every statement
    )
    try:
        store = Store(engine, url="test")
        first, second = ev("report", "US", "2017-06-18"), ev("report", "Syria", "2017-06-18")
        # ids enough that a whole-table plan looks cheaper than a lookup of each
        store.append([first, second, *(ev("report", f"X{n}", "2017-06-18") for n in range(40))])
        store.append([first, ev("report", "US", "2017-06-19", corrects=first.id)])
        store.append([ev("retraction", "Syria", "2017-06-19", retracts=second.id)])
        with engine.connect() as conn:
            _assert_generic_plans_read_by_key(conn, naming="timeline_events")
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_kept_plans_of_state_read_by_key_when_made_on_an_empty_store(
    postgres_url: str,
) -> None:
    """The statements state() has PostgreSQL keep (prepared: ``Backend.fetch`` with
    ``kept``) read the tables through their keys even in the generic plan made while the
    store was empty (issue 15): with generic plans forced, each is asked of a new store
    first, its plan kept from then, and after the store has grown (corrections,
    retractions, snapshots, more events than a whole-table plan would need) the kept
    plans scan no table whole and give the answers of a store planned afresh."""
    from sqlalchemy.pool import StaticPool

    from timeline.store import Store, create_engine

    timeline.open(postgres_url).close()  # the schema
    generic = {"options": "-c plan_cache_mode=force_generic_plan"}
    engine = create_engine(
        sa.make_url(postgres_url).update_query_dict(generic),
        poolclass=StaticPool,  # one connection: the statements stay prepared on it
    )
    try:
        with engine.begin() as conn:  # no ANALYZE remakes the kept plans mid-test
            for table in ("timeline_events", "timeline_event_actors", "timeline_snapshots"):
                conn.exec_driver_sql(f"ALTER TABLE {table} SET (autovacuum_enabled = false)")
        kept = timeline.Timeline(Store(engine, url="test"), snapshot_interval=5)
        moments = [None, "2017-06-10", "2017-06-20T05:00Z"]
        for at in moments:  # the plans are made now, on empty tables
            with pytest.warns(timeline.TimelineWarning):
                assert {} == dict(kept.state("US", at=at))
        first = ev("report", "US", "2017-06-18", effects={"US": {"n": 1}})
        gone = ev("report", "US", "2017-06-19", effects={"US": {"m": 1}})
        kept.append([first, gone])
        for n in range(60):
            kept.append(
                [
                    ev("report", "US", f"2017-06-{1 + n % 28:02d}", effects={"US": {"k": n}}),
                    *(ev("report", f"X{n}-{i}", "2017-06-18") for i in range(5)),
                ]
            )
        kept.append([ev("report", "US", "2017-06-18", effects={"US": {"n": 2}}, corrects=first.id)])
        kept.append([ev("retraction", "US", "2017-06-19", retracts=gone.id)])
        answers = [dict(kept.state("US", at=at)) for at in moments]  # stores snapshots
        assert [dict(kept.state("US", at=at)) for at in moments] == answers
        with timeline.open(postgres_url, snapshot_interval=None) as fresh:
            assert [dict(fresh.state("US", at=at)) for at in moments] == answers
        assert {"n", "k"} <= set(answers[0]) and "m" not in answers[0]
        with engine.connect() as conn:
            _assert_generic_plans_read_by_key(conn, naming="timeline_snapshots")
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_postgres_pages_of_an_actors_events_probe_each_event_by_its_key(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every page of a replay (after the kept first one) probes each of the actor's
    events by its key, whatever join PostgreSQL would prefer: a page near the end of a
    large actor's events was planned as a hash join over a scan of every event (16 ms
    a page instead of 5 at 50,000 events, issue 15). With nested loops discouraged
    (``enable_nestloop = off``, so any join would be a hash or merge join), each page
    statement state() ran still reads no table whole, and the replay's answer holds."""
    from timeline._backends.postgres import PostgresBackend, _driver_call

    pages: list[tuple[Any, dict[str, Any]]] = []
    fetch = PostgresBackend.fetch

    def seen(self: Any, conn: Any, statement: Any, values: Any, **kept: Any) -> Any:
        if "after_moment" in values:
            pages.append((statement, dict(values)))
        return fetch(self, conn, statement, values, **kept)

    with timeline.open(postgres_url, snapshot_interval=None) as tl:
        tl.load(
            ev("report", "US" if n % 3 == 0 else f"X{n % 7}", f"2017-06-{1 + n % 28:02d}",
               effects={"US": {"n": {"$inc": 1}}} if n % 3 == 0 else {})
            for n in range(7500)
        )  # fmt: skip
        monkeypatch.setattr(PostgresBackend, "fetch", seen)
        assert 2500 == tl.state("US")["n"]
        monkeypatch.undo()
        assert len(pages) >= 2  # the pages after the first, 1,000 events each
        with tl._store.engine.connect() as conn:
            conn.exec_driver_sql("SET enable_nestloop = off")
            for statement, values in pages:
                driver, sql, params = _driver_call(conn, statement, values)
                with driver.cursor() as cursor:
                    cursor.execute("EXPLAIN " + sql, params)
                    plan = "\n".join(row[0] for row in cursor.fetchall())
                assert "Seq Scan on timeline_events" not in plan, plan
                assert "Hash Join" not in plan and "Merge Join" not in plan, plan
            conn.exec_driver_sql("RESET enable_nestloop")


def test_postgres_the_reported_by_warning_probes_each_event_by_its_key(
    postgres_url: str,
) -> None:
    """The count behind the reported_by warning of state() and history() reads the
    actor's index rows and probes each event by its key: as a join, it was planned as a
    hash join over a scan of every event (90 ms of a 113 ms state() with reported_by,
    one actor among 100,000 events; issue 15). With nested loops discouraged, its plan
    still reads no table whole, and the count is right."""
    from sqlalchemy.dialects import postgresql

    from timeline.store import EventFilter

    with timeline.open(postgres_url) as tl:
        tl.load(
            ev("report", "US" if n % 3 == 0 else f"X{n % 7}", f"2017-06-{1 + n % 28:02d}")
            for n in range(3000)
        )
        bound = (dt.datetime(2017, 6, 30, tzinfo=dt.UTC), True)
        asked = EventFilter(actor="US", known_position=3000, reported_to=bound)
        store = tl._store
        assert 1000 == store.unreported_count(asked)[0]
        listed = store._unreported(asked)
        query = sa.select(sa.func.count(), sa.func.min(listed.c.recorded_at))
        sql = str(
            query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True})
        )
        with store.engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE")
            conn.exec_driver_sql("SET enable_nestloop = off")
            plan = "\n".join(row[0] for row in conn.exec_driver_sql("EXPLAIN " + sql))
            conn.exec_driver_sql("RESET enable_nestloop")
        assert "Seq Scan on timeline_events" not in plan, plan
        assert "Hash Join" not in plan and "Merge Join" not in plan, plan


def _assert_generic_plans_read_by_key(conn: sa.Connection, *, naming: str) -> None:
    """Every statement prepared on ``conn``'s session, whose generic plans are forced,
    reads no table whole; one of them names the table ``naming``."""
    assert "force_generic_plan" == conn.exec_driver_sql("SHOW plan_cache_mode").scalar()
    plans = prepared_plans(conn)
    assert any(naming in statement for statement, _ in plans)
    for statement, plan in plans:
        assert "Seq Scan on timeline_" not in plan, f"{statement}\n{plan}"


def test_load_is_all_or_nothing(tl: timeline.Timeline, db_url: str) -> None:
    """A bad item late in the stream leaves nothing of the earlier chunks stored."""

    def stream():  # type: ignore[no-untyped-def]
        for n in range(30):
            yield ev("report", "US", "2017-06-18", data={"n": n})
        yield "not an event"

    with pytest.raises(InvalidEventError, match=r"^events\[30\]"):
        tl.load(stream(), chunk_size=7)
    assert 0 == stored_count(db_url)
    first = ev("report", "US", "2017-06-18")
    with pytest.raises(DuplicateEventError):
        tl.load(
            [
                first,
                *[ev("a", "US", "2017-06-18") for _ in range(9)],
                ev("report", "Iran", "2017-06-18", id=first.id),
            ],
            chunk_size=4,
        )
    assert 0 == stored_count(db_url)


def test_load_replays_mending_in_the_same_stream(tl: timeline.Timeline) -> None:
    """Corrections and retractions may follow the events they mend within one load."""
    original = ev("report", "US", "2017-06-18", effects={"US": {"n": 1}})
    dropped = ev("report", "US", "2017-06-19", effects={"US": {"m": 1}})
    fix = ev("report", "US", "2017-06-18", effects={"US": {"n": 2}}, corrects=original.id)
    gone = ev("retraction", "US", "2017-06-19", data={"reason": "x"}, retracts=dropped.id)
    assert 4 == tl.load([original, dropped, fix, gone])
    assert {"n": 2} == dict(tl.state("US"))
    again = ev("retraction", "US", "2017-06-19", data={"reason": "y"}, retracts=dropped.id)
    with pytest.raises(InvalidEventError, match="retracted already"):
        tl.load([again])


def test_load_checks_expected_versions(tl: timeline.Timeline, db_url: str) -> None:
    """load() checks expected versions by incident, and stores nothing on a conflict."""
    tl.record("report", "US", "2017-06-18", incident="one")
    with pytest.raises(ConcurrencyError):
        tl.load([ev("report", "US", "2017-06-18", incident="one")], expected_version={"one": 0})
    with pytest.raises(ConcurrencyError):
        tl.load(
            [ev("report", "US", "2017-06-18", incident="two")],
            expected_version={"two": 0, "one": 5},
        )
    assert 1 == stored_count(db_url)
    assert 1 == tl.load(
        [ev("report", "US", "2017-06-18", incident="one")], expected_version={"one": 1}
    )


def test_load_refuses_a_single_expected_version_saying_it_takes_a_mapping(
    tl: timeline.Timeline, db_url: str
) -> None:
    """load() streams events it has not read yet, so it takes expected versions only as a
    mapping; an int was refused as "the batch spans incidents ; give a mapping", naming no
    incident."""
    with pytest.raises(
        InvalidEventError, match=r"^expected_version: load\(\) takes a mapping \{incident: "
    ):
        tl.load([ev("report", "US", "2017-06-18", incident="one")], expected_version=0)  # type: ignore[arg-type]
    assert 0 == stored_count(db_url)


def test_mending_fields_are_validated() -> None:
    """corrects and retracts take UUIDs, and not both at once."""
    import uuid as uuid_module

    target = uuid_module.uuid4()
    assert target == ev("report", "US", "2017-06-18", corrects=str(target)).corrects
    with pytest.raises(InvalidEventError, match=r"^corrects: 'x' is not a UUID"):
        ev("report", "US", "2017-06-18", corrects="x")
    with pytest.raises(InvalidEventError, match=r"^retracts: an event corrects or retracts"):
        ev("report", "US", "2017-06-18", corrects=target, retracts=target)


def test_event_size_limit(db_url: str) -> None:
    """An event over max_event_bytes is refused naming its largest field; nothing stored."""
    with timeline.open(db_url, max_event_bytes=2000) as tl:
        small = ev("report", "US", "2017-06-18", data={"text": "x" * 100})
        big = ev("report", "US", "2017-06-18", data={"text": "x" * 3000})
        with pytest.raises(InvalidEventError, match=r"^events\[1\]\.data: makes the event"):
            tl.append([small, big])
        quote = ev("report", "US", "2017-06-18", source={"quote": "é" * 1500})
        with pytest.raises(InvalidEventError, match=r"^events\[0\]\.source: .*limit is 2,000"):
            tl.load([quote])
        assert 0 == stored_count(db_url)
    with timeline.open(db_url, max_event_bytes=None) as tl:
        assert 1 == len(tl.append([big]))


def test_batch_size_limit(db_url: str) -> None:
    """append() refuses more than max_batch events; load() streams any number."""
    with timeline.open(db_url, max_batch=5) as tl:
        batch = [ev("report", "US", "2017-06-18") for _ in range(6)]
        with pytest.raises(InvalidEventError, match=r"^events: more than 5 events"):
            tl.append(batch)
        assert 0 == stored_count(db_url)
        assert 6 == tl.load(batch)
    with pytest.raises(InvalidEventError, match=r"^max_batch: must not be negative"):
        timeline.open(db_url, max_batch=-1)


def test_valid_time_pages_resume_exactly(tl: timeline.Timeline) -> None:
    """Reading in valid-time order page by page (many events at one moment) gives the
    same events as one page, for the whole store, one actor and the sequence scan."""
    base = dt.datetime(2017, 6, 18, tzinfo=UTC)
    tl.load(ev("a", f"X{n % 3}", base + dt.timedelta(minutes=n // 4)) for n in range(50))
    store, known = tl._store, tl._store.known_position(None)
    whole = [e.position for e in store.in_valid_time(known_position=known, types=["a"])]
    assert whole == [
        e.position for e in store.in_valid_time(known_position=known, types=["a"], page_size=3)
    ]
    assert whole == [
        g.position
        for g in store.glimpses(known_position=known, types=["a"], with_data=False, page_size=3)
    ]
    mine = [e.position for e in store.in_valid_time(known_position=known, actor="X1")]
    assert 17 == len(mine)
    assert mine == [
        e.position for e in store.in_valid_time(known_position=known, actor="X1", page_size=2)
    ]


def test_glimpses_leave_the_incident_unread_when_asked(tl: timeline.Timeline) -> None:
    """The sequence scan's glimpses without the incident (no step keys on it) are the
    glimpses with it, the incident left None; a matcher asks for it only when a key or
    a condition names it (the default key does)."""
    from timeline import Step
    from timeline.sequences import Matcher

    tl.load(ev("a", f"X{n % 3}", f"2017-06-{18 + n % 5}") for n in range(20))
    store, known = tl._store, tl._store.known_position(None)
    full = list(store.glimpses(known_position=known, types=["a"], with_data=False))
    bare = list(
        store.glimpses(known_position=known, types=["a"], with_data=False, with_incident=False)
    )
    assert [g._replace(incident=None) for g in full] == bare
    assert {INCIDENT} == {g.incident for g in full}
    assert not Matcher([Step("a", key="actor"), Step("b", key="targets")]).needs_incident
    assert Matcher([Step("a", key="actor"), Step("b")]).needs_incident
    assert Matcher([Step("a", key="actor", where={"incident": "x"})]).needs_incident
    assert Matcher([Step("a", key="actor")], by="incident").needs_incident


def test_sqlite_reads_map_the_file_and_writes_do_not(tmp_path: Path) -> None:
    """On SQLite a read transaction maps the database file into memory (PRAGMA
    mmap_size) and a write transaction does not, on the same pooled connection."""
    from timeline._backends.sqlite import MMAP_BYTES

    def mapped(conn: sa.Connection) -> int:
        return int(conn.exec_driver_sql("PRAGMA mmap_size").scalar_one())

    with timeline.open(f"sqlite:///{tmp_path / 'mapped.db'}") as tl:
        tl.record("report", "US", "2017-06-18", incident=INCIDENT)
        store = tl._store
        with store.session() as conn:
            assert 0 < mapped(conn) <= MMAP_BYTES  # a build may allow less
        with store._write() as conn:
            assert 0 == mapped(conn)
        with store.session() as conn:
            assert 0 < mapped(conn)
        assert 1 == len(list(tl.events()))


def test_a_sqlite_append_takes_the_write_lock_first_on_the_drivers_cursor(tmp_path: Path) -> None:
    """On SQLite an append begins with BEGIN IMMEDIATE (the write lock before any read)
    and runs every statement on the driver's cursor: SQLAlchemy executes none of them."""
    with timeline.open(f"sqlite:///{tmp_path / 'lock.db'}") as tl:
        tl.record("report", "US", "2017-06-18", incident=INCIDENT)
        engine = tl._store.engine
        through_sqlalchemy: list[str] = []
        run: list[str] = []

        def executed(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            through_sqlalchemy.append(statement)

        def traced(driver: Any, record: Any, proxy: Any) -> None:
            driver.set_trace_callback(run.append)  # whichever connection the pool gives

        sa.event.listen(engine, "before_cursor_execute", executed)
        sa.event.listen(engine, "checkout", traced)
        try:
            tl.append([ev("report", "Syria", "2017-06-19"), ev("report", "US", "2017-06-20")])
        finally:
            sa.event.remove(engine, "checkout", traced)
            sa.event.remove(engine, "before_cursor_execute", executed)
        assert [] == through_sqlalchemy
        assert "BEGIN IMMEDIATE" == run[0]
        assert "COMMIT" == run[-1]
        assert 3 == tl.head()[0]


@pytest.mark.parametrize("reset", ["rollback", "commit", None])
def test_a_refused_sqlite_append_leaves_no_transaction_open(
    tmp_path: Path, reset: str | None
) -> None:
    """On SQLite an append runs its transaction on the driver's connection: one refused
    after its rows were written (an expected version of an incident not in the batch,
    checked last) stores nothing and returns the connection to the pool with no
    transaction open, so the write lock is free at once for another writer, whatever
    the pool's own reset on return (an engine option a caller may set: with "commit"
    the pool would have committed the refused rows, with None kept them open)."""
    from timeline.store import Store, create_engine

    path = tmp_path / "refused.db"
    timeline.open(f"sqlite:///{path}").close()  # the schema
    engine = create_engine(f"sqlite:///{path}", pool_reset_on_return=reset)
    with timeline.Timeline(Store(engine, url="refused")) as tl:
        tl.record("report", "US", "2017-06-18", incident=INCIDENT)
        with pytest.raises(ConcurrencyError, match="daraa"):
            tl.append(
                [ev("report", "Syria", "2017-06-19"), ev("report", "US", "2017-06-20")],
                expected_version={INCIDENT: 1, "daraa": 3},
            )
        pool = tl._store.engine.pool
        with tl._store.engine.connect() as conn:
            assert 1 == pool.checkedout()
            assert not conn.connection.dbapi_connection.in_transaction  # type: ignore[union-attr]
        other = sqlite3.connect(path, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # no wait: nobody holds the write lock
            other.execute("ROLLBACK")
        finally:
            other.close()
        assert (1, 1) == (tl.head()[0], tl.incident_version(INCIDENT))
        assert 2 == tl.append([ev("report", "Syria", "2017-06-19")])[0].position


def test_a_sqlite_write_whose_transaction_was_lost_is_refused_at_its_commit(
    tmp_path: Path,
) -> None:
    """A SQLite write transaction runs on the driver's connection, which SQLAlchemy does
    not see as a transaction of its own: a statement error caught inside the body makes
    SQLAlchemy roll back at once, and the statements after it commit alone. The store
    catches none inside its writes; should one ever be caught, the commit refuses
    (StoreError) rather than report the body as one transaction."""
    with timeline.open(f"sqlite:///{tmp_path / 'lost.db'}") as tl:
        store = tl._store
        with store._write(append=False) as conn:
            conn.exec_driver_sql("CREATE TABLE scratch (x INTEGER PRIMARY KEY)")
        lost = pytest.raises(timeline.StoreError, match="ended before its commit")
        with lost, store._write(append=False) as conn:
            conn.exec_driver_sql("INSERT INTO scratch VALUES (1)")
            with pytest.raises(sa.exc.IntegrityError):
                conn.exec_driver_sql("INSERT INTO scratch VALUES (1)")
            conn.exec_driver_sql("INSERT INTO scratch VALUES (2)")
        assert 1 == tl.record("report", "US", "2017-06-18", incident=INCIDENT).position


def test_a_refused_nested_sqlite_write_leaves_the_write_around_it_alone() -> None:
    """An in-memory SQLite store (SingletonThreadPool: one driver connection per thread)
    gives a write begun inside another on the same thread (here from the load's own
    source) the outer write's connection: its BEGIN IMMEDIATE is refused. Its clean-up
    must not roll back the outer transaction, which is not its own: before 6e766db the
    load went on and stored its six events; since, the outer chunks already written are
    rolled back, the later ones commit alone (positions 3 to 6, the chain broken at 3)
    and the load is refused only at its commit."""
    tl = timeline.open("sqlite://")
    refused = []

    def source() -> Iterator[Event]:
        for n in range(6):
            if n == 3:  # the first chunk (two events) is written
                try:
                    tl.record("note", "UN", "2017-06-18", incident="side")
                except timeline.StoreError as e:
                    refused.append(str(e))
            yield ev("report", "US", "2017-06-18", data={"n": n})

    try:
        assert 6 == tl.load(source(), chunk_size=2)
        assert ["cannot start a transaction within a transaction"] == [
            r.split(": ", 1)[1] for r in refused
        ]
        assert [1, 2, 3, 4, 5, 6] == [e.position for e in tl.events()]
        assert tl.verify().ok
    finally:
        tl.close()


@pytest.mark.postgres
def test_postgres_answers_do_not_depend_on_the_session_time_zone(postgres_url: str) -> None:
    """The library's sessions read times in UTC (psycopg's cheapest form); a session in
    another zone (a caller's own ``options``, which come after the library's) gives the
    same times and the same answers: state, history, events and a sequence report."""
    from timeline import Step

    with timeline.open(postgres_url) as tl:
        tl.record("shootdown", "US", "2017-06-18T15:43:00+02:00", incident="s", targets=["SY"])
        tl.record(
            "cooperation_suspended",
            "RU",
            "2017-06-19",
            incident="s",
            targets=["US"],
            effects={"RU": {"cooperation.US": "suspended"}},
        )
        tl.record("aircraft_repositioned", "US", "2017-06-20T01:00:00-05:00", incident="s")
        with tl._store.engine.connect() as conn:
            assert "UTC" == conn.exec_driver_sql("SHOW TimeZone").scalar()

    steps = [Step("shootdown", key="actor"), Step("cooperation_suspended", key="targets")]
    steps.append(Step("aircraft_repositioned", key="actor"))

    def answers(url: str) -> tuple[object, ...]:
        with timeline.open(url) as tl:
            report = tl.sequence(steps, within="3d")
            return (
                [(e.position, e.occurred_at, e.occurred_at.utcoffset()) for e in tl.events()],
                tl.state("RU", at="2017-06-19T12:00:00Z"),
                [(c.when, c.new) for c in tl.history("RU")],
                [[(e.position, e.occurred_at) for e in m.events] for m in report.matches],
                report.to_json(),
            )

    elsewhere = sa.make_url(postgres_url).update_query_dict({"options": "-c TimeZone=Asia/Kolkata"})
    with timeline.open(elsewhere) as tl, tl._store.engine.connect() as conn:
        assert "Asia/Kolkata" == conn.exec_driver_sql("SHOW TimeZone").scalar()
    ours, theirs = answers(postgres_url), answers(elsewhere.render_as_string(hide_password=False))
    assert ours == theirs
    assert 1 == len(ours[3])


def test_a_closed_timeline_says_it_is_closed(db_url: str) -> None:
    """A new user's trial: ``close()`` says "the timeline cannot be used afterwards", yet a
    closed file or PostgreSQL timeline went on recording and answering (the pool opened
    new connections), and a closed in-memory one answered ``StoreError: sqlite://: no such
    table: timeline_events``. Every read and write of a closed timeline is refused,
    saying it is closed; closing twice is harmless."""
    tl = timeline.open(db_url)
    tl.record("shootdown", "US", "2017-06-18", incident="s", targets=["Syria"])
    events = tl.events()
    tl.close()
    tl.close()
    for use in (
        lambda: tl.record("shootdown", "US", "2017-06-18", incident="s"),
        lambda: tl.state("US"),
        lambda: list(events),
        tl.head,
    ):
        with pytest.raises(timeline.StoreError, match="is closed"):
            use()
    assert "the timeline is closed" in str(tl.verify())  # a finding: verify never raises
    memory = timeline.open("sqlite://")
    memory.close()
    with pytest.raises(timeline.StoreError, match="sqlite://: the timeline is closed"):
        memory.state("US")
