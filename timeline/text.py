"""Text for people: how durations, moments, values, match keys and tables are written,
and the rule for text meant for a terminal.

Every renderer (the text and Markdown reports in :mod:`timeline.render`, the chart's
labels and tooltips in :mod:`timeline.chart`, TimelineJS dates in :mod:`timeline.io`,
every table and message of the ``timeline`` command) writes these things through the
functions here, so that one change of wording reaches them all. The written forms of a
moment that :mod:`timeline.times` defines beside its rules (:func:`isoformat`,
:func:`bound_text`, :func:`zone_name`) are offered here too.

Text for a terminal goes through :func:`printable`, so that a value holding a terminal's
control sequence (``ESC[2J`` clears the screen) or a bidirectional override is shown, not
obeyed; JSON and CSV are for programs and keep every character.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from timeline.times import (
    CALENDAR_UNITS,
    UTC,
    ZoneInput,
    bound_text,
    isoformat,
    parse_time,
    resolve_zone,
    unit_start,
    zone_name,
)

if TYPE_CHECKING:
    from timeline.events import RecordedEvent

_CONTROLS = [*range(0x00, 0x20), 0x7F, *range(0x80, 0xA0)]
# bidirectional controls (and the two Unicode line breaks), which reorder or break the
# text around them on the screen
_REORDERING = [0x061C, 0x200E, 0x200F, *range(0x202A, 0x202F), *range(0x2066, 0x206A)]
_ESCAPES = {
    **{code: f"\\x{code:02x}" for code in _CONTROLS},
    **{code: f"\\u{code:04x}" for code in (*_REORDERING, 0x2028, 0x2029)},
    **{ord(c): escape for c, escape in (("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))},
}
_ESCAPES_BUT_NEWLINE = {code: escape for code, escape in _ESCAPES.items() if code != 0x0A}


def printable(text: str, *, lines: bool = True) -> str:
    """Return ``text`` safe to print to a terminal: each control character (C0 but the
    line break, DEL, C1) and each bidirectional control written as an escape (``\\x1b``,
    ``\\u202e``) instead of acting on the screen. ``lines=False`` escapes line breaks
    too, for a table cell or a message that must stay on one line.

    Example:
        >>> printable("suspended\\x1b[2J"), printable("US\\u202eAIRAK")
        ('suspended\\\\x1b[2J', 'US\\\\u202eAIRAK')
        >>> printable("a\\nb"), printable("a\\nb", lines=False)
        ('a\\nb', 'a\\\\nb')
    """
    return text.translate(_ESCAPES_BUT_NEWLINE if lines else _ESCAPES)


def duration(value: dt.timedelta | None, *, parts: int | None = None) -> str:
    """Return a duration as people read it: ``2d 3h``, ``45m``, ``0s``.

    ``parts`` keeps only the largest units (``parts=2``: ``1d 2h``).

    Example:
        >>> duration(dt.timedelta(days=1, hours=2, minutes=3))
        '1d 2h 3m'
        >>> duration(dt.timedelta(days=1, hours=2, minutes=3), parts=2)
        '1d 2h'
    """
    if value is None:
        return "-"
    total = int(value.total_seconds())
    units = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        amount, total = divmod(total, size)
        if amount:
            units.append(f"{amount}{unit}")
    millis = value.microseconds // 1000
    if millis and not units:
        return f"{millis}ms"
    return " ".join(units[:parts]) or "0s"


def key_text(key: Hashable) -> str:
    """Return a match key as text: a value, or values joined by ``/`` for a composite key.

    Example:
        >>> key_text("US"), key_text(("s", "US"))
        ('US', 's / US')
    """
    if isinstance(key, tuple):
        return " / ".join(str(k) for k in key)
    return str(key)


def value_text(value: Any, *, none: str = "null") -> str:
    """Return an attribute's or a datum's value as text: a string as it is, anything else
    as compact JSON; ``none`` is what stands for ``None``.

    Example:
        >>> value_text("suspended"), value_text({"n": 1}), value_text(None, none="-")
        ('suspended', '{"n": 1}', '-')
    """
    if value is None:
        return none
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def count(n: int, noun: str, plural: str = "s") -> str:
    """Return ``n`` and the noun, singular or plural.

    Example:
        >>> count(1, "event"), count(3, "event"), count(2, "match", "es")
        ('1 event', '3 events', '2 matches')
    """
    return f"{n} {noun}" if n == 1 else f"{n} {noun}{plural}"


def table(header: Sequence[str], given: Sequence[Sequence[str]], indent: str = "") -> list[str]:
    """Return the lines of an aligned plain-text table, each cell made :func:`printable`
    on one line (escaped before measuring, so that a value with a line break or an
    escape sequence keeps to its cell).

    Example:
        >>> table(("actor", "n"), [("US", "2"), ("Russia", "10")])
        ['actor   n', 'US      2', 'Russia  10']
    """
    rows = [[printable(cell, lines=False) for cell in row] for row in given]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return [
        (indent + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True))).rstrip()
        for row in [header, *rows]
    ]


def events_table(
    found: Iterable[RecordedEvent],
    *,
    corrections: bool = False,
    day_zone: dt.tzinfo | None = None,
) -> list[str]:
    """Return the lines of a table of events (what ``timeline events`` prints), or
    ``(no events)``; ``corrections`` adds a column saying how many corrections shaped each
    (for events as they now stand). Times are UTC, but a day, month or year of a
    ``day_zone`` other than UTC, written as its date there (:func:`table_time`).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s", reported_at="2017-06-18")
        >>> for line in events_table(tl.events()):
        ...     print(line)
        pos  occurred_at (UTC)  precision  reported (UTC)  type   actor  targets
        1    2017-06-17 00:00   day        2017-06-18      truce  Syria
    """
    header = ["pos", time_column("occurred_at", day_zone), "precision"]
    header += [time_column("reported", day_zone), "type", "actor"]
    header += ["targets", "corrected"] if corrections else ["targets"]
    rows = []
    # a correction carries the corrected event's type: without a word, the log of a
    # corrected shootdown read as two shootdowns
    listed: dict[uuid.UUID, int] = {}
    mends = False
    for e in found:
        row = [
            str(e.position),
            table_time(e.occurred_at, e.precision, day_zone),
            e.precision,
            _reported_cell(*e.reported, day_zone),
            e.type,
            e.actor,
            ", ".join(e.targets),
        ]
        if corrections:
            row.append(count(len(e.corrected_by), "correction") if e.corrected_by else "")
        else:
            listed[e.id] = e.position
            mended = e.corrects or e.retracts
            verb = "corrects" if e.corrects else "retracts"
            row.append("" if mended is None else f"{verb} {listed.get(mended, mended)}")
            mends = mends or mended is not None
        rows.append(row)
    if not corrections and not mends:  # the column only when a row mends another
        rows = [row[:-1] for row in rows]
    elif not corrections:
        header.append("mends")
    return table(header, rows) + ([] if rows else ["(no events)"])


def _days_of(moment: dt.datetime, precision: str, day_zone: dt.tzinfo | None) -> dt.tzinfo | None:
    """The zone whose date a table writes for ``moment``: ``day_zone`` for the start of
    a day, month or year of its calendar, unless it is UTC's (the tables' own); None for
    anything else (a unit recorded with other days, or a moment inside a unit, whose
    date there would be another), written in UTC."""
    if precision not in CALENDAR_UNITS or zone_name(day_zone) == "UTC":
        return None
    return day_zone if unit_start(moment, precision, day_zone=day_zone) == moment else None


def _reported_cell(moment: dt.datetime, precision: str, day_zone: dt.tzinfo | None) -> str:
    """A reported time as the events table writes it: to its precision in UTC, but a
    day, month or year under a day zone other than UTC as :func:`table_time` writes it
    (its date there, or UTC to the minute: never a bare date read as the zone's)."""
    if precision in CALENDAR_UNITS and zone_name(day_zone) != "UTC":
        return table_time(moment, precision, day_zone)
    return short_time(moment, precision)


def table_time(moment: dt.datetime, precision: str, day_zone: dt.tzinfo | None = None) -> str:
    """Return a moment as tables show it: in UTC to the minute, but the start of a day,
    month or year of a day zone other than UTC as its date there (a day of Damascus
    starts at 21:00 UTC the day before, which reads as the wrong day).

    Example:
        >>> table_time(dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC), "minute")
        '2017-06-18 15:43'
        >>> table_time(dt.datetime(2017, 6, 18, 21, tzinfo=UTC), "day",
        ...            resolve_zone("Asia/Damascus"))
        '2017-06-19'
    """
    days = _days_of(moment, precision, day_zone)
    return minute(moment) if days is None else short_time(moment, precision, days)


def time_column(name: str, day_zone: dt.tzinfo | None = None) -> str:
    """Return the heading of a column of :func:`table_time`'s times.

    Example:
        >>> time_column("when"), time_column("when", resolve_zone("Asia/Damascus"))
        ('when (UTC)', 'when (UTC; days of Asia/Damascus)')
    """
    days = zone_name(day_zone)
    return f"{name} (UTC)" if days == "UTC" else f"{name} (UTC; days of {days})"


def minute(moment: dt.datetime) -> str:
    """Return a moment in UTC to the minute, as tables show it.

    Example:
        >>> minute(dt.datetime(2017, 6, 18, 15, 43, 59, tzinfo=UTC))
        '2017-06-18 15:43'
    """
    return isoformat(moment)[:16].replace("T", " ")


def short_time(moment: dt.datetime, precision: str, day_zone: dt.tzinfo | None = None) -> str:
    """Return a moment written to its precision: 2017, 2017-06, 2017-06-19 (in the day
    zone, when one is given), 2017-06-19 15:43 (UTC).

    Example:
        >>> short_time(dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC), "minute")
        '2017-06-18 15:43'
        >>> short_time(dt.datetime(2017, 6, 18, tzinfo=UTC), "month")
        '2017-06'
    """
    # not strftime: its %Y is not zero-padded for years before 1000 on glibc ("999-06")
    if precision in CALENDAR_UNITS and day_zone is not None:
        m = moment.astimezone(day_zone)
    else:
        m = moment.astimezone(dt.UTC)
    text = f"{m.year:04d}-{m.month:02d}-{m.day:02d} {m.hour:02d}:{m.minute:02d}"
    length = {"year": 4, "month": 7, "day": 10, "hour": 16, "minute": 16}.get(precision)
    if length is not None:
        return text[:length]
    text += f":{m.second:02d}"
    return text if precision == "second" else f"{text}.{m.microsecond:06d}"


def asked_at(text: str | None, *, default_tz: ZoneInput = None, day_zone: ZoneInput = None) -> str:
    """Return what an ``at`` given as text asks about, as people read it: a day, month or
    year of the day zone, or an instant (``None``: after all the actor's events).

    Example:
        >>> asked_at("2017-06-19"), asked_at("2017-06-19 15:43Z"), asked_at(None)
        ('on 2017-06-19 (the whole UTC day)', 'at 2017-06-19 15:43 UTC', 'after all its events')
    """
    if text is None:
        return "after all its events"
    start, precision = parse_time(text, field="at", default_tz=default_tz, day_zone=day_zone)
    if precision in CALENDAR_UNITS:
        zone = resolve_zone(day_zone, field="day_zone")
        shown = short_time(start, precision, zone)
        return f"on {shown} (the whole {zone_name(zone)} {precision})"
    return f"at {short_time(start, precision)} UTC"


def when_text(moment: dt.datetime, precision: str, day_zone: ZoneInput = None) -> str:
    """Return a UTC moment written to its precision, with the precision named.

    A day, month or year is written as the day zone's (UTC by default), a time of day in
    UTC.

    Example:
        >>> when_text(dt.datetime(2017, 6, 19, tzinfo=UTC), "day")
        '2017-06-19 (the whole day, UTC)'
        >>> when_text(dt.datetime(2020, 1, 2, 21, tzinfo=UTC), "day", "Asia/Baghdad")
        '2020-01-03 (the whole day, Asia/Baghdad)'
        >>> when_text(dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC), "minute")
        '2017-06-18 15:43 UTC (to the minute)'
    """
    zone = resolve_zone(day_zone, field="day_zone") if precision in CALENDAR_UNITS else None
    name = zone_name(zone)
    m = moment.astimezone(zone or UTC)
    date = f"{m.year:04d}-{m.month:02d}-{m.day:02d}"
    clock = f"{m.hour:02d}:{m.minute:02d}"
    return {
        "year": f"{m.year:04d} (the whole year, {name})",
        "month": f"{date[:7]} (the whole month, {name})",
        "day": f"{date} (the whole day, {name})",
        "hour": f"{date} {clock} UTC (to the hour)",
        "minute": f"{date} {clock} UTC (to the minute)",
        "second": f"{date} {clock}:{m.second:02d} UTC (to the second)",
    }.get(precision, f"{date} {clock}:{m.second:02d}.{m.microsecond:06d} UTC (exact)")


__all__ = [
    "asked_at",
    "bound_text",
    "count",
    "duration",
    "events_table",
    "isoformat",
    "key_text",
    "minute",
    "printable",
    "short_time",
    "table",
    "table_time",
    "time_column",
    "value_text",
    "when_text",
    "zone_name",
]
