"""Events as lines of text: the JSON Lines and CSV files of ``timeline import`` and ``export``.

One event per line (per row in CSV). The field names are the event's own
(:data:`~timeline.events.EVENT_FIELDS`): ``id``, ``incident``, ``type``, ``actor``,
``targets``, ``occurred_at``, ``precision``, ``data``, ``effects``, ``source``,
``corrects``, ``retracts``; ``type``, ``actor``, ``occurred_at`` and ``incident`` are
required, and an unknown field is refused (a misspelt field is never silently dropped).

- **JSON Lines**: each non-blank line is a JSON object of those fields. ``reported_at``
  left out takes the source's ``published_at``; ``"reported_at": null`` is no reported
  time (the event counts as reported when recorded), which export writes for every
  event stored without one.
- **CSV**: a header row of field names, then one row per event. An empty cell is an
  absent field; a ``reported_at`` cell ``none`` (in any case) is no reported time, as
  ``null`` is in JSON Lines, and is what export writes there. ``targets`` is a JSON
  list (``["US", "Syria"]``) or names separated by ``;`` (``US;Syria``); a cell with a
  comma (``US, Iraq``) is refused, since it may be two names or one (a name with a comma
  is written as a JSON list); ``data``, ``effects`` and ``source`` are JSON text.

Readers never stop at a bad line: a line that cannot be read comes back as the
:class:`~timeline.errors.InvalidEventError` that says why, with its line number, so that a
caller can list every problem of a file in one pass (``timeline import`` does, and stores
nothing unless there are none). Files are read as UTF-8, with or without a byte-order mark.

Hostile files: given ``max_event_bytes``, a reader refuses a line (a CSV row) longer than
:func:`max_line_bytes` before parsing it and skips the rest of it without holding it, so
a file of one huge line costs no more memory than a line of that size; JSON nested too
deep for Python, or holding integers of more digits than Python reads, is a problem of
its line like any other.

Spreadsheets: a CSV cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is a formula to a spreadsheet, which would run it on opening the file. The CSV
writers (here and in :mod:`timeline.render`) put a ``'`` before such a cell, and before
a cell that starts with ``'`` itself (see :func:`spreadsheet_cell`); the CSV reader takes
one ``'`` away where a writer would have put it (:func:`from_spreadsheet_cell`), so every
cell reads back as it was.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import json
import os
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Final

import attrs

from timeline.errors import (
    InvalidEventError,
    InvalidFileError,
    MissingExtraError,
    TimelineError,
)
from timeline.events import (
    EVENT_FIELDS,
    JSON_FIELDS,
    STORED_FIELDS,
    Event,
    RecordedEvent,
    check_event_size,
    event_content,
    event_from_dict,
    parse_json,
    unknown_field,
)
from timeline.text import when_text
from timeline.times import CALENDAR_UNITS, ZoneInput, isoformat, resolve_zone

CSV_JSON_FIELDS: Final = JSON_FIELDS
"""The CSV columns whose cells are JSON text (:data:`timeline.events.JSON_FIELDS`)."""

REQUIRED_FIELDS: Final = ("type", "actor", "occurred_at", "incident")

NO_REPORTED_TIME: Final = "none"
"""A CSV ``reported_at`` cell that says "no reported time" (read in any case), where an
empty cell would take the source's ``published_at``."""

Line = tuple[int, dict[str, Any] | InvalidEventError]
"""A line of a file: its number (from 1) and its fields, or the error that says why not."""

SPREADSHEET_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")
"""The first characters that make a spreadsheet read a cell as a formula."""

LINE_ROOM: Final = 4096
"""Bytes a line may hold besides twice its event (see :func:`max_line_bytes`)."""

_SKIP_CHUNK: Final = 1 << 16
_QUOTED: Final = (*SPREADSHEET_STARTS, "'")


def max_line_bytes(max_event_bytes: int | None) -> int | None:
    """Return the longest line (CSV row) a reader takes for events of at most
    ``max_event_bytes`` bytes of JSON; ``None``: no limit.

    Twice the event's size and 4 KiB more: a line is written less tightly than the
    canonical JSON the limit measures (``export``'s JSON has a space after each ``,`` and
    ``:``, and CSV doubles each ``"`` of its JSON cells), so an event under the limit
    always fits on its line, and a longer line can hold no such event.

    Example:
        >>> max_line_bytes(1 << 20)
        2101248
    """
    return None if max_event_bytes is None else 2 * max_event_bytes + LINE_ROOM


