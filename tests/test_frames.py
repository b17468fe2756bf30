"""DataFrames, Parquet and notebooks: answers as tables, pandas and pyarrow optional."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

import timeline
from timeline import Step
from timeline.cli import main
from timeline.frames import EVENT_COLUMNS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEED = EXAMPLES / "syria-2017-06.jsonl"
TEMPLATES = {
    "cooperation_established": {"{actor}": {"cooperation.{target}": "active"}},
    "cooperation_suspended": {"{actor}": {"cooperation.{target}": "suspended"}},
    "aircraft_repositioned": {"{actor}": {"aircraft": "repositioned"}},
}
STEPS = [
    Step("shootdown", key="actor"),
    Step("cooperation_suspended", key="targets"),
    Step("aircraft_repositioned", key="actor"),
]


@pytest.fixture
def seeded(tl: timeline.Timeline) -> timeline.Timeline:
    """The seed example with a few templates."""
    tl.import_file(SEED)
    for type_name, template in TEMPLATES.items():
        tl.define(type_name, template)
    return tl


def test_events_as_a_dataframe(seeded: timeline.Timeline) -> None:
    """events(...).to_pandas(): one row per event, the event's and the store's fields,
    times as UTC datetimes."""
    frame = seeded.events(actor="Syria").to_pandas()
    assert list(EVENT_COLUMNS) == list(frame.columns)
    assert [e.position for e in seeded.events(actor="Syria")] == frame["position"].tolist()
    assert "UTC" == str(frame["occurred_at"].dt.tz)
    shootdown = frame[frame["type"] == "shootdown"].iloc[0]
    assert (["Syria"], "Su-22") == (list(shootdown["targets"]), shootdown["data"]["aircraft"])
    assert pd.Timestamp("2017-06-18 15:43", tz="UTC") == shootdown["occurred_at"]


def test_states_history_and_matches_as_dataframes(seeded: timeline.Timeline) -> None:
    """states() is actors by attributes; history() one row per change; a report one row
    per match and step; the names one row each."""
    states = seeded.states(at="2017-06-20").to_pandas()
    assert "suspended" == states.loc["Russia", "cooperation.US"]
    assert "repositioned" == states.loc["US", "aircraft"]
    assert pd.isna(states.loc["Syria", "aircraft"])
    history = seeded.history("Russia", "cooperation").to_pandas()
    assert pd.isna(history["old"].iloc[0])  # absent before
    assert ["active", "suspended"] == history["new"].tolist()
    assert "active" == history["old"].iloc[1]
    assert ["cooperation_established", "cooperation_suspended"] == history["event_type"].tolist()
    matches = seeded.sequence(STEPS, within="3d").to_pandas()
    assert [1, 2, 3] == matches["step"].tolist()
    assert {"US"} == set(matches["key"])
    assert [False] * 3 == matches["order_certain"].tolist()
    assert 17 == seeded.incidents().to_pandas()["events"].sum()


def test_an_empty_answer_has_the_same_column_types_as_any_other(
    seeded: timeline.Timeline,
) -> None:
    """A frame of no rows keeps its times as UTC datetimes and its counts as integers,
    so code such as ``frame["occurred_at"].dt.date`` works whether or not anything
    matched (an empty frame's columns were all ``object``, and ``.dt`` raised)."""
    nothing = {"incident": "no-such-incident"}
    pairs = [
        (seeded.events(**nothing).to_pandas(), seeded.events().to_pandas()),
        (
            seeded.history("Russia", since="2030-01-01").to_pandas(),
            seeded.history("Russia").to_pandas(),
        ),
        (
            seeded.sequence(STEPS, until=Step("shootdown"), within="1s").to_pandas(),
            seeded.sequence(STEPS).to_pandas(),
        ),
        (
            seeded.as_of(seeded.as_of(reported_by="1990").basis).actors().to_pandas(),
            seeded.actors().to_pandas(),
        ),
    ]
    typed = ["occurred_at", "reported_at", "recorded_at", "version", "position", "when"]
    typed += ["match", "step", "placed_at", "gap_seconds", "span_seconds", "order_certain"]
    typed += ["events", "first", "last"]
    for empty, full in pairs:
        assert 0 == len(empty) < len(full)
        columns = [c for c in full.columns if c in typed]
        assert full.dtypes[columns].to_dict() == empty.dtypes[columns].to_dict()
    assert [] == pairs[0][0]["occurred_at"].dt.date.tolist()


def test_the_library_imports_without_pandas_or_pyarrow(tmp_path: Path) -> None:
    """Without pandas and pyarrow, timeline imports (and does not import them); asking
    for a DataFrame or a Parquet export names the extra to install."""
    script = (
        "import sys\n"
        "sys.modules['pandas'] = sys.modules['pyarrow'] = None\n"
        "import timeline\n"
        "tl = timeline.open('sqlite://')\n"
        "tl.record('truce', 'Syria', '2017-06-17', incident='s')\n"
        "for ask in (lambda: tl.events().to_pandas(), lambda: tl.export('x.parquet')):\n"
        "    try:\n"
        "        ask()\n"
        "    except timeline.MissingExtraError as e:\n"
        "        print(e)\n"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert [
        "to_pandas() needs pandas, which is not installed: pip install 'incident-timeline[pandas]'",
        "Parquet export needs pyarrow, which is not installed: "
        "pip install 'incident-timeline[parquet]'",
    ] == found.stdout.splitlines()
    clean = "import sys, timeline; print(sorted({'pandas', 'pyarrow'} & set(sys.modules)))"
    imported = subprocess.run([sys.executable, "-c", clean], capture_output=True, text=True)
    assert "[]\n" == imported.stdout


def test_parquet_export(seeded: timeline.Timeline, tmp_path: Path) -> None:
    """export to .parquet writes every stored event with the store's fields, typed; the
    command does the same, and refuses to write Parquet to a terminal."""
    path = tmp_path / "events.parquet"
    assert 17 == seeded.export(path)
    table = pq.read_table(path)
    assert list(EVENT_COLUMNS) == table.column_names
    assert "timestamp[us, tz=UTC]" == str(table.schema.field("occurred_at").type)
    assert "list<element: string>" == str(table.schema.field("targets").type)
    frame = table.to_pandas()
    assert [e.hash for e in seeded.events()] == frame["hash"].tolist()
    out = tmp_path / "cli.parquet"
    result = CliRunner().invoke(main, ["--db", seeded.url, "export", "-o", str(out)])
    assert 0 == result.exit_code, result.output
    assert 17 == pq.read_table(out).num_rows
    refused = CliRunner().invoke(main, ["--db", seeded.url, "export", "--format", "parquet"])
    assert 2 == refused.exit_code


def test_notebooks_show_states_reports_and_charts(seeded: timeline.Timeline) -> None:
    """State, SequenceReport and charts have _repr_html_: a table, a report, the picture
    inline as SVG (from an HTML page too)."""
    state = seeded.state("Russia", at="2017-06-19 12:00Z")._repr_html_()
    assert "<td>cooperation.US</td><td>suspended</td><td>?</td>" in state
    assert "<b>Russia</b>" in state
    report = seeded.sequence(STEPS, within="3d")._repr_html_()
    assert "<td>US</td>" in report and "matches:</b> 1" in report
    for kind in ("html", "svg"):
        picture = seeded.chart(actors=["US", "Russia"], format=kind)
        assert kind == picture.kind
        inline = picture._repr_html_()
        assert inline.startswith("<svg") and inline.endswith("</svg>")
        assert 'class="timeline-chart"' in inline
