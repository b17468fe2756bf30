"""Time parsing and precision: the rules that turn what a caller wrote into UTC intervals.

Pure functions, no database. Every moment the library stores or compares is an aware
``datetime`` in UTC. A time given with less than full precision ("2017-06-18", "June
2017", "2017-06-18 15:43") stands for the whole interval of its precision:
``[start, start + one unit)``. Days, months and years are those of the calendar of a *day
zone* (UTC unless the caller gives one: ``day_zone`` is a setting of the ``Timeline``,
passed to these functions, never a global). Nothing is guessed: a time of day without a
zone is refused unless the caller configured a default zone, and text that a parser could
read two ways (``01/02/2017``, ``8-1-2020``, a two-digit year, a weekday that is not the
date's, a zone abbreviation such as ``EST``) is refused with a message that says how to
write it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil import parser as _dateparser
from dateutil import tz as _tz
from dateutil.relativedelta import relativedelta

from timeline.errors import InvalidEventError

UTC: Final = dt.UTC

#: Precisions from finest to coarsest. ``exact`` is a point; the others cover one unit.
PRECISIONS: Final = ("exact", "second", "minute", "hour", "day", "month", "year")

#: The precisions that are units of the calendar, counted in the day zone.
CALENDAR_UNITS: Final = ("day", "month", "year")

_UNITS: Final[dict[str, relativedelta]] = {
    "second": relativedelta(seconds=1),
    "minute": relativedelta(minutes=1),
    "hour": relativedelta(hours=1),
    "day": relativedelta(days=1),
    "month": relativedelta(months=1),
    "year": relativedelta(years=1),
}
_WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTHS: Final = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip

# Two "default" datetimes that differ in every field: a field the text did not give takes
# the default's value, so comparing the two parses tells which fields the text gave,
# through dateutil's public API only.
_DEFAULT_A: Final = dt.datetime(2000, 1, 1, 0, 0, 0, 0)
_DEFAULT_B: Final = dt.datetime(2001, 2, 2, 1, 1, 1, 1)
# Three numbers with one separator between them (-, /, . or spaces): a numeric date. With
# the year last, the first two are a day and a month in an order that differs by country.
_NUMERIC_DATE: Final = re.compile(r"(?<![\d:.,])(\d{1,4})([-/.]|\s+)(\d{1,2})\2(\d{1,4})(?![\d:])")
_FOUR_DIGITS: Final = re.compile(r"\d{4}")
# Runs of three digits or more (the character before each tells a time, T1843, an offset,
# +0300, and a fraction of a second, .123, from a year)
_LONG_NUMBER: Final = re.compile(r"(?<!\d)\d{3,}(?!\d)")
# Offsets as a text writes them after a time or a space: +03:00, -0300, +03; and Z
_OFFSET_WRITTEN: Final = re.compile(
    r"(?:(?<=\s)|(?<=\d\d:\d\d)|(?<=Z))[+-]\d\d(?::?\d\d)?(?!\d)|(?<![A-Za-z])Z(?![A-Za-z])"
)
# After a time of day (15:43, T1543), an offset may follow its digits: .5+03:00, T1543-0300
_AFTER_CLOCK: Final = re.compile(r"\d:\d\d|T\d\d")
_OFFSET_AFTER_DIGITS: Final = re.compile(r"(?<=\d)[+-]\d\d(?::?\d\d)?(?!\d)")
# A time of day (15:43), not an offset's hours and minutes (+03:00) nor seconds (:43:00)
_CLOCK: Final = re.compile(r"(?<![+\-\d:])\d{1,2}:\d\d")
# A time of day without seconds, then a minus and a later time of the same day: a range
# of times (10:00-10:30) as much as a moment at an offset behind UTC (10:00 at -10:30).
# RFC 3339 writes the seconds before an offset, so 10:00:00-10:30 is read as one.
_RANGE_OR_OFFSET: Final = re.compile(
    r"(?<![\d:.])(?P<h>\d{1,2}):(?P<m>\d\d)-(?P<oh>\d\d)(?::?(?P<om>\d\d))?(?![\d:])"
)
# A date written year first, then a range: 2017-06-18/19, 2017-06/07, 2017-06-18--19
_ISO_RANGE: Final = re.compile(r"\d{4}-\d\d(?:-\d\d)?(?:/|--)")
# The offsets places keep today: UTC-12:00 to UTC+14:00, in whole hours, halves or
# three quarters (+05:30, +05:45); another is a range of times read as one (10:01-11:01)
_OFFSETS_USED: Final = (dt.timedelta(hours=-12), dt.timedelta(hours=14))


def _offset_kept(offset: dt.timedelta) -> bool:
    """Whether some place keeps this offset today (see ``_OFFSETS_USED``)."""
    minutes = int(offset.total_seconds()) // 60
    in_range = _OFFSETS_USED[0] <= offset <= _OFFSETS_USED[1]
    return in_range and offset.total_seconds() % 60 == 0 and abs(minutes) % 60 in (0, 30, 45)


_WORDS: Final = re.compile(r"[A-Za-z]+")
# UTC-5, GMT+03:00 and Z+3 (which dateutil reads by POSIX's sign, three hours behind UTC)
_POSIX_ZONE: Final = re.compile(r"(?i)(?:\b(?:UTC|GMT)|(?<![A-Za-z])Z)\s*[+-]\s*(\d+)(?::(\d\d))?")
_OFFSET: Final = re.compile(r"([+-])(\d\d):?(\d\d)")
_PARSER_INFO: Final = _dateparser.parserinfo()
# dateutil sets microseconds to 0 whenever seconds are given; only a written fraction of a
# second makes a moment exact.
_FRACTION: Final = re.compile(r"(?:\d:\d\d|T\d{6})[.,]\d")
# The canonical forms (what export and isoformat write), read without dateutil: a date,
# or a date and time of day with an offset. Anything else, or anything these let through
# that datetime cannot build, goes the general way.
_ISO_MOMENT: Final = re.compile(
    r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?P<second>:\d\d(?P<fraction>\.\d{1,6})?)?(?:Z|[+-]\d\d:\d\d)"
)
_ISO_DATE: Final = re.compile(r"\d{4}-\d\d-\d\d")
_ZONE_HINT: Final = (
    "write the offset it stands for (such as -05:00 or +03:30), or leave it out and set "
    "the IANA zone it is in (such as America/New_York or Asia/Tehran) as the default zone "
    "(default_tz in Python, --default-tz on the command line)"
)

TimeInput = dt.datetime | dt.date | str
ZoneInput = dt.tzinfo | str | None
Bound = tuple[dt.datetime, bool]
"""An upper bound ``(moment, inclusive)``: a moment asks about that instant (inclusive),
a date, month or year about its whole interval (its end, exclusive)."""


def resolve_zone(zone: ZoneInput, *, field: str = "default_tz") -> dt.tzinfo | None:
    """Return a ``tzinfo`` for an IANA zone name, a fixed offset or a ``tzinfo``.

    ``None`` stays ``None``. A fixed offset is written ``+03:30`` or ``-0500``.

    Raises:
        InvalidEventError: naming ``field``, for a name that is neither.

    Example:
        >>> resolve_zone("Europe/Moscow")
        zoneinfo.ZoneInfo(key='Europe/Moscow')
        >>> resolve_zone("+03:30")
        datetime.timezone(datetime.timedelta(seconds=12600))
    """
    if zone is None or isinstance(zone, dt.tzinfo):
        return zone
    if isinstance(zone, str):
        offset = _OFFSET.fullmatch(zone.strip())
        if offset is not None:
            sign, hours, minutes = offset.groups()
            if int(hours) > 23 or int(minutes) > 59:
                raise InvalidEventError(field, f"{zone!r} is not an offset from UTC")
            delta = dt.timedelta(hours=int(hours), minutes=int(minutes))
            return dt.timezone(-delta if sign == "-" else delta)
        _refuse_misleading_zone(zone.strip(), field=field)
        try:
            return ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as e:
            raise InvalidEventError(
                field,
                f"unknown time zone {zone!r}; give an IANA zone (Asia/Damascus) "
                "or an offset (+03:00)",
            ) from e
    raise InvalidEventError(field, f"expected a zone name or tzinfo, got {type(zone).__name__}")


# The tz database's zones named like abbreviations, each one offset all year: "EST" is
# never New York's summer time (-04:00), which whoever writes it usually means
# (HST is Honolulu's time all year, so it stays)
_FIXED_ABBREVIATIONS: Final = {
    "EST": ("-05:00", "America/New_York", "-04:00"),
    "MST": ("-07:00", "America/Denver", "-06:00"),
}
_POSIX_SIGNED: Final = re.compile(r"(?i)(?:Etc/)?GMT([+-])(\d{1,2})")


def _refuse_misleading_zone(name: str, *, field: str) -> None:
    """Refuse a zone name that reads as another offset than it is: ``EST`` and ``MST``
    (fixed all year in the tz database, summer included) and ``Etc/GMT+3`` (POSIX
    signs: three hours *behind* UTC)."""
    fixed = _FIXED_ABBREVIATIONS.get(name)
    if fixed is not None:
        offset, place, summer = fixed
        raise InvalidEventError(
            field,
            f"{name!r} is {offset} all year in the tz database, summer included ({place} "
            f"is {summer} in summer); give the IANA zone of the place ({place}) or the "
            f"offset ({offset})",
        )
    signed = _POSIX_SIGNED.fullmatch(name)
    if signed is not None and int(signed[2]) != 0:
        sign, hours = signed.groups()
        meant = f"{'-' if sign == '+' else '+'}{int(hours):02d}:00"
        raise InvalidEventError(
            field,
            f"{name!r} is {meant} (the tz database's GMT names take POSIX signs, the "
            f"opposite of ISO 8601's); write the offset as {meant}",
        )


def zone_name(zone: dt.tzinfo | None) -> str:
    """Return how a zone is written: ``UTC``, its IANA name, or its offset.

    Example:
        >>> [zone_name(resolve_zone(z)) for z in (None, "Asia/Baghdad", "+03:30")]
        ['UTC', 'Asia/Baghdad', '+03:30']
    """
    if zone is None or zone is UTC:
        return "UTC"
    key = getattr(zone, "key", None)
    if isinstance(key, str):
        return key
    offset = zone.utcoffset(None)
    if offset is None:
        return str(zone)
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _is_utc(zone: ZoneInput) -> bool:
    return zone is None or zone is UTC or zone == UTC


def _first_instant(year: int, month: int, day: int, zone: dt.tzinfo | None) -> dt.datetime:
    """The first instant of a date in a zone, in UTC (where midnight was skipped by a
    clock change, the moment the clocks jumped)."""
    if _is_utc(zone):
        return dt.datetime(year, month, day, tzinfo=UTC)
    # fold=0: a repeated midnight maps to its first time, a skipped one to midnight at
    # the offset before the change: the jump when it was at midnight (Damascus, 00:00 to
    # 01:00), later when it was earlier (Toronto, 23:30 to 00:30 on 31 March 1919)
    midnight = dt.datetime(year, month, day, tzinfo=zone)
    first = midnight.astimezone(UTC)
    after = midnight.replace(fold=1).astimezone(UTC)  # midnight at the offset after
    if after >= first:
        return first
    # skipped: the day starts at the jump, the first instant after ``after`` whose
    # offset is the one after the change (zone offsets change on whole seconds)
    low, high = after, first  # the offset changes in (low, high]
    while high - low > dt.timedelta(seconds=1):
        middle = low + (high - low) / 2
        middle -= dt.timedelta(microseconds=middle.microsecond)
        if middle.astimezone(zone).utcoffset() == high.astimezone(zone).utcoffset():
            high = middle
        else:
            low = middle
    return high


def unit_start(moment: dt.datetime, precision: str, *, day_zone: ZoneInput = None) -> dt.datetime:
    """Return the start of the unit of ``precision`` that holds ``moment``.

    Days, months and years are those of the day zone (UTC by default). An hour starts at
    a whole quarter-hour of UTC, as the hours of every zone do (offsets are whole
    quarter-hours); a minute and a second at a whole minute and second. ``exact`` is the
    moment itself.

    Example:
        >>> april = dt.datetime(2020, 4, 14, 15, 43, tzinfo=UTC)
        >>> unit_start(april, "month").isoformat()
        '2020-04-01T00:00:00+00:00'
        >>> unit_start(april, "day", day_zone="Asia/Baghdad").isoformat()
        '2020-04-13T21:00:00+00:00'
    """
    moment = moment.astimezone(UTC)
    if precision == "exact":
        return moment
    if precision == "second":
        return moment.replace(microsecond=0)
    if precision == "minute":
        return moment.replace(second=0, microsecond=0)
    if precision == "hour":
        return moment.replace(minute=moment.minute - moment.minute % 15, second=0, microsecond=0)
    zone = resolve_zone(day_zone, field="day_zone")
    local = moment if _is_utc(zone) else moment.astimezone(zone)
    if precision == "day":
        return _first_instant(local.year, local.month, local.day, zone)
    if precision == "month":
        return _first_instant(local.year, local.month, 1, zone)
    return _first_instant(local.year, 1, 1, zone)


def interval_end(start: dt.datetime, precision: str, day_zone: ZoneInput = None) -> dt.datetime:
    """Return the end (exclusive) of the interval that ``start`` covers at ``precision``.

    ``exact`` is a point, so its end is its start. A day, month or year ends where the
    next one begins in the day zone (UTC by default), so a day is 23 or 25 hours long
    across a clock change there.

    Example:
        >>> start = dt.datetime(2017, 6, 19, tzinfo=UTC)
        >>> interval_end(start, "day").isoformat()
        '2017-06-20T00:00:00+00:00'
        >>> march = dt.datetime(2017, 2, 28, 23, tzinfo=UTC)  # 1 March in Berlin
        >>> interval_end(march, "month", "Europe/Berlin").isoformat()
        '2017-03-31T22:00:00+00:00'
    """
    if precision == "exact":
        return start
    # resolved outside the try: a zone refused (InvalidEventError is a ValueError) must
    # not read as an interval past the calendar
    zone = None if _is_utc(day_zone) else resolve_zone(day_zone, field="day_zone")
    try:
        if precision in CALENDAR_UNITS and not _is_utc(zone):
            return _calendar_end(start, precision, zone)
        return start + _UNITS[precision]
    except (OverflowError, ValueError):  # ValueError: "year 10000 is out of range"
        # an interval that runs past the calendar (the year 9999 of a zone behind UTC,
        # say) ends at its last instant
        return dt.datetime.max.replace(tzinfo=UTC)


def _calendar_end(start: dt.datetime, precision: str, zone: dt.tzinfo | None) -> dt.datetime:
    local = start.astimezone(zone)
    if unit_start(start, precision, day_zone=zone) != start:
        # not a unit of this zone's calendar (recorded with another day zone): one unit of
        # this zone's clock on
        wall = local.replace(tzinfo=None) + _UNITS[precision]
        return wall.replace(tzinfo=zone).astimezone(UTC)
    if (
        local.year == 9999
        and (precision == "year" or local.month == 12)
        and (precision != "day" or local.day == 31)
    ):
        return _calendar_last_end(zone)
    if precision == "day":
        following = local.date() + dt.timedelta(days=1)
        return _first_instant(following.year, following.month, following.day, zone)
    if precision == "month":
        year, month = (local.year + 1, 1) if local.month == 12 else (local.year, local.month + 1)
        return _first_instant(year, month, 1, zone)
    return _first_instant(local.year + 1, 1, 1, zone)


def _calendar_last_end(zone: dt.tzinfo | None) -> dt.datetime:
    """Where the zone's 31 December 9999 ends in UTC: its midnight into the year 10000,
    which datetime cannot write, reached from the zone's offset that evening; past the
    calendar (a zone behind UTC), its last instant."""
    evening = dt.datetime(9999, 12, 31, 23, 59, tzinfo=zone)
    offset = evening.utcoffset() or dt.timedelta(0)
    try:
        return dt.datetime(9999, 12, 31, tzinfo=UTC) - offset + dt.timedelta(days=1)
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


def check_start(
    start: dt.datetime, precision: str, *, field: str = "precision", day_zone: ZoneInput = None
) -> str:
    """Return ``precision`` if ``start`` begins one of its units, else refuse it.

    A precision given with a time says the event is somewhere in that unit: a month
    given with 14 April would otherwise cover 14 April to 14 May. So a day, month or year
    must start at the first instant of a day, month or year of the day zone (UTC by
    default); an hour at a whole quarter-hour of UTC (the start of an hour in some
    zone); a minute and a second at a whole minute and second. See :func:`unit_start`.

    Raises:
        InvalidEventError: naming ``field``, with the unit that holds ``start``.

    Example:
        >>> check_start(dt.datetime(2020, 4, 1, tzinfo=UTC), "month")
        'month'
        >>> try:
        ...     check_start(dt.datetime(2020, 4, 14, tzinfo=UTC), "month")
        ... except InvalidEventError as e:
        ...     print(e.problem)
        'month' covers a whole month of UTC (the day zone), and 2020-04-14T00:00:00Z does
        not start one; give the month itself (2020-04) or a finer precision
    """
    try:
        floor = unit_start(start, precision, day_zone=day_zone)
    except (OverflowError, ValueError) as e:  # the unit is outside the years 1 to 9999 there
        zone = resolve_zone(day_zone, field="day_zone")
        raise InvalidEventError(
            field,
            f"{precision!r} covers a whole {precision} of {zone_name(zone)} (the day zone), "
            f"and {_short_iso(start)} is in one outside the years 1 to 9999 there; give a "
            "finer precision",
        ) from e
    if floor == start.astimezone(UTC):
        return precision
    moment = _short_iso(start)
    if precision in CALENDAR_UNITS:
        zone = resolve_zone(day_zone, field="day_zone")
        local = floor.astimezone(zone) if not _is_utc(zone) else floor
        itself = {
            "day": f"{local.year:04d}-{local.month:02d}-{local.day:02d}",
            "month": f"{local.year:04d}-{local.month:02d}",
            "year": f"{local.year:04d}",
        }[precision]
        raise InvalidEventError(
            field,
            f"{precision!r} covers a whole {precision} of {zone_name(zone)} (the day zone), "
            f"and {moment} does not start one; give the {precision} itself ({itself}) or a "
            "finer precision",
        )
    where = " (a whole quarter-hour of UTC, as every zone's hours start)"
    raise InvalidEventError(
        field,
        f"{precision!r} covers a whole {precision}, and {moment} does not start one"
        f"{where if precision == 'hour' else ''}; give its start ({_short_iso(floor)}) "
        "or a finer precision",
    )


def _short_iso(moment: dt.datetime) -> str:
    """A UTC moment without the parts that are zero: 2020-04-14T15:43:00Z."""
    m = moment.astimezone(UTC)
    text = f"{m.year:04d}-{m.month:02d}-{m.day:02d}T{m.hour:02d}:{m.minute:02d}:{m.second:02d}"
    return text + (f".{m.microsecond:06d}Z" if m.microsecond else "Z")


def parse_time(
    value: object,
    *,
    field: str = "occurred_at",
    default_tz: ZoneInput = None,
    day_zone: ZoneInput = None,
) -> tuple[dt.datetime, str]:
    """Turn a caller's moment into ``(start in UTC, inferred precision)``.

    - an aware ``datetime`` is converted to UTC, precision ``exact``; a wall time its
      zone skipped or repeated (a clock change) is refused;
    - a naive ``datetime`` is read in ``default_tz`` and refused when there is none;
    - a ``date`` is that day of the day zone (UTC by default), precision ``day``;
    - text is parsed with python-dateutil; its precision is the finest field it gives
      ("2017" year, "June 2017" month, "2017-06-18" day, "2017-06-18 15:43" minute, with
      seconds ``second``, with a fraction ``exact``). A date alone is a day, month or
      year of the day zone; a time of day needs an offset in the text or ``default_tz``.
      A fraction of a second is kept to the microsecond, as ``datetime`` keeps it: digits
      past the sixth (nanoseconds, as Go and Java write them) are cut, not rounded.

    Refused as guesses: a day and a month in an order that differs by country
    (``01/08/2020``, ``8-1-2020``), a two-digit year, a weekday that is not the date's,
    a zone abbreviation (``EST``, ``MSK``, ``IRST``), ``UTC+3``; a range or anything
    else whose numbers would be read as another field (``June 18-19, 2017``,
    ``2017-06-18/2017-06-19``, ``2017-06-18 1843``), two times of day, two offsets, an
    offset no place keeps (``15:00-16:00`` read as 15:00 at -16:00), a time without
    seconds then a later one behind a minus (``10:00-10:30``: a range, or 10:00 at
    -10:30; write ``10:00:00-10:30`` for the offset).

    Raises:
        InvalidEventError: naming ``field``, for anything it cannot read without guessing.

    Example:
        >>> parse_time("2017-06-18")
        (datetime.datetime(2017, 6, 18, 0, 0, tzinfo=datetime.timezone.utc), 'day')
        >>> parse_time("2017-06-18 18:43 +03:00")[0].isoformat()
        '2017-06-18T15:43:00+00:00'
        >>> parse_time("2020-01-03", day_zone="Asia/Baghdad")[0].isoformat()
        '2020-01-02T21:00:00+00:00'
    """
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            return _localize(value, field=field, default_tz=default_tz), "exact"
        return _aware_to_utc(value, field=field), "exact"
    if isinstance(value, dt.date):
        zone = resolve_zone(day_zone, field="day_zone")
        return _date_start(value.year, value.month, value.day, zone, field=field), "day"
    if isinstance(value, str):
        return _parse_text(value, field=field, default_tz=default_tz, day_zone=day_zone)
    raise InvalidEventError(
        field, f"expected a datetime, a date or text, got {type(value).__name__}"
    )


def _date_start(
    year: int, month: int, day: int, zone: dt.tzinfo | None, *, field: str
) -> dt.datetime:
    """The first instant of a date the caller gave, refused where the day zone's
    calendar skipped that date (Samoa went from 29 to 31 December 2011): its "first
    instant" would be the next day's, and the date would silently mean that day."""
    try:
        start = _first_instant(year, month, day, zone)
    except (OverflowError, ValueError) as e:
        raise InvalidEventError(
            field,
            f"{year:04d}-{month:02d}-{day:02d} in {zone_name(zone)} is not a day between "
            "the years 1 and 9999 in UTC",
        ) from e
    if _is_utc(zone):
        return start
    local = start.astimezone(zone)
    if (local.year, local.month, local.day) != (year, month, day):
        before = (start - dt.timedelta(microseconds=1)).astimezone(zone).date()
        raise InvalidEventError(
            field,
            f"{year:04d}-{month:02d}-{day:02d} never happened in {zone_name(zone)} (the day "
            f"zone): its calendar went from {before.isoformat()} to "
            f"{local.date().isoformat()}; give a day that happened there, or a time with "
            "an offset",
        )
    return start