def spreadsheet_cell(text: str) -> str:
    """Return ``text`` as a CSV cell that a spreadsheet shows and never runs.

    A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a
    ``'`` before it (OWASP's advice against CSV injection); so does one that starts with
    ``'``, so that :func:`from_spreadsheet_cell` can tell the two apart and give every
    cell back as it was.

    Example:
        >>> spreadsheet_cell("=1+1"), spreadsheet_cell("-2"), spreadsheet_cell("US")
        ("'=1+1", "'-2", 'US')
        >>> spreadsheet_cell("'s-Hertogenbosch")
        "''s-Hertogenbosch"
    """
    return "'" + text if text.startswith(_QUOTED) else text


def from_spreadsheet_cell(cell: str) -> str:
    """Return the text a CSV cell holds: one ``'`` taken away where
    :func:`spreadsheet_cell` would have put it (before ``=``, ``+``, ``-``, ``@``, a tab,
    a carriage return or ``'``); any other cell as it is.

    Example:
        >>> from_spreadsheet_cell("'=1+1"), from_spreadsheet_cell("''=1+1")
        ('=1+1', "'=1+1")
        >>> from_spreadsheet_cell("'s-Hertogenbosch")
        "'s-Hertogenbosch"
    """
    if cell.startswith("'") and cell[1:2] and cell[1:].startswith(_QUOTED):
        return cell[1:]
    return cell


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


def read_jsonl(path: str | Path, *, max_event_bytes: int | None = None) -> Iterator[Line]:
    """Yield ``(line number, fields)`` for each non-blank line of a JSON Lines file.

    A line that is not a JSON object comes as ``(line number, InvalidEventError)``; so
    does a line longer than :func:`max_line_bytes` of ``max_event_bytes``, refused before
    it is parsed and skipped without being held.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
        >>> _ = path.write_text('{"type": "truce"}\\n\\n{"type": \\n[1]\\n' + "[" * 9999)
        >>> for number, fields in read_jsonl(path):
        ...     print(number, fields)
        1 {'type': 'truce'}
        3 event: is not valid JSON: Expecting value (column 10)
        4 event: expected a JSON object, got a list
        5 event: nests deeper than 64 levels
        >>> [number for number, _ in read_jsonl(path, max_event_bytes=1000)]
        [1, 3, 4, 5]
        >>> print(list(read_jsonl(path, max_event_bytes=1000))[-1][1])
        event: is over max_event_bytes (the line is longer than 6,096 bytes, twice the limit
        of 1,000 and 4,096 more; skipped, not parsed)
    """
    for number, fields, _ in _jsonl_lines(path, max_line_bytes(max_event_bytes)):
        yield number, fields


def _jsonl_lines(path: str | Path, limit: int | None) -> Iterator[tuple[int, Any, int]]:
    """``(line number, fields or error, the line's size in bytes)`` per non-blank line."""
    with open(path, "rb") as file:
        for number, raw in enumerate(_bounded_lines(file, limit), start=1):
            if raw is None:
                yield number, _too_long(limit), 0
                continue
            try:
                text = raw.decode("utf-8-sig" if number == 1 else "utf-8").rstrip("\r\n")
            except UnicodeDecodeError as e:
                yield (
                    number,
                    InvalidEventError(
                        "event", f"is not UTF-8 text (byte {e.start + 1}: {raw[e.start]:#04x})"
                    ),
                    0,
                )
                continue
            if not text.strip():
                continue
            try:
                fields = parse_json(text, field="event")
            except InvalidEventError as e:
                yield number, e, 0
                continue
            if not isinstance(fields, dict):
                yield (
                    number,
                    InvalidEventError("event", f"expected a JSON object, got {_json_type(fields)}"),
                    0,
                )
                continue
            yield number, fields, len(raw)


def _bounded_lines(file: IO[bytes], limit: int | None) -> Iterator[bytes | None]:
    """Each line of a binary file, or ``None`` for one longer than ``limit`` bytes (its
    line ending not counted), whose rest is skipped a chunk at a time, never held."""
    while True:
        # 2 more: a line of exactly the limit still gets its \r\n in one piece
        line = file.readline(-1 if limit is None else limit + 2)
        if not line:
            return
        if limit is None or len(line.rstrip(b"\r\n")) <= limit:
            yield line
            continue
        while not line.endswith(b"\n"):
            line = file.readline(_SKIP_CHUNK)
            if not line:
                break
        yield None


