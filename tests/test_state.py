"""State at any moment, as known at any moment: the rules of time on both backends."""

from __future__ import annotations

import datetime as dt
import itertools
import time
from typing import Any

import pytest
import sqlalchemy as sa

import timeline
from timeline import InvalidEventError, NotFoundError

from helpers import raw_engine

UTC = dt.UTC
INCIDENT = "syria-2017-06"

# The seed, reduced to what changes Russia's cooperation with the US: the 2015 memorandum
# on air safety over Syria, then the suspension of June 19, 2017 (known to the day).
SEED = [
    ("cooperation_suspended", "Russia", "2017-06-19", ["US"]),
    ("shootdown", "US", "2017-06-18T18:43+03:00", ["Syria"]),
    ("cooperation_established", "Russia", "2015-10-20", ["US"]),
    ("aircraft_repositioned", "US", "2017-06-19", []),
]


def seed_timeline(tl: timeline.Timeline, order: tuple[int, ...] = (0, 1, 2, 3)) -> None:
    """Declare the seed's templates and record its events in the given order."""
    tl.define("cooperation_established", {"{actor}": {"cooperation.{target}": "active"}})
    tl.define("cooperation_suspended", {"{actor}": {"cooperation.{target}": "suspended"}})
    tl.define("shootdown", {"{target}": {"aircraft_lost": {"$inc": 1}}})
    for i in order:
        type_, actor, at, targets = SEED[i]
        tl.record(type_, actor, at, incident=INCIDENT, targets=targets)


@pytest.mark.parametrize("order", list(itertools.permutations(range(4)))[::5])
def test_seed_cooperation_before_and_after_the_suspension(
    db_url: str, order: tuple[int, ...]
) -> None:
    """Russia's cooperation with the US is active before June 19, 2017 and suspended after,
    whatever order the reports were recorded in."""
    with timeline.open(db_url) as tl:
        seed_timeline(tl, order)
        assert "active" == tl.state("Russia", at="2017-06-18")["cooperation.US"]
        assert "active" == tl.state("Russia", at="2017-06-18T23:59Z")["cooperation.US"]
        after = tl.state("Russia", at="2017-06-20")
        assert ("suspended", frozenset()) == (after["cooperation.US"], after.uncertain)
        assert "suspended" == tl.state("Russia")["cooperation.US"]
        assert 1 == tl.state("Syria", at="2017-06-19")["aircraft_lost"]
        assert tl.state("Syria", at="2017-06-18T15:42Z").get("aircraft_lost") is None


def test_a_day_event_at_noon_is_applied_and_uncertain(tl: timeline.Timeline) -> None:
    """Asked about noon of its day, a day-precision event applies but is uncertain; asked
    about the day, it is certain."""
    seed_timeline(tl)
    noon = tl.state("Russia", at=dt.datetime(2017, 6, 19, 12, tzinfo=UTC))
    assert "suspended" == noon["cooperation.US"]
    assert frozenset({"cooperation.US"}) == noon.uncertain
    day = tl.state("Russia", at="2017-06-19")
    assert ("suspended", frozenset()) == (day["cooperation.US"], day.uncertain)
    assert (dt.datetime(2017, 6, 20, tzinfo=UTC), False) == day.at


def test_the_answer_says_what_it_answers_for(tl: timeline.Timeline) -> None:
    """A state carries at and known_at as the bounds its basis used (a known_at past the
    store's clock is the present), the events applied and the newest position."""
    seed_timeline(tl, (2, 0, 1, 3))
    state = tl.state("Russia", at="2017-06-19", known_at="2999-01-01")
    assert (2, 2) == (state.events_applied, state.last_position)
    # a known_at past the store's clock is the present: the answer says the clock
    assert (dt.datetime(2017, 6, 20, tzinfo=UTC), False) == state.at
    assert state.basis.known_at == state.known_at
    assert state.known_at is not None and state.known_at[1]
    assert state.known_at[0] < dt.datetime(2999, 1, 1, tzinfo=UTC)
    assert {"cooperation.US": "suspended"} == dict(state)
    assert {"cooperation": {"US": "suspended"}} == state.tree()
    assert 4 == tl.state("US").events_applied  # named as actor or as a target


