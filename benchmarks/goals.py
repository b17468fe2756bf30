"""Issue 15's goals, read off a run's rows: ours, the peer's, the ratio, per backend.

``python -m benchmarks`` prints this table after the rows. Each goal names the row of
ours and the row of the peer (or a fixed target) on each backend; **ratio** is ours ÷
the peer, so above 1 ours is ahead, whether the figure is a rate (events/s) or a time
(for a time, the peer's milliseconds ÷ ours). A goal of a workload the run did not run is
left out; one whose rows the run did not make (no PostgreSQL, no memory pass, or no such
peer row yet) says so instead of a number.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from benchmarks import imports, sequence, state, workloads
from benchmarks.harness import Row

BACKENDS = ("sqlite", "postgresql")

Pick = Callable[[Row], bool]


@dataclass(frozen=True)
class Goal:
    """One line of issue 15's goals, measured on ``backends``.

    ``ours`` and ``peer`` pick the two rows (the peer may be on any backend: eql runs in
    memory); ``figure`` is what is compared: ``"rate"`` (events/s, more is better),
    ``"p50"`` (the median query's ms, less is better), ``"seconds"`` (less is better),
    or ``"peak"`` (peak MB, less is better). ``target`` is the least ratio that meets it.
    ``fixed``: the peer is this number (a target figure), not a row.
    """

    name: str
    workload: str
    ours: Callable[[str], Pick]
    peer: Callable[[str], Pick] | None
    figure: str
    target: float
    backends: Sequence[str] = BACKENDS
    fixed: float | None = None


def _what(workload: str, what: str, backend: str | None = None) -> Callable[[str], Pick]:
    """Rows of ``workload`` whose ``what`` is ``what`` on the backend asked (or ``backend``)."""

    def on(asked: str) -> Pick:
        wanted = backend or asked
        return lambda row: row.workload == workload and row.what == what and row.backend == wanted

    return on


def _starts(workload: str, start: str, *, contains: str = "") -> Callable[[str], Pick]:
    def on(asked: str) -> Pick:
        return lambda row: (
            row.workload == workload
            and row.backend == asked
            and row.what.startswith(start)
            and contains in row.what
        )

    return on


def _es_state(backend: str) -> Pick:
    # eventsourcing's state rows carry the backend in their label (SQLite; PostgreSQL
    # when the state workload has that row)
    return lambda row: (
        row.workload == "state"
        and row.backend == backend
        and row.what.startswith("eventsourcing")
        and "snapshots every" in row.what
    )


def _sequence(keys: str) -> Callable[[str], Pick]:
    """Our sequence row with ``keys`` keys on the backend."""
    return lambda backend: (
        lambda row: (
            row.workload == "sequence"
            and row.backend == backend
            and row.what.startswith(f"{sequence.OURS}, {keys} keys")
        )
    )


def _eql(keys: str) -> Callable[[str], Pick]:
    """eql's row for the dataset of our row with ``keys`` keys on the backend: its own
    when PostgreSQL ran a smaller dataset (with eql run on it too), else the one eql row
    of those keys (eql runs in memory, whatever the backend)."""
    return lambda backend: (
        lambda row: (
            row.workload == "sequence" and row.what.startswith(f"{sequence.EQL}, {keys} keys")
        )
    )


GOALS = (
    Goal(
        "batch append >= 1.0x eventsourcing",
        "append",
        _what("append", workloads.OURS_BATCH),
        _what("append", workloads.ES_BATCH),
        "rate",
        1.0,
    ),
    Goal(
        "single append >= 1.0x eventsourcing",
        "append",
        _what("append", workloads.OURS_SINGLE),
        _what("append", workloads.ES_SINGLE),
        "rate",
        1.0,
    ),
    Goal(
        "batch append within 1.25x of the raw driver (sqlite3 executemany)",
        "append",
        _what("append", workloads.OURS_BATCH),
        _what("append", workloads.SQLITE_INDEXED),
        "rate",
        0.8,
        backends=("sqlite",),
    ),
    Goal(
        "batch append within 1.25x of the raw driver (psycopg COPY)",
        "append",
        _what("append", workloads.OURS_BATCH),
        _what("append", workloads.PG_COPY),
        "rate",
        0.8,
        backends=("postgresql",),
    ),
    Goal(
        "single append within 1.25x of the raw driver (sqlite3 INSERT)",
        "append",
        _what("append", workloads.OURS_SINGLE),
        _what("append", workloads.SQLITE_SINGLE),
        "rate",
        0.8,
        backends=("sqlite",),
    ),
    Goal(
        "single append within 1.25x of the raw driver (psycopg INSERT)",
        "append",
        _what("append", workloads.OURS_SINGLE),
        _what("append", workloads.PG_SINGLE),
        "rate",
        0.8,
        backends=("postgresql",),
    ),
    # PostgreSQL's tables check every append in the database (the ticket, the chain,
    # canonical JSON: revisions 0006/0008), which the two lines above leave out; the raw
    # driver writing into the library's schema pays them as any writer must, so these
    # two measure what the library's own work adds to that
    Goal(
        "batch append within 1.25x of the raw driver into the library's schema (COPY)",
        "append",
        _what("append", workloads.OURS_BATCH),
        _what("append", workloads.PG_COPY_CHECKED),
        "rate",
        0.8,
        backends=("postgresql",),
    ),
    Goal(
        "single append within 1.25x of the raw driver into the library's schema (INSERT)",
        "append",
        _what("append", workloads.OURS_SINGLE),
        _what("append", workloads.PG_SINGLE_CHECKED),
        "rate",
        0.8,
        backends=("postgresql",),
    ),
    Goal(
        "state with snapshots, p50, no slower than eventsourcing",
        "state",
        _what("state", state.OURS_ON),
        lambda backend: _es_state(backend),
        "p50",
        1.0,
    ),
    Goal(
        "full replay of a 10,000-event actor under 100 ms (p50)",
        "state",
        _what("state", state.OURS_FULL),
        None,
        "p50",
        1.0,
        fixed=100.0,
    ),
    Goal(
        "sequence, 100 keys, >= 1.0x eql",
        "sequence",
        _sequence("100"),
        _eql("100"),
        "rate",
        1.0,
    ),
    Goal(
        "sequence, 1,000 keys, >= 3x eql",
        "sequence",
        _sequence("1,000"),
        _eql("1,000"),
        "rate",
        3.0,
    ),
    Goal(
        "import into a new database <= 2x the warmed one",
        "import",
        _what("import", imports.NEW),
        _what("import", imports.OURS),
        "seconds",
        0.5,
        backends=("postgresql",),
    ),
    Goal(
        "the same, generic plans forced, <= 2x the warmed one",
        "import",
        _what("import", imports.GENERIC),
        _what("import", imports.OURS),
        "seconds",
        0.5,
        backends=("postgresql",),
    ),
    Goal(
        "peak memory of a sequence report (1,000 keys) < 200 MB",
        "sequence",
        _sequence("1,000"),
        None,
        "peak",
        1.0,
        fixed=200.0,
    ),
    Goal(
        "peak memory of a chart of the sequence store < 200 MB",
        "sequence",
        _starts("sequence", sequence.CHART),
        None,
        "peak",
        1.0,
        backends=("sqlite",),
        fixed=200.0,
    ),
)


def _figure(row: Row, figure: str) -> float | None:
    return {
        "rate": row.events_per_s,
        "p50": row.ms_p50,
        "seconds": row.seconds,
        "peak": row.peak_mb,
    }[figure]


def _shown(value: float, figure: str) -> str:
    return {
        "rate": f"{value:,.0f}/s",
        "p50": f"{value:,.2f} ms",
        "seconds": f"{value:,.1f} s",
        "peak": f"{value:,.1f} MB",
    }[figure]


def goal_lines(rows: Iterable[Row]) -> list[tuple[str, ...]]:
    """Each goal on each backend: (goal, backend, ours, peer, ratio, target, verdict)."""
    rows = list(rows)
    run = {row.workload for row in rows}
    lines = []
    for goal in GOALS:
        if goal.workload not in run:
            continue  # a workload this run left out
        for backend in goal.backends:
            ours_row = next((r for r in rows if goal.ours(backend)(r)), None)
            peers = [] if goal.peer is None else [r for r in rows if goal.peer(backend)(r)]
            # a peer row made for our row's own dataset (eql on PostgreSQL's) comes first
            peers.sort(key=lambda r: ours_row is None or r.compared_to != ours_row.what)
            peer_row = peers[0] if peers else None
            ours = None if ours_row is None else _figure(ours_row, goal.figure)
            peer = goal.fixed if peer_row is None else _figure(peer_row, goal.figure)
            target = f">= {goal.target:g}x"
            # a row that measured nothing (a peer not installed: its note says why)
            skipped = [r for r in (ours_row, peer_row) if r is not None and not r.events]
            if ours is None or peer is None or skipped:
                whose = "ours" if ours is None or ours_row in skipped else "the peer's"
                found = ours_row if whose == "ours" else peer_row
                # a row without the figure: a peak needs the memory pass (not --no-memory)
                missing = (
                    f"no row of {whose} in this run"
                    if found is None
                    else f"{whose} row measured nothing ({found.note or 'no note'})"
                    if skipped
                    else f"{whose} row has no {goal.figure} figure (--no-memory?)"
                )
                lines.append(
                    (
                        goal.name,
                        backend,
                        "" if ours is None else _shown(ours, goal.figure),
                        "" if peer is None else _shown(peer, goal.figure),
                        "",
                        target,
                        f"not measured: {missing}",
                    )
                )
                continue
            faster_is_more = goal.figure == "rate"
            ratio = ours / peer if faster_is_more else (peer / ours if ours else float("inf"))
            peer_text = _shown(peer, goal.figure) + (" (target)" if peer_row is None else "")
            lines.append(
                (
                    goal.name,
                    backend,
                    _shown(ours, goal.figure),
                    peer_text,
                    f"{ratio:.2f}x",
                    target,
                    "met" if ratio >= goal.target else "missed",
                )
            )
    return lines


def format_goals(rows: Iterable[Row]) -> str:
    """Return the goals table (see :func:`goal_lines`) as aligned text."""
    header = ("issue 15 goal", "backend", "ours", "peer", "ratio", "target", "")
    lines = [header, *goal_lines(rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    right = (False, False, True, True, True, False, False)

    def render(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(width) if r else cell.ljust(width)
            for cell, width, r in zip(cells, widths, right, strict=True)
        ).rstrip()

    rule = "  ".join("-" * width for width in widths)
    note = "ratio: ours / the peer's rate, or the peer's time (MB) / ours: above 1 ours is ahead"
    return "\n".join([render(header), rule, *(render(line) for line in lines[1:]), note])
