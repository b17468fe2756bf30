"""A faithful copy between stores (timeline.copy, ``timeline copy``): SQLite to PostgreSQL
and back, every answer of the copy the source's on every basis, refusals that store nothing.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from sqlalchemy.engine import make_url

import timeline
from timeline import Event, InvalidEventError, NotFoundError, Step, StoreError
from timeline.cli import main
from timeline.schema import IN_A_COPY, VERSION_TABLE, event_actors
from timeline.store import Store, display_url

from helpers import PostgresDatabases, raw_engine, stored_count

DIRECTIONS = [
    pytest.param(("sqlite", "postgres"), marks=pytest.mark.postgres, id="sqlite-to-postgres"),
    pytest.param(("postgres", "sqlite"), marks=pytest.mark.postgres, id="postgres-to-sqlite"),
    pytest.param(("sqlite", "sqlite"), id="sqlite-to-sqlite"),
]
INCIDENT = "syria-2017-06"


@pytest.fixture
def make_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """A factory of fresh, empty databases of a named backend; all removed afterwards."""
    made: list[str] = []
    databases: list[PostgresDatabases] = []

    def make(backend: str) -> str:
        if backend == "sqlite":
            return f"sqlite:///{tmp_path / f'timeline_copy_{uuid.uuid4().hex[:12]}.db'}"
        if not databases:
            databases.append(request.getfixturevalue("postgres_databases"))
        made.append(databases[0].create())
        return databases[0].url(made[-1])

    yield make
    for name in made:
        databases[0].drop(name)


@pytest.fixture(params=DIRECTIONS)
def urls(request: pytest.FixtureRequest, make_db: Callable[[str], str]) -> tuple[str, str]:
    """A fresh source and destination of one direction of copy."""
    source, destination = request.param
    return make_db(source), make_db(destination)


def build(tl: timeline.Timeline) -> list[timeline.RecordedEvent]:
    """A store built after the fact: reported times (given, from a source's publication,
    and none), a late report, corrections, a retracted correction, a retraction, and one
    append holding a correction and the retraction of an earlier correction of the same
    event (whose actor index then names fewer actors than a recomputation would)."""
    record = tl.record
    truce = record("truce", "Syria", "2017-06-17", incident=INCIDENT, reported_at="2017-06-17",
                   effects={"Syria": {"truce": "declared"}})  # fmt: skip
    shootdown = record("shootdown", "US", "2017-06-18T18:43+03:00", incident=INCIDENT,
                       targets=["Syria"], effects={"Syria": {"aircraft_lost": {"$inc": 1}}},
                       source={"published_at": "2017-06-18 20:00Z"})  # fmt: skip
    suspended = record("cooperation_suspended", "Russia", "2017-06-19", incident=INCIDENT,
                       targets=["US"], reported_at="2017-06-19",
                       effects={"Russia": {"cooperation.US": "suspended"}})  # fmt: skip
    late = record("aircraft_repositioned", "US", "2017-06-18T22:00Z", incident=INCIDENT,
                  reported_at="2017-06-21", effects={"US": {"aircraft": "east"}})  # fmt: skip
    tl.correct(suspended.id, occurred_at="2017-06-19 09:00 +03:00", reported_at="2017-06-20")
    doubled = tl.correct(shootdown.id, effects={"Syria": {"aircraft_lost": {"$inc": 2}}},
                         reported_at="2017-06-22")  # fmt: skip
    tl.retract(doubled.id, "one aircraft, not two", reported_at="2017-06-23")
    record("cooperation_restored", "Russia", "2017-06-25", incident=INCIDENT, targets=["US"],
           effects={"Russia": {"cooperation.US": "active"}})  # fmt: skip
    tl.retract(late.id, "the ships never moved", reported_at="2017-06-24")
    first = tl.correct(
        truce.id, effects={"Syria": {"truce": "announced"}}, reported_at="2017-06-18"
    )
    tl.append(
        [
            Event("truce", "Syria", "2017-06-17", incident=INCIDENT, corrects=truce.id,
                  effects={"Syria": {"truce": "declared"}, "Jordan": {"truce": "guarantor"}},
                  reported_at="2017-06-20"),
            Event("retraction", "Syria", "2017-06-17", incident=INCIDENT, retracts=first.id,
                  data={"reason": "the word was declared"}, reported_at="2017-06-20"),
        ]
    )  # fmt: skip
    return list(tl.events())


def index_rows(url: str) -> list[tuple[str, int, dt.datetime]]:
    """The actor index of the database at ``url``, read with raw SQL."""
    engine = raw_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(sa.select(event_actors)).all()
    finally:
        engine.dispose()
    return sorted((row.actor, row.position, row.occurred_at) for row in rows)


def answers(tl: timeline.Timeline, known_at: Any, reported_by: Any) -> list[Any]:
    """Every answer compared, on one basis: events, states over a grid of moments, each
    actor's history, a sequence report."""
    view = tl.as_of(known_at, reported_by)
    found: list[Any] = [view.basis, list(view.events()), list(view.events(current=True))]
    for at in (None, "2017-06-18", "2017-06-19 12:00Z", "2017-06-22"):
        states = view.states(at=at)
        found.append([(actor, state, state.basis) for actor, state in sorted(states.items())])
    for actor in ("Syria", "US", "Russia", "Jordan"):
        found.append(list(view.events(actor=actor)))
        state = view.state(actor, at="2017-06-19")
        found.append((state, state.basis, state.uncertain))
        history = view.history(actor)
        found.append((list(history), history.basis))
    steps = [Step("shootdown", key="actor"), Step("cooperation_suspended", key="targets")]
    report = view.sequence(steps, within="3d")
    found.append((report.to_json(), report.basis))
    return found


