"""What was known, when: reported time, one basis of knowledge, corrections as people mean
them, and snapshots that never serve a stale answer (issue 12), on SQLite and PostgreSQL.

The incident is the January 2020 US–Iran crisis as public reporting told it: the US
casualty count of the Ain al-Asad strike was first reported as none, then corrected as
reports came in.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

import timeline
from timeline import Basis, InvalidEventError, NotFoundError
from timeline.io import read_events, write_jsonl

INCIDENT = "iran-2020-01"
UTC = dt.UTC


def injured(tl: timeline.Timeline, value: int, **fields: object) -> timeline.RecordedEvent:
    """The casualty report of the Ain al-Asad strike: US injured = value."""
    return tl.record(
        "casualty_report",
        "US",
        "2020-01-08",
        incident=INCIDENT,
        effects={"US": {"injured": value}},
        **fields,  # type: ignore[arg-type]
    )


# -- 1. reported time ----------------------------------------------------------------------


def test_a_timeline_built_after_the_fact_answers_as_reported(tl: timeline.Timeline) -> None:
    """A store filled long after the reports answers "as reported by" from reported times:
    the casualty count on 2020-01-10 as reported by 2020-01-12 is the first report, where
    known_at (the store's clock) sees nothing at all then."""
    first = injured(tl, 0, reported_at="2020-01-08")
    tl.correct(first.id, effects={"US": {"injured": 11}}, reported_at="2020-01-16")
    tl.correct(first.id, effects={"US": {"injured": 34}}, reported_at="2020-01-24")
    asked = {"at": "2020-01-10"}
    assert 0 == tl.state("US", known_at="2020-01-12", **asked).events_applied
    assert {"injured": 0} == tl.state("US", reported_by="2020-01-12", **asked).to_dict()
    assert {"injured": 11} == tl.state("US", reported_by="2020-01-20", **asked).to_dict()
    assert {"injured": 34} == tl.state("US", **asked).to_dict()
    assert 0 == tl.state("US", reported_by="2020-01-07", **asked).events_applied


def test_reported_time_defaults_to_published_at_then_to_the_recorded_time(
    tl: timeline.Timeline,
) -> None:
    """Without reported_at the source's published_at gives it (with its own precision),
    else the recorded time; an unreadable published_at is refused, naming the field."""
    published = tl.record(
        "strike", "Iran", "2020-01-08T01:34+03:30", incident=INCIDENT,
        source={"publisher": "IRNA", "published_at": "2020-01-08 02:10 +03:30"},
    )  # fmt: skip
    assert (dt.datetime(2020, 1, 7, 22, 40, tzinfo=UTC), "minute") == published.reported
    assert (published.reported_at, published.reported_precision) == published.reported
    plain = tl.record("strike", "Iran", "2020-01-08", incident=INCIDENT)
    assert (None, None) == (plain.reported_at, plain.reported_precision)
    assert (plain.recorded_at, "exact") == plain.reported
    given = tl.record("strike", "Iran", "2020-01-08", incident=INCIDENT, reported_at="2020-01")
    assert (dt.datetime(2020, 1, 1, tzinfo=UTC), "month") == given.reported
    before = len(list(tl.events()))
    with pytest.raises(InvalidEventError, match=r"^source\.published_at: cannot read"):
        tl.record("strike", "Iran", "2020-01-08", incident=INCIDENT,
                  source={"published_at": "last Tuesday"})  # fmt: skip
    with pytest.raises(InvalidEventError, match=r"^reported_at: .*has no time zone"):
        tl.record("strike", "Iran", "2020-01-08", incident=INCIDENT, reported_at="2020-01-08 10:00")
    with pytest.raises(InvalidEventError, match=r"^reported_precision: is given without"):
        tl.record("strike", "Iran", "2020-01-08", incident=INCIDENT, reported_precision="day")
    with pytest.raises(InvalidEventError, match=r"^reported_precision: must be one of"):
        tl.record("strike", "Iran", "2020-01-08", incident=INCIDENT,
                  reported_at="2020-01-08", reported_precision="week")  # fmt: skip
    assert before == len(list(tl.events()))


def test_a_claim_straddling_the_reported_bound_applies_and_is_uncertain(
    tl: timeline.Timeline,
) -> None:
    """Reported "on January 12" (a day) and asked about noon that day: it applies, and the
    attributes it sets are uncertain; by the end of the day they are certain."""
    injured(tl, 0, reported_at="2020-01-12")
    noon = tl.state("US", reported_by="2020-01-12 12:00Z")
    assert ({"injured": 0}, frozenset({"injured"})) == (noon.to_dict(), noon.uncertain)
    day = tl.state("US", reported_by="2020-01-12")
    assert ({"injured": 0}, frozenset()) == (day.to_dict(), day.uncertain)


def test_a_correction_keeping_the_source_is_reported_when_recorded(tl: timeline.Timeline) -> None:
    """A correction that keeps the event's source does not take the source's published_at
    as its own reported time: without reported_at it is reported when recorded."""
    first = tl.record("strike", "Iran", "2020-01-08", incident=INCIDENT,
                      source={"published_at": "2020-01-09"})  # fmt: skip
    fix = tl.correct(first.id, data={"missiles": 16})
    assert (dt.datetime(2020, 1, 9, tzinfo=UTC), "day") == first.reported
    assert (None, (fix.recorded_at, "exact")) == (fix.reported_at, fix.reported)
    dated = tl.correct(first.id, source={"published_at": "2020-01-12"})
    assert (dt.datetime(2020, 1, 12, tzinfo=UTC), "day") == dated.reported


def test_corrections_and_retractions_count_from_their_own_reported_time(
    tl: timeline.Timeline,
) -> None:
    """A correction or retraction applies to readers whose reported bound reaches its own
    reported time, whatever the event's; one straddling the bound makes the event uncertain."""
    first = injured(tl, 0, reported_at="2020-01-08")
    tl.correct(first.id, effects={"US": {"injured": 11}}, reported_at="2020-01-16")
    assert {"injured": 0} == tl.state("US", reported_by="2020-01-15").to_dict()
    straddling = tl.state("US", reported_by="2020-01-16 08:00Z")
    assert ({"injured": 11}, frozenset({"injured"})) == (
        straddling.to_dict(),
        straddling.uncertain,
    )
    strike = tl.record("strike", "Iran", "2020-01-08", incident=INCIDENT,
                       effects={"Iran": {"strikes": 1}}, reported_at="2020-01-08")  # fmt: skip
    tl.retract(strike.id, "double-counted", reported_at="2020-01-20")
    assert {"strikes": 1} == tl.state("Iran", reported_by="2020-01-19").to_dict()
    assert {} == tl.state("Iran", reported_by="2020-01-20").to_dict()


def test_every_reader_takes_reported_by(tl: timeline.Timeline) -> None:
    """events, get, states, history, sequence, revisions and chart all answer on the
    reported bound."""
    early = tl.record("shootdown", "US", "2017-06-18T18:43+03:00", incident="s",
                      targets=["Syria"], reported_at="2017-06-18")  # fmt: skip
    late = tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s",
                     effects={"US": {"aircraft": "moved"}}, reported_at="2017-06-20")  # fmt: skip
    by = "2017-06-19"
    assert [early.id] == [e.id for e in tl.events(reported_by=by)]
    assert [early.id, late.id] == [e.id for e in tl.events()]
    with pytest.raises(NotFoundError, match="on this basis"):
        tl.get(late.id, reported_by=by)
    assert {"Syria", "US"} == set(tl.states(reported_by=by))
    assert {} == tl.states(reported_by=by)["US"].to_dict()
    assert [] == tl.history("US", reported_by=by)
    assert 1 == len(tl.history("US"))
    steps = [timeline.Step("shootdown"), timeline.Step("aircraft_repositioned")]
    assert (0, 1) == (
        len(tl.sequence(steps, reported_by=by).matches),
        len(tl.sequence(steps).matches),
    )
    with pytest.raises(NotFoundError):
        tl.revisions(late.id, reported_by=by)
    assert 1 == tl.chart(format="svg", reported_by=by).count('class="event"')
    assert 2 == tl.chart(format="svg").count('class="event"')


