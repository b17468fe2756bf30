"""What was known at K never changes, whatever was in flight when it was asked.

An append reads its ``recorded_at`` when it takes the write lock, but its rows become
visible only at commit. Before ``Store.settled`` waited for the append in flight,
``state(actor, known_at=K)`` asked during a slow load answered "calm", and the same call
after the commit "war". These tests ask during a 25,000-event load and after it, on a
SQLite file and on PostgreSQL, from threads with timelines of their own.

Nothing here asserts a duration: the load pauses a little per chunk only so that the
readers' questions land inside it, and the order of what happened is taken from one
shared step counter, not from clocks.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

import timeline

from helpers import raw_engine

ACTOR = "Iran"
AT = "2020-01-10"  # the valid time asked about: after both of Iran's events
LOAD_EVENTS = 25_000  # the last of them puts Iran at war
CHUNK = 1_000
READERS = 2  # one asks K then K0, the other K0 then K: both are asked in flight
ROUNDS_AFTER = 5  # rounds of questions each reader asks once the load has returned
PAUSE_PER_CHUNK = 0.02  # seconds; keeps the load in flight while the readers ask
TIMEOUT = 120.0  # seconds; any wait longer than this fails the test, naming what hung

_WAITING_ADVISORY = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def backend(url: str) -> str:
    """The backend's name for figures: ``sqlite`` or ``postgres``."""
    return "postgres" if url.startswith("postgres") else "sqlite"


@dataclass(frozen=True)
class Question:
    """One ``state(ACTOR, known_at=...)`` asked by a reader, and its answer."""

    which: str  # "K" or "K0"
    reader: int
    asked_step: int  # from the shared step counter, just before asking
    answered_step: int  # from the shared step counter, just after the answer came
    asked_s: float  # seconds since the load started, for the report only
    state: timeline.State


@dataclass
class Run:
    """What the threads of one test share: the step counter, signals and records."""

    steps: Iterator[int]
    started: float
    first_chunk: threading.Event
    load_done: threading.Event
    asking: list[threading.Event]
    chunks: list[int]  # the step of each chunk the load wrote
    questions: list[Question]
    errors: list[BaseException]


def _in_thread(target: Callable[[], None], errors: list[BaseException]) -> threading.Thread:
    """Start ``target`` in a daemon thread that records its exception instead of losing it."""

    def run() -> None:
        try:
            target()
        except BaseException as e:
            errors.append(e)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _join(threads: list[threading.Thread], what: str) -> None:
    """Join every thread within ``TIMEOUT`` seconds, else fail naming ``what`` hung."""
    deadline = time.monotonic() + TIMEOUT
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    hung = sum(thread.is_alive() for thread in threads)
    assert 0 == hung, f"{hung} {what} thread(s) still running after {TIMEOUT:.0f} s"


def _wait_for_readers(url: str, run: Run) -> None:
    """Hold the load after its first chunk until every reader has begun a question; on
    PostgreSQL until each is seen waiting for the append lock (or has answered already,
    which the answers will then show)."""
    deadline = time.monotonic() + TIMEOUT
    for asking in run.asking:
        assert asking.wait(timeout=max(0.0, deadline - time.monotonic())), (
            "a reader never asked during the load"
        )
    if backend(url) != "postgres":
        return  # SQLite has no view of who waits for its lock
    engine = raw_engine(url)
    try:
        with engine.connect() as conn:
            while time.monotonic() < deadline:
                waiting = conn.execute(sa.text(_WAITING_ADVISORY)).scalar_one()
                conn.rollback()
                if waiting >= READERS or run.questions:
                    return
                time.sleep(0.01)
    finally:
        engine.dispose()
    raise AssertionError(f"the readers were not seen waiting for the lock in {TIMEOUT:.0f} s")


def _stream() -> Iterator[timeline.Event]:
    """``LOAD_EVENTS`` events of other actors, then the one that puts Iran at war."""
    for n in range(LOAD_EVENTS - 1):
        yield timeline.Event("report", "observer", "2020-01-05", incident="load", data={"n": n})
    yield timeline.Event(
        "escalation", ACTOR, "2020-01-08", incident="load", effects={ACTOR: {"status": "war"}}
    )


def _load(url: str, tl: timeline.Timeline, run: Run) -> None:
    """Load the stream in one transaction, signalling after the first chunk and pausing a
    little after each, so that the readers ask while it is in flight."""

    def on_chunk(_size: int) -> None:
        run.chunks.append(next(run.steps))
        if len(run.chunks) == 1:
            run.first_chunk.set()
            _wait_for_readers(url, run)
        time.sleep(PAUSE_PER_CHUNK)

    try:
        assert LOAD_EVENTS == tl.load(_stream(), chunk_size=CHUNK, on_chunk=on_chunk)
    finally:
        run.load_done.set()


def _ask(
    tl: timeline.Timeline, reader: int, moments: list[tuple[str, dt.datetime]], run: Run
) -> None:
    """Ask ``state(ACTOR, known_at=...)`` for each moment in turn, again and again, until
    ``ROUNDS_AFTER`` rounds have begun after the load returned."""
    rounds_after = 0
    while rounds_after < ROUNDS_AFTER:
        if run.load_done.is_set():
            rounds_after += 1
        for which, moment in moments:
            asked_step, asked_s = next(run.steps), time.monotonic() - run.started
            run.asking[reader].set()
            state = tl.state(ACTOR, at=AT, known_at=moment)
            run.questions.append(
                Question(which, reader, asked_step, next(run.steps), asked_s, state)
            )


