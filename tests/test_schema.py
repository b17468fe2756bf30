"""The schema: Alembic creates it, open() checks it, and the metadata never drifts."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

import timeline
from timeline import migrate
from timeline.schema import TICKETS_TABLE, VERSION_TABLE, metadata

from helpers import raw_engine


def test_an_empty_database_gets_the_schema(db_url: str) -> None:
    """open() on an empty database creates the tables at the newest revision."""
    with timeline.open(db_url) as tl:
        assert 0 == tl.incident_version("anything")
    engine = raw_engine(db_url)
    try:
        with engine.connect() as conn:
            assert migrate.head_revision() == migrate.current_revision(conn)
            names = set(sa.inspect(conn).get_table_names())
    finally:
        engine.dispose()
    assert {"timeline_events", "timeline_event_actors", VERSION_TABLE} <= names


def test_upgrade_is_idempotent(db_url: str) -> None:
    """upgrade() on a new or an up-to-date database leaves it at the head revision."""
    assert migrate.head_revision() == timeline.upgrade(db_url)
    assert migrate.head_revision() == timeline.upgrade(db_url)
    with timeline.open(db_url) as tl:
        assert 1 == tl.record("truce", "Syria", "2017-06-17", incident="daraa").position


def test_metadata_matches_the_migrations(db_url: str) -> None:
    """The tables the store queries are exactly the ones the migrations create."""
    timeline.upgrade(db_url)
    engine = raw_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn,
                opts={
                    "version_table": VERSION_TABLE,
                    "compare_type": True,
                    # the append tickets are the PostgreSQL triggers' own table (0006),
                    # which no query of the library reads
                    "include_name": lambda name, type_, parent: (
                        type_ != "table" or (name.startswith("timeline_") and name != TICKETS_TABLE)
                    ),
                },
            )
            differences = compare_metadata(context, metadata)
    finally:
        engine.dispose()
    assert [] == differences


def test_an_older_schema_is_refused_with_the_upgrade_command(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A database behind the library's newest revision is refused; the error says how to fix it."""
    revision = timeline.upgrade(db_url)
    monkeypatch.setattr(migrate, "head_revision", lambda: "0099")
    with pytest.raises(timeline.SchemaVersionError, match="run: timeline db upgrade --db ") as e:
        timeline.open(db_url)
    assert f"at revision {revision}" in str(e.value) and "needs 0099" in str(e.value)


def test_an_unknown_revision_is_refused(db_url: str) -> None:
    """A database made by a newer timeline is refused, asking for a newer package."""
    timeline.upgrade(db_url)
    engine = raw_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text(f"UPDATE {VERSION_TABLE} SET version_num = 'f00d'"))
    finally:
        engine.dispose()
    with pytest.raises(timeline.SchemaVersionError, match="upgrade the timeline package"):
        timeline.open(db_url)


def test_tables_without_a_revision_are_refused(db_url: str) -> None:
    """Someone else's timeline_events table is not taken for ours."""
    engine = raw_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE timeline_events (x INTEGER)"))
    finally:
        engine.dispose()
    with pytest.raises(timeline.SchemaVersionError, match="was not made by timeline"):
        timeline.open(db_url)


