"""Event values: what is accepted, and that every refusal names its field."""

from __future__ import annotations

import datetime as dt
import json
import math
import uuid
from pathlib import Path

import attrs
import pytest

import timeline
from timeline import Event, InvalidEventError

UTC = dt.UTC


def make(**overrides: object) -> Event:
    """An event of the seed, with some fields replaced."""
    fields: dict[str, object] = {
        "type": "shootdown",
        "actor": "US",
        "occurred_at": "2017-06-18T18:43+03:00",
        "incident": "syria-2017-06",
        "targets": ["Syria"],
    }
    fields.update(overrides)
    return Event(fields.pop("type"), fields.pop("actor"), fields.pop("occurred_at"), **fields)  # type: ignore[arg-type]


def test_a_valid_event_is_normalised() -> None:
    """Times go to UTC, precision is inferred, targets become a tuple, an id is made."""
    event = make(data={"aircraft": "Su-22", "seen": ("a", "b")})
    assert dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC) == event.occurred_at
    assert "minute" == event.precision
    assert ("Syria",) == event.targets
    assert {"aircraft": "Su-22", "seen": ["a", "b"]} == event.data
    assert 7 == event.id.version
    assert dt.datetime(2017, 6, 18, 15, 44, tzinfo=UTC) == event.occurred_until


def test_events_are_frozen_and_copy_their_inputs() -> None:
    """An event cannot be changed, nor changed through the caller's dict."""
    data = {"aircraft": "Su-22"}
    event = make(data=data)
    data["aircraft"] = "MiG-29"
    assert {"aircraft": "Su-22"} == event.data
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        event.actor = "Russia"  # type: ignore[misc]


def test_given_precision_wins_and_single_target_is_accepted() -> None:
    """An explicit precision overrides the inferred one; one target may be a string."""
    event = make(occurred_at=dt.datetime(2017, 6, 19, tzinfo=UTC), precision="day", targets="US")
    assert ("day", ("US",)) == (event.precision, event.targets)


def test_id_may_be_given_as_text() -> None:
    """An id given as text is kept as that UUID."""
    event = make(id="01900000-0000-7000-8000-000000000001")
    assert uuid.UUID("01900000-0000-7000-8000-000000000001") == event.id


@pytest.mark.parametrize(
    ("overrides", "field", "problem"),
    [
        ({"type": "Shoot Down"}, "type", "snake_case"),
        ({"type": ""}, "type", "snake_case"),
        ({"type": 7}, "type", "expected text"),
        ({"type": "a" * 101}, "type", "at most 100"),
        ({"actor": ""}, "actor", "must not be empty"),
        ({"actor": " US"}, "actor", "white space"),
        ({"actor": "U\x07S"}, "actor", "control character"),
        ({"actor": "x" * 201}, "actor", "at most 200"),
        ({"actor": None}, "actor", "expected text"),
        ({"incident": ""}, "incident", "must not be empty"),
        ({"targets": ["US", "US"]}, "targets", "appears twice"),
        ({"targets": ["US", ""]}, "targets[1]", "must not be empty"),
        ({"targets": {"US"}}, "targets", "got a set"),
        ({"targets": 5}, "targets", "expected a list"),
        ({"occurred_at": dt.datetime(2017, 6, 18, 18, 43)}, "occurred_at", "no time zone"),
        ({"occurred_at": "2017-06-31"}, "occurred_at", "cannot read"),
        ({"occurred_at": 1497800000}, "occurred_at", "expected a datetime"),
        ({"precision": "week"}, "precision", "must be one of"),
        ({"data": [1, 2]}, "data", "expected a JSON object"),
        ({"data": {"x": math.nan}}, "data.x", "not a JSON number"),
        ({"data": {"x": math.inf}}, "data.x", "not a JSON number"),
        ({"data": {"x": {1, 2}}}, "data.x", "not a JSON value"),
        ({"data": {"x": b"bytes"}}, "data.x", "not a JSON value"),
        ({"data": {1: "x"}}, "data", "keys must be text"),
        ({"data": {"x": "a\x00b"}}, "data.x", "NUL"),
        ({"data": {"when": dt.date(2017, 6, 18)}}, "data.when", "not a JSON value"),
        ({"effects": {"Russia": "suspended"}}, "effects.Russia", "expected {attribute: value}"),
        ({"effects": {"Russia": {"": 1}}}, "effects.Russia.", "non-empty dotted parts"),
        ({"effects": {"Russia": {"a..b": 1}}}, "effects.Russia.a..b", "non-empty dotted"),
        ({"effects": {"Russia": {"n": {"$inc": "1"}}}}, "effects.Russia.n", "needs a number"),
        ({"effects": {"Russia": {"n": {"$set": 1}}}}, "effects.Russia.n", "unknown operator"),
        ({"effects": {"": {"n": 1}}}, "effects actor", "must not be empty"),
        ({"source": {"author": "x"}}, "source.author", "unknown field"),
        ({"source": {"title": 5}}, "source.title", "expected text"),
        ({"id": "not-a-uuid"}, "id", "not a UUID"),
        ({"id": 5}, "id", "expected a UUID"),
    ],
)
def test_bad_fields_are_refused_by_name(
    overrides: dict[str, object], field: str, problem: str
) -> None:
    """Each bad field raises InvalidEventError whose field and message name it."""
    with pytest.raises(InvalidEventError, match=problem) as caught:
        make(**overrides)
    assert field == caught.value.field
    assert str(caught.value).startswith(f"{field}: ")


