"""Time parsing and precision: the rules that turn what a caller wrote into UTC intervals.

Pure functions, no database. Every moment the library stores or compares is an aware
``datetime`` in UTC. A time given with less than full precision ("2017-06-18", "June
2017", "2017-06-18 15:43") stands for the whole interval of its precision:
``[start, start + one unit)``. Nothing is guessed: a time of day without a zone is refused
unless the caller configured a default zone, and text that a parser could read two ways
(``01/02/2017``, a two-digit year, a weekday without a date) is refused with a message
that says how to write it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as _dateparser
from dateutil.relativedelta import relativedelta

from timeline.errors import InvalidEventError

UTC: Final = dt.UTC

#: Precisions from finest to coarsest. ``exact`` is a point; the others cover one unit.
PRECISIONS: Final = ("exact", "second", "minute", "hour", "day", "month", "year")

_UNITS: Final[dict[str, relativedelta]] = {
    "second": relativedelta(seconds=1),
    "minute": relativedelta(minutes=1),
    "hour": relativedelta(hours=1),
    "day": relativedelta(days=1),
    "month": relativedelta(months=1),
    "year": relativedelta(years=1),
}

# Two "default" datetimes that differ in every field: a field the text did not give takes
# the default's value, so comparing the two parses tells which fields the text gave,
# through dateutil's public API only.
_DEFAULT_A: Final = dt.datetime(2000, 1, 1, 0, 0, 0, 0)
_DEFAULT_B: Final = dt.datetime(2001, 2, 2, 1, 1, 1, 1)
_NUMERIC_DMY: Final = re.compile(r"^\s*(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})\b")
_FOUR_DIGITS: Final = re.compile(r"\d{4}")
_POSIX_ZONE: Final = re.compile(r"(?i)\b(?:UTC|GMT)\s*[+-]\s*\d")
# dateutil sets microseconds to 0 whenever seconds are given; only a written fraction of a
# second makes a moment exact.
_FRACTION: Final = re.compile(r"\d:\d\d[.,]\d")
# The canonical forms (what export and isoformat write), read without dateutil: a date,
# or a date and time of day with an offset. Anything else, or anything these let through
# that datetime cannot build, goes the general way.
_ISO_MOMENT: Final = re.compile(
    r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?P<second>:\d\d(?P<fraction>\.\d{1,6})?)?(?:Z|[+-]\d\d:\d\d)"
)
_ISO_DATE: Final = re.compile(r"\d{4}-\d\d-\d\d")

TimeInput = dt.datetime | dt.date | str
ZoneInput = dt.tzinfo | str | None


def resolve_zone(zone: ZoneInput, *, field: str = "default_tz") -> dt.tzinfo | None:
    """Return a ``tzinfo`` for an IANA zone name or a ``tzinfo``; ``None`` stays ``None``.

    Raises:
        InvalidEventError: the name is not a known IANA zone.

    Example:
        >>> resolve_zone("Europe/Moscow")
        zoneinfo.ZoneInfo(key='Europe/Moscow')
    """
    if zone is None or isinstance(zone, dt.tzinfo):
        return zone
    if isinstance(zone, str):
        try:
            return ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise InvalidEventError(field, f"unknown time zone {zone!r}") from e
    raise InvalidEventError(field, f"expected a zone name or tzinfo, got {type(zone).__name__}")


def interval_end(start: dt.datetime, precision: str) -> dt.datetime:
    """Return the end (exclusive) of the interval that ``start`` covers at ``precision``.

    ``exact`` is a point, so its end is its start.

    Example:
        >>> start = dt.datetime(2017, 6, 19, tzinfo=UTC)
        >>> interval_end(start, "day").isoformat()
        '2017-06-20T00:00:00+00:00'
    """
    if precision == "exact":
        return start
    try:
        return start + _UNITS[precision]
    except OverflowError:
        return dt.datetime.max.replace(tzinfo=UTC)


def check_precision(value: object, *, field: str = "precision") -> str:
    """Return ``value`` if it names a precision, else raise ``InvalidEventError``.

    Example:
        >>> check_precision("day")
        'day'
    """
    if not isinstance(value, str) or value not in PRECISIONS:
        raise InvalidEventError(field, f"must be one of {', '.join(PRECISIONS)}; got {value!r}")
    return value


def parse_time(
    value: object, *, field: str = "occurred_at", default_tz: ZoneInput = None
) -> tuple[dt.datetime, str]:
    """Turn a caller's moment into ``(start in UTC, inferred precision)``.

    - an aware ``datetime`` is converted to UTC, precision ``exact``;
    - a naive ``datetime`` is read in ``default_tz`` and refused when there is none;
    - a ``date`` is that UTC day, precision ``day``;
    - text is parsed with python-dateutil; its precision is the finest field it gives
      ("2017" year, "June 2017" month, "2017-06-18" day, "2017-06-18 15:43" minute, with
      seconds ``second``, with a fraction ``exact``). A date alone is a UTC day or month or
      year; a time of day needs an offset in the text or ``default_tz``.

    Raises:
        InvalidEventError: naming ``field``, for anything it cannot read without guessing.

    Example:
        >>> parse_time("2017-06-18")
        (datetime.datetime(2017, 6, 18, 0, 0, tzinfo=datetime.timezone.utc), 'day')
        >>> parse_time("2017-06-18 18:43 +03:00")[0].isoformat()
        '2017-06-18T15:43:00+00:00'
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return _localize(value, field=field, default_tz=default_tz), "exact"
        return _to_utc(value, field=field), "exact"
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=UTC), "day"
    if isinstance(value, str):
        return _parse_text(value, field=field, default_tz=default_tz)
    raise InvalidEventError(
        field, f"expected a datetime, a date or text, got {type(value).__name__}"
    )


