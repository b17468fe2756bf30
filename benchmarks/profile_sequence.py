"""Profile one sequence report on SQLite with pyinstrument: where does the time go?

``python -m benchmarks.profile_sequence [--events N] [--keys K] [--analyze] [--db PATH]
[--html PATH]`` (``pip install pyinstrument`` first). Builds and loads the sequence
workload's events (outside the profile), then runs the workload's 3-step report under
the profiler and prints the call tree and the functions with the most self time.
``--analyze`` runs SQLite's ``ANALYZE`` first (the library never does). ``--db PATH``
keeps the loaded database there and reuses it on the next run with the same arguments
(a million events take a few minutes to build and load).
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path

import timeline
from benchmarks.profile_append import print_profile
from benchmarks.sequence import DEFAULT_EVENTS, STEPS, WITHIN, sequence_specs
from timeline import Event


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_sequence")
    parser.add_argument("--events", type=int, default=DEFAULT_EVENTS, metavar="N")
    parser.add_argument("--keys", type=int, default=1_000, help="key cardinality (100 or 1000)")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE before the query")
    parser.add_argument("--db", type=Path, default=None, help="keep (and reuse) the SQLite file")
    parser.add_argument("--top", type=int, default=12, help="how many functions to list")
    parser.add_argument("--html", type=Path, default=None, help="also write pyinstrument's HTML")
    args = parser.parse_args(argv)
    try:
        from pyinstrument import Profiler
    except ImportError:
        parser.error("needs pyinstrument: pip install pyinstrument")

    with tempfile.TemporaryDirectory(prefix="timeline-profile-") as scratch:
        path = args.db or Path(scratch) / "sequence.db"
        tl = timeline.open(f"sqlite:///{path}")
        try:
            stored, _ = tl.head()
            if stored == 0:
                print(f"loading {args.events:,} events ({args.keys:,} keys) into {path} ...")
                specs = sequence_specs(args.events, keys=args.keys, seed=args.seed)
                tl.load(Event(**spec) for spec in specs)
            elif stored != args.events:
                parser.error(f"{path} holds {stored:,} events, not {args.events:,}")
            if args.analyze:
                with closing(sqlite3.connect(path)) as conn:
                    conn.execute("ANALYZE")
            else:
                with closing(sqlite3.connect(path)) as conn:
                    conn.execute("DROP TABLE IF EXISTS sqlite_stat1")
            tl.close()
            tl = timeline.open(f"sqlite:///{path}")  # so the planner sees the statistics
            profiler = Profiler(interval=0.001)
            with profiler:
                report = tl.sequence(STEPS, within=WITHIN)
        finally:
            tl.close()

    analyze = "on" if args.analyze else "off"
    print_profile(
        profiler,
        html=args.html,
        top=args.top,
        before=f"{len(report.matches):,} matches; ",
        after=f" ({args.events:,} events, {args.keys:,} keys, ANALYZE {analyze})",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
