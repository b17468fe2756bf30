"""Reliability under load and faults: eight writers at once, and a writer killed mid-batch.

Both tests run on a SQLite file and on PostgreSQL, with real processes (the spawn context,
so that each child opens its own connections as a separate program would).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import random
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import timeline

from helpers import raw_engine, stored_count

_SPAWN = mp.get_context("spawn")

WRITERS = 8
EVENTS_PER_WRITER = 1_500
BATCH = 50
SHARED = ("shared-a", "shared-b")
SHARED_EVERY = 3  # every third batch of a writer goes to a shared incident
MAX_RETRIES = 1_000

CRASH_INCIDENT = "crash-batch"
CRASH_BATCH = 50_000
CRASH_SIGNAL_AT = 5_000  # the child has written four chunks of 1,000 by then


def backend(url: str) -> str:
    """The backend's name for figures: ``sqlite`` or ``postgres``."""
    return "postgres" if url.startswith("postgres") else "sqlite"


def _write(url: str, writer: int, out: str, barrier: Any) -> None:
    """One writer: 30 batches of 50; every third to a shared incident, read-then-append
    with ``expected_version`` and retried on conflict; the rest to its own incident, with
    the version it knows (which no one else can change, so it must never conflict)."""
    own = f"writer-{writer}"
    own_version = 0
    batches: list[dict[str, Any]] = []
    conflicts = 0
    rng = random.Random(writer)
    with timeline.open(url) as tl:
        barrier.wait(timeout=120)
        for n in range(EVENTS_PER_WRITER // BATCH):
            shared = n % SHARED_EVERY == 0
            incident = SHARED[(writer + n) % len(SHARED)] if shared else own
            events = [
                timeline.Event(
                    "report",
                    own,
                    "2017-06-18T12:00Z",
                    incident=incident,
                    data={"writer": writer, "batch": n, "k": k},
                )
                for k in range(BATCH)
            ]
            for _attempt in range(MAX_RETRIES):
                expected = tl.incident_version(incident) if shared else own_version
                try:
                    recorded = tl.append(events, expected_version=expected)
                    break
                except timeline.ConcurrencyError:
                    if not shared:
                        raise
                    conflicts += 1
                    time.sleep(rng.uniform(0, 0.005))
            else:
                raise RuntimeError(f"writer {writer}: batch {n} conflicted {MAX_RETRIES} times")
            if not shared:
                own_version += BATCH
            batches.append(
                {
                    "incident": incident,
                    "expected": expected,
                    "shared": shared,
                    "ids": [str(e.id) for e in recorded],
                    "versions": [e.version for e in recorded],
                    "positions": [e.position for e in recorded],
                }
            )
    Path(out).write_text(json.dumps({"batches": batches, "conflicts": conflicts}))


def _tail(tl: timeline.Timeline, done: Callable[[], bool], total: int) -> tuple[list[int], int]:
    """Follow ``events(after_position=last)`` until the writers are done and ``total``
    positions were seen; return the positions in the order seen, and how many came at or
    below one already passed."""
    seen: list[int] = []
    out_of_order = 0
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        finished = done()
        last = seen[-1] if seen else 0
        fresh = [e.position for e in tl.events(after_position=last)]
        for position in fresh:
            if seen and position <= seen[-1]:
                out_of_order += 1
            seen.append(position)
        if finished and len(seen) >= total:
            break
        if not fresh:
            time.sleep(0.02)
    return seen, out_of_order


@pytest.mark.slow
def test_eight_writers_lose_nothing_and_a_tailing_reader_never_goes_back(
    db_url: str, tmp_path: Path, figures: Callable[[str, str], None]
) -> None:
    """With 8 processes appending 12,000 events at once, some racing on shared incidents
    with expected versions, every returned event is stored once, versions and positions
    have no gaps, and a reader tailing by position never finds one below one it passed."""
    timeline.upgrade(db_url)
    total = WRITERS * EVENTS_PER_WRITER
    barrier = _SPAWN.Barrier(WRITERS + 1)
    outs = [tmp_path / f"writer-{w}.json" for w in range(WRITERS)]
    processes = [
        _SPAWN.Process(target=_write, args=(db_url, w, str(outs[w]), barrier))
        for w in range(WRITERS)
    ]
    for process in processes:
        process.start()
    try:
        barrier.wait(timeout=120)
        with timeline.open(db_url) as tl:
            seen, out_of_order = _tail(
                tl, lambda: all(p.exitcode is not None for p in processes), total
            )
            for process in processes:
                process.join(timeout=60)
            assert [0] * WRITERS == [p.exitcode for p in processes]
            stored = list(tl.events())
            verification = tl.verify()
    finally:
        for process in processes:
            if process.is_alive():
                process.kill()

    reports = [json.loads(out.read_text()) for out in outs]
    batches = [batch for report in reports for batch in report["batches"]]
    returned = [
        (event_id, batch["incident"], version, position)
        for batch in batches
        for event_id, version, position in zip(
            batch["ids"], batch["versions"], batch["positions"], strict=True
        )
    ]
    returned_ids = [r[0] for r in returned]
    stored_ids = [str(e.id) for e in stored]
    lost = len(set(returned_ids) - set(stored_ids))
    duplicated = (len(stored_ids) - len(set(stored_ids))) + (
        len(returned_ids) - len(set(returned_ids))
    )
    missed_by_tail = len({e.position for e in stored} - set(seen))
    regressions = out_of_order + missed_by_tail
    conflicts = sum(report["conflicts"] for report in reports)
    shared_batches = sum(1 for batch in batches if batch["shared"])
    figures(
        f"reliability [{backend(db_url)}]",
        f"{WRITERS} processes, {len(stored):,} events ({shared_batches} batches racing on "
        f"{len(SHARED)} shared incidents, {conflicts} conflicts retried), lost {lost}, "
        f"duplicated {duplicated}, position regressions {regressions}",
    )

    assert total == len(returned_ids)
    assert 0 == lost
    assert 0 == duplicated
    assert 0 == regressions
    assert list(range(1, total + 1)) == [e.position for e in stored]
    assert list(range(1, total + 1)) == seen
    by_id = {str(e.id): (str(e.id), e.incident, e.version, e.position) for e in stored}
    assert sorted(returned) == sorted(by_id[event_id] for event_id in returned_ids)
    versions: dict[str, list[int]] = {}
    for event in stored:
        versions.setdefault(event.incident, []).append(event.version)
    assert {*SHARED, *(f"writer-{w}" for w in range(WRITERS))} == set(versions)
    for incident, numbers in versions.items():
        assert (incident, list(range(1, len(numbers) + 1))) == (incident, numbers)
    for batch in batches:  # each batch took the versions right after the one it expected
        wanted = list(range(batch["expected"] + 1, batch["expected"] + BATCH + 1))
        assert wanted == batch["versions"]
    writers_per_shared = Counter(e.actor for e in stored if e.incident in SHARED)
    assert WRITERS == len(writers_per_shared)
    assert (True, total) == (verification.ok, verification.events_checked)


_ADVISORY_LOCKS = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
    " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def write_lock_held(url: str) -> bool:
    """Whether some connection holds the store's write lock (an append in progress): SQLite's
    one write lock, or PostgreSQL's append advisory lock."""
    if backend(url) == "sqlite":
        probe = sqlite3.connect(make_url(url).database, timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as e:
            assert "locked" in str(e)
            return True
        finally:
            probe.close()
    engine = raw_engine(url)
    try:
        with engine.connect() as conn:
            held = conn.execute(sa.text(_ADVISORY_LOCKS)).scalar_one()
            return 1 == held
    finally:
        engine.dispose()


def _load_until_killed(url: str, started: Any) -> None:
    """Stream a 50,000-event load into one incident, saying so once some thousands are in."""

    def stream() -> Iterator[timeline.Event]:
        for n in range(CRASH_BATCH):
            if n == CRASH_SIGNAL_AT:
                started.set()
            yield timeline.Event(
                "report",
                "doomed-writer",
                "2017-06-18T12:00Z",
                incident=CRASH_INCIDENT,
                data={"n": n},
            )

    with timeline.open(url) as tl:
        tl.load(stream())


@pytest.mark.slow
def test_a_writer_killed_mid_batch_leaves_all_or_nothing(
    db_url: str, figures: Callable[[str, str], None]
) -> None:
    """A writer killed with SIGKILL in the middle of a 50,000-event load leaves none of the
    batch (or all of it), the earlier events as they were, a chain that verifies, and a
    store that takes the next append."""
    with timeline.open(db_url) as tl:
        for incident in ("before-a", "before-b"):
            tl.append(
                [
                    timeline.Event("report", "US", "2017-06-17", incident=incident, data={"k": k})
                    for k in range(50)
                ]
            )
        earlier = list(tl.events())
    started = _SPAWN.Event()
    child = _SPAWN.Process(target=_load_until_killed, args=(db_url, started))
    child.start()
    try:
        assert started.wait(timeout=120), "the child never started writing"
        assert write_lock_held(db_url)  # so the kill lands inside the append's transaction
        assert child.pid is not None
        os.kill(child.pid, signal.SIGKILL)
        child.join(timeout=30)
    finally:
        if child.is_alive():
            child.kill()
    assert -signal.SIGKILL == child.exitcode  # killed, not finished

    with timeline.open(db_url) as tl:
        kept = len(list(tl.events(incident=CRASH_INCIDENT)))
        assert kept in (0, CRASH_BATCH)
        assert len(earlier) + kept == stored_count(db_url)
        assert earlier == list(tl.events(limit=len(earlier)))
        verification = tl.verify()
        assert (True, len(earlier) + kept) == (verification.ok, verification.events_checked)
        after = tl.record(
            "report", "US", "2017-06-19", incident=CRASH_INCIDENT, expected_version=kept
        )
        assert (kept + 1, len(earlier) + kept + 1) == (after.version, after.position)
        assert tl.verify().ok
    figures(
        f"crash [{backend(db_url)}]",
        f"SIGKILL {CRASH_SIGNAL_AT:,}+ events into a {CRASH_BATCH:,}-event load (write lock "
        f"held): kept "
        f"{kept:,} of it, {len(earlier)} earlier events intact, verify ok, next append at "
        f"position {after.position}",
    )
