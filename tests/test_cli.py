"""The command line, through click's CliRunner: output, exit codes, one-line errors."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import timeline
from timeline.cli import Context, main
from timeline.demo import DEMO_DATES
from timeline.events import EVENT_FIELDS, event_from_dict

from helpers import stored_count

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SEED = EXAMPLES / "syria-2017-06.jsonl"
TEMPLATES = EXAMPLES / "syria-2017-06.templates.json"
README = ROOT / "README.md"


def run(*args: str, code: int = 0) -> str:
    """Run ``timeline ARGS`` and return its output, checking the exit code."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert code == result.exit_code, result.output
    return result.output


def answer(*args: str) -> str:
    """Run ``timeline ARGS`` and return its standard output alone (a question asked on
    purpose of a store's past, ``--known-at 2000-01-01``, warns on standard error)."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert 0 == result.exit_code, result.output
    return result.stdout


def test_db_upgrade_and_current(db_url: str) -> None:
    """db current reports an empty database; db upgrade creates the schema; current agrees."""
    assert "has no timeline schema" in run("--db", db_url, "db", "current", code=1)
    newest = f"is at schema revision {timeline.head_revision()} (newest)"
    assert newest in run("db", "upgrade", "--db", db_url)
    assert newest in run("--db", db_url, "db", "current")
    assert newest in run("db", "current", "--db", db_url)


def test_record_then_events(db_url: str) -> None:
    """record stores an event from shell arguments; events lists it as JSON Lines."""
    out = run(
        "--db",
        db_url,
        "record",
        "cooperation_suspended",
        "Russia",
        "2017-06-19",
        "--incident",
        "syria-2017-06",
        "--target",
        "US",
        "--quote",
        "Russian Federation said it would now end co-operation",
        "--effects",
        '{"Russia": {"cooperation.US": "suspended"}}',
    )
    assert "syria-2017-06 version 1, position 1, occurred 2017-06-19T00:00:00.000000Z (day)" in out
    line = run("--db", db_url, "events", "--actor", "US", "--format", "jsonl").strip()
    stored = json.loads(line)
    assert ("cooperation_suspended", ["US"], "day") == (
        stored["type"],
        stored["targets"],
        stored["precision"],
    )
    assert {"Russia": {"cooperation.US": "suspended"}} == stored["effects"]
    table = run("--db", db_url, "events")
    assert "cooperation_suspended" in table and "Russia" in table


def test_the_environment_names_the_database(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """TIMELINE_DB stands in for --db."""
    monkeypatch.setenv("TIMELINE_DB", db_url)
    run("record", "truce", "Syria", "2017-06-17", "--incident", "daraa")
    with timeline.open(db_url) as tl:
        assert ["truce"] == [e.type for e in tl.events()]


def test_errors_are_one_line_without_traceback(db_url: str) -> None:
    """A refused input prints one line naming the field and exits 1; nothing is stored."""
    result = CliRunner().invoke(
        main, ["--db", db_url, "record", "Shoot Down", "US", "2017-06-18", "--incident", "x"]
    )
    assert 1 == result.exit_code
    assert [
        "error: type: must be snake_case (lower-case letters, digits, '_'), got 'Shoot Down'"
    ] == (result.output.splitlines())
    naive = CliRunner().invoke(
        main, ["--db", db_url, "record", "shootdown", "US", "2017-06-18 18:43", "--incident", "x"]
    )
    assert 1 == naive.exit_code and "--default-tz" in naive.output
    bad_json = CliRunner().invoke(
        main, ["--db", db_url, "record", "a", "US", "2017-06-18", "--incident", "x", "--data", "{"]
    )
    assert bad_json.output.startswith("error: data: is not valid JSON")
    with timeline.open(db_url) as tl:
        assert [] == list(tl.events())


def test_default_tz_option(db_url: str) -> None:
    """--default-tz reads times written without an offset in that zone."""
    run(
        "--db",
        db_url,
        "--default-tz",
        "Asia/Damascus",
        "record",
        "shootdown",
        "US",
        "2017-06-18 18:43",
        "--incident",
        "x",
    )
    with timeline.open(db_url) as tl:
        assert "2017-06-18T15:43:00+00:00" == next(tl.events()).occurred_at.isoformat()


def test_debug_shows_the_exception(sqlite_url: str) -> None:
    """--debug lets the exception through, for a traceback."""
    result = CliRunner().invoke(
        main, ["--db", sqlite_url, "--debug", "record", "A", "US", "2017", "--incident", "x"]
    )
    assert isinstance(result.exception, timeline.InvalidEventError)


def test_usage_errors_exit_2() -> None:
    """A misspelt command or option is a usage error, exit status 2."""
    assert 2 == CliRunner().invoke(main, ["nope"]).exit_code
    assert 2 == CliRunner().invoke(main, ["events", "--limit", "many"]).exit_code


def test_verify_exit_status(db_url: str) -> None:
    """verify prints its finding and exits 0 when every event verifies."""
    run("--db", db_url, "record", "truce", "Syria", "2017-06-17", "--incident", "daraa")
    assert "ok: 1 events verified" in run("--db", db_url, "verify")


def test_demo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo loads the seed in one append without waiting, shows it in time order, the
    main actors' status on three dates and an answer that --reported-by changes, with a
    command that asks it, and can run again."""

    def no_sleep(seconds: float) -> None:
        raise AssertionError(f"the demo slept {seconds}s")

    monkeypatch.setattr(time, "sleep", no_sleep)
    out = tmp_path / "demo.db"
    first = run("demo", "--out", str(out))
    assert "arrival" not in first and "--known-at" not in first
    assert f"Loaded the June 2017 Syria example into {out} in one append:" in first
    assert "ok: 17 events verified" in first
    lines = first.splitlines()
    truce = next(i for i, line in enumerate(lines) if " truce " in line)
    shootdown = next(i for i, line in enumerate(lines) if " shootdown " in line)
    assert truce < shootdown  # time order, though the article tells the truce last
    assert ["14", "2017-06-19", "00:00", "day", "2017-06-20", "aircraft_repositioned", "US"] == (
        next(line.split() for line in lines if " aircraft_repositioned " in line)
    )
    status = next(line for line in lines if line.startswith("actor "))
    assert ["actor", "attribute", *DEMO_DATES] == status.split()
    assert ["Russia", "cooperation.US", "active", "suspended", "suspended"] == next(
        line.split() for line in lines if line.startswith("Russia  cooperation.US")
    )
    assert {"US", "Syria"} <= {line.split()[0] for line in lines if line.split()}
    table = lines.index("  as reported by  cooperation.US")
    assert ["  2017-06-18      active", "  2017-06-19      suspended"] == lines[
        table + 1 : table + 3
    ]
    # the command the demo prints gives the answer it shows, and the other with the later day
    command = next(line.strip() for line in lines if "--reported-by 20" in line)
    argv = shlex.split(command)
    assert "timeline" == argv[0]
    assert ["--at", "2017-06-19", "--reported-by", "2017-06-18"] == argv[-4:]
    answer = json.loads(run(*argv[1:], "--json"))
    assert "active" == answer["values"]["cooperation.US"]
    later = json.loads(run(*argv[1:-1], "2017-06-19", "--json"))
    assert "suspended" == later["values"]["cooperation.US"]
    assert first == run("demo", "--out", str(out))  # fresh each time


