"""Sequence reports: each rule, on SQLite and PostgreSQL, and the seed's own example."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

import timeline
from timeline import InvalidEventError, Step
from timeline.events import event_from_dict

UTC = dt.UTC
SEED = Path(__file__).resolve().parent.parent / "examples" / "syria-2017-06.jsonl"


def at(minute: int) -> dt.datetime:
    """An exact moment: June 18, 2017, plus some minutes."""
    return dt.datetime(2017, 6, 18, tzinfo=UTC) + dt.timedelta(minutes=minute)


def put(tl: timeline.Timeline, *events: tuple[str, int] | tuple[str, int, dict]) -> list:
    """Record events given as (type, minute[, fields]) in incident 's', actor 'US'."""
    out = []
    for spec in events:
        type_, minute, *rest = spec
        fields = {"incident": "s", **(rest[0] if rest else {})}
        actor = fields.pop("actor", "US")
        out.append(tl.record(type_, actor, at(minute), **fields))
    return out


def positions(report: timeline.SequenceReport) -> list[list[int]]:
    """The matches as lists of positions."""
    return [[e.position for e in m.events] for m in report.matches]


AB = [Step("a"), Step("b")]


def test_the_seed_sequence_is_found_once_keyed_on_the_us(tl: timeline.Timeline) -> None:
    """Shootdown by the US, then cooperation suspended with the US, then the US
    repositioning, within 3 days: one match, keyed "US", with its gaps, flagged because
    the suspension and the repositioning are known only to the day."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    tl.load(event_from_dict(json.loads(line)) for line in lines if line)
    report = tl.sequence(
        [
            Step("shootdown", key="actor"),
            Step("cooperation_suspended", key="targets"),
            Step("aircraft_repositioned", key="actor"),
        ],
        within="3d",
    )
    assert 1 == len(report.matches)
    match = report.matches[0]
    assert "US" == match.key
    assert ["shootdown", "cooperation_suspended", "aircraft_repositioned"] == [
        e.type for e in match.events
    ]
    assert (dt.timedelta(hours=8, minutes=17), dt.timedelta(0)) == match.gaps
    assert dt.timedelta(hours=8, minutes=17) == match.span
    assert match.order_certain is False
    assert (1, 1, 1) == report.funnel


def test_one_to_one_and_newer_replaces_older(tl: timeline.Timeline) -> None:
    """An event that fits step 1 replaces the pending partial match there."""
    put(tl, ("a", 1), ("a", 2), ("b", 3))
    report = tl.sequence(AB)
    assert [[2, 3]] == positions(report)
    assert (2, 1) == report.funnel


def test_one_event_never_fills_two_consecutive_steps(tl: timeline.Timeline) -> None:
    """Steps are tried last to first: an event that fits two steps completes one match
    and starts the next, never both steps of one match."""
    put(tl, ("a", 1), ("a", 2), ("a", 3))
    report = tl.sequence([Step("a"), Step("a")])
    assert [[1, 2], [2, 3]] == positions(report)
    assert [[3]] == [[e.position for e in p.events] for p in report.partial]


def test_an_event_may_complete_one_match_and_start_the_next(tl: timeline.Timeline) -> None:
    """With steps a, b, a an "a" completes one match and starts the next."""
    put(tl, ("a", 1), ("b", 2), ("a", 3), ("b", 4), ("a", 5))
    report = tl.sequence([Step("a"), Step("b"), Step("a")])
    assert [[1, 2, 3], [3, 4, 5]] == positions(report)


def test_until_discards_pending_partial_matches(tl: timeline.Timeline) -> None:
    """An until event with the same key discards the key's pending partial matches."""
    put(tl, ("a", 1), ("stop", 2), ("b", 3), ("a", 4), ("b", 5))
    assert [[4, 5]] == positions(tl.sequence(AB, until=Step("stop")))
    assert [[1, 3], [4, 5]] == positions(tl.sequence(AB))


def test_within_drops_partial_matches_whose_first_event_is_too_old(tl: timeline.Timeline) -> None:
    """within bounds the span from first to last step, inclusive."""
    put(tl, ("a", 0), ("b", 10), ("a", 20), ("b", 31))
    assert [[1, 2]] == positions(tl.sequence(AB, within="10m"))
    assert [[1, 2], [3, 4]] == positions(tl.sequence(AB, within="11m"))
    assert [[1, 2], [3, 4]] == positions(tl.sequence(AB, within=dt.timedelta(hours=1)))


def test_max_gap_bounds_the_time_since_the_previous_step(tl: timeline.Timeline) -> None:
    """A step's max_gap bounds the time since the step before it."""
    put(tl, ("a", 0), ("b", 5), ("c", 30))
    steps = [Step("a"), Step("b", max_gap="10m"), Step("c", max_gap="20m")]
    assert [] == positions(tl.sequence(steps))
    steps[2] = Step("c", max_gap="25m")
    assert [[1, 2, 3]] == positions(tl.sequence(steps))


