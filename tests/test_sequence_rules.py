"""The rules of sequence matching (:mod:`timeline.sequences`), checked from the outside
on what ``Timeline.sequence`` reports on in-memory SQLite (a review's oracle).

The checker here does not run a matcher: it takes each reported match and checks that
it obeys the documented rules (placement, certainty, ``within``, ``max_gap``,
absences, ``until``), that the funnel agrees with the matches, that the recording order
does not change the answers for events at distinct times, that the answer for one key
is the answer on that key's events alone, and that the renderings say what the
objects say.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import json
import os
import random
from collections.abc import Hashable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import timeline
from timeline import Step
from timeline.sequences import fits, key_values
from timeline.times import interval_end, resolve_zone, unit_start

BASE = dt.datetime(2017, 6, 18, 18, tzinfo=dt.UTC)
TYPES = ("a", "b", "c")
ACTORS = ("US", "RU")
ZONES = ("UTC", "+03:00", "-05:00")


@st.composite
def histories(draw: st.DrawFn, distinct: bool = False) -> dict[str, Any]:
    """A day zone and a few events around a midnight of every zone, as keyword sets
    for ``Timeline.record``."""
    zone = draw(st.sampled_from(ZONES))
    count = draw(st.integers(0, 9))
    slots = (
        draw(st.lists(st.integers(0, 40), min_size=count, max_size=count, unique=True))
        if distinct
        else [draw(st.integers(0, 40)) for _ in range(count)]
    )
    events = []
    for slot in slots:
        precision = draw(st.sampled_from(["exact", "exact", "minute", "hour", "day"]))
        moment = BASE + dt.timedelta(minutes=20 * slot)
        events.append(
            {
                "type": draw(st.sampled_from(TYPES)),
                "actor": draw(st.sampled_from(ACTORS)),
                "occurred_at": unit_start(moment, precision, day_zone=resolve_zone(zone)),
                "precision": precision,
                "incident": draw(st.sampled_from(["s", "t"])),
                "targets": draw(st.lists(st.sampled_from(ACTORS), max_size=2, unique=True)),
                "data": {"n": draw(st.integers(0, 1))},
            }
        )
    if distinct:
        seen: set[dt.datetime] = set()
        events = [e for e in events if not (e["occurred_at"] in seen or seen.add(e["occurred_at"]))]
    return {"zone": zone, "events": events}


keys = st.sampled_from(["incident", "actor", "targets", ("actor", "data.n")])


@st.composite
def queries(draw: st.DrawFn) -> dict[str, Any]:
    types = st.sampled_from(TYPES) | st.lists(st.sampled_from(TYPES), min_size=2, unique=True)
    wheres = st.none() | st.sampled_from([{"data.n": 0}, {"targets": "US"}, {"actor": "RU"}])
    steps = [
        Step(
            draw(types),
            key=draw(keys),
            where=draw(wheres),
            max_gap=draw(st.none() | st.sampled_from(["1h", "6h", "1d"])) if i else None,
        )
        for i in range(draw(st.integers(1, 3)))
    ]
    if len(steps) >= 2 and draw(st.booleans()):
        at = draw(st.integers(1, len(steps) - 1))
        steps.insert(at, Step(draw(types), key=draw(keys), where=draw(wheres), absent=True))
    return {
        "steps": steps,
        "by": draw(st.none() | st.just("incident")),
        "within": draw(st.none() | st.sampled_from(["2h", "12h", "1d"])),
        "until": draw(
            st.none() | st.builds(lambda t: Step(t, key="actor"), st.sampled_from(TYPES))
        ),
        "certain_only": draw(st.sampled_from([False, False, True])),
    }


def record_all(history: dict[str, Any], order: list[int] | None = None) -> timeline.Timeline:
    tl = timeline.open("sqlite://", day_zone=history["zone"])
    events = history["events"]
    for i in order if order is not None else range(len(events)):
        spec = dict(events[i])
        tl.record(
            spec.pop("type"),
            spec.pop("actor"),
            spec.pop("occurred_at"),
            id=_id(i),
            **spec,
        )
    return tl


def _id(i: int) -> Any:
    import uuid

    return uuid.UUID(int=i + 1)


def _order(e: Any) -> tuple[dt.datetime, int]:
    return (e.occurred_at, e.position)


def check_rules(
    tl: timeline.Timeline, report: timeline.SequenceReport, query: dict[str, Any], zone: str
) -> None:
    """Every reported match obeys the documented rules; the funnel agrees."""
    days = resolve_zone(zone)
    by: tuple[str, ...] = () if query["by"] is None else (query["by"],)
    within = report.within
    steps = list(report.steps)
    present = [s for s in steps if not s.absent]
    gaps_absent: list[list[Step]] = [[] for _ in present]
    index = -1
    for step in steps:
        if step.absent:
            gaps_absent[index].append(step)
        else:
            index += 1
    every = [e for e in tl.events() if True]
    relevant = {t for s in steps for t in s.types} | (
        set(query["until"].types) if query["until"] else set()
    )
    stream = sorted((e for e in every if e.type in relevant), key=_order)

    def end(e: Any) -> dt.datetime:
        return interval_end(e.occurred_at, e.precision, days)

    def arrival(e: Any) -> int:
        return next(i for i, s in enumerate(stream) if s.position == e.position)

    def placed_after(e: Any, earliest: dt.datetime, before: Any) -> dt.datetime | None:
        """Where ``e`` stands after ``before`` (placed at ``earliest``), if it can."""
        if e.precision == "exact" and _order(e) < _order(before):
            return None  # an exact event is never open to one arriving after it
        at = max(e.occurred_at, earliest)
        if e.precision != "exact":
            return at if at < end(e) else None
        if at != e.occurred_at:
            return None
        if before.precision == "exact" and before.occurred_at == at:
            return at if before.position < e.position else None
        return at

    def lies_between(p: Any, placed: dt.datetime, x: Any, n: Any) -> bool | None:
        """Whether absent ``x`` lies between ``p`` (placed at ``placed``) and ``n``:
        certainly, maybe (False) or not (None)."""
        if x.position in (p.position, n.position):
            # the step after is tried as the step first (``a, no a, then a`` is completed
            # by the next a): the event that took a step is no absence of the match
            return None
        at = placed_after(x, placed, p)
        if at is None:
            return None
        sure = end(p) <= x.occurred_at and _order(p) < _order(x)
        if placed_after(n, at, x) is None:
            return None
        return sure and end(x) <= n.occurred_at and _order(x) < _order(n)

    for match in report.matches:
        ev = match.events
        assert len(ev) == len(present)
        assert len({e.position for e in ev}) == len(ev), "one event fills two steps"
        for step, e in zip(present, ev, strict=True):
            assert step.takes(e)
            assert match.key in key_values(e, by + step.key)
        # the placement rule
        placements = [ev[0].occurred_at]
        for e in ev[1:]:
            placements.append(max(e.occurred_at, placements[-1]))
        assert tuple(placements) == match.placements, (placements, match.placements)
        for i, (e, p) in enumerate(zip(ev, placements, strict=True)):
            if e.precision == "exact":
                assert p == e.occurred_at
                if i and ev[i - 1].precision == "exact" and ev[i - 1].occurred_at == p:
                    assert ev[i - 1].position < e.position
            else:
                assert p < end(e), "placed past the end of its interval"
        # absences: none certainly between the steps around it; one that may be flags it
        maybe = False
        for i, absences in enumerate(gaps_absent[:-1]):
            for absent in absences:
                for x in stream:
                    if not absent.takes(x) or match.key not in key_values(x, by + absent.key):
                        continue
                    inside = lies_between(ev[i], match.placements[i], x, ev[i + 1])
                    assert inside is not True, f"absent {x} certainly inside {match}"
                    maybe = maybe or inside is False
        # within and max_gap: some placement in the intervals, in step order, keeps
        # them (the earliest one that does, found by raising the earliest placements
        # until they hold); every one does (each interval's start to the next's end)
        # when the match is certain
        gaps = [step.max_gap for step in present]
        lowest = list(placements)
        for _ in range(4 * len(ev) + 2):
            raised = list(lowest)
            for i in range(1, len(ev)):
                raised[i] = max(raised[i], raised[i - 1])
                if gaps[i] is not None:
                    raised[i - 1] = max(raised[i - 1], raised[i] - gaps[i])
            if within is not None:
                raised[0] = max(raised[0], raised[-1] - within)
            if raised == lowest:
                break
            lowest = raised
        assert raised == lowest, "placements keep rising: no placement keeps the limits"
        for e, at in zip(ev, lowest, strict=True):
            assert at == e.occurred_at if e.precision == "exact" else at < end(e), (
                "no placement keeps within and max_gap",
                match,
            )
        surely_within = all(
            gap is None or end(b) - a.occurred_at <= gap
            for gap, (a, b) in zip(gaps[1:], itertools.pairwise(ev), strict=True)
        ) and (within is None or len(ev) == 1 or end(ev[-1]) - ev[0].occurred_at <= within)
        certain = (
            not maybe
            and surely_within
            and all(end(a) <= b.occurred_at for a, b in itertools.pairwise(ev))
        )
        assert certain == match.order_certain, (certain, match)
        if query["certain_only"]:
            assert certain
        # until: none of the key arrives while the partial match waits
        formed = []
        for i in range(len(ev)):
            formed.append(max(arrival(e) for e in ev[: i + 1]))
        if query["until"] is not None:
            for n in range(formed[0] + 1, formed[-1] + 1):
                x = stream[n]
                if query["until"].takes(x):
                    assert match.key not in key_values(x, by + query["until"].key)
    # the funnel: how many partial matches reached each step
    assert len(report.funnel) == len(present)
    assert report.funnel[-1] == len(report.matches)
    if all(len(s.types) == 1 for s in present):  # else known: one event may fill twice
        assert list(report.funnel) == sorted(report.funnel, reverse=True)
    for partial in report.partial:
        assert 1 <= partial.steps_reached < len(present)


def answer(report: timeline.SequenceReport) -> list[tuple[Hashable, list[Any], bool]]:
    return sorted(
        ((m.key, [e.id for e in m.events], m.order_certain) for m in report.matches),
        key=repr,
    )


def check_renderings(report: timeline.SequenceReport) -> None:
    document = json.loads(report.to_json())
    assert len(document["matches"]) == len(report.matches)
    assert document["funnel"] == list(report.funnel)
    for shown, match in zip(document["matches"], report.matches, strict=True):
        assert shown["order_certain"] == match.order_certain
        assert [e["id"] for e in shown["events"]] == [str(e.id) for e in match.events]
        assert shown["gaps_seconds"] == [g.total_seconds() for g in match.gaps]
        assert shown["span_seconds"] == match.span.total_seconds()
        assert [e["placed_at"] for e in shown["events"]] == [
            timeline.times.isoformat(p) for p in match.placements
        ]
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert len(rows) == sum(len(m.events) for m in report.matches)
    flat = [
        (n, i, e, p, m)
        for n, m in enumerate(report.matches, 1)
        for i, (e, p) in enumerate(zip(m.events, m.placements, strict=True), 1)
    ]
    for row, (n, i, e, p, m) in zip(rows, flat, strict=True):
        assert row["match"] == str(n) and row["step"] == str(i)
        assert row["event_id"] == str(e.id)
        assert row["placed_at"] == timeline.times.isoformat(p)
        assert row["order_certain"] == str(m.order_certain)
    text = report.to_text()
    assert f"matches: {len(report.matches)}\n" in text
    for i, count in enumerate(report.funnel, 1):
        assert (
            f"reached by {count}"
            in text.splitlines()[
                next(n for n, line in enumerate(text.splitlines()) if line.startswith(f"step {i}:"))
            ]
        )


SETTINGS = settings(
    max_examples=int(os.environ.get("TIMELINE_RULES_EXAMPLES", "25")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@SETTINGS
@given(history=histories(), query=queries())
def test_every_reported_match_obeys_the_documented_rules(
    history: dict[str, Any], query: dict[str, Any]
) -> None:
    with record_all(history) as tl:
        report = tl.sequence(**query)
        check_rules(tl, report, query, history["zone"])
        check_renderings(report)


@SETTINGS
@given(history=histories(distinct=True), query=queries(), seed=st.integers(0, 1000))
def test_recording_order_does_not_change_answers_at_distinct_times(
    history: dict[str, Any], query: dict[str, Any], seed: int
) -> None:
    order = list(range(len(history["events"])))
    random.Random(seed).shuffle(order)
    with record_all(history) as first, record_all(history, order) as second:
        assert answer(first.sequence(**query)) == answer(second.sequence(**query))


@st.composite
def corrections(draw: st.DrawFn, count: int) -> list[tuple[int, dict[str, Any] | None]]:
    """Some of the events corrected (a new time, type or actor) or retracted."""
    fixes: list[tuple[int, dict[str, Any] | None]] = []
    for i in draw(st.lists(st.integers(0, max(count - 1, 0)), max_size=3, unique=True)):
        if i >= count:
            continue
        kind = draw(st.sampled_from(["time", "type", "actor", "retract"]))
        if kind == "retract":
            fixes.append((i, None))
        elif kind == "time":
            moment = BASE + dt.timedelta(minutes=20 * draw(st.integers(0, 40)))
            fixes.append((i, {"occurred_at": moment, "precision": "exact"}))
        elif kind == "type":
            fixes.append((i, {"type": draw(st.sampled_from((*TYPES, "z")))}))
        else:
            fixes.append((i, {"actor": draw(st.sampled_from(ACTORS))}))
    return fixes


@SETTINGS
@given(history=histories(), query=queries(), data=st.data())
def test_corrected_events_match_as_if_recorded_so(
    history: dict[str, Any], query: dict[str, Any], data: st.DataObject
) -> None:
    """A timeline with corrections and retractions gives the answer of one where the
    events were recorded as they now stand (in the same order), and each step's
    ``where`` written as a predicate (the scan then reads whole events) changes nothing."""
    fixes = data.draw(corrections(len(history["events"])))
    with record_all(history) as tl:
        events = history["events"]
        fixes = [
            (i, fix)
            for i, fix in fixes
            if fix is None or any(events[i][k] != v for k, v in fix.items())
        ]
        for i, fix in fixes:
            if fix is None:
                tl.retract(_id(i), "wrong")
            else:
                tl.correct(_id(i), **fix)
        got = tl.sequence(**query)
        check_rules_current(tl, got, query)
        whole = dict(query, steps=[_always(s) for s in query["steps"]])
        assert answer(got) == answer(tl.sequence(**whole))
        gone = {i for i, fix in fixes if fix is None}
        fixed = dict(fixes)
        standing = {
            "zone": history["zone"],
            "events": [dict(e, **(fixed.get(i) or {})) for i, e in enumerate(history["events"])],
        }
        order = [i for i in range(len(history["events"])) if i not in gone]
        with record_all(standing, order) as fresh:
            assert answer(got) == answer(fresh.sequence(**query))


def _always(step: Step) -> Step:
    if step.absent:
        return step
    wanted = step.where
    return Step(
        list(step.types), key=step.key, max_gap=step.max_gap, where=lambda e: fits(e, wanted)
    )


def check_rules_current(tl: timeline.Timeline, report: Any, query: dict[str, Any]) -> None:
    """The matches hold the events as they now stand."""
    now = {e.id: e for e in tl.events(current=True)}
    for match in report.matches:
        for e in match.events:
            assert e.id in now
            assert (e.type, e.actor, e.occurred_at) == (
                now[e.id].type,
                now[e.id].actor,
                now[e.id].occurred_at,
            )


def test_a_data_key_ties_only_equal_json_values() -> None:
    """A ``data.<path>`` key ties events whose values are the same JSON value. A list
    and the text of its JSON (["US"] and '["US"]'), or true and 1, are different values
    but were taken as one key: the key is made hashable as its canonical JSON text, and
    Python's True == 1."""
    with timeline.open("sqlite://") as tl:
        tl.record("a", "US", "2017-06-18T10:00Z", incident="s", data={"x": ["US"]})
        tl.record("b", "US", "2017-06-18T11:00Z", incident="s", data={"x": '["US"]'})
        tl.record("a", "US", "2017-06-18T12:00Z", incident="t", data={"x": True})
        tl.record("b", "US", "2017-06-18T13:00Z", incident="t", data={"x": 1})
        report = tl.sequence([Step("a", key="data.x"), Step("b", key="data.x")])
        assert [] == [[e.data for e in m.events] for m in report.matches]


