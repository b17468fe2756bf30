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
