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
    rows = json.loads(out.read_text())
    assert {"append", "sequence", "state", "import"} <= {
        r["workload"] for r in (rows["rows"] if isinstance(rows, dict) else rows)
    }