def test_the_demo_prints_commands_that_run_from_the_same_shell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new user's trial: the README runs ``.venv/bin/timeline demo`` without activating
    the virtual environment, so the ``timeline ...`` commands the demo printed were not
    found. It prints the program as it was run when ``timeline`` on the PATH is not it."""
    program = tmp_path / ".venv" / "bin" / "timeline"
    program.parent.mkdir(parents=True)
    program.write_text("#!/bin/sh\n")
    monkeypatch.setattr(sys, "argv", [str(program), "demo"])
    monkeypatch.setenv("PATH", str(tmp_path / "elsewhere"))
    out = run("demo", "--out", str(tmp_path / "demo.db"))
    commands = [line.split()[0] for line in out.splitlines() if " --db " in line]
    assert commands and {str(program)} == set(commands)
    program.chmod(0o755)
    monkeypatch.setenv("PATH", str(program.parent))  # on the PATH: its name is enough
    out = run("demo", "--out", str(tmp_path / "demo.db"))
    assert {"timeline"} == {line.split()[0] for line in out.splitlines() if " --db " in line}


def test_demo_never_replaces_other_data(tmp_path: Path) -> None:
    """The demo refuses to overwrite a file that holds someone's own incidents."""
    out = tmp_path / "mine.db"
    with timeline.open(f"sqlite:///{out}") as tl:
        tl.record("truce", "Syria", "2017-06-17", incident="my-own")
    assert "holds other incidents" in run("demo", "--out", str(out), code=1)


def all_commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    """Every command under ``group``, with its full name."""
    found = []
    for name, command in group.commands.items():
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found.extend(all_commands(command, f"{prefix}{name} "))
    return found


@pytest.mark.parametrize(
    ("name", "command"), all_commands(main), ids=lambda v: v if isinstance(v, str) else ""
)
def test_every_command_is_documented_with_an_example(name: str, command: click.Command) -> None:
    """Each command has help text with an example, and --help works."""
    assert command.help and "Example:" in command.help, f"{name} has no example"
    assert "Usage:" in run(*name.split(), "--help")


# -- import ---------------------------------------------------------------------------------


def failed(*args: str) -> list[str]:
    """Run ``timeline ARGS``, expect exit status 1, return the output's lines."""
    result = CliRunner().invoke(main, list(args))
    assert 1 == result.exit_code, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result.output.splitlines()


def test_import_the_seed_then_import_again(db_url: str) -> None:
    """import stores every line of the seed in order; a second import stores nothing new."""
    out = run("--db", db_url, "import", str(SEED))
    assert f"stored 17 events from {SEED} (0 already stored)\n" == out
    with timeline.open(db_url) as tl:
        stored = [str(e.id) for e in tl.events()]
    lines = SEED.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["id"] for line in lines] == stored
    again = run("--db", db_url, "import", str(SEED))
    assert f"stored 0 events from {SEED} (17 already stored)\n" == again
    assert 17 == stored_count(db_url)


def test_import_again_under_another_day_zone_says_so(sqlite_url: str) -> None:
    """A new user's trial: the seed imported again with another --day-zone was refused
    as 'already stored with other content (differs in occurred_at, reported_at)', with
    nothing to say that its dates had been read in another zone."""
    run("--db", sqlite_url, "import", str(SEED))
    out = run("--db", sqlite_url, "--day-zone", "Asia/Damascus", "import", str(SEED), code=1)
    assert "differs in occurred_at, reported_at) (a date stands for the start" in out
    assert "stored under another day zone" in out
    assert 17 == stored_count(sqlite_url)


def test_import_of_a_correction_before_its_event_says_to_reorder(
    sqlite_url: str, tmp_path: Path
) -> None:
    """A new user's trial: a correction placed before the event it corrects in one file
    was refused as 'no event ... is stored', which the file plainly holds."""
    first, second = "01900000-0000-7000-8000-0000000000a1", "01900000-0000-7000-8000-0000000000a2"
    lines = [
        {"id": second, "type": "x", "actor": "A", "occurred_at": "2017-06-18",
         "incident": "i", "corrects": first},
        {"id": first, "type": "x", "actor": "A", "occurred_at": "2017-06-17", "incident": "i"},
    ]  # fmt: skip
    path = tmp_path / "mended-first.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    out = run("--db", sqlite_url, "import", str(path), code=1)
    assert f"line 1: corrects: no event {first} is stored" in out
    assert "put it before its corrections and retractions" in out
    assert 0 == stored_count(sqlite_url)


def test_import_csv(db_url: str, tmp_path: Path) -> None:
    """A CSV file: targets as a JSON list or separated by ";", JSON cells, empty cells absent."""
    path = tmp_path / "events.csv"
    path.write_text(
        "type,actor,targets,occurred_at,incident,data,effects,source,precision\n"
        'threat_issued,Russia,US; US-led coalition,2017-06-19,s,"{""by"": ""MoD""}",,,\n'
        'cooperation_suspended,Russia,"[""US""]",June 19 2017,s,,'
        '"{""Russia"": {""cooperation.US"": ""suspended""}}",'
        '"{""title"": ""Russia threatens""}",day\n',
        encoding="utf-8",
    )
    assert "stored 2 events" in run("--db", db_url, "import", str(path))
    with timeline.open(db_url) as tl:
        threat, suspended = tl.events()
        assert (("US", "US-led coalition"), {"by": "MoD"}, {}) == (
            threat.targets,
            threat.data,
            threat.source,
        )
        assert (("US",), "day", {"title": "Russia threatens"}) == (
            suspended.targets,
            suspended.precision,
            suspended.source,
        )
        assert "suspended" == tl.state("Russia")["cooperation.US"]


def test_import_format_option_overrides_the_name(db_url: str, tmp_path: Path) -> None:
    """--format csv reads a file whose name does not end in .csv as CSV."""
    path = tmp_path / "events.txt"
    path.write_text("type,actor,occurred_at,incident\ntruce,Syria,2017-06-17,daraa\n")
    assert "stored 1 event from" in run("--db", db_url, "import", str(path), "--format", "csv")
    assert "2 problems" in failed("--db", db_url, "import", str(path))[-1]


