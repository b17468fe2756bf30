"""A writer is only a writer: on PostgreSQL the database gives each event its place.

A role with the writer grants the README documents may insert rows, but only rows the
library would have written: the position after the newest, the ``recorded_at`` that
``timeline_begin_append()`` read under the append lock, the next version of the incident,
and the hash of its fields chained to the stored hash before it (recomputed in SQL).
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
import uuid
from collections.abc import Iterator
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import timeline
from timeline.events import RecordedEvent, canonical_json, event_content
from timeline.schema import COPY_SETTING, VERSION_TABLE, event_actors, events
from timeline.store import _chain, _named_actors, chain_hash
from timeline.times import isoformat

from helpers import raw_engine, stored_count

pytestmark = pytest.mark.postgres

INCIDENT = "syria-2017-06"


def writer_grants(role: str) -> list[str]:
    """The README's writer grants (section PostgreSQL), for ``role``."""
    return [
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT ON timeline_events, timeline_event_actors TO {role}",
        f"GRANT SELECT ON {VERSION_TABLE} TO {role}",
        f"GRANT EXECUTE ON FUNCTION timeline_begin_append() TO {role}",
    ]


@pytest.fixture
def writer_url(postgres_url: str) -> Iterator[str]:
    """The URL of a fresh store as a new login role with the writer grants; the role
    (cluster-wide) is dropped afterwards."""
    timeline.upgrade(postgres_url)
    role = f"timeline_writer_{uuid.uuid4().hex[:8]}"
    owner = raw_engine(postgres_url)
    try:
        with owner.begin() as conn:
            conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
            for statement in writer_grants(role):
                conn.execute(sa.text(statement))
        yield make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
    finally:
        with owner.begin() as conn:
            conn.execute(sa.text(f"DROP OWNED BY {role}"))
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        owner.dispose()


def seed(url: str) -> tuple[RecordedEvent, dict[str, Any]]:
    """Two honest events; return the newest and the state of Syria known when it was
    recorded (K, a moment now past)."""
    with timeline.open(url, snapshot_interval=None) as tl:
        tl.define("shootdown", {"{target}": {"status": "shot at"}})
        tl.record("shootdown", "US", "2017-06-18", incident=INCIDENT, targets=["Syria"])
        newest = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident=INCIDENT)
        return newest, tl.state("Syria", known_at=newest.recorded_at).to_dict()


def forged(
    after: RecordedEvent, *, recorded_at: dt.datetime, previous: str | None = None, **fields: Any
) -> RecordedEvent:
    """The event after ``after``, as a forger would write it: a valid hash over the fields
    it chose (chained to ``previous``, by default ``after``'s hash)."""
    event = RecordedEvent(
        id=uuid.uuid4(),
        incident=INCIDENT,
        version=after.version + 1,
        position=after.position + 1,
        type="report",
        actor="Iran",
        targets=("Syria",),
        occurred_at=dt.datetime(2017, 6, 18, tzinfo=dt.UTC),
        precision="day",
        data={},
        effects={"Syria": {"status": "forged"}},
        source={},
        recorded_at=recorded_at,
        hash="",
    )
    event = attrs.evolve(event, **fields)
    return attrs.evolve(event, hash=chain_hash(after.hash if previous is None else previous, event))


def index(conn: sa.Connection, event: RecordedEvent) -> None:
    """Write the event's actor index rows, as an append writes them (verify() checks them)."""
    conn.execute(
        event_actors.insert(),
        [
            {"actor": actor, "position": event.position, "occurred_at": event.occurred_at}
            for actor in _named_actors(event)
        ],
    )


def row(event: RecordedEvent) -> dict[str, Any]:
    """The event as a row of timeline_events."""
    values = attrs.asdict(event, recurse=False, filter=lambda a, _: a.eq)  # no read-only fields
    values["targets"] = list(event.targets)
    return values


def insert(url: str, event: RecordedEvent, *, ticket: bool = False, setup: str = "") -> None:
    """Insert ``event`` as a raw row, as the role of ``url``; ``ticket``: after calling
    timeline_begin_append() in the same transaction; ``setup``: a statement run first."""
    engine = raw_engine(url)
    try:
        with engine.begin() as conn:
            if setup:
                conn.execute(sa.text(setup))
            if ticket:
                conn.execute(sa.text("SELECT * FROM timeline_begin_append()"))
            conn.execute(events.insert().values(**row(event)))
    finally:
        engine.dispose()


