"""The event's fields are declared once (timeline.events.FIELDS); what lists them agrees."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import attrs
import pytest
from hypothesis import given

from timeline import schema
from timeline.events import (
    CORRECTABLE,
    EVENT_FIELDS,
    FIELDS,
    STORED_FIELDS,
    Event,
    RecordedEvent,
    canonical_json,
    content_json,
    differing_fields,
    event_content,
)
from timeline.io import write_csv
from timeline.store import chain_hash

from strategies import events

UTC = dt.UTC
BASE = RecordedEvent(
    id=uuid.UUID("01900000-0000-7000-8000-000000000001"),
    incident="syria-2017-06",
    version=1,
    position=1,
    type="shootdown",
    actor="US",
    targets=("Syria",),
    occurred_at=dt.datetime(2017, 6, 18, tzinfo=UTC),
    precision="day",
    data={"aircraft": "Su-22"},
    effects={},
    source={"title": "report"},
    recorded_at=dt.datetime(2024, 1, 1, tzinfo=UTC),
    hash="",
    corrects=None,
    retracts=None,
    reported_at=dt.datetime(2017, 6, 19, tzinfo=UTC),
    reported_precision="day",
)

OTHER: dict[str, Any] = {
    "id": uuid.UUID("01900000-0000-7000-8000-000000000002"),
    "incident": "daraa",
    "type": "truce",
    "actor": "Russia",
    "targets": ("Syria", "US"),
    "occurred_at": dt.datetime(2017, 6, 17, tzinfo=UTC),
    "precision": "exact",
    "data": {"aircraft": "F/A-18E"},
    "effects": {"US": {"alert": True}},
    "source": {"title": "another report"},
    "corrects": uuid.UUID("01900000-0000-7000-8000-000000000003"),
    "retracts": uuid.UUID("01900000-0000-7000-8000-000000000004"),
    "reported_at": dt.datetime(2017, 6, 20, tzinfo=UTC),
    "reported_precision": "exact",
    "version": 2,
    "position": 2,
    "recorded_at": dt.datetime(2024, 1, 2, tzinfo=UTC),
}
"""Another value for each hashed field (every field but the hash itself)."""


def test_every_field_but_the_hash_has_another_value_here() -> None:
    """A field added to the declaration must be added to OTHER, so that the next test
    checks that the hash covers it."""
    assert {f.name for f in FIELDS} - {"hash"} == set(OTHER)


@pytest.mark.parametrize("name", sorted(OTHER))
def test_changing_any_field_changes_the_hash(name: str) -> None:
    """The chained hash covers every field: the caller's content and what the store
    assigned (version, position, recorded_at)."""
    changed = attrs.evolve(BASE, **{name: OTHER[name]})
    assert chain_hash("", BASE) != chain_hash("", changed)


@pytest.mark.parametrize("name", [None, *sorted(set(OTHER) - set(STORED_FIELDS))])
def test_content_json_is_the_hashed_text_put_together_from_the_fields(name: str | None) -> None:
    """content_json gives the canonical JSON of the whole content (what the chain hashes
    and the duplicate check compares), built from each field's own canonical JSON (the
    stored columns' text), whichever field has another value (None too)."""
    changed = BASE if name is None else attrs.evolve(BASE, **{name: OTHER[name]})
    for event in (changed, attrs.evolve(changed, reported_at=None, corrects=None)):
        content = event_content(event)
        text, fields = content_json(event)
        assert canonical_json(content) == text
        assert {key: canonical_json(value) for key, value in content.items()} == fields


@given(events())
def test_content_json_is_the_canonical_json_of_any_event(event: Event) -> None:
    """For any valid event (any JSON in data, effects and source, any names), the text
    content_json puts together is canonical_json of the content."""
    content = event_content(event)
    text, fields = content_json(event)
    assert canonical_json(content) == text
    assert {key: canonical_json(value) for key, value in content.items()} == fields


def test_the_declaration_names_every_attribute_of_an_event() -> None:
    """Event holds the caller-given fields, RecordedEvent those and the store-assigned
    ones (besides what a read adds, outside equality: corrected_by, retracted_by, and
    the day zone both are of)."""
    recorded = {a.name for a in attrs.fields(RecordedEvent) if a.eq}
    assert set(EVENT_FIELDS) == {a.name for a in attrs.fields(Event) if a.eq}
    assert {f.name for f in FIELDS} == recorded
    assert set(CORRECTABLE) <= set(EVENT_FIELDS)


def test_the_events_table_has_a_column_per_field() -> None:
    """The schema's events table holds every declared field, and nothing else."""
    assert {f.name for f in FIELDS} == {c.name for c in schema.events.c}


def test_content_and_files_list_the_declared_fields() -> None:
    """The hashed content holds each caller-given field; a CSV export's header is the
    caller-given fields, then, when stored fields are asked, the store's."""
    assert list(EVENT_FIELDS) == list(event_content(BASE))
    out = io.StringIO()
    write_csv([BASE], out, stored=True)
    assert ",".join((*EVENT_FIELDS, *STORED_FIELDS)) == out.getvalue().splitlines()[0]


def test_a_duplicate_id_names_a_changed_corrects_or_retracts() -> None:
    """Two contents under one id that differ only in what they correct or retract are
    told apart by those fields (they were left out of the comparison before)."""
    changed = attrs.evolve(BASE, corrects=OTHER["corrects"], retracts=OTHER["retracts"])
    assert ["corrects", "retracts"] == differing_fields(event_content(BASE), changed.content())
