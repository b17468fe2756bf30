"""The rules of state answers, checked against an oracle written from the README alone.

The oracle replays in plain Python every event the basis knows, mended as the README
says (of the corrections that stand, the one reported last gives a field; retracting a
correction undoes it alone; retracting the event withdraws it), in ``(occurred_at,
position)`` order, with days, months and years of a day zone with clock changes.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import timeline

SETTINGS = settings(
    max_examples=4,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ACTORS = ("A", "B")
UTC = dt.UTC
ZONES = ("UTC", "America/New_York", "Asia/Kathmandu")
# 5 November 2017: New York's clocks go back (a 25-hour day)
DAYS = [dt.date(2017, 11, d) for d in (3, 4, 5, 6)] + [dt.date(2017, 10, 31)]
FIELDS = ("type", "actor", "occurred_at", "precision", "targets", "effects")


# -- the oracle -----------------------------------------------------------------------------


def start_of(day: dt.date, zone: dt.tzinfo) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, tzinfo=zone).astimezone(UTC)


def end_of(start: dt.datetime, precision: str, zone: dt.tzinfo) -> dt.datetime:
    if precision == "exact":
        return start
    step = {"second": 1, "minute": 60, "hour": 3600}
    if precision in step:
        return start + dt.timedelta(seconds=step[precision])
    local = start.astimezone(zone).date()
    if precision == "day":
        nxt = local + dt.timedelta(days=1)
    elif precision == "month":
        nxt = dt.date(local.year + local.month // 12, local.month % 12 + 1, 1)
    else:
        nxt = dt.date(local.year + 1, 1, 1)
    return start_of(nxt, zone)


def bound(value: Any, zone: dt.tzinfo) -> tuple[dt.datetime, bool] | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return (value.astimezone(UTC), True)
    if isinstance(value, dt.date):
        return (start_of(value + dt.timedelta(days=1), zone), False)
    year, month = map(int, value.split("-"))  # "YYYY-MM"
    return (end_of(start_of(dt.date(year, month, 1), zone), "month", zone), False)


def placed(start: dt.datetime, precision: str, b: Any, zone: dt.tzinfo) -> str:
    if b is None:
        return "applies"
    moment, inclusive = b
    if start > moment or (start == moment and not inclusive):
        return "later"
    return "uncertain" if end_of(start, precision, zone) > moment else "applies"


def fields_of(e: Any) -> dict[str, Any]:
    return {name: getattr(e, name) for name in FIELDS}


def form_when(root: Any, mending: list[Any], upto: int, known: Callable[[Any], bool]) -> Any:
    """``root``'s fields with the corrections that stand among ``mending`` known (and
    recorded below ``upto``), or None when retracted."""
    seen = [m for m in mending if m.position < upto and known(m)]
    if any(m.retracts == root.id for m in seen):
        return None
    undone = {m.retracts for m in seen if m.retracts is not None}
    fixes = [m for m in seen if m.corrects == root.id and m.id not in undone]
    fixes.sort(key=lambda m: (m.reported[0], m.position))
    fields = fields_of(root)
    for fix in fixes:
        # what the fix changed: its fields that differ from the event as it stood when
        # the fix was recorded (everything recorded before it, reported or not)
        before = form_when(root, mending, fix.position, lambda m: True)
        assert before is not None
        for name in FIELDS:
            if getattr(fix, name) != before[name]:
                fields[name] = getattr(fix, name)
    return fields


def oracle(
    events: list[Any], actor: str, at: Any, known_at: Any, reported_by: Any, zone: dt.tzinfo
) -> tuple[dict[str, Any], set[str], int]:
    k = bound(known_at, zone)
    r = bound(reported_by, zone)
    recorded = [
        e for e in events if k is None or placed(e.recorded_at, "exact", k, zone) != "later"
    ]

    def reported(e: Any) -> str:
        return placed(e.reported[0], e.reported[1], r, zone)

    def known(e: Any) -> bool:
        return reported(e) != "later"

    mending = [e for e in recorded if e.corrects or e.retracts]
    standing = []
    for e in recorded:
        if e.corrects or e.retracts or not known(e):
            continue
        mine = [
            m
            for m in mending
            if m.corrects == e.id
            or m.retracts == e.id
            or any(c.id == m.retracts and c.corrects == e.id for c in mending)
        ]
        fields = form_when(e, mine, 10**9, known)
        if fields is None:
            # withdrawn; in doubt when every retraction of it straddles the reported bound
            # (it may have been public only just after): what it would set is uncertain
            withdrawing = [m for m in mine if m.retracts == e.id and known(m)]
            if all(reported(m) == "uncertain" for m in withdrawing):
                ghost = form_when(e, mine, 10**9, lambda m, e=e: known(m) and m.retracts != e.id)
                assert ghost is not None
                standing.append((ghost["occurred_at"], e.position, ghost, None))
            continue
        undone = {m.retracts for m in mine if known(m) and m.retracts is not None}
        fixes = [m for m in mine if m.corrects == e.id and known(m) and m.id not in undone]
        fixed = {m.id for m in mine if m.corrects == e.id and known(m)}
        undoing = [m for m in mine if known(m) and m.retracts in fixed]
        shaky = reported(e) == "uncertain" or any(
            reported(f) == "uncertain" for f in [*fixes, *undoing]
        )
        standing.append((fields["occurred_at"], e.position, fields, shaky))
    standing.sort(key=lambda s: (s[0], s[1]))
    a = bound(at, zone)
    values: dict[str, Any] = {}
    unsure: set[str] = set()
    applied = 0
    tie_at, named = None, {}  # the events applied at one start: path -> only adds ints
    for start, _, fields, shaky in standing:
        if actor not in (fields["actor"], *fields["targets"], *fields["effects"]):
            continue
        when = placed(start, fields["precision"], a, zone)
        if when == "later":
            break
        withdrawn = shaky is None  # applies nothing; what it would change is uncertain
        target = dict(values) if withdrawn else values
        applied += 0 if withdrawn else 1
        # events starting at one instant that name one attribute, but for adds of ints
        # other than 0, leave it in doubt: their order is only the recording order (an
        # event withdrawn in doubt applies nothing, so it ties with none)
        if not withdrawn:
            if start != tie_at:
                tie_at, named = start, {}
            for path, value in fields["effects"].get(actor, {}).items():
                adds = isinstance(value, dict) and value["$inc"] != 0
                if path in named and not (adds and named[path]):
                    unsure.add(path)
                named[path] = adds and named.get(path, True)
        for path, value in sorted(fields["effects"].get(actor, {}).items()):
            old = target.get(path)
            if isinstance(value, dict):
                new = (old or 0) + value["$inc"]
            elif value is None:
                target.pop(path, None)
                new = None
            else:
                new = value
            if new is not None:
                target[path] = new
            if (new != old or (path in target) != (old is not None)) and (
                when == "uncertain" or shaky or withdrawn
            ):
                unsure.add(path)
    return values, unsure, applied


# -- generated histories ----------------------------------------------------------------------


@st.composite
def moments(draw: st.DrawFn) -> tuple[Any, str | None]:
    """A time as a caller writes it, in every precision, around New York's clock change."""
    day = draw(st.sampled_from(DAYS))
    kind = draw(st.sampled_from(["exact", "hour", "day", "day", "month", "year"]))
    if kind == "day":
        return day, None
    if kind == "month":
        return f"{day.year}-{day.month:02d}", None
    if kind == "year":
        return str(day.year), None
    moment = dt.datetime(day.year, day.month, day.day, draw(st.integers(0, 23)), tzinfo=UTC)
    if kind == "hour":
        return moment.strftime("%Y-%m-%dT%HZ"), None
    return moment + dt.timedelta(minutes=draw(st.sampled_from([0, 30]))), None