def _to_utc(value: dt.datetime, *, field: str) -> dt.datetime:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as e:
        raise InvalidEventError(
            field, f"{value.isoformat()} is not a moment between the years 1 and 9999 in UTC"
        ) from e


def _localize(value: dt.datetime, *, field: str, default_tz: ZoneInput) -> dt.datetime:
    zone = resolve_zone(default_tz)
    if zone is None:
        raise InvalidEventError(
            field,
            f"{value.isoformat()} has no time zone; give an offset (+03:00, Z) or set a "
            "default zone (default_tz in Python, --default-tz on the command line)",
        )
    local = value.replace(tzinfo=zone, fold=0)
    utc = _to_utc(local, field=field)
    if utc.astimezone(zone).replace(tzinfo=None) != value.replace(fold=0):
        raise InvalidEventError(
            field, f"{value.isoformat()} does not exist in {zone} (clocks went forward)"
        )
    if local.utcoffset() != value.replace(tzinfo=zone, fold=1).utcoffset():
        raise InvalidEventError(
            field, f"{value.isoformat()} happens twice in {zone} (clocks went back); give an offset"
        )
    return utc


def _parse_text(text: str, *, field: str, default_tz: ZoneInput) -> tuple[dt.datetime, str]:
    fast = _parse_iso(text)
    if fast is not None:
        return fast
    return _parse_general(text, field=field, default_tz=default_tz)


def _parse_general(text: str, *, field: str, default_tz: ZoneInput) -> tuple[dt.datetime, str]:
    stripped = text.strip()
    if not stripped:
        raise InvalidEventError(field, "is empty")
    if len(stripped) > 100:
        raise InvalidEventError(field, f"text of {len(stripped)} characters is not a date")
    if _POSIX_ZONE.search(stripped):
        raise InvalidEventError(
            field,
            f"{text!r}: 'UTC+3' is read by some tools as three hours behind UTC and by "
            "others as ahead; write the offset as +03:00",
        )
    numeric = _NUMERIC_DMY.match(stripped)
    if numeric and int(numeric[1]) <= 12 and int(numeric[2]) <= 12 and numeric[1] != numeric[2]:
        raise InvalidEventError(
            field, f"{text!r} could be day/month or month/day; write it as YYYY-MM-DD"
        )
    try:
        a = _dateparser.parse(stripped, default=_DEFAULT_A)
        b = _dateparser.parse(stripped, default=_DEFAULT_B)
    except (ValueError, OverflowError) as e:
        raise InvalidEventError(field, f"cannot read {text!r} as a date or time") from e
    if a.year != b.year:
        raise InvalidEventError(field, f"{text!r} has no year; write a full date")
    if not _FOUR_DIGITS.search(stripped):
        raise InvalidEventError(field, f"{text!r} has no four-digit year; write a full date")
    # A field the text gave is equal in both parses; one it left out took each default.
    given_month = a.month == b.month
    given_day = a.day == b.day
    given = {
        "hour": a.hour == b.hour,
        "minute": a.minute == b.minute,
        "second": a.second == b.second,
        "microsecond": a.microsecond == b.microsecond,
    }
    if given_day and not given_month:
        raise InvalidEventError(field, f"{text!r} has a day but no month")
    has_time = any(given.values())
    if has_time and not given_day:
        raise InvalidEventError(field, f"{text!r} has a time of day but no date")
    if given["microsecond"] and _FRACTION.search(stripped):
        precision = "exact"
    elif given["second"]:
        precision = "second"
    elif given["minute"]:
        precision = "minute"
    elif given["hour"]:
        precision = "hour"
    elif given_day:
        precision = "day"
    elif given_month:
        precision = "month"
    else:
        precision = "year"
    start = a.replace(
        month=a.month if given_month else 1,
        day=a.day if given_day else 1,
        hour=a.hour if given["hour"] else 0,
        minute=a.minute if given["minute"] else 0,
        second=a.second if given["second"] else 0,
        microsecond=a.microsecond if given["microsecond"] else 0,
    )
    if start.tzinfo is not None:
        try:
            offset = start.utcoffset()
        except ValueError as e:  # dateutil's offsets of a day or more
            raise InvalidEventError(field, f"{text!r} has an offset of a day or more") from e
        if offset is not None:
            return _to_utc(start, field=field), precision
    if not has_time:
        # A calendar date, month or year without an offset is the UTC one, by contract.
        return start.replace(tzinfo=UTC), precision
    return _localize(start, field=field, default_tz=default_tz), precision