def test_keys_may_differ_per_step(tl: timeline.Timeline) -> None:
    """Steps join on different fields: the shooter's actor, the suspension's target."""
    put(
        tl,
        ("shootdown", 0, {"actor": "US", "targets": ["Syria"]}),
        ("cooperation_suspended", 60, {"actor": "Russia", "targets": ["UK", "US"]}),
        ("shootdown", 70, {"actor": "UK"}),
    )
    steps = [Step("shootdown", key="actor"), Step("cooperation_suspended", key="targets")]
    report = tl.sequence(steps)
    assert [("US", [1, 2])] == [(m.key, [e.position for e in m.events]) for m in report.matches]
    assert [("UK", [3])] == [(p.key, [e.position for e in p.events]) for p in report.partial]


def test_composite_keys_and_by(tl: timeline.Timeline) -> None:
    """A composite key is reported as a tuple; by adds fields shared by every step."""
    put(
        tl,
        ("a", 0, {"actor": "US", "data": {"theatre": "east"}}),
        ("a", 1, {"actor": "US", "data": {"theatre": "west"}}),
        ("b", 2, {"actor": "US", "data": {"theatre": "east"}}),
    )
    composite = tl.sequence(
        [Step("a", key=("actor", "data.theatre")), Step("b", key=("actor", "data.theatre"))]
    )
    assert [("US", "east")] == [m.key for m in composite.matches]
    by = tl.sequence([Step("a", key="actor"), Step("b", key="actor")], by="data.theatre")
    assert [("east", "US")] == [m.key for m in by.matches]
    assert [[1, 3]] == positions(by)


def test_absent_step(tl: timeline.Timeline) -> None:
    """An absent step discards the partial match when such an event comes between."""
    put(
        tl,
        ("suspended", 0),
        ("restored", 5),
        ("repositioned", 10),
        ("suspended", 20),
        ("repositioned", 30),
    )
    steps = [Step("suspended"), Step("restored", absent=True), Step("repositioned")]
    assert [[4, 5]] == positions(tl.sequence(steps))
    assert [[1, 3], [4, 5]] == positions(tl.sequence([Step("suspended"), Step("repositioned")]))


@pytest.mark.parametrize(
    ("restored", "suspended"),
    [
        ("2017-06-19 12:00Z", "2017-06-19"),  # the suspension may have come after 12:00
        ("2017-06-19", "2017-06-19 12:00Z"),  # the restoration may have come after it
    ],
)
def test_an_imprecise_absence_keeps_a_possible_match_flagged(
    tl: timeline.Timeline, restored: str, suspended: str
) -> None:
    """A new user's trial: an absent step ignored the precision of the events around it.
    Restoration known to the minute (12:00), suspension known only to the day: the
    suspension may have come after 12:00, with the restoration between, yet the match was
    reported with ``order_certain=True`` (and kept by ``certain_only``). The mirror case,
    restoration known only to the day and suspension at 12:00, lost the possible match
    (the restoration may have come after 12:00). Either way the match is possible: kept
    and flagged, and left out by ``certain_only``."""
    steps = [
        Step("shootdown", key="actor"),
        Step("cooperation_restored", key="targets", absent=True),
        Step("cooperation_suspended", key="targets"),
    ]
    tl.record("shootdown", "US", "2017-06-18 15:43Z", incident="s", targets=["Syria"])
    tl.record("cooperation_restored", "Russia", restored, incident="s", targets=["US"])
    tl.record("cooperation_suspended", "Russia", suspended, incident="s", targets=["US"])
    assert [False] == [m.order_certain for m in tl.sequence(steps).matches]
    assert [] == positions(tl.sequence(steps, certain_only=True))