def test_a_data_key_ties_one_number_written_two_ways_inside_a_list_too() -> None:
    """``1`` and ``1.0`` are one number as a key (as ``where`` reads them), and so are
    ``[1]`` and ``[1.0]`` or ``{"n": 0}`` and ``{"n": -0.0}``: a list or an object key
    was its canonical JSON text, in which the two are different texts."""
    with timeline.open("sqlite://") as tl:
        for incident, first, second in (
            ("s", 1, 1.0),
            ("t", [1, "US"], [1.0, "US"]),
            ("u", {"n": 0}, {"n": -0.0}),
            ("v", [True], [1]),  # still two values: true is not 1
        ):
            tl.record("a", "US", "2017-06-18T10:00Z", incident=incident, data={"x": first})
            tl.record("b", "US", "2017-06-18T11:00Z", incident=incident, data={"x": second})
        report = tl.sequence([Step("a", key="data.x"), Step("b", key="data.x")])
        assert ["s", "t", "u"] == sorted(m.events[0].incident for m in report.matches)


def test_an_imprecise_absence_that_may_fall_between_leaves_no_certain_match() -> None:
    """For "a, no x, then b" with x known only to the day of a and b: x may have happened
    between them, so the match is kept flagged ``order_certain=False`` (and dropped under
    ``certain_only``), not reported certain as when only an event's arrival ended partial
    matches (x arrived at the start of its day, before a)."""
    with timeline.open("sqlite://") as tl:
        tl.record("x", "US", "2017-06-18", incident="s")
        tl.record("a", "US", "2017-06-18T08:00Z", incident="s")
        tl.record("b", "US", "2017-06-18T10:00Z", incident="s")
        absence = [Step("a"), Step("x", absent=True), Step("b")]
        assert [False] == [m.order_certain for m in tl.sequence(absence).matches]
        assert () == tl.sequence(absence, certain_only=True).matches