def test_a_late_report_changes_the_past_only_for_later_knowledge(tl: timeline.Timeline) -> None:
    """A report recorded late changes answers about the past for known_at after it, and
    never for known_at before it."""
    tl.define("cooperation_suspended", {"{actor}": {"cooperation.{target}": "suspended"}})
    tl.record(
        "cooperation_established",
        "Russia",
        "2015-10-20",
        incident=INCIDENT,
        effects={"Russia": {"cooperation.US": "active"}},
    )
    before_report = tl.events().__next__().recorded_at
    time.sleep(0.002)
    late = tl.record(
        "cooperation_suspended", "Russia", "2017-06-19", incident=INCIDENT, targets=["US"]
    )
    assert "active" == tl.state("Russia", at="2017-06-20", known_at=before_report)["cooperation.US"]
    assert (
        "suspended"
        == tl.state("Russia", at="2017-06-20", known_at=late.recorded_at)["cooperation.US"]
    )


def test_corrections_apply_from_when_they_are_known(tl: timeline.Timeline) -> None:
    """A corrected occurred_at moves the event; earlier knowledge still sees the original."""
    seed_timeline(tl)
    suspension = next(tl.events(type="cooperation_suspended"))
    time.sleep(0.002)
    fix = tl.correct(suspension.id, occurred_at="2017-06-21")
    assert (suspension.id, "day") == (fix.corrects, fix.precision)
    assert "active" == tl.state("Russia", at="2017-06-20")["cooperation.US"]
    old = tl.state("Russia", at="2017-06-20", known_at=suspension.recorded_at)
    assert "suspended" == old["cooperation.US"]
    assert "suspended" == tl.state("Russia", at="2017-06-21")["cooperation.US"]


def test_a_correction_can_change_the_actor(tl: timeline.Timeline) -> None:
    """Corrected to another actor, the event leaves the first actor's state and joins the
    other's; both answers are right for each knowledge."""
    first = tl.record(
        "mobilised", "Syria", "2017-06-18", incident=INCIDENT, effects={"Syria": {"alert": "high"}}
    )
    time.sleep(0.002)
    tl.correct(first.id, actor="Iran", effects={"Iran": {"alert": "high"}})
    assert {} == dict(tl.state("Syria"))
    assert {"alert": "high"} == dict(tl.state("Iran"))
    assert {"alert": "high"} == dict(tl.state("Syria", known_at=first.recorded_at))
    assert {} == dict(tl.state("Iran", known_at=first.recorded_at))


def test_corrections_chain_and_can_be_named_by_their_own_id(tl: timeline.Timeline) -> None:
    """The newest correction wins; correcting through a correction's id mends the event."""
    event = tl.record("report", "US", "2017-06-18", incident=INCIDENT, effects={"US": {"n": 1}})
    first = tl.correct(event.id, effects={"US": {"n": 2}})
    tl.correct(first.id, effects={"US": {"n": 3}})
    assert 3 == tl.state("US")["n"]
    with pytest.raises(InvalidEventError, match="changes nothing"):
        tl.correct(event.id, effects={"US": {"n": 3}})


def test_retractions_apply_from_when_they_are_known(tl: timeline.Timeline) -> None:
    """A retracted event is left out for knowledge after the retraction, kept before it."""
    seed_timeline(tl)
    suspension = next(tl.events(type="cooperation_suspended"))
    time.sleep(0.002)
    retraction = tl.retract(suspension.id, "the ministry denied it")
    assert ("retraction", {"reason": "the ministry denied it"}) == (
        retraction.type,
        retraction.data,
    )
    assert "active" == tl.state("Russia", at="2017-06-20")["cooperation.US"]
    assert (
        "suspended"
        == tl.state("Russia", at="2017-06-20", known_at=suspension.recorded_at)["cooperation.US"]
    )


def test_mending_refusals(tl: timeline.Timeline, db_url: str) -> None:
    """Unknown, retracted and retraction events cannot be mended; fields are checked."""
    import uuid

    event = tl.record("report", "US", "2017-06-18", incident=INCIDENT)
    with pytest.raises(NotFoundError, match=r"^event_id: no event"):
        tl.correct(uuid.uuid4(), actor="Iran")
    with pytest.raises(NotFoundError):
        tl.retract(uuid.uuid4(), "no such")
    with pytest.raises(InvalidEventError, match=r"^incident: cannot be corrected"):
        tl.correct(event.id, incident="other")
    with pytest.raises(InvalidEventError, match=r"^fields: nothing to correct"):
        tl.correct(event.id)
    with pytest.raises(InvalidEventError, match=r"^actor: must not be empty"):
        tl.correct(event.id, actor="")
    with pytest.raises(InvalidEventError, match=r"^reason:"):
        tl.retract(event.id, "  ")
    retraction = tl.retract(event.id, "wrong")
    with pytest.raises(InvalidEventError, match="retracted already"):
        tl.retract(event.id, "again")
    with pytest.raises(InvalidEventError, match="retracted already"):
        tl.correct(event.id, actor="Iran")
    with pytest.raises(InvalidEventError, match="is a retraction"):
        tl.correct(retraction.id, actor="Iran")
    assert 2 == len(list(tl.events()))