def test_a_match_holding_a_straddling_claim_is_of_uncertain_order(tl: timeline.Timeline) -> None:
    """A sequence match whose event was reported on the day asked about, at an instant of
    that day, is kept and marked uncertain; certain_only leaves it out."""
    tl.record("shootdown", "US", "2017-06-18T15:43Z", incident="s", reported_at="2017-06-18")
    tl.record("aircraft_repositioned", "US", "2017-06-18T20:00Z", incident="s",
              reported_at="2017-06-19")  # fmt: skip
    steps = [timeline.Step("shootdown"), timeline.Step("aircraft_repositioned")]
    assert [True] == [m.order_certain for m in tl.sequence(steps).matches]
    noon = "2017-06-19 12:00Z"
    assert [False] == [m.order_certain for m in tl.sequence(steps, reported_by=noon).matches]
    assert () == tl.sequence(steps, reported_by=noon, certain_only=True).matches


def test_every_form_of_the_sequence_scan_gives_the_same_report(tl: timeline.Timeline) -> None:
    """The scan reads what its steps look at (the glimpse, with ``data`` when a key or a
    condition reads it, with the reported times under a ``reported_by`` bound) or, for a
    predicate, whole events: each form, on each basis, gives the report that whole
    events give (the same matches, order certainty and partial matches)."""
    for n, day in enumerate(("18", "19", "20", "21")):
        theatre = {"theatre": "north" if n % 2 else "south"}
        tl.record("shootdown", "US", f"2017-06-{day}T10:00Z", incident="s", data=theatre,
                  reported_at=f"2017-06-{day}T12:00Z")  # fmt: skip
        tl.record("aircraft_repositioned", "US", f"2017-06-{day}T20:00Z", incident="s",
                  data=theatre, reported_at=f"2017-06-{int(day) + 1}")  # fmt: skip

    def report(whole: bool, **basis: str) -> object:
        where = (lambda event: True) if whole else None
        steps = [
            timeline.Step("shootdown", key=("actor", "data.theatre"), where=where),
            timeline.Step("aircraft_repositioned", key=("actor", "data.theatre")),
        ]
        found = tl.sequence(steps, **basis)
        return (
            [([e.position for e in m.events], m.order_certain, m.key) for m in found.matches],
            [[e.position for e in p.events] for p in found.partial],
        )

    for basis in ({}, {"reported_by": "2017-06-20T12:00Z"}, {"reported_by": "2017-06-20"}):
        assert report(True, **basis) == report(False, **basis), basis
    assert 4 == len(report(False)[0])


