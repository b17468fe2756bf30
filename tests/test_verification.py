"""Nothing an answer rests on is outside verification (issue 14): snapshots, the actor
index, SQLite's time text, undecodable rows, damaged pages and anchors, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import timeline
from timeline.schema import VERSION_TABLE, snapshots

from helpers import raw_engine

INCIDENT = "iran-2020-01"


def record_reports(tl: timeline.Timeline, count: int, *, day: int = 1) -> None:
    """``count`` reports of the US, each adding one to ``n`` and setting ``last``."""
    tl.append(
        [
            timeline.Event(
                "report",
                "US",
                f"2020-01-{day + i // 24:02d}T{i % 24:02d}:00Z",
                incident=INCIDENT,
                effects={"US": {"n": {"$inc": 1}, "last": i}},
            )
            for i in range(count)
        ]
    )


@pytest.fixture
def cached(db_url: str) -> Iterator[tuple[timeline.Timeline, timeline.Timeline]]:
    """A timeline that snapshots every 5 events and one that uses none, on one store of
    20 reports, with snapshots stored."""
    with (
        timeline.open(db_url, snapshot_interval=5) as snap,
        timeline.open(db_url, snapshot_interval=None) as plain,
    ):
        record_reports(snap, 20)
        assert plain.state("US") == snap.state("US")
        assert snapshot_rows(db_url)
        yield snap, plain


def snapshot_rows(url: str) -> list[dict[str, Any]]:
    """Every stored snapshot row, as the database holds it."""
    engine = raw_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.select(snapshots))]
    finally:
        engine.dispose()


def write_snapshots(url: str, statement: Any, rows: list[dict[str, Any]] | None = None) -> None:
    """Run a statement on the snapshots table behind the library's back."""
    engine = raw_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(statement, rows) if rows is not None else conn.execute(statement)
    finally:
        engine.dispose()


def forged(url: str, **changes: Any) -> None:
    """Insert a copy of the newest snapshot with ``changes`` and a forged value."""
    newest = max(snapshot_rows(url), key=lambda r: r["through_occurred_at"])
    row = {k: v for k, v in newest.items() if k != "id"}
    row["state"] = {"values": {"n": 999, "forged": True}, "problems": []}
    row.update(changes)
    write_snapshots(url, snapshots.insert(), [row])


@pytest.mark.parametrize(
    "forgery",
    [
        "future and unknown position",
        "future through time",
        "position above any",
        "edited state",
        "not the actor's event",
    ],
)
def test_a_forged_snapshot_never_changes_an_answer(
    cached: tuple[timeline.Timeline, timeline.Timeline], db_url: str, forgery: str
) -> None:
    """A snapshot with a far-future end, a knowledge above any position, an edited state
    or an end at another actor's event is not used: state() is the fold of the events,
    also after new honest events, and verify() names it."""
    snap, plain = cached
    far = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    if forgery == "future and unknown position":
        forged(db_url, through_occurred_at=far, max_end=far, known_position=10**9)
    elif forgery == "future through time":
        forged(db_url, through_occurred_at=far, max_end=far)
    elif forgery == "position above any":
        forged(db_url, known_position=10**9, through_position=10**9 - 1, last_position=10**9 - 1)
    elif forgery == "edited state":
        write_snapshots(
            db_url,
            snapshots.update().values(state={"values": {"n": 999}, "problems": []}),
        )
    else:
        snap.record("report", "Iran", "2020-02-01", incident=INCIDENT)
        forged(
            db_url, through_position=21, through_occurred_at=dt.datetime(2020, 2, 1, tzinfo=dt.UTC)
        )
    for at in (None, "2020-01-01T10:00Z", "2020-06-01"):
        assert plain.state("US", at=at) == snap.state("US", at=at)
    record_reports(snap, 3, day=3)
    assert plain.state("US") == snap.state("US")
    assert 23 == snap.state("US")["n"]
    result = snap.verify()
    assert not result.ok and result.first_bad_position is None
    assert result.findings and all(f.part == "snapshots" for f in result.findings)
    assert all(f.actor == "US" and f.position is not None for f in result.findings)
    assert str(result).startswith("snapshot of 'US' through position ")


def test_a_snapshot_found_sound_then_edited_is_refused(
    cached: tuple[timeline.Timeline, timeline.Timeline], db_url: str
) -> None:
    """A snapshot that served questions (checked and found sound, which the store then
    remembers by the rows it read) and is edited afterwards is refused by the next
    question: what is remembered is the rows, never the snapshot's id."""
    snap, plain = cached
    moments = ("2020-01-01T10:00Z", "2020-01-01T12:00Z")
    for at in moments:
        assert plain.state("US", at=at) == snap.state("US", at=at)
    assert snap._store._sound  # the snapshot served and was found sound
    write_snapshots(db_url, snapshots.update().values(state={"values": {"n": 999}, "problems": []}))
    for at in (*moments, None):
        assert plain.state("US", at=at) == snap.state("US", at=at)
    assert not snap.verify().ok


