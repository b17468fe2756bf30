"""Hypothesis strategies shared by the property tests: valid events and their parts."""

from __future__ import annotations

import datetime as dt

from hypothesis import strategies as st

import timeline

names = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")),
    min_size=1,
    max_size=30,
)
"""Actor and incident names: printable text without white space at the ends."""

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

effects = st.dictionaries(
    names,
    st.dictionaries(
        st.from_regex(r"\A[a-z]{1,8}(\.[A-Za-z]{1,6}){0,2}\Z"),
        json_values.filter(lambda v: not (isinstance(v, dict) and any(k[:1] == "$" for k in v)))
        | st.builds(lambda n: {"$inc": n}, st.integers(-100, 100)),
        max_size=3,
    ),
    max_size=2,
)

sources = st.fixed_dictionaries(
    {},
    optional={
        "title": json_text,
        "url": json_text,
        "publisher": json_text,
        "published_at": json_text,
        "quote": json_text,
    },
)


@st.composite
def events(draw: st.DrawFn, incident: str | None = None) -> timeline.Event:
    """Any valid event."""
    return timeline.Event(
        draw(type_names),
        draw(names),
        draw(moments),
        incident=incident if incident is not None else draw(names),
        targets=draw(st.lists(names, max_size=3, unique=True)),
        data=draw(json_objects),
        effects=draw(effects),
        precision=draw(st.none() | precisions),
        source=draw(sources),
    )


# -- histories for the rules of time --------------------------------------------------------

ACTORS = ("Russia", "US", "Syria")
ATTRIBUTES = ("coop", "air.count", "air", "status")
JUNE_2017 = dt.datetime(2017, 6, 1, tzinfo=dt.UTC)

effect_values = (
    st.integers(-3, 3)
    | st.sampled_from(["active", "suspended", None])
    | st.builds(lambda n: {"$inc": n}, st.integers(-2, 2))
    | st.builds(lambda v: {"x": v}, st.integers(0, 2))
)
small_effects = st.dictionaries(
    st.sampled_from(ACTORS),
    st.dictionaries(st.sampled_from(ATTRIBUTES), effect_values, min_size=1, max_size=2),
    max_size=2,
)
history_precisions = st.sampled_from(["exact", "minute", "hour", "day"])


@st.composite
def histories(draw: st.DrawFn, min_size: int = 1, max_size: int = 8) -> list[timeline.Event]:
    """Events of one incident over three actors, each starting at its own minute of June
    2017 (so that the order in valid time does not depend on the order of recording)."""
    minutes = draw(
        st.lists(st.integers(0, 10 * 24 * 60), min_size=min_size, max_size=max_size, unique=True)
    )
    events = []
    for minute in minutes:
        actor = draw(st.sampled_from(ACTORS))
        events.append(
            timeline.Event(
                draw(st.sampled_from(["report", "cooperation_suspended", "shootdown"])),
                actor,
                JUNE_2017 + dt.timedelta(minutes=minute),
                incident="syria-2017-06",
                targets=draw(
                    st.lists(st.sampled_from([a for a in ACTORS if a != actor]), max_size=1)
                ),
                precision=draw(history_precisions),
                effects=draw(small_effects),
            )
        )
    return events


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
def operations(draw: st.DrawFn) -> list[tuple[str, object]]:
    """A recording session: batches of events, some recorded late (far in the past),
    corrections and retractions of events recorded before them."""
    ops: list[tuple[str, object]] = []
    count = 0
    for _ in range(draw(st.integers(2, 6))):
        kind = draw(
            st.sampled_from(["append", "append", "correct", "retract"])
            if count
            else st.just("append")
        )
        if kind == "append":
            batch = draw(histories(min_size=1, max_size=4))
            ops.append(("append", batch))
            count += len(batch)
        elif kind == "correct":
            fields = draw(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "occurred_at": st.integers(0, 10 * 24 * 60).map(
                            lambda m: JUNE_2017 + dt.timedelta(minutes=m, seconds=30)
                        ),
                        "effects": small_effects,
                        "actor": st.sampled_from(ACTORS),
                        "precision": history_precisions,
                    },
                ).filter(bool)
            )
            ops.append(("correct", (draw(st.integers(0, count - 1)), fields)))
        else:
            ops.append(("retract", draw(st.integers(0, count - 1))))
    return ops