def test_reported_times_are_hashed_exported_and_imported(
    tl: timeline.Timeline, tmp_path: Path
) -> None:
    """reported_at is part of the hashed content, and an export imports back to the same
    events with the same reported times (JSON Lines and CSV)."""
    event = injured(tl, 0, reported_at="2020-01-08T09:00+03:00", reported_precision="hour")
    assert "reported_at" in event.content()
    assert tl.verify()
    for fmt in ("jsonl", "csv"):
        path = tmp_path / f"out.{fmt}"
        with path.open("w", encoding="utf-8", newline="") as file:
            if fmt == "jsonl":
                write_jsonl(tl.events(), file)
            else:
                from timeline.io import write_csv

                write_csv(tl.events(), file)
        [(_, back)] = list(read_events(path))
        assert isinstance(back, timeline.Event)
        assert event.to_event() == back
        assert (dt.datetime(2020, 1, 8, 6, tzinfo=UTC), "hour") == (
            back.reported_at,
            back.reported_precision,
        )


def test_an_export_from_before_reported_times_imports(
    tl: timeline.Timeline, tmp_path: Path
) -> None:
    """A JSON Lines line written before reported times existed (no such fields) imports,
    and its claim counts as reported when recorded."""
    line = {
        "id": "01900000-0000-7000-8000-000000000006", "incident": "syria-2017-06",
        "type": "shootdown", "actor": "US", "targets": ["Syria"],
        "occurred_at": "2017-06-18T15:43:00.000000Z", "precision": "minute",
        "data": {"aircraft": "Su-22"}, "effects": {}, "source": {},
        "corrects": None, "retracts": None,
    }  # fmt: skip
    path = tmp_path / "old.jsonl"
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    [(_, event)] = list(read_events(path))
    assert isinstance(event, timeline.Event)
    [stored] = tl.append([event])
    assert (stored.recorded_at, "exact") == stored.reported
    assert tl.verify()


# -- 3. one view of knowledge ---------------------------------------------------------------


