"""The workloads. Each is registered with :func:`~benchmarks.harness.workload` and returns
table rows; add a new one by writing another decorated function (here or in a module that
``benchmarks.__main__`` imports).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from typing import Any

import timeline
from benchmarks.backends import Postgres, raw_sqlite, schema_ddl
from benchmarks.data import (
    Rows,
    baseline_rows,
    build_events,
    event_specs,
)
from benchmarks.harness import Context, Row, Section, Setup, measure, workload
from timeline import Event
from timeline._backends.postgres import BEGIN_APPEND
from timeline.events import canonical_json, event_content
from timeline.store import ACTOR_COLUMNS, EVENT_COLUMNS, _chain  # the library's own
from timeline.times import isoformat

DEFAULT_EVENTS = 50_000
QUICK_EVENTS = 2_000
BATCH = 1_000  # events per Timeline.append call, rows per baseline transaction
SINGLE_MAX = 2_000  # events appended one at a time (each a transaction and an fsync)

VALIDATE = "validate events (Event construction)"
OURS_BATCH = f"ours: append, {BATCH:,} events/call"
OURS_SINGLE = "ours: append, 1 event/call"
SQLITE_INDEXED = f"sqlite3 executemany, schema indexes, {BATCH:,} rows/txn"
SQLITE_BARE = f"sqlite3 executemany, no indexes, {BATCH:,} rows/txn"
SQLITE_SINGLE = "sqlite3 INSERT, schema indexes, 1 event/txn"
PG_COPY = f"psycopg COPY, schema indexes, {BATCH:,} rows/txn"
PG_SINGLE = "psycopg INSERT, schema indexes, 1 event/txn"
PG_COPY_CHECKED = f"psycopg COPY, library schema (ticket, checks), {BATCH:,} rows/txn"
PG_SINGLE_CHECKED = "psycopg INSERT, library schema (ticket, checks), 1 event/txn"
ES_BATCH = f"eventsourcing Application.save, {BATCH:,} events/call"
ES_SINGLE = "eventsourcing Application.save, 1 event/call"


@workload("append")
def append(ctx: Context) -> list[Row]:
    """Appends: validation, then batch and single appends against raw-driver baselines."""
    name = "append"
    count = ctx.size(DEFAULT_EVENTS, QUICK_EVENTS)
    specs = event_specs(count, seed=ctx.seed)
    built: list[list[Event]] = []

    @contextmanager
    def validate() -> Iterator[Section]:
        yield lambda: built.append(build_events(specs))

    ctx.log(f"{name}: {count:,} events, {BATCH:,} per batch")
    rows = [measure(ctx, VALIDATE, count, validate).row(name, "-", VALIDATE)]
    events = built[0]
    del built[:]
    single = events[: min(len(events), SINGLE_MAX)]
    batches = [events[i : i + BATCH] for i in range(0, len(events), BATCH)]
    singles = [[event] for event in single]

    # SQLite
    lite = baseline_rows(events, batch=BATCH, dialect="sqlite")
    lite_single = baseline_rows(single, batch=1, dialect="sqlite")
    ours = measure(ctx, f"sqlite {OURS_BATCH}", len(events), _ours_sqlite(ctx, batches))
    rows.append(ours.row(name, "sqlite", OURS_BATCH, ours=ours, ours_what=OURS_BATCH))
    for what, indexes in ((SQLITE_INDEXED, True), (SQLITE_BARE, False)):
        found = measure(ctx, f"sqlite {what}", len(events), _raw_sqlite(ctx, lite, indexes))
        rows.append(found.row(name, "sqlite", what, ours=ours, ours_what=OURS_BATCH))
    ours = measure(ctx, f"sqlite {OURS_SINGLE}", len(single), _ours_sqlite(ctx, singles))
    rows.append(ours.row(name, "sqlite", OURS_SINGLE, ours=ours, ours_what=OURS_SINGLE))
    found = measure(ctx, f"sqlite {SQLITE_SINGLE}", len(single), _raw_sqlite(ctx, lite_single))
    rows.append(found.row(name, "sqlite", SQLITE_SINGLE, ours=ours, ours_what=OURS_SINGLE))
    rows.extend(_eventsourcing(ctx, name, "sqlite", events, batches, singles, rows))

    # PostgreSQL
    if ctx.postgres is not None:
        pg = ctx.postgres
        rows.extend(_postgres(ctx, pg, name, events, single, batches, singles))
    return rows


def _postgres(
    ctx: Context,
    pg: Postgres,
    name: str,
    events: list[Event],
    single: list[Event],
    batches: list[list[Event]],
    singles: list[list[Event]],
) -> list[Row]:
    rows: list[Row] = []
    copy_rows = baseline_rows(events, batch=BATCH, dialect="postgresql")
    insert_rows = baseline_rows(single, batch=1, dialect="postgresql")
    ours = measure(ctx, f"postgresql {OURS_BATCH}", len(events), _ours_postgres(pg, batches))
    rows.append(ours.row(name, "postgresql", OURS_BATCH, ours=ours, ours_what=OURS_BATCH))
    found = measure(ctx, f"postgresql {PG_COPY}", len(events), _pg_copy(pg, copy_rows))
    rows.append(found.row(name, "postgresql", PG_COPY, ours=ours, ours_what=OURS_BATCH))
    texts = [canonical_json(event_content(event)) for event in events]  # not timed
    checked = _pg_checked(pg, copy_rows, texts, copy=True)
    found = measure(ctx, f"postgresql {PG_COPY_CHECKED}", len(events), checked)
    rows.append(found.row(name, "postgresql", PG_COPY_CHECKED, ours=ours, ours_what=OURS_BATCH))
    ours = measure(ctx, f"postgresql {OURS_SINGLE}", len(single), _ours_postgres(pg, singles))
    rows.append(ours.row(name, "postgresql", OURS_SINGLE, ours=ours, ours_what=OURS_SINGLE))
    found = measure(ctx, f"postgresql {PG_SINGLE}", len(single), _pg_insert(pg, insert_rows))
    rows.append(found.row(name, "postgresql", PG_SINGLE, ours=ours, ours_what=OURS_SINGLE))
    checked = _pg_checked(pg, insert_rows, texts, copy=False)
    found = measure(ctx, f"postgresql {PG_SINGLE_CHECKED}", len(single), checked)
    rows.append(found.row(name, "postgresql", PG_SINGLE_CHECKED, ours=ours, ours_what=OURS_SINGLE))
    rows.extend(_eventsourcing(ctx, name, "postgresql", events, batches, singles, rows))
    return rows


# -- ours ----------------------------------------------------------------------------------


def _append_all(tl: timeline.Timeline, calls: Sequence[list[Event]]) -> None:
    for call in calls:
        tl.append(call)


def _check_head(tl: timeline.Timeline, calls: Sequence[list[Event]]) -> None:
    expected = sum(len(call) for call in calls)
    position, _ = tl.head()
    if position != expected:
        raise RuntimeError(f"stored {position} events, expected {expected}")


def _ours_sqlite(ctx: Context, calls: Sequence[list[Event]]) -> Setup:
    @contextmanager
    def setup() -> Iterator[Section]:
        tl = timeline.open(f"sqlite:///{ctx.scratch_file('ours')}")  # WAL, synchronous=FULL
        try:
            yield lambda: _append_all(tl, calls)
            _check_head(tl, calls)
        finally:
            tl.close()

    return setup


def _ours_postgres(pg: Postgres, calls: Sequence[list[Event]]) -> Setup:
    @contextmanager
    def setup() -> Iterator[Section]:
        with pg.fresh():
            tl = timeline.open(pg.url)
            try:
                yield lambda: _append_all(tl, calls)
                _check_head(tl, calls)
            finally:
                tl.close()

    return setup


# -- baselines -----------------------------------------------------------------------------


def _eventsourcing(
    ctx: Context,
    name: str,
    backend: str,
    events: list[Event],
    batches: list[list[Event]],
    singles: list[list[Event]],
    rows: list[Row],
) -> list[Row]:
    """The same events saved by ``eventsourcing`` (one aggregate per actor), batch and single."""
    try:
        from benchmarks import es_baseline
    except ImportError as e:
        ctx.log(f"  eventsourcing is not importable ({e}): no baseline")
        note = "skipped: pip install 'eventsourcing==9.5.*' psycopg-pool"
        return [Row(name, backend, ES_BATCH, 0, 0.0, 0.0, None, None, note=note)]
    ours = {row.what: row for row in rows if row.backend == backend}
    names = sorted({e.actor for e in events})
    found: list[Row] = []
    for what, calls, ours_what in (
        (ES_BATCH, batches, OURS_BATCH),
        (ES_SINGLE, singles, OURS_SINGLE),
    ):
        count = sum(len(call) for call in calls)

        @contextmanager
        def setup(calls: Sequence[list[Event]] = calls) -> Iterator[Section]:
            with _es_env(ctx, backend) as env:
                app, aggregates = es_baseline.actors_app(env, names)  # not timed
                made = es_baseline.domain_events(aggregates, calls)  # as our Event objects
                try:
                    yield lambda: es_baseline.save_all(app, made)
                finally:
                    app.close()

        run = measure(ctx, f"{backend} {what}", count, setup)
        mine = ours[ours_what]
        ratio = run.events_per_s / mine.events_per_s if mine.events_per_s else None
        found.append(
            Row(
                name,
                backend,
                what,
                count,
                run.seconds,
                run.events_per_s,
                ratio,
                run.peak_mb,
                compared_to=ours_what,
                note="one aggregate per actor, saved before timing; events made before timing",
            )
        )
    return found


@contextmanager
def _es_env(ctx: Context, backend: str) -> Iterator[dict[str, str]]:
    """eventsourcing's settings for a new store on ``backend``."""
    if backend == "sqlite":
        path = ctx.scratch_file("eventsourcing")
        try:
            yield {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
        finally:
            path.unlink(missing_ok=True)
        return
    assert ctx.postgres is not None
    url = ctx.postgres.url
    with ctx.postgres.fresh():
        yield {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": str(url.database),
            "POSTGRES_HOST": str(url.host or "127.0.0.1"),
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": str(url.username or "postgres"),
            "POSTGRES_PASSWORD": str(url.password or ""),
        }


def _insert_sql(table: str, columns: Sequence[str], mark: str) -> str:
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([mark] * len(columns))})"