def test_history_lists_each_change(tl: timeline.Timeline) -> None:
    """history() gives when, old, new and the event, in valid-time order, filtered."""
    seed_timeline(tl, (0, 3, 1, 2))
    entries = tl.history("Russia", "cooperation")
    assert [(2015, None, "active"), (2017, "active", "suspended")] == [
        (h.when.year, h.old, h.new) for h in entries
    ]
    assert "cooperation_suspended" == entries[1].event.type
    assert ["cooperation.US"] == [h.attribute for h in tl.history("Russia", since="2016")]
    assert ["active"] == [h.new for h in tl.history("Russia", until="2017-06-18")]
    assert [] == tl.history("Russia", "army")


def test_states_of_every_actor_match_state(tl: timeline.Timeline) -> None:
    """states() answers for every actor at once, as state() would for each."""
    seed_timeline(tl, (3, 1, 0, 2))
    every = tl.states(at="2017-06-19 12:00Z")
    assert ["Russia", "Syria", "US"] == list(every)
    for actor, state in every.items():
        assert tl.state(actor, at="2017-06-19 12:00Z") == state


def test_history_selects_its_window_by_overlap_as_events_does(tl: timeline.Timeline) -> None:
    """A new user's trial: ``history(since=S, until=U)`` kept a change only when its
    event *started* at or after S, where ``events(since=S, until=U)`` lists every event
    that overlaps the window: Iraq's approval of the overflight "in June 2017" was in
    ``events`` for 15-20 June and not in ``history``, nor was a change of 23:00-24:00
    on 20 June in ``history(since="2017-06-20 23:59Z")``. Both read the window alike."""
    tl.record("approval", "Iraq", "2017-06", incident="s",
              effects={"Iraq": {"overflight": "approved"}})  # fmt: skip
    tl.record("note", "Iraq", "2017-06-14", incident="s", effects={"Iraq": {"early": 1}})
    tl.record("note", "Iraq", "2017-06-20T23Z", incident="s", effects={"Iraq": {"late": 1}})
    for window in (
        {"since": "2017-06-15", "until": "2017-06-20"},
        {"since": "2017-06-15", "until": "2017-06-20 22:00Z"},
        {"since": "2017-06-20 23:59Z"},
    ):
        listed = [e.position for e in tl.events(actor="Iraq", **window)]
        changed = [h.event.position for h in tl.history("Iraq", **window)]
        assert listed == changed, window
    assert ["overflight", "late"] == [
        h.attribute for h in tl.history("Iraq", since="2017-06-15", until="2017-06-20")
    ]


def test_an_event_without_effects_changes_nothing(tl: timeline.Timeline) -> None:
    """An event type with neither effects nor a template is applied and changes nothing."""
    tl.record("statement", "US", "2017-06-19", incident=INCIDENT)
    state = tl.state("US")
    assert ({}, 1) == (dict(state), state.events_applied)


def test_custom_fold_on_a_timeline(tl: timeline.Timeline) -> None:
    """A fold function registered on one Timeline is used there, and only there."""
    tl.define_fold("shootdown", lambda s, e: {**s, "shot": [*s.get("shot", []), e.actor]})
    tl.record("shootdown", "US", "2017-06-18", incident=INCIDENT, targets=["Syria"])
    assert ["US"] == tl.state("Syria")["shot"]
    with timeline.open(tl._store.engine.url) as other:
        assert {} == dict(other.state("Syria"))


def record_reports(tl: timeline.Timeline, count: int = 30) -> None:
    """``count`` reports of the US over June 2017, one append each, each adding one to
    ``n`` and setting ``last``."""
    for n in range(count):
        tl.record(
            "report",
            "US",
            f"2017-06-{1 + n % 28:02d}T{n % 24:02d}:00Z",
            incident=INCIDENT,
            effects={"US": {"n": {"$inc": 1}, "last": n}},
        )