def test_a_copy_answers_as_the_source_on_every_basis(urls: tuple[str, str]) -> None:
    """Copied, a store has the same rows (ids, positions, versions, recorded and reported
    times, hashes) and actor index, verifies, and gives the source's events, state,
    history and sequence answers for every known_at (each recorded time), reported_by
    and at."""
    source_url, copy_url = urls
    with timeline.open(source_url) as source:
        stored = build(source)
        result = timeline.copy(source_url, copy_url)
        assert (len(stored), source.head()) == (result.events, result.head)
        with timeline.open(copy_url) as copied:
            assert stored == list(copied.events())
            assert [
                (e.recorded_at, e.reported_at, e.reported_precision, e.hash) for e in stored
            ] == [
                (e.recorded_at, e.reported_at, e.reported_precision, e.hash)
                for e in copied.events()
            ]
            assert index_rows(source_url) == index_rows(copy_url)
            # the last append's retraction is not indexed under Jordan, whom the correction
            # beside it brought in: copied, not recomputed, the index lists what it listed
            assert [stored[-2]] == list(copied.events(actor="Jordan"))
            assert copied.verify().ok
            assert source.head() == copied.head()
            for known_at in [None, *(e.recorded_at for e in stored)]:
                for reported_by in (None, "2017-06-18", "2017-06-20", "2017-06-23"):
                    assert answers(source, known_at, reported_by) == answers(
                        copied, known_at, reported_by
                    ), (known_at, reported_by)