def test_a_schema_created_between_the_two_reads_is_taken(
    db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A process that read no revision, then found the tables another process created in
    the meantime (on PostgreSQL each statement sees the newest commit), reads the revision
    again instead of refusing the tables as not made by timeline (found as a rare failure
    of test_processes_opening_an_empty_database_at_once on PostgreSQL)."""
    timeline.upgrade(db_url)
    read = migrate.current_revision
    answers = iter([None])  # the first read comes before the other process's commit
    monkeypatch.setattr(migrate, "current_revision", lambda conn: next(answers, read(conn)))
    engine = raw_engine(db_url)
    try:
        with engine.connect() as conn:
            assert migrate.head_revision() == migrate.check_schema(conn, url=db_url)
    finally:
        engine.dispose()


def test_other_tables_are_left_alone(db_url: str) -> None:
    """An application's own tables (and its own Alembic table) live beside ours."""
    engine = raw_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
            conn.execute(sa.text("INSERT INTO alembic_version VALUES ('app1')"))
        with timeline.open(db_url) as tl:
            tl.record("truce", "Syria", "2017-06-17", incident="daraa")
        with engine.connect() as conn:
            assert (
                "app1" == conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
            )
    finally:
        engine.dispose()


def test_migrations_ship_with_the_package() -> None:
    """The Alembic scripts are found beside the installed package, not the working directory."""
    location = migrate.script_location()
    assert (location / "env.py").is_file()
    assert any((location / "versions").glob("0001_*.py"))


def test_unsupported_and_unreadable_urls_are_refused() -> None:
    """Only SQLite and PostgreSQL URLs are accepted, with an error naming url."""
    with pytest.raises(timeline.InvalidEventError, match=r"^url: 'mysql' is not supported"):
        timeline.open("mysql://root@localhost/test")
    with pytest.raises(timeline.InvalidEventError, match=r"^url: cannot read"):
        timeline.open("not a url")


def test_an_unreachable_database_is_a_store_error(tmp_path: object) -> None:
    """A database that cannot be opened raises StoreError, not a driver exception."""
    with pytest.raises(timeline.StoreError, match="cannot open"):
        timeline.open("sqlite:////nonexistent-dir/deeper/x.db")


def test_revision_0003_upgrades_a_store_with_events(db_url: str) -> None:
    """A store made at 0002 (full indexes on corrects and retracts) upgrades in place to
    the partial indexes, keeping its events, corrections and answers."""
    from alembic import command

    with timeline.open(db_url) as tl:
        first = tl.record("truce", "Syria", "2017-06-17", incident="daraa", targets=["rebels"])
        tl.correct(first.id, occurred_at="2017-06-18")
        tl.record("shootdown", "US", "2017-06-18 18:43 +03:00", incident="s", targets=["Syria"])
        before = [e.id for e in tl.events(actor="Syria")]
    engine = raw_engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0002")
        with engine.connect() as conn:
            assert "0002" == migrate.current_revision(conn)
    finally:
        engine.dispose()
    assert migrate.head_revision() == timeline.upgrade(db_url)
    engine = raw_engine(db_url)
    try:
        with engine.connect() as conn:
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("timeline_events")}
    finally:
        engine.dispose()
    assert {"ix_timeline_events_corrects", "ix_timeline_events_mending"} <= indexes
    with timeline.open(db_url) as tl:
        assert before == [e.id for e in tl.events(actor="Syria")]
        assert tl.verify()
        # the correction still moves the truce to June 18: read through the new indexes
        assert 0 == tl.state("Syria", at="2017-06-17").events_applied
        assert 2 == tl.state("Syria", at="2017-06-18").events_applied


def test_revision_0004_upgrades_a_store_and_its_chain_still_verifies(db_url: str) -> None:
    """A store at 0003 (no reported times) with corrections, a retraction and snapshots
    upgrades in place to 0004: the chain verifies, the answers are the same, its events
    count as reported when recorded, and the snapshot cache starts empty."""
    from alembic import command

    with timeline.open(db_url, snapshot_interval=1) as tl:
        tl.define("truce", {"{actor}": {"truce.{target}": "declared"}})
        first = tl.record("truce", "Syria", "2017-06-17", incident="daraa", targets=["rebels"])
        tl.correct(first.id, occurred_at="2017-06-18")
        gone = tl.record("shootdown", "US", "2017-06-18", incident="s", targets=["Syria"])
        tl.retract(gone.id, "double-counted")
        before = (tl.state("Syria").to_dict(), [e.id for e in tl.events()], tl.head())
    engine = raw_engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0003")
        with engine.connect() as conn:
            assert "0003" == migrate.current_revision(conn)
            columns = {c["name"] for c in sa.inspect(conn).get_columns("timeline_events")}
            assert "reported_at" not in columns
            assert conn.execute(sa.text("SELECT count(*) FROM timeline_snapshots")).scalar()
    finally:
        engine.dispose()
    with pytest.raises(timeline.SchemaVersionError, match="timeline db upgrade"):
        timeline.open(db_url)
    assert migrate.head_revision() == timeline.upgrade(db_url)
    with timeline.open(db_url) as tl:
        tl.define("truce", {"{actor}": {"truce.{target}": "declared"}})
        assert "ok: 4 events verified" == str(tl.verify())
        assert before == (tl.state("Syria").to_dict(), [e.id for e in tl.events()], tl.head())
        assert all(e.reported == (e.recorded_at, "exact") for e in tl.events())
        assert 0 == tl.clear_snapshots()
        assert {"truce.rebels": "declared"} == tl.state("Syria", reported_by="2999-01-01").to_dict()