def _check_wall_hour(
    wall: dt.datetime, start: dt.datetime, default_tz: ZoneInput, *, field: str
) -> None:
    """Refuse an hour written without an offset that a clock change made longer or
    shorter than an hour in the default zone (Lord Howe's clocks go back half an hour
    from 02:00 to 01:30, so its 01:00 hour lasts 90 minutes): an hour-precision event
    covers 60 minutes from its start, and would leave the rest out silently."""
    zone = resolve_zone(default_tz)
    if zone is None or isinstance(zone, dt.timezone):
        return
    following = wall + dt.timedelta(hours=1)
    try:
        # fold=0: a skipped wall time maps to the jump, a repeated one to its first time
        end = following.replace(tzinfo=zone, fold=0).astimezone(UTC)
    except (OverflowError, ValueError):
        return  # at the ends of the calendar: no clock changes there
    lasted = end - start
    if lasted != dt.timedelta(hours=1):
        minutes = int(lasted.total_seconds()) // 60
        moved = "back" if lasted > dt.timedelta(hours=1) else "forward"
        raise InvalidEventError(
            field,
            f"the hour from {wall:%Y-%m-%dT%H:%M} lasted {minutes} minutes in "
            f"{zone_name(zone)} (clocks went {moved} within it); give an offset "
            "or a finer precision",
        )