def _parse_iso(text: str) -> tuple[dt.datetime, str] | None:
    """The canonical forms, as :func:`_parse_text` reads them, several times faster."""
    moment = _ISO_MOMENT.fullmatch(text)
    try:
        if moment is not None:
            if moment["fraction"]:
                precision = "exact"
            else:
                precision = "second" if moment["second"] else "minute"
            return dt.datetime.fromisoformat(text).astimezone(UTC), precision
        if _ISO_DATE.fullmatch(text):
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day, tzinfo=UTC), "day"
    except (ValueError, OverflowError):  # out of range: the general way says what is wrong
        return None
    return None


def isoformat(moment: dt.datetime) -> str:
    """Return the canonical text of a UTC moment: ISO 8601 with microseconds and ``Z``.

    Example:
        >>> isoformat(dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC))
        '2017-06-18T15:43:00.000000Z'
    """
    m = moment.astimezone(UTC)
    # written out, not strftime: %Y is not zero-padded for years before 1000 on glibc
    return (
        f"{m.year:04d}-{m.month:02d}-{m.day:02d}T"
        f"{m.hour:02d}:{m.minute:02d}:{m.second:02d}.{m.microsecond:06d}Z"
    )


def through(value: object, *, field: str, default_tz: ZoneInput = None) -> tuple[dt.datetime, bool]:
    """Return the upper bound a caller's moment sets, as ``(moment, inclusive)``.

    An exact moment T bounds at T inclusive; a coarser one (a date, "June 2017") at the
    end of its interval, exclusive. So ``until="2017-06-19"`` and ``known_at="2017-06-19"``
    take in the whole UTC day of June 19, and ``until=<a datetime>`` that instant.

    Example:
        >>> through("2017-06-19", field="until")
        (datetime.datetime(2017, 6, 20, 0, 0, tzinfo=datetime.timezone.utc), False)
    """
    start, precision = parse_time(value, field=field, default_tz=default_tz)
    if precision == "exact":
        return start, True
    return interval_end(start, precision), False


_DURATION_PART: Final = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|w|d|h|m|s)", re.IGNORECASE)
_DURATION_UNITS: Final = {
    "ms": dt.timedelta(milliseconds=1),
    "s": dt.timedelta(seconds=1),
    "m": dt.timedelta(minutes=1),
    "h": dt.timedelta(hours=1),
    "d": dt.timedelta(days=1),
    "w": dt.timedelta(weeks=1),
}


def parse_duration(value: object, *, field: str) -> dt.timedelta:
    """Return a duration from a ``timedelta`` or text such as "3d", "12h", "90m", "1d12h".

    Units: ``w`` weeks, ``d`` days, ``h`` hours, ``m`` minutes, ``s`` seconds, ``ms``
    milliseconds. A duration must not be negative.

    Raises:
        InvalidEventError: naming ``field``, for anything else.

    Example:
        >>> parse_duration("1d12h", field="within")
        datetime.timedelta(days=1, seconds=43200)
    """
    if isinstance(value, dt.timedelta):
        if value < dt.timedelta(0):
            raise InvalidEventError(field, f"must not be negative, got {value}")
        return value
    if not isinstance(value, str):
        raise InvalidEventError(
            field, f"expected a timedelta or text like '3d', got {type(value).__name__}"
        )
    text = value.strip()
    parts = _DURATION_PART.findall(text)
    if not parts or _DURATION_PART.sub("", text).strip():
        raise InvalidEventError(
            field, f"cannot read {value!r} as a duration; write e.g. 3d, 12h, 90m, 500ms"
        )
    try:
        return sum(
            (float(number) * _DURATION_UNITS[unit.lower()] for number, unit in parts),
            dt.timedelta(0),
        )
    except OverflowError as e:
        raise InvalidEventError(
            field, f"{value!r} is longer than a duration can be (999,999,999 days)"
        ) from e


__all__ = [
    "PRECISIONS",
    "UTC",
    "check_precision",
    "interval_end",
    "isoformat",
    "parse_duration",
    "parse_time",
    "resolve_zone",
    "through",
]