def test_revision_0007_upgrades_a_store_in_place_and_its_chain_still_verifies(
    db_url: str,
) -> None:
    """A store at 0006 with corrections, a retraction and snapshots upgrades in place to
    0007's slimmer keys: the chain verifies, the answers and the actor index rows are the
    same, and the actor table keeps two B-trees (on SQLite: no rowid; position is the
    events' rowid)."""
    from alembic import command

    def answers(tl: timeline.Timeline) -> Any:
        return (
            tl.state("Syria").to_dict(),
            tl.state("Syria", at="2017-06-17").events_applied,
            [e.id for e in tl.events()],
            [e.id for e in tl.events(actor="Syria")],
            [e.id for e in tl.history("rebels")],
            tl.head(),
        )

    with timeline.open(db_url, snapshot_interval=1) as tl:
        tl.define("truce", {"{actor}": {"truce.{target}": "declared"}})
        first = tl.record("truce", "Syria", "2017-06-17", incident="daraa", targets=["rebels"])
        tl.correct(first.id, occurred_at="2017-06-18", targets=["rebels", "US"])
        gone = tl.record("shootdown", "US", "2017-06-18", incident="s", targets=["Syria"])
        tl.retract(gone.id, "double-counted")
        before = answers(tl)
    engine = raw_engine(db_url)
    try:
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0006")
        with engine.connect() as conn:
            assert "0006" == migrate.current_revision(conn)
            index_rows = conn.execute(
                sa.text("SELECT actor, position FROM timeline_event_actors ORDER BY 1, 2")
            ).all()
    finally:
        engine.dispose()
    assert migrate.head_revision() == timeline.upgrade(db_url)
    engine = raw_engine(db_url)
    try:
        with engine.connect() as conn:
            indexes = {i["name"] for i in sa.inspect(conn).get_indexes("timeline_event_actors")}
            key = sa.inspect(conn).get_pk_constraint("timeline_event_actors")
            assert (
                index_rows
                == conn.execute(
                    sa.text("SELECT actor, position FROM timeline_event_actors ORDER BY 1, 2")
                ).all()
            )
            if conn.dialect.name == "sqlite":
                tables = dict(
                    conn.exec_driver_sql(
                        "SELECT name, sql FROM sqlite_master WHERE type = 'table'"
                    ).all()
                )
                assert tables["timeline_event_actors"].endswith("WITHOUT ROWID")
                assert "position INTEGER NOT NULL" in tables["timeline_events"]
                triggers = set(
                    conn.exec_driver_sql(
                        "SELECT name FROM sqlite_master WHERE type = 'trigger' "
                        "AND tbl_name IN ('timeline_events', 'timeline_event_actors')"
                    ).scalars()
                )
                assert {
                    f"{table}_{kind}"
                    for table in ("timeline_events", "timeline_event_actors")
                    for kind in ("no_update", "no_delete")
                } == triggers
    finally:
        engine.dispose()
    # 0007's unique (position, actor), and 0010's (actor, position) on the way to the head
    assert {
        "ix_timeline_event_actors_position",
        "ix_timeline_event_actors_actor_position",
    } == indexes
    assert ["actor", "occurred_at", "position"] == key["constrained_columns"]
    with timeline.open(db_url) as tl:
        tl.define("truce", {"{actor}": {"truce.{target}": "declared"}})
        checked = tl.verify()
        assert checked.ok
        assert str(checked).startswith("ok: 4 events verified")  # and the snapshots kept
        assert before == answers(tl)
        with pytest.raises(timeline.StoreError, match="refused"), tl._store._write() as conn:
            conn.execute(sa.text("DELETE FROM timeline_event_actors"))