def test_a_view_answers_every_reader_on_one_basis(tl: timeline.Timeline) -> None:
    """Reads through one view ignore what is appended after it was made, and every answer
    carries the view's basis; asking again on that basis gives the same answer."""
    first = injured(tl, 0)
    view = tl.as_of()
    tl.correct(first.id, effects={"US": {"injured": 11}})
    tl.record("strike", "Iran", "2020-01-08", incident=INCIDENT, targets=["US"])
    state = view.state("US")
    assert {"injured": 0} == state.to_dict()
    assert view.basis == state.basis == view.history("US").basis == view.events().basis
    assert view.basis == view.sequence([timeline.Step("strike")]).basis
    assert view.basis == view.revisions(first.id).basis
    assert [first.id] == [e.id for e in view.events()]
    assert () == view.sequence([timeline.Step("strike")]).partial
    assert state == tl.as_of(state.basis).state("US")
    assert {"injured": 11} == tl.state("US").to_dict()
    assert 1 == view.basis.position
    with pytest.raises(InvalidEventError, match=r"^reported_by: a basis has its own"):
        tl.as_of(state.basis, reported_by="2020-01-01")


def test_a_basis_names_its_bounds(tl: timeline.Timeline) -> None:
    """A basis says its position and bounds; a known_at in the future is the present."""
    injured(tl, 0)
    ten = dt.datetime(2020, 1, 12, 10, tzinfo=UTC)
    basis = tl.as_of(known_at="2020-01-12", reported_by=ten).basis
    assert (
        Basis(
            0,
            known_at=(dt.datetime(2020, 1, 13, tzinfo=UTC), False),
            reported_by=(ten, True),
        )
        == basis
    )
    assert (
        "position 0, recorded by the end of 2020-01-12 (UTC), "
        "reported by 2020-01-12T10:00:00.000000Z"
    ) == str(basis)
    future = tl.as_of(known_at="2999-01-01").basis
    assert 1 == future.position
    assert future.known_at is not None and future.known_at[1]
    assert future.known_at[0] < dt.datetime(2999, 1, 1, tzinfo=UTC)


def test_the_chart_draws_one_basis(tl: timeline.Timeline) -> None:
    """The chart's events and its bands are read on the same basis: the bands of a view
    made before a correction show the value before it."""
    first = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident="s",
                      effects={"Russia": {"cooperation.US": "suspended"}})  # fmt: skip
    view = tl.as_of()
    tl.correct(first.id, effects={"Russia": {"cooperation.US": "restored"}})
    picture = view.chart(format="svg", bands=["cooperation.US"])
    assert "suspended" in picture and "restored" not in picture
    assert "restored" in tl.chart(format="svg", bands=["cooperation.US"])


# -- 4. corrections as people mean them ------------------------------------------------------


def test_retracting_a_correction_undoes_that_correction(tl: timeline.Timeline) -> None:
    """Record injured=0, correct to 11, correct to 1100 by mistake, retract the 1100
    correction: the state is 11 again. Retracting the original still retracts it all."""
    first = injured(tl, 0)
    tl.correct(first.id, effects={"US": {"injured": 11}})
    typo = tl.correct(first.id, effects={"US": {"injured": 1100}})
    assert {"injured": 1100} == tl.state("US").to_dict()
    undo = tl.retract(typo.id, "a typo: 11, not 1100")
    assert (typo.id, {"injured": 11}) == (undo.retracts, tl.state("US").to_dict())
    assert {"injured": 1100} == tl.state(
        "US", known_at=undo.recorded_at - dt.timedelta(microseconds=1)
    ).to_dict()
    with pytest.raises(InvalidEventError, match="is retracted already"):
        tl.retract(typo.id, "again")
    with pytest.raises(InvalidEventError, match="is a retraction"):
        tl.retract(undo.id, "undo the undo")
    fixed = tl.correct(
        typo.id, effects={"US": {"injured": 34}}
    )  # a correction's id names its event
    assert (first.id, {"injured": 34}) == (fixed.corrects, tl.state("US").to_dict())
    tl.retract(first.id, "the report was withdrawn")
    assert {} == tl.state("US").to_dict()
    assert tl.verify()