def _too_long(limit: int | None) -> InvalidEventError:
    assert limit is not None
    return InvalidEventError(
        "event",
        f"is over max_event_bytes (the line is longer than {limit:,} bytes, twice the limit "
        f"of {(limit - LINE_ROOM) // 2:,} and {LINE_ROOM:,} more; skipped, not parsed)",
    )


def read_csv(path: str | Path, *, max_event_bytes: int | None = None) -> Iterator[Line]:
    """Yield ``(line number, fields)`` for each row of a CSV file with a header row.

    The numbers are those of the file's lines (a row with a quoted line break counts its
    first). Empty cells are left out; a ``reported_at`` of ``none`` (any case) is
    ``None``, no reported time (:data:`NO_REPORTED_TIME`); a ``'`` that a
    spreadsheet-safe writer put before a cell is taken away (see
    :func:`from_spreadsheet_cell`); ``targets`` and the JSON columns are decoded (see
    the module's notes). A header that names an unknown field, or lacks a required one,
    is reported as line 1; rows are still checked, without the unknown columns. A row
    longer than :func:`max_line_bytes` of ``max_event_bytes`` is refused before it is
    parsed and skipped without being held.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.csv"
        >>> _ = path.write_text(
        ...     "type,actor,targets,occurred_at,incident,data\\n"
        ...     'shootdown,US,Syria,2017-06-18,s,"{""aircraft"": ""Su-22""}"\\n'
        ...     "truce,Syria,Syrian rebels;Daraa council,2017-06-17,s,{oops\\n"
        ...     "truce,'=1+1,,2017-06-17,s,\\n")
        >>> for number, fields in read_csv(path):
        ...     print(number, fields)
        2 {'type': 'shootdown', 'actor': 'US', 'targets': ['Syria'],
           'occurred_at': '2017-06-18', 'incident': 's', 'data': {'aircraft': 'Su-22'}}
        3 data: is not valid JSON: Expecting property name enclosed in double quotes
          (character 2 of the cell)
        4 {'type': 'truce', 'actor': '=1+1', 'occurred_at': '2017-06-17', 'incident': 's'}
    """
    for number, fields, _ in _csv_rows(path, max_line_bytes(max_event_bytes)):
        yield number, fields


def _csv_rows(path: str | Path, limit: int | None) -> Iterator[tuple[int, Any, int]]:
    """``(line number, fields or error, the row's size bound in bytes)`` per row."""
    with open(path, encoding="utf-8-sig", newline="") as file:
        lines = _BoundedRows(file, limit)
        reader = csv.reader(lines, skipinitialspace=True)
        try:
            header = lines.next_row(reader)
        except (csv.Error, UnicodeDecodeError) as e:
            yield 1, _unreadable(e), 0
            return
        except _RowTooLong:
            yield 1, _too_long(limit), 0
            return
        if header is None:
            return
        columns: list[str | None] = []
        for index, name in enumerate(header, start=1):
            name = name.strip()
            if not name:
                # a spreadsheet's unnamed trailing columns: ': unknown field' said nothing
                problem = "has no name in the header; name it or delete the column"
                yield 1, InvalidEventError(f"column {index}", problem), 0
                columns.append(None)
            elif name not in EVENT_FIELDS:
                yield 1, unknown_field(name), 0
                columns.append(None)
            elif name in columns:
                yield 1, InvalidEventError(name, "is a column twice"), 0
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
                0,
            )
            return
        while True:
            number = lines.line_num + 1
            try:
                row = lines.next_row(reader)
            except (csv.Error, UnicodeDecodeError) as e:
                yield number, _unreadable(e), 0
                return
            except _RowTooLong:
                yield number, _too_long(limit), 0
                continue
            if row is None:
                return
            if not any(cell.strip() for cell in row):
                continue
            if len(row) > len(columns):
                yield (
                    number,
                    InvalidEventError(
                        "event", f"has {len(row)} cells; the header has {len(columns)}"
                    ),
                    0,
                )
                continue
            try:
                yield number, _csv_fields(columns, row), 4 * lines.row_chars
            except InvalidEventError as e:
                yield number, e, 0


class _RowTooLong(Exception):
    """A CSV row longer than the limit; its lines were skipped."""


