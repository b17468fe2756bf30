"""Nothing an answer rests on is outside verification (issue 14): snapshots, the actor
index, SQLite's time text, undecodable rows, damaged pages and anchors, on SQLite and
PostgreSQL."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

import timeline
from timeline.schema import VERSION_TABLE, snapshots

from helpers import raw_engine

INCIDENT = "iran-2020-01"


def record_reports(tl: timeline.Timeline, count: int, *, day: int = 1) -> None:
    """``count`` reports of the US, each adding one to ``n`` and setting ``last``."""
    tl.append(
        [
            timeline.Event(
                "report",
                "US",
                f"2020-01-{day + i // 24:02d}T{i % 24:02d}:00Z",
                incident=INCIDENT,
                effects={"US": {"n": {"$inc": 1}, "last": i}},
            )
            for i in range(count)
        ]
    )


@pytest.fixture
def cached(db_url: str) -> Iterator[tuple[timeline.Timeline, timeline.Timeline]]:
    """A timeline that snapshots every 5 events and one that uses none, on one store of
    20 reports, with snapshots stored."""
    with (
        timeline.open(db_url, snapshot_interval=5) as snap,
        timeline.open(db_url, snapshot_interval=None) as plain,
    ):
        record_reports(snap, 20)
        assert plain.state("US") == snap.state("US")
        assert snapshot_rows(db_url)
        yield snap, plain


def snapshot_rows(url: str) -> list[dict[str, Any]]:
    """Every stored snapshot row, as the database holds it."""
    engine = raw_engine(url)
    try:
        with engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(sa.select(snapshots))]
    finally:
        engine.dispose()


def write_snapshots(url: str, statement: Any, rows: list[dict[str, Any]] | None = None) -> None:
    """Run a statement on the snapshots table behind the library's back."""
    engine = raw_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(statement, rows) if rows is not None else conn.execute(statement)
    finally:
        engine.dispose()


def forged(url: str, **changes: Any) -> None:
    """Insert a copy of the newest snapshot with ``changes`` and a forged value."""
    newest = max(snapshot_rows(url), key=lambda r: r["through_occurred_at"])
    row = {k: v for k, v in newest.items() if k != "id"}
    row["state"] = {"values": {"n": 999, "forged": True}, "problems": []}
    row.update(changes)
    write_snapshots(url, snapshots.insert(), [row])


@pytest.mark.parametrize(
    "forgery",
    [
        "future and unknown position",
        "future through time",
        "position above any",
        "edited state",
        "not the actor's event",
    ],
)
def test_a_forged_snapshot_never_changes_an_answer(
    cached: tuple[timeline.Timeline, timeline.Timeline], db_url: str, forgery: str
) -> None:
    """A snapshot with a far-future end, a knowledge above any position, an edited state
    or an end at another actor's event is not used: state() is the fold of the events,
    also after new honest events, and verify() names it."""
    snap, plain = cached
    far = dt.datetime(2100, 1, 1, tzinfo=dt.UTC)
    if forgery == "future and unknown position":
        forged(db_url, through_occurred_at=far, max_end=far, known_position=10**9)
    elif forgery == "future through time":
        forged(db_url, through_occurred_at=far, max_end=far)
    elif forgery == "position above any":
        forged(db_url, known_position=10**9, through_position=10**9 - 1, last_position=10**9 - 1)
    elif forgery == "edited state":
        write_snapshots(
            db_url,
            snapshots.update().values(state={"values": {"n": 999}, "problems": []}),
        )
    else:
        snap.record("report", "Iran", "2020-02-01", incident=INCIDENT)
        forged(
            db_url, through_position=21, through_occurred_at=dt.datetime(2020, 2, 1, tzinfo=dt.UTC)
        )
    for at in (None, "2020-01-01T10:00Z", "2020-06-01"):
        assert plain.state("US", at=at) == snap.state("US", at=at)
    record_reports(snap, 3, day=3)
    assert plain.state("US") == snap.state("US")
    assert 23 == snap.state("US")["n"]
    result = snap.verify()
    assert not result.ok and result.first_bad_position is None
    assert result.findings and all(f.part == "snapshots" for f in result.findings)
    assert all(f.actor == "US" and f.position is not None for f in result.findings)
    assert str(result).startswith("snapshot of 'US' through position ")