def test_retracting_an_earlier_correction_undoes_only_what_it_changed(
    tl: timeline.Timeline,
) -> None:
    """A strike's day corrected, then its missile count: retracting the day's correction
    puts the day back and keeps the count (each correction changes the fields it changed
    when it was recorded, though it is stored whole)."""
    strike = tl.record("missile_strike", "Iran", "2020-01-08", incident=INCIDENT,
                       data={"missiles": 10})  # fmt: skip
    day = tl.correct(strike.id, occurred_at="2020-01-09")
    count = tl.correct(strike.id, data={"missiles": 16})
    assert (9, {"missiles": 16}) == (count.occurred_at.day, count.data)  # stored whole
    tl.retract(day.id, "it was the 8th after all")
    [current] = tl.events(current=True)
    assert (8, {"missiles": 16}, (count.id,)) == (
        current.occurred_at.day,
        current.data,
        current.corrected_by,
    )
    assert [(9, 10), (9, 16), (8, 16)] == [
        (r.event.occurred_at.day, r.event.data["missiles"])
        for r in tl.revisions(strike.id)[1:]
        if r.event is not None
    ]
    fix = tl.correct(strike.id, data={"missiles": 15})  # from the form as it now stands
    assert (8, {"missiles": 15}) == (fix.occurred_at.day, fix.data)
    assert 1 == tl.state("Iran", at="2020-01-08").events_applied


def test_retracting_every_correction_restores_the_event_as_recorded(tl: timeline.Timeline) -> None:
    """With all its corrections retracted, an event stands as first recorded, at its own
    time again."""
    first = injured(tl, 0)
    moved = tl.correct(first.id, occurred_at="2020-01-09", effects={"US": {"injured": 5}})
    tl.retract(moved.id, "wrong day")
    [current] = tl.events(current=True)
    assert (first.occurred_at, {"US": {"injured": 0}}, ()) == (
        current.occurred_at,
        current.effects,
        current.corrected_by,
    )
    assert 1 == tl.state("US", at="2020-01-08").events_applied


def test_the_correction_reported_last_gives_the_fields(tl: timeline.Timeline) -> None:
    """Corrections recorded out of order (a researcher entering later reports first) apply
    in the order they were reported: the latest report wins, and earlier bounds see the
    earlier ones."""
    first = injured(tl, 0, reported_at="2020-01-08")
    tl.correct(first.id, effects={"US": {"injured": 34}}, reported_at="2020-01-24")
    tl.correct(first.id, effects={"US": {"injured": 11}}, reported_at="2020-01-16")
    assert {"injured": 34} == tl.state("US").to_dict()
    assert {"injured": 11} == tl.state("US", reported_by="2020-01-20").to_dict()


def test_an_actor_read_sees_every_correction_of_the_events_it_reaches(
    tl: timeline.Timeline,
) -> None:
    """A correction reported early brings the US into an event's effects; one recorded
    before it but reported later (so it gives the effects) names only Russia: reading the
    US, whose index names only the first, applies both in reported order (found by the
    brute-force property test)."""
    first = tl.record("report", "Russia", "2017-06-01T00:00Z", incident="s",
                      effects={"Syria": {"coop": 0}, "Russia": {"coop": 0}},
                      reported_at="2017-06-01")  # fmt: skip
    tl.correct(first.id, effects={}, reported_at="2017-06-20")
    tl.correct(first.id, effects={"Russia": {"coop": 0}, "US": {"coop": 0}},
               reported_at="2017-06-01")  # fmt: skip
    assert (0, {}) == (tl.state("US").events_applied, tl.state("US").to_dict())
    assert {"coop": 0} == tl.state("US", reported_by="2017-06-10").to_dict()
    assert [] == [e.id for e in tl.events(actor="US", current=True)]


def test_current_events_list_each_claim_once_as_it_stands(tl: timeline.Timeline) -> None:
    """events(current=True): a strike recorded once and corrected four times is listed
    once, with the corrected fields and the corrections that shaped it; retracted events
    and the mending events themselves are left out; filters apply to the corrected form."""
    strike = tl.record("missile_strike", "Iran", "2020-01-08", incident=INCIDENT,
                       targets=["US"], data={"missiles": 10})  # fmt: skip
    fixes = [tl.correct(strike.id, data={"missiles": n}) for n in (11, 15, 16)] + [
        tl.correct(strike.id, occurred_at="2020-01-08T01:34+03:30")
    ]
    gone = tl.record("missile_strike", "Iran", "2020-01-09", incident=INCIDENT)
    tl.retract(gone.id, "no such strike")
    assert 7 == len(list(tl.events(type="missile_strike"))) + 1  # the retraction's type differs
    [current] = tl.events(current=True)
    assert (strike.id, {"missiles": 16}, "minute", tuple(f.id for f in fixes)) == (
        current.id,
        current.data,
        current.precision,
        current.corrected_by,
    )
    assert [strike.id] == [e.id for e in tl.events(current=True, type="missile_strike",
                                                    until="2020-01-08", actor="US")]  # fmt: skip
    assert [] == list(tl.events(current=True, since="2020-01-09"))
    assert [] == list(tl.events(current=True, limit=0))
    first_basis = tl.events(current=True, known_at=strike.recorded_at)
    assert [{"missiles": 10}] == [e.data for e in first_basis]