def test_a_match_open_to_a_later_absence_is_held_back_in_order(
    tl: timeline.Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A match whose event after an absent step is imprecise and still open is held back
    from the pages a report takes while it scans, until the stream passes that event's
    end: an absence arriving meanwhile (Syria's ``x`` at 12:00, after its ``b`` known
    only to the day) flags it. The matches keep the order they completed in."""
    _put_an_x_after_an_open_b(tl)
    steps = [Step("a", key="actor"), Step("x", key="actor", absent=True), Step("b", key="actor")]
    want = [("US", True), ("Syria", False), ("Russia", True), ("US", True)]
    whole = tl.sequence(steps)
    assert want == [(m.key, m.order_certain) for m in whole.matches]
    monkeypatch.setattr(timeline.view, "MATCHES_PAGE", 1)
    monkeypatch.setattr(timeline.sequences, "MATCHES_PAGE", 1)
    assert want == [(m.key, m.order_certain) for m in tl.sequence(steps).matches]
    certain = tl.sequence(steps, certain_only=True).matches
    assert ["US", "Russia", "US"] == [m.key for m in certain]


def _put_an_x_after_an_open_b(tl: timeline.Timeline) -> None:
    """a, b for the US, Russia and (later) the US again; for Syria a b known only to the
    day and an x at 12:00 that day, after it."""
    put(
        tl,
        ("a", 0),
        ("b", 10),
        ("a", 20, {"actor": "Syria"}),
        ("b", 1440, {"actor": "Syria", "precision": "day"}),
        ("a", 1500, {"actor": "Russia"}),
        ("b", 1510, {"actor": "Russia"}),
        ("x", 2160, {"actor": "Syria"}),
        ("a", 4400),
        ("b", 4410),
    )


def test_a_match_open_to_a_later_until_is_held_back_and_flagged(
    tl: timeline.Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ``until`` event is placed as an absence between every two steps: Syria's ``x``
    at 12:00 may come before its ``b`` known only to the day, so the match ``a, b``
    (certain when it completed) is flagged, and held back from the pages a report takes
    while it scans until the stream passes the day's end. It was reported certain."""
    _put_an_x_after_an_open_b(tl)
    steps = [Step("a", key="actor"), Step("b", key="actor")]
    until = Step("x", key="actor")
    want = [("US", True), ("Syria", False), ("Russia", True), ("US", True)]
    assert want == [(m.key, m.order_certain) for m in tl.sequence(steps, until=until).matches]
    monkeypatch.setattr(timeline.view, "MATCHES_PAGE", 1)
    monkeypatch.setattr(timeline.sequences, "MATCHES_PAGE", 1)
    assert want == [(m.key, m.order_certain) for m in tl.sequence(steps, until=until).matches]
    certain = tl.sequence(steps, until=until, certain_only=True).matches
    assert ["US", "Russia", "US"] == [m.key for m in certain]


def test_an_imprecise_absence_acts_when_the_stream_passes_its_end(
    tl: timeline.Timeline,
) -> None:
    """An absence known only to the day, after ``a`` at 10:00 of the day before: a ``b``
    within its day may precede it (a possible match, flagged); once the day is over it
    certainly came between, and the pending partial match is discarded, as an exact
    absence discards it. An absence that may have come before ``a`` (same day) leaves
    the partial match pending, flagged."""
    steps = [Step("a", key="actor"), Step("x", key="actor", absent=True), Step("b", key="actor")]
    put(tl, ("a", 600), ("x", 1440, {"precision": "day"}), ("b", 3000))
    report = tl.sequence(steps)
    assert ([], []) == (positions(report), [p.key for p in report.partial])
    put(tl, ("b", 2000))
    assert [([1, 4], False)] == [
        ([e.position for e in m.events], m.order_certain) for m in tl.sequence(steps).matches
    ]
    assert [] == positions(tl.sequence(steps, certain_only=True))
    put(tl, ("a", 3600, {"actor": "Syria"}), ("x", 2880, {"actor": "Syria", "precision": "day"}))
    report = tl.sequence(steps)
    assert [("Syria", False)] == [(p.key, p.order_certain) for p in report.partial]
    assert () == tl.sequence(steps, certain_only=True).partial


def test_where_narrows_a_step(tl: timeline.Timeline) -> None:
    """where takes field values (targets: among them) or a predicate."""
    put(
        tl,
        ("a", 0, {"data": {"n": 1}, "targets": ["Syria"]}),
        ("a", 1, {"data": {"n": 2}}),
        ("b", 2),
    )
    assert [[1, 3]] == positions(tl.sequence([Step("a", where={"data.n": 1}), Step("b")]))
    assert [[1, 3]] == positions(tl.sequence([Step("a", where={"targets": "Syria"}), Step("b")]))
    assert [[2, 3]] == positions(
        tl.sequence([Step("a", where=lambda e: e.data.get("n") == 2), Step("b")])
    )
    assert [] == positions(tl.sequence([Step("a", where={"data.missing": 1}), Step("b")]))


def test_imprecise_times_may_stand_in_either_order(tl: timeline.Timeline) -> None:
    """A day-precision event sorted before an hour-precision one of the same day can still
    follow it: the match is kept and flagged; certain_only refuses it."""
    tl.record("suspended", "Russia", "2017-06-19T09:00+03:00", precision="hour", incident="s")
    tl.record("repositioned", "US", "2017-06-19", incident="s")  # starts at 00:00, first
    steps = [Step("suspended"), Step("repositioned")]
    report = tl.sequence(steps)
    assert [[1, 2]] == positions(report)
    match = report.matches[0]
    assert match.order_certain is False
    assert dt.datetime(2017, 6, 19, 6, tzinfo=UTC) == match.placements[1]  # pushed
    assert (dt.timedelta(0),) == match.gaps
    assert [] == positions(tl.sequence(steps, certain_only=True))
    assert [] == positions(
        tl.sequence([Step("repositioned"), Step("suspended")], certain_only=True)
    )


def test_impossible_orders_are_not_matched(tl: timeline.Timeline) -> None:
    """An event whose interval ends by the previous placement cannot follow it; one whose
    interval reaches past it can, uncertainly."""
    tl.record("a", "US", "2017-06-19T12:00Z", incident="s")
    tl.record("b", "US", "2017-06-19T11:00Z", precision="hour", incident="s")  # ends 12:00
    assert [] == positions(tl.sequence(AB))
    tl.record("b", "US", "2017-06-19", incident="s")  # sometime on June 19: maybe after
    report = tl.sequence(AB)
    assert [[1, 3]] == positions(report)
    assert (False, dt.datetime(2017, 6, 19, 12, tzinfo=UTC)) == (
        report.matches[0].order_certain,
        report.matches[0].placements[1],
    )


def test_exact_events_at_one_moment_count_in_position_order(tl: timeline.Timeline) -> None:
    """Exact events at the same moment are ordered by position, and certain, as in EQL."""
    put(tl, ("b", 0), ("a", 0), ("b", 0))
    report = tl.sequence(AB)
    assert [[2, 3]] == positions(report)
    assert report.matches[0].order_certain


def test_reports_are_bitemporal(tl: timeline.Timeline) -> None:
    """known_at sees what was recorded by then, corrections and retractions as of then."""
    first = put(tl, ("a", 0), ("b", 5))
    before = first[-1].recorded_at
    time.sleep(0.002)
    tl.correct(first[1].id, type="c")
    assert [] == positions(tl.sequence(AB))
    assert [[1, 2]] == positions(tl.sequence(AB, known_at=before))
    late = put(tl, ("b", 3))
    assert [[1, late[0].position]] == positions(tl.sequence(AB))
    time.sleep(0.002)
    tl.retract(first[0].id, "not an a")
    assert [] == positions(tl.sequence(AB))
    assert [[1, 2]] == positions(tl.sequence(AB, known_at=before))


def test_report_renders_in_four_formats(tl: timeline.Timeline) -> None:
    """Text, Markdown, JSON and CSV all carry the matches, gaps and summary."""
    put(tl, ("a", 0), ("b", 90), ("a", 100), ("b", 130), ("a", 200))
    report = tl.sequence(AB, within="1d")
    text = report.to_text()
    assert "matches: 2" in text and "1h 30m" in text and "partial matches still open: 1" in text
    assert "gap into step 2: n=2 min=30m median=1h max=1h 30m" in text
    markdown = report.to_markdown()
    assert "| # | key |" in markdown and "**Matches:** 2" in markdown
    document = json.loads(report.to_json())
    assert [5400.0, 1800.0] == [m["gaps_seconds"][0] for m in document["matches"]]
    assert [3, 2] == document["funnel"] and 86400.0 == document["query"]["within_seconds"]
    rows = list(csv.DictReader(io.StringIO(report.to_csv())))
    assert 4 == len(rows) and ["a", "b", "a", "b"] == [r["type"] for r in rows]
    assert "5400.0" == rows[1]["gap_seconds"]
    stats = report.gap_stats[0]
    assert (2, dt.timedelta(minutes=30), dt.timedelta(minutes=60), dt.timedelta(minutes=90)) == (
        stats.count,
        stats.minimum,
        stats.median,
        stats.maximum,
    )


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: [Step("a", absent=True), Step("b")], "steps"),
        (lambda: [Step("a"), Step("b", absent=True)], "steps"),
        (lambda: [Step("a", max_gap="1d"), Step("b")], "steps[0].max_gap"),
        (lambda: [Step("a"), "b"], "steps[1]"),
        (lambda: [Step("a", key="colour")], "key"),
        (lambda: [Step("a", key=())], "key"),
        (lambda: [Step("a", where={"colour": 1})], "where.colour"),
        (lambda: [Step("a", where={"data": 1})], "where.data"),
        (lambda: [Step("a", where=[1])], "where"),
        (lambda: [Step("a", max_gap="soon")], "max_gap"),
        (lambda: [Step("Not Snake")], "type"),
        (lambda: [Step("a", absent="yes")], "absent"),
    ],
)
def test_bad_steps_are_refused(tl: timeline.Timeline, build, field: str) -> None:  # type: ignore[no-untyped-def]
    """Steps are validated, naming the field."""
    with pytest.raises(InvalidEventError) as caught:
        tl.sequence(build())
    assert field == caught.value.field