def test_a_forged_snapshot_with_a_recomputed_digest_is_named_by_verify(
    cached: tuple[timeline.Timeline, timeline.Timeline], db_url: str
) -> None:
    """A snapshot that passes the reader's checks (its digest recomputed by whoever could
    write it) but holds another state is found by verify(), which folds it again."""
    from timeline.store import Snapshot, snapshot_digest

    snap, _ = cached
    newest = max(snapshot_rows(db_url), key=lambda r: r["through_occurred_at"])
    fields = {k: v for k, v in newest.items() if k not in ("id", "created_at", "digest")}
    fields["state"] = {"values": {"n": 999, "last": 0}, "problems": []}
    for name in ("through_occurred_at", "max_end"):
        fields[name] = fields[name].replace(tzinfo=fields[name].tzinfo or dt.UTC)
    chain = list(snap.events())[fields["known_position"] - 1].hash
    fields["digest"] = snapshot_digest(Snapshot(**fields), chain)
    write_snapshots(db_url, snapshots.insert(), [{**fields, "created_at": newest["created_at"]}])
    result = snap.verify()
    assert not result.ok
    assert any("values differ from the fold of its events" in f.problem for f in result.findings)


def test_verify_folds_every_honest_snapshot_again(
    cached: tuple[timeline.Timeline, timeline.Timeline], db_url: str
) -> None:
    """An untouched store with snapshots verifies; verify() says how many it checked."""
    snap, _ = cached
    stored = len(snapshot_rows(db_url))
    result = snap.verify()
    assert result.ok and (stored, stored) == (result.snapshots_checked, result.snapshots_folded)
    assert f"ok: 20 events verified, {stored} snapshots checked" == str(result)
    # later events: snapshots of two knowledges, the older still holding on the newer
    record_reports(snap, 10, day=5)
    snap.state("US")
    assert 2 == len({row["known_position"] for row in snapshot_rows(db_url)})
    result = snap.verify()
    assert result.ok and result.snapshots_folded == len(snapshot_rows(db_url)) > stored


def test_a_snapshot_ending_at_a_corrected_event_holds(db_url: str) -> None:
    """A snapshot may end at an event as a correction put it (moved in time, or now
    naming the actor): it passes the reader's checks and verify(), and is used."""
    with timeline.open(db_url, snapshot_interval=1) as tl:
        tl.record("report", "US", "2020-01-01", incident=INCIDENT, effects={"US": {"n": 1}})
        moved = tl.record("report", "US", "2020-01-02", incident=INCIDENT, effects={"US": {"n": 2}})
        named = tl.record("report", "Iran", "2020-01-03", incident=INCIDENT)
        tl.correct(moved.id, occurred_at="2020-01-05")
        tl.correct(named.id, actor="US", effects={"US": {"m": 3}})
        expected = tl.state("US")
        assert {"n": 2, "m": 3} == expected.to_dict()
        result = tl.verify()
        assert result.ok and 3 == result.snapshots_folded, str(result)
        view = tl.as_of()
        fingerprint = view._snapshot_key()
        assert fingerprint is not None
        with tl._store.session() as conn:
            found = tl._store.snapshots_for("US", fingerprint, through=None, conn=conn)
            start, _ = view._snapshot_start("US", fingerprint, found, conn)
        assert start is not None and 3 == start.events_applied  # the newest one is used
        assert expected == tl.state("US")


def test_a_snapshot_row_that_cannot_be_read_is_named_not_raised(
    cached: tuple[timeline.Timeline, timeline.Timeline], db_url: str
) -> None:
    """A snapshot whose state is not JSON (SQLite), or not a state (PostgreSQL keeps only
    JSON), is skipped by state() and named by verify()."""
    snap, plain = cached
    bad = "'{not json'" if db_url.startswith("sqlite") else "'[1]'"
    write_snapshots(db_url, sa.text(f"UPDATE timeline_snapshots SET state = {bad}"))
    assert plain.state("US") == snap.state("US")
    result = snap.verify()
    assert not result.ok
    problem = "cannot be read" if db_url.startswith("sqlite") else "its state is not"
    assert problem in str(result)


def test_the_snapshot_cache_stays_bounded_after_late_reports(db_url: str) -> None:
    """Each state() after a late report folds again and stores a new set of snapshots;
    the oldest knowledge's are pruned, so the cache stays within twice one fold's set
    per actor, and answers stay those without snapshots."""
    with (
        timeline.open(db_url, snapshot_interval=5) as snap,
        timeline.open(db_url, snapshot_interval=None) as plain,
    ):
        record_reports(snap, 30)
        counts = []
        for i in range(8):
            snap.record(
                "report", "US", "2020-01-01T00:30Z", incident=INCIDENT,
                effects={"US": {"n": {"$inc": 1}}},
            )  # fmt: skip
            assert plain.state("US") == snap.state("US")
            counts.append(len(snapshot_rows(db_url)))
            one_fold = (30 + i + 1) // 5 + 1
            assert counts[-1] <= 2 * one_fold
        # each late report made a new set of about one fold's: without pruning they add up
        made = max(row["id"] for row in snapshot_rows(db_url))
        assert made > 2 * counts[-1]
        assert snap.verify().ok