def _sqlite_objects(conn: sa.Connection, kind: str) -> dict[str, str]:
    """SQLite: the names and SQL of the event tables' objects of one kind."""
    return dict(
        conn.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = ? AND tbl_name IN "
            "('timeline_events', 'timeline_event_actors', 'timeline_snapshots')",
            (kind,),
        ).all()
    )


def test_revision_0009_upgrades_a_store_in_place_and_its_chain_still_verifies(
    db_url: str,
) -> None:
    """A store at 0007 with corrections, a retraction and snapshots upgrades in place to
    0009: on SQLite each time column's form is kept by a CHECK constraint instead of
    0005's insert triggers, which refuses another form naming the column; the
    immutability triggers, indexes, answers and chain are as they were; downgrading puts
    the triggers back."""
    from alembic import command

    def answers(tl: timeline.Timeline) -> Any:
        return (
            tl.state("Syria").to_dict(),
            tl.state("Syria", at="2017-06-17").events_applied,
            [e.id for e in tl.events()],
            [e.id for e in tl.events(actor="Syria")],
            [e.id for e in tl.history("rebels")],
            tl.head(),
        )

    with timeline.open(db_url, snapshot_interval=1) as tl:
        tl.define("truce", {"{actor}": {"truce.{target}": "declared"}})
        first = tl.record("truce", "Syria", "2017-06-17", incident="daraa", targets=["rebels"])
        tl.correct(first.id, occurred_at="2017-06-18", targets=["rebels", "US"])
        gone = tl.record("shootdown", "US", "2017-06-18", incident="s", targets=["Syria"])
        tl.retract(gone.id, "double-counted")
        before = answers(tl)
    engine = raw_engine(db_url)
    sqlite = engine.dialect.name == "sqlite"
    try:
        with engine.connect() as conn:
            indexes = _sqlite_objects(conn, "index") if sqlite else {}
            triggers = _sqlite_objects(conn, "trigger") if sqlite else {}
            rows = conn.execute(
                sa.text("SELECT actor, position, occurred_at FROM timeline_event_actors")
            ).all()
        with engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0007")
        with engine.connect() as conn:
            assert "0007" == migrate.current_revision(conn)
            if sqlite:
                assert not any("CHECK" in sql for sql in _sqlite_objects(conn, "table").values())
                assert {
                    f"{table}_time_form"
                    for table in ("timeline_events", "timeline_event_actors", "timeline_snapshots")
                } == set(_sqlite_objects(conn, "trigger")) - set(triggers)
    finally:
        engine.dispose()
    assert migrate.head_revision() == timeline.upgrade(db_url)
    engine = raw_engine(db_url)
    try:
        with engine.connect() as conn:
            assert (
                rows
                == conn.execute(
                    sa.text("SELECT actor, position, occurred_at FROM timeline_event_actors")
                ).all()
            )
            if sqlite:
                assert triggers == _sqlite_objects(conn, "trigger")  # immutability only
                assert not any(name.endswith("_time_form") for name in triggers)
                assert indexes == _sqlite_objects(conn, "index")
                tables = _sqlite_objects(conn, "table")
                for table, columns in (
                    ("timeline_events", ("occurred_at", "recorded_at", "reported_at")),
                    ("timeline_event_actors", ("occurred_at",)),
                    ("timeline_snapshots", ("through_occurred_at", "max_end", "created_at")),
                ):
                    for column in columns:
                        assert f'"{column}: a time is not stored as' in tables[table]
                assert tables["timeline_event_actors"].endswith("WITHOUT ROWID")
        if sqlite:
            with (
                pytest.raises(
                    sa.exc.IntegrityError,
                    match=r"CHECK constraint failed: occurred_at: a time is not stored as "
                    r"YYYY-MM-DD HH:MM:SS\.ffffff \(UTC\)",
                ),
                engine.begin() as conn,
            ):
                conn.exec_driver_sql(
                    "INSERT INTO timeline_event_actors (actor, position, occurred_at) "
                    "VALUES ('Iraq', 1, '2017-06-18T00:00:00.000000')"
                )
    finally:
        engine.dispose()
    with timeline.open(db_url) as tl:
        tl.define("truce", {"{actor}": {"truce.{target}": "declared"}})
        checked = tl.verify()
        assert checked.ok
        assert str(checked).startswith("ok: 4 events verified")  # and the snapshots kept
        assert before == answers(tl)
        tl.record("truce", "Syria", "2017-06-19", incident="daraa", targets=["US"])
        assert tl.verify().ok
        with pytest.raises(timeline.StoreError, match="refused"), tl._store._write() as conn:
            conn.execute(sa.text("DELETE FROM timeline_event_actors"))