def test_an_imprecise_until_that_may_fall_between_leaves_no_certain_match() -> None:
    """The same with x as ``until``: the match was reported certain (``until`` acted as
    its event arrived, at the start of its day); it is placed as an absence between
    every two steps now, so the match is flagged, and dropped under ``certain_only``."""
    with timeline.open("sqlite://") as tl:
        tl.record("x", "US", "2017-06-18", incident="s")
        tl.record("a", "US", "2017-06-18T08:00Z", incident="s")
        tl.record("b", "US", "2017-06-18T10:00Z", incident="s")
        for certain_only in (False, True):
            report = tl.sequence([Step("a"), Step("b")], until=Step("x"), certain_only=certain_only)
            assert not any(m.order_certain for m in report.matches)
        assert [False] == [
            m.order_certain for m in tl.sequence([Step("a"), Step("b")], until=Step("x")).matches
        ]
        assert () == tl.sequence([Step("a"), Step("b")], until=Step("x"), certain_only=True).matches


@pytest.mark.xfail(
    strict=True,
    reason="known: an open imprecise event fills the first partial match it can, in stream "
    "order; a later one it would follow certainly (its last event exact at the very start "
    "of the imprecise event's interval, recorded after it) does not win it",
)
def test_an_open_imprecise_event_prefers_the_match_it_certainly_completes() -> None:
    """The team's rule: an imprecise event that could complete several partial matches
    completes the one whose order is certain. a known to June 19, b known to June 19,
    then a at 00:00 exactly (recorded after b): b certainly follows the second a (which
    ends as b's day starts), only possibly the first; b went to the first, [1, 2]
    possible, though ``certain_only`` finds [3, 2]."""
    with timeline.open("sqlite://") as tl:
        tl.record("a", "US", "2017-06-19", incident="s")
        tl.record("b", "US", "2017-06-19", incident="s")
        tl.record("a", "US", "2017-06-19T00:00:00Z", incident="s", precision="exact")
        steps = [Step("a"), Step("b")]
        certain = tl.sequence(steps, certain_only=True)
        assert [[3, 2]] == [[e.position for e in m.events] for m in certain.matches]
        found = tl.sequence(steps).matches
        assert [([3, 2], True)] == [
            ([e.position for e in m.events], m.order_certain) for m in found
        ]


