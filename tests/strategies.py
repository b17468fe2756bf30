"""Hypothesis strategies shared by the property tests: valid events and their parts."""

from __future__ import annotations

import calendar
import datetime as dt
import re
import unicodedata
import uuid
from collections.abc import Iterable

from hypothesis import strategies as st

import timeline
from timeline.events import INVISIBLE_FILLERS, SOURCE_FIELDS
from timeline.times import unit_start

names = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cc", "Cs", "Cf", "Zs", "Zl", "Zp"),
        blacklist_characters=INVISIBLE_FILLERS,
    ),
    min_size=1,
    max_size=30,
).map(lambda name: unicodedata.normalize("NFC", name))
"""Actor and incident names: visible text without white space, in NFC (the form names are
stored in)."""

type_names = st.from_regex(r"\A[a-z][a-z0-9]{0,10}(_[a-z0-9]{1,8}){0,3}\Z")

json_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | json_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(json_text, children, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(json_text, json_values, max_size=5)

moments = st.datetimes(
    min_value=dt.datetime(1900, 1, 1),
    max_value=dt.datetime(2100, 1, 1),
    timezones=st.sampled_from(
        [
            dt.UTC,
            dt.timezone(dt.timedelta(hours=3)),
            dt.timezone(dt.timedelta(hours=-5, minutes=-30)),
        ]
    ),
)
precisions = st.sampled_from(timeline.PRECISIONS)


def nested(paths: Iterable[str]) -> bool:
    """Whether two of the dotted ``paths`` are one and a path inside it (``a``, ``a.b``),
    which one object of effects may not hold."""
    split = [tuple(p.split(".")) for p in paths]
    return any(a != b and b[: len(a)] == a for a in split for b in split)


def dollar_free(value: object) -> bool:
    """Whether no object inside ``value`` has a key starting with ``$``."""
    if isinstance(value, dict):
        return all(not k.startswith("$") and dollar_free(v) for k, v in value.items())
    if isinstance(value, list):
        return all(dollar_free(v) for v in value)
    return True


attribute_paths = st.from_regex(r"\A[a-z]{1,8}(\.[A-Za-z]{1,6}){0,2}\Z")
path_parts = st.from_regex(r"\A[A-Za-z_][A-Za-z0-9_-]{0,6}\Z")
effect_values = st.recursive(
    json_values.filter(lambda v: not isinstance(v, dict) and dollar_free(v)),
    lambda children: st.dictionaries(path_parts, children, max_size=3),
    max_leaves=8,
) | st.builds(
    lambda n: {"$inc": n},
    st.integers(-100, 100) | st.floats(allow_nan=False, allow_infinity=False),
)
"""What an effect may set a path to: any JSON value without ``$`` keys (an object's
keys are paths below), or an operator."""

effects = st.dictionaries(
    names,
    st.dictionaries(attribute_paths, effect_values, max_size=3).filter(lambda c: not nested(c)),
    max_size=2,
)

sources = st.fixed_dictionaries(
    {},
    optional={
        "title": json_text,
        "url": json_text,
        "publisher": json_text,
        "published_at": st.builds(
            lambda moment, day: moment.date().isoformat() if day else moment.isoformat(),
            st.datetimes(
                min_value=dt.datetime(1900, 1, 1),
                max_value=dt.datetime(2100, 1, 1),
                timezones=st.just(dt.UTC),
            ),
            st.booleans(),
        ),
        "quote": json_text,
    },
)


def aligned(moment: dt.datetime, precision: str | None) -> dt.datetime:
    """``moment`` moved to the start of its unit of ``precision`` (a precision given with
    a time must start with it), in UTC days; unchanged without a precision."""
    return moment if precision is None else unit_start(moment, precision)


@st.composite
def events(draw: st.DrawFn, incident: str | None = None) -> timeline.Event:
    """Any valid event."""
    precision = draw(st.none() | precisions)
    reported = draw(st.none() | moments)
    reported_precision = None if reported is None else draw(st.none() | precisions)
    return timeline.Event(
        draw(type_names),
        draw(names),
        aligned(draw(moments), precision),
        incident=incident if incident is not None else draw(names),
        targets=draw(st.lists(names, max_size=3, unique=True)),
        data=draw(json_objects),
        effects=draw(effects),
        precision=precision,
        source=draw(sources),
        reported_at=None if reported is None else aligned(reported, reported_precision),
        reported_precision=reported_precision,
    )


# -- histories for the rules of time --------------------------------------------------------

ACTORS = ("Russia", "U.S.", "U")
"""The actors of generated histories: a name with dots, and one that is a part of it."""
ATTRIBUTES = ("coop", "air.count", "air", "status", "coop.U")
JUNE_2017 = dt.datetime(2017, 6, 1, tzinfo=dt.UTC)

small_values = (
    st.integers(-3, 3)
    | st.sampled_from(["active", "suspended", None])
    | st.builds(lambda n: {"$inc": n}, st.integers(-2, 2))
    | st.builds(lambda v: {"x": v}, st.integers(0, 2))
)
small_effects = st.dictionaries(
    st.sampled_from(ACTORS),
    st.dictionaries(st.sampled_from(ATTRIBUTES), small_values, min_size=1, max_size=2).filter(
        lambda changes: not nested(changes)
    ),
    max_size=2,
)

TEMPLATE_PATHS = ("coop.{target}", "coop", "air.count", "air", "by.{actor}", "{target}.seen", "n")
template_values = (
    st.integers(-3, 3)
    | st.sampled_from(["active", "suspended", "by {actor}", "{target}", None])
    | st.builds(lambda n: {"$inc": n}, st.integers(-2, 2))
    | st.builds(lambda v: {"{target}": v, "x": 1}, st.integers(0, 2))
)
template_parts = st.dictionaries(
    st.sampled_from(TEMPLATE_PATHS), template_values, min_size=1, max_size=3
).filter(lambda changes: not nested(changes))
templates = st.fixed_dictionaries(
    {},
    optional={
        type_: st.fixed_dictionaries(
            {}, optional={"{actor}": template_parts, "{target}": template_parts}
        ).filter(bool)
        for type_ in ("report", "cooperation_suspended", "shootdown")
    },
)
"""Effect templates for the types of generated histories, ``{type: template}``: parts
for ``{actor}`` and ``{target}``, paths and values that mention either (an ``{actor}``
part mentioning ``{target}`` applies once per target), nested paths, operators. With
the dotted names of :data:`ACTORS`, some changes cannot apply and become problems."""

history_precisions = st.sampled_from(["exact", "minute", "hour", "day"])
reported_times = st.none() | st.builds(
    lambda hour, form: form(JUNE_2017 + dt.timedelta(hours=hour)),
    st.integers(0, 12 * 24),
    st.sampled_from(
        [
            lambda m: m,  # a datetime: exact
            lambda m: m.strftime("%Y-%m-%dT%HZ"),  # an hour
            lambda m: m.date().isoformat(),  # a day
        ]
    ),
)
"""A reported time in June 2017 (an instant, an hour or a day), or none (the recorded
time)."""


@st.composite
def histories(
    draw: st.DrawFn, min_size: int = 1, max_size: int = 8, reported: bool = False
) -> list[timeline.Event]:
    """Events of one incident over three actors, each starting at its own moment of June
    2017 (so that the order in valid time does not depend on the order of recording):
    the start of its hour or day for those precisions, of its minute for the others;
    where that start is taken, its minute and 30 seconds, exact. With ``reported``, each
    may have a reported time of its own."""
    minutes = draw(
        st.lists(st.integers(0, 10 * 24 * 60), min_size=min_size, max_size=max_size, unique=True)
    )
    events = []
    starts: set[dt.datetime] = set()
    for minute in minutes:
        actor = draw(st.sampled_from(ACTORS))
        precision = draw(history_precisions)
        start = aligned(JUNE_2017 + dt.timedelta(minutes=minute), precision)
        if start in starts:
            precision, start = "exact", JUNE_2017 + dt.timedelta(minutes=minute, seconds=30)
        starts.add(start)
        events.append(
            timeline.Event(
                draw(st.sampled_from(["report", "cooperation_suspended", "shootdown"])),
                actor,
                start,
                incident="syria-2017-06",
                targets=draw(
                    st.lists(
                        st.sampled_from([a for a in ACTORS if a != actor]), max_size=2, unique=True
                    )
                ),
                precision=precision,
                effects=draw(small_effects),
                **_reported(draw(reported_times) if reported else None),
            )
        )
    return events


corrected_times = st.builds(
    lambda minute, precision: (
        {"occurred_at": JUNE_2017 + dt.timedelta(minutes=minute, seconds=30)}
        if precision is None
        else {
            "occurred_at": aligned(JUNE_2017 + dt.timedelta(minutes=minute), precision),
            "precision": precision,
        }
    ),
    st.integers(0, 10 * 24 * 60),
    st.none() | history_precisions,
)
"""The time fields of a correction: an exact time (at 30 seconds past a minute), or a
time with a precision that it starts."""


def _reported(drawn: object) -> dict[str, object]:
    return {} if drawn is None else {"reported_at": drawn}


def questions(events: list[timeline.Event]) -> list[object]:
    """Moments worth asking about: each event's start, just before it, its end, its day."""
    asked: list[object] = [None]
    for event in events:
        asked += [
            event.occurred_at,
            event.occurred_at - dt.timedelta(microseconds=1),
            event.occurred_until,
            event.occurred_at.date(),
        ]
    return asked


@st.composite
def operations(draw: st.DrawFn, reported: bool = False) -> list[tuple[str, object]]:
    """A recording session: batches of events, some recorded late (far in the past),
    corrections and retractions of events recorded before them; with ``reported``, each
    event, correction and retraction may have a reported time of its own."""
    ops: list[tuple[str, object]] = []
    count = 0
    for _ in range(draw(st.integers(2, 6))):
        kind = draw(
            st.sampled_from(["append", "append", "correct", "retract"])
            if count
            else st.just("append")
        )
        if kind == "append":
            batch = draw(histories(min_size=1, max_size=4, reported=reported))
            ops.append(("append", batch))
            count += len(batch)
        elif kind == "correct":
            fields = draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "effects": small_effects,
                        "actor": st.sampled_from(ACTORS),
                    },
                )
            )
            # a new time, with or without a precision that it starts
            fields.update(draw(st.none() | corrected_times) or {})
            if not fields:
                fields["actor"] = draw(st.sampled_from(ACTORS))
            if reported:
                fields.update(_reported(draw(reported_times)))
            ops.append(("correct", (draw(st.integers(0, count - 1)), fields)))
        else:
            when = draw(reported_times) if reported else None
            ops.append(("retract", (draw(st.integers(0, count - 1)), when)))
    return ops


