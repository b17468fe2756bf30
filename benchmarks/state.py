"""The workload "state": one actor's state at 200 random moments, snapshots off and on.

One actor has 10,000 events among 100,000 (each of its events adds 1-5 to ``counter``
and sets ``status`` through ``effects``). ``Timeline.state(actor, at=T)`` is asked at 200
random moments of the year the events span, on a timeline opened with snapshots off,
then with the default snapshots (every 1,000 events, built by a warm-up question first).
Baselines: the same fold in memory (``timeline.fold`` over the actor's events, read from
the store once), and, when the ``eventsourcing`` package is installed, its
``repository.get(id, version=v)`` on an aggregate with the same 10,000 changes.
Every row must give the same 200 answers.
"""

from __future__ import annotations

import bisect
import datetime as dt
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import timeline
from benchmarks.data import ACTORS, INCIDENTS, TYPES, ZONES, _data, actor_name, incident_name
from benchmarks.harness import Context, Measurement, Row, Section, measure, workload
from benchmarks.sequence import YEAR_2017, YEAR_SECONDS
from timeline import Event
from timeline.api import DEFAULT_SNAPSHOT_INTERVAL
from timeline.fold import Folder, fold, resolve
from timeline.times import through

ACTOR_EVENTS, TOTAL_EVENTS, MOMENTS = 10_000, 100_000, 200
QUICK_ACTOR_EVENTS, QUICK_TOTAL_EVENTS, QUICK_MOMENTS = 2_000, 5_000, 20
SNAPSHOT_INTERVAL = DEFAULT_SNAPSHOT_INTERVAL
TRACED_MOMENTS = 20
"""The tracemalloc pass asks only the first questions: a question's peak is its own."""
HOT = actor_name(0)
STATUSES = ("ready", "deployed", "grounded", "repositioned", "standby")

OURS_OFF = "ours: Timeline.state(actor, at=T), snapshots off"
OURS_FULL = "ours: Timeline.state(actor), every event, snapshots off"
FULL_REPLAYS = 5
"""How many times the full replay (every one of the actor's events) is asked."""
OURS_ON = f"ours: Timeline.state(actor, at=T), snapshots every {SNAPSHOT_INTERVAL:,}"
FOLD = "timeline.fold in memory, events read once"
ES_OFF = "eventsourcing repository.get(id, version=v), SQLite"
ES_ON = f"{ES_OFF}, snapshots every {SNAPSHOT_INTERVAL:,}"
ES_PG_OFF = "eventsourcing repository.get(id, version=v), PostgreSQL"
ES_PG_ON = f"{ES_PG_OFF}, snapshots every {SNAPSHOT_INTERVAL:,}"

Answer = tuple[int, str | None, int]
"""(counter, status, events applied) of one question."""


def state_specs(actor_events: int, total: int, *, seed: int) -> Iterator[dict[str, Any]]:
    """Yield ``total`` events, ``actor_events`` of them by the one actor :data:`HOT`.

    The actor's events (spread among the others at random) carry effects ``{HOT:
    {"counter": {"$inc": 1..5}, "status": <one of STATUSES>}}`` and no targets; the others
    are the append workload's kind of events among the other 999 actors (never naming
    the actor), without effects. Times: exact, all over 2017, under several UTC offsets.
    """
    rng = random.Random(seed)
    hot = set(rng.sample(range(total), actor_events))
    for i in range(total):
        moment = YEAR_2017 + dt.timedelta(
            seconds=rng.randrange(YEAR_SECONDS), microseconds=rng.randrange(1_000_000)
        )
        spec: dict[str, Any] = {
            "type": rng.choice(TYPES),
            "occurred_at": moment.astimezone(rng.choice(ZONES)),
            "incident": incident_name(rng.randrange(INCIDENTS)),
            "data": _data(rng, i),
        }
        if i in hot:
            effects = {"counter": {"$inc": rng.randint(1, 5)}, "status": rng.choice(STATUSES)}
            spec.update(actor=HOT, effects={HOT: effects})
        else:
            actor = 1 + rng.randrange(ACTORS - 1)
            others = [1 + (actor + j) % (ACTORS - 1) for j in range(1, 1 + rng.randrange(3))]
            spec.update(actor=actor_name(actor), targets=[actor_name(a) for a in others])
        yield spec


def moments(count: int, *, seed: int) -> list[dt.datetime]:
    """Return ``count`` random exact moments of 2017 (UTC), in random order."""
    rng = random.Random(seed + 1)
    span = YEAR_SECONDS * 1_000_000
    return [YEAR_2017 + dt.timedelta(microseconds=rng.randrange(span)) for _ in range(count)]