def test_an_imprecise_event_whose_first_match_dies_still_completes_a_possible_one() -> None:
    """A match possible for some placement of an imprecise event is kept, flagged, and
    not lost to the rule that the event fills one match per key: b of June 18 first fills
    [a 10:00, b], which ``within="3h"`` lets die at 13:00, so [a 12:00, b, c 14:00] (the
    match found when b is exact at 13:00) must be reported, with order_certain=False."""
    with timeline.open("sqlite://") as tl:
        tl.record("a", "US", "2017-06-18T10:00:00Z", incident="s", precision="exact")
        tl.record("b", "US", "2017-06-18", incident="s")
        tl.record("a", "US", "2017-06-18T12:00:00Z", incident="s", precision="exact")
        tl.record("c", "US", "2017-06-18T14:00:00Z", incident="s", precision="exact")
        found = tl.sequence([Step("a"), Step("b"), Step("c")], within="3h").matches
        assert [([3, 2, 4], False)] == [
            ([e.position for e in m.events], m.order_certain) for m in found
        ]


def test_an_until_placed_by_the_rule_of_absences() -> None:
    """``until`` discards what it certainly ends, flags what it may, and leaves alone
    what it cannot reach, whatever the precisions: an ``x`` of the day after ``a`` and
    ``b`` discards the pending ``a``; one at 12:00 after an ``a`` known only to that day
    flags the match with a ``b`` at 14:00 (``a`` may have come after 12:00; it was
    discarded); with exact times it discards as EQL's ``until`` does."""
    steps = [Step("a"), Step("b")]
    with timeline.open("sqlite://") as tl:
        tl.record("a", "US", "2017-06-18T08:00Z", incident="s")
        tl.record("x", "US", "2017-06-19", incident="s")
        tl.record("b", "US", "2017-06-20T10:00Z", incident="s")
        assert () == tl.sequence(steps, until=Step("x")).matches
    with timeline.open("sqlite://") as tl:
        tl.record("a", "US", "2017-06-18", incident="s")
        tl.record("x", "US", "2017-06-18T12:00Z", incident="s")
        tl.record("b", "US", "2017-06-18T14:00Z", incident="s")
        report = tl.sequence(steps, until=Step("x"))
        assert [False] == [m.order_certain for m in report.matches]
        assert () == tl.sequence(steps, until=Step("x"), certain_only=True).matches
    with timeline.open("sqlite://") as tl:
        tl.record("a", "US", "2017-06-18T08:00Z", incident="s")
        tl.record("x", "US", "2017-06-18T12:00Z", incident="s")
        tl.record("b", "US", "2017-06-18T14:00Z", incident="s")
        assert () == tl.sequence(steps, until=Step("x")).matches


