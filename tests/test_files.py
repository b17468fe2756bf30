"""Files from Python: Timeline.import_file and Timeline.export, the code the CLI runs."""

from __future__ import annotations

import datetime as dt
import io
import json
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

import timeline
import timeline.io
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


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_a_correction_of_a_published_claim_exports_as_itself(
    tl: timeline.Timeline, tmp_path: Path, fmt: str
) -> None:
    """A correction that gives no source of its own is reported when recorded, though it
    carries the event's source, whose published_at is the claim's (Timeline.correct);
    it is stored with no reported time. Its export must read back as that correction:
    not reported on the claim's publication day (which moves it into every answer
    reported_by that day), and not refused by the store it came from as an id stored
    "with other content" when the export is imported again."""
    claim = tl.record(
        "strike", "Iran", "2020-01-08", incident="iran-2020", targets=["US"],
        source={"title": "IRNA", "published_at": "2020-01-08"},
        effects={"US": {"bases.hit": 2}},
    )  # fmt: skip
    fix = tl.correct(claim.id, effects={"US": {"bases.hit": 0}})
    assert fix.reported_at is None  # reported when recorded, not on 8 January 2020
    assert {"bases.hit": 2} == dict(tl.state("US", reported_by="2020-01-08"))
    path = tmp_path / f"out.{fmt}"
    assert 2 == tl.export(path)
    assert timeline.ImportResult(events=2, stored=0) == tl.import_file(path)
    with timeline.open(f"sqlite:///{tmp_path / 'copy.db'}") as copy:
        assert 2 == copy.import_file(path).stored
        assert [e.content() for e in tl.events()] == [e.content() for e in copy.events()]
        assert {"bases.hit": 2} == dict(copy.state("US", reported_by="2020-01-08"))


def test_an_explicit_null_or_none_reported_at_is_no_reported_time(
    tl: timeline.Timeline, tmp_path: Path
) -> None:
    """In a file, ``"reported_at": null`` (JSON Lines) or a ``none`` cell in any case
    (CSV) is no reported time, beside a source's published_at; a key left out or an
    empty cell still takes the published_at."""
    base = {"type": "strike", "actor": "Iran", "occurred_at": "2020-01-08",
            "incident": "iran-2020", "source": {"published_at": "2020-01-09"}}  # fmt: skip
    jsonl = tmp_path / "in.jsonl"
    jsonl.write_text(json.dumps(base) + "\n" + json.dumps({**base, "reported_at": None}) + "\n")
    source = '"{""published_at"": ""2020-01-09""}"'
    csv = tmp_path / "in.csv"
    csv.write_text(
        "type,actor,occurred_at,incident,source,reported_at\n"
        + "".join(
            f"strike,Iran,2020-01-08,iran-2020,{source},{cell}\n"
            for cell in ("", "none", "None", " NONE ")
        )
    )
    assert 2 == tl.import_file(jsonl).stored
    assert 4 == tl.import_file(csv).stored
    published = (dt.datetime(2020, 1, 9, tzinfo=dt.UTC), "day")
    unreported = (None, None)
    assert [published, unreported, published, unreported, unreported, unreported] == [
        (e.reported_at, e.reported_precision) for e in tl.events()
    ]
    out = io.StringIO()
    tl.export(out, format="csv")
    rows = out.getvalue().splitlines()[1:]
    assert rows[0].endswith(",2020-01-09T00:00:00.000000Z,day")
    assert rows[1].endswith(",none,")  # written so, since an empty cell takes 9 January


def test_a_reported_precision_beside_a_null_reported_at_is_refused(
    tl: timeline.Timeline, tmp_path: Path
) -> None:
    """``"reported_at": null`` with a ``reported_precision`` is refused by its line, naming
    reported_precision, rather than the precision applied to the source's published_at."""
    path = tmp_path / "in.jsonl"
    path.write_text(
        json.dumps({"type": "strike", "actor": "Iran", "occurred_at": "2020-01-08",
                    "incident": "iran-2020", "source": {"published_at": "2020-01-09"},
                    "reported_at": None, "reported_precision": "day"}) + "\n"
    )  # fmt: skip
    with pytest.raises(timeline.InvalidFileError) as refused:
        tl.import_file(path)
    assert [(1, "reported_precision: is given without reported_at; give both")] == [
        (line, str(problem)) for line, problem in refused.value.problems
    ]
    assert 0 == tl.head()[0]


