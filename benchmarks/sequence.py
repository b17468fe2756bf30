"""The workload "sequence": a 3-step sequence report over a million stored events.

``Timeline.load`` stores N synthetic events (the load is timed once: it is also the
import figure), then ``Timeline.sequence`` runs the report::

    [Step("shootdown", key="actor"), Step("cooperation_suspended", key="targets"),
     Step("aircraft_repositioned", key="actor")], within="3d"

once at each of two key cardinalities (two datasets, see :func:`sequence_specs`), on
SQLite and, when given, PostgreSQL. The baseline is Elastic EQL's Python engine (the
``eql`` package, AGPL: used from here only, never copied into the library) streaming the
same events from memory; the two must find the same matches. On the first dataset's
SQLite store, ``Timeline.chart(format="svg")`` draws every event (issue 15: its peak
memory, against the 1.7 GB it took to hold a million events).
"""

from __future__ import annotations

import datetime as dt
import random
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from typing import Any

import timeline
from benchmarks.backends import Postgres
from benchmarks.data import ACTORS, INCIDENTS, TYPES, ZONES, _data, actor_name, incident_name
from benchmarks.harness import Context, Measurement, Row, Section, measure, workload
from timeline import Event, Step

DEFAULT_EVENTS = 200_000
QUICK_EVENTS = 5_000
KEY_POOLS = (100, 1_000)  # the two datasets: step events' actors/targets from this many names
POSTGRES_EVENTS = 300_000  # at most, on PostgreSQL, unless --postgres-events says otherwise
TRACED_LOAD_MAX = 50_000  # events of the stand-in load traced for the load's peak memory

STEP_TYPES = ("shootdown", "cooperation_suspended", "aircraft_repositioned")
STEPS = [
    Step("shootdown", key="actor"),
    Step("cooperation_suspended", key="targets"),
    Step("aircraft_repositioned", key="actor"),
]
WITHIN = "3d"
EQL_QUERY = (
    "sequence with maxspan=3d"
    " [shootdown where true] by actor"
    " [cooperation_suspended where true] by target"
    " [aircraft_repositioned where true] by actor"
)
YEAR_2017 = dt.datetime(2017, 1, 1, tzinfo=dt.UTC)
YEAR_SECONDS = 365 * 24 * 3600
EQL_TICKS = 1_000_000  # eql's time_unit: ticks per second (so microseconds, exact)

VALIDATE = "validate events (Event construction)"
LOAD = "ours: Timeline.load, 1 transaction"
OURS = "ours: Timeline.sequence, 3 steps within 3d"
ANALYZED = "ours: Timeline.sequence, after ANALYZE (not the library's doing)"
EQL = "eql PythonEngine sequence, events in memory"
CHART = "ours: Timeline.chart(format='svg'), every actor: 1,000 lanes of time bins"


def sequence_specs(n: int, *, keys: int, seed: int) -> Iterator[dict[str, Any]]:
    """Yield the keyword arguments of ``n`` events (``Event(**spec)``), from ``seed``.

    As the append workload's events (1,000 actors, 100 incidents, the same 8 types drawn
    uniformly, UTC offsets, ~150 bytes of ``data``, exact times), but spread over all of
    2017, so that a 3-day window holds a small part of each key's events. Events of the
    three step types have exactly one target, not their actor, and take actor and target
    from the first ``keys`` actor names: the key cardinality of the query. Other events
    have 0-2 targets among all 1,000 actors. The random draws do not depend on ``keys``,
    so the datasets of one seed differ only in the names on the step events.
    """
    rng = random.Random(seed)
    for i in range(n):
        kind = rng.choice(TYPES)
        actor = rng.randrange(ACTORS)
        other = rng.randrange(ACTORS - 1)
        count = rng.randrange(3)
        moment = YEAR_2017 + dt.timedelta(
            seconds=rng.randrange(YEAR_SECONDS), microseconds=rng.randrange(1_000_000)
        )
        zone = rng.choice(ZONES)
        incident = incident_name(rng.randrange(INCIDENTS))
        if kind in STEP_TYPES:
            actor %= keys
            targets = [actor_name((actor + 1 + other % (keys - 1)) % keys)]
        else:
            targets = [actor_name((actor + 1 + other + j) % ACTORS) for j in range(count)]
        yield {
            "type": kind,
            "actor": actor_name(actor),
            "occurred_at": moment.astimezone(zone),
            "incident": incident,
            "targets": targets,
            "data": _data(rng, i),
        }


