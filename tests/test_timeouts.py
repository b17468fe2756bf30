"""Bounded waits: no lock holder, stalled client or silent connection makes a caller wait
longer than the timeouts it opened the store with, and a lock wait that runs out names
the holder where the database can tell."""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import timeline
from timeline.errors import LockTimeoutError
from timeline.store import APPEND_LOCK_KEY

from helpers import raw_engine, stored_count

INCIDENT = "syria-2017-06"


def within(seconds: float, call: Callable[[], Any]) -> Any:
    """Run ``call`` in a thread and return what it returned or raise what it raised; fail
    if it has not finished after ``seconds`` (a deadline far above any timeout the test
    set: without the bounds the call would wait for ever)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as e:  # handed to the test's thread
            outcome["error"] = e

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture
def squatter(postgres_url: str) -> Iterator[int]:
    """Another session, of any role, holding the append key's advisory lock at session
    level (no privilege needed), as the issue found; yields its pid, releases it after."""
    timeline.upgrade(postgres_url)
    url = make_url(postgres_url).update_query_dict({"application_name": "lock-squatter"})
    engine = raw_engine(url.render_as_string(hide_password=False))
    conn = engine.connect()
    try:
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": APPEND_LOCK_KEY})
        conn.commit()
        yield conn.execute(sa.text("SELECT pg_backend_pid()")).scalar_one()
    finally:
        conn.close()
        engine.dispose()


@pytest.mark.postgres
def test_an_append_behind_a_held_lock_fails_naming_the_holder(
    postgres_url: str, squatter: int
) -> None:
    """Reproduced: any role that can connect took pg_advisory_lock on the append key and
    blocked every append for as long as it liked. Now the append waits lock_timeout, then
    raises a LockTimeoutError that names the holder's pid, user and application; nothing
    is stored, and a question about the present waits no longer."""
    with timeline.open(postgres_url, lock_timeout=0.5) as tl:
        with pytest.raises(LockTimeoutError) as refused:
            within(60, lambda: tl.record("truce", "Syria", "2017-06-17", incident=INCIDENT))
        message = str(refused.value)
        assert "waited 0.5 s (lock_timeout) for a lock; the append lock is held by" in message
        assert f"pid {squatter} (user postgres, application 'lock-squatter'" in message
        assert message.endswith("; nothing was stored")
        assert [h.startswith(f"pid {squatter} ") for h in refused.value.holders] == [True]
        assert isinstance(refused.value, timeline.StoreError)
        later = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
        with pytest.raises(LockTimeoutError, match=f"held by pid {squatter} "):
            within(60, lambda: tl.state("Syria", known_at=later))
    assert 0 == stored_count(postgres_url)


@pytest.mark.postgres
def test_the_lock_is_taken_once_released(postgres_url: str) -> None:
    """Without a holder the same timeouts let appends through, and a holder that lets go
    within lock_timeout only delays an append."""
    timeline.upgrade(postgres_url)
    holder = raw_engine(postgres_url)
    with holder.connect() as conn, timeline.open(postgres_url, lock_timeout=60) as tl:
        conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": APPEND_LOCK_KEY})
        release = threading.Timer(
            0.3,
            lambda: conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": APPEND_LOCK_KEY}),
        )
        release.start()
        recorded = within(60, lambda: tl.record("truce", "Syria", "2017-06-17", incident=INCIDENT))
        release.join()
        assert 1 == recorded.position
    holder.dispose()


@pytest.mark.postgres
def test_a_load_stalled_past_the_idle_timeout_is_rolled_back(postgres_url: str) -> None:
    """A client that stops mid-load inside its transaction (a source gone silent, a
    connection cut) holds the append lock at most idle_timeout: the server ends the
    session and rolls back; the caller gets a StoreError, nothing of the batch is stored,
    and the next append takes the lock at once."""
    stalled = threading.Event()

    def source() -> Iterator[timeline.Event]:
        for n in range(3000):
            if n == 1500:  # the first chunk is written; the transaction sits idle
                stalled.set()
                time.sleep(2)
            yield timeline.Event("report", "US", "2017-06-18", incident=INCIDENT, data={"n": n})

    with timeline.open(postgres_url, idle_timeout=0.3, lock_timeout=5) as tl:
        with pytest.raises(timeline.StoreError, match=r"due to idle-in-transaction timeout$"):
            within(60, lambda: tl.load(source()))
        assert stalled.is_set()
        assert 0 == stored_count(postgres_url)
        after = within(60, lambda: tl.record("truce", "Syria", "2017-06-17", incident=INCIDENT))
        assert (1, 1) == (after.position, after.version)


def test_the_session_settings(db_url: str) -> None:
    """Each session of the library carries the timeouts it was opened with: on
    PostgreSQL lock, statement and idle timeouts, keepalives and tcp_user_timeout (and
    the time zone UTC, in which psycopg reads times cheapest); on SQLite the busy timeout
    is lock_timeout. None is no limit."""
    checks = {
        "postgresql": {
            "lock_timeout": "1500ms",
            "statement_timeout": "1min",
            "idle_in_transaction_session_timeout": "0",
            "tcp_keepalives_idle": "30",
            "tcp_keepalives_interval": "10",
            "tcp_keepalives_count": "3",
            "tcp_user_timeout": "60000",
            "TimeZone": "UTC",
        },
        "sqlite": {"busy_timeout": "1500"},
    }
    with timeline.open(db_url, lock_timeout=1.5, statement_timeout=60, idle_timeout=None) as tl:
        with tl._store.engine.connect() as conn:
            wanted = checks[conn.dialect.name]
            if conn.dialect.name == "sqlite":
                found = {"busy_timeout": str(conn.exec_driver_sql("PRAGMA busy_timeout").scalar())}
            else:
                if conn.exec_driver_sql("SELECT inet_server_addr()").scalar() is None:
                    # a Unix socket (the embedded server): no TCP settings to show
                    wanted = {k: v for k, v in wanted.items() if not k.startswith("tcp_")}
                found = {name: conn.exec_driver_sql(f"SHOW {name}").scalar() for name in wanted}
                # pinged when it may be stale, not every checkout (see
                # test_a_pooled_connection_the_server_ended_is_replaced_before_use)
                assert not tl._store.engine.pool._pre_ping  # type: ignore[attr-defined]
        assert wanted == found
    with timeline.open(db_url) as tl, tl._store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            assert 30_000 == conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
        else:
            defaults = ("30s", "5min", "1min")
            names = ("lock_timeout", "statement_timeout", "idle_in_transaction_session_timeout")
            assert defaults == tuple(conn.exec_driver_sql(f"SHOW {n}").scalar() for n in names)


def test_a_sqlite_writer_waits_lock_timeout(sqlite_url: str) -> None:
    """SQLite: a writer behind another's write lock waits the busy timeout, lock_timeout,
    then fails with a LockTimeoutError that says SQLite cannot tell who holds it."""
    timeline.upgrade(sqlite_url)
    other = sqlite3.connect(make_url(sqlite_url).database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with (
            timeline.open(sqlite_url, lock_timeout=0.2) as tl,
            pytest.raises(LockTimeoutError, match=r"waited 0.2 s .*SQLite cannot tell"),
        ):
            within(60, lambda: tl.record("truce", "Syria", "2017-06-17", incident=INCIDENT))
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert 0 == stored_count(sqlite_url)


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        ({"lock_timeout": 0}, r"^lock_timeout: must be more than 0"),
        ({"statement_timeout": -1}, r"^statement_timeout: must be more than 0"),
        ({"idle_timeout": float("nan")}, r"^idle_timeout: must be more than 0"),
        ({"lock_timeout": "30s"}, r"^lock_timeout: expected seconds as a number, got str"),
        ({"idle_timeout": 10**9}, r"^idle_timeout: must be .* at most 86400 seconds"),
    ],
)
def test_timeouts_are_checked(options: dict[str, Any], refusal: str) -> None:
    """A timeout is a positive number of seconds up to a day, or None."""
    with pytest.raises(timeline.InvalidEventError, match=refusal):
        timeline.open("sqlite://", **options)


def test_a_sqlite_reader_does_not_wait_for_the_write_lock_to_save_snapshots(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """SQLite: a state() question about the present answers at once while another
    connection holds the write lock (a long load), skipping the snapshot it would have
    saved, rather than waiting lock_timeout for a cache write (and without a warning for
    each question, as a load is no fault)."""
    with timeline.open(sqlite_url, snapshot_interval=1) as setup:
        for day in (17, 18, 19):
            setup.record(
                "truce",
                "Syria",
                f"2017-06-{day}",
                incident=INCIDENT,
                effects={"Syria": {"truces": {"$inc": 1}}},
            )
    other = sqlite3.connect(make_url(sqlite_url).database, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        with timeline.open(sqlite_url, snapshot_interval=1, lock_timeout=5) as tl:
            started = time.monotonic()
            state = within(60, lambda: tl.state("Syria"))
            waited = time.monotonic() - started
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert 3 == state["truces"]
    assert waited < 2, f"state() waited {waited:.1f} s for the write lock"
    assert [] == [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]


def test_an_append_after_a_skipped_snapshot_still_waits_lock_timeout(sqlite_url: str) -> None:
    """SQLite: the busy timeout of 0 that a snapshot save skipped behind a writer is not
    left on the pooled connection: an append after it waits for the writer to finish (up
    to lock_timeout) instead of failing at once."""
    with timeline.open(sqlite_url, snapshot_interval=1, lock_timeout=10) as tl:
        for day in (17, 18):
            tl.record("truce", "Syria", f"2017-06-{day}", incident=INCIDENT,
                      effects={"Syria": {"truces": {"$inc": 1}}})  # fmt: skip
        other = sqlite3.connect(
            make_url(sqlite_url).database, isolation_level=None, check_same_thread=False
        )
        try:
            other.execute("BEGIN IMMEDIATE")
            assert 2 == within(60, lambda: tl.state("Syria"))["truces"]  # skips its save
            threading.Timer(0.5, lambda: other.execute("ROLLBACK")).start()
            recorded = within(60, lambda: tl.record("truce", "Syria", "2017-06-19",
                                                    incident=INCIDENT))  # fmt: skip
        finally:
            time.sleep(0.6)
            other.close()
    assert 3 == recorded.version
