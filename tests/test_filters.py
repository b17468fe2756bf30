"""A step of several types, and events filtered by source and data, as steps filter."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

import timeline
from timeline import Step
from timeline.cli import main


@pytest.fixture
def strikes(tl: timeline.Timeline) -> timeline.Timeline:
    """An airstrike and a drone strike by the US, then a withdrawal; two reports by two
    publishers."""
    tl.record("airstrike", "US", "2017-06-18T10:00Z", incident="s", targets=["ISIS"],
              source={"publisher": "SANA"}, data={"aircraft": "F-15"})  # fmt: skip
    tl.record("drone_strike", "US", "2017-06-19T10:00Z", incident="s", targets=["ISIS"],
              source={"publisher": "Reuters"})  # fmt: skip
    tl.record("withdrawal", "ISIS", "2017-06-20T10:00Z", incident="s")
    return tl


def test_a_step_of_several_types(strikes: timeline.Timeline) -> None:
    """Step([a, b]) takes an event of either type; both strikes start a match."""
    either = Step(["airstrike", "drone_strike"], key="targets")
    assert ("airstrike", "drone_strike") == either.types
    assert "airstrike|drone_strike" == either.type
    report = strikes.sequence([either, Step("withdrawal", key="actor")])
    assert [["drone_strike", "withdrawal"]] == [[e.type for e in m.events] for m in report.matches]
    assert (2, 1) == report.funnel
    assert ("airstrike",) == Step(["airstrike", "airstrike"]).types


def test_a_step_of_no_type_or_a_bad_one_is_refused() -> None:
    """An empty list, a non-list and a bad name are refused, naming the field."""
    with pytest.raises(timeline.InvalidEventError, match="type: expected at least one"):
        Step([])
    with pytest.raises(timeline.InvalidEventError, match=r"type\[1\]: "):
        Step(["airstrike", "Drone Strike"])
    with pytest.raises(timeline.InvalidEventError, match="type: expected a type name or a list"):
        Step(3)  # type: ignore[arg-type]


def test_events_where_source_and_data(strikes: timeline.Timeline) -> None:
    """events(where=...) filters on source fields, data paths and targets, as a Step's
    where does; with current=True on the corrected fields; limit counts what passes."""
    assert ["airstrike"] == [e.type for e in strikes.events(where={"source.publisher": "SANA"})]
    assert ["airstrike"] == [e.type for e in strikes.events(where={"data.aircraft": "F-15"})]
    assert ["airstrike", "drone_strike"] == [
        e.type for e in strikes.events(where={"targets": "ISIS"})
    ]
    assert ["drone_strike"] == [
        e.type for e in strikes.events(where={"targets": "ISIS"}, since="2017-06-19", limit=1)
    ]
    assert ["withdrawal"] == [e.type for e in strikes.events(where=lambda e: not e.targets)]
    first = next(iter(strikes.events(where={"source.publisher": "SANA"})))
    strikes.correct(first.id, source={"publisher": "Reuters"})
    assert [] == list(strikes.events(where={"source.publisher": "SANA"}, current=True))
    assert 2 == len(list(strikes.events(where={"source.publisher": "Reuters"}, current=True)))
    with pytest.raises(timeline.InvalidEventError, match=r"where\.publisher: unknown field"):
        strikes.events(where={"publisher": "SANA"})


def test_the_command_line(strikes: timeline.Timeline) -> None:
    """--step a|b:KEY and events --where FIELD=VALUE reach the API."""

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, ["--db", strikes.url, *args])
        assert 0 == result.exit_code, result.output
        return result.stdout

    document = json.loads(run("report", "sequence", "airstrike|drone_strike:targets",
                              "withdrawal:actor", "--format", "json"))  # fmt: skip
    assert ["airstrike", "drone_strike"] == document["query"]["steps"][0]["types"]
    assert 1 == len(document["matches"])
    lines = run("events", "--where", "source.publisher=SANA", "--format", "jsonl").splitlines()
    assert ["airstrike"] == [json.loads(line)["type"] for line in lines]
    assert 2 == len(run("events", "--where", "targets=ISIS", "--format", "jsonl").splitlines())
    result = CliRunner().invoke(main, ["--db", strikes.url, "events", "--where", "nothing"])
    assert 2 == result.exit_code


def test_a_window_whose_since_starts_after_its_until_ends_is_refused(db_url: str) -> None:
    """A new user's trial: ``events --since 2017-06-20 --until 2017-06-18`` answered
    with nothing, silently. A window that holds nothing is refused, naming both bounds,
    by events, history and the chart; one day or one instant on both sides is a window."""
    with timeline.open(db_url) as tl:
        tl.record("shootdown", "US", "2017-06-18", incident="s", targets=["Syria"])
        refusal = r"since: 2017-06-20 starts after until \(2017-06-18\) ends: the window holds"
        for ask in (tl.events, lambda **w: tl.history("US", **w), tl.chart):
            with pytest.raises(timeline.InvalidEventError, match=refusal):
                ask(since="2017-06-20", until="2017-06-18")
        assert 1 == len(list(tl.events(since="2017-06-18", until="2017-06-18")))
        noon = "2017-06-18 12:00Z"
        assert 1 == len(list(tl.events(since=noon, until=noon)))  # an instant in the day
        with pytest.raises(timeline.InvalidEventError, match="starts after until"):
            tl.events(since="2017-06-18 12:01Z", until=noon)
    out = CliRunner().invoke(
        main, ["--db", db_url, "events", "--since", "2017-06-20", "--until", "2017-06-18"]
    )
    assert 1 == out.exit_code
    assert out.output.startswith("error: since: 2017-06-20 starts after until (2017-06-18)")


def test_a_name_that_reads_as_a_number_is_found_by_where(tl: timeline.Timeline) -> None:
    """A new user's trial: ``events --where actor=1917`` (and ``incident=2017``,
    ``targets=42``, a step's ``--where 1:actor=1917``) answered with nothing, silently:
    the value was read as the JSON number 1917, which no name equals. Names are text on
    the command line; from Python, a wanted name that is not text is refused, naming
    the field, rather than matching nothing."""
    tl.record("statement", "1917", "2017-06-18", incident="2017", targets=["42"])

    def run(*args: str) -> str:
        result = CliRunner().invoke(main, ["--db", tl.url, *args])
        assert 0 == result.exit_code, result.output
        return result.stdout

    for condition in ("actor=1917", "incident=2017", "targets=42", 'targets=["42"]'):
        lines = run("events", "--where", condition, "--format", "jsonl").splitlines()
        assert 1 == len(lines), condition
    document = json.loads(run("report", "sequence", "statement:actor", "--where",
                              "1:actor=1917", "--format", "json"))  # fmt: skip
    assert 1 == len(document["matches"])
    for path, wanted in (("actor", 1917), ("incident", 2017), ("targets", 42), ("type", 1)):
        with pytest.raises(timeline.InvalidEventError, match=rf"where\.{path}: expected "):
            tl.events(where={path: wanted})
    with pytest.raises(timeline.InvalidEventError, match=r"where\.targets: expected "):
        tl.events(where={"targets": ["42", 42]})
    assert 1 == len(list(tl.events(where={"actor": "1917", "targets": ["42"]})))


def test_events_of_no_type_are_refused_as_a_step_of_no_type_is(tl: timeline.Timeline) -> None:
    """A new user's trial: ``events(type=[])`` answered with nothing, silently, where
    ``Step([])`` is refused (``type: expected at least one type name``): a list built
    empty by a script is a mistake to name, not a filter that keeps nothing."""
    tl.record("airstrike", "US", "2017-06-18", incident="s")
    with pytest.raises(timeline.InvalidEventError, match="type: expected at least one type"):
        tl.events(type=[])
    assert ["airstrike"] == [e.type for e in tl.events(type=["airstrike"])]


def test_where_tells_true_from_1_and_a_list_from_its_text() -> None:
    """A sequence review: events(where={"data.x": True}) also found the event whose x is
    1 (Python's True == 1). A list and the text of its JSON were kept apart here, but not
    as a sequence's key (tests/test_sequence_rules.py); 1 and 1.0 stay one number."""
    with timeline.open("sqlite://") as tl:
        for value in (True, 1, ["US"], '["US"]'):
            tl.record("a", "US", "2017-06-18", incident="s", data={"x": value})
        for wanted, found in (
            (True, [True]),
            (1, [1]),
            (1.0, [1]),
            (["US"], [["US"]]),
            ('["US"]', ['["US"]']),
        ):
            assert found == [e.data["x"] for e in tl.events(where={"data.x": wanted})]


def test_where_holds_1_and_1_0_one_number_inside_a_list_or_object_too() -> None:
    """A last review: with true told from 1, a wanted list or object was compared by its
    canonical JSON, so ``where={"data.x": [1]}`` no longer found the x stored as
    ``[1.0]`` (``[1] == [1.0]`` before), while ``data.z: 1`` finds 1.0; true inside a
    list stays apart from 1."""
    with timeline.open("sqlite://") as tl:
        tl.record("a", "US", "2017-06-18", incident="s", data={"x": [1.0], "y": {"k": 2.0}})
        tl.record("a", "US", "2017-06-19", incident="s", data={"x": [True], "y": {"k": True}})
        assert [[1.0]] == [e.data["x"] for e in tl.events(where={"data.x": [1]})]
        assert [{"k": 2.0}] == [e.data["y"] for e in tl.events(where={"data.y": {"k": 2}})]
        assert [[True]] == [e.data["x"] for e in tl.events(where={"data.x": [True]})]
        assert [] == list(tl.events(where={"data.y": {"k": 1}}))