def begin_append(conn: sa.Connection) -> dt.datetime:
    """Call timeline_begin_append() as the library does; return the ticket's time."""
    return conn.execute(sa.text("SELECT recorded_at FROM timeline_begin_append()")).scalar_one()


def clock(url: str) -> dt.datetime:
    """The server's clock now."""
    engine = raw_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
    finally:
        engine.dispose()


def assert_untouched(url: str, newest: RecordedEvent, known: dict[str, Any]) -> None:
    """Nothing was stored: the same events, the same answer for K, a chain that verifies,
    and an honest append that takes the next place at the server's time."""
    assert newest.position == stored_count(url)
    with timeline.open(url, snapshot_interval=None) as tl:
        tl.define("shootdown", {"{target}": {"status": "shot at"}})
        assert {"status": "shot at"} == known
        assert known == tl.state("Syria", known_at=newest.recorded_at).to_dict()
        assert tl.verify().ok
        before = clock(url)
        after = tl.record("truce", "Syria", "2017-06-20", incident=INCIDENT)
        assert (newest.position + 1, newest.version + 1) == (after.position, after.version)
        assert before <= after.recorded_at <= clock(url)


def test_a_writer_cannot_backdate_a_report(writer_url: str) -> None:
    """Reproduced: a writer inserted a raw row with a valid hash and a recorded_at in the
    past, which changed state(known_at=K) for a K already past. Refused: without
    timeline_begin_append() there is no place to take, and with it the time is the
    server's."""
    newest, known = seed(writer_url)
    backdated = forged(newest, recorded_at=newest.recorded_at)
    with pytest.raises(sa.exc.DatabaseError, match="did not call it"):
        insert(writer_url, backdated)
    with pytest.raises(sa.exc.DatabaseError, match="recorded_at is not the one"):
        insert(writer_url, backdated, ticket=True)
    assert_untouched(writer_url, newest, known)


def test_a_writer_cannot_date_a_report_in_2100(writer_url: str) -> None:
    """Reproduced: a row recorded in 2100 made every later honest append be clamped to
    2100. Refused; the next append is recorded at the server's time."""
    newest, known = seed(writer_url)
    future = forged(newest, recorded_at=dt.datetime(2100, 1, 1, tzinfo=dt.UTC))
    with pytest.raises(sa.exc.DatabaseError, match="recorded_at is not the one"):
        insert(writer_url, future, ticket=True)
    assert_untouched(writer_url, newest, known)


def test_the_copy_setting_is_no_way_around_for_a_writer(writer_url: str) -> None:
    """Anyone may set timeline.copying; a writer who does is still held to the ticket."""
    newest, known = seed(writer_url)
    backdated = forged(newest, recorded_at=newest.recorded_at)
    with pytest.raises(sa.exc.DatabaseError, match="did not call it"):
        insert(writer_url, backdated, setup=f"SET LOCAL {COPY_SETTING} = 'on'")
    assert_untouched(writer_url, newest, known)


@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        ({"position": 4}, "positions 4 to 4 do not follow"),  # a gap
        ({"position": 2}, "duplicate key"),  # a place taken
        ({"version": 5}, "its version does not follow"),
        ({"version": 1, "incident": "elsewhere"}, None),  # a new incident starts at 1
        ({"previous": "0" * 64}, "its hash is not the one"),
        ({"hash": "f" * 64}, "its hash is not the one"),
        ({"data": {"n": 1}, "hash": None}, "its hash is not the one"),  # hash of other data
    ],
)
def test_a_writer_cannot_choose_a_place_or_a_chain_link(
    writer_url: str, change: dict[str, Any], refusal: str | None
) -> None:
    """With a ticket and the ticket's time, a row must still take the next position and
    version and carry the hash of its own fields chained to the stored hash before it; a
    row exactly as the library would write it is taken (a writer writes)."""
    newest, known = seed(writer_url)
    engine = raw_engine(writer_url)
    try:
        with engine.begin() as conn:
            recorded_at = begin_append(conn)
            fields = {k: v for k, v in change.items() if k not in ("previous", "hash")}
            previous = change.get("previous")
            event = forged(newest, recorded_at=recorded_at, previous=previous, **fields)
            if "hash" in change:
                wrong = change["hash"] or chain_hash(newest.hash, attrs.evolve(event, data={}))
                event = attrs.evolve(event, hash=wrong)
            if refusal is None:
                conn.execute(events.insert().values(**row(event)))
                index(conn, event)
            else:
                with pytest.raises(sa.exc.DatabaseError, match=refusal):
                    conn.execute(events.insert().values(**row(event)))
    finally:
        engine.dispose()
    if refusal is None:
        with timeline.open(writer_url) as tl:
            assert event == tl.get(event.id)
            assert tl.verify().ok
        return
    assert_untouched(writer_url, newest, known)