effects_st = st.dictionaries(
    st.sampled_from(ACTORS),
    st.dictionaries(
        st.sampled_from(["a", "b", "n"]),
        st.integers(0, 3) | st.none() | st.builds(lambda n: {"$inc": n}, st.integers(1, 2)),
        min_size=1,
        max_size=2,
    ),
    max_size=2,
)
reported_st = st.none() | st.sampled_from(
    [dt.date(2017, 11, 5), dt.date(2017, 11, 4), dt.datetime(2017, 11, 5, 12, tzinfo=UTC)]
)


@st.composite
def event_st(draw: st.DrawFn) -> dict[str, Any]:
    actor = draw(st.sampled_from(ACTORS))
    when, _ = draw(moments())
    return {
        "type": "report",
        "actor": actor,
        "occurred_at": when,
        "incident": "x",
        "targets": draw(st.lists(st.sampled_from([a for a in ACTORS if a != actor]), max_size=1)),
        "effects": draw(effects_st),
        "reported_at": draw(reported_st),
    }


@st.composite
def ops_st(draw: st.DrawFn) -> list[tuple[str, Any]]:
    ops: list[tuple[str, Any]] = [("append", draw(st.lists(event_st(), min_size=1, max_size=3)))]
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["append", "correct", "correct", "retract"]))
        index = draw(st.integers(0, 30))
        if kind == "append":
            ops.append(("append", draw(st.lists(event_st(), min_size=1, max_size=2))))
        elif kind == "correct":
            fields: dict[str, Any] = draw(
                st.fixed_dictionaries(
                    {}, optional={"effects": effects_st, "actor": st.sampled_from(ACTORS)}
                )
            )
            if draw(st.booleans()) or not fields:
                fields["occurred_at"] = draw(moments())[0]
            ops.append(("correct", (index, fields, draw(reported_st))))
        else:
            ops.append(("retract", (index, draw(reported_st))))
    return ops


