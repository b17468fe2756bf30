"""The chart and the TimelineJS export from the command line, and the demo's chart."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

from click.testing import CliRunner

import timeline
from timeline.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "syria-2017-06.jsonl"
TEMPLATES = ROOT / "examples" / "syria-2017-06.templates.json"
SEQUENCE = (
    "--step",
    "shootdown:actor",
    "--step",
    "cooperation_suspended:targets",
    "--step",
    "aircraft_repositioned:actor",
    "--within",
    "3d",
)


def run(*args: str, code: int = 0) -> str:
    """Run ``timeline ARGS`` and return its output, checking the exit code."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert code == result.exit_code, result.output
    return result.output


def picture(path: Path) -> ET.Element:
    """The <svg> element of a chart file."""
    found = re.search(r"<svg\b.*</svg>", path.read_text(encoding="utf-8"), re.S)
    assert found
    return ET.fromstring(found.group(0))


def of_class(root: ET.Element, name: str) -> list[ET.Element]:
    """Every element of class ``name``."""
    return [e for e in root.iter() if e.get("class") == name]


def test_chart_command_draws_lanes_bands_and_the_sequence(db_url: str, tmp_path: Path) -> None:
    """chart -o FILE.html with --actor, a time range, --band and the sequence's steps
    writes a page whose lanes, events, band and match are the ones asked for."""
    run("--db", db_url, "import", str(SEED))
    out = tmp_path / "seed.html"
    said = run(
        "--db", db_url, "--templates", str(TEMPLATES), "chart", "-o", str(out),
        "--actor", "US", "--actor", "Russia", "--actor", "Syria",
        "--since", "2017-06-17", "--until", "2017-06-20", "--band", "cooperation.US",
        *SEQUENCE,
    )  # fmt: skip
    assert f"wrote the chart to {out}, 1 sequence match; open it in a browser\n" == said
    root = picture(out)
    assert ["US", "Russia", "Syria"] == [g.get("data-lane") for g in of_class(root, "lane")]
    with timeline.open(db_url) as tl:
        expected = {
            str(e.id)
            for e in tl.events(since="2017-06-17", until="2017-06-20")
            if {e.actor, *e.targets} & {"US", "Russia", "Syria"}
        }
    assert expected == {g.get("data-event-id") for g in of_class(root, "event")}
    assert ["Russia"] == [b.get("data-actor") for b in of_class(root, "band")]
    assert ["false"] == [m.get("data-order-certain") for m in of_class(root, "match")]


def test_chart_command_svg_and_refusals(sqlite_url: str, tmp_path: Path) -> None:
    """A .svg name gets an SVG file; a missing -o, another suffix, and sequence options
    without --step are refused in one line."""
    run("--db", sqlite_url, "record", "truce", "Syria", "2017-06-17", "--incident", "s")
    run("--db", sqlite_url, "chart", "-o", str(tmp_path / "c.svg"))
    assert (tmp_path / "c.svg").read_text(encoding="utf-8").startswith("<svg")
    assert "Missing option '-o' / '--output'" in run("--db", sqlite_url, "chart", code=2)
    refused = run("--db", sqlite_url, "chart", "-o", str(tmp_path / "c.png"), code=1)
    assert refused.endswith("a chart is written to .html or .svg\n")
    assert 1 == len(refused.splitlines())
    assert "need at least one --step" in run(
        "--db", sqlite_url, "chart", "-o", str(tmp_path / "c.html"), "--within", "3d", code=2
    )