def test_the_owner_appends_through_the_ticket_too(postgres_url: str) -> None:
    """The owner is held to the same rules outside a copy: a raw row without a ticket is
    refused (the owner could disable the trigger, which verify() then catches)."""
    newest, known = seed(postgres_url)
    with pytest.raises(sa.exc.DatabaseError, match="did not call it"):
        insert(postgres_url, forged(newest, recorded_at=newest.recorded_at))
    assert_untouched(postgres_url, newest, known)


TRICKY_NUMBERS = [
    0, -1, 10**30, -(10**40), 0.0, -0.0, 1.0, 1.5, -2.25, 0.1 + 0.2, 1 / 3, 100.0, 1e15,
    1234567890123456.0, 1e16, 1.5e16, 1e22, 1e-4, 1.5e-4, 1e-5, 1.2345e-7, 5e-324,
    2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
    123456789.123456789, 2.0**53 + 2, 2.109793591122499e16, 3.092535278770144e18,
    math.pi * 1e100, -math.e * 1e-100,
]  # fmt: skip


def test_what_the_library_writes_passes_the_check(postgres_url: str) -> None:
    """The canonical JSON recomputed in SQL is the library's for every kind of value:
    numbers of every magnitude (integers as digits, floats as Python's repr), escapes,
    non-ASCII, nested objects and arrays, keys that sort by code point."""
    values = {
        "numbers": TRICKY_NUMBERS,
        "text": [
            'quote " back \\ slash', "tab\tnew\nline\rcr\bbs\fff", "\x01\x1f\x7f",
            "é ’ دمشق 👩‍💻",
        ],
        "nested": {
            "b": [{"z": None, "a": True}, [], {}], "a": {"": False, "é": 1, "Z": 2, "z": [[1]]},
        },
        "\x1f key": "k", "😀": "astral", "\u00e9": "é",
    }  # fmt: skip
    with timeline.open(postgres_url) as tl:
        tl.record(
            "report",
            "US",
            "0999-01-02T03:04:05.000006Z",
            incident=INCIDENT,
            targets=["Syria", "Iran ’s"],
            data=values,
            effects={"Syria": {"a.b": 1.5e300, "c": ["x"]}},
            source={"title": "t\u00e9", "published_at": "2017-06-19"},
            reported_at="2017-06-19T10:00Z",
        )
        first = tl.record("report", "US", "2017-06-18", incident=INCIDENT)
        tl.correct(first.id, data={"n": 2.5})
        tl.retract(first.id, "wrong")
        tl.load(
            timeline.Event("report", "US", "2017-06-18", incident=f"i{n % 3}", data={"x": x})
            for n, x in enumerate(TRICKY_NUMBERS * 40)
        )
        assert tl.verify().ok


def test_stored_json_in_another_form_is_hashed_as_read(writer_url: str) -> None:
    """JSON stored in another form than the library's (spaces, keys out of order, 1.50
    for 1.5, escapes) reads back as the same values, so it is hashed as the library reads
    it: the row is taken and verifies. 1E0 reads back as the float 1.0, not the integer
    1, so it is another value; an object that names a key twice, which the library would
    read as one key, is refused."""
    newest, _ = seed(writer_url)
    forms = [
        ('{ "b" : 1.50, "a" : [1E0, "\\u00e9"] }', "its hash is not the one"),
        ('{"a": 1, "a": [1, "\u00e9"], "b": 1.5}', "names a key twice"),
        ('{ "b" : 1.50, "a" : [1, "\\u00e9"] }', None),
    ]
    for text, refusal in forms:
        engine = raw_engine(writer_url)
        try:
            with engine.begin() as conn:
                event = forged(
                    newest, recorded_at=begin_append(conn), data={"b": 1.5, "a": [1, "\u00e9"]}
                )
                values = {**row(event), "data": sa.cast(sa.literal(text), sa.JSON)}
                if refusal is None:
                    conn.execute(events.insert().values(**values))
                    index(conn, event)
                    continue
                with pytest.raises(sa.exc.DatabaseError, match=refusal):
                    conn.execute(events.insert().values(**values))
        finally:
            engine.dispose()
    with timeline.open(writer_url, snapshot_interval=None) as tl:
        assert event == tl.get(event.id)
        assert tl.verify().ok