def _to_utc(value: dt.datetime, *, field: str) -> dt.datetime:
    try:
        return value.astimezone(UTC)
    except (OverflowError, ValueError) as e:
        raise InvalidEventError(
            field, f"{value.isoformat()} is not a moment between the years 1 and 9999 in UTC"
        ) from e


def _aware_to_utc(value: dt.datetime, *, field: str) -> dt.datetime:
    """An aware datetime in UTC, refused when its zone skipped or repeated its wall time."""
    utc = _to_utc(value, field=field)
    zone = value.tzinfo
    assert zone is not None
    if isinstance(zone, dt.timezone):  # a fixed offset: every wall time happens once
        return utc
    _check_wall_time(value.replace(tzinfo=None), zone, utc, field=field, hint="a fixed offset")
    return utc


def _check_wall_time(
    wall: dt.datetime, zone: dt.tzinfo, utc: dt.datetime, *, field: str, hint: str
) -> None:
    """Refuse a wall time that ``zone`` skipped (clocks went forward) or repeated (back)."""
    try:
        back = utc.astimezone(zone).replace(tzinfo=None, fold=0)
    except (OverflowError, ValueError):
        return  # at the ends of the calendar: no clock changes there
    name = zone_name(zone)
    if back != wall.replace(fold=0):
        raise InvalidEventError(
            field,
            f"{wall.replace(fold=0).isoformat()} does not exist in {name} (clocks went "
            f"forward); give {hint}",
        )
    first = wall.replace(tzinfo=zone, fold=0).utcoffset()
    if first != wall.replace(tzinfo=zone, fold=1).utcoffset():
        raise InvalidEventError(
            field,
            f"{wall.replace(fold=0).isoformat()} happens twice in {name} (clocks went back); "
            f"give {hint}",
        )


