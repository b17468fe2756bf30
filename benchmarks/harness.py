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
from collections.abc import Callable, Iterable, Iterator
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


@dataclass(frozen=True)
class Measurement:
    """What :func:`measure` found: the wall time and the Python-heap peak (MB)."""

    events: int
    seconds: float
    peak_mb: float | None

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
    ) -> Row:
        """Return this measurement as a table row, compared with ``ours`` when given."""
        ratio = None if ours is None else self.events_per_s / ours.events_per_s
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
        )


@dataclass
class Context:
    """What a workload gets: the sizes asked for, a scratch folder, the backends."""

    events: int
    seed: int
    tmpdir: Path
    trace_memory: bool = True
    postgres: Postgres | None = None
    log: Callable[[str], None] = print
    _serial: int = field(default=0, repr=False)

    def scratch_file(self, stem: str) -> Path:
        """Return a new, unused file path in the scratch folder."""
        self._serial += 1
        return self.tmpdir / f"{self._serial:02d}-{stem}.db"


Section = Callable[[], object]
"""The measured code: called once per pass, after its setup, inside the timing."""

Setup = Callable[[], AbstractContextManager[Section]]
"""Makes a fresh start (a new database, say) and yields the section to run on it."""


def measure(ctx: Context, label: str, events: int, setup: Setup) -> Measurement:
    """Time ``setup``'s section on a fresh start, then (if asked) trace its memory on another.

    Only the section is measured: whatever ``setup`` does before yielding it, and after,
    is not. The peak is tracemalloc's: new Python-heap allocations made during the section
    (memory that C libraries allocate themselves, such as SQLite's page cache, is not seen).
    """
    ctx.log(f"  {label}: {events:,} events ...")
    with setup() as section:
        gc.collect()
        start = time.perf_counter()
        section()
        seconds = time.perf_counter() - start
    peak_mb = None
    if ctx.trace_memory:
        traced_from = time.perf_counter()
        with setup() as section:
            gc.collect()
            tracemalloc.start()
            try:
                section()
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
        peak_mb = peak / 1e6
        ctx.log(f"    (tracemalloc pass: {time.perf_counter() - traced_from:.1f} s)")
    found = Measurement(events=events, seconds=seconds, peak_mb=peak_mb)
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


def _cells(row: Row) -> tuple[str, ...]:
    return (
        row.workload,
        row.backend,
        row.what,
        f"{row.events:,}",
        f"{row.seconds:.3f}",
        f"{row.events_per_s:,.0f}",
        "" if row.ratio is None else f"{row.ratio:.2f}",
        "" if row.peak_mb is None else f"{row.peak_mb:.2f}",
    )


def format_table(rows: Iterable[Row]) -> str:
    """Return the rows as an aligned text table (text left, numbers right)."""
    lines = [COLUMNS, *(_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(COLUMNS))]
    numeric = [False, False, False, True, True, True, True, True]

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
