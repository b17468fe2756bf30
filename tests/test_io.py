"""Import and export files (timeline.io): round trips, line numbers, problems, no database."""

from __future__ import annotations

import io
import json
import tempfile
import warnings
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import timeline
from timeline.events import EVENT_FIELDS, event_from_dict, parse_json
from timeline.io import (
    event_to_record,
    file_format,
    read_csv,
    read_events,
    read_jsonl,
    read_templates,
    write_csv,
    write_jsonl,
)

from strategies import events

SEED = Path(__file__).resolve().parent.parent / "examples" / "syria-2017-06.jsonl"


def written(text: str | bytes, name: str) -> Path:
    """A file of that content in a new temporary folder."""
    path = Path(tempfile.mkdtemp()) / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def problems(lines: object) -> list[tuple[int, str]]:
    """The ``(line, message)`` of each problem a reader yielded."""
    return [
        (number, str(item))
        for number, item in lines  # type: ignore[attr-defined]
        if isinstance(item, timeline.InvalidEventError)
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(events(), max_size=5), st.sampled_from(["jsonl", "csv"]))
def test_written_events_read_back_the_same(batch: list[timeline.Event], fmt: str) -> None:
    """Any events written as JSON Lines or CSV read back as equal events, line by line."""
    out = io.StringIO(newline="")
    write = write_csv if fmt == "csv" else write_jsonl
    assert len(batch) == write(batch, out)
    path = written(out.getvalue(), f"events.{fmt}")
    read = [event for _, event in read_events(path)]
    assert batch == read


def test_the_seed_reads_back_the_same_through_csv() -> None:
    """The seed, written as CSV, reads back as the same events."""
    seed = [event for _, event in read_events(SEED)]
    out = io.StringIO(newline="")
    write_csv(seed, out)  # type: ignore[arg-type]
    assert seed == [event for _, event in read_events(written(out.getvalue(), "seed.csv"))]


def test_event_to_record_has_every_field_and_store_fields_on_request() -> None:
    """A record has the event fields in their order; stored=True adds the store's own."""
    with timeline.open("sqlite://") as tl:
        stored = tl.record("truce", "Syria", "2017-06-17", incident="daraa")
    assert list(EVENT_FIELDS) == list(event_to_record(stored))
    record = event_to_record(stored, stored=True)
    assert [*EVENT_FIELDS, "version", "position", "recorded_at", "hash"] == list(record)
    assert (1, 1) == (record["version"], record["position"])
    assert stored.to_event() == event_from_dict(event_to_record(stored))


def test_jsonl_line_numbers_skip_nothing() -> None:
    """Blank lines count, a byte-order mark is ignored, each problem keeps its line."""
    good = '{"type": "truce", "actor": "Syria", "occurred_at": "2017-06-17", "incident": "s"}'
    path = written(
        b"\xef\xbb\xbf" + good.encode() + b"\r\n\n  \n" + b'{"type": "caf\xe9"}\n' + b"42\n",
        "events.jsonl",
    )
    lines = list(read_jsonl(path))
    assert [1, 4, 5] == [number for number, _ in lines]
    assert "truce" == lines[0][1]["type"]  # type: ignore[index]
    assert [
        (4, "event: is not UTF-8 text (byte 14: 0xe9)"),
        (5, "event: expected a JSON object, got a number"),
    ] == problems(lines)


def test_csv_rows_keep_the_file_line_numbers() -> None:
    """A quoted cell with a line break moves the next row's number on; blank rows skip."""
    path = written(
        "type,actor,occurred_at,incident,data\n"
        'statement,US,2017-06-18,s,"{""gist"":\n""two lines""}"\n'
        "\n"
        "statement,US,2017-06-18,s,\n",
        "events.csv",
    )
    assert [2, 5] == [number for number, _ in read_csv(path)]
    assert [] == problems(read_csv(path))


def test_csv_targets_and_json_cells() -> None:
    """targets: a JSON list or names separated by ';'; data/effects/source are JSON text."""
    path = written(
        "type,actor,targets,occurred_at,incident,effects\n"
        "threat_issued,Russia,US ; US-led coalition;,2017-06-19,s,\n"
        'truce,Syria,"[""rebels; north"", ""[a]""]",2017-06-17,s,'
        '"{""Syria"": {""truce"": ""declared""}}"\n',
        "events.csv",
    )
    (_, threat), (_, truce) = read_csv(path)
    assert ["US", "US-led coalition"] == threat["targets"]  # type: ignore[index]
    assert ["rebels; north", "[a]"] == truce["targets"]  # type: ignore[index]
    assert {"Syria": {"truce": "declared"}} == truce["effects"]  # type: ignore[index]
    out = io.StringIO(newline="")
    write_csv([event_from_dict(truce)], out)  # type: ignore[arg-type]
    assert '"[""rebels; north"", ""[a]""]"' in out.getvalue()