def test_bad_sequence_options_are_refused(tl: timeline.Timeline) -> None:
    """within, until, by and known_at are validated, naming the argument."""
    with pytest.raises(InvalidEventError, match=r"^within:"):
        tl.sequence(AB, within="3 dayz")
    with pytest.raises(InvalidEventError, match=r"^until:"):
        tl.sequence(AB, until="stop")  # type: ignore[arg-type]
    with pytest.raises(InvalidEventError, match=r"^by:"):
        tl.sequence(AB, by="colour")
    with pytest.raises(InvalidEventError, match=r"^known_at:"):
        tl.sequence(AB, known_at="Monday")


def test_many_matches_are_held_compactly_and_read_back_the_same(
    tl: timeline.Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report with more matches than a page holds them compactly (issue 15: every
    matched event was held whole, 7.5 KB a match) and reads them back a page at a time:
    the same matches, events, gaps and renderings as when read whole at once, a
    corrected event and a match of uncertain order included."""
    events = put(
        tl,
        *[(kind, 10 * n + step) for n in range(7) for step, kind in enumerate("ab")],
        ("b", 180, {"precision": "hour", "actor": "Syria"}),
        ("a", 185, {"actor": "Syria"}),
    )
    tl.correct(events[4].id, occurred_at=at(41))
    steps = [Step("a", key="actor"), Step("b", key="actor")]
    whole = tl.sequence(steps)
    assert isinstance(whole.matches, tuple)
    monkeypatch.setattr(timeline.view, "MATCHES_PAGE", 2)
    monkeypatch.setattr(timeline.sequences, "MATCHES_PAGE", 2)
    compact = tl.sequence(steps)
    assert isinstance(compact.matches, timeline.sequences.Matches)
    assert 7 == len(compact.matches) == len(whole.matches)
    assert list(whole.matches) == list(compact.matches)
    assert [False] == [m.order_certain for m in compact.matches if m.key == "Syria"]
    corrected = [e for m in compact.matches for e in m.events if e.id == events[4].id]
    assert [at(41)] == [e.occurred_at for e in corrected]
    assert whole.matches[3] == compact.matches[3]
    assert whole.matches[1:6] == compact.matches[1:6]
    assert whole.matches == compact.matches
    assert whole.gap_stats == compact.gap_stats
    for render in ("to_text", "to_markdown", "to_json", "to_csv"):
        assert getattr(whole, render)() == getattr(compact, render)()


@pytest.mark.parametrize("with_data", [False, True])
@pytest.mark.parametrize("reported", [False, True])
def test_the_scans_glimpses_are_whole_tuples_that_say_what_the_events_say(
    tl: timeline.Timeline, with_data: bool, reported: bool
) -> None:
    """The scan makes its glimpses as bare tuples (tuple.__new__, for speed): each has
    every field of Glimpse, and equals the one built by keyword from the whole event."""
    from timeline.events import Glimpse

    tl.record("strike", "US", "2017-06-18 10:00Z", incident="s", targets=["Syria", "Iran"],
              data={"note": "x"}, reported_at="2017-06-19")  # fmt: skip
    tl.record("truce", "Syria", "2017-06-17", incident="s")
    store = tl._store
    last = store.known_position(None)
    bound = (dt.datetime(2030, 1, 1, tzinfo=dt.UTC), True) if reported else None
    glimpses = list(
        store.glimpses(
            known_position=last, types=["strike", "truce"], with_data=with_data, reported_to=bound
        )
    )
    whole = {e.position: e for e in tl.events()}
    assert [len(Glimpse._fields)] * 2 == [len(g) for g in glimpses]
    for g in glimpses:
        e = whole[g.position]
        times = (e.recorded_at, e.reported_at, e.reported_precision) if reported else ()
        expected = Glimpse(
            e.position, e.type, e.actor, e.incident, e.precision, e.occurred_at, e.targets,
            e.data if with_data else {}, *times,
        )  # fmt: skip
        assert expected == g


def test_an_absence_or_until_with_a_max_gap_is_refused_not_ignored(tl: timeline.Timeline) -> None:
    """A max_gap on an absent step (or on until, or an absent until) used to be taken and
    ignored, the JSON report still saying it was asked: "a, no x within 1h, then b" and
    "a, no x within 30d, then b" gave the same answer. They are refused."""
    with pytest.raises(InvalidEventError, match=r"^max_gap:"):
        Step("x", absent=True, max_gap="1h")
    with pytest.raises(InvalidEventError, match=r"^until:"):
        tl.sequence(AB, until=Step("x", max_gap="1h"))
    with pytest.raises(InvalidEventError, match=r"^until:"):
        tl.sequence(AB, until=Step("x", absent=True))


def test_certain_only_still_heeds_an_absence_or_until_reported_maybe_by_the_bound(
    tl: timeline.Timeline,
) -> None:
    """With certain_only, a claim whose reported time straddles reported_by is left out
    of the steps; it used to be left out as an absence and as until too, so that
    certain_only found a certain match the full report does not hold at all (the
    absence may have been reported by then)."""
    put(tl, ("a", 0, {"reported_at": at(0)}))
    put(tl, ("x", 60, {"reported_at": "2017-06-19"}))
    put(tl, ("b", 120, {"reported_at": at(120)}))
    bound = "2017-06-19T12:00Z"
    absence = [Step("a"), Step("x", absent=True), Step("b")]
    assert [] == positions(tl.sequence(absence, reported_by=bound))
    assert [] == positions(tl.sequence(absence, reported_by=bound, certain_only=True))
    until = Step("x")
    assert [] == positions(tl.sequence(AB, until=until, reported_by=bound))
    assert [] == positions(tl.sequence(AB, until=until, reported_by=bound, certain_only=True))
    # the steps' own events, reported by the bound, still match
    assert [[1, 3]] == positions(tl.sequence(AB, reported_by=bound, certain_only=True))


def test_markdown_summary_keeps_a_step_of_several_types_in_one_cell(
    tl: timeline.Timeline,
) -> None:
    """The summary table named a step of several types with a bare ``|`` (``step 1:
    a|c``), which Markdown reads as a cell border: the row had three cells."""
    put(tl, ("c", 0), ("a", 30), ("b", 60))
    report = tl.sequence([Step(["a", "c"]), Step("b")])
    rows = [line for line in report.to_markdown().splitlines() if line.startswith("| step 1")]
    assert ["| step 1: a\\|c | reached by 2 |"] == rows


def test_a_partial_match_holding_a_claim_reported_maybe_by_the_bound_is_uncertain(
    tl: timeline.Timeline,
) -> None:
    """A partial match is reported as a match would be: holding a claim whose reported
    time straddles reported_by, it is flagged, as the match it becomes is (it said
    order_certain=True, and the JSON report with it)."""
    put(tl, ("a", 0, {"reported_at": "2017-06-19"}))
    report = tl.sequence(AB, reported_by="2017-06-19T12:00Z")
    assert [False] == [p.order_certain for p in report.partial]
    assert [False] == [p["order_certain"] for p in json.loads(report.to_json())["partial"]]


def test_the_text_report_does_not_blame_overlapping_times_for_a_late_report(
    tl: timeline.Timeline,
) -> None:
    """A match flagged because a claim may have been reported just after reported_by,
    its times apart (08:00 and 10:00, exact), was said to be uncertain for
    "overlapping times"."""
    put(tl, ("a", 0, {"reported_at": "2017-06-19"}), ("b", 120, {"reported_at": at(120)}))
    report = tl.sequence(AB, reported_by="2017-06-19T12:00Z")
    assert [False] == [m.order_certain for m in report.matches]
    row = report.to_text().splitlines()[4]
    assert "overlapping" not in row and row.endswith("no (reported maybe after the bound)")


@pytest.mark.parametrize("until", [False, True])
def test_the_text_report_does_not_blame_a_late_report_for_an_event_maybe_between(
    tl: timeline.Timeline, until: bool
) -> None:
    """A match flagged because an absent step's (or until's) event known to the day may
    lie between its exact events said "reported maybe after the bound", though no
    reported_by bound was asked."""
    put(tl, ("a", 12 * 60), ("c", 14 * 60))
    tl.record("b", "US", "2017-06-18", incident="s")
    if until:
        report = tl.sequence([Step("a"), Step("c")], until=Step("b"))
    else:
        report = tl.sequence([Step("a"), Step("b", absent=True), Step("c")])
    assert [False] == [m.order_certain for m in report.matches]
    row = report.to_text().splitlines()[4]
    assert row.endswith("no (an absent or until event may lie between)"), row


def test_the_text_report_says_a_match_may_pass_its_limits(tl: timeline.Timeline) -> None:
    """A match possible only because an earlier event may stand late in its interval
    (a day of June 15, then 12:00 on June 18, within 3 days or max_gap 3 days) is
    flagged for its limits, not for overlapping times or a late report."""
    tl.record("a", "US", "2017-06-15", incident="s")
    tl.record("b", "US", "2017-06-18T12:00Z", incident="s")
    for steps, within, why in (
        ([Step("a"), Step("b")], "3d", "no (may span more than within)"),
        ([Step("a"), Step("b", max_gap="3d")], None, "no (a gap may pass its max_gap)"),
    ):
        report = tl.sequence(steps, within=within)
        assert [False] == [m.order_certain for m in report.matches]
        assert report.to_text().splitlines()[4].endswith(why)


def test_certain_only_is_true_or_false(tl: timeline.Timeline) -> None:
    """A sequence review: certain_only="false" was taken as true (bool() of a text)."""
    with pytest.raises(timeline.InvalidEventError, match="certain_only: expected True or False"):
        tl.sequence([Step("shootdown")], certain_only="false")  # type: ignore[arg-type]


def test_the_report_says_everything_it_was_asked(tl: timeline.Timeline) -> None:
    """A sequence review: the text's query line left out each step's max_gap and where
    and the until step's key, and the JSON query the where conditions and the until key,
    so a saved report did not say what it had looked for."""
    tl.record("shootdown", "US", "2017-06-18 15:43Z", incident="s", data={"jet": "Su-22"})
    steps = [
        Step("shootdown", key="actor", where={"data.jet": "Su-22"}),
        Step("cooperation_suspended", key="targets", max_gap="2d"),
    ]
    report = tl.sequence(steps, until=Step("truce", key="actor"))
    first = report.to_text().splitlines()[0]
    assert 'shootdown (key actor; where data.jet="Su-22")' in first
    assert "cooperation_suspended (key targets; at most 2d after the step before)" in first
    assert "until truce (key actor)" in first
    query = json.loads(report.to_json())["query"]
    assert [{"data.jet": "Su-22"}, None] == [s["where"] for s in query["steps"]]
    assert (["actor"], None) == (query["until_key"], query["until_where"])
    predicate = tl.sequence([Step("shootdown", where=lambda e: True)])
    assert "where a predicate holds" in predicate.to_text().splitlines()[0]
    assert "a predicate" == json.loads(predicate.to_json())["query"]["steps"][0]["where"]


def test_the_query_line_says_an_absences_key(tl: timeline.Timeline) -> None:
    """An absence's key changes the answer (a restoration by the targets, or by the
    actor), but the text and Markdown query line left it out: reports that differ read
    the same ("a (key actor) -> not c -> b (key actor)")."""
    put(tl, ("a", 0, {"actor": "X"}), ("c", 1, {"actor": "Y", "targets": ["X"]}))
    put(tl, ("b", 2, {"actor": "X"}))
    lines = set()
    for key in ("actor", "targets"):
        steps = [Step("a", key="actor"), Step("c", key=key, absent=True), Step("b", key="actor")]
        report = tl.sequence(steps)
        assert f"not c (key {key})" in report.to_text().splitlines()[0]
        assert f"not c (key {key})" in report.to_markdown().splitlines()[0]
        lines.add(report.to_text().splitlines()[0])
    assert 2 == len(lines)


def test_a_report_is_an_answer_after_its_timeline_is_closed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report whose matches are held compactly (more than MATCHES_PAGE of them) reads
    their events whole as they are used; a closed timeline refuses every new question,
    and the benchmark's report, read after its ``with`` block, failed with 'the timeline
    is closed' where a smaller report (a tuple) did not. A report is an answer: it reads
    what it holds once its timeline is closed, as before; a new question is refused."""
    monkeypatch.setattr(timeline.view, "MATCHES_PAGE", 1)
    monkeypatch.setattr(timeline.sequences, "MATCHES_PAGE", 1)
    with timeline.open(f"sqlite:///{tmp_path / 'closed.db'}") as tl:
        for day in ("18", "19", "20"):
            tl.record("shootdown", "US", f"2017-06-{day} 10:00Z", incident=day)
            tl.record("cooperation_suspended", "Russia", f"2017-06-{day} 12:00Z", incident=day)
        report = tl.sequence([Step("shootdown"), Step("cooperation_suspended")])
        listed = tl.events()
    assert ["18", "19", "20"] == [m.events[0].incident for m in report.matches]
    text = report.to_text()
    assert "matches: 3" in text and "cooperation_suspended@2017-06-20 12:00" in text
    assert 0 == tl._store.engine.pool.checkedin()  # a review: no pool left open by it
    with pytest.raises(timeline.StoreError, match="the timeline is closed"):
        tl._store.integrity()  # verify --deep's check reopened a closed store
    with pytest.raises(timeline.StoreError, match="the timeline is closed"):
        list(listed)
    with pytest.raises(timeline.StoreError, match="the timeline is closed"):
        tl.sequence([Step("shootdown")])