def test_an_export_imported_elsewhere_says_which_events_count_as_reported_from_now(
    tl: timeline.Timeline, tmp_path: Path
) -> None:
    """An event stored with no reported time (nor a source's published_at) counts as
    reported when recorded; its export says so ("reported_at": null), so imported into
    another store it counts from the import, and what the world knew by a moment between
    the two differs: the import says which lines, instead of leaving it quiet."""
    tl.record("strike", "Iran", "2020-01-08", incident="iran-2020", targets=["US"],
              effects={"Iran": {"strikes": 1}})  # fmt: skip
    tl.record("alert", "US", "2020-01-08", incident="iran-2020",
              effects={"US": {"alert": "high"}}, reported_at="2020-01-08")  # fmt: skip
    bound = max(e.recorded_at for e in tl.events())
    path = tmp_path / "out.jsonl"
    tl.export(path)
    with timeline.open(f"sqlite:///{tmp_path / 'copy.db'}") as copy:
        with pytest.warns(timeline.TimelineWarning) as caught:
            assert 2 == copy.import_file(path).stored
        [warning] = [str(w.message) for w in caught]
        assert warning.startswith(
            f"import: 1 line of {path} (line 1) says no reported time (reported_at null): "
            "such an event counts as reported when this store records it"
        )
        assert "timeline copy" in warning
        # pinned: the answer differs (what the warning is for)
        assert {"strikes": 1} == dict(tl.states(reported_by=bound)["Iran"])
        assert "Iran" not in copy.states(reported_by=bound)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # stored already: nothing to say
            assert 0 == copy.import_file(path).stored
            assert 0 == tl.import_file(path).stored


def test_the_no_reported_time_warning_counts_only_the_lines_this_import_stored(
    tl: timeline.Timeline, tmp_path: Path
) -> None:
    """An export imported back into its own store with one new line says nothing of the
    exported lines that say no reported time: they were stored already, and nothing of
    them counts from now (the warning named them all, as recorded by the import)."""
    tl.record("strike", "Iran", "2020-01-08", incident="iran-2020")
    tl.record("alert", "US", "2020-01-08", incident="iran-2020")
    path = tmp_path / "out.jsonl"
    tl.export(path)
    with path.open("a") as f:
        line = {"id": "01900000-0000-7000-8000-000000000099", "type": "alert",
                "actor": "US", "occurred_at": "2020-01-09", "incident": "iran-2020",
                "reported_at": "2020-01-09"}  # fmt: skip
        f.write(json.dumps(line) + "\n")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert 1 == tl.import_file(path).stored
    with path.open("a") as f:
        f.write(json.dumps({**line, "id": None, "reported_at": None}) + "\n")
    with pytest.warns(timeline.TimelineWarning) as caught:
        assert 1 == tl.import_file(path).stored
    said = [str(w.message) for w in caught if "no reported time" in str(w.message)]
    assert [f"import: 1 line of {path} (line 4) says no reported time"] == [
        m.split(" (reported_at")[0] for m in said
    ]