def test_csv_header_problems() -> None:
    """An unknown or repeated column is a problem of line 1; a missing required column
    stops the reading, since no row could be an event."""
    repeated = written(
        "type,actor,actor,occurred_at,incident,colour\ntruce,Syria,Syria,2017-06-17,s,red\n",
        "x.csv",
    )
    assert [
        (1, "actor: is a column twice"),
        (1, f"colour: unknown field; use {', '.join(EVENT_FIELDS)}"),
    ] == problems(read_csv(repeated))
    assert 1 == sum(1 for _, row in read_csv(repeated) if isinstance(row, dict))
    missing = written("type,actor,incident\ntruce,Syria,s\n", "x.csv")
    assert [
        (1, "occurred_at: no such column; the header needs type, actor, occurred_at, incident")
    ] == list((n, str(e)) for n, e in read_csv(missing))
    assert [] == list(read_csv(written("", "empty.csv")))


def test_csv_header_with_unnamed_or_capitalised_columns() -> None:
    """A spreadsheet's unnamed trailing columns and a capitalised field name are named
    plainly (the column's number, the field meant), never as ': unknown field'."""
    path = written("Type,actor,occurred_at,incident,,\nstatement,US,2017-06-19,syria,,\n", "x.csv")
    assert [
        (1, "Type: unknown field; field names are lower-case: write type"),
        (1, "column 5: has no name in the header; name it or delete the column"),
        (1, "column 6: has no name in the header; name it or delete the column"),
        (1, "type: no such column; the header needs type, actor, occurred_at, incident"),
    ] == problems(read_csv(path))


def test_read_events_names_the_field() -> None:
    """Each bad line becomes the error that names its field."""
    path = written(
        json.dumps({"type": "truce", "actor": " Syria", "occurred_at": "2017", "incident": "s"})
        + "\n",
        "events.jsonl",
    )
    assert [(1, "actor: must not start or end with white space: ' Syria'")] == problems(
        read_events(path)
    )


def test_a_field_or_key_given_twice_is_refused_not_dropped() -> None:
    """A JSON line that gives a field twice (``"actor": "US", …, "actor": "Iran"``) was
    read as its last value, the first dropped without a word, where an unknown field is
    refused so that nothing is dropped silently; so was a key given twice inside
    ``data`` (in a JSON line or a CSV cell). PostgreSQL's insert trigger refuses such
    an object from a writer; an import file must too, naming its line."""
    line = (
        '{"type": "strike", "actor": "US", "occurred_at": "2020-01-08", "incident": "s", '
        '"actor": "Iran"}\n'
        '{"type": "strike", "actor": "US", "occurred_at": "2020-01-08", "incident": "s", '
        '"data": {"killed": 0, "killed": 80}}\n'
    )
    found = problems(read_events(written(line, "twice.jsonl")))
    assert [1, 2] == [number for number, _ in found], found
    assert "'actor' twice" in found[0][1] and "'killed' twice" in found[1][1]
    cell = 'type,actor,occurred_at,incident,data\nstrike,US,2020-01-08,s,"{""n"": 1, ""n"": 2}"\n'
    [(number, problem)] = problems(read_events(written(cell, "twice.csv")))
    assert 2 == number and problem.startswith("data: ") and "'n' twice" in problem


@pytest.mark.parametrize(
    ("zone", "moment", "precision"),
    [
        ("America/New_York", "0001-01-01T00:00:00.000000Z", "day"),  # 31 Dec of year 0 there
        ("Pacific/Kiritimati", "0001-01-01T04:56:02.000000Z", "month"),
        ("Pacific/Kiritimati", "0001-01-01T00:00:00.000000Z", "year"),
    ],
)
def test_a_precision_whose_unit_is_before_year_1_in_the_day_zone_names_its_line(
    zone: str, moment: str, precision: str
) -> None:
    """A day, month or year given with a time at the first instants of year 1 (UTC),
    read in a day zone where that instant is still in year 0 (or with an export of another
    zone's store), escaped as OverflowError (date value out of range) from the
    precision's check, a traceback from ``timeline import`` and ``record``, not a
    problem of its line and field."""
    fields = {"type": "note", "actor": "US", "occurred_at": "2017", "incident": "s"}
    edge = {**fields, "occurred_at": moment, "precision": precision}
    path = written(f"{json.dumps(fields)}\n{json.dumps(edge)}\n", "edge.jsonl")
    [(number, problem)] = problems(read_events(path, day_zone=zone))
    assert 2 == number and problem.startswith("precision: "), problem


def test_one_targets_string_reads_the_same_in_json_lines_as_in_csv() -> None:
    """``targets`` written ``US;Iraq`` is two targets in a CSV cell, where ';' separates
    names; the same text as a JSON Lines string was stored as one actor named
    ``US;Iraq`` without a word (a string with a comma is refused in both, as two names
    or one). A file converted from CSV to JSON Lines must not change its events
    silently: read as in CSV, or refused naming the lists that say either."""
    fields = {"type": "strike", "actor": "Iran", "occurred_at": "2020-01-08", "incident": "s"}
    header = "type,actor,targets,occurred_at,incident\n"
    csv_file = written(header + "strike,Iran,US;Iraq,2020-01-08,s\n", "t.csv")
    [(_, from_csv)] = list(read_events(csv_file))
    assert ("US", "Iraq") == from_csv.targets
    jsonl_file = written(json.dumps({**fields, "targets": "US;Iraq"}) + "\n", "t.jsonl")
    [(_, from_jsonl)] = list(read_events(jsonl_file))
    if isinstance(from_jsonl, timeline.InvalidEventError):
        assert "targets" == from_jsonl.field
    else:
        assert from_csv.targets == from_jsonl.targets