# -- hostile input ----------------------------------------------------------------------------

SQL_FRAGMENTS = (
    "'", "''", '"', ";", "--", "/*", "*/", "\\", "\\'", "%", "_", "?", ":actor", "$1", "$$",
    "%s", "%(actor)s", "{actor}", "`", "(", ")", "=", "*", "' OR '1'='1", "\\u0000",
    "'; DROP TABLE timeline_events; --", "Robert'); DELETE FROM timeline_events;--",
    "U&'\\0041'", "E'\\x27'", "NULL", "’", "“",
)  # fmt: skip
"""Pieces of text that mean something to SQL, to drivers' parameter styles or to LIKE."""

sql_names = (
    st.lists(
        st.sampled_from(SQL_FRAGMENTS) | st.text(alphabet="Aa1 -.", min_size=1, max_size=3),
        min_size=1,
        max_size=6,
    )
    .map(lambda parts: "".join(parts).strip())
    .filter(lambda name: 0 < len(name) <= 200)
)
"""Valid actor and incident names made of SQL meta-characters."""

sql_text = st.lists(
    st.sampled_from((*SQL_FRAGMENTS, "\n", "\r\n", "\t", "\x1b[31m", "\x7f", " ")) | json_text,
    max_size=6,
).map("".join)
"""Text for JSON fields (data, effects, source): SQL meta-characters and control
characters, which JSON can hold (all but NUL)."""