def test_import_of_a_malformed_jsonl_file_stores_nothing(db_url: str, tmp_path: Path) -> None:
    """Every problem is listed by line number and field; exit 1; the database is unchanged."""
    run("--db", db_url, "record", "truce", "Syria", "2017-06-17", "--incident", "daraa")
    before = stored_count(db_url)
    good = {"type": "truce", "actor": "Syria", "occurred_at": "2017-06-17", "incident": "s"}
    lines = [
        json.dumps(good),
        '{"type": "truce", "actor": "Syria",',
        json.dumps({**good, "colour": "red"}),
        "",
        json.dumps({**good, "type": "Shoot Down"}),
        json.dumps({**good, "occurred_at": "2017-06-18 18:43"}),
        json.dumps({k: v for k, v in good.items() if k != "actor"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({**good, "data": "Su-22"}),
    ]
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    output = failed("--db", db_url, "import", str(path))
    assert [
        "line 2: event: is not valid JSON: Expecting property name enclosed in double quotes "
        "(column 36)",
        "line 3: colour: unknown field; use id, incident, type, actor, targets, occurred_at, "
        "precision, data, effects, source, corrects, retracts, reported_at, reported_precision",
        "line 5: type: must be snake_case (lower-case letters, digits, '_'), got 'Shoot Down'",
        "line 6: occurred_at: '2017-06-18 18:43' has no time zone; give an offset (+03:00, Z) "
        "or set a default zone (default_tz in Python, --default-tz on the command line)",
        "line 7: actor: is required",
        "line 8: event: expected a JSON object, got a list",
        "line 9: data: expected a JSON object, got str",
        f"error: {path}: 7 problems; nothing was stored",
    ] == output
    assert before == stored_count(db_url)


def test_import_of_a_malformed_csv_file_stores_nothing(db_url: str, tmp_path: Path) -> None:
    """CSV problems name the file's line (line 1 is the header) and the field."""
    run("--db", db_url, "record", "truce", "Syria", "2017-06-17", "--incident", "daraa")
    before = stored_count(db_url)
    path = tmp_path / "bad.csv"
    path.write_text(
        "type,actor,targets,occurred_at,incident,data,colour\n"
        "truce,Syria,Syrian rebels,2017-06-17,s,,red\n"
        'shootdown,US,"[""Syria"",",2017-06-18,s,,\n'
        "statement,US,,2017-13-45,s,,\n"
        'statement,US,,2017-06-18,s,"{""gist"":\n""two lines""",\n'
        "statement,US,,2017-06-18,s,{},,extra\n",
        encoding="utf-8",
    )
    output = failed("--db", db_url, "import", str(path))
    assert [
        "line 1: colour: unknown field; use id, incident, type, actor, targets, occurred_at, "
        "precision, data, effects, source, corrects, retracts, reported_at, reported_precision",
        "line 3: targets: is not valid JSON: Expecting value (character 10 of the cell)",
        "line 4: occurred_at: cannot read '2017-13-45' as a date or time",
        "line 5: data: is not valid JSON: Expecting ',' delimiter (character 21 of the cell)",
        "line 7: event: has 8 cells; the header has 7",
        f"error: {path}: 5 problems; nothing was stored",
    ] == output
    assert before == stored_count(db_url)


def test_import_lists_at_most_20_problems(sqlite_url: str, tmp_path: Path) -> None:
    """Past 20 problems the rest are counted, not listed."""
    path = tmp_path / "bad.jsonl"
    path.write_text('{"type": "truce"}\n' * 25)
    output = failed("--db", sqlite_url, "import", str(path))
    assert 20 == sum(line.startswith("line ") for line in output)
    assert ["... and 5 more", f"error: {path}: 25 problems; nothing was stored"] == output[-2:]


def test_import_reads_times_in_the_default_zone(db_url: str, tmp_path: Path) -> None:
    """--default-tz applies to the file's times written without an offset."""
    path = tmp_path / "events.jsonl"
    line = {"type": "shootdown", "actor": "US", "occurred_at": "2017-06-18 18:43", "incident": "s"}
    path.write_text(json.dumps(line) + "\n")
    run("--db", db_url, "--default-tz", "Asia/Damascus", "import", str(path))
    with timeline.open(db_url) as tl:
        assert "2017-06-18T15:43:00+00:00" == next(tl.events()).occurred_at.isoformat()


def test_import_refused_by_the_store_stores_nothing(db_url: str, tmp_path: Path) -> None:
    """A file that is valid line by line but clashes with the store is refused whole,
    naming the line of the event the store refused."""
    run("--db", db_url, "import", str(SEED))
    changed = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines()]
    changed[5]["actor"] = "Russia"
    extra = {"type": "truce", "actor": "Syria", "occurred_at": "2017-06-17", "incident": "x"}
    path = tmp_path / "clash.jsonl"
    path.write_text("\n".join(json.dumps(e) for e in [extra, *changed]) + "\n")
    output = failed("--db", db_url, "import", str(path))
    assert [
        "line 7: id: event 01900000-0000-7000-8000-000000000006 is already stored with other "
        "content (differs in actor)",
        f"error: {path}: 1 problem; nothing was stored",
    ] == output
    assert 17 == stored_count(db_url)


def test_import_of_a_missing_file_is_a_usage_error(sqlite_url: str) -> None:
    """A file that does not exist is a usage mistake: exit 2."""
    result = CliRunner().invoke(main, ["--db", sqlite_url, "import", "nowhere.jsonl"])
    assert 2 == result.exit_code and "does not exist" in result.output


# -- export ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_then_import_gives_the_same_timeline(db_url: str, tmp_path: Path, fmt: str) -> None:
    """An export imported into a new database gives the same ids in the same order, the
    same corrections and retractions, the same state of every actor, and verifies."""
    run("--db", db_url, "import", str(SEED))
    ejected, threat = "01900000-0000-7000-8000-000000000009", "01900000-0000-7000-8000-000000000004"
    run("--db", db_url, "correct", ejected, "--occurred-at", "2017-06-18 18:43 +03:00")
    run("--db", db_url, "correct", threat, "--target", "US", "--data", '{"note": "a test"}')
    run("--db", db_url, "retract", "01900000-0000-7000-8000-000000000011", "--reason", "unsure")
    path = tmp_path / f"export.{fmt}"
    assert "exported 20 events to" in run("--db", db_url, "export", "-o", str(path))
    copy = f"sqlite:///{tmp_path / 'copy.db'}"
    assert "stored 20 events" in run("--db", copy, "import", str(path))
    with timeline.open(db_url) as original, timeline.open(copy) as imported:
        for tl in (original, imported):
            for event_type, template in json.loads(TEMPLATES.read_text()).items():
                tl.define(event_type, template)
        assert [e.content() for e in original.events()] == [e.content() for e in imported.events()]
        assert [e.position for e in original.events()] == [e.position for e in imported.events()]
        for at in (None, *DEMO_DATES, "2017-06-18 18:00 +03:00"):
            assert original.states(at=at) == imported.states(at=at)
        assert imported.verify().ok
    assert path.read_text(encoding="utf-8") == run("--db", copy, "export", "--format", fmt)


def test_export_one_incident_to_standard_output(db_url: str) -> None:
    """Without -o, export writes JSON Lines to standard output; --incident narrows it."""
    run("--db", db_url, "record", "truce", "Syria", "2017-06-17", "--incident", "daraa")
    run("--db", db_url, "import", str(SEED))
    lines = run("--db", db_url, "export", "--incident", "daraa").splitlines()
    assert 1 == len(lines)
    record = json.loads(lines[0])
    assert list(EVENT_FIELDS) == list(record)
    assert ("truce", "daraa", None, None) == (
        record["type"],
        record["incident"],
        record["corrects"],
        record["retracts"],
    )


def test_export_to_an_unwritable_place_is_one_line(sqlite_url: str, tmp_path: Path) -> None:
    """A file that cannot be written is reported in one line, exit 1, nothing left behind."""
    run("--db", sqlite_url, "record", "truce", "Syria", "2017-06-17", "--incident", "daraa")
    target = tmp_path / "no-such-folder" / "out.jsonl"
    [line] = failed("--db", sqlite_url, "export", "-o", str(target))
    assert f"error: {target}: No such file or directory" == line
    assert not target.parent.exists()


# -- events ---------------------------------------------------------------------------------


def test_events_as_csv(db_url: str) -> None:
    """events --format csv writes the event's fields and those the store assigned."""
    run("--db", db_url, "import", str(SEED))
    out = run("--db", db_url, "events", "--type", "shootdown", "--format", "csv")
    header, row = out.splitlines()
    assert (
        "id,incident,type,actor,targets,occurred_at,precision,data,effects,source,"
        "corrects,retracts,reported_at,reported_precision,version,position,recorded_at,hash"
    ) == header
    assert row.startswith(
        "01900000-0000-7000-8000-000000000006,syria-2017-06,shootdown,US,Syria,"
        "2017-06-18T15:43:00.000000Z,minute,"
    )


# -- state and history ----------------------------------------------------------------------


def seeded(db_url: str) -> tuple[str, ...]:
    """Import the seed into ``db_url``; return the global options that ask it with templates."""
    run("--db", db_url, "import", str(SEED))
    return ("--db", db_url, "--templates", str(TEMPLATES))


def test_state_table(db_url: str) -> None:
    """state prints what it answers (moment, knowledge, events applied) and a table."""
    options = seeded(db_url)
    assert [
        "Russia on 2017-06-19 (the whole UTC day), as known now: 5 events applied",
        "attribute                value",
        "condemned.US             yes",
        "cooperation.US           suspended",
        "threat.US                issued",
        "threat.US-led coalition  issued",
    ] == run(*options, "state", "Russia", "--at", "2017-06-19").splitlines()
    assert [
        "Russia on 2017-06-18 (the whole UTC day), as known now: 1 event applied",
        "attribute       value",
        "cooperation.US  active",
    ] == run(*options, "state", "Russia", "--at", "2017-06-18").splitlines()


def test_state_marks_uncertain_attributes(db_url: str) -> None:
    """Asked about an instant inside a day, that day's events are applied but marked '?'."""
    options = seeded(db_url)
    out = run(*options, "state", "Russia", "--at", "2017-06-19 14:00 +03:00").splitlines()
    assert "Russia at 2017-06-19 11:00 UTC, as known now: 5 events applied" == out[0]
    assert "cooperation.US           suspended  ?" in out
    assert out[-1].startswith("? set by an event that may have happened just after")


def test_state_json_shape(db_url: str) -> None:
    """state --json prints exactly one object with the documented keys."""
    options = seeded(db_url)
    out = run(*options, "state", "US", "--at", "June 19 2017", "--json")
    assert 1 == len(out.splitlines())
    assert {
        "actor": "US",
        "at": {"before": "2017-06-20T00:00:00.000000Z"},
        "known_at": None,
        "values": {
            "aircraft": "repositioned",
            "aircraft_shot_down": 1,
            "cooperation.Russia": "suspended",
            "drones_shot_down": 1,
            "threatened_by.Russia": "yes",
        },
        "uncertain": [],
        "events_applied": 10,
        "basis": {"position": 17, "known_at": None, "reported_by": None},
    } == json.loads(out)


def test_state_reported_by(db_url: str) -> None:
    """--reported-by sees only the claims public by then: Russia's suspension of June 19,
    reported that day, is not in the answer reported by June 18; the answer says its
    bound, in words and in the JSON basis."""
    options = seeded(db_url)
    asked = (*options, "state", "Russia", "--at", "2017-06-19")
    assert [
        "Russia on 2017-06-19 (the whole UTC day), as known now, from claims reported by the "
        "end of 2017-06-18 (UTC): 1 event applied",
        "attribute       value",
        "cooperation.US  active",
    ] == run(*asked, "--reported-by", "2017-06-18").splitlines()
    then = json.loads(run(*asked, "--reported-by", "2017-06-18", "--json"))
    now = json.loads(run(*asked, "--reported-by", "2017-06-19", "--json"))
    assert ("active", "suspended") == (
        then["values"]["cooperation.US"],
        now["values"]["cooperation.US"],
    )
    assert {
        "position": 17,
        "known_at": None,
        "reported_by": {"before": "2017-06-19T00:00:00.000000Z"},
    } == then["basis"]
    noon = run(*asked, "--reported-by", "2017-06-19 12:00 +00:00").splitlines()
    assert noon[0].endswith("reported by 2017-06-19T12:00:00.000000Z: 5 events applied")
    assert "cooperation.US           suspended  ?" in noon  # reported sometime on June 19
    assert "reported just after the reported bound" in noon[-1]
    said, answer = run(
        *asked, "--known-at", "2000-01-01", "--reported-by", "2017-06-19", "--json"
    ).split("\n", 1)
    assert said.startswith("warning: known_at: this store had recorded nothing by the end")
    both = json.loads(answer)
    assert ({}, 0) == (both["values"], both["basis"]["position"])
    assert {"before": "2000-01-02T00:00:00.000000Z"} == (both["basis"]["known_at"])


def test_state_dates_as_people_write_them(db_url: str) -> None:
    """--at and --known-at read ISO, "June 19 2017" and times with an offset."""
    options = seeded(db_url)
    noon = json.loads(run(*options, "state", "Russia", "--at", "2017-06-19 14:00 +03:00", "--json"))
    assert ({"by": "2017-06-19T11:00:00.000000Z"}, ["condemned.US", "cooperation.US"]) == (
        noon["at"],
        noon["uncertain"][:2],
    )
    assert json.loads(run(*options, "state", "Russia", "--at", "June 19 2017", "--json")) == (
        json.loads(run(*options, "state", "Russia", "--at", "2017-06-19", "--json"))
    )
    before = json.loads(
        answer(
            *options, "state", "Russia", "--at", "2017-06-19", "--known-at", "June 2017", "--json"
        )
    )
    assert ({"before": "2017-07-01T00:00:00.000000Z"}, {}, 0) == (
        before["known_at"],
        before["values"],
        before["events_applied"],
    )


def test_state_without_templates_uses_the_events_own_effects(db_url: str) -> None:
    """Without --templates only effects written in the events change attributes; when
    none does, standard error says that the templates may have been forgotten."""
    run("--db", db_url, "import", str(SEED))
    result = CliRunner().invoke(main, ["--db", db_url, "state", "Russia", "--json"])
    answer = json.loads(result.stdout)
    assert ({}, 5) == (answer["values"], answer["events_applied"])
    assert "no templates are defined" in result.stderr


def test_history(db_url: str) -> None:
    """history lists each change: when, from what, to what, by which event."""
    options = seeded(db_url)
    assert [
        "when (UTC)  precision  attribute       from    to         event                    id",
        "2015-10-20  day        cooperation.US  -       active     cooperation_established  "
        "01900000-0000-7000-8000-000000000017",
        "2017-06-19  day        cooperation.US  active  suspended  cooperation_suspended    "
        "01900000-0000-7000-8000-000000000008",
    ] == run(*options, "history", "Russia", "cooperation").splitlines()
    answer = json.loads(
        run(*options, "history", "US", "--since", "2017-06-18", "--until", "2017-06-18", "--json")
    )
    assert ("US", None) == (answer["actor"], answer["attribute"])
    assert [
        {
            "when": "2017-06-18T15:43:00.000000Z",
            "precision": "minute",
            "attribute": "aircraft_shot_down",
            "old": None,
            "new": 1,
            "event": {
                "id": "01900000-0000-7000-8000-000000000006",
                "type": "shootdown",
                "actor": "US",
                "position": 6,
            },
        }
    ] == answer["changes"]
    assert "(no changes)" in run(*options, "history", "Iraq", "cooperation")


def test_history_and_events_reported_by(db_url: str) -> None:
    """history and events --reported-by leave out the claims made public later."""
    options = seeded(db_url)
    rows = run(*options, "history", "Russia", "cooperation", "--reported-by", "2017-06-18")
    assert ["2015-10-20", "day", "cooperation.US", "-", "active"] == rows.splitlines()[1].split()[
        :5
    ]
    assert 2 == len(rows.splitlines())
    answer = json.loads(run(*options, "history", "Russia", "--reported-by", "2017-06-19", "--json"))
    assert "suspended" in [c["new"] for c in answer["changes"]]
    lines = run(*options, "events", "--reported-by", "2017-06-18", "--format", "jsonl")
    found = [json.loads(line) for line in lines.splitlines()]
    assert [3, 6, 7, 10, 12, 13, 15, 16, 17] == [e["position"] for e in found]
    assert all(e["reported_at"] < "2017-06-19" for e in found)


def test_templates_option_problems_are_one_line(sqlite_url: str, tmp_path: Path) -> None:
    """A templates file that is not JSON, or holds a bad template, is one line, exit 1."""
    bad_json = tmp_path / "bad.json"
    bad_json.write_text('{"truce": ')
    run("db", "upgrade", "--db", sqlite_url)
    [line] = failed("--db", sqlite_url, "--templates", str(bad_json), "state", "Syria")
    assert line.startswith(f"error: templates: {bad_json} is not valid JSON")
    bad_template = tmp_path / "template.json"
    bad_template.write_text('{"truce": {"Syria": {"truce": "declared"}}}')
    [line] = failed("--db", sqlite_url, "--templates", str(bad_template), "state", "Syria")
    assert line.startswith("error: templates.truce.effects.Syria: a template changes")
    missing = CliRunner().invoke(main, ["--templates", str(tmp_path / "none.json"), "verify"])
    assert 2 == missing.exit_code


def test_templates_from_the_environment(db_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """TIMELINE_TEMPLATES stands in for --templates."""
    run("--db", db_url, "import", str(SEED))
    monkeypatch.setenv("TIMELINE_TEMPLATES", str(TEMPLATES))
    answer = json.loads(run("--db", db_url, "state", "Syria", "--at", "2017-06-19", "--json"))
    assert {"aircraft_lost": 1, "truce.Syrian rebels": "declared"} == answer["values"]


# -- correct and retract --------------------------------------------------------------------


def test_correct_then_retract(db_url: str) -> None:
    """correct and retract record new events; --known-at before them sees the old answer."""
    options = seeded(db_url)
    suspended = "01900000-0000-7000-8000-000000000008"
    out = run(*options, "correct", suspended, "--occurred-at", "June 20 2017")
    assert re.fullmatch(
        rf"recorded correction \S+ of {suspended}: position 18, cooperation_suspended by "
        r"Russia, occurred 2017-06-20T00:00:00.000000Z \(day\)\n",
        out,
    )
    with timeline.open(db_url) as tl:
        fix = next(tl.events(after_position=17))
    before_fix = isoformat_before(fix.recorded_at)

    def cooperation(*extra: str) -> object:
        answer = json.loads(
            run(*options, "state", "Russia", "--at", "2017-06-19", *extra, "--json")
        )
        return answer["values"].get("cooperation.US")

    assert "active" == cooperation()
    assert "suspended" == cooperation("--known-at", before_fix)
    out = run(*options, "retract", "01900000-0000-7000-8000-000000000017", "--reason", "test")
    assert out.startswith("recorded retraction ")
    assert out.endswith(" of 01900000-0000-7000-8000-000000000017: position 19\n")
    assert cooperation() is None
    assert "suspended" == cooperation("--known-at", before_fix)
    run(*options, "correct", "01900000-0000-7000-8000-000000000004", "--no-targets")
    with timeline.open(db_url) as tl:
        assert () == next(tl.events(after_position=19)).targets


SUSPENDED = "01900000-0000-7000-8000-000000000008"
"""The seed's cooperation_suspended: Russia, with the US, on June 19 (reported that day)."""


def correction_id(output: str) -> str:
    """The id in ``recorded correction ID of ...``."""
    found = re.match(r"recorded correction (\S+) of ", output)
    assert found, output
    return found.group(1)


def test_record_reported_at(db_url: str) -> None:
    """record --reported-at stores when the claim became public; readers' --reported-by
    leave it out before then."""
    out = run(
        "--db", db_url, "record", "truce", "Syria", "2017-06-17", "--incident", "daraa",
        "--reported-at", "June 20 2017",
    )  # fmt: skip
    assert out.endswith(
        "occurred 2017-06-17T00:00:00.000000Z (day), reported 2017-06-20T00:00:00.000000Z (day)\n"
    )
    with timeline.open(db_url) as tl:
        assert ("2017-06-20", "day") == (
            next(tl.events()).reported[0].date().isoformat(),
            next(tl.events()).reported[1],
        )

    def listed(*extra: str) -> list[str]:
        found = run("--db", db_url, "events", "--format", "jsonl", *extra).splitlines()
        return [json.loads(line)["type"] for line in found]

    assert [] == listed("--reported-by", "2017-06-19")
    assert ["truce"] == listed("--reported-by", "2017-06-20")
    assert ["truce"] == listed()
    table = run("--db", db_url, "events").splitlines()
    assert "reported (UTC)" in table[0]
    assert ["1", "2017-06-17", "00:00", "day", "2017-06-20", "truce", "Syria"] == table[1].split()
    plain = run("--db", db_url, "record", "truce", "Syria", "2017-06-18", "--incident", "daraa")
    assert "reported" not in plain  # reported when recorded: nothing more to say


def test_correct_reported_at_and_retract_the_correction(db_url: str) -> None:
    """correct --reported-at gives the correction its own reported time: --reported-by
    before it sees the event as it was; retracting the correction (by its id) takes the
    event back to its earlier form."""
    options = seeded(db_url)
    out = run(
        *options, "correct", SUSPENDED, "--occurred-at", "2017-06-20", "--reported-at", "2017-06-21"
    )
    assert out.endswith(", reported 2017-06-21T00:00:00.000000Z (day)\n")
    fix = correction_id(out)

    def cooperation(*extra: str) -> object:
        answer = json.loads(
            run(*options, "state", "Russia", "--at", "2017-06-19", *extra, "--json")
        )
        return answer["values"].get("cooperation.US")

    assert "active" == cooperation()  # moved to June 20
    assert "suspended" == cooperation("--reported-by", "2017-06-20")
    assert "active" == cooperation("--reported-by", "2017-06-21")
    out = run(*options, "retract", fix, "--reason", "it was June 19", "--reported-at", "2017-06-22")
    assert out.endswith(f" of {fix}: position 19, reported 2017-06-22T00:00:00.000000Z (day)\n")
    assert "suspended" == cooperation()
    assert "active" == cooperation("--reported-by", "2017-06-21")
    [line] = run(
        *options, "events", "--current", "--type", "cooperation_suspended", "--format", "jsonl"
    ).splitlines()
    back = json.loads(line)
    assert (SUSPENDED, "2017-06-19T00:00:00.000000Z") == (back["id"], back["occurred_at"])


def test_events_table_says_which_rows_mend_which(db_url: str) -> None:
    """A new user's trial: ``events --type cooperation_suspended`` after a correction
    listed two suspensions, the correction looking like a second event of its own; the
    table now says what each correction or retraction mends (by position when listed)."""
    options = seeded(db_url)
    run(
        *options, "correct", SUSPENDED, "--occurred-at", "2017-06-20", "--reported-at", "2017-06-21"
    )
    asked = (*options, "events", "--type", "cooperation_suspended")
    header, original, fix = run(*asked).splitlines()
    assert header.split()[-1] == "mends"
    assert original.rstrip().endswith("Russia  US")  # the event itself mends nothing
    assert "corrects 8" == re.split(r"  +", fix)[-1]
    retracted = run(*options, "retract", SUSPENDED, "--reason", "unsure")
    assert "retract" in retracted
    last = run(*options, "events", "--type", "retraction").splitlines()[-1]
    assert f"retracts {SUSPENDED}" == re.split(r"  +", last)[-1]
    assert "mends" not in run(*options, "events", "--type", "truce").splitlines()[0]


@pytest.mark.parametrize("written", ["US;US-led coalition", "US, US-led coalition"])
def test_record_refuses_a_target_that_reads_as_two(tmp_path: Path, written: str) -> None:
    """A new user's trial: ``--target "US;US-led coalition"``, written as a CSV cell
    writes two targets, stored one actor named ``US;US-led coalition``, so the threat
    was not among the US's events; the CSV cell and ``Event(targets="US, Iraq")`` are
    refused for this, naming both readings."""
    db = f"sqlite:///{tmp_path / 'x.db'}"
    lines = failed("--db", db, "record", "threat_issued", "Russia", "2017-06-19",
                   "--incident", "x", "--target", written)  # fmt: skip
    assert lines[0].startswith("error: targets: ")
    assert "--target once per name" in lines[0]
    with timeline.open(db) as tl:
        assert 0 == len(list(tl.events()))


def test_record_takes_a_json_list_for_a_target_with_a_comma(tmp_path: Path) -> None:
    """``--target '["Korea, Republic of"]'`` is one target holding a comma, as the JSON
    list of a CSV cell is; a list of two names gives two targets."""
    db = f"sqlite:///{tmp_path / 'x.db'}"
    run("--db", db, "record", "threat_issued", "Russia", "2017-06-19", "--incident", "x",
        "--target", '["Korea, Republic of"]', "--target", '["US", "Iraq"]')  # fmt: skip
    with timeline.open(db) as tl:
        assert [("Korea, Republic of", "US", "Iraq")] == [e.targets for e in tl.events()]


def test_events_current(db_url: str) -> None:
    """events --current lists an event corrected twice once, with the corrected fields,
    and says so in the table; a retracted event is left out; JSON Lines and CSV keep
    their columns."""
    options = seeded(db_url)
    run(
        *options, "correct", SUSPENDED, "--occurred-at", "2017-06-20", "--reported-at", "2017-06-21"
    )
    run(
        *options,
        "correct",
        SUSPENDED,
        "--data",
        '{"note": "a test"}',
        "--reported-at",
        "2017-06-22",
    )
    run(*options, "retract", "01900000-0000-7000-8000-000000000011", "--reason", "unsure")
    asked = (*options, "events", "--type", "cooperation_suspended")
    assert 3 == len(run(*asked, "--format", "jsonl").splitlines())  # the event and its fixes
    [line] = run(*asked, "--current", "--format", "jsonl").splitlines()
    current = json.loads(line)
    first = json.loads(run(*asked, "--format", "jsonl").splitlines()[0])
    assert list(first) == list(current)
    assert (SUSPENDED, 8, "2017-06-20T00:00:00.000000Z", {"note": "a test"}) == (
        current["id"],
        current["position"],
        current["occurred_at"],
        current["data"],
    )
    header, row = run(*asked, "--current").splitlines()
    assert header.split()[-1] == "corrected"
    assert ["8", "2017-06-20", "00:00", "day", "2017-06-19", "cooperation_suspended", "Russia"] == (
        row.split()[:7]
    )
    assert ["US", "2 corrections"] == re.split(r"  +", row)[-2:]
    everything = run(*options, "events", "--current", "--format", "csv").splitlines()
    assert 16 == len(everything) - 1  # 17 events, one retracted; no fixes or retractions
    assert everything[0] == run(*options, "events", "--format", "csv").splitlines()[0]
    assert "drone_shootdown" not in "".join(everything)
    # --reported-by before the second fix: shaped by the first alone
    table = run(*asked, "--current", "--reported-by", "2017-06-21").splitlines()
    assert ["US", "1 correction"] == re.split(r"  +", table[1])[-2:]
    # the filters apply to the corrected fields: the event moved out of June 19
    assert "(no events)" in run(*asked, "--current", "--until", "2017-06-19")


def test_revisions(db_url: str) -> None:
    """revisions lists every form of a claim in reported order: the recorded form, each
    correction with the fields it changed, a retracted correction and the retraction;
    --json gives the same as a list; the bounds narrow it."""
    options = seeded(db_url)
    first = correction_id(
        run(
            *options,
            "correct",
            SUSPENDED,
            "--occurred-at",
            "2017-06-20",
            "--reported-at",
            "2017-06-21",
        )
    )
    second = correction_id(
        run(
            *options, "correct", SUSPENDED, "--data", '{"note": "a test"}',
            "--reported-at", "2017-06-22 10:00 +03:00",
        )
    )  # fmt: skip
    run(*options, "retract", second, "--reason", "a typo", "--reported-at", "2017-06-23")
    run(*options, "retract", SUSPENDED, "--reason", "not so", "--reported-at", "2017-06-24")
    lines = run(*options, "revisions", first).splitlines()
    assert f"Revisions of {SUSPENDED} (cooperation_suspended by Russia), as known now:" == lines[0]
    assert ["change", "reported", "(UTC)", "recorded_at", "(UTC)", "by", "claim"] == lines[
        1
    ].split()
    rows = [re.split(r"  +", line) for line in lines[2:]]
    assert [
        ("recorded", "2017-06-19 (day)", SUSPENDED),
        ("corrected", "2017-06-21 (day)", first),
        ("corrected", "2017-06-22 07:00 (minute)", second),
        ("correction retracted", "2017-06-23 (day)", None),
        ("retracted", "2017-06-24 (day)", None),
    ] == [
        (row[0], row[1], row[3] if row[3] in (SUSPENDED, first, second) else None) for row in rows
    ]
    claims = [row[-1] for row in rows]
    assert claims[0].startswith(
        "type: cooperation_suspended; actor: Russia; targets: US; occurred_at: 2017-06-19 (day); "
        'data: {"announced_by": "Russian Defence Ministry"'
    )
    assert ["occurred_at: 2017-06-20 (day)", 'data: {"note": "a test"}'] == claims[1:3]
    assert claims[3].startswith('data: {"announced_by"')  # back to the data it had
    assert "(retracted: not so)" == claims[4]
    assert all(re.fullmatch(r"20\d\d-\d\d-\d\dT[\d:.]+Z", row[2]) for row in rows)

    document = json.loads(run(*options, "revisions", SUSPENDED, "--json"))
    assert ["recorded", "corrected", "corrected", "correction retracted", "retracted"] == [
        r["change"] for r in document
    ]
    assert [
        ("2017-06-19T00:00:00.000000Z", "day"),
        ("2017-06-21T00:00:00.000000Z", "day"),
        ("2017-06-22T07:00:00.000000Z", "minute"),
        ("2017-06-23T00:00:00.000000Z", "day"),
        ("2017-06-24T00:00:00.000000Z", "day"),
    ] == [(r["reported_at"], r["reported_precision"]) for r in document]
    assert [SUSPENDED, first, second] == [r["by"] for r in document[:3]]
    assert [None, None, None, "a typo", "not so"] == [r["reason"] for r in document]
    assert ["2017-06-19T00:00:00.000000Z", "2017-06-20T00:00:00.000000Z"] == [
        r["event"]["occurred_at"] for r in document[:2]
    ]
    assert {"note": "a test"} == document[2]["event"]["data"]
    assert "2017-06-20T00:00:00.000000Z" == document[3]["event"]["occurred_at"]
    assert document[4]["event"] is None
    assert all(r["event"] is None or r["event"]["id"] == SUSPENDED for r in document)

    narrowed = json.loads(
        run(*options, "revisions", SUSPENDED, "--reported-by", "2017-06-21", "--json")
    )
    assert ["recorded", "corrected"] == [r["change"] for r in narrowed]
    assert (
        "from claims reported by the end of 2017-06-22 (UTC):"
        in run(*options, "revisions", SUSPENDED, "--reported-by", "2017-06-22").splitlines()[0]
    )
    missing = "01900000-0000-7000-8000-0000000000ff"
    assert [f"error: event_id: no event {missing} is stored"] == failed(
        *options, "revisions", missing
    )
    assert [
        f"error: event_id: no event {SUSPENDED} is stored on this basis (position 21, "
        "reported by the end of 2017-06-18 (UTC))"
    ] == failed(*options, "revisions", SUSPENDED, "--reported-by", "2017-06-18")


def isoformat_before(moment: dt.datetime) -> str:
    """The exact moment one microsecond before ``moment``, as text the CLI reads."""
    return (moment - dt.timedelta(microseconds=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_correct_needs_something_to_correct(sqlite_url: str) -> None:
    """correct without a field, or with --target and --no-targets, is a usage error."""
    event_id = "01900000-0000-7000-8000-000000000008"
    assert 2 == CliRunner().invoke(main, ["--db", sqlite_url, "correct", event_id]).exit_code
    both = ["--db", sqlite_url, "correct", event_id, "--target", "US", "--no-targets"]
    assert 2 == CliRunner().invoke(main, both).exit_code
    assert 2 == CliRunner().invoke(main, ["--db", sqlite_url, "retract", event_id]).exit_code


def test_mending_errors_are_one_line(db_url: str) -> None:
    """An unknown id, a bad value or a retracted event: one line naming the field, exit 1."""
    options = seeded(db_url)
    missing = "01900000-0000-7000-8000-0000000000ff"
    assert [f"error: event_id: no event {missing} is stored"] == failed(
        *options, "correct", missing, "--actor", "US"
    )
    assert ["error: event_id: 'nope' is not a UUID"] == failed(
        *options, "retract", "nope", "--reason", "x"
    )
    shootdown = "01900000-0000-7000-8000-000000000006"
    assert [
        "error: type: must be snake_case (lower-case letters, digits, '_'), got 'Shot Down'"
    ] == (failed(*options, "correct", shootdown, "--type", "Shot Down"))
    run(*options, "retract", shootdown, "--reason", "test")
    assert [f"error: event_id: {shootdown} is retracted already"] == failed(
        *options, "retract", shootdown, "--reason", "again"
    )


def test_state_errors_are_one_line(db_url: str) -> None:
    """A date that cannot be read is one line naming the option's field, exit 1."""
    run("db", "upgrade", "--db", db_url)
    assert ["error: at: '19/06/17' has no four-digit year; write a full date"] == failed(
        "--db", db_url, "state", "Russia", "--at", "19/06/17"
    )
    assert ["error: known_at: 'Monday' has no year; write a full date"] == failed(
        "--db", db_url, "state", "Russia", "--known-at", "Monday"
    )


@pytest.mark.parametrize(
    "command",
    [
        ("events",),
        ("state", "Russia"),
        ("history", "Russia"),
        ("revisions", "01900000-0000-7000-8000-000000000008"),
        ("report", "sequence", "shootdown", "truce"),
        ("chart", "-o", "never-written.svg"),
    ],
    ids=lambda c: c[0],
)
def test_reported_by_errors_are_one_line(sqlite_url: str, command: tuple[str, ...]) -> None:
    """Every reader's --reported-by that cannot be read is one line naming reported_by."""
    run("db", "upgrade", "--db", sqlite_url)
    assert ["error: reported_by: 'Monday' has no year; write a full date"] == failed(
        "--db", sqlite_url, *command, "--reported-by", "Monday"
    )


@pytest.mark.parametrize(
    "command",
    [
        ("events",),
        ("actors",),
        ("state", "Russia"),
        ("history", "Russia"),
        ("revisions", "01900000-0000-7000-8000-000000000008"),
        ("report", "sequence", "shootdown", "cooperation_suspended"),
        ("chart", "--output", "chart.svg"),
        ("export", "--output", "out.jsonl"),
        ("head",),
        ("verify",),
    ],
)
def test_a_reader_of_a_mistyped_db_creates_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: tuple[str, ...]
) -> None:
    """A review (of verify) and a new user's trial: a command that only reads, given a
    database without timeline's schema (a mistyped --db), made a new empty store there
    and answered from it ("(no events)", "ok: 0 events verified"), exit 0."""
    monkeypatch.chdir(tmp_path)
    typo = tmp_path / "incidnets.db"
    [line] = failed("--db", f"sqlite:///{typo}", *command)
    assert line.startswith(f"error: sqlite:///{typo} has no timeline schema: nothing to read")
    assert not typo.exists()


def test_a_reader_of_a_file_that_is_no_database_says_so_in_one_plain_line(
    tmp_path: Path,
) -> None:
    """A reader given a file that is not a database says what the database said, as
    ``timeline.open`` does, without SQLAlchemy's class name, escaped line break and link."""
    path = tmp_path / "templates.json"
    path.write_text('{"truce": {}}\n')
    [line] = failed("--db", f"sqlite:///{path}", "state", "Russia")
    assert f"error: cannot read sqlite:///{path}: file is not a database" == line
    with pytest.raises(timeline.StoreError) as refused:
        timeline.schema_revision(f"sqlite:///{path}")
    assert "sqlalche.me" not in str(refused.value)


def test_a_reader_reads_a_store_named_by_a_sqlite_uri(tmp_path: Path) -> None:
    """A last review: the check that a reading command's database has timeline's schema
    looked for a file named ``file:/path/x.db`` when --db was a SQLite URI filename (a
    read-only open, ``?mode=ro&uri=true``), found none and refused a store that
    ``timeline events`` had read before."""
    path = tmp_path / "store.db"
    with timeline.open(f"sqlite:///{path}") as tl:
        tl.record("truce", "Syria", "2017-06-17", incident="s")
    out = run("--db", f"sqlite:///file:{path}?mode=ro&uri=true", "events")
    assert "truce" in out
    assert timeline.schema_revision(f"sqlite:///file:{path}?mode=ro&uri=true") is not None


def test_reported_at_errors_are_one_line(db_url: str) -> None:
    """A --reported-at that cannot be read is one line naming reported_at; nothing stored."""
    options = seeded(db_url)
    bad = ("--reported-at", "19/06/17")
    expected = ["error: reported_at: '19/06/17' has no four-digit year; write a full date"]
    assert expected == failed(
        *options, "record", "truce", "Syria", "2017-06-17", "--incident", "x", *bad
    )
    event_id = "01900000-0000-7000-8000-000000000008"
    assert expected == failed(*options, "correct", event_id, "--actor", "US", *bad)
    assert expected == failed(*options, "retract", event_id, "--reason", "x", *bad)
    assert 17 == stored_count(db_url)


# -- examples/status.sh ---------------------------------------------------------------------


def status_script(*args: str, db: str | None = None) -> str:
    """Run examples/status.sh with bash, as a user would; return what it prints."""
    env = {k: v for k, v in os.environ.items() if k not in ("TIMELINE_DB", "TIMELINE_TEMPLATES")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    if db is not None:
        env["TIMELINE_DB"] = db
    bash = shutil.which("bash")
    assert bash is not None
    result = subprocess.run(
        [bash, str(EXAMPLES / "status.sh"), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert 0 == result.returncode, result.stderr
    return result.stdout


def test_status_script_answers_from_the_seed() -> None:
    """status.sh ACTOR DATE loads the seed into a temporary file and prints the state."""
    out = status_script("Russia", "June 21 2017")
    assert out.startswith("Russia on 2017-06-21 (the whole UTC day), as known now: 5 events")
    assert "cooperation.US           suspended" in out.splitlines()
    assert "cooperation.US  active" in status_script("Russia", "2017-06-18")


def test_status_script_known_at_on_a_database(db_url: str) -> None:
    """With TIMELINE_DB, status.sh asks that database; KNOWN_AT sees what it knew then."""
    events = [json.loads(line) for line in SEED.read_text(encoding="utf-8").splitlines()]
    with timeline.open(db_url) as tl:
        first = tl.append([event_from_dict(e) for e in events[-1:]])
        while dt.datetime.now(dt.UTC) <= first[-1].recorded_at + dt.timedelta(milliseconds=5):
            time.sleep(0.005)
        tl.append([event_from_dict(e) for e in events[:-1]])
    known = first[-1].recorded_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    then = status_script("Russia", "2017-06-21", known, db=db_url)
    assert "cooperation.US  active" in then.splitlines()
    assert "cooperation.US           suspended" in status_script("Russia", "2017-06-21", db=db_url)


# -- the README -----------------------------------------------------------------------------


def readme_commands(section: str | None = None) -> list[list[str]]:
    """The ``timeline ...`` command lines of the README's sh blocks (of one section)."""
    text = README.read_text(encoding="utf-8")
    if section is not None:
        start = text.index(f"## {section}\n")
        end = text.find("\n## ", start + 1)
        text = text[start : end if end != -1 else None]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", text, re.S):
        for line in block.replace("\\\n", " ").splitlines():
            # split at the shell's && || ; | outside quotes ('a|b:actor' is one word)
            lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
            lexer.whitespace_split, lexer.commenters = True, "#"
            words: list[str] = []
            for token in [*lexer, ";"]:
                if token not in ("&&", "||", ";", "|"):
                    words.append(token)
                    continue
                if words and words[0].rsplit("/", 1)[-1] == "timeline":
                    commands.append(words[1:])
                words = []
    return commands


def parse(args: list[str]) -> click.Command:
    """Parse ``timeline ARGS`` as click would, down to the command; return it."""
    ctx = main.make_context("timeline", list(args))
    ctx.obj = Context()
    command: click.Command = main
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        name, sub, rest = command.resolve_command(ctx, rest)
        assert sub is not None and name is not None
        ctx = sub.make_context(name, rest, parent=ctx)
        ctx.obj = ctx.parent.obj if ctx.parent is not None else None
        command = sub
    return command


def test_readme_shows_every_command() -> None:
    """Every command of the CLI appears in the README's command reference, and back."""
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Command reference") :]
    for name, command in all_commands(main):
        if not isinstance(command, click.Group):
            assert f"`timeline {name}" in section, f"timeline {name} is not in the README"
    named = set(re.findall(r"`timeline ([a-z]+(?: [a-z]+)?)", section))
    known = {name for name, _ in all_commands(main)}
    assert {n for n in named if n.split()[0] not in known} == set()


def help_examples() -> list[list[str]]:
    """The ``timeline ...`` lines of every command's help example."""
    found = []
    for _, command in all_commands(main):
        example = (command.help or "").split("Example:", 1)[-1]
        for line in example.replace("\\\n", " ").splitlines():
            words = shlex.split(line)
            if words and words[0] == "timeline":
                found.append(words[1:])
    return found


@pytest.mark.parametrize("args", help_examples(), ids=lambda a: " ".join(a)[:60])
def test_help_examples_parse(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every example in the commands' help is a valid invocation."""
    parse_in_a_checkout(args, tmp_path, monkeypatch)


@pytest.mark.parametrize("args", readme_commands(), ids=lambda a: " ".join(a)[:60])
def test_readme_command_lines_parse(
    args: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every ``timeline ...`` line in the README's sh blocks is a valid invocation."""
    parse_in_a_checkout(args, tmp_path, monkeypatch)


def parse_in_a_checkout(args: list[str], folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Parse ``timeline ARGS`` in ``folder`` holding a copy of examples/, as from a checkout."""
    shutil.copytree(EXAMPLES, folder / "examples")
    monkeypatch.chdir(folder)
    for arg in args:  # a file an earlier command writes: an empty stand-in lets it parse
        if re.fullmatch(r"[\w./-]+\.(jsonl|csv|json)", arg) and not Path(arg).exists():
            Path(arg).touch()
    parse(args)


def test_readme_command_reference_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The command reference's examples run as written, in order, in a folder with examples/."""
    shutil.copytree(EXAMPLES, tmp_path / "examples")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TIMELINE_DB", raising=False)
    commands = readme_commands("Command reference")
    assert len(commands) >= 10
    for args in commands:
        result = CliRunner().invoke(main, args)
        assert 0 == result.exit_code, f"timeline {shlex.join(args)}: {result.output}"


SEED_STEPS = ("shootdown:actor", "cooperation_suspended:targets", "aircraft_repositioned:actor")


@pytest.mark.parametrize(
    ("step", "field"), [("shootdown:", "key"), ("shootdown:actor/", "max_gap")]
)
def test_a_step_with_an_empty_key_or_gap_is_refused(db_url: str, step: str, field: str) -> None:
    """'shootdown:' ran keyed on the incident and 'shootdown:actor/' with no gap limit,
    silently, while 'shootdown:actor+' (an empty key field too) was refused."""
    seeded(db_url)
    output = run("--db", db_url, "report", "sequence", step, "aircraft_repositioned:actor", code=1)
    assert f"{field}:" in output


def test_report_sequence_in_four_formats(db_url: str) -> None:
    """report sequence finds the seed's pattern once, keyed on the US, in every format."""
    seeded(db_url)
    text = run("--db", db_url, "report", "sequence", *SEED_STEPS, "--within", "3d")
    assert "matches: 1" in text and "  US  " in text and "8h 17m" in text
    markdown = run("--db", db_url, "report", "sequence", *SEED_STEPS, "--format", "markdown")
    assert "| 1 | US |" in markdown
    document = json.loads(
        run("--db", db_url, "report", "sequence", *SEED_STEPS, "--within", "3d", "--format", "json")
    )
    assert ["US"] == [m["key"] for m in document["matches"]]
    assert [False] == [m["order_certain"] for m in document["matches"]]
    rows = run("--db", db_url, "report", "sequence", *SEED_STEPS, "--format", "csv").splitlines()
    assert 4 == len(rows) and rows[0].startswith("match,key,step")


def test_report_sequence_options(db_url: str) -> None:
    """Absent steps, max gaps, where, until, by, known-at and certain-only all reach the API."""
    seeded(db_url)
    base = ("--db", db_url, "report", "sequence", "--format", "json")

    def count(*args: str) -> int:
        return len(json.loads(answer(*base, *args))["matches"])

    assert 1 == count(*SEED_STEPS)
    assert 0 == count(*SEED_STEPS, "--certain-only")
    assert 0 == count("shootdown:actor", "cooperation_suspended:targets/1h")
    assert 1 == count("shootdown:actor", "cooperation_suspended:targets/1d")
    # the condemnation and the suspension are both known only to June 19: the suspension
    # may have come first, so the match is possible (flagged), not certain
    absent = ("shootdown:actor", "!condemnation:targets", "cooperation_suspended:targets")
    assert 1 == count(*absent)
    assert 0 == count(*absent, "--certain-only")
    assert 1 == count(*SEED_STEPS, "--where", "1:data.aircraft=Su-22")
    assert 0 == count(*SEED_STEPS, "--where", "1:data.aircraft=MiG-29")
    # the condemnation (until) and the suspension are both known only to June 19: the
    # condemnation may have come after, so the certain match is left possible (flagged)
    pair = ("shootdown:actor", "cooperation_suspended:targets")
    assert 1 == count(*pair, "--certain-only")
    assert 1 == count(*pair, "--until", "condemnation:targets")
    assert 0 == count(*pair, "--until", "condemnation:targets", "--certain-only")
    assert 1 == count(*SEED_STEPS, "--by", "incident")
    assert 0 == count(*SEED_STEPS, "--known-at", "2000-01-01")


def test_report_sequence_reported_by(db_url: str) -> None:
    """report sequence --reported-by: the repositioning, reported June 20, is not there
    by June 19; the report names its bound in text and JSON."""
    seeded(db_url)
    base = ("--db", db_url, "report", "sequence", *SEED_STEPS, "--within", "3d")
    text = run(*base, "--reported-by", "2017-06-19")
    assert "[within 3d, reported by the end of 2017-06-19 (UTC)]" in text.splitlines()[0]
    assert "matches: 0" in text
    document = json.loads(run(*base, "--reported-by", "2017-06-20", "--format", "json"))
    assert ["US"] == [m["key"] for m in document["matches"]]
    assert {"before": "2017-06-21T00:00:00.000000Z"} == (document["query"]["reported_by"])
    assert json.loads(run(*base, "--format", "json"))["query"]["reported_by"] is None


def test_report_sequence_refusals(db_url: str) -> None:
    """Bad steps are one-line errors (exit 1); a bad --where is a usage error (exit 2)."""
    assert "error: key: 'bogus' is not a key" in run(
        "--db", db_url, "report", "sequence", "shootdown:bogus", code=1
    )
    assert "error: max_gap: cannot read" in run(
        "--db", db_url, "report", "sequence", "a", "b/soon", code=1
    )
    run("--db", db_url, "report", "sequence", "a", "b", "--where", "3:x=1", code=2)
    run("--db", db_url, "report", "sequence", code=2)


def test_python_dash_m_timeline_runs_the_command(tmp_path: Path) -> None:
    """`python -m timeline` is the `timeline` command, for when the script is not on PATH."""
    url = f"sqlite:///{tmp_path / 'm.db'}"
    run("--db", url, "record", "strike", "Iran", "2017-06-18", "--incident", "s")
    done = subprocess.run(
        [sys.executable, "-m", "timeline", "--db", url, "events", "--actor", "Iran"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (0, "") == (done.returncode, done.stderr)
    assert "strike" in done.stdout and "Iran" in done.stdout