def test_the_copy_takes_appends_where_the_source_left_off(urls: tuple[str, str]) -> None:
    """A copy is a store like any other: the next append continues its positions,
    versions, recorded times and hash chain, and open timelines stay open."""
    source_url, copy_url = urls
    with timeline.open(source_url) as source, timeline.open(copy_url) as copied:
        stored = build(source)
        assert len(stored) == timeline.copy(source, copied).events
        newest = stored[-1]
        after = copied.record("truce", "Syria", "2017-06-30", incident=INCIDENT)
        assert (newest.position + 1, newest.version + 1) == (after.position, after.version)
        assert after.recorded_at >= newest.recorded_at
        assert copied.verify().ok
        assert source.head() == (newest.position, newest.hash)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_copy_takes_back_its_source_s_export_as_the_same_events(
    urls: tuple[str, str], tmp_path: Path, fmt: str
) -> None:
    """The source's export, imported into the copy, is the events the copy holds (none
    stored again), events with no reported time and a correction carrying its event's
    published source included; so is the copy's export, imported into the source."""
    source_url, copy_url = urls
    with timeline.open(source_url) as source, timeline.open(copy_url) as copied:
        stored = build(source)
        claim = source.record("strike", "Iran", "2020-01-08", incident="iran-2020",
                              source={"published_at": "2020-01-08"})  # fmt: skip
        fix = source.correct(claim.id, data={"bases": 2})
        assert (fix.reported_at, fix.source) == (None, claim.source)
        timeline.copy(source, copied)
        exported, back = tmp_path / f"source.{fmt}", tmp_path / f"copy.{fmt}"
        assert len(stored) + 2 == source.export(exported) == copied.export(back)
        assert exported.read_text() == back.read_text()
        assert 0 == copied.import_file(exported).stored
        assert 0 == source.import_file(back).stored
        assert source.head() == copied.head()


@pytest.mark.parametrize("page_size", [1, 3])
def test_pages_of_any_size_copy_the_same(urls: tuple[str, str], page_size: int) -> None:
    """A page boundary between an event and its corrections changes nothing: the index
    rows of a correction are checked against the events stored before it, in any page."""
    source_url, copy_url = urls
    with timeline.open(source_url) as source:
        stored = build(source)
    steps: list[int] = []
    result = timeline.copy(
        source_url, copy_url, page_size=page_size, progress=lambda done, _: steps.append(done)
    )
    assert (len(stored), list(range(page_size, len(stored), page_size))) == (
        result.events,
        steps[:-1],
    )
    assert index_rows(source_url) == index_rows(copy_url)
    with timeline.open(copy_url) as copied:
        assert stored == list(copied.events())


def test_a_destination_holding_an_event_is_refused_and_left_unchanged(
    urls: tuple[str, str],
) -> None:
    """A copy goes into an empty store only: one holding an event is refused, naming
    ``to``, and keeps its events as they were."""
    source_url, copy_url = urls
    with timeline.open(source_url) as source, timeline.open(copy_url) as other:
        build(source)
        kept = other.record("truce", "Syria", "2017-06-17", incident="daraa")
        with pytest.raises(
            InvalidEventError, match=r"^to: .* holds 1 events; .*nothing was copied"
        ):
            timeline.copy(source, other)
        assert ([kept], (1, kept.hash)) == (list(other.events()), other.head())
        with pytest.raises(InvalidEventError, match=r"^to: .* is the store copied from"):
            timeline.copy(source, source)


def tamper(url: str, statement: str) -> None:
    """Change stored rows behind the library's back, as a database owner could."""
    engine = raw_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("ALTER TABLE timeline_events DISABLE TRIGGER USER"))
                conn.exec_driver_sql(statement)
                conn.execute(sa.text("ALTER TABLE timeline_events ENABLE TRIGGER USER"))
            else:
                conn.execute(sa.text("DROP TRIGGER timeline_events_no_update"))
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def test_a_tampered_source_is_refused_and_nothing_is_stored(urls: tuple[str, str]) -> None:
    """A source row changed behind the library's back fails its hash: the copy is refused,
    naming ``from`` and the position, and the destination stays empty."""
    source_url, copy_url = urls
    with timeline.open(source_url) as source:
        build(source)
    tamper(source_url, "UPDATE timeline_events SET actor = 'Iran' WHERE position = 3")
    problem = "position 3 does not verify: its stored fields do not match its hash"
    with pytest.raises(InvalidEventError, match=rf"^from: {problem}; nothing was copied$"):
        timeline.copy(source_url, copy_url)
    assert 0 == stored_count(copy_url)
    assert [] == index_rows(copy_url)