class Opaque:
    """An object that is nothing JSON or SQL knows."""

    def __repr__(self) -> str:
        return "Opaque()"


non_text = st.one_of(
    st.none(),
    st.integers(),
    st.floats(),
    st.booleans(),
    st.binary(max_size=6),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sets(st.integers(), max_size=2),
    st.builds(Opaque),
    st.dates(),
)
"""Values of every type but text (where text is wanted)."""

control_characters = st.characters(categories=("Cc", "Cs"))

invisible_characters = st.characters(
    categories=("Cf", "Zl", "Zp"), exclude_characters="\u200c\u200d"
) | st.sampled_from(sorted(INVISIBLE_FILLERS))
"""Characters that would make look-alike names: format characters (bidirectional
controls, zero-width space, ...) but the joiners, line and paragraph separators, and the
Hangul fillers."""

misplaced_joiners = st.builds(
    lambda a, joiner, b: a + joiner + b,
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=5),
    st.sampled_from(["\u200c", "\u200d"]),
    st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=5),
)
"""A zero-width joiner or non-joiner inside a Latin name, where no script needs it."""

bad_names = st.one_of(
    non_text,
    st.just(""),
    st.text(min_size=201, max_size=260),
    st.builds(lambda name, space: space + name, names, st.sampled_from(" \t\n\u00a0\u2003")),
    st.builds(lambda name, space: name + space, names, st.sampled_from(" \t\n\u3000")),
    st.builds(lambda a, c, b: a + c + b, names, control_characters, names),
    st.builds(lambda a, c, b: a + c + b, names, invisible_characters, names),
    misplaced_joiners,
)
"""What cannot name an actor or an incident: not text, empty, over 200 characters, white
space at an end, or a control character (NUL included), lone surrogate, invisible or
reordering character, or misplaced joiner inside."""