def test_export_timelinejs(db_url: str, tmp_path: Path) -> None:
    """export --format timelinejs writes TimelineJS 3 JSON: one slide per event as it now
    stands, in time order, grouped by actor, each date given to its precision only."""
    run("--db", db_url, "import", str(SEED))
    with timeline.open(db_url) as tl:
        moved = tl.correct("01900000-0000-7000-8000-000000000014", occurred_at="2017-06-20")
        tl.retract("01900000-0000-7000-8000-000000000013", "not in this incident")
    out = tmp_path / "timeline.json"
    said = run("--db", db_url, "export", "--format", "timelinejs", "-o", str(out))
    assert f"exported 16 events to {out}\n" == said
    slides = json.loads(out.read_text(encoding="utf-8"))["events"]
    ids = [s["unique_id"] for s in slides]
    assert "01900000-0000-7000-8000-000000000013" not in ids  # retracted
    assert 16 == len(set(ids))
    by_id = {s["unique_id"]: s for s in slides}
    assert {"year": 2017, "month": 6} == by_id["01900000-0000-7000-8000-000000000002"][
        "start_date"
    ]  # month precision
    assert {"year": 2017, "month": 6, "day": 18, "hour": 15, "minute": 43} == by_id[
        "01900000-0000-7000-8000-000000000006"
    ]["start_date"]  # 18:43 +03:00 to the minute
    assert {"year": 2017, "month": 6, "day": 20} == by_id[str(moved.corrects)]["start_date"]
    shootdown = by_id["01900000-0000-7000-8000-000000000006"]
    assert "US" == shootdown["group"]
    assert "shootdown by US → Syria" == shootdown["text"]["headline"]
    assert "brought down the jet near Raqqa" in shootdown["text"]["text"]
    assert "2017-06-18 15:43 UTC (to the minute)" == shootdown["display_date"]
    assert "end_date" not in shootdown
    starts = [tuple(s["start_date"].values()) for s in slides]
    assert starts == sorted(starts)


def test_export_timelinejs_escapes_html(sqlite_url: str) -> None:
    """TimelineJS renders headline and text as HTML: markup in a quote or a type's
    targets reaches it escaped."""
    run(
        "--db", sqlite_url, "record", "statement", "US", "2017-06-19", "--incident", "s",
        "--target", "<b>Syria</b>", "--quote", 'he said "<script>x</script>" & left',
    )  # fmt: skip
    slide = json.loads(run("--db", sqlite_url, "export", "--format", "timelinejs"))["events"][0]
    assert "<b>" not in slide["text"]["headline"] and "&lt;b&gt;" in slide["text"]["headline"]
    assert "<script>" not in slide["text"]["text"]
    assert "&lt;script&gt;" in slide["text"]["text"] and "&amp; left" in slide["text"]["text"]


def test_chart_reported_by(db_url: str, tmp_path: Path) -> None:
    """chart --reported-by draws only the claims public by then, and the sequence found on
    the same knowledge: by June 19 the repositioning (reported June 20) is not there."""
    run("--db", db_url, "import", str(SEED))
    options = ("--db", db_url, "--templates", str(TEMPLATES), "chart", "--actor", "US")
    early, late = tmp_path / "early.svg", tmp_path / "late.svg"
    said = run(*options, "-o", str(early), "--reported-by", "2017-06-19", *SEQUENCE)
    assert said.endswith(", 0 sequence matches; open it in a browser\n")
    run(*options, "-o", str(late), *SEQUENCE)
    assert len(of_class(picture(early), "event")) < len(of_class(picture(late), "event"))
    assert "aircraft_repositioned" not in early.read_text(encoding="utf-8")
    assert "aircraft_repositioned" in late.read_text(encoding="utf-8")


def test_demo_writes_its_chart_and_says_where(tmp_path: Path) -> None:
    """The demo draws the seed's chart beside its SQLite file and prints the path."""
    out = tmp_path / "demo.db"
    said = run("demo", "--out", str(out))
    chart = tmp_path / "demo.chart.html"
    assert f"Chart: wrote {chart} (open it in a browser)" in said
    root = picture(chart)
    assert ["US", "Russia", "Syria"] == [g.get("data-lane") for g in of_class(root, "lane")]
    assert 2 == len(of_class(root, "band"))  # Russia's cooperation.US, the US's .Russia
    assert 1 == len(of_class(root, "match"))