@pytest.mark.postgres
@pytest.mark.parametrize("snapshot_grant", [None, "SELECT", "SELECT, INSERT"])
def test_a_role_without_snapshot_rights_answers_without_them(
    postgres_url: str, snapshot_grant: str | None
) -> None:
    """A writer role without rights on timeline_snapshots, or with too few to keep the
    cache bounded, runs state() and stores no snapshot; with SELECT it may use the
    owner's."""
    with timeline.open(postgres_url, snapshot_interval=5) as owner_tl:
        record_reports(owner_tl, 12)
        expected = owner_tl.state("US")
    stored = len(snapshot_rows(postgres_url))
    role = f"timeline_writer_{uuid.uuid4().hex[:8]}"
    grants = [
        f"CREATE ROLE {role} LOGIN",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT ON timeline_events, timeline_event_actors TO {role}",
        f"GRANT SELECT ON {VERSION_TABLE} TO {role}",
        f"GRANT EXECUTE ON FUNCTION timeline_begin_append() TO {role}",
    ]
    if snapshot_grant is not None:
        grants.append(f"GRANT {snapshot_grant} ON timeline_snapshots TO {role}")
    owner = raw_engine(postgres_url)
    try:
        with owner.begin() as conn:
            for statement in grants:
                conn.execute(sa.text(statement))
        writer_url = make_url(postgres_url).set(username=role, password=None)
        with timeline.open(writer_url, snapshot_interval=5) as tl:
            assert expected == tl.state("US")
            record_reports(tl, 12, day=5)
            assert 24 == tl.state("US")["n"]
            assert 24 == tl.state("US", at="2020-01-06")["n"]
        assert stored == len(snapshot_rows(postgres_url))
    finally:
        with owner.begin() as conn:
            conn.execute(sa.text(f"DROP OWNED BY {role}"))
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        owner.dispose()


# -- the actor index, the stored rows, SQLite's time text ----------------------------------


def tamper(url: str, *statements: str) -> None:
    """Run statements with the immutability triggers (and, on PostgreSQL, the foreign
    keys; on SQLite, the CHECK constraints of the times' stored form) off, as a database
    owner could."""
    engine = raw_engine(url)
    try:
        with engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql("SET LOCAL session_replication_role = replica")
            else:
                conn.exec_driver_sql("PRAGMA ignore_check_constraints = ON")
                for table in ("timeline_events", "timeline_event_actors"):
                    for action in ("update", "delete"):
                        conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS {table}_no_{action}")
            for statement in statements:
                conn.exec_driver_sql(statement)
    finally:
        engine.dispose()


def record_retracted_claim(tl: timeline.Timeline) -> tuple[int, int]:
    """Iran's claim of a strike on the US, retracted; return both positions."""
    claim = tl.record(
        "strike", "Iran", "2020-01-08", incident=INCIDENT, targets=["US"],
        effects={"US": {"bases.hit": 2}},
    )  # fmt: skip
    gone = tl.retract(claim.id, "no base was hit")
    tl.record("statement", "US", "2020-01-09", incident=INCIDENT)
    return claim.position, gone.position


INDEX_CHANGES = {
    "deleted": (
        "DELETE FROM timeline_event_actors WHERE position = 2 AND actor = 'US'",
        2,
        "does not list it under 'US', which it names",
    ),
    "renamed": (
        "UPDATE timeline_event_actors SET actor = 'Iraq' WHERE position = 1 AND actor = 'US'",
        1,
        "does not list it under 'US'",
    ),
    "re-dated": (
        "UPDATE timeline_event_actors SET occurred_at = '2020-01-10 00:00:00.000000' "
        "WHERE position = 1 AND actor = 'US'",
        1,
        "says it occurred at 2020-01-10T00:00:00.000000Z, not 2020-01-08T00:00:00.000000Z",
    ),
    "added": (
        "INSERT INTO timeline_event_actors (actor, position, occurred_at) "
        "VALUES ('Saudi Arabia', 3, '2020-01-09 00:00:00.000000')",
        3,
        "lists it under 'Saudi Arabia', which neither it nor the event it mends names",
    ),
    "listing nothing": (
        "INSERT INTO timeline_event_actors (actor, position, occurred_at) "
        "VALUES ('Saudi Arabia', 99, '2020-01-09 00:00:00.000000')",
        99,
        "a row under 'Saudi Arabia' lists no stored event",
    ),
}