bad_type_names = non_text | st.text(max_size=120).filter(
    lambda text: len(text) > 100 or not re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*", text)
)
"""What is not a snake_case event type of at most 100 characters."""


@st.composite
def impossible_dates(draw: st.DrawFn) -> str:
    """Text of a date or time that no calendar has: day 0 or past the month's end, month
    0 or over 12, hour over 23, minute or second over 59."""
    year = draw(st.integers(1000, 9999))
    month = draw(st.integers(1, 12))
    last = calendar.monthrange(year, month)[1]
    which = draw(st.sampled_from(["day", "month", "hour", "minute", "second"]))
    day = draw(st.integers(1, last))
    hour, minute, second = draw(st.integers(0, 23)), draw(st.integers(0, 59)), 0
    if which == "day":
        day = draw(st.sampled_from([0, *range(last + 1, 100)]))
    elif which == "month":
        month = draw(st.sampled_from([0, *range(13, 100)]))
    elif which == "hour":
        hour = draw(st.integers(24, 99))
    elif which == "minute":
        minute = draw(st.integers(60, 99))
    else:
        second = draw(st.integers(60, 99))
    if which in ("day", "month") and draw(st.booleans()):
        return f"{year:04d}-{month:02d}-{day:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:{second:02d}Z"


bad_times = st.one_of(
    st.datetimes(),  # naive: refused without a default zone
    st.datetimes().map(lambda moment: moment.isoformat(sep=" ", timespec="minutes")),
    impossible_dates(),
    non_text.filter(lambda value: not isinstance(value, dt.date)),
    st.sampled_from([float("nan"), float("inf"), "NaN", "inf", "", "  ", "now", "June 18"]),
)
"""Moments that are refused: naive, impossible, not a moment at all."""