@SETTINGS
@given(history=histories(), query=queries())
def test_one_incidents_answer_is_its_own(history: dict[str, Any], query: dict[str, Any]) -> None:
    """With ``by="incident"``, the matches of incident s are those found on its events
    alone: the other incident's events, however they overlap in time, change nothing."""
    query = dict(query, by="incident")
    alone = [i for i, e in enumerate(history["events"]) if e["incident"] == "s"]
    with record_all(history) as every, record_all(history, alone) as own:
        found = [m for m in answer(every.sequence(**query)) if m[0][0] == "s"]
        assert found == answer(own.sequence(**query))


def test_an_absence_of_the_next_steps_type_lets_the_next_step_match() -> None:
    """For "a, no b in between, then b", the b that takes the step after is not between
    a and itself, so a at 08:00 and b at 09:00 match. No match was ever found: an event
    ended the partial matches of its absences before it took a step, so every b ended
    the partial match it would have completed. It is tried as the step first now
    (``until`` still acts first, as EQL's ``until`` does; an absence is no EQL's)."""
    with timeline.open("sqlite://") as tl:
        tl.record("a", "US", "2017-06-18T08:00Z", incident="s")
        first = tl.record("b", "US", "2017-06-18T09:00Z", incident="s")
        tl.record("b", "US", "2017-06-18T10:00Z", incident="s")
        report = tl.sequence([Step("a"), Step("b", absent=True), Step("b")])
        assert [["a", first.id]] == [[m.events[0].type, m.events[1].id] for m in report.matches]