def test_an_open_imprecise_event_does_not_fill_one_step_of_two_matches(
    tl: timeline.Timeline,
) -> None:
    """A new user's trial (the README's own 'shootdown|drone_shootdown' example on the
    seed gives two matches ending with one repositioning): a (June 18), b (known to the
    day, June 19), a (June 19 05:00), b (June 19 06:00): "a, then b" paired the
    day-precision b with both a's, [[1, 2], [3, 2]] (order uncertain), and lost the
    certain [3, 4], which certain_only=True finds. An event fills a step of one match per
    key, the first it can: [[1, 2], [3, 4]], both certain."""
    tl.append(
        [
            timeline.Event("a", "X", "2017-06-18T10:00:00Z", incident="i", precision="exact"),
            timeline.Event("b", "X", "2017-06-19", incident="i"),
            timeline.Event("a", "X", "2017-06-19T05:00:00Z", incident="i", precision="exact"),
            timeline.Event("b", "X", "2017-06-19T06:00:00Z", incident="i", precision="exact"),
        ]
    )
    report = tl.sequence([Step("a"), Step("b")])
    found = [[e.position for e in m.events] for m in report.matches]
    step_two = [events[-1] for events in found]
    assert len(step_two) == len(set(step_two)), found
    certain = tl.sequence([Step("a"), Step("b")], certain_only=True)
    assert [[1, 2], [3, 4]] == [[e.position for e in m.events] for m in certain.matches]
    assert [3, 4] in found, found
    assert [([1, 2], True), ([3, 4], True)] == [
        ([e.position for e in m.events], m.order_certain) for m in report.matches
    ]