@pytest.mark.parametrize("change", list(INDEX_CHANGES))
def test_verify_checks_the_actor_index_against_the_events(
    tl: timeline.Timeline, db_url: str, change: str
) -> None:
    """A row of the actor index deleted, renamed, re-dated, added or listing no event
    changes answers (a deleted retraction's row brings the claim back) and is named by
    verify(): position and problem."""
    record_retracted_claim(tl)
    assert {} == tl.state("US").to_dict()
    assert tl.verify().ok
    statement, position, problem = INDEX_CHANGES[change]
    tamper(db_url, statement)
    if change == "deleted":
        assert {"bases.hit": 2} == tl.state("US").to_dict()  # the answer changed
    result = tl.verify()
    assert not result.ok
    assert result.first_bad_position is None  # the chain itself still verifies
    [finding] = result.findings
    assert ("actor index", position) == (finding.part, finding.position)
    assert problem in finding.problem
    assert str(result).startswith(f"actor index at position {position}: ")


def test_a_writer_cannot_list_an_event_under_another_actor_unseen(
    tl: timeline.Timeline, db_url: str
) -> None:
    """An INSERT-only writer that adds index rows makes events(actor=...) list events that
    do not name the actor; verify() names each such row."""
    record_retracted_claim(tl)
    planted = (
        "INSERT INTO timeline_event_actors (actor, position, occurred_at) "
        "VALUES ('Saudi Arabia', 3, '2020-01-09 00:00:00.000000')"
    )
    engine = raw_engine(db_url)
    try:
        if engine.dialect.name == "postgresql":
            # the database refuses it (schema 0006; tests/test_writers.py); an owner who
            # disables that trigger, or a store from before it, is left to verify()
            with pytest.raises(sa.exc.DatabaseError, match="refused"), engine.begin() as conn:
                conn.exec_driver_sql(planted)
            with engine.begin() as conn:
                conn.exec_driver_sql("ALTER TABLE timeline_event_actors DISABLE TRIGGER USER")
                conn.exec_driver_sql(planted)
                conn.exec_driver_sql("ALTER TABLE timeline_event_actors ENABLE TRIGGER USER")
        else:
            with engine.begin() as conn:
                conn.exec_driver_sql(planted)
    finally:
        engine.dispose()
    assert [3] == [e.position for e in tl.events(actor="Saudi Arabia")]
    result = tl.verify()
    assert [("actor index", 3)] == [(f.part, f.position) for f in result.findings]


UNREADABLE = {
    "data not an object": ("UPDATE timeline_events SET data = '[1]' WHERE position = 2", "data"),
    "targets not names": (
        "UPDATE timeline_events SET targets = '[1, 2]' WHERE position = 2",
        "targets",
    ),
}
SQLITE_UNREADABLE = {
    "data not JSON": ("UPDATE timeline_events SET data = '{\"a\": ' WHERE position = 2", "data"),
    "effects not JSON": ("UPDATE timeline_events SET effects = 'x' WHERE position = 2", "effects"),
    "time not a time": (
        "UPDATE timeline_events SET occurred_at = 'soon' WHERE position = 2",
        "occurred_at",
    ),
    "time out of range": (
        "UPDATE timeline_events SET recorded_at = '2020-13-45 00:00:00.000000' WHERE position = 2",
        "recorded_at",
    ),
    "id not a UUID": ("UPDATE timeline_events SET id = 'zz' WHERE position = 2", "id"),
    "time with T": (
        "UPDATE timeline_events SET occurred_at = replace(occurred_at, ' ', 'T') "
        "WHERE position = 2",
        "occurred_at",
    ),
    "recorded time with an offset": (
        "UPDATE timeline_events SET recorded_at = recorded_at || '+00:00' WHERE position = 2",
        "recorded_at",
    ),
    # the same UUID in another text form: the hash holds (uuid.UUID reads it), but every
    # lookup by id compares the stored text
    "retracts in capitals": (
        "UPDATE timeline_events SET retracts = upper(retracts) WHERE position = 2",
        "retracts",
    ),
    "id with hyphens": (
        "UPDATE timeline_events SET id = substr(id, 1, 8) || '-' || substr(id, 9, 4) || '-' "
        "|| substr(id, 13, 4) || '-' || substr(id, 17, 4) || '-' || substr(id, 21) "
        "WHERE position = 2",
        "id",
    ),
}


@pytest.mark.parametrize("case", list(UNREADABLE))
def test_verify_names_a_value_it_cannot_read(tl: timeline.Timeline, db_url: str, case: str) -> None:
    """A stored JSON value of the wrong shape is named with its position and field."""
    statement, field = UNREADABLE[case]
    check_unreadable(tl, db_url, statement, field)