def test_current_events_of_an_actor_list_events_corrected_to_name_it(
    tl: timeline.Timeline,
) -> None:
    """events(actor=X, current=True) lists an event whose actor, targets or effects were
    corrected to name X, though its stored form never did (the actor index names only the
    correction), and leaves out one corrected away from X; each once, in position order,
    as state(X) folds them."""
    wrong = tl.record("shootdown", "Syria", "2017-06-18", incident=INCIDENT)
    named = tl.record("statement", "US", "2017-06-19", incident=INCIDENT)
    moved = tl.record("repositioning", "US", "2017-06-20", incident=INCIDENT)
    tl.correct(wrong.id, actor="US")
    tl.correct(moved.id, actor="Russia")
    assert [wrong.id, named.id] == [e.id for e in tl.events(actor="US", current=True)]
    assert ["US", "US"] == [e.actor for e in tl.events(actor="US", current=True)]
    assert [moved.id] == [e.id for e in tl.events(actor="Russia", current=True)]
    assert [] == [e.id for e in tl.events(actor="Syria", current=True)]
    assert [named.id] == [
        e.id for e in tl.events(actor="US", current=True, after_position=wrong.position)
    ]
    assert [wrong.id] == [e.id for e in tl.events(actor="US", current=True, limit=1)]
    assert [] == [e.id for e in tl.events(actor="US", current=True, incident="other")]
    target = tl.record("strike", "Iran", "2017-06-21", incident=INCIDENT, targets=["Iraq"])
    tl.correct(target.id, targets=["US"])
    assert [wrong.id, named.id, target.id] == [e.id for e in tl.events(actor="US", current=True)]
    before = tl.events(actor="US", current=True, known_at=target.recorded_at)
    assert [wrong.id, named.id] == [e.id for e in before]


def test_get_says_whether_an_event_was_corrected_or_retracted(tl: timeline.Timeline) -> None:
    """get(id) returns the event as recorded with the corrections that stand and the
    retraction that withdrew it, as known on the basis asked."""
    first = injured(tl, 0)
    fix = tl.correct(first.id, effects={"US": {"injured": 11}})
    typo = tl.correct(first.id, effects={"US": {"injured": 1100}})
    tl.retract(typo.id, "typo")
    found = tl.get(first.id)
    assert (first.effects, (fix.id,), None) == (
        found.effects,
        found.corrected_by,
        found.retracted_by,
    )
    assert (fix.id, typo.id) == tl.get(first.id, known_at=typo.recorded_at).corrected_by
    gone = tl.retract(first.id, "withdrawn")
    assert gone.id == tl.get(first.id).retracted_by
    assert tl.get(typo.id).retracted_by is not None


def test_revisions_show_every_form_a_claim_took(tl: timeline.Timeline) -> None:
    """revisions(id): how the casualty count changed as reports came in, with when each
    change was reported and recorded; the same from any id of the claim."""
    first = injured(tl, 0, reported_at="2020-01-08")
    tl.correct(first.id, effects={"US": {"injured": 11}}, reported_at="2020-01-16")
    typo = tl.correct(first.id, effects={"US": {"injured": 1100}}, reported_at="2020-01-17")
    undo = tl.retract(typo.id, "typo", reported_at="2020-01-17")
    tl.correct(first.id, effects={"US": {"injured": 34}}, reported_at="2020-01-24")
    gone = tl.retract(first.id, "superseded", reported_at="2020-02-10")
    forms = tl.revisions(first.id)
    assert [
        ("recorded", 0, 8),
        ("corrected", 11, 16),
        ("corrected", 1100, 17),
        ("correction retracted", 11, 17),
        ("corrected", 34, 24),
        ("retracted", None, 10),
    ] == [
        (
            r.change,
            None if r.event is None else r.event.effects["US"]["injured"],
            r.reported[0].day,
        )
        for r in forms
    ]
    assert (undo.recorded_at, gone.id) == (forms[3].recorded_at, forms[-1].by.id)
    assert [r.change for r in forms] == [r.change for r in tl.revisions(typo.id)]
    assert [r.change for r in forms] == [r.change for r in tl.revisions(undo.id)]
    assert 2 == len(tl.revisions(first.id, reported_by="2020-01-16"))


