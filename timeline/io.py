"""Events as lines of text: the JSON Lines and CSV files of ``timeline import`` and ``export``.

One event per line (per row in CSV). The field names are the event's own
(:data:`~timeline.events.EVENT_FIELDS`): ``id``, ``incident``, ``type``, ``actor``,
``targets``, ``occurred_at``, ``precision``, ``data``, ``effects``, ``source``,
``corrects``, ``retracts``; ``type``, ``actor``, ``occurred_at`` and ``incident`` are
required, and an unknown field is refused (a misspelt field is never silently dropped).

- **JSON Lines**: each non-blank line is a JSON object of those fields.
- **CSV**: a header row of field names, then one row per event. An empty cell is an
  absent field. ``targets`` is a JSON list (``["US", "Syria"]``) or names separated by
  ``;`` (``US;Syria``); ``data``, ``effects`` and ``source`` are JSON text.

Readers never stop at a bad line: a line that cannot be read comes back as the
:class:`~timeline.errors.InvalidEventError` that says why, with its line number, so that a
caller can list every problem of a file in one pass (``timeline import`` does, and stores
nothing unless there are none). Files are read as UTF-8, with or without a byte-order mark.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Final

from timeline.errors import InvalidEventError
from timeline.events import (
    EVENT_FIELDS,
    Event,
    RecordedEvent,
    event_content,
    event_from_dict,
    parse_json,
)
from timeline.times import ZoneInput, isoformat

FORMATS: Final = ("jsonl", "csv")
"""The file formats: JSON Lines and CSV."""

CSV_JSON_FIELDS: Final = ("data", "effects", "source")
"""The CSV columns whose cells are JSON text."""

REQUIRED_FIELDS: Final = ("type", "actor", "occurred_at", "incident")

STORED_FIELDS: Final = ("version", "position", "recorded_at", "hash")
"""The fields a store assigns, written after the event's own when ``stored`` is asked."""

Line = tuple[int, dict[str, Any] | InvalidEventError]
"""A line of a file: its number (from 1) and its fields, or the error that says why not."""


def file_format(path: str | Path, given: str | None = None) -> str:
    """Return the format of the file at ``path``: ``given``, else ``csv`` for a ``.csv``
    name, else ``jsonl``.

    Example:
        >>> (file_format("events.csv"), file_format("events.jsonl"), file_format("x", "csv"))
        ('csv', 'jsonl', 'csv')
    """
    if given is not None:
        if given not in FORMATS:
            raise InvalidEventError("format", f"must be one of {', '.join(FORMATS)}; got {given!r}")
        return given
    return "csv" if Path(path).suffix.lower() == ".csv" else "jsonl"


def event_to_record(event: Event | RecordedEvent, *, stored: bool = False) -> dict[str, Any]:
    """Return the event as a JSON object of its fields, the form :func:`read_events`
    reads back into the same event.

    Every field of :data:`~timeline.events.EVENT_FIELDS` is there, ``id``, ``corrects``
    and ``retracts`` included; ``occurred_at`` is exact UTC text and ``precision`` is
    given, so nothing is inferred again on the way back. What the store assigned
    (``version``, ``position``, ``recorded_at``, ``hash``) is left out, since a store
    assigns its own, unless ``stored`` asks for it (for reading, not for importing).

    Example:
        >>> e = Event("truce", "Syria", "2017-06-17", incident="daraa", targets=["rebels"],
        ...           id="01900000-0000-7000-8000-000000000015")
        >>> record = event_to_record(e)
        >>> (record["occurred_at"], record["precision"], record["targets"], record["corrects"])
        ('2017-06-17T00:00:00.000000Z', 'day', ['rebels'], None)
        >>> event_from_dict(record) == e
        True
    """
    content = event_content(event)
    record = {name: content.get(name) for name in EVENT_FIELDS}
    if stored and isinstance(event, RecordedEvent):
        record.update(
            version=event.version,
            position=event.position,
            recorded_at=isoformat(event.recorded_at),
            hash=event.hash,
        )
    return record


