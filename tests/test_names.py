"""What is in the store: actors, incidents and types with counts and first/last times."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner

import timeline
from timeline.cli import main

SEED = Path(__file__).resolve().parent.parent / "examples" / "syria-2017-06.jsonl"
UTC = dt.UTC


def test_actors_incidents_and_types_with_counts_and_times(tl: timeline.Timeline) -> None:
    """Each name comes once, sorted, with how many events name it and the earliest and
    latest occurred_at; an actor counts the events naming it as target or in effects."""
    tl.record("strike", "US", "2017-06-18T15:43Z", incident="a", targets=["Syria"])
    tl.record("truce", "Syria", "2017-06-20", incident="b",
              effects={"Russia": {"mediator": True}})  # fmt: skip
    assert [
        timeline.Summary("Russia", 1, dt.datetime(2017, 6, 20, tzinfo=UTC),
                         dt.datetime(2017, 6, 20, tzinfo=UTC)),
        timeline.Summary("Syria", 2, dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC),
                         dt.datetime(2017, 6, 20, tzinfo=UTC)),
        timeline.Summary("US", 1, dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC),
                         dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC)),
    ] == list(tl.actors())  # fmt: skip
    assert [("a", 1), ("b", 1)] == [(s.name, s.events) for s in tl.incidents()]
    assert ["strike", "truce"] == tl.types().names()


def test_corrections_and_retractions_are_not_counted_on_their_own(tl: timeline.Timeline) -> None:
    """A correction or retraction mends an event: the counts are of the events."""
    e = tl.record("strike", "US", "2017-06-18", incident="a")
    tl.correct(e.id, occurred_at="2017-06-19")
    tl.retract(e.id, "no such strike")
    assert [("strike", 1)] == [(s.name, s.events) for s in tl.types()]
    assert [("US", 1)] == [(s.name, s.events) for s in tl.actors()]


def test_on_a_basis(tl: timeline.Timeline) -> None:
    """known_at and reported_by narrow the listing like every reader; the answer carries
    its basis."""
    tl.record("strike", "US", "2017-06-18", incident="a", reported_at="2017-06-18")
    tl.record("truce", "Syria", "2017-06-20", incident="a", reported_at="2017-06-21")
    assert ["US"] == tl.actors(reported_by="2017-06-19").names()
    assert [] == tl.types(known_at="2000-01-01")
    found = tl.incidents()
    assert 2 == found.basis.position
    assert tl.as_of(found.basis).incidents() == found


def test_the_commands(tmp_path: Path) -> None:
    """timeline actors, incidents and types print a table, JSON or CSV."""
    url = f"sqlite:///{tmp_path / 'n.db'}"
    with timeline.open(url) as tl:
        tl.import_file(SEED)
        expected = [s.name for s in tl.actors()]

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, ["--db", url, *args])
        assert 0 == result.exit_code, result.output
        return result.output

    table = run("actors").splitlines()
    assert ["actor", "events", "first", "(UTC)", "last", "(UTC)"] == table[0].split()
    assert "US                10      2015-10-20 00:00  2017-06-19 21:00" in table
    assert expected == [row["name"] for row in json.loads(run("actors", "--json"))]
    assert [{"name": "syria-2017-06", "events": 17, "first": "2015-10-20T00:00:00.000000Z",
             "last": "2017-06-19T21:00:00.000000Z"}] == json.loads(
        run("incidents", "--format", "json"))  # fmt: skip
    rows = run("types", "--format", "csv").splitlines()
    assert "name,events,first,last" == rows[0]
    assert "shootdown,1,2017-06-18T15:43:00.000000Z,2017-06-18T15:43:00.000000Z" in rows
    assert "(no types)" in run("types", "--known-at", "2000-01-01")