def _floats() -> list[str]:
    """Floats of many magnitudes, each as Python writes it and with 17 digits."""
    rng = random.Random(15)
    found = []
    for _ in range(12):
        x = rng.uniform(-1, 1) * 10 ** rng.randint(-6, 17)
        found += [repr(x), f"{x:.17g}"]
    return found


COMPACT_FORMS = [
    '{"b":1,"a":2}', '{"a":{"d":1,"c":2}}', '{"a":1,"a":1}', '{"a":{"c":1,"c":1}}',
    '{"z":1,"é":2}', '{"é":1,"z":2}', '{"aa":1,"b":2}', '{"b":1,"aa":2}',
    '{"a":true,"b":null,"c":false}', '{"x":["b","a"]}', '{"x":[{"b":1,"a":2}]}',
    '{"a":[1,{"c":1,"b":2}]}',
    '{"x":0.1}', '{"x":0.10000000000000001}', '{"x":-0}', '{"x":0}', '{"x":1.50}', '{"x":1.0}',
    '{"x":-0.0}', '{"x":1e-05}', '{"x":1E-05}', '{"x":1e+16}', '{"x":123456789012345.6}',
    '{"x":1234567890123456.7}', '{"x":100000000000000000000.5}', '{"x":0.0001}',
    '{"x":"\\u0041"}', '{"x":"\\u001f"}', '{"x":"\\u001F"}', '{"x":"\\/"}',
    '{"x":"\\t\\u0008"}', '{"x":"a\\"b"}', '{"\\u0041":1}', '{"\\n":1}',
    *(f'{{"x":{number}}}' for number in _floats()),
]  # fmt: skip


def test_json_written_compactly_is_canonical_only_when_it_is(writer_url: str) -> None:
    """The trigger's fast path takes a value as stored only when it is exactly the
    library's canonical JSON: a compact text with keys out of code point order, a key
    twice, another escape or another number form is refused when its hash was made over
    the text as stored (the library would read it as another text), and every text that
    is canonical is taken with that hash."""
    newest, _ = seed(writer_url)
    for text in COMPACT_FORMS:
        canonical = text == canonical_json(json.loads(text))
        engine = raw_engine(writer_url)
        try:
            with engine.begin() as conn:
                event = forged(newest, recorded_at=begin_append(conn), data=json.loads(text))
                content = canonical_json({**event_content(event), "data": "\0"})
                as_stored = content.replace(canonical_json("\0"), text)
                event = attrs.evolve(
                    event,
                    hash=_chain(
                        newest.hash,
                        as_stored,
                        event.version,
                        event.position,
                        isoformat(event.recorded_at),
                    ),
                )
                values = {**row(event), "data": sa.cast(sa.literal(text), sa.JSON)}
                if not canonical:
                    with pytest.raises(sa.exc.DatabaseError, match="refused"):
                        conn.execute(events.insert().values(**values))
                    continue
                assert chain_hash(newest.hash, event) == event.hash
                conn.execute(events.insert().values(**values))
                index(conn, event)
                newest = event
        finally:
            engine.dispose()
    with timeline.open(writer_url, snapshot_interval=None) as tl:
        assert newest == tl.get(newest.id)
        assert tl.verify().ok


def test_revision_0006_upgrades_a_store_in_place_and_keeps_its_writers(postgres_url: str) -> None:
    """A store at 0004 with events and a writer role upgrades in place: its chain verifies,
    the role that could insert is granted the function and keeps appending, and only
    through it."""
    from alembic import command

    from timeline import migrate

    with timeline.open(postgres_url) as tl:
        tl.record("shootdown", "US", "2017-06-18", incident=INCIDENT, targets=["Syria"])
        head = tl.head()
    role = f"timeline_writer_{uuid.uuid4().hex[:8]}"
    owner = raw_engine(postgres_url)
    try:
        with owner.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0004")
        with owner.begin() as conn:
            conn.execute(sa.text(f"CREATE ROLE {role} LOGIN"))
            for statement in writer_grants(role)[:-1]:  # the grants of 0004: no function
                conn.execute(sa.text(statement))
        assert migrate.head_revision() == timeline.upgrade(postgres_url)
        writer = make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
        with timeline.open(writer, snapshot_interval=None) as tl:
            assert head == tl.head()
            after = tl.record("truce", "Syria", "2017-06-20", incident=INCIDENT)
            assert (2, 2) == (after.position, after.version)
            verified = tl.verify()
            assert (True, 2) == (verified.ok, verified.events_checked)
        newest = forged(after, recorded_at=after.recorded_at)
        with pytest.raises(sa.exc.DatabaseError, match="did not call it"):
            insert(writer, newest)
    finally:
        with owner.begin() as conn:
            conn.execute(sa.text(f"DROP OWNED BY {role}"))
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        owner.dispose()