@pytest.mark.parametrize("case", list(SQLITE_UNREADABLE))
def test_verify_names_a_sqlite_value_it_cannot_read_and_never_raises(
    sqlite_url: str, case: str
) -> None:
    """On SQLite, which keeps JSON, ids and times as text: a value that is not JSON, not a
    time, not an id, or a time in another text form than the one stored (``T`` for the
    space, an offset: the same instant, so the hash holds, but range reads compare the
    text) is named with its position and field; verify() returns, it does not raise."""
    statement, field = SQLITE_UNREADABLE[case]
    with timeline.open(sqlite_url) as tl:
        check_unreadable(tl, sqlite_url, statement, field)


def check_unreadable(tl: timeline.Timeline, url: str, statement: str, field: str) -> None:
    """Tamper with position 2 and check that verify() names it and its field."""
    record_retracted_claim(tl)
    tamper(url, statement)
    result = tl.verify()
    assert not result.ok
    assert (2, 1) == (result.first_bad_position, result.events_checked)
    finding = result.findings[0]
    assert ("events", 2, field) == (finding.part, finding.position, finding.field)
    assert str(result).startswith(f"position 2 does not verify: {field}: ")


def test_sqlite_keeps_one_stored_form_of_time(sqlite_url: str) -> None:
    """SQLite refuses to store a time in another text form (insert triggers), and verify()
    names an actor index time rewritten in another form, which range reads compare."""
    with timeline.open(sqlite_url) as tl:
        record_retracted_claim(tl)
        engine = raw_engine(sqlite_url)
        try:
            for statement in (
                "INSERT INTO timeline_event_actors (actor, position, occurred_at) "
                "VALUES ('Iraq', 3, '2020-01-09T00:00:00.000000')",
                "INSERT INTO timeline_events SELECT position + 10, id, incident, version, type, "
                "actor, targets, replace(occurred_at, ' ', 'T'), precision, data, effects, "
                "source, corrects, retracts, recorded_at, hash, reported_at, reported_precision "
                "FROM timeline_events WHERE position = 1",
            ):
                with (
                    pytest.raises(sa.exc.IntegrityError, match="a time is not stored as"),
                    engine.begin() as conn,
                ):
                    conn.exec_driver_sql(statement)
        finally:
            engine.dispose()
        assert tl.verify().ok
        until = "2020-01-09T00:00Z"
        assert [1, 2, 3] == [e.position for e in tl.events(actor="US", until=until)]
        tamper(
            sqlite_url,
            "UPDATE timeline_event_actors SET occurred_at = replace(occurred_at, ' ', 'T') "
            "WHERE position = 3",
        )
        # the same instant, in another form: the range read no longer finds it
        assert [1, 2] == [e.position for e in tl.events(actor="US", until=until)]
        [finding] = tl.verify().findings
        assert ("actor index", 3) == (finding.part, finding.position)
        assert "'2020-01-09T00:00:00.000000' is not in the stored form" in finding.problem


def test_sqlite_keeps_one_stored_form_of_an_id(sqlite_url: str) -> None:
    """A retraction's ``retracts`` rewritten in capitals is the same UUID to
    ``uuid.UUID``, so the hash holds; but SQLite compares the stored text, so the
    retraction no longer retracts and the withdrawn claim is back in every answer.
    verify() must name it, as it names a time stored in another text form."""
    with timeline.open(sqlite_url) as tl:
        _, retraction = record_retracted_claim(tl)
        assert {} == dict(tl.state("US"))
        tamper(
            sqlite_url,
            f"UPDATE timeline_events SET retracts = upper(retracts) WHERE position = {retraction}",
        )
        assert {"bases.hit": 2} == dict(tl.state("US"))  # the retracted claim is back
        result = tl.verify()
        assert not result.ok, str(result)
        finding = result.findings[0]
        assert ("events", retraction, "retracts") == (
            finding.part, finding.position, finding.field
        )  # fmt: skip
        assert "is not in the stored form" in finding.problem