# -- 5. snapshots that can never serve a stale answer ------------------------------------


def _reports(tl: timeline.Timeline, n: int) -> None:
    tl.append([
        timeline.Event("report", "US", f"2020-01-{1 + i % 28:02d}", incident=INCIDENT,
                       targets=["Iran"], data={})
        for i in range(n)
    ])  # fmt: skip


def test_redefining_a_closure_fold_never_reuses_its_snapshots(db_url: str) -> None:
    """A fold redefined with another closure (len(targets), then len(data)) answers for the
    new one, on one Timeline and across two on one database."""
    with timeline.open(db_url, snapshot_interval=2) as tl:
        _reports(tl, 8)
        tl.define_fold("report", lambda s, e: {"n": s.get("n", 0) + len(e.targets)})
        assert 8 == tl.state("US")["n"]
        tl.define_fold("report", lambda s, e: {"n": s.get("n", 0) + len(e.data)})
        assert 0 == tl.state("US")["n"]
        with timeline.open(db_url, snapshot_interval=2) as other:
            other.define_fold("report", lambda s, e: {"n": s.get("n", 0) + len(e.targets)})
            assert 8 == other.state("US")["n"]


def test_a_changed_default_argument_is_never_served_from_a_snapshot(db_url: str) -> None:
    """Two folds alike but for a default argument (1 vs 50 per report) give their own
    answers, even when the first was snapshotted."""

    def per_report(weight: int) -> timeline.fold.FoldFunction:
        def fold(state: timeline.ActorState, event: object, w: int = weight) -> dict[str, int]:
            return {"score": state.get("score", 0) + w}

        return fold

    with timeline.open(db_url, snapshot_interval=2) as tl:
        _reports(tl, 14)
        tl.define_fold("report", per_report(1))
        assert 14 == tl.state("US")["score"]
        tl.define_fold("report", per_report(50))
        assert 700 == tl.state("US")["score"]


def test_a_versioned_fold_uses_snapshots_and_a_new_version_does_not(db_url: str) -> None:
    """A fold with a version stores and reuses snapshots; another version never reads them."""
    with timeline.open(db_url, snapshot_interval=2) as tl:
        _reports(tl, 8)
        tl.define_fold("report", lambda s, e: {"n": s.get("n", 0) + 1}, version="1")
        assert 8 == tl.state("US")["n"]
        assert tl.clear_snapshots() > 0
        tl.state("US")
        tl.define_fold("report", lambda s, e: {"n": s.get("n", 0) + 2}, version="2")
        assert 16 == tl.state("US")["n"]
        tl.define_fold("report", lambda s, e: {"n": s.get("n", 0) + 3})
        assert 24 == tl.state("US")["n"]


@pytest.mark.parametrize("instant", ["2017-06-19T00:00:00Z", "2017-06-19T06:30:00Z"])
def test_a_reported_bound_on_a_whole_second_keeps_what_was_reported_at_it(
    tl: timeline.Timeline, instant: str
) -> None:
    # A reported bound is inclusive: a claim reported at that very instant is known. The
    # sequence scan (several types, no actor) binds the bound on the driver's cursor,
    # where a whole second once went to SQLite without its ".000000" and, compared as
    # text with the stored form, left the claim out (found in review).
    tl.record("shootdown", "US", "2017-06-18", incident="s", reported_at="2017-06-18T00:00Z")
    tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s", reported_at=instant)
    steps = [timeline.Step("shootdown"), timeline.Step("aircraft_repositioned")]
    at_it, before_it = (
        tl.as_of(reported_by=instant),
        tl.as_of(reported_by=dt.datetime.fromisoformat(instant) - dt.timedelta(microseconds=1)),
    )
    assert 1 == len(at_it.sequence(steps).matches)
    assert 0 == len(before_it.sequence(steps).matches)
    assert 2 == len(list(at_it.events()))
    assert 2 == at_it.state("US").events_applied


def test_a_basis_past_the_newest_position_is_refused(tl: timeline.Timeline) -> None:
    """A basis past the store's newest position would take in what is appended later,
    so the same basis would give two answers: it is refused, naming the field."""
    injured(tl, 0)
    with pytest.raises(InvalidEventError, match=r"^known_at.position: 3 is past the newest"):
        tl.as_of(Basis(3))
    newest = tl.as_of(Basis(1)).state("US")
    injured(tl, 11)
    assert newest == tl.as_of(newest.basis).state("US")


