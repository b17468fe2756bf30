"""The workload "import": ``timeline import`` of a JSON Lines file, time and peak memory.

The file has N lines (default 200,000; ``--full`` 1,000,000; ``--quick`` 2,000) of the
sequence workload's events (1,000 actors, 100 incidents, ~150 bytes of ``data``, times
with a UTC offset), as ``timeline export`` writes them. Each measurement runs the
installed command line in its own process, into a new database, exactly as a user would:
``timeline --db URL import FILE``. Its peak memory is the process's peak resident set
(``ru_maxrss`` from ``wait4``): everything, Python, SQLite's page cache and libpq
included, unlike the tracemalloc peaks of the other workloads.

The baseline is the floor of any Python import of the file: a process that reads it and
``json.loads`` every line, keeping nothing.

On PostgreSQL the import runs three times (issue 15): into the run's database emptied
(a new ``public`` schema: the server has served the earlier workloads, "warmed"), into a
database created for it just before ("new"), and into a new database again with the
session's ``plan_cache_mode`` set to ``force_generic_plan`` (through ``PGOPTIONS``): the
plan PostgreSQL itself settles on for a statement prepared and run a few times, made
while the tables were empty, which is how an import into a new database slowed with
every chunk before the library stopped preparing statements.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from benchmarks.harness import Context, Row, workload
from benchmarks.sequence import sequence_specs

DEFAULT_EVENTS = 200_000
QUICK_EVENTS = 2_000

OURS = "ours: timeline import FILE.jsonl (1 pass, 1 transaction)"
NEW = "ours: the same import into a new PostgreSQL database"
GENERIC = "ours: into a new database, generic plans forced (plan_cache_mode)"
FORCE_GENERIC = "-c plan_cache_mode=force_generic_plan"
PARSE = "python: read the file, json.loads each line (the parse floor)"
NOTE = "peak MB: peak resident set of the whole process (ru_maxrss)"

_PARSE_ONLY = """
import json, sys
with open(sys.argv[1], encoding="utf-8") as lines:
    for line in lines:
        json.loads(line)
"""


_PEAK_OF = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL)
if done.returncode:
    sys.exit(done.returncode)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


@workload("import")
def importing(ctx: Context) -> list[Row]:
    """A JSON Lines import through the command line, beside the bare parse of the file."""
    count = ctx.size(DEFAULT_EVENTS, QUICK_EVENTS)
    path = ctx.tmpdir / f"import-{count}.jsonl"
    ctx.log(f"import: writing {count:,} lines to {path} ...")
    size = write_file(path, count, seed=ctx.seed)
    ctx.log(f"  {size / 1e6:,.0f} MB")
    try:
        parse = _run(ctx, PARSE, [sys.executable, "-c", _PARSE_ONLY, str(path)], count)
        rows = []
        for backend, url in _targets(ctx):
            command = [*_cli(), "--db", url, "import", str(path)]
            ours = _run(ctx, f"{backend} {OURS}", command, count)
            rows.append(_row(backend, OURS, count, ours, ours))
            if backend == "sqlite":
                first = ours
            else:
                warmed = ours
        if ctx.postgres is not None:
            for what, options in ((NEW, None), (GENERIC, FORCE_GENERIC)):
                with ctx.postgres.new_database() as url:
                    command = [*_cli(), "--db", url, "import", str(path)]
                    found = _run(ctx, f"postgresql {what}", command, count, pgoptions=options)
                rows.append(_row("postgresql", what, count, found, warmed, compared_to=OURS))
        rows.append(_row("-", PARSE, count, parse, first))
    finally:
        path.unlink(missing_ok=True)
    return rows


def _targets(ctx: Context) -> Iterator[tuple[str, str]]:
    """(backend, URL) of a new, empty database for each backend of the run."""
    yield "sqlite", f"sqlite:///{ctx.scratch_file('import')}"
    if ctx.postgres is not None:
        with ctx.postgres.fresh():
            yield "postgresql", ctx.postgres.url.render_as_string(hide_password=False)


def write_file(path: Path, count: int, *, seed: int) -> int:
    """Write ``count`` events as JSON Lines (ids left to the import); return the bytes."""
    with path.open("w", encoding="utf-8") as out:
        for spec in sequence_specs(count, keys=1_000, seed=seed):
            record = {**spec, "occurred_at": spec["occurred_at"].isoformat()}
            out.write(json.dumps(record, separators=(",", ":")) + "\n")
    return path.stat().st_size


def _cli() -> list[str]:
    """The installed ``timeline`` command beside this Python, else the module's entry point."""
    beside = Path(sys.executable).parent / "timeline"
    if beside.exists():
        return [str(beside)]
    found = shutil.which("timeline")
    if found:
        return [found]
    return [sys.executable, "-c", "from timeline.cli import main; main()"]


def _run(
    ctx: Context, label: str, command: list[str], count: int, *, pgoptions: str | None = None
) -> tuple[float, float]:
    """Run ``command``; return its wall seconds and peak resident MB. Fail on an error.

    ``pgoptions``: libpq's ``PGOPTIONS`` for the command (session settings of its
    PostgreSQL connections).
    """
    env = None if pgoptions is None else {**os.environ, "PGOPTIONS": pgoptions}
    ctx.log(f"  {label}: {count:,} events ...")
    # A small Python process starts the command and reports its peak: a child forked from
    # this (large) process would count this process's pages in its own peak until exec.
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", _PEAK_OF, *command],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} ... failed: {done.stderr}")
    peak_mb = int(done.stdout.split()[-1]) * 1024 / 1e6  # ru_maxrss is in KiB on Linux
    ctx.log(f"    {seconds:.3f} s, {count / seconds:,.0f} events/s, peak RSS {peak_mb:,.0f} MB")
    return seconds, peak_mb


def _row(
    backend: str,
    what: str,
    count: int,
    found: tuple[float, float],
    ours: tuple[float, float],
    *,
    compared_to: str = OURS,
) -> Row:
    """A row of the table; ``ratio`` is this row's events/s ÷ those of ``ours``."""
    seconds, peak_mb = found
    return Row(
        workload="import",
        backend=backend,
        what=what,
        events=count,
        seconds=seconds,
        events_per_s=count / seconds,
        ratio=ours[0] / seconds,
        peak_mb=peak_mb,
        compared_to=compared_to,
        note=NOTE,
    )