class _BoundedRows:
    """The lines of a CSV file (opened with ``newline=""``) for ``csv.reader``, a row at
    a time, refusing a row longer than ``limit`` characters (a character is at least a
    byte, so no row of ``limit`` bytes is refused).

    The rest of a row too long is skipped a chunk at a time, following CSV's quotes to
    find where the row ends (at a line break outside quotes: after an even number of
    ``"``), and :class:`_RowTooLong` is raised to the reader, which starts afresh on the
    next line. ``line_num`` counts the file's lines read, skipped ones included.
    """

    def __init__(self, file: IO[str], limit: int | None) -> None:
        self.file, self.limit = file, limit
        self.line_num = 0
        self.row_chars = 0
        self._quotes = 0
        self._after_cr = False

    def __iter__(self) -> _BoundedRows:
        return self

    def __next__(self) -> str:
        # 2 more: a row of exactly the limit still gets its \r\n in one piece
        line = self._readline(-1 if self.limit is None else self.limit - self.row_chars + 2)
        if not line:
            raise StopIteration
        self.row_chars += len(line)
        self._quotes += line.count('"')
        if self.limit is not None and self.row_chars - _ending(line) > self.limit:
            self._skip_row(line)
            raise _RowTooLong
        self.line_num += 1
        return line

    def next_row(self, reader: Iterator[list[str]]) -> list[str] | None:
        """The reader's next row (``None`` at the end), its fields allowed up to the
        row limit (``csv``'s own field limit, 128 KiB, is lifted for the call)."""
        self.row_chars = self._quotes = 0
        wanted = sys.maxsize if self.limit is None else self.limit
        before = csv.field_size_limit()
        if before < wanted:
            csv.field_size_limit(wanted)
        try:
            return next(reader, None)
        finally:
            if before < wanted:
                csv.field_size_limit(before)

    def _readline(self, size: int) -> str:
        line = self.file.readline(size)
        if self._after_cr and line == "\n":  # the rest of a \r\n cut by a chunk
            line = self.file.readline(size)
        self._after_cr = line.endswith("\r")
        return line

    def _skip_row(self, line: str) -> None:
        while True:
            if _ending(line):
                self.line_num += 1
                if self._quotes % 2 == 0:
                    break
            following = self._readline(_SKIP_CHUNK)
            if not following:
                self.line_num += 0 if _ending(line) else 1
                break
            line = following
            self._quotes += line.count('"')
        self.row_chars = self._quotes = 0


def _ending(line: str) -> int:
    """How many characters of ``line`` are its line break."""
    if line.endswith("\r\n"):
        return 2
    return 1 if line.endswith(("\n", "\r")) else 0


def read_records(
    path: str | Path, *, format: str | None = None, max_event_bytes: int | None = None
) -> Iterator[Line]:
    """Yield ``(line number, fields)`` from a JSON Lines or CSV file (see :func:`file_format`).

    ``max_event_bytes`` refuses lines longer than :func:`max_line_bytes` before reading
    them (see :func:`read_jsonl`).

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.csv"
        >>> _ = path.write_text("type,actor,occurred_at,incident\\ntruce,Syria,2017-06-17,s\\n")
        >>> list(read_records(path))
        [(2, {'type': 'truce', 'actor': 'Syria', 'occurred_at': '2017-06-17', 'incident': 's'})]
    """
    for number, fields, _ in _records(path, format, max_line_bytes(max_event_bytes)):
        yield number, fields


def _records(
    path: str | Path, format: str | None, limit: int | None
) -> Iterator[tuple[int, Any, int]]:
    if file_format(path, format) == "csv":
        return _csv_rows(path, limit)
    return _jsonl_lines(path, limit)


# Parsed and made an event, a line of N bytes gives at most 4.5 N bytes of canonical JSON
# (a number written 1e15 is 1000000000000000.0 there) and the fields it left out: below
# this, the exact size need not be measured.
_GROWTH: Final = 5