def test_revision_0009_keeps_a_time_stored_in_another_form_for_verify_to_name(
    sqlite_url: str,
) -> None:
    """A time stored in another text form before the insert triggers of 0005 (made here
    by hand at 0007) does not stop the upgrade to 0009: the row is copied as it was, and
    verify() names it, as it did before."""
    with timeline.open(sqlite_url) as tl:
        tl.record("truce", "Syria", "2017-06-17", incident="daraa", targets=["rebels"])
    timeline_engine = raw_engine(sqlite_url)
    try:
        from alembic import command

        with timeline_engine.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0007")
        with timeline_engine.begin() as conn:
            for trigger in ("time_form", "no_update"):
                conn.exec_driver_sql(f"DROP TRIGGER timeline_event_actors_{trigger}")
            conn.exec_driver_sql(
                "UPDATE timeline_event_actors SET occurred_at = replace(occurred_at, ' ', 'T') "
                "WHERE actor = 'rebels'"
            )
    finally:
        timeline_engine.dispose()
    assert migrate.head_revision() == timeline.upgrade(sqlite_url)
    with timeline.open(sqlite_url) as tl:
        [finding] = tl.verify().findings
        assert ("actor index", 1) == (finding.part, finding.position)
        assert "'2017-06-17T00:00:00.000000' is not in the stored form" in finding.problem


def test_revision_0008_upgrades_a_store_in_place_and_its_chain_still_verifies(
    db_url: str,
) -> None:
    """A store at 0007 (on PostgreSQL: 0006's insert checks) upgrades in place to 0008's
    cheaper checks: the chain verifies and appends of every kind pass them; a downgrade
    puts 0006's checks back, and upgrading again works on."""
    from alembic import command

    def fill(tl: timeline.Timeline, day: str) -> None:
        first = tl.record(
            "truce", "Syria", day, incident="daraa", targets=["rebels"],
            data={"b": [1.5, {"y": None, "x": "é"}], "a": 0.1}, effects={"Syria": {"k": 1e-7}},
        )  # fmt: skip
        tl.correct(first.id, targets=["rebels", "US"])
        gone = tl.record("shootdown", "US", day, incident="s", targets=["Syria"])
        tl.retract(gone.id, "double-counted")

    def revision_to(target: str) -> None:
        engine = raw_engine(db_url)
        try:
            with engine.begin() as conn:
                command.downgrade(migrate.alembic_config(conn), target)
            with engine.connect() as conn:
                assert target == migrate.current_revision(conn)
        finally:
            engine.dispose()

    with timeline.open(db_url) as tl:
        fill(tl, "2017-06-17")
    revision_to("0007")
    assert migrate.head_revision() == timeline.upgrade(db_url)
    with timeline.open(db_url) as tl:
        assert tl.verify().ok
        fill(tl, "2017-06-18")
        checked = tl.verify()
        assert (True, 8) == (checked.ok, checked.events_checked)
    revision_to("0007")
    if db_url.startswith("postgresql"):
        engine = raw_engine(db_url)
        try:
            with engine.connect() as conn:
                body = conn.execute(
                    sa.text("SELECT prosrc FROM pg_proc WHERE proname = 'timeline_check_appended'")
                ).scalar_one()
        finally:
            engine.dispose()
        assert "timeline_event_hash(" in body  # 0006's check is back
    assert migrate.head_revision() == timeline.upgrade(db_url)
    with timeline.open(db_url) as tl:
        fill(tl, "2017-06-19")
        assert (True, 12) == (tl.verify().ok, tl.verify().events_checked)