def test_an_index_row_no_append_writes_is_refused(urls: tuple[str, str]) -> None:
    """The actor index is outside the hash chain: a row no append would write (an actor
    the event and the event it mends never name), planted where PostgreSQL's index
    trigger (schema 0006) is off or absent (an owner who disables it, an older store,
    SQLite), is refused, and so is a row that gives another occurred_at."""
    source_url, copy_url = urls
    with timeline.open(source_url) as source:
        stored = build(source)
    engine = raw_engine(source_url)
    try:
        with engine.begin() as conn:
            postgres = conn.dialect.name == "postgresql"
            if postgres:
                conn.execute(sa.text("ALTER TABLE timeline_event_actors DISABLE TRIGGER USER"))
            conn.execute(
                event_actors.insert(),
                [{"actor": "Nobody", "position": 2, "occurred_at": stored[1].occurred_at}],
            )
            if postgres:
                conn.execute(sa.text("ALTER TABLE timeline_event_actors ENABLE TRIGGER USER"))
    finally:
        engine.dispose()
    with pytest.raises(InvalidEventError, match=r"^from: position 2 .*under 'Nobody', which"):
        timeline.copy(source_url, copy_url)
    assert 0 == stored_count(copy_url)


@pytest.mark.postgres
@pytest.mark.slow
def test_a_large_copy_streams_a_page_at_a_time(make_db: Callable[[str], str]) -> None:
    """20,000 events copied 500 at a time: pages are read from the source as they are
    written, never more than a page ahead, and the copy ends at the source's head."""
    source_url, copy_url = make_db("sqlite"), make_db("postgres")
    total, page = 20_000, 500
    with timeline.open(source_url) as source:
        source.load(
            Event("report", f"actor-{i % 50}", dt.datetime(2017, 6, 1, tzinfo=dt.UTC)
                  + dt.timedelta(minutes=i), incident=f"incident-{i % 7}",
                  targets=[f"actor-{(i + 1) % 50}"], data={"n": i})
            for i in range(total)
        )  # fmt: skip
        head = source.head()
    read = 0
    ahead: list[int] = []
    progress: list[tuple[int, int]] = []
    rows = Store.rows

    def counted(store: Store, **options: Any) -> Iterator[Any]:
        nonlocal read
        for row in rows(store, **options):
            read += 1
            yield row

    def on_progress(done: int, of: int) -> None:
        progress.append((done, of))
        ahead.append(read - done)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(Store, "rows", counted)
        result = timeline.copy(source_url, copy_url, page_size=page, progress=on_progress)
    assert (total, head) == (result.events, result.head)
    assert [(n, total) for n in range(page, total + 1, page)] == progress
    assert max(ahead) <= page
    with timeline.open(copy_url) as copied:
        assert head == copied.head()
        assert total == sum(copied.incident_version(f"incident-{k}") for k in range(7))