def eql_events(events: Sequence[Event]) -> list[Any]:
    """Return ``events`` as eql events in the store's order: ``(occurred_at, position)``.

    Positions are 1, 2, 3, … in the order loaded (the store is empty before the load).
    Times are integer microseconds since 2017 UTC (exact). ``target`` is the one target
    of a step event as a scalar field: EQL's ``by`` cannot say "any one of the targets",
    which is what ``key="targets"`` means, so the data give step events one target.
    """
    from eql.events import Event as EqlEvent

    tick = dt.timedelta(microseconds=1)
    made = [
        EqlEvent(
            event.type,
            (event.occurred_at - YEAR_2017) // tick,
            {
                "position": position,
                "actor": event.actor,
                "target": event.targets[0] if event.targets else None,
            },
        )
        for position, event in enumerate(events, start=1)
    ]
    made.sort(key=lambda e: (e.time, e.data["position"]))
    return made


def _eql_available() -> bool:
    try:
        import eql  # noqa: F401
    except ImportError:
        return False
    return True


@workload("sequence")
def sequence(ctx: Context) -> list[Row]:
    """Load N events once per dataset; run the 3-step report; eql on the same events."""
    name = "sequence"
    count = ctx.size(DEFAULT_EVENTS, QUICK_EVENTS)
    pg_count = ctx.postgres_events or (count if ctx.full else min(count, POSTGRES_EVENTS))
    ctx.log(f"{name}: {count:,} events per dataset, key pools {KEY_POOLS}")
    if ctx.postgres is not None and pg_count != count:
        ctx.log(f"{name}: {pg_count:,} events per dataset on PostgreSQL")
    rows: list[Row] = []
    for keys in KEY_POOLS:
        rows.extend(_dataset(ctx, name, count, pg_count, keys, first=keys == KEY_POOLS[0]))
    return rows


def _dataset(
    ctx: Context, name: str, count: int, pg_count: int, keys: int, *, first: bool
) -> list[Row]:
    """The rows of one dataset (one key cardinality): SQLite, eql, then PostgreSQL."""
    label = f"{keys:,} keys"
    rows: list[Row] = []
    ctx.log(f"{name}, {label}: building {count:,} events")
    if first:  # the same work for both datasets: one row, as the append workload's
        specs = list(sequence_specs(count, keys=keys, seed=ctx.seed))  # not timed
        built: list[list[Event]] = []

        @contextmanager
        def validate() -> Iterator[Section]:
            yield lambda: built.append([Event(**spec) for spec in specs])

        @contextmanager
        def validate_traced() -> Iterator[Section]:
            yield lambda: [Event(**spec) for spec in specs[:TRACED_LOAD_MAX]]

        made = measure(ctx, VALIDATE, count, validate, traced=validate_traced)
        rows.append(made.row(name, "-", VALIDATE, note=_traced_note(ctx, count, "built")))
        events = built.pop()
        del specs
    else:
        events = _events(count, keys, ctx.seed)

    # SQLite, and eql on the same events
    path = ctx.scratch_file(f"sequence-{keys}")
    tl = timeline.open(f"sqlite:///{path}")
    try:
        loaded = _load(ctx, f"sqlite load, {label}", tl, events, lambda: _sqlite_stand_in(ctx))
        note = _traced_note(ctx, count)
        rows.append(loaded.row(name, "sqlite", f"{LOAD}, {label}", note=note))
        ours = _query(ctx, f"sqlite sequence, {label}", tl, events)
        eql_row, eql_matches = _eql(ctx, name, events, label, ours)
        rows.append(_query_row(ours, name, "sqlite", OURS, label, ours, eql_matches, count))
        if eql_row is not None:
            rows.append(eql_row)
        if first:  # the picture is the same for both datasets but for some names
            rows.append(_chart(ctx, name, tl, count))
        tl.close()  # a diagnostic: the same query once SQLite has statistics
        with closing(sqlite3.connect(path)) as conn:
            conn.execute("ANALYZE")
        tl = timeline.open(f"sqlite:///{path}")
        analyzed = _query(ctx, f"sqlite sequence after ANALYZE, {label}", tl, events)
        before = _positions(ours.result)
        row = _query_row(analyzed, name, "sqlite", ANALYZED, label, ours, before, count, "before")
        rows.append(row)
    finally:
        tl.close()
    path.unlink(missing_ok=True)

    # PostgreSQL: on the same events, or on a smaller dataset of its own (with its own eql)
    if ctx.postgres is not None:
        if pg_count != count:
            label = f"{keys:,} keys, {pg_count:,} events"
            ctx.log(f"{name}, {label}: building {pg_count:,} events for PostgreSQL")
            events = _events(pg_count, keys, ctx.seed)
        own = pg_count != count
        rows.extend(_postgres(ctx, ctx.postgres, name, events, label, eql_matches, own))
    return rows


