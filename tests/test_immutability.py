"""The database itself refuses to change events, and verify() finds rows changed anyway."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import timeline
from timeline.schema import VERSION_TABLE

from helpers import raw_engine, stored_count

INCIDENT = "syria-2017-06"

RAW_CHANGES = [
    "UPDATE timeline_events SET actor = 'Russia' WHERE position = 1",
    "UPDATE timeline_events SET occurred_at = occurred_at",
    "DELETE FROM timeline_events WHERE position = 2",
    "DELETE FROM timeline_events",
    "UPDATE timeline_event_actors SET actor = 'Nobody'",
    "DELETE FROM timeline_event_actors",
]


def record_three(tl: timeline.Timeline) -> None:
    """Three seed events in one incident."""
    tl.record("shootdown", "US", "2017-06-18T18:43+03:00", incident=INCIDENT, targets=["Syria"])
    tl.record("pilot_ejected", "Syrian pilot", "2017-06-18", incident=INCIDENT)
    tl.record("cooperation_suspended", "Russia", "2017-06-19", incident=INCIDENT, targets=["US"])


@pytest.mark.parametrize("statement", RAW_CHANGES)
def test_raw_update_and_delete_are_refused(
    tl: timeline.Timeline, db_url: str, statement: str
) -> None:
    """A raw UPDATE or DELETE on stored events fails in the database, on both backends."""
    record_three(tl)
    engine = raw_engine(db_url)
    try:
        with (
            pytest.raises(sa.exc.DatabaseError, match="events are never updated or deleted"),
            engine.begin() as conn,
        ):
            conn.execute(sa.text(statement))
    finally:
        engine.dispose()
    assert 3 == stored_count(db_url)
    assert tl.verify().ok


@pytest.mark.postgres
def test_truncate_is_refused(postgres_url: str) -> None:
    """PostgreSQL's TRUNCATE, which skips row triggers, is refused too."""
    with timeline.open(postgres_url) as tl:
        record_three(tl)
    engine = raw_engine(postgres_url)
    try:
        with (
            pytest.raises(sa.exc.DatabaseError, match="TRUNCATE on timeline_events refused"),
            engine.begin() as conn,
        ):
            conn.execute(sa.text("TRUNCATE timeline_events CASCADE"))
    finally:
        engine.dispose()
    assert 3 == stored_count(postgres_url)


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


def test_verify_passes_on_an_untouched_store(tl: timeline.Timeline) -> None:
    """verify() checks every event and finds nothing wrong in an untouched store."""
    assert "ok: 0 events verified" == str(tl.verify())
    record_three(tl)
    tl.append([timeline.Event("truce", "Syria", "2017-06-17", incident="daraa")] * 1)
    result = tl.verify()
    assert (True, 4, None) == (result.ok, result.events_checked, result.first_bad_position)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE timeline_events SET actor = 'Russia' WHERE position = 2",
        "UPDATE timeline_events SET data = '{\"casualties\":1}' WHERE position = 2",
        "UPDATE timeline_events SET recorded_at = recorded_at WHERE position = 2",  # no change
        "UPDATE timeline_events SET version = 7 WHERE position = 2",
    ],
)
def test_verify_names_the_first_altered_position(
    tl: timeline.Timeline, db_url: str, statement: str
) -> None:
    """A row altered with the trigger disabled is named by verify()."""
    record_three(tl)
    tamper(db_url, statement)
    result = tl.verify()
    if "recorded_at = recorded_at" in statement:
        assert result.ok  # rewriting a value as itself changes nothing that matters
        return
    assert not result
    assert 2 == result.first_bad_position
    assert 1 == result.events_checked
    assert str(result).startswith("position 2 does not verify: ")


def test_head_anchors_the_chain(tl: timeline.Timeline) -> None:
    """head() gives the newest (position, hash), the anchor to keep outside the database."""
    assert (0, "") == tl.head()
    record_three(tl)
    newest = list(tl.events())[-1]
    assert (3, newest.hash) == tl.head()


@pytest.mark.postgres
def test_an_insert_and_select_role_can_record_and_read_but_not_alter(postgres_url: str) -> None:
    """A PostgreSQL role with the writer grants (INSERT and SELECT, and EXECUTE on
    timeline_begin_append) records and reads, and cannot alter."""
    timeline.upgrade(postgres_url)
    role = f"timeline_writer_{uuid.uuid4().hex[:8]}"
    owner = raw_engine(postgres_url)
    grants = [
        f"CREATE ROLE {role} LOGIN",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT ON timeline_events, timeline_event_actors TO {role}",
        f"GRANT SELECT ON {VERSION_TABLE} TO {role}",
        f"GRANT EXECUTE ON FUNCTION timeline_begin_append() TO {role}",
    ]
    try:
        with owner.begin() as conn:
            for statement in grants:
                conn.execute(sa.text(statement))
        writer_url = make_url(postgres_url).set(username=role, password=None)
        with timeline.open(writer_url) as tl:
            record_three(tl)
            assert 3 == len(list(tl.events()))
            assert tl.verify().ok
        writer = raw_engine(writer_url.render_as_string(hide_password=False))
        refusals = {
            "UPDATE timeline_events SET actor = 'Russia'": "permission denied",
            "DELETE FROM timeline_events": "permission denied",
            "ALTER TABLE timeline_events DISABLE TRIGGER USER": "must be owner",
        }
        try:
            for statement, refusal in refusals.items():
                with pytest.raises(sa.exc.ProgrammingError, match=refusal), writer.begin() as conn:
                    conn.execute(sa.text(statement))
        finally:
            writer.dispose()
        assert 3 == stored_count(postgres_url)
    finally:
        with owner.begin() as conn:
            conn.execute(sa.text(f"DROP OWNED BY {role}"))
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        owner.dispose()