@workload("state")
def state(ctx: Context) -> list[Row]:
    """Ask one actor's state at random moments: snapshots off, on, and the baselines."""
    name = "state"
    if ctx.quick:
        actor_events, total, asked = QUICK_ACTOR_EVENTS, QUICK_TOTAL_EVENTS, QUICK_MOMENTS
    else:
        actor_events, total, asked = ACTOR_EVENTS, TOTAL_EVENTS, MOMENTS
    ctx.log(f"{name}: {actor_events:,} events of one actor among {total:,}, {asked} questions")
    events = [Event(**spec) for spec in state_specs(actor_events, total, seed=ctx.seed)]
    when = moments(asked, seed=ctx.seed)
    hot = sorted((e for e in events if e.actor == HOT), key=lambda e: e.occurred_at)
    hot_times = [e.occurred_at for e in hot]
    applied = [bisect.bisect_right(hot_times, t) for t in when]
    answered = sum(applied)  # the events column: actor events the answers cover

    rows: list[Row] = []
    path = ctx.scratch_file("state")
    url = f"sqlite:///{path}"
    with timeline.open(url) as tl:
        ctx.log(f"  loading {total:,} events into SQLite")
        tl.load(iter(events))
        stored = list(tl.events(actor=HOT))  # the baseline's one read
    reference, sqlite_rows, (ours_off, ours_on) = _ours(ctx, name, "sqlite", url, when, answered)
    rows.extend(sqlite_rows)

    fold_run = measure(
        ctx,
        "fold in memory",
        answered,
        _fold_setup(stored, when),
        traced=_fold_setup(stored, when[:TRACED_MOMENTS]),
    )
    rows.append(_row(fold_run, name, "-", FOLD, ours_off, OURS_OFF, reference))
    rows.extend(_eventsourcing(ctx, name, hot, when, applied, reference, ours_off, ours_on))

    if ctx.postgres is not None:
        pg = ctx.postgres
        with pg.fresh():
            with timeline.open(pg.url) as tl:
                ctx.log(f"  loading {total:,} events into PostgreSQL")
                tl.load(iter(events))
            with pg.connect() as conn:  # what autovacuum would do shortly after the load
                conn.execute("ANALYZE")
            _, pg_rows, (pg_off, pg_on) = _ours(
                ctx, name, "postgresql", pg.url, when, answered, reference
            )
            rows.extend(pg_rows)
        rows.extend(
            _eventsourcing(
                ctx, name, hot, when, applied, reference, pg_off, pg_on, backend="postgresql"
            )
        )
    path.unlink(missing_ok=True)
    return rows


def _ours(
    ctx: Context,
    name: str,
    backend: str,
    url: Any,
    when: Sequence[dt.datetime],
    answered: int,
    reference: list[Answer] | None = None,
) -> tuple[list[Answer], list[Row], tuple[Measurement, Measurement]]:
    """Measure ``Timeline.state`` with snapshots off, then on.

    Returns the answers with snapshots off, the two rows and their measurements.
    """
    rows: list[Row] = []
    with timeline.open(url, snapshot_interval=None) as off:
        run = measure(
            ctx,
            f"{backend} snapshots off",
            answered,
            _ours_setup(off, when),
            traced=_ours_setup(off, when[:TRACED_MOMENTS]),
        )
    answers: list[Answer] = run.result[1]
    reference = answers if reference is None else reference
    rows.append(_row(run, name, backend, OURS_OFF, run, OURS_OFF, reference))
    rows.append(_full_replay(ctx, name, backend, url))
    with timeline.open(url) as on:  # the default snapshot_interval

        def warm_up() -> None:
            on.clear_snapshots()
            on.state(HOT)  # folds every event: stores a snapshot every SNAPSHOT_INTERVAL

        setup = _ours_setup(on, when, before=warm_up)
        traced = _ours_setup(on, when[:TRACED_MOMENTS], before=warm_up)
        snapshots = measure(ctx, f"{backend} snapshots on", answered, setup, traced=traced)
    rows.append(_row(snapshots, name, backend, OURS_ON, snapshots, OURS_ON, reference))
    return answers, rows, (run, snapshots)


def _full_replay(ctx: Context, name: str, backend: str, url: Any) -> Row:
    """``state(actor)`` with every event applied, snapshots off: issue 7's full replay."""
    with timeline.open(url, snapshot_interval=None) as off:
        everything = list(off.events(actor=HOT))

        @contextmanager
        def setup() -> Iterator[Section]:
            def ask(_: int, __: dt.datetime) -> Answer:
                found = off.state(HOT)
                return _answer(found.get("counter"), found.get("status"), found.events_applied)

            yield _lapped([YEAR_2017] * FULL_REPLAYS, ask)

        run = measure(ctx, f"{backend} full replay", len(everything) * FULL_REPLAYS, setup)
    laps, answers = run.result
    whole = {answer[2] for answer in answers}
    note = (
        f"{FULL_REPLAYS} replays of all {len(everything):,} events"
        if whole == {len(everything)}
        else f"!! MISMATCH: applied {sorted(whole)}, not {len(everything):,}"
    )
    return run.row(name, backend, OURS_FULL, ours=run, ours_what=OURS_FULL, laps=laps, note=note)


def _ours_setup(
    tl: timeline.Timeline,
    when: Sequence[dt.datetime],
    before: Callable[[], None] | None = None,
) -> Callable[[], Any]:
    @contextmanager
    def setup() -> Iterator[Section]:
        if before is not None:
            before()

        def ask(_: int, moment: dt.datetime) -> Answer:
            found = tl.state(HOT, at=moment)
            return _answer(found.get("counter"), found.get("status"), found.events_applied)

        yield _lapped(when, ask)

    return setup


