"""The command line, through click's CliRunner: output, exit codes, one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

import timeline
from timeline.cli import main


def run(*args: str, code: int = 0) -> str:
    """Run ``timeline ARGS`` and return its output, checking the exit code."""
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert code == result.exit_code, result.output
    return result.output


def test_db_upgrade_and_current(db_url: str) -> None:
    """db current reports an empty database; db upgrade creates the schema; current agrees."""
    assert "has no timeline schema" in run("--db", db_url, "db", "current", code=1)
    assert "is at schema revision 0002 (newest)" in run("db", "upgrade", "--db", db_url)
    assert "is at schema revision 0002 (newest)" in run("--db", db_url, "db", "current")
    assert "is at schema revision 0002 (newest)" in run("db", "current", "--db", db_url)


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


def test_demo(tmp_path: Path) -> None:
    """The demo loads the seed into a fresh file, shows it in time order, and can run again."""
    out = tmp_path / "demo.db"
    first = run("demo", "--out", str(out))
    assert "Recorded 16 events of the seed article" in first
    assert "ok: 16 events verified" in first
    lines = first.splitlines()
    truce = next(i for i, line in enumerate(lines) if " truce " in line)
    shootdown = next(i for i, line in enumerate(lines) if " shootdown " in line)
    assert truce < shootdown  # time order, though the article tells the truce last
    assert first == run("demo", "--out", str(out))  # a fresh file each time


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