def _check_count(count: int, rows: Rows) -> None:
    expected = sum(len(batch) for batch in rows.events)
    if count != expected:
        raise RuntimeError(f"stored {count} rows, expected {expected}")


def _raw_sqlite(ctx: Context, rows: Rows, indexes: bool = True) -> Setup:
    insert_event = _insert_sql("timeline_events", EVENT_COLUMNS, "?")
    insert_actor = _insert_sql("timeline_event_actors", ACTOR_COLUMNS, "?")

    def section(conn: sqlite3.Connection) -> None:
        for event_rows, actor_rows in zip(rows.events, rows.actors, strict=True):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany(insert_event, event_rows)
            conn.executemany(insert_actor, actor_rows)
            conn.execute("COMMIT")

    @contextmanager
    def setup() -> Iterator[Section]:
        stem = "raw" if indexes else "bare"
        with closing(raw_sqlite(ctx.scratch_file(stem), indexes=indexes)) as conn:
            yield lambda: section(conn)
            _check_count(conn.execute("SELECT count(*) FROM timeline_events").fetchone()[0], rows)

    return setup


def _pg_copy(pg: Postgres, rows: Rows) -> Setup:
    copy_events = f"COPY timeline_events ({', '.join(EVENT_COLUMNS)}) FROM STDIN"
    copy_actors = f"COPY timeline_event_actors ({', '.join(ACTOR_COLUMNS)}) FROM STDIN"

    def section(conn: Any) -> None:
        with conn.cursor() as cursor:
            for event_rows, actor_rows in zip(rows.events, rows.actors, strict=True):
                with conn.transaction():
                    with cursor.copy(copy_events) as copy:
                        for row in event_rows:
                            copy.write_row(row)
                    with cursor.copy(copy_actors) as copy:
                        for row in actor_rows:
                            copy.write_row(row)

    return _pg_setup(pg, rows, section)


