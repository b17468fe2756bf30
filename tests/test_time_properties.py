"""Property tests for the rules of time, on SQLite and PostgreSQL (hypothesis).

- any recording order of the same events gives the same state for every moment;
- snapshots on and off give identical answers over histories with late events,
  corrections and retractions, and both equal a pure replay of the events;
- knowledge before a late event, correction or retraction gives exactly the earlier answer;
- every state forms a tree, and a dotted name never splits a path.

The histories run under generated effect templates (strategies.templates): parts for
``{actor}`` and ``{target}``, events with several targets, nested paths, operators, and
actors named ``U.S.`` and ``U``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import timeline
from timeline.fold import Folder, Replay, fold, involved, resolve, standing_corrections
from timeline.times import interval_end

import strategies

SETTINGS = settings(
    # 8 per run keeps the suite near 5 minutes on 2 cores; every CI run draws new examples
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def declare(tl: timeline.Timeline, templates: dict[str, Any]) -> timeline.Timeline:
    """Define generated templates (strategies.templates) on ``tl``."""
    for type_, template in templates.items():
        tl.define(type_, template)
    return tl


def answer(state: timeline.State) -> tuple[Any, ...]:
    """What a state says about the world (not which positions said it)."""
    return (state.to_dict(), state.uncertain, state.events_applied, state.problems)


@SETTINGS
@given(events=strategies.histories(max_size=7), templates=strategies.templates, data=st.data())
def test_any_recording_order_gives_the_same_state(
    new_db: Callable[[], str],
    events: list[timeline.Event],
    templates: dict[str, Any],
    data: st.DataObject,
) -> None:
    """Recorded in any order, one event per append or in batches, the same events give the
    same state for every actor at every moment."""
    shuffled = data.draw(st.permutations(events))
    split = data.draw(st.integers(0, len(events)))
    with (
        declare(timeline.open(new_db()), templates) as first,
        declare(timeline.open(new_db()), templates) as second,
    ):
        for event in events:
            first.append([event])
        second.append(shuffled[:split])
        second.append(shuffled[split:])
        for at in strategies.questions(events):
            for actor in strategies.ACTORS:
                state = first.state(actor, at=at)
                assert answer(state) == answer(second.state(actor, at=at))
                assert_a_tree(state)


def assert_a_tree(state: timeline.State) -> None:
    """The state nests into a tree holding each attribute, and no path holds the parts of
    a dotted name split apart (``U.S.`` is never substituted into a path)."""
    tree = state.tree()
    for path, value in state.items():
        node: Any = tree
        for part in path.split("."):
            node = node[part]
        assert value == node
        assert "U.S" not in path and ".S." not in f".{path}."


def run(
    ops: list[tuple[str, Any]], tl: timeline.Timeline, between: Callable[[], None]
) -> list[timeline.RecordedEvent]:
    """Carry out a recording session; call ``between`` after each step."""
    originals: list[timeline.RecordedEvent] = []
    for kind, arg in ops:
        if kind == "append":
            originals += tl.append(arg)
        elif kind == "correct":
            index, fields = arg
            # refused when retracted already, or when the correction changes nothing
            with contextlib.suppress(timeline.InvalidEventError):
                tl.correct(originals[index].id, **fields)
        else:
            index, reported_at = arg
            with contextlib.suppress(timeline.InvalidEventError):  # retracted already
                tl.retract(originals[index].id, "generated", reported_at=reported_at)
        time.sleep(0.001)  # each step recorded at its own microsecond
        between()
    return originals


def reference(
    resolved: list[timeline.RecordedEvent], actor: str, at: Any, folder: Folder
) -> Replay:
    """The answer by brute force: the known events, resolved and folded in memory."""
    bound = None if at is None else timeline.times.through(at, field="at")
    return fold(actor, resolved, at=bound, folder=folder)


@SETTINGS
@given(ops=strategies.operations(), templates=strategies.templates)
def test_snapshots_never_change_answers(
    new_db: Callable[[], str], ops: list[tuple[str, Any]], templates: dict[str, Any]
) -> None:
    """With snapshots every 2 events (made while the history grows, then reached behind
    by late events, corrections and retractions) and without, every answer is equal, and
    equal to a brute-force replay."""
    url = new_db()
    with (
        declare(timeline.open(url, snapshot_interval=2), templates) as snap,
        declare(timeline.open(url, snapshot_interval=None), templates) as plain,
    ):

        def ask_all() -> None:
            for actor in strategies.ACTORS:
                snap.state(actor)  # builds snapshots as the history grows
                snap.state(actor, at="2017-06-05")

        run(ops, snap, ask_all)
        events = [e for e in snap.events()]
        stamps = sorted({e.recorded_at for e in events})
        folder = plain._folder
        for known_at in [None, *stamps[:: max(1, len(stamps) // 3)]]:
            resolved = resolve([e for e in events if known_at is None or e.recorded_at <= known_at])
            for at in strategies.questions([e.to_event() for e in events])[::4]:
                for actor in strategies.ACTORS:
                    with_snapshots = snap.state(actor, at=at, known_at=known_at)
                    assert with_snapshots == plain.state(actor, at=at, known_at=known_at)
                    expected = reference(resolved, actor, at, folder)
                    assert (expected.values, expected.uncertain, expected.events_applied) == (
                        with_snapshots.to_dict(),
                        with_snapshots.uncertain,
                        with_snapshots.events_applied,
                    )


@SETTINGS
@given(ops=strategies.operations(), templates=strategies.templates)
def test_earlier_knowledge_gives_exactly_the_earlier_answer(
    new_db: Callable[[], str], ops: list[tuple[str, Any]], templates: dict[str, Any]
) -> None:
    """What was answered after each step is answered again, later, with known_at set to
    that step: late events, corrections and retractions recorded since change nothing."""
    with declare(timeline.open(new_db(), snapshot_interval=3), templates) as tl:
        moments = [None, "2017-06-03", "2017-06-06T12:00Z", "2017-06-12"]
        then: list[tuple[Any, dict[tuple[str, Any], tuple[Any, ...]]]] = []

        def remember() -> None:
            newest = max(e.recorded_at for e in tl.events())
            then.append(
                (
                    newest,
                    {
                        (actor, at): answer(tl.state(actor, at=at))
                        for actor in strategies.ACTORS
                        for at in moments
                    },
                )
            )

        run(ops, tl, remember)
        for known_at, answers in then:
            for (actor, at), earlier in answers.items():
                assert earlier == answer(tl.state(actor, at=at, known_at=known_at))


def reported_timing(event: timeline.RecordedEvent, bound: Any) -> str:
    """The rule of reported time, read from the README: a claim counts when its reported
    interval starts by the bound, and is uncertain when that interval ends after it."""
    if bound is None:
        return "applies"
    start, precision = event.reported
    moment, inclusive = bound
    if start > moment or (start == moment and not inclusive):
        return "later"
    return "uncertain" if interval_end(start, precision) > moment else "applies"


def brute_force(
    events: list[timeline.RecordedEvent],
    actor: str,
    at: Any,
    known_at: Any,
    reported_by: Any,
    folder: Folder,
) -> Replay:
    """The answer by brute force: the events recorded by known_at and reported by
    reported_by, resolved and folded in memory; a claim (or the correction that gives its
    fields) straddling the reported bound makes what it sets uncertain."""
    bound = None if reported_by is None else timeline.times.through(reported_by, field="r")
    known = [
        e
        for e in events
        if (known_at is None or e.recorded_at <= known_at) and reported_timing(e, bound) != "later"
    ]
    meta = [e for e in known if e.corrects is not None or e.retracts is not None]
    shaky = {
        root
        for root, fixes in standing_corrections(meta).items()
        if any(reported_timing(fix, bound) == "uncertain" for fix in fixes)
    }
    history = [
        e
        for e in events
        if (e.corrects is not None or e.retracts is not None)
        and (known_at is None or e.recorded_at <= known_at)
    ]
    at_bound = None if at is None else timeline.times.through(at, field="at")
    return fold(
        actor,
        resolve(known, history=history),
        at=at_bound,
        folder=folder,
        unsure=lambda e: reported_timing(e, bound) == "uncertain" or e.id in shaky,
    )


@SETTINGS
@given(ops=strategies.operations(reported=True), templates=strategies.templates)
def test_reported_by_answers_as_the_rules_read(
    new_db: Callable[[], str], ops: list[tuple[str, Any]], templates: dict[str, Any]
) -> None:
    """With any reported times on events, corrections and retractions, recorded in any
    order, state(reported_by=R, known_at=K) equals a brute-force reading of the rules, with
    snapshots on and off; and events(actor=X, current=True) lists exactly the events
    listed with current=True that name X as they stand."""
    url = new_db()
    with (
        declare(timeline.open(url, snapshot_interval=2), templates) as snap,
        declare(timeline.open(url, snapshot_interval=None), templates) as plain,
    ):
        run(ops, snap, lambda: [snap.state(a) for a in strategies.ACTORS] and None)
        events = list(snap.events())
        stamps = sorted({e.recorded_at for e in events})
        reported = [
            None,
            "2017-06-03",
            "2017-06-05T12Z",
            dt.datetime(2017, 6, 7, 5, tzinfo=dt.UTC),
        ]
        folder = plain._folder
        for known_at in [None, stamps[len(stamps) // 2]]:
            for reported_by in reported:
                basis = {"known_at": known_at, "reported_by": reported_by}
                listed = list(snap.events(current=True, **basis))
                for actor in strategies.ACTORS:  # the actor index reaches corrected events
                    assert [e for e in listed if actor in involved(e)] == list(
                        snap.events(actor=actor, current=True, **basis)
                    )
                same_sequence_both_ways(snap, basis, events)
                for at in strategies.questions([e.to_event() for e in events])[::5]:
                    for actor in strategies.ACTORS:
                        got = snap.state(actor, at=at, known_at=known_at, reported_by=reported_by)
                        assert got == plain.state(
                            actor, at=at, known_at=known_at, reported_by=reported_by
                        )
                        expected = brute_force(events, actor, at, known_at, reported_by, folder)
                        assert (expected.values, expected.uncertain, expected.events_applied) == (
                            got.to_dict(),
                            got.uncertain,
                            got.events_applied,
                        )
            # a claim's own reported instant as the (inclusive) bound, whole seconds too
            for instant in sorted({e.reported[0] for e in events})[:3]:
                basis = {"known_at": known_at, "reported_by": instant}
                same_sequence_both_ways(snap, basis, events)


def same_sequence_both_ways(
    tl: timeline.Timeline, basis: dict[str, Any], events: list[timeline.RecordedEvent]
) -> None:
    """A sequence report reads the same on the scan's light path (a few columns, on the
    driver's cursor) as on its whole-event path (a ``where`` function needs whole events):
    the same matches, events and certainty, with a reported bound of any form."""
    types = list(dict.fromkeys(e.type for e in events))[:2]
    if len(types) < 2:
        types *= 2
    view = tl.as_of(**basis)

    def seen(steps: list[timeline.Step]) -> list[tuple[Any, ...]]:
        report = view.sequence(steps)
        return [(tuple(e.id for e in m.events), m.order_certain) for m in report.matches]

    light = [timeline.Step(t) for t in types]
    whole = [timeline.Step(t, where=lambda e: True) for t in types]
    assert seen(whole) == seen(light)


@SETTINGS
@given(
    weights=st.lists(st.integers(0, 5), min_size=2, max_size=4),
    versioned=st.booleans(),
    events=strategies.histories(min_size=3, max_size=8),
)
def test_redefined_folds_never_change_answers(
    new_db: Callable[[], str], weights: list[int], versioned: bool, events: list[timeline.Event]
) -> None:
    """Redefining a fold function (another closure, default argument or helper) or a
    template, asking after each, never gives an answer that differs from snapshots off;
    versioned functions get a new version each time they change."""
    url = new_db()

    def helper_factory(weight: int) -> Callable[[int], int]:
        return lambda n: n + weight

    with timeline.open(url, snapshot_interval=1) as snap:
        snap.append(events)
        for round, weight in enumerate(weights):
            helper = helper_factory(weight)

            def by_closure(state: Any, event: Any) -> dict[str, Any]:
                # late-bound on purpose: what changes is invisible in its bytecode
                return {**state, "n": helper(state.get("n", 0))}  # noqa: B023

            def by_default(state: Any, event: Any, w: int = weight) -> dict[str, Any]:
                return {**state, "m": state.get("m", 0) + w}

            version = str(round) if versioned else None
            snap.define_fold("report", by_closure, version=version)
            snap.define_fold("shootdown", by_default, version=version)
            snap.define("cooperation_suspended", {"{actor}": {"coop": weight}})
            with timeline.open(url, snapshot_interval=None) as plain:
                plain.define_fold("report", by_closure)
                plain.define_fold("shootdown", by_default)
                plain.define("cooperation_suspended", {"{actor}": {"coop": weight}})
                for at in strategies.questions(events)[::3]:
                    for actor in strategies.ACTORS:
                        assert answer(plain.state(actor, at=at)) == answer(snap.state(actor, at=at))
