"""Property tests for the rules of time, on SQLite and PostgreSQL (hypothesis).

- any recording order of the same events gives the same state for every moment;
- snapshots on and off give identical answers over histories with late events,
  corrections and retractions, and both equal a pure replay of the events;
- knowledge before a late event, correction or retraction gives exactly the earlier answer.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import timeline
from timeline.fold import Folder, Replay, fold, resolve

import strategies

SETTINGS = settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def declare(tl: timeline.Timeline) -> timeline.Timeline:
    """The templates the generated histories use."""
    tl.define(
        "cooperation_suspended",
        {"{actor}": {"coop": "suspended"}, "{target}": {"coop": "suspended"}},
    )
    tl.define("shootdown", {"{target}": {"air.count": {"$inc": -1}}})
    return tl


def answer(state: timeline.State) -> tuple[Any, ...]:
    """What a state says about the world (not which positions said it)."""
    return (state.to_dict(), state.uncertain, state.events_applied, state.problems)


@SETTINGS
@given(events=strategies.histories(max_size=7), data=st.data())
def test_any_recording_order_gives_the_same_state(
    new_db: Callable[[], str], events: list[timeline.Event], data: st.DataObject
) -> None:
    """Recorded in any order, one event per append or in batches, the same events give the
    same state for every actor at every moment."""
    shuffled = data.draw(st.permutations(events))
    split = data.draw(st.integers(0, len(events)))
    with declare(timeline.open(new_db())) as first, declare(timeline.open(new_db())) as second:
        for event in events:
            first.append([event])
        second.append(shuffled[:split])
        second.append(shuffled[split:])
        for at in strategies.questions(events):
            for actor in strategies.ACTORS:
                assert answer(first.state(actor, at=at)) == answer(second.state(actor, at=at))


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
            with contextlib.suppress(timeline.InvalidEventError):  # retracted already
                tl.retract(originals[arg].id, "generated")
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
@given(ops=strategies.operations())
def test_snapshots_never_change_answers(
    new_db: Callable[[], str], ops: list[tuple[str, Any]]
) -> None:
    """With snapshots every 2 events (made while the history grows, then reached behind
    by late events, corrections and retractions) and without, every answer is equal, and
    equal to a brute-force replay."""
    url = new_db()
    with (
        declare(timeline.open(url, snapshot_interval=2)) as snap,
        declare(timeline.open(url, snapshot_interval=None)) as plain,
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
@given(ops=strategies.operations())
def test_earlier_knowledge_gives_exactly_the_earlier_answer(
    new_db: Callable[[], str], ops: list[tuple[str, Any]]
) -> None:
    """What was answered after each step is answered again, later, with known_at set to
    that step: late events, corrections and retractions recorded since change nothing."""
    with declare(timeline.open(new_db(), snapshot_interval=3)) as tl:
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
