"""``python -m benchmarks``: run the registered workloads, print the table, write JSON.

Progress goes to stderr; the machine line and the results table to stdout.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import signal
import sys
import tempfile
from pathlib import Path

# isort: off
# Importing registers the workloads; they run in this order (append, sequence, state,
# import, paging).
import benchmarks.workloads
import benchmarks.sequence
import benchmarks.state
import benchmarks.imports
import benchmarks.paging  # noqa: F401

# isort: on
from benchmarks.backends import Postgres
from benchmarks.goals import format_goals
from benchmarks.harness import (
    WORKLOADS,
    Context,
    Row,
    format_table,
    iter_workloads,
    machine,
    machine_line,
    write_json,
)

POSTGRES_ENV = "TIMELINE_BENCH_POSTGRES_URL"
DEFAULT_JSON = Path(__file__).resolve().parent / "results.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    names = ", ".join(name for name, _ in WORKLOADS)
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=f"Benchmark timeline against raw-driver baselines (workloads: {names}).",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument(
        "--events",
        type=int,
        default=None,
        metavar="N",
        help=(
            "events of the append, sequence, import and paging workloads (default: append "
            "50,000, sequence and import 200,000, paging 100,000; the state workload has a "
            "fixed shape)"
        ),
    )
    size.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run: a few thousand events per workload",
    )
    size.add_argument(
        "--full",
        action="store_true",
        help=(
            "issue 7's sizes: 1,000,000 events in append, sequence (PostgreSQL too) and "
            "import (about 25 minutes with --no-memory and PostgreSQL)"
        ),
    )
    parser.add_argument(
        "--postgres",
        metavar="URL",
        default=os.environ.get(POSTGRES_ENV) or None,
        help=(
            "also run on PostgreSQL: a server URL to create (and drop) a scratch database "
            f"from, e.g. postgresql://postgres@127.0.0.1/test (default ${POSTGRES_ENV})"
        ),
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=DEFAULT_JSON,
        metavar="PATH",
        help="where to write the rows as JSON (default benchmarks/results.json)",
    )
    parser.add_argument(
        "--workload",
        action="append",
        metavar="NAME",
        help=f"run only this workload (repeatable; one of: {names})",
    )
    parser.add_argument(
        "--postgres-events",
        type=int,
        default=None,
        metavar="N",
        help=(
            "events of each PostgreSQL dataset of the sequence workload (default: as on "
            "SQLite, at most 300,000 unless --full)"
        ),
    )
    parser.add_argument("--seed", type=int, default=2017, help="seed of the synthetic events")
    parser.add_argument(
        "--tmpdir",
        type=Path,
        default=None,
        metavar="DIR",
        help="where the SQLite files go (default: the system's temporary folder)",
    )
    parser.add_argument(
        "--no-memory",
        dest="memory",
        action="store_false",
        help="skip the tracemalloc pass of each measurement (about two thirds of the run time)",
    )
    args = parser.parse_args(argv)
    if args.events is not None and args.events < 1:
        parser.error("--events must be at least 1")
    if args.postgres_events is not None and args.postgres_events < 1:
        parser.error("--postgres-events must be at least 1")
    if args.workload:
        unknown = [w for w in args.workload if w not in dict(WORKLOADS)]
        if unknown:
            parser.error(f"unknown workload {unknown[0]!r}; choose from {names}")
    return args


def _terminate(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # so that SIGTERM, too, drops the scratch database


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _terminate)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    postgres = Postgres(args.postgres) if args.postgres else None
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="timeline-bench-", dir=args.tmpdir) as scratch:
        try:
            version = None
            if postgres is not None:
                version = postgres.create()
                log(f"postgresql: scratch database {postgres.name} on {postgres.shown}")
            info = machine(Path(scratch).parent, version)
            print(machine_line(info))
            started = dt.datetime.now(dt.UTC)
            print(f"date: {started:%Y-%m-%d %H:%M} UTC", flush=True)
            ctx = Context(
                events=args.events,
                quick=args.quick,
                full=args.full,
                postgres_events=args.postgres_events,
                seed=args.seed,
                tmpdir=Path(scratch),
                trace_memory=args.memory,
                postgres=postgres,
                log=log,
            )
            for _, run in iter_workloads(args.workload):
                rows.extend(run(ctx))
        finally:
            if postgres is not None:
                postgres.drop()

    print()
    print(format_table(rows))
    print()
    print(format_goals(rows))
    if args.memory:
        print(
            "\npeak MB: Python-heap peak (tracemalloc) of the measured section alone; "
            "import rows: the peak resident set of the whole process."
        )
    write_json(
        args.json,
        date=started,
        info=info,
        args={
            "events": args.events,
            "quick": args.quick,
            "full": args.full,
            "postgres_events": args.postgres_events,
            "seed": args.seed,
            "postgres": None if postgres is None else postgres.shown,
            "memory": args.memory,
            "workloads": args.workload or [name for name, _ in WORKLOADS],
        },
        rows=rows,
    )
    log(f"rows written to {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