def read_jsonl(path: str | Path) -> Iterator[Line]:
    """Yield ``(line number, fields)`` for each non-blank line of a JSON Lines file.

    A line that is not a JSON object comes as ``(line number, InvalidEventError)``.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
        >>> _ = path.write_text('{"type": "truce"}\\n\\n{"type": \\n[1]\\n')
        >>> for number, fields in read_jsonl(path):
        ...     print(number, fields)
        1 {'type': 'truce'}
        3 event: is not valid JSON: Expecting value (column 10)
        4 event: expected a JSON object, got a list
    """
    with open(path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n")
            except UnicodeDecodeError as e:
                yield (
                    number,
                    InvalidEventError(
                        "event", f"is not UTF-8 text (byte {e.start + 1}: {raw[e.start]:#04x})"
                    ),
                )
                continue
            if not text.strip():
                continue
            try:
                fields = parse_json(text, field="event")
            except InvalidEventError as e:
                yield number, e
                continue
            if not isinstance(fields, dict):
                yield (
                    number,
                    InvalidEventError("event", f"expected a JSON object, got {_json_type(fields)}"),
                )
                continue
            yield number, fields


def read_csv(path: str | Path) -> Iterator[Line]:
    """Yield ``(line number, fields)`` for each row of a CSV file with a header row.

    The numbers are those of the file's lines (a row with a quoted line break counts its
    first). Empty cells are left out; ``targets`` and the JSON columns are decoded (see
    the module's notes). A header that names an unknown field, or lacks a required one,
    is reported as line 1; rows are still checked, without the unknown columns.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.csv"
        >>> _ = path.write_text(
        ...     "type,actor,targets,occurred_at,incident,data\\n"
        ...     'shootdown,US,Syria,2017-06-18,s,"{""aircraft"": ""Su-22""}"\\n'
        ...     "truce,Syria,Syrian rebels;Daraa council,2017-06-17,s,{oops\\n")
        >>> for number, fields in read_csv(path):
        ...     print(number, fields)
        2 {'type': 'shootdown', 'actor': 'US', 'targets': ['Syria'],
           'occurred_at': '2017-06-18', 'incident': 's', 'data': {'aircraft': 'Su-22'}}
        3 data: is not valid JSON: Expecting property name enclosed in double quotes
          (character 2 of the cell)
    """
    with open(path, encoding="utf-8-sig", newline="") as file:
        reader = csv.reader(file, skipinitialspace=True)
        try:
            header = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as e:
            yield 1, _unreadable(e)
            return
        if header is None:
            return
        columns: list[str | None] = []
        for name in header:
            name = name.strip()
            if name not in EVENT_FIELDS:
                yield 1, InvalidEventError(name, f"unknown field; use {', '.join(EVENT_FIELDS)}")
                columns.append(None)
            elif name in columns:
                yield 1, InvalidEventError(name, "is a column twice")
                columns.append(None)
            else:
                columns.append(name)
        missing = [name for name in REQUIRED_FIELDS if name not in columns]
        if missing:
            yield (
                1,
                InvalidEventError(
                    missing[0], f"no such column; the header needs {', '.join(REQUIRED_FIELDS)}"
                ),
            )
            return
        last_line = reader.line_num
        while True:
            number = last_line + 1
            try:
                row = next(reader, None)
            except (csv.Error, UnicodeDecodeError) as e:
                yield number, _unreadable(e)
                return
            if row is None:
                return
            last_line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(columns):
                yield (
                    number,
                    InvalidEventError(
                        "event", f"has {len(row)} cells; the header has {len(columns)}"
                    ),
                )
                continue
            try:
                yield number, _csv_fields(columns, row)
            except InvalidEventError as e:
                yield number, e


def read_records(path: str | Path, *, format: str | None = None) -> Iterator[Line]:
    """Yield ``(line number, fields)`` from a JSON Lines or CSV file (see :func:`file_format`).

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.csv"
        >>> _ = path.write_text("type,actor,occurred_at,incident\\ntruce,Syria,2017-06-17,s\\n")
        >>> list(read_records(path))
        [(2, {'type': 'truce', 'actor': 'Syria', 'occurred_at': '2017-06-17', 'incident': 's'})]
    """
    if file_format(path, format) == "csv":
        return read_csv(path)
    return read_jsonl(path)


def read_events(
    path: str | Path, *, format: str | None = None, default_tz: ZoneInput = None
) -> Iterator[tuple[int, Event | InvalidEventError]]:
    """Yield ``(line number, Event)`` for each line of a file, or the error that line has.

    Each line becomes an :class:`~timeline.events.Event` through
    :func:`~timeline.events.event_from_dict`, reading times without an offset in
    ``default_tz`` (refused without one).

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
        >>> line = '{"type": "truce", "actor": "Syria", "occurred_at": "%s", "incident": "s"%s}'
        >>> _ = path.write_text("\\n".join([line % ("2017-06-17", ""),
        ...                                  line % ("June 2017", ', "colour": "red"')]))
        >>> for number, event in read_events(path):
        ...     print(number, event if isinstance(event, InvalidEventError) else event.precision)
        1 day
        2 colour: unknown field; use id, incident, type, actor, targets, occurred_at, precision,
          data, effects, source, corrects, retracts, reported_at,
          reported_precision
    """
    for number, fields in read_records(path, format=format):
        if isinstance(fields, InvalidEventError):
            yield number, fields
            continue
        try:
            yield number, event_from_dict(fields, default_tz=default_tz)
        except InvalidEventError as e:
            yield number, e


def write_jsonl(
    events: Iterable[Event | RecordedEvent], file: IO[str], *, stored: bool = False
) -> int:
    """Write each event as one line of JSON (see :func:`event_to_record`); return how many.

    ``stored`` adds the fields the store assigned (see :func:`event_to_record`).

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> write_jsonl([Event("truce", "Syria", "2017-06-17", incident="s",
        ...                    id="01900000-0000-7000-8000-000000000015")], out)
        1
        >>> print(out.getvalue(), end="")  # doctest: +NORMALIZE_WHITESPACE
        {"id": "01900000-0000-7000-8000-000000000015", "incident": "s", "type": "truce",
         "actor": "Syria", "targets": [], "occurred_at": "2017-06-17T00:00:00.000000Z",
         "precision": "day", "data": {}, "effects": {}, "source": {}, "corrects": null,
         "retracts": null, "reported_at": null, "reported_precision": null}
    """
    count = 0
    for event in events:
        record = event_to_record(event, stored=stored)
        file.write(json.dumps(record, ensure_ascii=False) + "\n")
        count += 1
    return count


def write_csv(
    events: Iterable[Event | RecordedEvent], file: IO[str], *, stored: bool = False
) -> int:
    """Write a header row and one row per event (see :func:`read_csv`); return how many.

    ``targets`` are written as names separated by ``;`` (a JSON list when a name holds a
    ``;`` or starts with ``[``), the JSON columns as JSON text, empty values as empty
    cells. ``stored`` adds columns for the fields the store assigned (see
    :func:`event_to_record`). Open ``file`` with ``newline=""``.

    Example:
        >>> import io
        >>> out = io.StringIO()
        >>> write_csv([Event("shootdown", "US", "2017-06-18", incident="s",
        ...                  targets=["Syria", "Syrian pilot"], data={"aircraft": "Su-22"},
        ...                  id="01900000-0000-7000-8000-000000000006")], out)
        1
        >>> header, row = out.getvalue().splitlines()
        >>> header  # doctest: +NORMALIZE_WHITESPACE
        'id,incident,type,actor,targets,occurred_at,precision,data,effects,source,corrects,retracts,reported_at,reported_precision'
        >>> row.split(",", 6)[4:]  # doctest: +NORMALIZE_WHITESPACE
        ['Syria;Syrian pilot', '2017-06-18T00:00:00.000000Z',
         'day,"{""aircraft"": ""Su-22""}",,,,,,']
    """
    columns = (*EVENT_FIELDS, *STORED_FIELDS) if stored else EVENT_FIELDS
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for event in events:
        record = event_to_record(event, stored=stored)
        writer.writerow([_csv_cell(name, record.get(name)) for name in columns])
        count += 1
    return count


TIMELINEJS_PARTS: Final = {
    "year": ("year",),
    "month": ("year", "month"),
    "day": ("year", "month", "day"),
    "hour": ("year", "month", "day", "hour"),
    "minute": ("year", "month", "day", "hour", "minute"),
    "second": ("year", "month", "day", "hour", "minute", "second"),
    "exact": ("year", "month", "day", "hour", "minute", "second", "millisecond"),
}
"""The parts of a TimelineJS date object that each precision knows."""


def timelinejs_date(moment: dt.datetime, precision: str) -> dict[str, int]:
    """Return a TimelineJS date object with only the parts ``precision`` knows.

    TimelineJS shows a date to the finest part given, so a month-precision event gets
    ``year`` and ``month`` alone and reads "June 2017" there.

    Example:
        >>> timelinejs_date(dt.datetime(2017, 6, 18, 15, 43, tzinfo=dt.UTC), "month")
        {'year': 2017, 'month': 6}
    """
    m = moment.astimezone(dt.UTC)
    values = {
        "year": m.year,
        "month": m.month,
        "day": m.day,
        "hour": m.hour,
        "minute": m.minute,
        "second": m.second,
        "millisecond": m.microsecond // 1000,
    }
    return {part: values[part] for part in TIMELINEJS_PARTS[precision]}


def to_timelinejs(events: Iterable[RecordedEvent], *, title: str | None = None) -> dict[str, Any]:
    """Return the events as a TimelineJS 3 timeline: ``{"title": …, "events": [slide, …]}``.

    The format is TimelineJS's own (timeline.knightlab.com/docs/json-format.html): each
    event is a slide with ``start_date`` (a date object with only the parts its precision
    knows; see :func:`timelinejs_date`), ``display_date`` (the time in UTC, with its
    precision named, as TimelineJS would otherwise show it in the reader's zone),
    ``text`` (``headline``: type, actor and targets; ``text``: the source quote, its
    title and link, the targets and the data, as escaped HTML), ``group`` (the actor, so
    each actor is a row) and ``unique_id`` (the event's id). No ``end_date``: an
    event's interval is the unit its date parts name, and an end date would draw a
    span that TimelineJS reads as longer. Pass the events as they now stand
    (:func:`timeline.fold.resolve`), in the order to show.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("overflight_approved", "Iraq", "2017-06", incident="s",
        ...               source={"quote": "Iraq agreed <after> coordination"})
        >>> slide = to_timelinejs([e])["events"][0]
        >>> slide["start_date"], slide["group"], slide["text"]["headline"]
        ({'year': 2017, 'month': 6}, 'Iraq', 'overflight_approved by Iraq')
        >>> "&lt;after&gt;" in slide["text"]["text"]
        True
    """
    from timeline.chart import when_text

    slides = []
    for event in events:
        headline = f"{event.type} by {event.actor}"
        if event.targets:
            headline += " → " + ", ".join(event.targets)
        paragraphs = []
        if event.source.get("quote"):
            paragraphs.append(f"“{html.escape(event.source['quote'])}”")
        cited = html.escape(event.source.get("title", ""))
        if event.source.get("url"):
            url = html.escape(event.source["url"])
            cited = f'<a href="{url}">{cited or url}</a>'
        if cited:
            paragraphs.append(f"Source: {cited}")
        for name, value in event.data.items():
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            paragraphs.append(f"{html.escape(name)}: {html.escape(shown)}")
        slides.append(
            {
                "unique_id": str(event.id),
                "start_date": timelinejs_date(event.occurred_at, event.precision),
                "display_date": when_text(event.occurred_at, event.precision),
                "text": {
                    "headline": html.escape(headline),
                    "text": "".join(f"<p>{p}</p>" for p in paragraphs),
                },
                "group": event.actor,
            }
        )
    out: dict[str, Any] = {"events": slides}
    if title is not None:
        out["title"] = {"text": {"headline": html.escape(title), "text": ""}}
    return out


def write_timelinejs(
    events: Iterable[RecordedEvent], file: IO[str], *, title: str | None = None
) -> int:
    """Write the events as TimelineJS 3 JSON (see :func:`to_timelinejs`); return how many.

    Example:
        >>> import io, json, timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s")
        >>> out = io.StringIO()
        >>> write_timelinejs(tl.events(), out, title="Daraa")
        1
        >>> json.loads(out.getvalue())["events"][0]["start_date"]
        {'year': 2017, 'month': 6, 'day': 17}
    """
    timeline = to_timelinejs(events, title=title)
    file.write(json.dumps(timeline, ensure_ascii=False, indent=1) + "\n")
    return len(timeline["events"])


def read_templates(path: str | Path) -> dict[str, dict[str, dict[str, Any]]]:
    """Return the effect templates in a JSON file: ``{event type: template}``.

    Each template is what :meth:`Timeline.define <timeline.Timeline.define>` takes; the
    templates themselves are checked when they are defined.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "templates.json"
        >>> _ = path.write_text('{"cooperation_suspended": '
        ...                     '{"{actor}": {"cooperation.{target}": "suspended"}}}')
        >>> read_templates(path)
        {'cooperation_suspended': {'{actor}': {'cooperation.{target}': 'suspended'}}}
    """
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as e:
        raise InvalidEventError("templates", f"cannot read {path}: {e.strerror}") from e
    try:
        templates = parse_json(text, field="templates")
    except InvalidEventError as refused:
        e = refused.__cause__
        problem = (
            f"is not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})"
            if isinstance(e, json.JSONDecodeError)
            else refused.problem
        )
        raise InvalidEventError("templates", f"{path} {problem}") from e
    if not isinstance(templates, dict):
        raise InvalidEventError(
            "templates",
            f"{path} must hold a JSON object {{event_type: template}}, not {_json_type(templates)}",
        )
    for type_name, template in templates.items():
        if not isinstance(template, dict):
            raise InvalidEventError(
                f"templates.{type_name}",
                f'expected {{"{{actor}}": {{attribute: value}}}}, got {_json_type(template)}',
            )
    return templates


def _csv_fields(columns: list[str | None], row: list[str]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, cell in zip(columns, row, strict=False):
        if name is None or not cell.strip():
            continue
        if name in CSV_JSON_FIELDS:
            fields[name] = _json_cell(name, cell)
        elif name == "targets":
            fields[name] = _targets_cell(cell)
        else:
            fields[name] = cell
    return fields


def _json_cell(name: str, cell: str) -> Any:
    try:
        return parse_json(cell, field=name)
    except InvalidEventError as refused:
        e = refused.__cause__
        if not isinstance(e, json.JSONDecodeError):
            raise
        raise InvalidEventError(
            name, f"is not valid JSON: {e.msg} (character {e.pos + 1} of the cell)"
        ) from e


def _targets_cell(cell: str) -> Any:
    if cell.lstrip().startswith("["):
        return _json_cell("targets", cell)
    return [name.strip() for name in cell.split(";") if name.strip()]


def _csv_cell(name: str, value: Any) -> str:
    if value is None or value == {} or value == []:
        return ""
    if name in CSV_JSON_FIELDS:
        return json.dumps(value, ensure_ascii=False)
    if name == "targets":
        if any(";" in target for target in value) or value[0].startswith("["):
            return json.dumps(value, ensure_ascii=False)
        return ";".join(value)
    return str(value)


def _unreadable(error: Exception) -> InvalidEventError:
    if isinstance(error, UnicodeDecodeError):
        return InvalidEventError("event", "is not UTF-8 text")
    return InvalidEventError("event", f"is not valid CSV: {error}")


def _json_type(value: object) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "text",
        type(None): "null",
    }
    if isinstance(value, bool):
        return "true or false"
    return names.get(type(value), "a number")


__all__ = [
    "CSV_JSON_FIELDS",
    "FORMATS",
    "REQUIRED_FIELDS",
    "STORED_FIELDS",
    "TIMELINEJS_PARTS",
    "Line",
    "event_to_record",
    "file_format",
    "read_csv",
    "read_events",
    "read_jsonl",
    "read_records",
    "read_templates",
    "timelinejs_date",
    "to_timelinejs",
    "write_csv",
    "write_jsonl",
    "write_timelinejs",
]