def test_an_import_that_stored_every_line_or_none_reads_none_back(
    tl: timeline.Timeline, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Which lines without a reported time an import stored is read back from the store
    only when it stored some lines of the file but not all (an import of 100,000 such
    new lines read every one back, a sixth of its time, to count what it knew)."""
    for day in (8, 9):
        tl.record("strike", "Iran", f"2020-01-{day:02d}", incident="iran-2020")
    path = tmp_path / "out.jsonl"
    tl.export(path)
    reads = []
    with timeline.open(f"sqlite:///{tmp_path / 'copy.db'}") as copy:
        get_many = copy._store.get_many
        monkeypatch.setattr(
            copy._store, "get_many", lambda ids, **kw: reads.append(ids) or get_many(ids, **kw)
        )
        with pytest.warns(timeline.TimelineWarning, match="2 lines of"):
            assert 2 == copy.import_file(path).stored
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert 0 == copy.import_file(path).stored
    assert [] == reads


def test_an_older_csv_export_refused_for_its_reported_time_says_how_to_write_none(
    tl: timeline.Timeline, tmp_path: Path
) -> None:
    """A CSV export written before ``none`` (an empty reported_at cell for a correction
    stored without a reported time, carrying its event's published source) is refused
    when imported back, saying that the cell takes the source's published_at and
    ``none`` is no reported time, not that the file was read under another day zone."""
    claim = tl.record("strike", "Iran", "2020-01-08", incident="iran-2020",
                      source={"published_at": "2020-01-08"})  # fmt: skip
    tl.correct(claim.id, data={"bases": 2})
    path = tmp_path / "old.csv"
    tl.export(path)
    path.write_text(path.read_text().replace(",none,", ",,"))  # as written before
    with pytest.raises(timeline.InvalidFileError) as refused:
        tl.import_file(path)
    message = str(refused.value)
    assert "differs in reported_at" in message
    assert "published_at" in message and "none" in message
    assert "day zone" not in message


def test_an_incident_exports_with_its_corrections_wherever_they_were_recorded(
    tl: timeline.Timeline, tmp_path: Path
) -> None:
    """``export --incident I`` is "only this incident's events (with their
    corrections)". Timeline.correct and retract record the mending event in the
    event's incident, but append, load and import take a ``corrects`` or ``retracts``
    line of any incident (an import file's correction line names its own). Such a
    retraction was left out of the incident's export, so the export imported elsewhere
    brings the retracted claim back."""
    claim = tl.record(
        "strike", "Iran", "2020-01-08", incident="iran-2020", targets=["US"],
        effects={"US": {"bases.hit": 2}},
    )  # fmt: skip
    tl.append(
        [
            timeline.Event(
                "retraction", "Iran", "2020-01-08", incident="iran-2020-corrections",
                retracts=claim.id, data={"reason": "no base was hit"},
            )
        ]
    )  # fmt: skip
    assert {} == dict(tl.state("US"))
    path = tmp_path / "iran.jsonl"
    tl.export(path, incident="iran-2020")
    with timeline.open(f"sqlite:///{tmp_path / 'copy.db'}") as copy:
        copy.import_file(path)
        assert dict(tl.state("US")) == dict(copy.state("US"))


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


# -- what the store refuses is named by its line ---------------------------------------------

UNKNOWN = "01900000-0000-7000-8000-0000000000ff"


def lines(*events: dict[str, object]) -> str:
    """JSON Lines of these events, one per line."""
    return "".join(json.dumps(e) + "\n" for e in events)


def truce(**fields: object) -> dict[str, object]:
    """A truce by Syria in incident s, with these fields added."""
    return {"type": "truce", "actor": "Syria", "occurred_at": "2017-06-17", "incident": "s",
            **fields}  # fmt: skip


MENDED_ONCE_STORED = (
    " (an event is mended once stored: in a batch or a file, put it before its "
    "corrections and retractions)"
)


def test_an_unknown_corrects_id_is_named_by_its_line(db_url: str, tmp_path: Path) -> None:
    """A correction of an event that is not stored is refused as a problem of its line
    (it was an error without a line), and nothing is stored."""
    path = tmp_path / "fix.jsonl"
    path.write_text(lines(truce(), truce()) + "\n" + lines(truce(corrects=UNKNOWN)))
    with timeline.open(db_url) as tl, pytest.raises(timeline.InvalidFileError) as refused:
        tl.import_file(path)
    assert [(4, f"corrects: no event {UNKNOWN} is stored{MENDED_ONCE_STORED}")] == [
        (n, str(p)) for n, p in refused.value.problems
    ]
    assert 0 == stored_count(db_url)


def test_a_changed_duplicate_id_is_named_by_its_line(db_url: str, tmp_path: Path) -> None:
    """An id given twice with other content, in the file or against the store, is the
    problem of the line that changed it."""
    same = "01900000-0000-7000-8000-000000000001"
    twice = tmp_path / "twice.jsonl"
    twice.write_text(lines(truce(id=same), truce(), truce(id=same, actor="Iraq")))
    with timeline.open(db_url) as tl:
        with pytest.raises(timeline.InvalidFileError) as refused:
            tl.import_file(twice)
        assert 3 == refused.value.problems[0][0]
        assert "id: event" in str(refused.value.problems[0][1])
        tl.record("truce", "Syria", "2017-06-17", incident="s", id=same)
        again = tmp_path / "again.jsonl"
        again.write_text(lines(truce(), truce(id=same, data={"n": 1})))
        with pytest.raises(timeline.InvalidFileError) as refused:
            tl.import_file(again)
        [(line, problem)] = refused.value.problems
        assert (2, f"id: event {same} is already stored with other content (differs in data)"
                ) == (line, str(problem))  # fmt: skip
    assert 1 == stored_count(db_url)


def test_the_command_line_names_the_line(sqlite_url: str, tmp_path: Path) -> None:
    """timeline import prints the line and the problem, then one error line."""
    path = tmp_path / "fix.jsonl"
    path.write_text(lines(truce(), truce(retracts=UNKNOWN)))
    result = CliRunner().invoke(main, ["--db", sqlite_url, "import", str(path)])
    assert 1 == result.exit_code
    assert [
        f"line 2: retracts: no event {UNKNOWN} is stored{MENDED_ONCE_STORED}",
        f"error: {path}: 1 problem; nothing was stored",
    ] == result.output.splitlines()


def test_csv_targets_with_a_comma_are_refused(tl: timeline.Timeline, tmp_path: Path) -> None:
    """ "US, Iraq" in a CSV targets cell is refused with its line (two names, or one with a
    comma?), never stored as one actor; ";" separates names and a JSON list holds a name
    with a comma, which export writes back as a JSON list."""
    path = tmp_path / "targets.csv"
    path.write_text(
        "type,actor,targets,occurred_at,incident\n"
        'strike,Iran,"US, Iraq",2017-06-18,s\n'
        "strike,Iran,US;Iraq,2017-06-18,s\n",
        encoding="utf-8",
    )
    with pytest.raises(timeline.InvalidFileError) as refused:
        tl.import_file(path)
    [(line, problem)] = refused.value.problems
    assert 2 == line
    assert ("targets: 'US, Iraq' holds a comma; separate names with ';' (US;Iraq), or write "
            'a JSON list (["US, Iraq"]) for one name with a comma') == str(problem)  # fmt: skip
    assert [] == tl.actors()
    path.write_text(
        "type,actor,targets,occurred_at,incident\n"
        'strike,Iran,"[""Korea, Republic of""]",2017-06-18,s\n'
        "strike,Iran,US;Iraq,2017-06-18,s\n",
        encoding="utf-8",
    )
    tl.import_file(path)
    assert [("Korea, Republic of",), ("US", "Iraq")] == [e.targets for e in tl.events()]
    out = tmp_path / "out.csv"
    tl.export(out)
    with timeline.open(f"sqlite:///{tmp_path / 'back.db'}") as back:
        back.import_file(out)
        assert [e.targets for e in tl.events()] == [e.targets for e in back.events()]


def test_ctrl_c_during_an_import_stores_nothing_and_says_so(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Interrupted after a first chunk was written, the import stores nothing; the
    command says so and exits 130."""
    path = tmp_path / "many.jsonl"
    path.write_text(lines(*(truce(occurred_at=f"2017-06-{1 + i % 28:02d}") for i in range(1500))))
    reading = timeline.io.read_events

    def interrupted(*args: object, **kwargs: object) -> Iterator[object]:
        for number, event in reading(*args, **kwargs):  # type: ignore[arg-type]
            if number > 1200:
                raise KeyboardInterrupt
            yield number, event

    monkeypatch.setattr(timeline.io, "read_events", interrupted)
    result = CliRunner().invoke(main, ["--db", sqlite_url, "import", str(path)])
    assert 130 == result.exit_code
    assert f"interrupted: nothing of {path} was stored\n" == result.stderr
    assert 0 == stored_count(sqlite_url)