def test_an_append_while_verify_runs_is_no_finding(
    tl: timeline.Timeline, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """verify() on a live store: the walk ends at the newest event it read, then it
    looks for actor index rows past it, which list no event. An append that committed
    in between (a writer at work while a cron job verifies) had its own index rows
    named as rows that list no stored event, and a sound store failed verify."""
    record_retracted_claim(tl)
    store = tl._store
    looked_up = store.index_orphans

    def append_first(**kwargs: Any) -> list[tuple[str, int]]:
        with timeline.open(db_url) as writer:
            writer.record("statement", "Iraq", "2020-01-10", incident=INCIDENT, targets=["US"])
        return looked_up(**kwargs)

    monkeypatch.setattr(store, "index_orphans", append_first)
    result = tl.verify()
    assert result.ok, str(result)
    monkeypatch.undo()
    assert "ok: 4 events verified" == str(tl.verify())


def test_verify_on_a_database_without_a_store_fails_and_creates_nothing(tmp_path: Any) -> None:
    """``timeline verify`` of a mistyped --db (a store moved, a cron job's stale path)
    created an empty store there and printed "ok: 0 events verified", exit status 0,
    night after night. Verify reads: a database without timeline's schema is an error
    that names it, and nothing is created."""
    from click.testing import CliRunner

    from timeline.cli import main

    missing = tmp_path / "incidnets.db"
    result = CliRunner().invoke(main, ["--db", f"sqlite:///{missing}", "verify"])
    assert 1 == result.exit_code, result.output
    assert "has no timeline schema" in result.output
    assert not missing.exists()


def test_the_command_line_names_what_verify_finds_without_a_traceback(sqlite_url: str) -> None:
    """timeline verify prints each finding on a line of its own and exits 1, with no
    traceback, for a value that is not JSON."""
    from click.testing import CliRunner

    from timeline.cli import main

    with timeline.open(sqlite_url) as tl:
        record_retracted_claim(tl)
    tamper(sqlite_url, "UPDATE timeline_events SET data = '{\"a\": ' WHERE position = 2")
    result = CliRunner().invoke(main, ["--db", sqlite_url, "verify"])
    assert 1 == result.exit_code and isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert result.output.startswith("position 2 does not verify: data: is not JSON (")


def test_revision_0005_upgrades_a_store_in_place(db_url: str) -> None:
    """A store at 0004 with snapshots upgrades to 0005: its chain verifies, its answers are
    the same, and the cache starts empty (old snapshots have no digest)."""
    from alembic import command

    from timeline import migrate

    with timeline.open(db_url, snapshot_interval=2) as tl:
        record_retracted_claim(tl)
        record_reports(tl, 6)
        before = (tl.state("US").to_dict(), tl.head())
    engine = raw_engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0004")
            conn.execute(sa.text("INSERT INTO timeline_snapshots (actor, fingerprint, "
                "through_occurred_at, through_position, known_position, max_end, "
                "events_applied, last_position, state, created_at) VALUES ('US', 'x', "
                "'2020-01-01 00:00:00.000000', 4, 9, '2020-01-01 00:00:00.000000', 1, 4, "
                "'{\"values\": {}, \"problems\": []}', '2020-01-01 00:00:00.000000')"))  # fmt: skip
    finally:
        engine.dispose()
    assert migrate.head_revision() == timeline.upgrade(db_url)
    with timeline.open(db_url) as tl:
        assert 0 == tl.clear_snapshots()
        assert before == (tl.state("US").to_dict(), tl.head())
        assert "ok: 9 events verified" == str(tl.verify())


# -- the deep check ------------------------------------------------------------------------


def damage_index_page(path: str, index: str) -> None:
    """Overwrite the root page of a SQLite index with bytes that are no page at all."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        [root] = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE name = ?", [index]
        ).fetchone()
    finally:
        conn.close()
    with open(path, "r+b") as file:
        file.seek((root - 1) * page_size)
        file.write(b"\xff" * page_size)


def test_a_damaged_sqlite_page_is_found_by_the_deep_check(sqlite_url: str) -> None:
    """A damaged page of the index state() reads makes state() fail while the walk of
    verify() never reads it; verify(deep=True) and timeline verify --deep find it."""
    from click.testing import CliRunner

    from timeline.cli import main

    with timeline.open(sqlite_url) as tl:
        record_reports(tl, 50)
    # the key (actor, occurred_at, position), which is the actor table itself (0007)
    damage_index_page(sqlite_url.removeprefix("sqlite:///"), "timeline_event_actors")
    with timeline.open(sqlite_url) as tl:
        with pytest.raises(timeline.StoreError, match="malformed"):
            tl.state("US")
        assert tl.verify().ok  # the walk reads the events and the index by position
        result = tl.verify(deep=True)
    assert not result.ok and result.first_bad_position is None
    assert result.findings and all(f.part == "database" for f in result.findings)
    out = CliRunner().invoke(main, ["--db", sqlite_url, "verify", "--deep"])
    assert 1 == out.exit_code and "Traceback" not in out.output
    assert out.output.startswith("database: ")


def test_the_deep_check_passes_on_a_sound_store(tl: timeline.Timeline, db_url: str) -> None:
    """verify(deep=True) passes on an untouched store; on PostgreSQL it checks every
    index with amcheck when the extension is installed, and says so when it is not."""
    record_retracted_claim(tl)
    result = tl.verify(deep=True)
    assert result.ok
    if db_url.startswith("sqlite"):
        assert "ok: 3 events verified" == str(result)
        return
    assert "amcheck extension is not installed" in str(result)
    engine = raw_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.exec_driver_sql("CREATE EXTENSION amcheck")
    finally:
        engine.dispose()
    assert "ok: 3 events verified" == str(tl.verify(deep=True))


# -- anchors -------------------------------------------------------------------------------


def rewrite_history(tl: timeline.Timeline, url: str, position: int, data: dict[str, Any]) -> None:
    """As an owner could: change the data of the event at ``position`` and recompute
    every hash from position 1, so that the chain verifies again."""
    import attrs

    from timeline.events import canonical_json
    from timeline.store import chain_hash

    previous = ""
    statements = []
    for event in list(tl.events()):
        if event.position == position:
            event = attrs.evolve(event, data=data)
            text = canonical_json(data).replace("'", "''")
            statements.append(
                f"UPDATE timeline_events SET data = '{text}' WHERE position = {position}"
            )
        previous = chain_hash(previous, event)
        statements.append(
            f"UPDATE timeline_events SET hash = '{previous}' WHERE position = {event.position}"
        )
    tamper(url, *statements)


def test_an_anchor_catches_a_history_rewritten_with_every_hash_recomputed(
    tl: timeline.Timeline, db_url: str
) -> None:
    """A value rewritten with every hash recomputed passes plain verify(); verify with an
    anchor kept from before names the anchor's position."""
    record_retracted_claim(tl)
    anchor = tl.head()
    later = tl.record("statement", "Iran", "2020-01-10", incident=INCIDENT)
    rewrite_history(tl, db_url, 1, {"casualties": 80})
    assert 80 == next(iter(tl.events())).data["casualties"]
    assert tl.verify().ok  # the chain alone cannot tell
    result = tl.verify(anchor=anchor)
    assert not result.ok and result.first_bad_position is None
    [finding] = result.findings
    assert ("anchor", 3) == (finding.part, finding.position)
    assert str(result).startswith("anchor at position 3: the hash here is ")
    # an anchor is checked in whatever form it was kept
    assert not tl.verify(anchors=[f"{anchor[0]}:{anchor[1]}"]).ok
    assert later.position == tl.head()[0]


def test_an_anchor_catches_events_removed_at_the_end(tl: timeline.Timeline, db_url: str) -> None:
    """The newest events removed leave a chain that verifies, and a store that no longer
    reaches the anchor."""
    record_retracted_claim(tl)
    anchor = tl.head()
    assert "ok: 3 events verified; extends 1 anchor" == str(tl.verify(anchor=anchor))
    tamper(
        db_url,
        "DELETE FROM timeline_event_actors WHERE position = 3",
        "DELETE FROM timeline_events WHERE position = 3",
    )
    assert tl.verify().ok
    [finding] = tl.verify(anchor=anchor).findings
    assert ("anchor", 3) == (finding.part, finding.position)
    assert "the store ends at position 2" in finding.problem


def test_head_append_then_verify_anchors_on_the_command_line(
    sqlite_url: str, tmp_path: Any
) -> None:
    """timeline head --append FILE keeps each head; timeline verify --anchors FILE (or
    --anchor N:HASH) proves the store still extends them, and fails once history was
    rewritten; a bad anchor is one error line."""
    from click.testing import CliRunner

    from timeline.cli import main

    def run(*args: str, code: int = 0) -> str:
        result = CliRunner().invoke(main, ["--db", sqlite_url, *args])
        assert code == result.exit_code, result.output
        return result.output

    heads = tmp_path / "heads.txt"
    with timeline.open(sqlite_url) as tl:
        record_retracted_claim(tl)
        first = run("head", "--append", str(heads)).strip()
        assert first == f"3:{tl.head()[1]}"
        tl.record("statement", "Iran", "2020-01-10", incident=INCIDENT)
        run("head", "--append", str(heads))
        lines = heads.read_text().splitlines()
        assert 2 == len(lines) and lines[0].startswith(first + "  # ")
        assert "ok: 4 events verified; extends 2 anchors" in run("verify", "--anchors", str(heads))
        assert "extends 1 anchor" in run("verify", "--anchor", first)
        rewrite_history(tl, sqlite_url, 2, {"reason": "rewritten"})
    assert run("verify").startswith("ok: 4 events verified")
    out = run("verify", "--anchors", str(heads), code=1)
    assert out.startswith("anchor at position 3: the hash here is ")
    assert "anchor at position 4: " in out and "Traceback" not in out
    assert "error: anchor: the hash must be 64" in run("verify", "--anchor", "3:abc", code=1)
    heads.write_text(first + "\nnot an anchor\n")
    bad = run("verify", "--anchors", str(heads), code=1)
    assert "error: anchors: line 2: expected POSITION:HASH, got 'not an anchor'" in bad


def test_an_anchors_file_with_a_byte_order_mark_is_read(tmp_path: Any) -> None:
    """A review: an anchors file saved with a byte-order mark (Notepad's UTF-8) was
    refused, its first line not an anchor."""
    path = tmp_path / "heads.txt"
    path.write_bytes(b"\xef\xbb\xbf" + f"2:{'a' * 64}  # noted\n".encode())
    assert [(2, "a" * 64)] == timeline.read_anchors(path)


def test_two_anchors_at_one_position_are_both_checked(sqlite_url: str, tmp_path: Any) -> None:
    """An anchors file kept by a routine ``timeline head --append`` (after each import,
    daily) holds a line per run. Once the owner has rewritten history with every hash
    recomputed, the next routine run appends the rewritten head at the same position as
    the honest one before it: verify --anchors must still fail, not check the newest
    line at that position alone."""
    from click.testing import CliRunner

    from timeline.cli import main

    def run(*args: str) -> Any:
        return CliRunner().invoke(main, ["--db", sqlite_url, *args])

    heads = tmp_path / "heads.txt"
    with timeline.open(sqlite_url) as tl:
        record_retracted_claim(tl)
        honest = tl.head()
        assert 0 == run("head", "--append", str(heads)).exit_code
        rewrite_history(tl, sqlite_url, 1, {"casualties": 80})
        assert 1 == run("verify", "--anchors", str(heads)).exit_code
        assert 0 == run("head", "--append", str(heads)).exit_code  # the next day's run
        rewritten = tl.head()
        assert honest[0] == rewritten[0] and honest[1] != rewritten[1]
        assert not tl.verify(anchors=[honest, rewritten]).ok
        assert not tl.verify(anchors=[rewritten, honest]).ok
    out = run("verify", "--anchors", str(heads))
    assert 1 == out.exit_code, out.output
    assert f"anchor at position {honest[0]}: the hash here is {rewritten[1]}" in out.output


def test_anchors_are_checked_as_given() -> None:
    """An anchor is a position and a SHA-256 hash; anything else is refused, naming it."""
    digest = "0f" * 32
    assert (7, digest) == timeline.parse_anchor(f" 7:{digest} ")
    assert (0, "") == timeline.parse_anchor("0:")
    assert f"7:{digest}  # kept" == timeline.anchor_line((7, digest), note="kept")
    assert f"7:{digest}  # a b" == timeline.anchor_line((7, digest), note="a\nb")
    bad_anchors = ("7", "-1:" + digest, "\u0663:" + digest, "7:" + digest.upper(), "1:")
    for bad in (*bad_anchors, (True, digest), [7, digest]):
        with pytest.raises(timeline.InvalidEventError, match=r"^anchor: "):
            timeline.parse_anchor(bad)  # type: ignore[arg-type]


def test_verify_lists_at_most_a_hundred_findings_of_a_part(
    tl: timeline.Timeline, db_url: str
) -> None:
    """A store damaged throughout gives the first hundred findings of each part and one
    more saying how many were left out, not a list as long as the store."""
    record_reports(tl, 130)
    tamper(db_url, "UPDATE timeline_event_actors SET occurred_at = '2000-01-01 00:00:00.000000'")
    result = tl.verify()
    assert 101 == len(result.findings)
    assert [100, 130] == [result.findings[99].position, 130] and result.findings[
        -1
    ].position is None
    assert "actor index: 30 more problems of this part are not listed" == str(result.findings[-1])


@pytest.mark.postgres
def test_a_role_that_may_insert_snapshots_cannot_make_the_owner_use_a_forged_one(
    postgres_url: str,
) -> None:
    """The issue's case: a role with SELECT and INSERT on timeline_snapshots inserts a
    snapshot with a far-future end and a knowledge above any position; the owner's
    state() is the fold of the events, also after new honest events, and verify() names
    the row."""
    with (
        timeline.open(postgres_url, snapshot_interval=5) as owner_tl,
        timeline.open(postgres_url, snapshot_interval=None) as plain,
    ):
        record_reports(owner_tl, 12)
        assert plain.state("US") == owner_tl.state("US")
        role = f"timeline_forger_{uuid.uuid4().hex[:8]}"
        owner = raw_engine(postgres_url)
        try:
            with owner.begin() as conn:
                for statement in (
                    f"CREATE ROLE {role} LOGIN",
                    f"GRANT USAGE ON SCHEMA public TO {role}",
                    f"GRANT SELECT, INSERT ON timeline_snapshots TO {role}",
                    f"GRANT USAGE ON SEQUENCE timeline_snapshots_id_seq TO {role}",
                ):
                    conn.execute(sa.text(statement))
            forger_url = make_url(postgres_url).set(username=role, password=None)
            far = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
            forged(
                forger_url.render_as_string(hide_password=False),
                through_occurred_at=far,
                max_end=far,
                known_position=10**9,
            )
            assert plain.state("US") == owner_tl.state("US")
            record_reports(owner_tl, 3, day=3)
            assert 15 == owner_tl.state("US")["n"]
            assert plain.state("US") == owner_tl.state("US")
            assert "snapshot of 'US' through position " in str(owner_tl.verify())
        finally:
            with owner.begin() as conn:
                conn.execute(sa.text(f"DROP OWNED BY {role}"))
                conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
            owner.dispose()