def test_a_forged_snapshot_with_a_recomputed_digest_is_named_by_verify(
    cached: tuple[timeline.Timeline, timeline.Timeline], db_url: str
) -> None:
    """A snapshot that passes the reader's checks (its digest recomputed by whoever could
    write it) but holds another state is found by verify(), which folds it again."""
    from timeline.store import Snapshot, snapshot_digest

    snap, _ = cached
    newest = max(snapshot_rows(db_url), key=lambda r: r["through_occurred_at"])
    fields = {k: v for k, v in newest.items() if k not in ("id", "created_at", "digest")}
    fields["state"] = {"values": {"n": 999, "last": 0}, "problems": []}
    for name in ("through_occurred_at", "max_end"):
        fields[name] = fields[name].replace(tzinfo=fields[name].tzinfo or dt.UTC)
    chain = list(snap.events())[fields["known_position"] - 1].hash
    fields["digest"] = snapshot_digest(Snapshot(**fields), chain)
    write_snapshots(db_url, snapshots.insert(), [{**fields, "created_at": newest["created_at"]}])
    result = snap.verify()
    assert not result.ok
    assert any("values differ from the fold of its events" in f.problem for f in result.findings)


def test_verify_folds_every_honest_snapshot_again(
    cached: tuple[timeline.Timeline, timeline.Timeline], db_url: str
) -> None:
    """An untouched store with snapshots verifies; verify() says how many it checked."""
    snap, _ = cached
    stored = len(snapshot_rows(db_url))
    result = snap.verify()
    assert result.ok and (stored, stored) == (result.snapshots_checked, result.snapshots_folded)
    assert f"ok: 20 events verified, {stored} snapshots checked" == str(result)


def test_a_snapshot_row_that_cannot_be_read_is_named_not_raised(
    cached: tuple[timeline.Timeline, timeline.Timeline], db_url: str
) -> None:
    """A snapshot whose state is not JSON (SQLite), or not a state (PostgreSQL keeps only
    JSON), is skipped by state() and named by verify()."""
    snap, plain = cached
    bad = "'{not json'" if db_url.startswith("sqlite") else "'[1]'"
    write_snapshots(db_url, sa.text(f"UPDATE timeline_snapshots SET state = {bad}"))
    assert plain.state("US") == snap.state("US")
    result = snap.verify()
    assert not result.ok
    problem = "cannot be read" if db_url.startswith("sqlite") else "its state is not"
    assert problem in str(result)


def test_the_snapshot_cache_stays_bounded_after_late_reports(db_url: str) -> None:
    """Each state() after a late report folds again and stores a new set of snapshots;
    the oldest knowledge's are pruned, so the cache stays within twice one fold's set
    per actor, and answers stay those without snapshots."""
    with (
        timeline.open(db_url, snapshot_interval=5) as snap,
        timeline.open(db_url, snapshot_interval=None) as plain,
    ):
        record_reports(snap, 30)
        counts = []
        for i in range(8):
            snap.record(
                "report", "US", "2020-01-01T00:30Z", incident=INCIDENT,
                effects={"US": {"n": {"$inc": 1}}},
            )  # fmt: skip
            assert plain.state("US") == snap.state("US")
            counts.append(len(snapshot_rows(db_url)))
            one_fold = (30 + i + 1) // 5 + 1
            assert counts[-1] <= 2 * one_fold
        # each late report made a new set of about one fold's: without pruning they add up
        made = max(row["id"] for row in snapshot_rows(db_url))
        assert made > 2 * counts[-1]
        assert snap.verify().ok


@pytest.mark.postgres
@pytest.mark.parametrize("snapshot_grant", [None, "SELECT", "SELECT, INSERT"])
def test_a_role_without_snapshot_rights_answers_without_them(
    postgres_url: str, snapshot_grant: str | None
) -> None:
    """A writer role without rights on timeline_snapshots, or with too few to keep the
    cache bounded, runs state() and stores no snapshot; with SELECT it may use the
    owner's."""
    with timeline.open(postgres_url, snapshot_interval=5) as owner_tl:
        record_reports(owner_tl, 12)
        expected = owner_tl.state("US")
    stored = len(snapshot_rows(postgres_url))
    role = f"timeline_writer_{uuid.uuid4().hex[:8]}"
    grants = [
        f"CREATE ROLE {role} LOGIN",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        f"GRANT SELECT, INSERT ON timeline_events, timeline_event_actors TO {role}",
        f"GRANT SELECT ON {VERSION_TABLE} TO {role}",
    ]
    if snapshot_grant is not None:
        grants.append(f"GRANT {snapshot_grant} ON timeline_snapshots TO {role}")
    owner = raw_engine(postgres_url)
    try:
        with owner.begin() as conn:
            for statement in grants:
                conn.execute(sa.text(statement))
        writer_url = make_url(postgres_url).set(username=role, password=None)
        with timeline.open(writer_url, snapshot_interval=5) as tl:
            assert expected == tl.state("US")
            record_reports(tl, 12, day=5)
            assert 24 == tl.state("US")["n"]
            assert 24 == tl.state("US", at="2020-01-06")["n"]
        assert stored == len(snapshot_rows(postgres_url))
    finally:
        with owner.begin() as conn:
            conn.execute(sa.text(f"DROP OWNED BY {role}"))
            conn.execute(sa.text(f"DROP ROLE IF EXISTS {role}"))
        owner.dispose()