def test_file_format() -> None:
    """The format comes from --format, else from the name; an unknown one is refused."""
    assert ("csv", "csv", "jsonl") == (
        file_format("a.CSV"),
        file_format("a.jsonl", "csv"),
        file_format("a.txt"),
    )
    with pytest.raises(timeline.InvalidEventError, match="format: must be one of jsonl, csv"):
        file_format("a.csv", "xml")


def test_read_templates_problems() -> None:
    """A templates file must be a JSON object of objects; problems name the file."""
    with pytest.raises(timeline.InvalidEventError, match=r"templates: .* is not valid JSON"):
        read_templates(written("{", "t.json"))
    with pytest.raises(timeline.InvalidEventError, match="must hold a JSON object"):
        read_templates(written("[]", "t.json"))
    with pytest.raises(timeline.InvalidEventError, match=r"templates\.truce: expected"):
        read_templates(written('{"truce": "declared"}', "t.json"))
    with pytest.raises(timeline.InvalidEventError, match="templates: cannot read"):
        read_templates(Path(tempfile.mkdtemp()) / "none.json")


def test_an_import_of_lines_without_ids_warns_that_a_repeat_stores_them_again(
    db_url: str, tmp_path: Path
) -> None:
    """A new user's trial: a hand-written CSV without ids imported twice stored every
    event twice, "0 already stored" both times, where the help said an import can be
    repeated. It still stores them (an id is the writer's to give), and says so."""
    path = tmp_path / "article.csv"
    path.write_text(
        "id,type,actor,occurred_at,incident\n"
        "01900000-0000-7000-8000-000000000001,shootdown,US,2017-06-18,s\n"
        ",cooperation_suspended,Russia,2017-06-19,s\n"
        ",repositioning,Australia,2017-06-20,s\n"
    )
    with timeline.open(db_url) as tl:
        with pytest.warns(timeline.TimelineWarning) as caught:
            assert 3 == tl.import_file(path).stored
        [warning] = [str(w.message) for w in caught]
        assert f"import: 2 lines of {path} (line 3 and more) had no id" in warning
        assert "importing the file again stores them again" in warning
        with pytest.warns(timeline.TimelineWarning, match="had no id"):
            assert 2 == tl.import_file(path).stored  # the line with an id: stored already
        path.write_text(
            path.read_text().splitlines()[0] + "\n" + path.read_text().splitlines()[1] + "\n"
        )
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # every line has its id: nothing to say
            assert 0 == tl.import_file(path).stored


def test_a_field_the_store_assigns_is_named_as_such_on_import() -> None:
    """A new user's trial: ``timeline events --format jsonl`` (or ``csv``), which adds
    ``version``, ``position``, ``recorded_at`` and ``hash``, imported back was refused
    with ``version: unknown field``: false, as each is an event's field, and no hint of
    what to do. The refusal says the store assigns it and how to write a file that
    imports."""
    line = {"type": "truce", "actor": "Syria", "occurred_at": "2017-06-17", "incident": "s"}
    said = "is assigned by the store, not imported: leave it out (timeline export writes"
    for name in ("version", "position", "recorded_at", "hash"):
        path = written(json.dumps({**line, name: 1}) + "\n", "events.jsonl")
        found = problems(read_events(path))
        assert [1] == [n for n, _ in found] and found[0][1].startswith(f"{name}: {said}")
        path = written(f"type,actor,occurred_at,incident,{name}\ntruce,Syria,2017,s,1\n", "x.csv")
        found = problems(read_csv(path))
        assert [1] == [n for n, _ in found] and found[0][1].startswith(f"{name}: {said}")


def test_a_key_named_twice_in_a_json_object_is_refused() -> None:
    """A new user's trial: a JSON Lines line naming ``actor`` twice (``{"actor": "US",
    …, "actor": "Russia"}``) was stored as Russia's, the US dropped in silence (JSON
    keeps the last), and ``--data '{"n": 1, "n": 2}'`` as ``{"n": 2}``. A key named
    twice in any object is refused, naming it, as a CSV column named twice is."""
    line = '{"type": "x", "actor": "US", "occurred_at": "2017-06-18", "incident": "s", '
    path = written(line + '"actor": "Russia"}\n' + line + '"data": {"n": 1, "n": 2}}\n', "x.jsonl")
    assert [
        (1, "event: names the key 'actor' twice in one object; give it once"),
        (2, "event: names the key 'n' twice in one object; give it once"),
    ] == problems(read_events(path))
    with pytest.raises(timeline.InvalidEventError, match="data: names the key 'n' twice"):
        parse_json('{"n": 1, "n": 2}', field="data")
    assert {"n": [{"n": 1}, {"n": 2}]} == parse_json('{"n": [{"n": 1}, {"n": 2}]}', field="d")