def _postgres(
    ctx: Context,
    pg: Postgres,
    name: str,
    events: list[Event],
    label: str,
    eql_matches: list[list[int]] | None,
    own_dataset: bool,
) -> list[Row]:
    """Load and query on PostgreSQL; on a dataset of its own, run eql on it as well."""
    rows: list[Row] = []
    with pg.fresh():
        tl = timeline.open(pg.url)
        try:
            loaded = _load(
                ctx, f"postgresql load, {label}", tl, events, lambda: _postgres_stand_in(ctx)
            )
            note = _traced_note(ctx, len(events))
            rows.append(loaded.row(name, "postgresql", f"{LOAD}, {label}", note=note))
            with pg.connect() as conn:  # what autovacuum does soon after a large load
                conn.execute("ANALYZE")
            found = _query(ctx, f"postgresql sequence, {label}", tl, events)
        finally:
            tl.close()
    eql_row = None
    if own_dataset:
        eql_row, eql_matches = _eql(ctx, name, events, label, found)
    rows.append(_query_row(found, name, "postgresql", OURS, label, found, eql_matches, len(events)))
    if eql_row is not None:
        rows.append(eql_row)
    return rows


def _events(count: int, keys: int, seed: int) -> list[Event]:
    return [Event(**spec) for spec in sequence_specs(count, keys=keys, seed=seed)]


def _scanned(events: Sequence[Event]) -> int:
    """How many events the query reads: those of the step types."""
    return sum(1 for e in events if e.type in STEP_TYPES)


def _query_row(
    run: Measurement,
    name: str,
    backend: str,
    what: str,
    label: str,
    ours: Measurement,
    theirs: list[list[int]] | None,
    store_events: int,
    whose: str = "eql",
) -> Row:
    """The row of a sequence query; the note compares its matches with ``theirs``."""
    return run.row(
        name,
        backend,
        f"{what}, {label}",
        ours=ours,
        ours_what=f"{OURS}, {label}",
        store_events=store_events,
        laps=[run.seconds],
        note=_agreement(backend, _positions(run.result), theirs, whose),
    )


def _traced_note(ctx: Context, count: int, verb: str = "loaded") -> str | None:
    if count <= TRACED_LOAD_MAX or not ctx.trace_memory:
        return None
    return f"peak MB: the first {TRACED_LOAD_MAX:,} events {verb} under tracemalloc"