def _localize(
    value: dt.datetime, *, field: str, default_tz: ZoneInput, written: str | None = None
) -> dt.datetime:
    """``value`` (naive) read in ``default_tz``; refused without one, quoting ``written``
    (the caller's text) when it came as text."""
    zone = resolve_zone(default_tz)
    if zone is None:
        shown = value.isoformat() if written is None else repr(written)
        raise InvalidEventError(
            field,
            f"{shown} has no time zone; give an offset (+03:00, Z) or set a "
            "default zone (default_tz in Python, --default-tz on the command line)",
        )
    utc = _to_utc(value.replace(tzinfo=zone, fold=0), field=field)
    _check_wall_time(value, zone, utc, field=field, hint="an offset")
    return utc


def _parse_text(
    text: str, *, field: str, default_tz: ZoneInput, day_zone: ZoneInput = None
) -> tuple[dt.datetime, str]:
    fast = _parse_iso(text, day_zone)
    if fast is not None:
        return fast
    return _parse_general(text, field=field, default_tz=default_tz, day_zone=day_zone)


def _refuse_numeric_order(text: str, stripped: str, *, field: str) -> None:
    """Refuse a numeric date whose day and month could be read in either order."""
    for found in _NUMERIC_DATE.finditer(stripped):
        first, _, second, last = found.groups()
        if len(first) == 4 or len(last) not in (2, 4):
            continue  # year first (2020-08-01, 2020/8/1) is read year, month, day
        if int(first) <= 12 and int(second) <= 12 and int(first) != int(second):
            raise InvalidEventError(
                field,
                f"{text!r} could be day/month or month/day; write it as YYYY-MM-DD",
            )


