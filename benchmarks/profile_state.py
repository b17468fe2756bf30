"""Profile the state workload's questions on SQLite with pyinstrument: where does the time go?

``python -m benchmarks.profile_state [--snapshots N|off] [--db PATH] [--html PATH]``
(``pip install pyinstrument`` first). Builds and loads the state workload's events (one
actor's 10,000 among 100,000; outside the profile), clears the snapshots, asks
``state(actor)`` once to store them (outside the profile), then profiles the workload's 200
``state(actor, at=T)`` questions and prints the call tree, the functions with the most
self time, and the questions' median time without the profiler. ``--db PATH`` keeps the
loaded database and reuses it on the next run.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import timeline
from benchmarks.profile_append import print_profile
from benchmarks.state import ACTOR_EVENTS, HOT, MOMENTS, TOTAL_EVENTS, moments, state_specs
from timeline import Event
from timeline.api import DEFAULT_SNAPSHOT_INTERVAL


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_state")
    parser.add_argument(
        "--snapshots",
        default=str(DEFAULT_SNAPSHOT_INTERVAL),
        metavar="N|off",
        help=f"snapshot interval (default {DEFAULT_SNAPSHOT_INTERVAL}; off: none)",
    )
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--db", type=Path, default=None, help="keep (and reuse) the SQLite file")
    parser.add_argument("--top", type=int, default=12, help="how many functions to list")
    parser.add_argument("--html", type=Path, default=None, help="also write pyinstrument's HTML")
    args = parser.parse_args(argv)
    try:
        from pyinstrument import Profiler
    except ImportError:
        parser.error("needs pyinstrument: pip install pyinstrument")
    interval = None if args.snapshots == "off" else int(args.snapshots)

    with tempfile.TemporaryDirectory(prefix="timeline-profile-") as scratch:
        path = args.db or Path(scratch) / "state.db"
        tl = timeline.open(f"sqlite:///{path}", snapshot_interval=interval)
        try:
            stored, _ = tl.head()
            if stored == 0:
                print(f"loading {TOTAL_EVENTS:,} events ({ACTOR_EVENTS:,} of {HOT}) into {path}")
                tl.load(Event(**s) for s in state_specs(ACTOR_EVENTS, TOTAL_EVENTS, seed=args.seed))
            elif stored != TOTAL_EVENTS:
                parser.error(f"{path} holds {stored:,} events, not {TOTAL_EVENTS:,}")
            tl.clear_snapshots()
            tl.state(HOT)  # stores the snapshots (when on), as the workload's warm-up does
            when = moments(MOMENTS, seed=args.seed)
            laps = []
            for moment in when:  # unprofiled, for the median
                start = time.perf_counter()
                tl.state(HOT, at=moment)
                laps.append(time.perf_counter() - start)
            profiler = Profiler(interval=0.0005)
            with profiler:
                for moment in when:
                    tl.state(HOT, at=moment)
        finally:
            tl.close()

    median_ms = statistics.median(laps) * 1000
    print_profile(
        profiler,
        html=args.html,
        top=args.top,
        before=f"{MOMENTS} questions, snapshots {args.snapshots}: median {median_ms:.2f} ms "
        "unprofiled; ",
        after=" under the profiler",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