def test_an_event_known_to_the_month_may_start_a_match_within_days() -> None:
    """An approval known only to June 2017, then a strike on June 18, within 3 days: the
    approval may have been on June 17, so the match is possible (flagged
    ``order_certain=False``, dropped by ``certain_only``); ``within`` was measured from
    the approval's earliest placement, June 1, and the match was lost."""
    for strike, precision in (("2017-06-18T12:00Z", "exact"), ("2017-06-18", "day")):
        with timeline.open("sqlite://") as tl:
            tl.record("overflight_approved", "Iraq", "June 2017", incident="s")
            tl.record("missile_strike", "Iraq", strike, incident="s", precision=precision)
            steps = [Step("overflight_approved"), Step("missile_strike")]
            found = tl.sequence(steps, within="3d").matches
            assert [False] == [m.order_certain for m in found], precision
            assert () == tl.sequence(steps, within="3d", certain_only=True).matches


def test_within_and_max_gap_are_certain_only_when_every_placement_keeps_them() -> None:
    """``within`` and ``max_gap`` hold certainly when every placement in the intervals
    keeps them (first interval's start to last interval's end), possibly when one
    placement does: a day of June 17 then 12:00 on June 18 is within 3 days certainly;
    a day of June 15 then 12:00 on June 18 only possibly (3.5 days from the start of the
    15th, not from its end); 00:00 on June 18 then a day of June 20 only possibly
    within 2 days (the 20th may end 3 days later); likewise for ``max_gap``."""
    cases = [
        ("2017-06-17", "day", "2017-06-18T12:00Z", "exact", [True]),
        ("2017-06-15", "day", "2017-06-18T12:00Z", "exact", [False]),
        ("2017-06-18T00:00Z", "exact", "2017-06-20", "day", [False]),
        ("2017-06-18T00:00Z", "exact", "2017-06-19", "day", [True]),
        ("2017-06-14", "day", "2017-06-18T12:00Z", "exact", []),
    ]
    for first, first_precision, second, second_precision, certain in cases:
        with timeline.open("sqlite://") as tl:
            tl.record("a", "US", first, incident="s", precision=first_precision)
            tl.record("b", "US", second, incident="s", precision=second_precision)
            limit = "3d" if first_precision == "day" else "2d"
            for steps, within in (
                ([Step("a"), Step("b")], limit),
                ([Step("a"), Step("b", max_gap=limit)], None),
            ):
                report = tl.sequence(steps, within=within)
                assert certain == [m.order_certain for m in report.matches], (first, second)
                sure = tl.sequence(steps, within=within, certain_only=True).matches
                assert [c for c in certain if c] == [m.order_certain for m in sure]


def test_the_oracle_takes_the_step_after_an_absence_of_its_type_as_the_step() -> None:
    """``a, no a, then a`` over two a's at one instant is completed by the second (the
    step after is tried as the step first); the oracle took that a for an absence
    certainly inside the match (a generated case, seen once in CI)."""
    with timeline.open("sqlite://") as tl:
        for _ in range(2):
            tl.record("a", "US", "2017-06-18T18:00:00.000000Z", incident="s", data={"n": 0})
        steps = [Step("a"), Step("a", absent=True), Step("a")]
        report = tl.sequence(steps)
        assert [[1, 2]] == [[e.position for e in m.events] for m in report.matches]
        query = {"steps": steps, "by": None, "within": None, "until": None}
        check_rules(tl, report, {**query, "certain_only": False}, "UTC")