@pytest.mark.parametrize("own", [False, True])
def test_a_writer_cannot_list_an_event_under_an_actor_it_does_not_name(
    writer_url: str, own: bool
) -> None:
    """Reproduced: an INSERT-only writer added actor index rows so that
    events(actor="Iran") listed events that do not name Iran. Refused: an index row must
    be one an append writes, for an event of its own transaction, under an actor that
    event (or the event it mends) names, at its occurred_at."""
    newest, _ = seed(writer_url)
    engine = raw_engine(writer_url)
    try:
        with engine.begin() as conn:
            recorded_at = begin_append(conn)
            event = forged(newest, recorded_at=recorded_at)  # names Iran and Syria
            conn.execute(events.insert().values(**row(event)))
            rows = [{"actor": "Iran", "position": event.position, "occurred_at": event.occurred_at}]
            if own:  # its own event, under an actor it does not name
                rows = [{**rows[0], "actor": "Russia"}]
                refusal = r"\(Russia, 3\) refused: its event does not name that actor"
            else:  # an older event, under an actor this one names
                rows = [{**rows[0], "position": 1}]
                refusal = r"\(Iran, 1\) refused: its event was not appended by this transaction"
            with pytest.raises(sa.exc.DatabaseError, match=refusal):
                conn.execute(event_actors.insert(), rows)
    finally:
        engine.dispose()
    with timeline.open(writer_url, snapshot_interval=None) as tl:
        assert [] == list(tl.events(actor="Iran"))
        assert newest.position == len(list(tl.events()))


def test_revision_0012_reads_the_ticket_in_plpgsql_and_refuses_as_before(
    postgres_url: str,
) -> None:
    """A store at 0010 upgrades in place to 0012, whose ticket function is PL/pgSQL (its
    plan kept for the session): the chain verifies, appends pass, and both triggers still
    refuse by the ticket (no ticket; another recorded_at; an index row of an older
    event); a downgrade puts 0006's SQL function back."""
    from alembic import command

    from timeline import migrate

    def language() -> str:
        with owner.connect() as conn:
            return str(
                conn.execute(
                    sa.text(
                        "SELECT l.lanname FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang "
                        "WHERE p.proname = 'timeline_append_ticket'"
                    )
                ).scalar_one()
            )

    owner = raw_engine(postgres_url)
    try:
        with timeline.open(postgres_url) as tl:
            tl.record("shootdown", "US", "2017-06-18", incident=INCIDENT, targets=["Syria"])
        with owner.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0010")
        assert "sql" == language()
        assert migrate.head_revision() == timeline.upgrade(postgres_url)
        assert "plpgsql" == language()
        with timeline.open(postgres_url, snapshot_interval=None) as tl:
            after = tl.record("truce", "Syria", "2017-06-20", incident=INCIDENT)
            assert (True, 2) == (tl.verify().ok, tl.verify().events_checked)
        with pytest.raises(sa.exc.DatabaseError, match="did not call it"):
            insert(postgres_url, forged(after, recorded_at=after.recorded_at))
        with pytest.raises(sa.exc.DatabaseError, match="not the one timeline_begin_append"):
            insert(postgres_url, forged(after, recorded_at=after.recorded_at), ticket=True)
        with owner.begin() as conn:
            rows = [{"actor": "Iran", "position": 1, "occurred_at": after.occurred_at}]
            begin_append(conn)
            with pytest.raises(sa.exc.DatabaseError, match="not appended by this transaction"):
                conn.execute(event_actors.insert(), rows)
        with owner.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0010")
        assert "sql" == language()
        assert migrate.head_revision() == timeline.upgrade(postgres_url)
        with timeline.open(postgres_url) as tl:
            assert (True, 2) == (tl.verify().ok, tl.verify().events_checked)
    finally:
        owner.dispose()


