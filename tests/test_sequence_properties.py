"""Property tests for sequences: the streaming matcher against a brute-force reference,
through the database on both backends, and against Elastic EQL's own Python engine where
the semantics coincide (exact times)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reference_sequences import reference_matches

import timeline
from timeline import RecordedEvent, Step
from timeline.sequences import Matcher

BASE = dt.datetime(2017, 6, 18, tzinfo=dt.UTC)
TYPES = ("a", "b", "c")
ACTORS = ("US", "Russia", "Syria")


@st.composite
def recorded_events(draw: st.DrawFn, exact_only: bool = False) -> list[RecordedEvent]:
    """Small histories with many ties and overlaps: few types, actors and moments."""
    count = draw(st.integers(0, 14))
    events = []
    for position in range(1, count + 1):
        precision = (
            "exact"
            if exact_only
            else draw(st.sampled_from(["exact", "exact", "minute", "hour", "day"]))
        )
        events.append(
            RecordedEvent(
                id=uuid.UUID(int=position),
                incident=draw(st.sampled_from(["s", "t"])),
                version=position,
                position=position,
                type=draw(st.sampled_from(TYPES)),
                actor=draw(st.sampled_from(ACTORS)),
                targets=tuple(draw(st.lists(st.sampled_from(ACTORS), max_size=2, unique=True))),
                # a day starts at its midnight (UTC, the day zone), as append requires
                occurred_at=BASE
                + dt.timedelta(minutes=0 if precision == "day" else draw(st.integers(0, 12)) * 20),
                precision=precision,
                data={"n": draw(st.integers(0, 1))},
                effects={},
                source={},
                recorded_at=BASE,
                hash="",
            )
        )
    return events


keys = st.sampled_from(["incident", "actor", "targets", ("actor", "data.n"), "data.n"])


@st.composite
def queries(draw: st.DrawFn) -> dict[str, Any]:
    """Sequence queries over those histories: 1 to 3 steps, maybe an absence, limits."""
    steps = [
        Step(
            draw(st.sampled_from(TYPES)),
            key=draw(keys),
            max_gap=draw(st.none() | st.sampled_from(["1h", "6h", "1d"])) if i else None,
        )
        for i in range(draw(st.integers(1, 3)))
    ]
    if len(steps) >= 2 and draw(st.booleans()):
        steps.insert(1, Step(draw(st.sampled_from(TYPES)), key=draw(keys), absent=True))
    return {
        "steps": steps,
        "by": draw(st.none() | st.just("incident")),
        "within": draw(st.none() | st.sampled_from(["2h", "12h", "1d"])),
        "until": draw(
            st.none() | st.builds(lambda t: Step(t, key="actor"), st.sampled_from(TYPES))
        ),
        "certain_only": draw(st.sampled_from([False, False, True])),
    }


def streamed(events: list[RecordedEvent], query: dict[str, Any]) -> Any:
    """The streaming matcher's answer in the reference's terms."""
    matcher = Matcher(**query)
    for event in sorted(events, key=lambda e: (e.occurred_at, e.position)):
        if event.type in matcher.types:
            matcher.feed(event)
    report = matcher.report()
    return (
        [(m.key, [e.position for e in m.events], m.order_certain) for m in report.matches],
        list(report.funnel),
        sorted((p.key, [e.position for e in p.events]) for p in report.partial),
    )


def expected(events: list[RecordedEvent], query: dict[str, Any]) -> Any:
    """The brute-force reference's answer."""
    by = query["by"]
    matches, funnel, partial = reference_matches(
        events,
        query["steps"],
        by=() if by is None else (by,),
        within=None
        if query["within"] is None
        else timeline.times.parse_duration(query["within"], field="within"),
        until=query["until"],
        certain_only=query["certain_only"],
    )
    return matches, funnel, sorted(partial)


@settings(max_examples=400, deadline=None)
@given(events=recorded_events(), query=queries())
def test_streaming_matcher_agrees_with_brute_force(
    events: list[RecordedEvent], query: dict[str, Any]
) -> None:
    """On random small histories with overlapping imprecise times, the streaming matcher
    finds exactly the reference's matches, funnel and partial matches."""
    assert expected(events, query) == streamed(events, query)


@st.composite
def absence_queries(draw: st.DrawFn) -> dict[str, Any]:
    """Queries with an absent step between two of 2 or 3 steps, all on one key, so that
    absences often meet imprecise events around them."""
    key = draw(st.sampled_from(["incident", "actor"]))
    count = draw(st.integers(2, 3))
    steps = [Step(draw(st.sampled_from(TYPES)), key=key) for _ in range(count)]
    steps.insert(
        draw(st.integers(1, count - 1)),
        Step(draw(st.sampled_from(TYPES)), key=key, absent=True),
    )
    return {
        "steps": steps,
        "by": None,
        "within": draw(st.none() | st.sampled_from(["2h", "1d"])),
        "until": None,
        "certain_only": draw(st.booleans()),
    }