def _refuse_numbers_read_otherwise(
    text: str, stripped: str, parsed: dt.datetime, *, field: str, tzinfos: object = None
) -> None:
    """Refuse a text whose numbers dateutil read as something else than they are: a
    range (``June 18-19, 2017`` read as 18 June 2019 at 20:17, ``2017-06-18/2017-06-19``
    as 19 June at 18:17), a year twice, a four-digit number that is not the year read as
    a time of day (``2017-06-18 2017``, ``2017-06-18 -0300``), two offsets. The year
    must be written once, four digits, and be the year read; another long number must be
    a time after ``T`` (``T1843``), an offset dateutil took as one (``+0300``), or the
    whole date (``20170618``)."""
    years = []
    where = 0  # where the (last) year is written
    for found in _LONG_NUMBER.finditer(stripped):
        digits, start = found[0], found.start()
        before = stripped[start - 1 : start]
        if _FRACTION.search(stripped, max(0, start - 8), start + 1):
            continue  # a fraction of a second (18:43:05.123)
        if len(digits) == 8 and digits == f"{parsed.year:04d}{parsed:%m%d}":
            years.append(digits[:4])  # a date written without separators
            where = start
        elif before == "T" and digits in (f"{parsed:%H%M}", f"{parsed:%H%M%S}"):
            continue  # a time of day written without separators
        elif before in ("+", "-") and digits == _offset_digits(parsed):
            continue  # an offset, which dateutil read as this one
        elif len(digits) == 4:
            years.append(digits)
            where = start
        else:
            years.append("")  # neither a year nor a time nor an offset: refused below
    if (
        len(years) != 1
        or years[0] != f"{parsed.year:04d}"
        or not _year_as_written(stripped, where, parsed, tzinfos)
    ):
        raise InvalidEventError(
            field,
            f"{text!r} is not one date or moment as written (a range, a year twice, or a "
            "number that would be read as another year or as a time of day); write one, "
            "such as 2017-06-18 or 2017-06-18 18:43 +03:00 (a range: its start, with the "
            "precision that covers it)",
        )
    if _ISO_RANGE.search(stripped) or len(_CLOCK.findall(stripped)) > 1:
        raise InvalidEventError(
            field,
            f"{text!r} is a range, not one moment; give its start, with the precision that "
            "covers it",
        )
    _refuse_range_or_offset(text, stripped, field=field)
    offsets = _written_offsets(stripped)
    if offsets > 1:
        raise InvalidEventError(field, f"{text!r} gives more than one offset; give one")
    read = _offset_of(parsed)
    if read and not offsets:  # a nonzero offset nowhere written as one
        raise InvalidEventError(
            field,
            f"{text!r}: dateutil reads an offset of {_offset_text(read)} in it where none is "
            "written as one (a range of hours?); write one moment, its offset as +03:00",
        )
    if read is not None and not _offset_kept(read):
        raise InvalidEventError(
            field,
            f"{text!r}: an offset of {_offset_text(read)} is not one any place keeps "
            "today (-12:00 to +14:00, in hours, halves or three quarters); a range of "
            "times is not one moment",
        )