def _fold_setup(stored: list[Any], when: Sequence[dt.datetime]) -> Callable[[], Any]:
    resolved = resolve(stored)  # valid-time order (no corrections here)
    bounds = [through(moment, field="at") for moment in when]  # as Timeline.state reads it

    @contextmanager
    def setup() -> Iterator[Section]:
        def ask(index: int, _: dt.datetime) -> Answer:
            replay = fold(HOT, resolved, at=bounds[index], folder=Folder())
            values = replay.values
            return _answer(values.get("counter"), values.get("status"), replay.events_applied)

        yield _lapped(when, ask)

    return setup


def _answer(counter: Any, status: Any, applied: int) -> Answer:
    return (
        0 if counter is None else int(counter),
        None if status is None else str(status),
        applied,
    )


def _lapped(
    when: Sequence[dt.datetime], ask: Callable[[int, dt.datetime], Answer]
) -> Callable[[], tuple[list[float], list[Answer]]]:
    """The section: ask at every moment (``ask(index, moment)``), timing each question."""

    def section() -> tuple[list[float], list[Answer]]:
        laps: list[float] = []
        answers: list[Answer] = []
        clock = time.perf_counter
        for index, moment in enumerate(when):
            start = clock()
            answers.append(ask(index, moment))
            laps.append(clock() - start)
        return laps, answers

    return section


def _row(
    run: Measurement,
    name: str,
    backend: str,
    what: str,
    ours: Measurement,
    ours_what: str,
    reference: list[Answer],
) -> Row:
    laps, answers = run.result
    return run.row(
        name,
        backend,
        what,
        ours=ours,
        ours_what=ours_what,
        laps=laps,
        note=_agreement(answers, reference),
    )


def _agreement(answers: list[Answer], reference: list[Answer]) -> str:
    if answers == reference:
        return f"{len(answers)} answers, = sqlite snapshots off"
    wrong = sum(1 for a, b in zip(answers, reference, strict=True) if a != b)
    first = next(i for i, (a, b) in enumerate(zip(answers, reference, strict=True)) if a != b)
    return (
        f"!! MISMATCH: {wrong} of {len(answers)} answers differ from sqlite snapshots off "
        f"(first: #{first}, {answers[first]} vs {reference[first]})"
    )


def _eventsourcing(
    ctx: Context,
    name: str,
    hot: list[Event],
    when: Sequence[dt.datetime],
    applied: Sequence[int],
    reference: list[Answer],
    ours_off: Measurement,
    ours_on: Measurement,
    *,
    backend: str = "sqlite",
) -> list[Row]:
    """The same questions asked of ``eventsourcing`` on ``backend`` (its own persistence
    module, a new store each), snapshots off and every :data:`SNAPSHOT_INTERVAL`."""
    off, on = (ES_OFF, ES_ON) if backend == "sqlite" else (ES_PG_OFF, ES_PG_ON)
    try:
        from benchmarks import es_baseline
        from benchmarks.workloads import _es_env
    except ImportError as e:
        ctx.log(f"  eventsourcing is not importable ({e}): no baseline")
        note = "skipped: eventsourcing is not installed (pip install 'eventsourcing==9.5.*')"
        return [Row(name, backend, off, 0, 0.0, 0.0, None, None, note=note)]
    changes = [
        (e.effects[HOT]["counter"]["$inc"], e.effects[HOT]["status"], dict(e.data)) for e in hot
    ]
    rows: list[Row] = []
    for what, every, ours, ours_what in (
        (off, None, ours_off, OURS_OFF),
        (on, SNAPSHOT_INTERVAL, ours_on, OURS_ON),
    ):
        with _es_env(ctx, backend) as env:
            ctx.log(
                f"  eventsourcing ({backend}): storing {len(changes):,} changes of one aggregate"
            )
            app, unit_id = es_baseline.build(env, changes, snapshot_every=every)
            run = _es_questions(ctx, what, app, unit_id, when, applied)
        rows.append(_row(run, name, backend, what, ours, ours_what, reference))
    return rows


def _es_questions(
    ctx: Context,
    what: str,
    app: Any,
    unit_id: Any,
    when: Sequence[dt.datetime],
    applied: Sequence[int],
) -> Measurement:
    """Ask ``app`` the state at each moment (its ``applied[i]``-th version); close it."""
    from benchmarks import es_baseline

    def asking(asked: Sequence[dt.datetime]) -> Any:
        @contextmanager
        def setup() -> Iterator[Section]:
            def ask(index: int, _: dt.datetime) -> Answer:
                counter, status = es_baseline.state_at(app, unit_id, applied[index])
                return _answer(counter, status, applied[index])

            yield _lapped(asked, ask)

        return setup

    try:
        return measure(ctx, what, sum(applied), asking(when), traced=asking(when[:TRACED_MOMENTS]))
    finally:
        app.close()