@settings(max_examples=300, deadline=None)
@given(events=recorded_events(), query=absence_queries())
def test_absences_among_imprecise_times_agree_with_brute_force(
    events: list[RecordedEvent], query: dict[str, Any]
) -> None:
    """An absence whose order with the steps around it is uncertain (either may be
    imprecise): the streaming matcher, which holds such events open and matches back,
    flags and drops exactly as the reference, which looks back and forth every time."""
    assert expected(events, query) == streamed(events, query)


@st.composite
def until_queries(draw: st.DrawFn) -> dict[str, Any]:
    """Queries of 2 or 3 steps with an ``until`` step, all on one key, so that an
    imprecise ``until`` often meets the steps around it."""
    key = draw(st.sampled_from(["incident", "actor"]))
    return {
        "steps": [
            Step(draw(st.sampled_from(TYPES)), key=key) for _ in range(draw(st.integers(2, 3)))
        ],
        "by": None,
        "within": draw(st.none() | st.sampled_from(["2h", "1d"])),
        "until": Step(draw(st.sampled_from(TYPES)), key=key),
        "certain_only": draw(st.booleans()),
    }


@settings(max_examples=300, deadline=None)
@given(events=recorded_events(), query=until_queries())
def test_until_among_imprecise_times_agrees_with_brute_force(
    events: list[RecordedEvent], query: dict[str, Any]
) -> None:
    """An ``until`` event whose order with the steps is uncertain acts as an absence
    between every two steps: the streaming matcher discards, flags and holds back
    exactly as the reference."""
    assert expected(events, query) == streamed(events, query)


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(events=recorded_events(), query=queries())
def test_sequence_through_the_database_agrees(
    new_db: Callable[[], str], events: list[RecordedEvent], query: dict[str, Any]
) -> None:
    """Recorded in a shuffled order and read back through the type index, the events give
    the reference's matches (by event id) on both backends."""
    with timeline.open(new_db()) as tl:
        stored = tl.append([e.to_event() for e in reversed(events)])
        by_id = {s.id: s for s in stored}
        report = tl.sequence(**query)
    renumbered = [by_id[e.id] for e in events]
    want, funnel, _ = expected(renumbered, query)
    got = [(m.key, [e.position for e in m.events], m.order_certain) for m in report.matches]
    assert (want, funnel) == (got, list(report.funnel))


@st.composite
def eql_queries(draw: st.DrawFn) -> dict[str, Any]:
    """Queries that EQL's sequence expresses the same way: one key field for all steps."""
    key = draw(st.sampled_from(["actor", "incident"]))
    steps = [Step(draw(st.sampled_from(TYPES)), key=key) for _ in range(draw(st.integers(2, 3)))]
    return {
        "steps": steps,
        "within": draw(st.none() | st.sampled_from(["1h", "5h"])),
        "until": draw(st.none() | st.builds(lambda t: Step(t, key=key), st.sampled_from(TYPES))),
    }


def eql_matches(events: list[RecordedEvent], query: dict[str, Any]) -> list[list[int]]:
    """Run the same query through the eql package's Python engine (a test dependency)."""
    from eql.engine import PythonEngine
    from eql.events import Event as EqlEvent
    from eql.parser import parse_query

    key = query["steps"][0].key[0]
    span = "" if query["within"] is None else f" with maxspan={query['within']}"
    text = f"sequence{span} " + " ".join(f"[{s.type} where true] by {key}" for s in query["steps"])
    if query["until"] is not None:
        text += f" until [{query['until'].type} where true] by {key}"
    found: list[list[int]] = []
    engine = PythonEngine({"time_unit": 1000})
    engine.add_output_hook(lambda out: found.append([e.data["position"] for e in out.events]))
    engine.add_query(parse_query(text))
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.position))
    engine.stream_events(
        EqlEvent(
            e.type,
            int((e.occurred_at - BASE).total_seconds() * 1000),
            {"position": e.position, "actor": e.actor, "incident": e.incident},
        )
        for e in ordered
    )
    return found


@settings(max_examples=300, deadline=None)
@given(events=recorded_events(exact_only=True), query=eql_queries())
def test_exact_times_give_eqls_answers(events: list[RecordedEvent], query: dict[str, Any]) -> None:
    """With exact times everywhere, the matches are those of Elastic EQL's engine, in the
    same order."""
    matcher = Matcher(**query)
    for event in sorted(events, key=lambda e: (e.occurred_at, e.position)):
        if event.type in matcher.types:
            matcher.feed(event)
    ours = [[e.position for e in m.events] for m in matcher.report().matches]
    assert eql_matches(events, query) == ours