def _range_or_offset(stripped: str) -> re.Match[str] | None:
    """The first time of day in ``stripped`` followed by what reads both as an offset
    behind UTC and as a later time of the same day (``10:00-10:30``), if any."""
    for found in _RANGE_OR_OFFSET.finditer(stripped):
        start = (int(found["h"]), int(found["m"]))
        end = (int(found["oh"]), int(found["om"] or 0))
        if start < end and end[0] < 24 and end[1] < 60:
            return found
    return None


def _refuse_range_or_offset(text: str, stripped: str, *, field: str) -> None:
    """Refuse ``10:00-10:30``: a range of times, or 10:00 at an offset of -10:30 (and
    ``10:00-11:00``, -11:00, which Niue keeps): neither is guessed."""
    found = _range_or_offset(stripped)
    if found is None:
        return
    clock, offset = f"{found['h']}:{found['m']}", f"-{found['oh']}:{found['om'] or '00'}"
    raise InvalidEventError(
        field,
        f"{text!r}: {found[0]} reads as a range of times and as {clock} at an offset of "
        f"{offset}; for the offset, write the seconds ({clock}:00{offset}), for a range, "
        "give its start, with the precision that covers it",
    )


def _year_as_written(stripped: str, where: int, parsed: dt.datetime, tzinfos: object) -> bool:
    """Whether the four digits at ``where`` are the year dateutil read, not another
    number that happens to name the same year (``June 16-17, 2017``: 17 read as the
    year, 2017 as 20:17): with another year written there (400 years off, the same
    calendar), the same text reads as that year and nothing else changes."""
    probe = parsed.year + 400 if parsed.year <= 9599 else parsed.year - 400
    written = f"{stripped[:where]}{probe:04d}{stripped[where + 4 :]}"
    try:
        other = _dateparser.parse(written, default=_DEFAULT_A, tzinfos=tzinfos)
    except (ValueError, OverflowError):
        return False
    return other.replace(year=parsed.year) == parsed


def _written_offsets(stripped: str) -> int:
    """How many offsets (and Zs) a text writes: after a space, a time or Z, and, after
    its first time of day, right after digits (a fraction's, ``.5+03:00``)."""
    found = {m.start() for m in _OFFSET_WRITTEN.finditer(stripped)}
    clock = _AFTER_CLOCK.search(stripped)
    if clock is not None:
        found |= {m.start() for m in _OFFSET_AFTER_DIGITS.finditer(stripped, clock.end())}
    return len(found)


def _offset_of(parsed: dt.datetime) -> dt.timedelta | None:
    """The offset dateutil read (None: it read none, or one of a day or more, which is
    refused after this)."""
    try:
        return parsed.utcoffset()
    except ValueError:
        return None


def _offset_text(offset: dt.timedelta) -> str:
    minutes = int(offset.total_seconds()) // 60
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _offset_digits(parsed: dt.datetime) -> str | None:
    """The offset dateutil read, as the four digits of ``+HHMM`` (None: it read none)."""
    offset = _offset_of(parsed)
    if offset is None:
        return None
    minutes = abs(int(offset.total_seconds())) // 60
    return f"{minutes // 60:02d}{minutes % 60:02d}"


def _named_zones(text: str) -> tuple[list[str], object]:
    """A dateutil ``tzinfos`` that reads offsets and UTC's names, and collects the zone
    names it is offered without an offset (abbreviations like EST, which it refuses)."""
    abbreviations: list[str] = []

    def tzinfos(name: str | None, offset: int | None) -> dt.tzinfo | None:
        if offset is not None:
            return _tz.UTC if offset == 0 else _tz.tzoffset(name, offset)
        if name is not None:
            abbreviations.append(name)
        return None

    return abbreviations, tzinfos