def _load(
    ctx: Context, label: str, tl: timeline.Timeline, events: list[Event], stand_in: Any
) -> Measurement:
    """Time the one load of ``events`` into ``tl``; trace a smaller stand-in load."""

    @contextmanager
    def setup() -> Iterator[Section]:
        yield lambda: tl.load(iter(events))
        position, _ = tl.head()
        if position != len(events):
            raise RuntimeError(f"stored {position} events, expected {len(events)}")

    sample = events[:TRACED_LOAD_MAX]

    @contextmanager
    def traced() -> Iterator[Section]:
        with stand_in() as other:
            yield lambda: other.load(iter(sample))

    return measure(ctx, label, len(events), setup, traced=traced)


@contextmanager
def _sqlite_stand_in(ctx: Context) -> Iterator[timeline.Timeline]:
    path = ctx.scratch_file("traced-load")
    tl = timeline.open(f"sqlite:///{path}")
    try:
        yield tl
    finally:
        tl.close()
        path.unlink(missing_ok=True)


@contextmanager
def _postgres_stand_in(ctx: Context) -> Iterator[timeline.Timeline]:
    """A second scratch database beside the run's (which holds the loaded events)."""
    assert ctx.postgres is not None
    other = Postgres(ctx.postgres.admin_url)
    other.create()
    try:
        tl = timeline.open(other.url)
        try:
            yield tl
        finally:
            tl.close()
    finally:
        other.drop()


def _query(ctx: Context, label: str, tl: timeline.Timeline, events: Sequence[Event]) -> Measurement:
    """Run the report on ``tl`` (holding ``events``); the result is the report."""

    @contextmanager
    def setup() -> Iterator[Section]:
        yield lambda: tl.sequence(STEPS, within=WITHIN)

    return measure(ctx, label, _scanned(events), setup)


def _chart(ctx: Context, name: str, tl: timeline.Timeline, count: int) -> Row:
    """Draw the whole store (issue 15: the chart held every event); its peak memory."""

    @contextmanager
    def setup() -> Iterator[Section]:
        yield lambda: len(tl.chart(format="svg"))

    found = measure(ctx, f"sqlite chart, {count:,} events", count, setup)
    note = f"{found.result / 1e6:,.1f} MB of SVG"
    return found.row(name, "sqlite", CHART, store_events=count, note=note)


def _positions(report: Any) -> list[list[int]]:
    return [[e.position for e in m.events] for m in report.matches]


def _eql(
    ctx: Context,
    name: str,
    events: list[Event],
    label: str,
    ours: Measurement,
) -> tuple[Row | None, list[list[int]] | None]:
    """Run eql over the same events; return its row and its matches (``None``: no eql)."""
    if not _eql_available():
        ctx.log("  eql is not installed: no baseline")
        return None, None
    from eql.engine import PythonEngine
    from eql.parser import parse_query

    stream = eql_events(events)
    query = parse_query(EQL_QUERY)

    @contextmanager
    def setup() -> Iterator[Section]:
        found: list[list[int]] = []
        engine = PythonEngine({"time_unit": EQL_TICKS})
        engine.add_output_hook(lambda out: found.append([e.data["position"] for e in out.events]))
        engine.add_query(query)

        def section() -> list[list[int]]:
            engine.stream_events(stream)
            return found

        yield section

    found = measure(ctx, f"eql sequence, {label}", _scanned(events), setup)
    matches: list[list[int]] = found.result
    ours_what = f"{OURS}, {label}"
    row = found.row(
        name,
        "-",
        f"{EQL}, {label}",
        ours=ours,
        ours_what=ours_what,
        store_events=len(events),
        laps=[found.seconds],
        note=f"{len(matches):,} matches",
    )
    return row, matches


def _agreement(
    backend: str,
    ours: list[list[int]],
    theirs: list[list[int]] | None,
    whose: str = "eql",
) -> str:
    """The row note: our match count and whether ``theirs`` found the same matches."""
    if theirs is None:
        return f"{len(ours):,} matches"
    if ours == theirs:
        return f"{len(ours):,} matches, = {whose}"
    same = len(ours) == len(theirs)
    detail = "the same count, other events or order" if same else f"{whose} {len(theirs):,}"
    return f"!! MISMATCH ({backend}): {len(ours):,} matches, {detail}"