def _pg_insert(pg: Postgres, rows: Rows) -> Setup:
    insert_event = _insert_sql("timeline_events", EVENT_COLUMNS, "%s")
    insert_actor = _insert_sql("timeline_event_actors", ACTOR_COLUMNS, "%s")

    def section(conn: Any) -> None:
        with conn.cursor() as cursor:
            for event_rows, actor_rows in zip(rows.events, rows.actors, strict=True):
                with conn.transaction():
                    cursor.execute(insert_event, event_rows[0])
                    cursor.executemany(insert_actor, actor_rows)

    return _pg_setup(pg, rows, section)


def _pg_checked(pg: Postgres, rows: Rows, texts: list[str], *, copy: bool) -> Setup:
    """The raw driver into the library's own schema (``timeline.upgrade``: the tables, the
    ticket function and the insert checks), paying what the schema asks of any writer:
    per transaction ``timeline_begin_append()``, then each row with the ticket's
    ``recorded_at`` and its hash chained to the one before (``texts``: each event's
    canonical content, made before timing), then COPY (``copy``) or INSERTs as the
    unchecked rows above."""
    copy_events = f"COPY timeline_events ({', '.join(EVENT_COLUMNS)}) FROM STDIN"
    copy_actors = f"COPY timeline_event_actors ({', '.join(ACTOR_COLUMNS)}) FROM STDIN"
    insert_event = _insert_sql("timeline_events", EVENT_COLUMNS, "%s")
    insert_actor = _insert_sql("timeline_event_actors", ACTOR_COLUMNS, "%s")
    recorded, chained = EVENT_COLUMNS.index("recorded_at"), EVENT_COLUMNS.index("hash")
    position, version = EVENT_COLUMNS.index("position"), EVENT_COLUMNS.index("version")

    def section(conn: Any) -> None:
        content = iter(texts)
        with conn.cursor() as cursor:
            for event_rows, actor_rows in zip(rows.events, rows.actors, strict=True):
                with conn.transaction():
                    _, previous, recorded_at = cursor.execute(BEGIN_APPEND.text).fetchone()
                    stamp = isoformat(recorded_at)
                    made = []
                    for row in event_rows:
                        previous = _chain(
                            previous, next(content), row[version], row[position], stamp
                        )
                        made.append((*row[:recorded], recorded_at, previous, *row[chained + 1 :]))
                    if not copy:
                        cursor.execute(insert_event, made[0])
                        cursor.executemany(insert_actor, actor_rows)
                        continue
                    with cursor.copy(copy_events) as writing:
                        for row in made:
                            writing.write_row(row)
                    with cursor.copy(copy_actors) as writing:
                        for row in actor_rows:
                            writing.write_row(row)

    @contextmanager
    def setup() -> Iterator[Section]:
        with pg.fresh(), pg.connect() as conn:
            timeline.upgrade(pg.url)
            yield lambda: section(conn)
            _check_count(conn.execute("SELECT count(*) FROM timeline_events").fetchone()[0], rows)

    return setup


def _pg_setup(pg: Postgres, rows: Rows, section: Callable[[Any], None]) -> Setup:
    @contextmanager
    def setup() -> Iterator[Section]:
        with pg.fresh(), pg.connect() as conn:
            for statement in schema_ddl("postgresql"):
                conn.execute(statement)
            yield lambda: section(conn)
            _check_count(conn.execute("SELECT count(*) FROM timeline_events").fetchone()[0], rows)

    return setup