def test_snapshots_are_made_used_and_never_change_answers(db_url: str) -> None:
    """With a small interval snapshots are stored; answers equal those without; a late
    report behind a snapshot still counts."""
    with (
        timeline.open(db_url, snapshot_interval=5) as snap,
        timeline.open(db_url, snapshot_interval=None) as plain,
    ):
        record_reports(snap)
        moments = [None, "2017-06-10", "2017-06-20T05:00Z", "2017-07-01"]
        for at in moments:
            assert plain.state("US", at=at) == snap.state("US", at=at)
        engine = raw_engine(db_url)
        with engine.connect() as conn:
            stored = conn.exec_driver_sql("SELECT count(*) FROM timeline_snapshots").scalar()
        engine.dispose()
        assert stored and stored > 0
        snap.record(
            "report", "US", "2017-06-02", incident=INCIDENT, effects={"US": {"n": {"$inc": 100}}}
        )
        for at in moments:
            assert plain.state("US", at=at) == snap.state("US", at=at)
        assert 130 == snap.state("US")["n"]
        assert snap.clear_snapshots() >= stored
        assert plain.state("US") == snap.state("US")


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_claims_of_one_instant_that_disagree_are_uncertain_with_snapshots_or_without(
    db_url: str, order: tuple[int, int]
) -> None:
    """Two claims of June 19 that set cooperation.US to active and to suspended: in either
    recording order, with snapshots taken between and after them or none, the answer lists
    it as uncertain (it gave the one recorded last as certain); counts added that day stay
    certain."""
    claims = [
        {"Russia": {"cooperation.US": "active", "reports": {"$inc": 1}}},
        {"Russia": {"cooperation.US": "suspended", "reports": {"$inc": 1}}},
    ]
    with (
        timeline.open(db_url, snapshot_interval=1) as snap,
        timeline.open(db_url, snapshot_interval=None) as plain,
    ):
        snap.record("statement", "Russia", "2017-06-18", incident=INCIDENT,
                    effects={"Russia": {"cooperation.US": "active"}})  # fmt: skip
        for i in order:
            snap.record("statement", "Russia", "2017-06-19", incident=INCIDENT, effects=claims[i])
            snap.state("Russia")  # snapshots at each step
        snap.record("statement", "Russia", "2017-06-20", incident=INCIDENT,
                    effects={"Russia": {"reports": {"$inc": 1}}})  # fmt: skip
        for at in (None, "2017-06-19", "2017-06-20"):
            for _ in range(2):  # the second from the snapshots the first stored
                state = snap.state("Russia", at=at)
                assert plain.state("Russia", at=at) == state
                assert ({"cooperation.US"}, 2 if at == "2017-06-19" else 3) == (
                    set(state.uncertain),
                    state["reports"],
                )
        assert plain.states()["Russia"].uncertain == frozenset({"cooperation.US"})