def test_revisions_on_a_reported_bound_read_what_each_correction_changed(
    tl: timeline.Timeline,
) -> None:
    """A correction changes the fields it changed when it was recorded, whether the
    corrections before it are reported by the bound or not. Moved to 7 January by a
    correction reported late, then given 11 injured by one reported on the 10th: read by
    the 15th, the claim is of 8 January with 11 injured, in revisions() as in get(),
    events(current=True) and state() (revisions() read the count's correction as moving
    the event to the 7th too)."""
    first = injured(tl, 0, reported_at="2020-01-08")
    tl.correct(first.id, occurred_at="2020-01-07", reported_at="2020-02-01")
    tl.correct(first.id, effects={"US": {"injured": 11}}, reported_at="2020-01-10")
    view = tl.as_of(reported_by="2020-01-15")
    (now,) = view.events(current=True)
    last = view.revisions(first.id)[-1]
    assert (last.change, last.event.occurred_at, last.event.effects) == (
        "corrected",
        now.occurred_at,
        now.effects,
    )
    assert now.occurred_at == view.get(first.id).occurred_at == first.occurred_at
    assert view.state("US", at=first.occurred_at)["injured"] == 11


def test_a_retraction_of_a_correction_straddling_the_bound_makes_it_uncertain(
    tl: timeline.Timeline,
) -> None:
    """A correction to 11 injured reported on the 9th, retracted on the 12th (a day):
    asked at noon on the 12th the retraction applies, but may have been public only in
    the afternoon, so 'injured' (0 again) is uncertain, as it is when a correction
    straddles the bound; by the end of the day it is certain."""
    first = injured(tl, 0, reported_at="2020-01-08")
    fix = tl.correct(first.id, effects={"US": {"injured": 11}}, reported_at="2020-01-09")
    tl.retract(fix.id, "a typo", reported_at="2020-01-12")
    noon = tl.state("US", reported_by="2020-01-12 12:00Z")
    assert (noon["injured"], noon.uncertain) == (0, frozenset({"injured"}))
    late = tl.state("US", reported_by="2020-01-12")
    assert (late["injured"], late.uncertain) == (0, frozenset())
    entry = tl.as_of(reported_by="2020-01-12 12:00Z").history("US")[-1]
    assert (entry.new, tl.as_of(reported_by="2020-01-11").state("US")["injured"]) == (0, 11)


def test_a_retraction_of_the_claim_straddling_the_bound_makes_it_uncertain(
    tl: timeline.Timeline,
) -> None:
    """A strike claimed on the 8th and retracted on the 12th (a day): asked at noon on the
    12th the retraction applies (the claim is withdrawn) but may have been public only in
    the afternoon, so what the claim set is uncertain, as when a correction straddles the
    bound; by the end of the day it is certain, and the day before the claim stands."""
    tl.record("alert", "Iran", "2020-01-07", incident=INCIDENT,
              effects={"Iran": {"alert": "high"}}, reported_at="2020-01-07")  # fmt: skip
    strike = tl.record("strike", "Iran", "2020-01-08", incident=INCIDENT, targets=["US"],
                       effects={"Iran": {"strikes": 1, "alert": "high"}},
                       reported_at="2020-01-08")  # fmt: skip
    tl.retract(strike.id, "double-counted", reported_at="2020-01-12")
    noon = "2020-01-12 12:00Z"
    got = tl.state("Iran", reported_by=noon)
    # alert was high before the claim: the claim changes nothing there, so it stays certain
    assert ({"alert": "high"}, frozenset({"strikes"}), 1) == (
        got.to_dict(), got.uncertain, got.events_applied
    )  # fmt: skip
    every = tl.states(reported_by=noon)["Iran"]
    assert (every.to_dict(), every.uncertain) == (got.to_dict(), got.uncertain)
    day = tl.state("Iran", reported_by="2020-01-12")
    assert ({"alert": "high"}, frozenset()) == (day.to_dict(), day.uncertain)
    before = tl.state("Iran", reported_by="2020-01-11")
    assert ({"alert": "high", "strikes": 1}, frozenset()) == (before.to_dict(), before.uncertain)
    assert frozenset() == tl.state("Iran", at="2020-01-07", reported_by=noon).uncertain
