"""The harness: the workload registry, timing and memory measurement, the results table.

A workload is a function ``(Context) -> Iterable[Row]`` registered in :data:`WORKLOADS` with
the :func:`workload` decorator. It builds its inputs, then calls :func:`measure` once per
thing it times; each call runs the measured section twice from a fresh start: once for
the time (tracemalloc off, since tracing slows Python code by about half and would
distort the comparison with the C-only baselines), once under tracemalloc for the peak.
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import os
import platform
import sqlite3
import subprocess
import time
import tracemalloc
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from benchmarks.backends import Postgres


@dataclass(frozen=True)
class Row:
    """One line of the results table.

    ``ratio`` is the row's events/s divided by that of the "ours" row it is compared with
    (``compared_to``): above 1 the baseline is faster. ``None`` where nothing compares.

    The query workloads fill the optional fields: ``store_events_per_s`` (the events in
    the store, not only those the query read, per second), ``queries`` timed one by one
    with the median and 95th percentile of their times in milliseconds and how many ran
    per second, and a ``note`` (a cross-check, or why a number is missing).
    """

    workload: str
    backend: str
    what: str
    events: int
    seconds: float
    events_per_s: float
    ratio: float | None
    peak_mb: float | None
    compared_to: str | None = None
    store_events_per_s: float | None = None
    queries: int | None = None
    ms_p50: float | None = None
    ms_p95: float | None = None
    queries_per_s: float | None = None
    note: str | None = None


@dataclass(frozen=True)
class Measurement:
    """What :func:`measure` found: the wall time and the Python-heap peak (MB)."""

    events: int
    seconds: float
    peak_mb: float | None
    result: Any = field(default=None, repr=False, compare=False)
    """What the section returned in the timed pass (a report, per-query times, ...)."""

    @property
    def events_per_s(self) -> float:
        return self.events / self.seconds if self.seconds > 0 else float("inf")

    def row(
        self,
        workload: str,
        backend: str,
        what: str,
        *,
        ours: Measurement | None = None,
        ours_what: str | None = None,
        store_events: int | None = None,
        laps: Sequence[float] | None = None,
        note: str | None = None,
    ) -> Row:
        """Return this measurement as a table row, compared with ``ours`` when given.

        ``store_events``: the events in the store, for the store-wide events/s of a query.
        ``laps``: the seconds of each query, for the per-query columns (median, 95th
        percentile, queries per second of the whole section).
        """
        ratio = None if ours is None else self.events_per_s / ours.events_per_s
        queries = None if laps is None else len(laps)
        return Row(
            workload=workload,
            backend=backend,
            what=what,
            events=self.events,
            seconds=self.seconds,
            events_per_s=self.events_per_s,
            ratio=ratio,
            peak_mb=self.peak_mb,
            compared_to=ours_what,
            store_events_per_s=None if store_events is None else store_events / self.seconds,
            queries=queries,
            ms_p50=None if not laps else percentile(laps, 50) * 1000,
            ms_p95=None if not laps or len(laps) < 2 else percentile(laps, 95) * 1000,
            queries_per_s=None if not laps else len(laps) / self.seconds,
            note=note,
        )


def percentile(values: Sequence[float], pct: float) -> float:
    """Return the ``pct``-th percentile of ``values`` (linear between the closest ranks)."""
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = int(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


FULL_EVENTS = 1_000_000
"""The size issue 7 names for the append, sequence and import workloads (``--full``)."""


@dataclass
class Context:
    """What a workload gets: the sizes asked for, a scratch folder, the backends.

    ``events`` is ``--events`` (``None`` when not given), ``quick`` is ``--quick`` and
    ``full`` is ``--full``; a workload picks its own size from them with :meth:`size`.
    """

    events: int | None
    seed: int
    tmpdir: Path
    trace_memory: bool = True
    postgres: Postgres | None = None
    log: Callable[[str], None] = print
    quick: bool = False
    postgres_events: int | None = None
    full: bool = False
    _serial: int = field(default=0, repr=False)

    def size(self, default: int, quick: int, full: int = FULL_EVENTS) -> int:
        """Return ``--events`` if given, else ``quick`` under ``--quick``, ``full`` under
        ``--full``, else ``default``."""
        if self.events is not None:
            return self.events
        if self.full:
            return full
        return quick if self.quick else default

    def scratch_file(self, stem: str) -> Path:
        """Return a new, unused file path in the scratch folder."""
        self._serial += 1
        return self.tmpdir / f"{self._serial:02d}-{stem}.db"


Section = Callable[[], object]
"""The measured code: called once per pass, after its setup, inside the timing."""

Setup = Callable[[], AbstractContextManager[Section]]
"""Makes a fresh start (a new database, say) and yields the section to run on it."""


def measure(
    ctx: Context, label: str, events: int, setup: Setup, *, traced: Setup | None = None
) -> Measurement:
    """Time ``setup``'s section on a fresh start, then (if asked) trace its memory on another.

    Only the section is measured: whatever ``setup`` does before yielding it, and after,
    is not. The peak is tracemalloc's: new Python-heap allocations made during the section
    (memory that C libraries allocate themselves, such as SQLite's page cache, is not seen).
    ``traced``, when given, makes the section of the tracemalloc pass instead of ``setup``
    (for what must run only once on the real data, such as a load: a smaller stand-in).
    The timed pass's return value is kept in :attr:`Measurement.result`.
    """
    ctx.log(f"  {label}: {events:,} events ...")
    with setup() as section:
        gc.collect()
        start = time.perf_counter()
        result = section()
        seconds = time.perf_counter() - start
    peak_mb = None
    if ctx.trace_memory:
        traced_from = time.perf_counter()
        with (traced or setup)() as section:
            gc.collect()
            tracemalloc.start()
            try:
                section()
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        peak_mb = peak / 1e6
        ctx.log(f"    (tracemalloc pass: {time.perf_counter() - traced_from:.1f} s)")
    found = Measurement(events=events, seconds=seconds, peak_mb=peak_mb, result=result)
    ctx.log(f"    {seconds:.3f} s, {found.events_per_s:,.0f} events/s")
    return found


Workload = Callable[[Context], Iterable[Row]]
WORKLOADS: list[tuple[str, Workload]] = []
"""Every workload, in the order they run: ``(name, function)``."""


def workload(name: str) -> Callable[[Workload], Workload]:
    """Register the decorated function as the workload ``name``."""

    def register(function: Workload) -> Workload:
        if any(existing == name for existing, _ in WORKLOADS):
            raise ValueError(f"workload {name!r} is registered twice")
        WORKLOADS.append((name, function))
        return function

    return register


# -- reporting ---------------------------------------------------------------------------

COLUMNS = ("workload", "backend", "what", "events", "seconds", "events/s", "ratio", "peak MB")
QUERY_COLUMNS = ("store ev/s", "queries", "ms p50", "ms p95", "queries/s")
"""Shown only when some row has them (the query workloads)."""


def _number(value: float | int | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


def _cells(row: Row, query_columns: bool, notes: bool) -> tuple[str, ...]:
    cells = (
        row.workload,
        row.backend,
        row.what,
        f"{row.events:,}",
        f"{row.seconds:.3f}",
        f"{row.events_per_s:,.0f}",
        "" if row.ratio is None else f"{row.ratio:.2f}",
        "" if row.peak_mb is None else f"{row.peak_mb:.2f}",
    )
    if query_columns:
        cells += (
            _number(row.store_events_per_s),
            _number(row.queries),
            _number(row.ms_p50, 2),
            _number(row.ms_p95, 2),
            _number(row.queries_per_s, 1),
        )
    if notes:
        cells += (row.note or "",)
    return cells


def format_table(rows: Iterable[Row]) -> str:
    """Return the rows as an aligned text table (text left, numbers right).

    The per-query columns and the note column appear only when a row fills them.
    """
    rows = list(rows)
    query_columns = any(
        row.store_events_per_s is not None or row.queries is not None for row in rows
    )
    notes = any(row.note for row in rows)
    header = COLUMNS + (QUERY_COLUMNS if query_columns else ()) + (("note",) if notes else ())
    lines = [header, *(_cells(row, query_columns, notes) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    numeric = [False, False, False, *[True] * (len(COLUMNS) - 3)]
    numeric += [True] * (len(QUERY_COLUMNS) if query_columns else 0) + ([False] if notes else [])

    def render(cells: tuple[str, ...]) -> str:
        parts = [
            cell.rjust(width) if right else cell.ljust(width)
            for cell, width, right in zip(cells, widths, numeric, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([render(lines[0]), rule, *(render(cells) for cells in lines[1:])])


def machine(scratch: Path, postgres_version: str | None = None) -> dict[str, Any]:
    """Return what the results depend on: platform, CPUs, Python, SQLite, PostgreSQL."""
    import sqlalchemy

    import timeline

    info: dict[str, Any] = {
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "sqlalchemy": sqlalchemy.__version__,
        "timeline": f"{getattr(timeline, '__version__', '?')}{_git_describe()}",
        "scratch_fs": _filesystem(scratch),
    }
    if postgres_version is not None:
        info["postgresql"] = postgres_version
    return info


def machine_line(info: dict[str, Any]) -> str:
    """Return :func:`machine`'s answer as one line for the top of the output."""
    parts = [
        info["platform"],
        f"{info['cpus']} CPUs ({info['cpu']})",
        f"Python {info['python']}",
        f"SQLite {info['sqlite']}",
        f"SQLAlchemy {info['sqlalchemy']}",
        f"timeline {info['timeline']}",
        f"scratch on {info['scratch_fs']}",
    ]
    if "postgresql" in info:
        parts.insert(4, f"PostgreSQL {info['postgresql']}")
    return "machine: " + ", ".join(parts)


def write_json(
    path: Path,
    *,
    date: dt.datetime,
    info: dict[str, Any],
    args: dict[str, Any],
    rows: list[Row],
) -> None:
    """Write the run (when it started, where, with what arguments) and its rows as JSON."""
    document = {
        "date": date.isoformat(timespec="seconds"),
        "machine": info,
        "args": args,
        "rows": [asdict(row) for row in rows],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def _filesystem(folder: Path) -> str:
    """Return ``folder`` and the type of file system it is on, where /proc/mounts says."""
    try:
        mounts = [line.split() for line in Path("/proc/mounts").read_text().splitlines()]
    except OSError:
        return str(folder)
    resolved = str(folder.resolve())
    best = max(
        (m for m in mounts if len(m) > 2 and _is_under(resolved, m[1])),
        key=lambda m: len(m[1]),
        default=None,
    )
    return str(folder) if best is None else f"{folder} ({best[2]})"


def _is_under(path: str, mount: str) -> bool:
    return mount == "/" or path == mount or path.startswith(mount.rstrip("/") + "/")


def _git_describe() -> str:
    """Return `` (git <commit>[+dirty])`` for a checkout, else an empty string."""
    root = Path(__file__).resolve().parent.parent
    try:
        commit = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(root), "status", "--porcelain", "--", "timeline"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""
    return f" (git {commit}{'+dirty' if dirty else ''})" if commit else ""


def iter_workloads(only: Iterable[str] | None) -> Iterator[tuple[str, Workload]]:
    """Yield the registered workloads, or only those named (an unknown name is an error)."""
    if only is None:
        yield from WORKLOADS
        return
    known = dict(WORKLOADS)
    for name in only:
        if name not in known:
            raise KeyError(name)
        yield name, known[name]