def read_events(
    path: str | Path,
    *,
    format: str | None = None,
    default_tz: ZoneInput = None,
    day_zone: ZoneInput = None,
    max_event_bytes: int | None = None,
    without_id: list[int] | None = None,
    unreported: list[int] | None = None,
) -> Iterator[tuple[int, Event | InvalidEventError]]:
    """Yield ``(line number, Event)`` for each line of a file, or the error that line has.

    Each line becomes an :class:`~timeline.events.Event` through
    :func:`~timeline.events.event_from_dict`, reading times without an offset in
    ``default_tz`` (refused without one) and dates as days of ``day_zone`` (UTC by
    default). ``max_event_bytes`` (a timeline's :attr:`~timeline.Timeline.max_event_bytes`)
    refuses, with their line numbers, lines too long to read (see :func:`read_jsonl`) and
    events larger than the timeline stores, naming their largest field. A line without
    an ``id`` gets a new one each time it is read; ``without_id``, when given, collects
    those lines' numbers, and ``unreported`` those of the lines that say the event has
    no reported time (``"reported_at": null``, a CSV cell ``none``).

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
        >>> line = '{"type": "truce", "actor": "Syria", "occurred_at": "%s", "incident": "s"%s}'
        >>> _ = path.write_text("\\n".join([line % ("2017-06-17", ""),
        ...                                  line % ("June 2017", ', "colour": "red"'),
        ...                                  line % ("2017-06-17", ', "data": {"n": 1e15}')]))
        >>> for number, event in read_events(path, max_event_bytes=250):
        ...     print(number, event if isinstance(event, InvalidEventError) else event.precision)
        1 day
        2 colour: unknown field; use id, incident, type, actor, targets, occurred_at, precision,
          data, effects, source, corrects, retracts, reported_at,
          reported_precision
        3 data: makes the event 255 bytes of JSON; the limit is 250 (max_event_bytes)
    """
    for number, fields, size in _records(path, format, max_line_bytes(max_event_bytes)):
        if isinstance(fields, InvalidEventError):
            yield number, fields
            continue
        try:
            event = event_from_dict(fields, default_tz=default_tz, day_zone=day_zone)
            if max_event_bytes is not None and size * _GROWTH + LINE_ROOM > max_event_bytes:
                check_event_size(event, max_event_bytes)
        except InvalidEventError as e:
            yield number, e
            continue
        if without_id is not None and fields.get("id") in (None, ""):
            without_id.append(number)
        if unreported is not None and "reported_at" in fields and fields["reported_at"] is None:
            unreported.append(number)
        yield number, event