def run(tl: timeline.Timeline, ops: list[tuple[str, Any]], ask: Callable[[], None]) -> None:
    """Record ``ops``; after each, ask (so that snapshots are made on every knowledge)."""
    for kind, arg in ops:
        stored = [e for e in tl.events() if e.retracts is None]
        try:
            if kind == "append":
                tl.append([timeline.Event(**e, day_zone=tl.day_zone) for e in arg])
            elif kind == "correct":
                index, fields, reported_at = arg
                tl.correct(stored[index % len(stored)].id, reported_at=reported_at, **fields)
            else:
                index, reported_at = arg
                tl.retract(stored[index % len(stored)].id, "no", reported_at=reported_at)
        except timeline.InvalidEventError:
            continue  # retracted already, or a correction that changes nothing
        ask()


def questions() -> list[Any]:
    asked: list[Any] = [None, "2017-11", dt.datetime(2017, 11, 5, 5, 30, tzinfo=UTC)]
    for day in DAYS:
        asked += [day, dt.datetime(day.year, day.month, day.day, 4, tzinfo=UTC)]
    return asked


def check(url: str, zone_name: str, ops: list[tuple[str, Any]]) -> None:
    zone = ZoneInfo(zone_name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", timeline.TimelineWarning)
        opened = {
            interval: timeline.open(url, day_zone=zone_name, snapshot_interval=interval)
            for interval in (None, 1, 2)
        }
        try:
            writer = opened[1]
            run(writer, ops, lambda: [t.state(a) for t in opened.values() for a in ACTORS] and None)
            events = list(writer.events())
            stamps = sorted({e.recorded_at for e in events})
            for known_at in [None, stamps[len(stamps) // 2]]:
                for reported_by in [
                    None,
                    dt.date(2017, 11, 4),
                    dt.datetime(2017, 11, 5, 12, tzinfo=UTC),
                ]:
                    basis = {"known_at": known_at, "reported_by": reported_by}
                    for at in questions():
                        expected_all = {}
                        for actor in ACTORS:
                            values, unsure, applied = oracle(
                                events, actor, at, known_at, reported_by, zone
                            )
                            expected = (values, unsure, applied)
                            if applied:
                                expected_all[actor] = expected
                            for interval, tl in opened.items():
                                got = tl.state(actor, at=at, **basis)
                                assert (got.to_dict(), set(got.uncertain), got.events_applied) == (
                                    expected
                                ), (interval, actor, at, basis)
                        states = opened[None].states(at=at, **basis)
                        assert {
                            name: (s.to_dict(), set(s.uncertain), s.events_applied)
                            for name, s in states.items()
                            if s.events_applied
                        } == expected_all, (at, basis)
        finally:
            for tl in opened.values():
                tl.close()


@SETTINGS
@given(zone=st.sampled_from(ZONES), ops=ops_st())
def test_state_equals_the_oracle_of_the_rules(
    new_db: Callable[[], str], zone: str, ops: list[tuple[str, Any]]
) -> None:
    """Any history (every precision, a day zone with a clock change, corrections and
    retractions of events and of corrections, reported times), asked with any basis and
    snapshot setting: state() and states() say what the rules say."""
    check(new_db(), zone, ops)


def test_a_retraction_straddling_the_reported_bound_agrees_with_the_oracle(
    new_db: Callable[[], str],
) -> None:
    """An event retracted on a day that the reported bound (noon of it) straddles, with a
    correction and a second event of the same attribute: state() and states() say what
    the rules say (withdrawn, what it would set uncertain)."""
    first = {"type": "report", "actor": "A", "occurred_at": dt.date(2017, 11, 3),
             "incident": "x", "targets": ["B"], "effects": {"A": {"a": 1, "n": {"$inc": 1}}},
             "reported_at": dt.date(2017, 11, 4)}  # fmt: skip
    second = {**first, "occurred_at": dt.date(2017, 11, 4), "effects": {"A": {"n": {"$inc": 2}}}}
    ops: list[tuple[str, Any]] = [
        ("append", [first, second]),
        ("correct", (0, {"effects": {"A": {"a": 2, "n": {"$inc": 1}}}}, dt.date(2017, 11, 4))),
        ("retract", (0, dt.date(2017, 11, 5))),
    ]
    check(new_db(), "America/New_York", ops)


@pytest.mark.xfail(
    strict=True,
    reason="known, the next correctness item: events apply in order of their start, and "
    "only events at one instant flag what they both set; an event whose interval was still "
    "open when a later-starting one set the same attribute may have come after it, but the "
    "answer after both is certain (needs the fold and snapshots to keep the open events)",
)
def test_an_event_known_to_the_day_and_one_later_that_day_leave_their_attribute_uncertain() -> None:
    """Russia suspended cooperation on June 19 (known to the day) and restored it at 12:00
    that day: the suspension may have come at 20:00, after the restoration, so on June 21
    cooperation is active or suspended, not certainly active."""
    with timeline.open("sqlite://") as tl:
        tl.record("s", "Russia", "2017-06-19", incident="i", effects={"Russia": {"coop": "off"}})
        tl.record(
            "r", "Russia", "2017-06-19T12:00Z", incident="i", effects={"Russia": {"coop": "on"}}
        )
        assert {"coop"} == set(tl.state("Russia", at="2017-06-21").uncertain)