def _parse_general(
    text: str, *, field: str, default_tz: ZoneInput, day_zone: ZoneInput = None
) -> tuple[dt.datetime, str]:
    stripped = text.strip()
    if not stripped:
        raise InvalidEventError(field, "is empty")
    if len(stripped) > 100:
        raise InvalidEventError(field, f"text of {len(stripped)} characters is not a date")
    if stripped.startswith(("-", "\u2212")):
        # ISO 8601's sign of a year before year 1 (-0001 is 2 BC), which dateutil takes
        # for a separator: '-2017-06-18' would be read as 18 June 2017 AD
        raise InvalidEventError(
            field,
            f"{text!r} starts with a minus sign: a year before year 1 is not kept (the "
            "years 1 to 9999 are), and the sign is never dropped; write the date without it "
            "only if that is the year meant",
        )
    posix = _POSIX_ZONE.search(stripped)
    if posix:
        # quote what was written and give both readings: the hint must never name an
        # offset the text does not hold ('UTC-5' used to be told to write +03:00)
        # digits without a colon are hours (5, 05) or hours and minutes (530, 0545)
        digits, minutes_given = posix.group(1), posix.group(2)
        if minutes_given is None and len(digits) in (3, 4):
            digits, minutes_given = digits[:-2], digits[-2:]
        hours, minutes = int(digits), int(minutes_given or 0)
        offset = f"{hours:02d}:{minutes:02d}" if len(digits) <= 2 else "HH:MM"
        if hours == minutes == 0:
            raise InvalidEventError(
                field, f"{text!r}: {posix.group(0)!r} is UTC either way; write Z or +00:00"
            )
        raise InvalidEventError(
            field,
            f"{text!r}: {posix.group(0)!r} is read by some tools as {offset} behind UTC and "
            f"by others as ahead; write the offset as -{offset} (behind) or +{offset} (ahead)",
        )
    _refuse_numeric_order(text, stripped, field=field)
    abbreviations, tzinfos = _named_zones(stripped)
    try:
        a = _dateparser.parse(stripped, default=_DEFAULT_A, tzinfos=tzinfos)
        b = _dateparser.parse(stripped, default=_DEFAULT_B, tzinfos=tzinfos)
    except (ValueError, OverflowError) as e:
        raise InvalidEventError(field, f"cannot read {text!r} as a date or time") from e
    if abbreviations:
        raise InvalidEventError(
            field,
            f"{text!r}: {abbreviations[0]!r} is a zone abbreviation, which names different "
            f"offsets in different places and seasons; {_ZONE_HINT}",
        )
    if a.year != b.year:
        raise InvalidEventError(field, f"{text!r} has no year; write a full date")
    if not _FOUR_DIGITS.search(stripped):
        raise InvalidEventError(field, f"{text!r} has no four-digit year; write a full date")
    _refuse_numbers_read_otherwise(text, stripped, a, field=field, tzinfos=tzinfos)
    # A field the text gave is equal in both parses; one it left out took each default.
    given_month = a.month == b.month
    weekdays = [w for w in map(_PARSER_INFO.weekday, _WORDS.findall(stripped)) if w is not None]
    # dateutil moves a date without a day to the weekday named: the day must be written
    given_day = a.day == b.day and not (weekdays and _day_defaulted(stripped))
    given = {
        "hour": a.hour == b.hour,
        "minute": a.minute == b.minute,
        "second": a.second == b.second,
        "microsecond": a.microsecond == b.microsecond,
    }
    if given_day and not given_month:
        raise InvalidEventError(field, f"{text!r} has a day but no month")
    if weekdays and not given_day:
        raise InvalidEventError(field, f"{text!r} names a weekday but no day; write a full date")
    for weekday in weekdays:
        if weekday != a.weekday():
            raise InvalidEventError(
                field,
                f"{text!r}: {a.day} {_MONTHS[a.month - 1]} {a.year} is a "
                f"{_WEEKDAYS[a.weekday()]}, not a {_WEEKDAYS[weekday]}",
            )
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
        # A calendar date, month or year without an offset is one of the day zone.
        zone = resolve_zone(day_zone, field="day_zone")
        return _date_start(start.year, start.month, start.day, zone, field=field), precision
    naive = start.replace(tzinfo=None)
    moment = _localize(naive, field=field, default_tz=default_tz, written=text)
    if precision == "hour":
        _check_wall_hour(naive, moment, default_tz, field=field)
    return moment, precision


def _day_defaulted(text: str) -> bool:
    """Whether dateutil took the day of a text that names a weekday from its default
    (it then moves to that weekday): parsed twice from defaults a week apart, the day
    differs."""
    early = _dateparser.parse(text, default=dt.datetime(2000, 1, 1), ignoretz=True)
    late = _dateparser.parse(text, default=dt.datetime(2000, 1, 8), ignoretz=True)
    return early.day != late.day


def _parse_iso(text: str, day_zone: ZoneInput = None) -> tuple[dt.datetime, str] | None:
    """The canonical forms, as :func:`_parse_text` reads them, several times faster."""
    moment = _ISO_MOMENT.fullmatch(text)
    try:
        if moment is not None:
            if moment["fraction"]:
                precision = "exact"
            else:
                precision = "second" if moment["second"] else "minute"
            read = dt.datetime.fromisoformat(text)
            offset = read.utcoffset()
            if offset is not None and not _offset_kept(offset):
                return None  # the general way refuses it
            if not moment["second"] and _range_or_offset(text) is not None:
                return None  # as this: 10:00-10:30
            return read.astimezone(UTC), precision
        if _ISO_DATE.fullmatch(text):
            day = dt.date.fromisoformat(text)
            zone = resolve_zone(day_zone, field="day_zone")
            # a day the zone skipped is refused (a ValueError): the general way says so
            return _date_start(day.year, day.month, day.day, zone, field="day"), "day"
    except (ValueError, OverflowError):  # out of range: the general way says what is wrong
        return None
    return None


def isoformat(moment: dt.datetime) -> str:
    """Return the canonical text of a UTC moment: ISO 8601 with microseconds and ``Z``.

    Example:
        >>> isoformat(dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC))
        '2017-06-18T15:43:00.000000Z'
    """
    if moment.tzinfo is not UTC:
        moment = moment.astimezone(UTC)
    # not strftime (%Y is not zero-padded for years before 1000 on glibc): isoformat pads
    # the year to four digits; [:26] drops its "+00:00"
    return f"{moment.isoformat('T', 'microseconds')[:26]}Z"


_LAST_INSTANT: Final = dt.datetime.max.replace(tzinfo=UTC)


def through(
    value: object, *, field: str, default_tz: ZoneInput = None, day_zone: ZoneInput = None
) -> Bound:
    """Return the upper bound a caller's moment sets, as ``(moment, inclusive)``.

    A date, a month or a year is its whole interval in the day zone (UTC by default):
    the bound is its end, exclusive. Anything written with a time of day (``"2017-06-19
    12:00Z"``, ``"2017-06-19T12Z"``) or given as a ``datetime`` is that instant,
    inclusive. So ``until="2017-06-19"`` and ``known_at="2017-06-19"`` take in the whole
    day of June 19, and ``at="2017-06-19 12:00Z"`` asks about noon.

    Example:
        >>> through("2017-06-19", field="until")
        (datetime.datetime(2017, 6, 20, 0, 0, tzinfo=datetime.timezone.utc), False)
        >>> through("2017-06-19 12:00Z", field="at")
        (datetime.datetime(2017, 6, 19, 12, 0, tzinfo=datetime.timezone.utc), True)
    """
    start, precision = parse_time(value, field=field, default_tz=default_tz, day_zone=day_zone)
    if precision in CALENDAR_UNITS:
        end = interval_end(start, precision, day_zone)
        # a unit that runs past the calendar (the end of 9999 in UTC or behind it) takes
        # in its last instant, which an exclusive bound at datetime.max would leave out
        return (end, True) if end == _LAST_INSTANT else (end, False)
    return start, True


