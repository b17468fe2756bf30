"""Files from Python: Timeline.import_file and Timeline.export, the code the CLI runs."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import timeline
from timeline.cli import main

from helpers import stored_count

SEED = Path(__file__).resolve().parent.parent / "examples" / "syria-2017-06.jsonl"


def test_import_file_stores_the_seed_once(tl: timeline.Timeline) -> None:
    """import_file stores every event of the seed in one go; again, it stores none."""
    assert timeline.ImportResult(events=17, stored=17) == tl.import_file(SEED)
    assert timeline.ImportResult(events=17, stored=0) == tl.import_file(SEED)
    assert 17 == tl.head()[0]


def test_import_file_reports_progress(tmp_path: Path) -> None:
    """on_progress gets (events read, events in the file) after each chunk."""
    seen: list[tuple[int, int]] = []
    with timeline.open(f"sqlite:///{tmp_path / 'p.db'}") as tl:
        tl.import_file(SEED, on_progress=lambda done, total: seen.append((done, total)),
                       chunk_size=5)  # fmt: skip
    assert [(5, 17), (10, 17), (15, 17), (17, 17)] == seen


def test_a_refused_file_lists_its_problems_and_stores_nothing(db_url: str, tmp_path: Path) -> None:
    """A file with wrong lines raises InvalidFileError listing each by line; nothing is
    stored, not even the good lines before them."""
    path = tmp_path / "reports.csv"
    path.write_text(
        "type,actor,occurred_at,incident\n"
        "statement,Iran,2017-06-18,s\n"
        "statement,,2017-06-19,s\n"
        "statement,Iran,June 19,s\n",
        encoding="utf-8",
    )
    with timeline.open(db_url) as tl, pytest.raises(timeline.InvalidFileError) as refused:
        tl.import_file(path)
    assert [3, 4] == [number for number, _ in refused.value.problems]
    assert "actor: is required" == str(refused.value.problems[0][1])
    assert str(refused.value).startswith(f"{path}: 2 problems; nothing was stored (line 3: ")
    assert 0 == stored_count(db_url)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    """A file that cannot be read is an InvalidEventError naming the path, not an OSError."""
    with (
        timeline.open("sqlite://") as tl,
        pytest.raises(timeline.InvalidEventError, match=r"path: cannot read .*nowhere\.jsonl"),
    ):
        tl.import_file(tmp_path / "nowhere.jsonl")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_then_import_file_gives_the_same_events(
    tl: timeline.Timeline, tmp_path: Path, fmt: str
) -> None:
    """export writes what import_file reads back: the same events, ids and order."""
    tl.import_file(SEED)
    path = tmp_path / f"out.{fmt}"
    assert 17 == tl.export(path)
    assert not path.with_name(path.name + ".part").exists()
    with timeline.open(f"sqlite:///{tmp_path / 'copy.db'}") as copy:
        assert 17 == copy.import_file(path).stored
        assert [e.content() for e in tl.events()] == [e.content() for e in copy.events()]


def test_export_to_an_open_file_in_each_format(tl: timeline.Timeline) -> None:
    """export writes to an open text file too; the format is given, else JSON Lines."""
    tl.import_file(SEED)
    out = io.StringIO()
    assert 17 == tl.export(out, incident="syria-2017-06", format="csv")
    assert 0 == tl.export(io.StringIO(), incident="elsewhere")
    assert out.getvalue().startswith("id,incident,type,actor")
    lines = io.StringIO()
    tl.export(lines)
    assert 17 == len([json.loads(line) for line in lines.getvalue().splitlines()])
    slides = io.StringIO()
    tl.export(slides, format="timelinejs", incident="syria-2017-06")
    assert "syria-2017-06" == json.loads(slides.getvalue())["title"]["text"]["headline"]
    with pytest.raises(timeline.InvalidEventError, match="format: must be one of"):
        tl.export(io.StringIO(), format="xml")


def test_the_command_line_runs_the_same_code(tmp_path: Path) -> None:
    """timeline import and export give what import_file and export give."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    result = CliRunner().invoke(main, ["--db", url, "import", str(SEED)])
    assert 0 == result.exit_code, result.output
    assert f"stored 17 events from {SEED} (0 already stored)\n" == result.output
    out = tmp_path / "cli.csv"
    assert 0 == CliRunner().invoke(main, ["--db", url, "export", "-o", str(out)]).exit_code
    with timeline.open(url) as tl:
        expected = io.StringIO(newline="")
        tl.export(expected, format="csv")
    assert expected.getvalue() == out.read_text(encoding="utf-8")
