"""The workload "paging": ``Timeline.events(actor=X)`` read page by page (issue 15).

A store of N events (default 100,000; ``--quick`` 2,000; ``--full`` 1,000,000), 90 %
of them by one actor (``Big``), the rest spread over 1,000 others, among which ``Rare``
acts three times (early, midway and late). Valid times are drawn at random over a year,
so valid-time order is not position order: a query that reads the actor's rows by valid
time must sort them to give position order.

Each page is one call ``Timeline.events(actor=X, after_position=P, limit=1,000)``
after the last position of the page before (keyset paging, as a tailing reader does),
timed on its own. The pages' times should not grow with the page's place in the actor's
events: the note gives the first and the last page's milliseconds, and the median over
the first and the last five pages. Before schema 0010 each page read every event of the
actor and sorted them, so a page's time grew with the actor's size and reading all its
pages with its square. The rare actor's one page shows that the actor's own index is
used whatever the size of the store (no walk along all positions).
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace

import timeline
from benchmarks.harness import Context, Row, Section, measure, workload
from timeline import Event

DEFAULT_EVENTS = 100_000
QUICK_EVENTS = 2_000
PAGE = 1_000
BIG = "Big"
RARE = "Rare"
OTHERS = 1_000
BIG_SHARE = 0.9

OURS_BIG = f"ours: Timeline.events(actor=big), pages of {PAGE:,} by after_position"
OURS_RARE = "ours: Timeline.events(actor=rare), 3 events of the whole store"


def paging_events(count: int, *, seed: int) -> Iterator[Event]:
    """``count`` events: most by ``Big``, three by ``Rare``, the rest by others."""
    rng = random.Random(seed)
    start = dt.datetime(2017, 1, 1, tzinfo=dt.UTC)
    rare_at = {count // 4, count // 2, count - 1}
    for n in range(count):
        if n in rare_at:
            actor = RARE
        elif rng.random() < BIG_SHARE:
            actor = BIG
        else:
            actor = f"actor-{rng.randrange(OTHERS):04d}"
        yield Event(
            rng.choice(("statement", "airstrike", "convoy")),
            actor,
            start + dt.timedelta(seconds=rng.randrange(365 * 24 * 3600)),
            incident=f"incident-{n % 100:02d}",
            data={"n": n},
        )


@workload("paging")
def paging(ctx: Context) -> list[Row]:
    """Keyset paging through one big actor's events, and one rare actor's, per backend."""
    count = ctx.size(DEFAULT_EVENTS, QUICK_EVENTS)
    ctx.log(f"paging: {count:,} events, pages of {PAGE:,}")
    rows: list[Row] = []
    for backend, url in _stores(ctx):
        with timeline.open(url) as tl:
            ctx.log(f"  {backend}: loading {count:,} events (not timed) ...")
            tl.load(paging_events(count, seed=ctx.seed))
            rows.extend(_measure(ctx, backend, tl, count))
    return rows


def _stores(ctx: Context) -> Iterator[tuple[str, str]]:
    yield "sqlite", f"sqlite:///{ctx.scratch_file('paging')}"
    if ctx.postgres is not None:
        with ctx.postgres.fresh():
            yield "postgresql", ctx.postgres.url.render_as_string(hide_password=False)


def _measure(ctx: Context, backend: str, tl: timeline.Timeline, count: int) -> list[Row]:
    rows = []
    for what, actor in ((OURS_BIG, BIG), (OURS_RARE, RARE)):

        @contextmanager
        def setup(actor: str = actor) -> Iterator[Section]:
            yield lambda: _pages(tl, actor)

        found = measure(ctx, f"{backend} {what}", count, setup)
        events, laps = found.result  # the timed pass's, not the tracemalloc pass's
        note = f"{events:,} events in {len(laps):,} pages; " + _first_and_last(laps)
        row = found.row("paging", backend, what, store_events=count, laps=laps, note=note)
        rows.append(replace(row, events=events, events_per_s=events / row.seconds))
    return rows


def _pages(tl: timeline.Timeline, actor: str) -> tuple[int, list[float]]:
    """Read every event of ``actor`` a page per call; return the count and each call's
    seconds."""
    after = 0
    total = 0
    laps: list[float] = []
    while True:
        start = time.perf_counter()
        page = list(tl.events(actor=actor, after_position=after, limit=PAGE, page_size=PAGE))
        laps.append(time.perf_counter() - start)
        total += len(page)
        if len(page) < PAGE:
            return total, laps
        after = page[-1].position


def _first_and_last(laps: list[float]) -> str:
    """The first and last pages' milliseconds, and the medians of the first and last five."""
    if len(laps) < 2:
        return f"one page: {laps[0] * 1000:,.1f} ms"
    # the last page is partial when the count is not a multiple of the page: the medians
    # of five pages at each end are the fairer comparison
    ends = min(5, len(laps) // 2)
    first = statistics.median(laps[:ends]) * 1000
    last = statistics.median(laps[-ends:]) * 1000
    return (
        f"first page {laps[0] * 1000:,.1f} ms, last {laps[-1] * 1000:,.1f} ms; "
        f"median of the first {ends} {first:,.1f} ms, of the last {ends} {last:,.1f} ms"
    )
