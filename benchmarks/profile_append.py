"""Profile one batch append run on SQLite with pyinstrument: where does the time go?

``python -m benchmarks.profile_append [--events N] [--html PATH]`` (``pip install
pyinstrument`` first). Builds the same events as ``python -m benchmarks`` (outside the
profile), appends them 1,000 per call to a new SQLite file under the profiler, and prints
the call tree and the functions with the most time of their own (self time: time spent in
the function's body or in C code it called directly, not in Python functions it called).
"""

from __future__ import annotations

import argparse
import tempfile
from collections import defaultdict
from pathlib import Path
from typing import Any

import timeline
from benchmarks.data import build_events, event_specs
from benchmarks.workloads import BATCH


def self_times(frame: Any, into: dict[str, float] | None = None) -> dict[str, float]:
    """Return each function's own time (seconds) in pyinstrument's frame tree."""
    totals: dict[str, float] = defaultdict(float) if into is None else into
    if not frame.is_synthetic:  # "[self]" and the like: counted in total_self_time
        where = frame.function
        position = frame.code_position_short() or frame.file_path_short
        if position:
            where += f" ({position})"
        totals[where] += frame.total_self_time
    for child in frame.children:
        self_times(child, totals)
    return totals


def print_profile(
    profiler: Any, *, html: Path | None, top: int, before: str = "", after: str = ""
) -> None:
    """Print the call tree and the ``top`` functions by self time (and write the HTML).

    The heading reads ``{before}self time, top N of T s{after}:``.
    """
    session = profiler.last_session
    assert session is not None
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if html is not None:
        html.write_text(profiler.output_html(), encoding="utf-8")
    root = session.root_frame()
    assert root is not None
    total = root.time
    print(f"{before}self time, top {top} of {total:.2f} s{after}:")
    ranked = sorted(self_times(root).items(), key=lambda item: item[1], reverse=True)
    for where, seconds in ranked[:top]:
        print(f"  {seconds / total:6.1%}  {seconds:6.2f} s  {where}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.profile_append")
    parser.add_argument("--events", type=int, default=50_000, metavar="N")
    parser.add_argument("--seed", type=int, default=2017)
    parser.add_argument("--top", type=int, default=10, help="how many functions to list")
    parser.add_argument("--html", type=Path, default=None, help="also write pyinstrument's HTML")
    args = parser.parse_args(argv)
    try:
        from pyinstrument import Profiler
    except ImportError:
        parser.error("needs pyinstrument: pip install pyinstrument")

    events = build_events(event_specs(args.events, seed=args.seed))
    batches = [events[i : i + BATCH] for i in range(0, len(events), BATCH)]
    with tempfile.TemporaryDirectory(prefix="timeline-profile-") as scratch:
        tl = timeline.open(f"sqlite:///{Path(scratch) / 'profile.db'}")
        profiler = Profiler(interval=0.0005)
        try:
            with profiler:
                for batch in batches:
                    tl.append(batch)
        finally:
            tl.close()

    print_profile(profiler, html=args.html, top=args.top, after=f" ({len(events):,} events)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