def test_a_question_is_one_statement(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """state() reads the basis's position, the mending, the snapshots and the events after
    the newest snapshot in one statement (issue 15: on PostgreSQL each was a round trip),
    with snapshots and without; a snapshot that a late event makes stale is not used,
    and the answers stay those of a fold without snapshots. (A statement the backend
    runs on the driver's own cursor, as PostgreSQL's ``fetch`` does, passes no
    SQLAlchemy event: each ``fetch`` counts as the one statement it runs.)"""
    with (
        timeline.open(db_url, snapshot_interval=5) as snap,
        timeline.open(db_url, snapshot_interval=None) as plain,
    ):
        record_reports(snap)
        snap.state("US")  # stores the snapshots (and asks once for the role's rights)
        plain.state("US")
        statements: list[str] = []

        def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
                statements.append(statement)

        backend = snap._store.backend
        fetch = backend.fetch

        def counted_fetch(*args: Any, **kwargs: Any) -> Any:
            before = len(statements)
            rows = fetch(*args, **kwargs)
            del statements[before:]  # seen by SQLAlchemy too, where it ran the statement
            statements.append("fetch")
            return rows

        monkeypatch.setattr(backend, "fetch", counted_fetch)
        moments = [None, "2017-06-10", "2017-06-20T05:00Z", "2017-07-01"]
        for tl in (snap, plain):
            sa.event.listen(tl._store.engine, "before_cursor_execute", count)
        for at in moments:
            statements.clear()
            answer = snap.state("US", at=at)
            assert 1 == len(statements), statements
            statements.clear()
            assert plain.state("US", at=at) == answer
            assert 1 == len(statements), statements
        # a late report behind every snapshot: they are refused, the events read again
        snap.record(
            "report", "US", "2017-06-01", incident=INCIDENT, effects={"US": {"n": {"$inc": 100}}}
        )
        for at in moments:
            statements.clear()
            answer = snap.state("US", at=at)
            assert len(statements) > 1
            assert plain.state("US", at=at) == answer


def test_bad_questions_are_refused(tl: timeline.Timeline) -> None:
    """state() and history() validate their arguments, naming them."""
    with pytest.raises(InvalidEventError, match=r"^at:"):
        tl.state("US", at="2017-06-19 12:00")
    with pytest.raises(InvalidEventError, match=r"^known_at:"):
        tl.state("US", known_at="June")
    with pytest.raises(InvalidEventError, match=r"^actor:"):
        tl.state("")
    with pytest.raises(InvalidEventError, match=r"^attribute:"):
        tl.history("US", "")
    with pytest.raises(InvalidEventError, match=r"^snapshot_interval:"):
        timeline.open("sqlite://", snapshot_interval=-1)


def test_the_folds_narrow_read_gives_what_the_whole_events_say(tl: timeline.Timeline) -> None:
    """The glimpses state() folds (made as tuples, id decoded when asked) equal those
    built from the whole events, with and without the reported times."""
    from timeline.events import Glimpse

    tl.record(
        "strike",
        "US",
        "2017-06-18 10:00Z",
        incident="s",
        targets=["Syria", "Iran"],
        effects={"US": {"strikes": {"$inc": 1}}},
        data={"note": "x"},
        reported_at="2017-06-19",
    )
    tl.record("truce", "Syria", "2017-06-17", incident="s", effects={"US": {"truce": True}})
    store = tl._store
    last = store.known_position(None)
    bound = (dt.datetime(2030, 1, 1, tzinfo=UTC), True)
    for reported in (None, bound):
        whole = list(store.in_valid_time(known_position=last, actor="US", reported_to=reported))
        narrow = list(
            store.in_valid_time(known_position=last, actor="US", reported_to=reported, whole=False)
        )
        built = [
            Glimpse(
                e.position,
                e.type,
                e.actor,
                e.incident,
                e.precision,
                e.occurred_at,
                e.targets,
                {},
                effects=e.effects,
                stored_id=e.id,
                **(
                    {}
                    if reported is None
                    else {
                        "recorded_at": e.recorded_at,
                        "reported_at": e.reported_at,
                        "reported_precision": e.reported_precision,
                    }
                ),
            )
            for e in whole
        ]
        # the id as the driver gave it (text on SQLite), decoded by Glimpse.id
        assert built == [g._replace(stored_id=g.id) for g in narrow]
        assert [e.id for e in whole] == [g.id for g in narrow]
        assert len(narrow) == 2


def test_states_match_state_with_mended_and_late_claims(tl: timeline.Timeline) -> None:
    """states() reads what the default fold reads, as state() does: with a correction
    that moves a claim, a retraction and a claim reported late, on a reported_by basis
    and without, each actor's state equals state() for it (uncertain attributes too)."""
    moved = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident=INCIDENT,
                      targets=["US"], effects={"Russia": {"cooperation.US": "suspended"}},
                      reported_at="2017-06-19")  # fmt: skip
    gone = tl.record("shootdown", "US", "2017-06-18T15:43Z", incident=INCIDENT, targets=["Syria"],
                     effects={"Syria": {"aircraft": {"$inc": -1}}})  # fmt: skip
    tl.record("aircraft_repositioned", "US", "2017-06-20", incident=INCIDENT,
              effects={"US": {"aircraft": "moved"}}, reported_at="2017-06-21T12:00Z")  # fmt: skip
    tl.correct(moved.id, occurred_at="2017-06-17", reported_at="2017-06-20")
    tl.retract(gone.id, "a different aircraft", reported_at="2017-06-22")
    for basis in ({}, {"reported_by": "2017-06-21"}, {"reported_by": "2017-06-20T06:00Z"}):
        view = tl.as_of(**basis)
        for at in ("2017-06-18", "2017-06-20T12:00Z", None):
            every = view.states(at=at)
            assert every, (basis, at)
            for actor, state in every.items():
                assert view.state(actor, at=at) == state, (basis, at, actor)