def _month_b_then_a_and_until(count: int) -> list[timeline.RecordedEvent]:
    """``count`` b's known only to June 2017, then ``count`` exact a's, each followed by
    an exact until c: ``count`` matches [a, b], each open to an until while June is."""
    import uuid

    june = dt.datetime(2017, 6, 1, tzinfo=dt.UTC)
    made: list[tuple[str, dt.datetime, str]] = [("b", june, "month")] * count
    for i in range(count):
        made.append(("a", june + dt.timedelta(minutes=10 * i), "exact"))
        made.append(("c", june + dt.timedelta(minutes=10 * i + 5), "exact"))
    return [
        timeline.RecordedEvent(
            id=uuid.UUID(int=p),
            incident="s",
            version=p,
            position=p,
            type=type_,
            actor="US",
            targets=(),
            occurred_at=at,
            precision=precision,
            data={},
            effects={},
            source={},
            recorded_at=june,
            hash="",
        )
        for p, (type_, at, precision) in enumerate(made, start=1)
    ]


def _placement_checks(
    monkeypatch: pytest.MonkeyPatch, feed: Callable[[Any, int], None]
) -> list[int]:
    """The placement checks (``sequences._between`` calls) that ``feed(matcher, count)``
    costs an ``a, b until c`` matcher, for 100 and then 200 as ``count``."""
    from timeline import sequences

    checks = 0
    between = sequences._between

    def counted(*args: object, **kwargs: object) -> object:
        nonlocal checks
        checks += 1
        return between(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sequences, "_between", counted)
    spent = []
    for count in (100, 200):
        checks = 0
        feed(sequences.Matcher([Step("a"), Step("b")], until=Step("c")), count)
        spent.append(checks)
    return spent


