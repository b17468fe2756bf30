"""The benchmarks run: `python -m benchmarks --quick` as a smoke test (no thresholds)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_quick_benchmarks_run(tmp_path: Path) -> None:
    """Every workload runs at its tiny size and writes its rows; timings are not judged."""
    if not (ROOT / "benchmarks" / "__main__.py").is_file():
        pytest.fail("benchmarks/ is missing beside the tests")
    out = tmp_path / "results.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks",
            "--quick",
            "--no-memory",
            "--json",
            str(out),
            "--tmpdir",
            str(tmp_path),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "TIMELINE_BENCH_POSTGRES_URL"},
    )
    assert 0 == result.returncode, result.stderr[-2000:]
    assert "events/s" in result.stdout
    assert "issue 15 goal" in result.stdout  # the goals table follows the rows
    rows = json.loads(out.read_text())
    assert {"append", "sequence", "state", "import"} <= {
        r["workload"] for r in (rows["rows"] if isinstance(rows, dict) else rows)
    }


def test_the_goals_table_compares_ours_with_the_peer_on_each_backend() -> None:
    """Each goal of a workload run gets a line per backend: ours, the peer's, the ratio
    (ours ahead above 1, for rates and times alike) and met or missed; a row the run
    did not make is named as missing, not shown as a number."""
    sys.path.insert(0, str(ROOT))
    try:
        from benchmarks import goals, imports, workloads
        from benchmarks.harness import Row
    finally:
        sys.path.remove(str(ROOT))

    def row(workload: str, backend: str, what: str, events_per_s: float, seconds: float) -> Row:
        return Row(workload, backend, what, 1_000, seconds, events_per_s, None, None)

    rows = [
        row("append", "sqlite", workloads.OURS_BATCH, 500.0, 2.0),
        row("append", "sqlite", workloads.ES_BATCH, 1_000.0, 1.0),
        row("import", "postgresql", imports.OURS, 10.0, 100.0),
        row("import", "postgresql", imports.NEW, 8.0, 125.0),
    ]
    lines = {(line[0], line[1]): line[2:] for line in goals.goal_lines(rows)}
    assert ("500/s", "1,000/s", "0.50x", ">= 1x", "missed") == lines[
        ("batch append >= 1.0x eventsourcing", "sqlite")
    ]
    assert ("125.0 s", "100.0 s", "0.80x", ">= 0.5x", "met") == lines[
        ("import into a new database <= 2x the warmed one", "postgresql")
    ]
    missing = lines[("batch append >= 1.0x eventsourcing", "postgresql")]
    assert "not measured: no row of ours in this run" == missing[-1]
    # a peer that is not installed leaves a row that measured nothing: named, not divided
    skipped = Row("append", "sqlite", workloads.ES_SINGLE, 0, 0.0, 0.0, None, None, note="no")
    [line] = [
        line
        for line in goals.goal_lines(
            [row("append", "sqlite", workloads.OURS_SINGLE, 9.0, 1.0), skipped]
        )
        if line[:2] == ("single append >= 1.0x eventsourcing", "sqlite")
    ]
    assert "not measured: the peer's row measured nothing (no)" == line[-1]
    # on PostgreSQL the raw driver is also measured into the library's own schema, whose
    # checks it pays: that line compares ours with it, beside the one without them
    checked = [
        row("append", "postgresql", workloads.OURS_BATCH, 850.0, 1.0),
        row("append", "postgresql", workloads.PG_COPY, 2_000.0, 1.0),
        row("append", "postgresql", workloads.PG_COPY_CHECKED, 1_000.0, 1.0),
    ]
    by_name = {line[0]: line[2:] for line in goals.goal_lines(checked)}
    assert ("850/s", "2,000/s", "0.42x", ">= 0.8x", "missed") == by_name[
        "batch append within 1.25x of the raw driver (psycopg COPY)"
    ]
    assert ("850/s", "1,000/s", "0.85x", ">= 0.8x", "met") == by_name[
        "batch append within 1.25x of the raw driver into the library's schema (COPY)"
    ]
    assert not any(name.startswith("sequence") for name, _ in lines)  # not run