def test_revision_0013_reads_for_an_append_in_one_call_with_the_callers_rights(
    writer_url: str, postgres_url: str
) -> None:
    """A store at 0012 upgrades in place to 0013, whose ``timeline_open_append`` reads
    the ticket, the versions and the stored ids in one call: a writer appends through it
    (a retried event is found, a wrong expected version refused), it runs with the
    caller's rights (a role without the right to take a ticket gets nothing from it),
    and a downgrade drops it, after which an upgrade puts it back."""
    from alembic import command

    from timeline import migrate
    from timeline.errors import ConcurrencyError

    def defined() -> bool:
        with owner.connect() as conn:
            found = conn.execute(
                sa.text("SELECT 1 FROM pg_proc WHERE proname = 'timeline_open_append'")
            ).first()
            return found is not None

    owner = raw_engine(postgres_url)
    stranger = f"timeline_reader_{uuid.uuid4().hex[:8]}"
    try:
        first, _ = seed(writer_url)
        with owner.begin() as conn:
            command.downgrade(migrate.alembic_config(conn), "0012")
        assert not defined()
        assert migrate.head_revision() == timeline.upgrade(postgres_url)
        assert defined()
        with timeline.open(writer_url, snapshot_interval=None) as tl:
            assert [first] == tl.append([first.to_event()])  # found by id: stored once
            with pytest.raises(ConcurrencyError):
                tl.record("truce", "Syria", "2017-06-20", incident=INCIDENT, expected_version=1)
            after = tl.record("truce", "Syria", "2017-06-20", incident=INCIDENT, expected_version=2)
            assert (3, 3) == (after.version, after.position)
            assert (True, 3) == (tl.verify().ok, tl.verify().events_checked)
        with owner.begin() as conn:
            conn.execute(sa.text(f"CREATE ROLE {stranger} LOGIN"))
            conn.execute(sa.text(f"GRANT USAGE ON SCHEMA public TO {stranger}"))
            conn.execute(sa.text(f"GRANT SELECT ON timeline_events TO {stranger}"))
        url = make_url(postgres_url).set(username=stranger).render_as_string(hide_password=False)
        reader = raw_engine(url)
        try:
            with reader.begin() as conn, pytest.raises(sa.exc.DatabaseError, match="permission"):
                conn.execute(sa.text("SELECT * FROM timeline_open_append('{}', '{}')"))
        finally:
            reader.dispose()
        assert 3 == stored_count(postgres_url)
    finally:
        with owner.begin() as conn:
            if conn.execute(
                sa.text(f"SELECT 1 FROM pg_roles WHERE rolname = '{stranger}'")
            ).first():
                conn.execute(sa.text(f"DROP OWNED BY {stranger}"))
                conn.execute(sa.text(f"DROP ROLE {stranger}"))
        owner.dispose()


def test_an_append_waiting_for_the_lock_reads_what_was_committed_meanwhile(
    postgres_url: str,
) -> None:
    """An append that waits for the append lock reads the incident's version and the
    stored ids after it is granted (``timeline_open_append``'s reads each take their
    snapshot then): an event committed by the holder meanwhile is seen, so the waiting
    append expecting it succeeds with the next version, and its retry of that very event
    is found stored, not written twice."""
    import threading

    newest, _ = seed(postgres_url)
    holder = raw_engine(postgres_url)
    outcome: list[Any] = []
    try:
        with holder.connect() as conn:
            transaction = conn.begin()
            recorded_at = begin_append(conn)  # holds the lock until the commit below
            event = forged(newest, recorded_at=recorded_at)
            conn.execute(events.insert().values(**row(event)))
            index(conn, event)
            retry = event.to_event()

            def append() -> None:
                with timeline.open(postgres_url, snapshot_interval=None) as tl:
                    later = timeline.Event("truce", "Syria", "2017-06-20", incident=INCIDENT)
                    outcome.extend(tl.append([retry, later], expected_version=3))

            waiting = threading.Thread(target=append)
            waiting.start()
            waiting.join(timeout=1.0)
            assert waiting.is_alive()  # waits for the lock
            transaction.commit()
            waiting.join(timeout=60)
        assert [(3, 3), (4, 4)] == [(e.version, e.position) for e in outcome]
        assert event.id == outcome[0].id
        with timeline.open(postgres_url) as tl:
            assert (True, 4) == (tl.verify().ok, tl.verify().events_checked)
    finally:
        holder.dispose()