def test_until_among_open_imprecise_matches_costs_work_in_proportion_to_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An until event costs the matcher a bounded amount of work, not a placement check
    per match still open: twice the events, at most about twice the checks (each until
    weighed every match held back by an open month: 20,000 events, a quarter of them
    month-precision, took 42 s with until=, 0.1 s without)."""

    def feed(matcher: Any, count: int) -> None:
        for event in _month_b_then_a_and_until(count):
            matcher.feed(event)
        assert count == len(matcher.report().matches)

    spent = _placement_checks(monkeypatch, feed)
    assert spent[1] <= 3 * max(spent[0], 1)


def test_open_imprecise_untils_cost_work_in_proportion_to_events(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Until events known only to June cost the matches made in June a bounded amount of
    work each, not a placement check per until still open: twice the events, at most
    about twice the checks (each advance weighed every open until of its key)."""
    swapped = {"b": "c", "c": "b"}  # c (the until) a month long; a, then b exactly

    def feed(matcher: Any, count: int) -> None:
        for event in _month_b_then_a_and_until(count):  # b: month, a and c exact
            matcher.feed(attrs.evolve(event, type=swapped.get(event.type, event.type)))

    spent = _placement_checks(monkeypatch, feed)
    assert spent[1] <= 3 * max(spent[0], 1)


def test_open_imprecise_events_that_filled_a_step_cost_work_in_proportion_to_events() -> None:
    """A partial match reaching a step weighs a bounded number of the open imprecise
    events there, not every one that already filled a match: twice the events, at most
    about twice the checks."""
    from timeline import sequences

    class Counted(set[tuple[int, object, int]]):
        checks = 0

        def __contains__(self, item: object) -> bool:
            Counted.checks += 1
            return super().__contains__(item)

    spent = []
    for count in (100, 200):
        Counted.checks = 0
        matcher = sequences.Matcher([Step("a"), Step("b")])
        matcher._filled = Counted()
        history = [e for e in _month_b_then_a_and_until(count) if e.type != "c"]
        for event in history:
            matcher.feed(event)
        assert count == len(matcher.report().matches)
        spent.append(Counted.checks)
    assert spent[1] <= 3 * max(spent[0], 1), spent