def in_window(
    start: dt.datetime,
    precision: str,
    since: dt.datetime | None,
    until: Bound | None,
    *,
    wholly: bool = False,
    day_zone: ZoneInput = None,
) -> bool:
    """Whether the interval ``start`` covers at ``precision`` is in a window of time.

    The window runs from ``since`` (``None``: the beginning) to the bound ``until``
    (``None``: the end). By default an event is in it when its interval overlaps it: it
    starts by ``until`` (as :func:`through` reads it) and ends after ``since`` (an
    ``exact`` event: is at or after it). So a day-precision event of 5 January is in a
    window from noon to 23:59 that day, where it may have happened, as ``state`` and
    ``sequence`` treat it. With ``wholly`` it must lie inside: start at or after
    ``since`` and end by ``until``.

    Example:
        >>> day = dt.datetime(2020, 1, 5, tzinfo=UTC)
        >>> noon, late = day.replace(hour=12), (day.replace(hour=23, minute=59), True)
        >>> in_window(day, "day", noon, late), in_window(day, "day", noon, late, wholly=True)
        (True, False)
    """
    end = interval_end(start, precision, day_zone)
    if until is not None:
        moment, inclusive = until
        if start > moment or (start == moment and not inclusive):
            return False
        if wholly and end > moment:
            return False
    if since is None:
        return True
    if wholly or precision == "exact":
        return start >= since
    return end > since


def bound_text(bound: Bound, day_zone: ZoneInput = None) -> str:
    """Return an upper bound as the words of what was asked.

    The end of a day of the day zone (how a date, a month or a year is bounded) reads
    ``by the end of <that day> (<zone>)``; an instant ``by <moment>``; any other
    exclusive bound ``before <moment>``.

    Example:
        >>> bound_text((dt.datetime(2026, 12, 1, tzinfo=UTC), False))
        'by the end of 2026-11-30 (UTC)'
        >>> bound_text((dt.datetime(2026, 11, 30, 21, tzinfo=UTC), False), "Asia/Baghdad")
        'by the end of 2026-11-30 (Asia/Baghdad)'
        >>> bound_text((dt.datetime(2026, 11, 30, 9, 30, tzinfo=UTC), True))
        'by 2026-11-30T09:30:00.000000Z'
    """
    moment, inclusive = bound
    if inclusive:
        return f"by {isoformat(moment)}"
    zone = resolve_zone(day_zone, field="day_zone")
    try:
        if unit_start(moment, "day", day_zone=zone) == moment:
            last = unit_start(moment - dt.timedelta(hours=1), "day", day_zone=zone)
            local = last if _is_utc(zone) else last.astimezone(zone)
            day = f"{local.year:04d}-{local.month:02d}-{local.day:02d}"
            return f"by the end of {day} ({zone_name(zone)})"
    except (OverflowError, ValueError):
        pass
    return f"before {isoformat(moment)}"


# every spelling of each unit, its letter first (lower case: text is read in either case)
_DURATION_UNITS: Final = {
    **dict.fromkeys(("ms", "millisecond", "milliseconds"), dt.timedelta(milliseconds=1)),
    **dict.fromkeys(("s", "sec", "secs", "second", "seconds"), dt.timedelta(seconds=1)),
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), dt.timedelta(minutes=1)),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), dt.timedelta(hours=1)),
    **dict.fromkeys(("d", "day", "days"), dt.timedelta(days=1)),
    **dict.fromkeys(("w", "week", "weeks"), dt.timedelta(weeks=1)),
}
_DURATION_PART: Final = re.compile(
    r"(\d+(?:\.\d+)?)\s*("
    + "|".join(sorted(_DURATION_UNITS, key=len, reverse=True))  # the longest spelling first
    + r")(?![a-z])",
    re.IGNORECASE,
)
_MONTHS_OR_YEARS: Final = re.compile(r"\d\s*(mo|months?|y|yrs?|years?)(?![a-z])", re.IGNORECASE)


def parse_duration(value: object, *, field: str) -> dt.timedelta:
    """Return a duration from a ``timedelta`` or text such as "3d", "12h", "90m", "1d12h".

    Units: ``w`` weeks, ``d`` days, ``h`` hours, ``m`` minutes, ``s`` seconds, ``ms``
    milliseconds, in either case but ``M`` (a month to some, a minute to others), which
    is refused; or their words ("3 days", "1 day 12 hours", "90 minutes", "2 hrs").
    Months and years are refused: they are no fixed length. A duration must not be
    negative.

    Raises:
        InvalidEventError: naming ``field``, for anything else.

    Example:
        >>> parse_duration("1d12h", field="within")
        datetime.timedelta(days=1, seconds=43200)
        >>> parse_duration("1 day 12 hours", field="within")
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
    if _MONTHS_OR_YEARS.search(text):
        raise InvalidEventError(
            field,
            f"{value!r}: a month or a year is no fixed duration; write days (30d, 365d)",
        )
    parts = _DURATION_PART.findall(text)
    if not parts or _DURATION_PART.sub("", text).strip():
        raise InvalidEventError(
            field,
            f"cannot read {value!r} as a duration; write e.g. 3d, 12h, 90m, 500ms or 3 days",
        )
    if any(unit == "M" for _, unit in parts):
        # ISO 8601's P1M is a month, its PT1M a minute; a month is no fixed duration
        raise InvalidEventError(
            field,
            f"{value!r}: 'M' reads as months or minutes; write m for minutes (90m), or "
            "days for a month (30d)",
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
    "CALENDAR_UNITS",
    "PRECISIONS",
    "UTC",
    "Bound",
    "bound_text",
    "check_precision",
    "check_start",
    "in_window",
    "interval_end",
    "isoformat",
    "parse_duration",
    "parse_time",
    "resolve_zone",
    "through",
    "unit_start",
    "zone_name",
]