class FileEvents:
    """One pass over an import file: its events, for :meth:`Timeline.load
    <timeline.Timeline.load>`, and its problems.

    Iterating gives the events of the file's lines, read as :func:`read_events` reads
    them. Once a line is wrong no more events are given, but the rest of the file is still
    read so that every problem is listed; at the end an
    :class:`~timeline.errors.InvalidFileError` names them all, and the load it is raised
    through stores nothing. ``count`` is how many lines held an event.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.csv"
        >>> _ = path.write_text("type,actor,occurred_at,incident\\n"
        ...                     "truce,Syria,2017-06-17,s\\ntruce,,2017-06-18,s\\n")
        >>> reading = FileEvents(path)
        >>> try:
        ...     list(reading)
        ... except InvalidFileError as e:
        ...     print(reading.count, e.problems[0][0], e.problems[0][1])
        1 3 actor: is required
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        default_tz: ZoneInput = None,
        day_zone: ZoneInput = None,
        max_event_bytes: int | None = None,
    ) -> None:
        self.path = Path(path)
        self.format = file_format(self.path, format)
        self.default_tz, self.day_zone = default_tz, day_zone
        self.max_event_bytes = max_event_bytes
        self.count = 0
        self.problems: list[tuple[int, InvalidEventError]] = []
        self.without_id: list[int] = []  # the lines whose event was given a new id
        # the lines that say "no reported time": reported when this store records them;
        # and their events' ids, in the same order (an import says only those it stored)
        self.unreported: list[int] = []
        self.unreported_ids: list[uuid.UUID] = []

    def __iter__(self) -> Iterator[Event]:
        # the timeline's own limit: each line is refused, with its number, before the
        # store would refuse its event by its place in the batch
        for number, event in read_events(
            self.path,
            format=self.format,
            default_tz=self.default_tz,
            day_zone=self.day_zone,
            max_event_bytes=self.max_event_bytes,
            without_id=self.without_id,
            unreported=self.unreported,
        ):
            if isinstance(event, InvalidEventError):
                self.problems.append((number, event))
            else:
                self.count += 1
                if self.unreported and self.unreported[-1] == number:
                    self.unreported_ids.append(event.id)
                if not self.problems:
                    yield event
        if self.problems:
            raise InvalidFileError(self.path, self.problems)

    def line_of(self, index: int) -> int | None:
        """Return the line of the ``index``-th event given (from 0), reading the file
        again (a refusal is rare: no line numbers are held while the file streams)."""
        lines = read_events(
            self.path,
            format=self.format,
            default_tz=self.default_tz,
            day_zone=self.day_zone,
            max_event_bytes=self.max_event_bytes,
        )
        for given, (number, event) in enumerate(lines):
            if isinstance(event, InvalidEventError):
                return None  # no event was given past a wrong line
            if given == index:
                return number
        return None

    def refused(self, error: TimelineError) -> InvalidFileError | None:
        """Return the store's refusal of one event (``error.index``) as a problem of its
        line, or ``None`` when the error names no event of the file.

        Example:
            >>> import pathlib, tempfile, timeline
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
            >>> _ = path.write_text('{"type": "truce", "actor": "Syria", "incident": "s", '
            ...     '"occurred_at": "2017-06-17"}\\n\\n{"type": "retraction", "actor": '
            ...     '"Syria", "incident": "s", "occurred_at": "2017-06-17", '
            ...     '"retracts": "01900000-0000-7000-8000-000000000099"}\\n')
            >>> try:
            ...     timeline.open("sqlite://").import_file(path)
            ... except InvalidFileError as e:
            ...     print([(line, str(p).split(" (")[0]) for line, p in e.problems])
            [(3, 'retracts: no event 01900000-0000-7000-8000-000000000099 is stored')]
        """
        line = None if error.index is None else self.line_of(error.index)
        if line is None:
            return None
        if isinstance(error, InvalidEventError):
            problem = InvalidEventError(error.field, error.problem)
        else:
            field, _, text = str(error).partition(": ")
            problem = InvalidEventError(field, text.removesuffix("; nothing was stored"))
        problem.__cause__ = error
        return InvalidFileError(self.path, [(line, problem)])

    def total(self) -> int:
        """How many records the file holds (for a progress bar), without reading the
        events (nor holding a line longer than an event may be)."""
        if self.format == "jsonl":
            with open(self.path, "rb") as file:
                return sum(chunk.count(b"\n") for chunk in iter(lambda: file.read(1 << 20), b""))
        rows = read_records(self.path, format="csv", max_event_bytes=self.max_event_bytes)
        return sum(1 for _ in rows)


def export_format(target: str | os.PathLike[str] | IO[str], given: str | None = None) -> str:
    """Return the format to export to ``target``: ``given`` (one of
    :data:`EXPORT_FORMATS`), else ``csv`` for a ``.csv`` path, else ``jsonl``.

    Example:
        >>> import io
        >>> export_format("out.csv"), export_format(io.StringIO()), export_format("x", "timelinejs")
        ('csv', 'jsonl', 'timelinejs')
    """
    if given is not None:
        if given not in EXPORT_FORMATS:
            raise InvalidEventError(
                "format", f"must be one of {', '.join(EXPORT_FORMATS)}; got {given!r}"
            )
        return given
    if isinstance(target, str | os.PathLike):
        if Path(target).suffix.lower() == ".parquet":
            return "parquet"
        return file_format(os.fspath(target))
    return "jsonl"


def write_to(
    target: str | os.PathLike[str] | IO[Any],
    write: Callable[[IO[Any]], int],
    *,
    binary: bool = False,
) -> int:
    """Call ``write(file)`` on ``target``, an open file or a path; return its count.

    A path is written beside itself (``NAME.part``) and renamed over it at the end, so a
    failure halfway never leaves a partial file under the name asked for; an
    ``OSError`` names the path asked for. ``binary`` opens a path for bytes, else for
    UTF-8 text.

    Example:
        >>> import pathlib, tempfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
        >>> write_to(path, lambda file: file.write("hello"))
        5
        >>> path.read_text()
        'hello'
    """
    if not isinstance(target, str | os.PathLike):
        return write(target)
    output = Path(target)
    partial = output.with_name(output.name + ".part")
    try:
        with (
            partial.open("wb") if binary else partial.open("w", encoding="utf-8", newline="")
        ) as file:
            count = write(file)
        partial.replace(output)
    except OSError as e:
        raise OSError(e.errno, e.strerror, str(output)) from e
    finally:
        partial.unlink(missing_ok=True)
    return count


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
    ``;`` or a ``,`` or starts with ``[``), the JSON columns as JSON text, empty values as empty
    cells (but ``none`` for no reported time, :data:`NO_REPORTED_TIME`, since an empty
    ``reported_at`` takes the source's ``published_at``); a cell a spreadsheet would run
    as a formula gets a ``'`` before it (see :func:`spreadsheet_cell`), which
    :func:`read_csv` takes away. ``stored`` adds columns for the fields the store
    assigned (see :func:`event_to_record`). Open ``file`` with ``newline=""``.

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
         'day,"{""aircraft"": ""Su-22""}",,,,,none,']
    """
    columns = (*EVENT_FIELDS, *STORED_FIELDS) if stored else EVENT_FIELDS
    writer = csv.writer(file, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for event in events:
        record = event_to_record(event, stored=stored)
        writer.writerow([spreadsheet_cell(_csv_cell(name, record.get(name))) for name in columns])
        count += 1
    return count


PARQUET_BATCH: Final = 10_000
"""Events per row group of a Parquet export: memory holds one batch, not the store."""


def write_parquet(events: Iterable[RecordedEvent], file: Any) -> int:
    """Write stored events as Parquet, a batch at a time; return how many.

    One row per event with the columns of :data:`timeline.frames.EVENT_COLUMNS`: the
    event's fields and those the store assigned; times as UTC timestamps (microseconds),
    ``targets`` a list of text, ``data``, ``effects`` and ``source`` JSON text (their
    shapes differ from event to event). ``file`` is a path or a binary file. Needs
    pyarrow (the ``parquet`` extra).

    Example:
        >>> import io, timeline
        >>> import pyarrow.parquet as pq
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s", data={"n": 1})
        >>> out = io.BytesIO()
        >>> write_parquet(tl.events(), out)
        1
        >>> pq.read_table(io.BytesIO(out.getvalue())).to_pylist()[0]["data"]
        '{"n": 1}'
    """
    from timeline.frames import EVENT_COLUMNS, event_row

    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError as e:
        raise MissingExtraError("Parquet export", "pyarrow", "parquet") from e
    moment = pa.timestamp("us", tz="UTC")
    types = {
        "targets": pa.list_(pa.string()),
        "occurred_at": moment,
        "reported_at": moment,
        "recorded_at": moment,
        "version": pa.int64(),
        "position": pa.int64(),
    }
    schema = pa.schema([(name, types.get(name, pa.string())) for name in EVENT_COLUMNS])
    count = 0
    with pq.ParquetWriter(file, schema) as writer:
        batch: list[dict[str, Any]] = []
        for event in events:
            row = event_row(event)
            for name in CSV_JSON_FIELDS:
                row[name] = json.dumps(row[name], ensure_ascii=False, sort_keys=True)
            batch.append(row)
            if len(batch) >= PARQUET_BATCH:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                count += len(batch)
                batch = []
        if batch or not count:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            count += len(batch)
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


def timelinejs_date(
    moment: dt.datetime, precision: str, *, day_zone: ZoneInput = None
) -> dict[str, int]:
    """Return a TimelineJS date object with only the parts ``precision`` knows.

    TimelineJS shows a date to the finest part given, so a month-precision event gets
    ``year`` and ``month`` alone and reads "June 2017" there. A day, month or year is
    given as the day zone's (UTC by default), a time of day in UTC.

    Example:
        >>> timelinejs_date(dt.datetime(2017, 6, 1, tzinfo=dt.UTC), "month")
        {'year': 2017, 'month': 6}
        >>> timelinejs_date(dt.datetime(2020, 1, 2, 21, tzinfo=dt.UTC), "day",
        ...                 day_zone="Asia/Baghdad")
        {'year': 2020, 'month': 1, 'day': 3}
    """
    zone = resolve_zone(day_zone, field="day_zone") if precision in CALENDAR_UNITS else None
    m = moment.astimezone(zone or dt.UTC)
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


def to_timelinejs(
    events: Iterable[RecordedEvent], *, title: str | None = None, day_zone: ZoneInput = None
) -> dict[str, Any]:
    """Return the events as a TimelineJS 3 timeline: ``{"title": …, "events": [slide, …]}``.

    The format is TimelineJS's own (timeline.knightlab.com/docs/json-format.html): each
    event is a slide with ``start_date`` (a date object with only the parts its precision
    knows; see :func:`timelinejs_date`), ``display_date`` (the time in UTC, a date in the
    day zone, with its precision named, as TimelineJS would otherwise show it in the
    reader's zone),
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
                "start_date": timelinejs_date(
                    event.occurred_at, event.precision, day_zone=day_zone
                ),
                "display_date": when_text(event.occurred_at, event.precision, day_zone),
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
    events: Iterable[RecordedEvent],
    file: IO[str],
    *,
    title: str | None = None,
    day_zone: ZoneInput = None,
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
    timeline = to_timelinejs(events, title=title, day_zone=day_zone)
    file.write(json.dumps(timeline, ensure_ascii=False, indent=1) + "\n")
    return len(timeline["events"])


@attrs.frozen
class FileFormat:
    """A format :meth:`Timeline.export <timeline.Timeline.export>` writes, declared in
    :data:`FILE_FORMATS` beside the others.

    Attributes:
        name: what ``format=`` and ``--format`` call it.
        write: ``write(events, file, title, day_zone) -> count``.
        readable: :func:`read_events` reads it back (an import file).
        binary: its file is opened in binary mode.
        standing: it is written from the events as they now stand (corrections
            applied, retracted events left out), not from every stored event.

    Example:
        >>> [f.name for f in FILE_FORMATS.values() if f.readable]
        ['jsonl', 'csv']
    """

    name: str
    write: Callable[[Iterable[Any], Any, str | None, ZoneInput], int]
    readable: bool = False
    binary: bool = False
    standing: bool = False


FILE_FORMATS: Final = {
    form.name: form
    for form in (
        FileFormat("jsonl", lambda events, file, _t, _z: write_jsonl(events, file), readable=True),
        FileFormat("csv", lambda events, file, _t, _z: write_csv(events, file), readable=True),
        FileFormat(
            "timelinejs",
            lambda events, file, title, zone: write_timelinejs(
                events, file, title=title, day_zone=zone
            ),
            standing=True,
        ),
        FileFormat(
            "parquet", lambda events, file, _t, _z: write_parquet(events, file), binary=True
        ),
    )
}
"""The file formats by name: JSON Lines and CSV (read back by ``timeline import``),
TimelineJS 3 JSON (for publishing) and Parquet (for analysis; needs the ``parquet``
extra). A new format is one writer and one entry here."""

FORMATS: Final = tuple(name for name, form in FILE_FORMATS.items() if form.readable)
"""The file formats read and written: JSON Lines and CSV."""

EXPORT_FORMATS: Final = tuple(FILE_FORMATS)
"""What :meth:`Timeline.export <timeline.Timeline.export>` writes: every format of
:data:`FILE_FORMATS`; the last two are not read back."""


def read_templates(path: str | os.PathLike[str]) -> dict[str, dict[str, dict[str, Any]]]:
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
        cause = refused.__cause__
        problem = (
            f"is not valid JSON: {cause.msg} (line {cause.lineno}, column {cause.colno})"
            if isinstance(cause, json.JSONDecodeError)
            else refused.problem
        )
        raise InvalidEventError("templates", f"{path} {problem}") from cause
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
    for name, given in zip(columns, row, strict=False):
        if name is None or not given.strip():
            continue
        cell = from_spreadsheet_cell(given)
        if name in CSV_JSON_FIELDS:
            fields[name] = _json_cell(name, cell)
        elif name == "reported_at" and cell.strip().lower() == NO_REPORTED_TIME:
            fields[name] = None  # no reported time, as "reported_at": null in JSON Lines
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
    if "," in cell:
        # "US, Iraq" is two names written the way a person lists them, or one name that
        # holds a comma: refused rather than guessed
        names = [name.strip() for name in cell.replace(";", ",").split(",") if name.strip()]
        raise InvalidEventError(
            "targets",
            f"{cell!r} holds a comma; separate names with ';' ({';'.join(names)}), or write "
            f"a JSON list ({json.dumps([cell], ensure_ascii=False)}) for one name with a comma",
        )
    return [name.strip() for name in cell.split(";") if name.strip()]


def _csv_cell(name: str, value: Any) -> str:
    if value is None and name == "reported_at":
        return NO_REPORTED_TIME  # an empty cell would take the source's published_at
    if value is None or value == {} or value == []:
        return ""
    if name in CSV_JSON_FIELDS:
        return json.dumps(value, ensure_ascii=False)
    if name == "targets":
        if any(";" in target or "," in target for target in value) or value[0].startswith("["):
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
    "EXPORT_FORMATS",
    "FILE_FORMATS",
    "FORMATS",
    "LINE_ROOM",
    "NO_REPORTED_TIME",
    "PARQUET_BATCH",
    "REQUIRED_FIELDS",
    "SPREADSHEET_STARTS",
    "STORED_FIELDS",
    "TIMELINEJS_PARTS",
    "FileEvents",
    "FileFormat",
    "Line",
    "event_to_record",
    "export_format",
    "file_format",
    "from_spreadsheet_cell",
    "max_line_bytes",
    "parse_json",
    "read_csv",
    "read_events",
    "read_jsonl",
    "read_records",
    "read_templates",
    "spreadsheet_cell",
    "timelinejs_date",
    "to_timelinejs",
    "write_csv",
    "write_jsonl",
    "write_parquet",
    "write_timelinejs",
    "write_to",
]