@pytest.mark.postgres
def test_the_copy_says_so_to_an_insert_trigger(make_db: Callable[[str], str]) -> None:
    """Inside the copy's transaction IN_A_COPY holds (SET LOCAL timeline.copying), so an
    insert trigger that checks recorded_at against the clock can let a copy through; the
    setting ends with the transaction: an append afterwards is not a copy."""
    source_url, copy_url = make_db("sqlite"), make_db("postgres")
    with timeline.open(source_url) as source:
        stored = build(source)
    timeline.upgrade(copy_url)
    engine = raw_engine(copy_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql(
                "CREATE FUNCTION only_copies() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF NOT ({IN_A_COPY}) THEN RAISE EXCEPTION 'not a copy'; END IF; "
                "RETURN NEW; END $$"
            )
            conn.exec_driver_sql(
                "CREATE TRIGGER only_copies BEFORE INSERT ON timeline_events "
                "FOR EACH ROW EXECUTE FUNCTION only_copies()"
            )
    finally:
        engine.dispose()
    with timeline.open(copy_url) as copied:
        assert len(stored) == timeline.copy(source_url, copied).events
        with pytest.raises(StoreError, match="not a copy"):
            copied.record("truce", "Syria", "2017-06-30", incident=INCIDENT)
    assert len(stored) == stored_count(copy_url)


@pytest.mark.postgres
def test_only_the_owner_may_copy_into_postgresql(make_db: Callable[[str], str]) -> None:
    """A role that may insert and select (a writer) cannot copy: a copy writes recorded
    times of the past, which only the tables' owner may; nothing is stored."""
    source_url, copy_url = make_db("sqlite"), make_db("postgres")
    with timeline.open(source_url) as source:
        build(source)
    timeline.upgrade(copy_url)
    role = f"timeline_writer_{uuid.uuid4().hex[:8]}"
    owner = raw_engine(copy_url)
    try:
        with owner.begin() as conn:
            for statement in (
                f"CREATE ROLE {role} LOGIN",
                f"GRANT USAGE ON SCHEMA public TO {role}",
                f"GRANT SELECT, INSERT ON timeline_events, timeline_event_actors TO {role}",
                f"GRANT SELECT ON {VERSION_TABLE} TO {role}",
            ):
                conn.execute(sa.text(statement))
        writer_url = make_url(copy_url).set(username=role, password=None)
        with pytest.raises(StoreError, match=r"^to: .*only the owner of timeline_events"):
            timeline.copy(source_url, writer_url)
        assert 0 == stored_count(copy_url)
    finally:
        with owner.begin() as conn:
            conn.execute(sa.text(f"DROP OWNED BY {role}"))
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        owner.dispose()


def test_a_source_must_exist_and_have_the_schema(tmp_path: Path) -> None:
    """A copy creates nothing where it reads: a missing SQLite file or a database without
    timeline's schema is refused, naming it; a page size of 0 is refused."""
    missing = tmp_path / "missing.db"
    with pytest.raises(NotFoundError, match=r"^from: there is no database file"):
        timeline.copy(f"sqlite:///{missing}", f"sqlite:///{tmp_path / 'copy.db'}")
    assert not missing.exists()
    bare = tmp_path / "bare.db"
    raw_engine(f"sqlite:///{bare}").connect().close()
    with pytest.raises(StoreError, match=r"has no timeline schema"):
        timeline.copy(f"sqlite:///{bare}", f"sqlite:///{tmp_path / 'copy.db'}")
    with pytest.raises(InvalidEventError, match=r"^to: 'mysql' is not supported"):
        timeline.copy(f"sqlite:///{bare}", "mysql://db.example/x")
    with pytest.raises(InvalidEventError, match=r"^page_size: must be at least 1"):
        timeline.copy("sqlite://", "sqlite://", page_size=0)


def test_the_copy_command(urls: tuple[str, str]) -> None:
    """``timeline copy`` reports progress on standard error and ends with a line naming
    both heads; --from defaults to --db; a refusal is one line and exit status 1."""
    source_url, copy_url = urls
    with timeline.open(source_url) as source:
        stored = build(source)
        head = source.head()
    result = CliRunner().invoke(main, ["--db", source_url, "copy", "--to", copy_url])
    assert 0 == result.exit_code, result.output
    shown = [display_url(url) for url in (source_url, copy_url)]
    heads = f"position {head[0]}, hash {head[1]}"
    assert (
        f"copied {len(stored)} events; head of {shown[0]}: {heads}; head of {shown[1]}: {heads}\n"
    ) == result.stdout
    assert f"copied {len(stored)} of {len(stored)} events\n" == result.stderr
    again = CliRunner().invoke(main, ["copy", "--from", source_url, "--to", copy_url])
    assert 1 == again.exit_code
    assert [
        f"error: to: {shown[1]} holds {len(stored)} events; a copy goes into an empty store; "
        "nothing was copied"
    ] == again.stderr.splitlines()