non_json = st.one_of(
    st.sets(st.integers(), max_size=3),
    st.frozensets(st.text(max_size=3), max_size=3),
    st.binary(max_size=6),
    st.builds(bytearray, st.binary(max_size=6)),
    st.builds(Opaque),
    st.complex_numbers(),
    st.decimals(allow_nan=False),
    st.datetimes(),
    st.uuids(),
    st.sampled_from([float("nan"), float("inf"), float("-inf")]),
    st.builds(lambda a, b: a + "\x00" + b, json_text, json_text),
    st.builds(lambda a, b: a + "\ud800" + b, json_text, json_text),
    st.dictionaries(
        st.integers() | st.none() | st.tuples(st.integers()), st.integers(), min_size=1
    ),
)
"""Values that JSON cannot hold, or that a database cannot store as JSON text."""

bad_json_objects = st.builds(
    lambda key, value: {key: value},
    json_text,
    st.recursive(
        non_json,
        lambda inner: (
            st.builds(lambda key, value: {key: value}, json_text, inner)
            | st.builds(
                lambda before, value: [*before, value], st.lists(json_values, max_size=2), inner
            )
        ),
        max_leaves=3,
    ),
)
"""JSON-like objects with one non-JSON value somewhere inside."""

bad_targets = st.one_of(
    non_text.filter(lambda value: value is not None and not isinstance(value, list)),
    bad_names.filter(lambda value: isinstance(value, str)),
    st.lists(bad_names, min_size=1, max_size=2),
    names.map(lambda name: [name, name]),
)
"""Targets that are refused: not a list of names, a bad name, a name twice."""

bad_effects = st.one_of(
    non_text.filter(lambda value: value is not None and not isinstance(value, dict)),
    st.builds(
        lambda actor, value: {actor: value},
        names,
        non_text.filter(lambda value: not isinstance(value, dict)),
    ),
    bad_names.filter(lambda name: isinstance(name, str)).map(lambda name: {name: {"x": 1}}),
    st.builds(
        lambda actor, path: {actor: {path: 1}},
        names,
        st.sampled_from(["", ".", "a.", ".a", "a..b", "$inc", "army.$inc"]),
    ),
    st.builds(
        lambda actor, n: {actor: {"count": {"$inc": n}}},
        names,
        st.text(max_size=3) | st.none() | st.booleans() | st.lists(st.integers(), max_size=1),
    ),
    st.builds(
        lambda actor, op: {actor: {"count": {op: 1}}},
        names,
        st.sampled_from(["$set", "$", "$INC"]),
    ),
    st.builds(
        lambda actor, op, where: {actor: {"alert": where({op: 1})}},
        names,
        st.sampled_from(["$inc", "$max", "$"]),
        st.sampled_from(
            [
                lambda v: {"level": v},
                lambda v: [v],
                lambda v: {**v, "level": 1},
                lambda v: {"a": [v]},
            ]
        ),
    ),
    st.builds(
        lambda actor, pair: {actor: dict(pair)},
        names,
        st.permutations([("army.size", 5), ("army", None)]),
    ),
    st.builds(lambda actor: {actor: {"army": {"size": 5, "size.men": 3}}}, names),
    st.builds(lambda actor, bad: {actor: bad}, names, bad_json_objects),
)
"""Effects that are refused: not ``{actor: {path: value}}``, a bad actor name or path, an
unknown or ill-fed operator, a ``$`` key inside a value, a path beside a path inside it, a
non-JSON value."""