def test_deep_nesting_is_refused() -> None:
    """JSON nested past 64 levels is refused rather than overflowing the stack."""
    deep: dict[str, object] = {}
    node = deep
    for _ in range(100):
        node["x"] = {}
        node = node["x"]  # type: ignore[assignment]
    with pytest.raises(InvalidEventError, match="nests deeper"):
        make(data=deep)


def test_source_published_at_may_be_a_date() -> None:
    """A source's published_at may be a date; it is kept as ISO text."""
    event = make(source={"title": "Russia threatens", "published_at": dt.date(2017, 6, 19)})
    assert {"title": "Russia threatens", "published_at": "2017-06-19"} == event.source


def test_evolve_keeps_validation() -> None:
    """attrs.evolve goes through the same validation as the constructor."""
    event = make()
    assert "Russia" == attrs.evolve(event, actor="Russia").actor
    with pytest.raises(InvalidEventError, match=r"^actor:"):
        attrs.evolve(event, actor="")


@pytest.mark.parametrize("targets", ["US, Iraq", "Korea, Republic of"])
def test_one_string_of_targets_with_a_comma_is_refused(targets: str) -> None:
    """A single string of targets with a comma may be two names or one (issue 16): it is
    refused, naming the lists that say either, as a CSV cell with a comma is; a list
    holding a name with a comma is kept as that one name."""
    with pytest.raises(timeline.InvalidEventError, match=r"^targets: .*one string with a comma"):
        timeline.Event("strike", "Syria", "2017-06-18", incident="s", targets=targets)
    kept = timeline.Event("strike", "Syria", "2017-06-18", incident="s", targets=[targets])
    assert (targets,) == kept.targets


def test_an_import_line_with_one_string_of_targets_with_a_comma_names_its_line(
    tmp_path: Path,
) -> None:
    """In a JSON Lines import the same string is refused by its line, and nothing is stored."""
    path = tmp_path / "targets.jsonl"
    line = {"type": "x", "actor": "US", "occurred_at": "2017-06-18", "incident": "s"}
    path.write_text(
        json.dumps(line) + "\n" + json.dumps({**line, "targets": "US, Iraq"}) + "\n",
        encoding="utf-8",
    )
    with timeline.open("sqlite://") as tl:
        with pytest.raises(timeline.InvalidFileError) as e:
            tl.import_file(path)
        assert "line 2: targets:" in str(e.value)
        assert [] == list(tl.events())