def _described(questions: list[Question], last_chunk: int) -> list[tuple[Any, ...]]:
    """The questions as ``(K or K0, in flight?, asked at s, answer, position)``, for messages."""
    return [
        (
            q.which,
            "in flight" if q.asked_step < last_chunk else "after",
            f"{q.asked_s:.3f}s",
            q.state.to_dict(),
            q.state.basis.position,
        )
        for q in sorted(questions, key=lambda q: q.asked_step)
    ]


def test_an_answer_for_known_at_never_changes_while_a_load_is_in_flight(
    db_url: str, figures: Callable[[str, str], None]
) -> None:
    """Every ``state(actor, known_at=K)`` asked during a 25,000-event load (K after the
    load took its lock) and after its commit gives the same answer, on the same position,
    as does every question for a K0 from before the load."""
    with timeline.open(db_url) as tl:
        tl.record(
            "calm", ACTOR, "2020-01-01", incident="before", effects={ACTOR: {"status": "calm"}}
        )
        k0 = dt.datetime.now(dt.UTC)
        before = tl.state(ACTOR, at=AT, known_at=k0)
        assert {"status": "calm"} == before.to_dict()

        run = Run(
            steps=itertools.count(),
            started=time.monotonic(),
            first_chunk=threading.Event(),
            load_done=threading.Event(),
            asking=[threading.Event() for _ in range(READERS)],
            chunks=[],
            questions=[],
            errors=[],
        )
        # every thread has its own timeline, opened before the load takes the lock
        loader, *readers = [timeline.open(db_url) for _ in range(1 + READERS)]
        try:
            loading = _in_thread(lambda: _load(db_url, loader, run), run.errors)
            arrived = run.first_chunk.wait(timeout=TIMEOUT)
            assert arrived or run.errors, f"the load wrote no chunk in {TIMEOUT:.0f} s"
            k = dt.datetime.now(dt.UTC)  # after the load's recorded_at: its events count
            orders = [[("K", k), ("K0", k0)], [("K0", k0), ("K", k)]]
            asking = [
                _in_thread(lambda r=r: _ask(readers[r], r, orders[r], run), run.errors)
                for r in range(READERS)
            ]
            _join([loading], "loader")
            _join(asking, "reader")
        finally:
            for opened in (loader, *readers):
                opened.close()
        assert [] == run.errors, f"a thread failed: {run.errors!r}"

        after = tl.state(ACTOR, at=AT, known_at=k)  # asked once all is committed
        assert {"status": "war"} == after.to_dict()
        assert 1 + LOAD_EVENTS == after.basis.position

    last_chunk = run.chunks[-1]
    questions = sorted(run.questions, key=lambda q: q.asked_step)
    described = _described(questions, last_chunk)
    in_flight = [q for q in questions if q.asked_step < last_chunk]
    k_answers = [q.state for q in questions if q.which == "K"]
    k0_answers = [q.state for q in questions if q.which == "K0"]

    # the first questions began before the load wrote its last chunk, so before it
    # committed; each answer for one moment is the same, and those begun in flight came
    # back only after the last chunk (they waited for the commit)
    assert questions[0].asked_step < last_chunk, described
    assert {"K", "K0"} == {q.which for q in in_flight}, described
    assert [after] * len(k_answers) == k_answers, described
    assert [after.basis.position] * len(k_answers) == [s.basis.position for s in k_answers]
    assert [before] * len(k0_answers) == k0_answers, described
    assert [before.basis.position] * len(k0_answers) == [s.basis.position for s in k0_answers]
    assert all(q.answered_step > last_chunk for q in in_flight), described
    figures(
        f"knowledge [{backend(db_url)}]",
        f"{LOAD_EVENTS:,}-event load; {len(questions)} questions, {len(in_flight)} begun in "
        f"flight (the first {questions[0].asked_s:.2f} s in); K: {len(k_answers)}x "
        f"{after.to_dict()} at position {after.basis.position}; K0: {len(k0_answers)}x "
        f"{before.to_dict()} at position {before.basis.position}",
    )


def _facts(state: timeline.State) -> tuple[Any, ...]:
    """What an answer says, without the moments it was asked about."""
    return (
        state.to_dict(),
        state.uncertain,
        state.events_applied,
        state.last_position,
        state.problems,
        state.basis.position,
    )


def test_a_known_at_past_the_store_clock_is_answered_as_the_present(db_url: str) -> None:
    """A ``known_at`` far in the future is the present: its basis keeps the store's clock
    (inclusive), not the moment asked, and the answer is that of ``state()``."""
    future = dt.datetime(2999, 1, 1, tzinfo=dt.UTC)
    with timeline.open(db_url) as tl:
        calm = tl.record(
            "calm", ACTOR, "2020-01-01", incident="s", effects={ACTOR: {"status": "calm"}}
        )
        present = tl.state(ACTOR, at=AT)
        answer = tl.state(ACTOR, at=AT, known_at=future)
        war = tl.record(
            "escalation", ACTOR, "2020-01-08", incident="s", effects={ACTOR: {"status": "war"}}
        )

        clock, inclusive = answer.basis.known_at
        assert True is inclusive
        assert calm.recorded_at <= clock <= war.recorded_at < future  # the store's clock
        assert _facts(present) == _facts(answer)
        assert {"status": "calm"} == answer.to_dict()
        # asked again on its basis, the answer stands; the future moment itself moved on
        assert _facts(answer) == _facts(tl.as_of(answer.basis).state(ACTOR, at=AT))
        assert {"status": "war"} == tl.state(ACTOR, at=AT, known_at=future).to_dict()