bad_sources = st.one_of(
    non_text.filter(lambda value: value is not None and not isinstance(value, dict)),
    st.builds(
        lambda key, value: {key: value},
        json_text.filter(lambda key: key not in SOURCE_FIELDS),
        json_text,
    ),
    st.builds(
        lambda key, value: {key: value},
        st.sampled_from(["title", "url", "publisher", "quote"]),
        non_text.filter(lambda value: value is not None) | non_json,
    ),
)
"""Provenance that is refused: not an object, an unknown field, a field that is not text."""

bad_precisions = non_text.filter(lambda value: value is not None) | st.text(max_size=8).filter(
    lambda text: text not in timeline.PRECISIONS
)
bad_ids = non_text.filter(lambda value: value is not None) | st.text(max_size=40).filter(
    lambda text: not _is_uuid(text)
)
bad_expected_versions = st.one_of(
    st.integers(max_value=-1),
    st.floats(),
    st.booleans(),
    st.text(max_size=3),
    st.binary(max_size=3),
    st.builds(Opaque),
    st.builds(lambda v: {"syria-2017-06": v}, st.integers(max_value=-1) | st.text(max_size=2)),
    st.builds(lambda name: {name: 0}, bad_names.filter(lambda name: isinstance(name, str))),
)


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


BAD_RECORD_ARGUMENTS = {
    "type": bad_type_names,
    "actor": bad_names,
    "at": bad_times,
    "incident": bad_names,
    "targets": bad_targets,
    "data": bad_json_objects | non_text.filter(lambda v: v is not None and not isinstance(v, dict)),
    "effects": bad_effects,
    "precision": bad_precisions,
    "source": bad_sources,
    "id": bad_ids,
    "expected_version": bad_expected_versions,
}
"""For each argument of ``Timeline.record``, values it must refuse."""

FIELD_OF_ARGUMENT = {"at": "occurred_at"}
"""The event field an argument of ``record`` is named by in errors, when they differ."""


@st.composite
def bad_record_calls(draw: st.DrawFn) -> tuple[str, dict[str, object]]:
    """One bad argument of ``Timeline.record`` among good ones: ``(field, arguments)``."""
    argument = draw(st.sampled_from(sorted(BAD_RECORD_ARGUMENTS)))
    value = draw(BAD_RECORD_ARGUMENTS[argument])
    arguments: dict[str, object] = {
        "type": "shootdown",
        "actor": "US",
        "at": "2017-06-18T18:43+03:00",
        "incident": "syria-2017-06",
        argument: value,
    }
    return FIELD_OF_ARGUMENT.get(argument, argument), arguments


# -- CSV read by spreadsheets ------------------------------------------------------------------

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "'", "'=", "''", "==", "=-")
"""Beginnings that a spreadsheet runs as a formula, or that look like the ``'`` put before
one."""

formula_text = st.builds(
    lambda start, rest: start + rest, st.sampled_from(FORMULA_STARTS), json_text
)
"""Text a spreadsheet would run, or that starts with a quote."""

formula_names = st.builds(
    lambda start, name: start + name,
    st.sampled_from([s for s in FORMULA_STARTS if not s[0].isspace()]),
    names,
)
"""Names that start as a formula (``=cmd|' /C calc'!A0``) or with a quote."""


@st.composite
def formula_events(draw: st.DrawFn) -> timeline.Event:
    """A valid event whose actor, incident and targets may start as a formula."""
    event = draw(events())
    actor = draw(formula_names | names)
    return timeline.Event(
        event.type,
        actor,
        event.occurred_at,
        incident=draw(formula_names | names),
        targets=draw(
            st.lists(formula_names | names, max_size=3, unique=True).filter(
                lambda targets: actor not in targets
            )
        ),
        data={**event.data, "cell": draw(formula_text)},
        effects=event.effects,
        precision=event.precision,
        source=event.source,
        reported_at=event.reported_at,
        reported_precision=event.reported_precision,
    )
