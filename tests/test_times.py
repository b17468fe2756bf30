"""The rules that turn a caller's moment into a UTC interval, without a database."""

from __future__ import annotations

import datetime as dt
import warnings
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from timeline import InvalidEventError, times
from timeline.times import interval_end, parse_time, through

UTC = dt.UTC


@pytest.mark.parametrize(
    ("text", "start", "precision"),
    [
        ("2017", dt.datetime(2017, 1, 1, tzinfo=UTC), "year"),
        ("2017-06", dt.datetime(2017, 6, 1, tzinfo=UTC), "month"),
        ("June 2017", dt.datetime(2017, 6, 1, tzinfo=UTC), "month"),
        ("2017-06-18", dt.datetime(2017, 6, 18, tzinfo=UTC), "day"),
        ("June 19 2017", dt.datetime(2017, 6, 19, tzinfo=UTC), "day"),
        ("20170618", dt.datetime(2017, 6, 18, tzinfo=UTC), "day"),
        ("2017-06-18T15Z", dt.datetime(2017, 6, 18, 15, tzinfo=UTC), "hour"),
        ("2017-06-18 18:43 +03:00", dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC), "minute"),
        ("2017-06-18T15:43:10Z", dt.datetime(2017, 6, 18, 15, 43, 10, tzinfo=UTC), "second"),
        (
            "2017-06-18T15:43:10.250Z",
            dt.datetime(2017, 6, 18, 15, 43, 10, 250000, tzinfo=UTC),
            "exact",
        ),
    ],
)
def test_text_gives_start_and_precision(text: str, start: dt.datetime, precision: str) -> None:
    """Text is read into a UTC start and the precision of the finest field it gives."""
    assert (start, precision) == parse_time(text)


def test_datetime_is_exact_and_converted_to_utc() -> None:
    """An aware datetime is exact, and stored in UTC whatever its offset."""
    moment = dt.datetime(2017, 6, 18, 18, 43, tzinfo=dt.timezone(dt.timedelta(hours=3)))
    assert (dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC), "exact") == parse_time(moment)


def test_date_is_the_utc_day() -> None:
    """A date object is that UTC day, precision day."""
    assert (dt.datetime(2017, 6, 19, tzinfo=UTC), "day") == parse_time(dt.date(2017, 6, 19))


def test_naive_datetime_refused_without_zone() -> None:
    """A naive datetime is refused, naming the field, unless a zone is configured."""
    with pytest.raises(InvalidEventError, match=r"^occurred_at: .*no time zone"):
        parse_time(dt.datetime(2017, 6, 18, 18, 43))


def test_naive_datetime_read_in_default_zone() -> None:
    """With default_tz, a naive datetime is read in that zone."""
    start, precision = parse_time(dt.datetime(2017, 6, 18, 18, 43), default_tz="Asia/Damascus")
    assert (dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC), "exact") == (start, precision)


def test_time_of_day_without_offset_refused() -> None:
    """Text with a time of day but no offset is refused unless a zone is configured."""
    with pytest.raises(InvalidEventError, match="no time zone"):
        parse_time("2017-06-18 18:43")
    start, precision = parse_time("2017-06-18 18:43", default_tz="Asia/Damascus")
    assert (dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC), "minute") == (start, precision)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("15:43", "no year"),
        ("Monday", "no year"),
        ("June 19", "no year"),
        ("01/02/2017", "day/month or month/day"),
        ("13/02/17", "four-digit year"),
        ("2017-02-30", "cannot read"),
        ("yesterday-ish", "cannot read"),
        ("   ", "is empty"),
        ("2" * 200, "not a date"),
    ],
)
def test_text_that_needs_a_guess_is_refused(text: str, problem: str) -> None:
    """Text that could only be read by guessing is refused with a reason."""
    with pytest.raises(InvalidEventError, match=problem) as caught:
        parse_time(text, field="since")
    assert "since" == caught.value.field


@pytest.mark.parametrize(
    "text",
    ["2017-06-19 15:43 Z+3", "2017-06-19 15:43Z+3", "2017-06-19 15:43 Z-3", "2017-06-19 15:43 Z+1"],
)
def test_z_with_a_signed_number_is_refused_as_utc_plus_3_is(text: str) -> None:
    """'Z+3' reads both ways as 'UTC+3' does (dateutil took it by POSIX's sign, three
    hours behind UTC: 15:43 became 18:43Z), so it is refused with the same hint."""
    with pytest.raises(InvalidEventError, match="write the offset as"):
        parse_time(text)


@pytest.mark.parametrize("value", [1497800000, 17.5, None, b"2017-06-18", ["2017"]])
def test_other_types_refused(value: object) -> None:
    """Numbers, bytes, None and lists are not moments."""
    with pytest.raises(InvalidEventError, match="expected a datetime, a date or text"):
        parse_time(value)


def test_local_times_that_do_not_exist_or_happen_twice_are_refused() -> None:
    """Clock changes: a skipped local time and a repeated one are both refused."""
    with pytest.raises(InvalidEventError, match="does not exist"):
        parse_time(dt.datetime(2017, 3, 26, 2, 30), default_tz="Europe/Berlin")
    with pytest.raises(InvalidEventError, match="happens twice"):
        parse_time(dt.datetime(2017, 10, 29, 2, 30), default_tz="Europe/Berlin")


def test_an_hour_that_a_clock_change_lengthens_is_refused() -> None:
    """An hour written without an offset whose wall hour a clock change made longer than
    an hour (Lord Howe's half-hour change: 01:30 to 02:00 on 2 April 2017 happened twice)
    is refused, not covered for its first 60 minutes only."""
    with pytest.raises(InvalidEventError, match="clocks went back"):
        parse_time("2017-04-02T01", default_tz="Australia/Lord_Howe")


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2030, 1, 1)),
    st.sampled_from(["Australia/Lord_Howe", "America/New_York", "Europe/London", "Asia/Damascus"]),
)
@example(dt.datetime(2017, 4, 2, 1), "Australia/Lord_Howe")
def test_an_hour_read_in_a_zone_covers_its_wall_hour(wall: dt.datetime, zone: str) -> None:
    """An hour written without an offset covers exactly the instants whose wall time in
    its zone lies in that hour (or it is refused): stepping by 15 minutes around it, an
    instant is inside the interval when and only when its wall hour is the one written."""
    hour = wall.replace(minute=0, second=0, microsecond=0)
    try:
        start, precision = parse_time(f"{hour:%Y-%m-%dT%H}", default_tz=zone)
    except InvalidEventError:
        return
    assert precision == "hour"
    end = interval_end(start, precision)
    for quarter in range(-12, 17):
        moment = start + dt.timedelta(minutes=15 * quarter)
        local = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None, fold=0)
        assert (start <= moment < end) == (local.replace(minute=0, second=0) == hour), moment


def test_unknown_zone_refused() -> None:
    """An unknown zone name is refused, naming default_tz."""
    with pytest.raises(InvalidEventError, match=r"^default_tz: unknown time zone"):
        parse_time(dt.datetime(2017, 6, 18), default_tz="Mars/Olympus")


@pytest.mark.parametrize(
    ("precision", "end"),
    [
        ("exact", dt.datetime(2017, 1, 31, tzinfo=UTC)),
        ("second", dt.datetime(2017, 1, 31, 0, 0, 1, tzinfo=UTC)),
        ("minute", dt.datetime(2017, 1, 31, 0, 1, tzinfo=UTC)),
        ("hour", dt.datetime(2017, 1, 31, 1, tzinfo=UTC)),
        ("day", dt.datetime(2017, 2, 1, tzinfo=UTC)),
        ("month", dt.datetime(2017, 2, 28, tzinfo=UTC)),
        ("year", dt.datetime(2018, 1, 31, tzinfo=UTC)),
    ],
)
def test_interval_end_is_one_unit_later(precision: str, end: dt.datetime) -> None:
    """An event covers [start, start + one unit); exact is a point."""
    assert end == interval_end(dt.datetime(2017, 1, 31, tzinfo=UTC), precision)


def test_through_takes_in_a_whole_day() -> None:
    """An upper bound given as a date reaches the end of that day; a datetime is itself."""
    assert (dt.datetime(2017, 6, 20, tzinfo=UTC), False) == through("2017-06-19", field="until")
    moment = dt.datetime(2017, 6, 19, 12, tzinfo=UTC)
    assert (moment, True) == through(moment, field="until")


@given(st.datetimes(timezones=st.just(UTC)))
def test_iso_text_of_any_moment_reads_back(moment: dt.datetime) -> None:
    """Any UTC moment written as ISO text with a fraction reads back as itself, exact."""
    text = moment.strftime("%Y-%m-%dT%H:%M:%S.%f+00:00")
    if moment.year < 1000:
        return  # not a four-digit year
    assert (moment, "exact") == parse_time(text)


# -- the canonical forms' fast path ---------------------------------------------------------

_OFFSETS = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59)


@st.composite
def canonical_texts(draw: st.DrawFn) -> str:
    """A date, or a date and time with an offset, in the forms export and people write."""
    moment = draw(st.datetimes(min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30)))
    date = f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}"
    if draw(st.booleans()):
        return date
    minutes = draw(_OFFSETS)
    sign = "-" if minutes < 0 else "+"
    offset = draw(st.sampled_from(["Z", f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"]))
    clock = f"{moment.hour:02d}:{moment.minute:02d}"
    shape = draw(st.sampled_from(["minute", "second", "fraction"]))
    if shape != "minute":
        clock += f":{moment.second:02d}"
    if shape == "fraction":
        digits = draw(st.integers(min_value=1, max_value=6))
        clock += "." + f"{moment.microsecond:06d}"[:digits]
    return f"{date}{draw(st.sampled_from(['T', ' ']))}{clock}{offset}"


@settings(max_examples=300, deadline=None)
@given(canonical_texts(), st.sampled_from([None, "Asia/Baghdad", "America/St_Johns", "+05:45"]))
def test_the_fast_path_reads_canonical_text_as_dateutil_does(text: str, zone: str | None) -> None:
    """The fast path for canonical text gives what the general parser gives (or steps
    aside), in any day zone."""
    fast = times._parse_iso(text, zone)
    try:
        general = times._parse_general(text, field="occurred_at", default_tz=None, day_zone=zone)
    except InvalidEventError:
        assert fast is None  # out of range in UTC: left to the general way's message
        return
    assert fast == general
    assert fast[0].tzinfo == dt.UTC


# -- what can be read two ways is refused (the "Dates") ----------------------------


@pytest.mark.parametrize(
    "text",
    [
        "08-01-2020",
        "8-1-2020",
        "01/08/2020",
        "8/1/2020",
        "8.1.2020",
        "08.01.2020",
        "8 1 2020",
        "8-1-2020 15:00Z",
        "Wednesday 8/1/2020",
        "01/08/20",
    ],
)
def test_a_numeric_day_and_month_in_either_order_is_refused(text: str) -> None:
    """Every numeric date whose day and month could be read both ways is refused with the
    same hint, whatever the separator (dateutil would read 08-01-2020 as 1 August)."""
    with pytest.raises(InvalidEventError, match=r"day/month or month/day; write it as YYYY-MM-DD"):
        parse_time(text)


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("13-01-2020", dt.date(2020, 1, 13)),
        ("01/13/2020", dt.date(2020, 1, 13)),
        ("8.8.2020", dt.date(2020, 8, 8)),
        ("2020/08/01", dt.date(2020, 8, 1)),
        ("2020.8.1", dt.date(2020, 8, 1)),
        ("8 January 2020", dt.date(2020, 1, 8)),
    ],
)
def test_a_numeric_date_that_reads_one_way_is_accepted(text: str, day: dt.date) -> None:
    """A day over 12, the same number twice, or the year first leaves one reading."""
    assert (dt.datetime(day.year, day.month, day.day, tzinfo=UTC), "day") == parse_time(text)


@pytest.mark.parametrize(
    "text",
    [
        "June 18-19, 2017",  # was read as 18 June 2019 at 20:17
        "18-19 June 2017",  # 19 June 2018 at 20:17
        "June 18 19 2017",  # 18 June 2019 at 20:17
        "2017-06-18/2017-06-19",  # 19 June 2017 at 18:17
        "2017-06-18 - 2017-06-19",  # 19 June 2017 at 18:17
        "2017-06-18 2017",  # 18 June 2017 at 20:17
        "2017-06-18 1843",  # a time or a year? (write 18:43, or T1843)
        "2017-06-18 -0300",  # 18 June 2017 at 03:00, not an offset
    ],
)
def test_a_range_or_a_number_read_as_another_field_is_refused(text: str) -> None:
    """A user's report: with a default zone, dateutil read the day of a range as the
    year, the year as a time of day, a second date's numbers as a time ("June 18-19,
    2017" was stored as 18 June 2019 at 20:17, in the Damascus time given as the default
    zone). The year must be written once and be the year read; another long number must
    be a time after T, the offset read, or the whole date."""
    with pytest.raises(InvalidEventError, match=r"is not one date or moment as written") as e:
        parse_time(text, default_tz="Asia/Damascus")
    assert "occurred_at" == e.value.field
    assert "a range: its start, with the precision that covers it" in str(e.value)


@pytest.mark.parametrize(
    "text", ["-2017-06-18", "-0001-01-01", "-2017", "-2017-06", "- 2017-06-18"]
)
def test_a_year_with_a_minus_sign_is_refused_not_read_without_it(text: str) -> None:
    """ISO 8601 writes a year before year 1 with a sign (``-0001`` is 2 BC); dateutil
    took the sign for a separator and read ``-2017-06-18`` as 18 June 2017 AD, in an
    import file as anywhere (``+2017-06-18`` is refused). The year must be the year
    read: refused, naming the field."""
    with pytest.raises(InvalidEventError) as e:
        parse_time(text)
    assert "occurred_at" == e.value.field


def test_two_offsets_are_refused() -> None:
    """dateutil took the last of two offsets; nothing says which one the writer meant."""
    with pytest.raises(InvalidEventError, match=r"gives more than one offset; give one"):
        parse_time("2017-06-18 18:43 +03:00 +01:00", field="reported_at")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20170618", ("2017-06-18T00:00:00+00:00", "day")),
        ("2017-06-18T1843", ("2017-06-18T15:43:00+00:00", "minute")),
        ("2017-06-18T18:43:00-0300", ("2017-06-18T21:43:00+00:00", "second")),
        ("18 June 2017 18:43 +0300", ("2017-06-18T15:43:00+00:00", "minute")),
        ("2017-06-18 18:43:05,5 +03:00", ("2017-06-18T15:43:05.500000+00:00", "exact")),
        ("2017-06-18 18:43:00.1234 +03:00", ("2017-06-18T15:43:00.123400+00:00", "exact")),
        ("Jun 18 2017 18:43:21 GMT", ("2017-06-18T18:43:21+00:00", "second")),
        ("18:43 18 June 2017 +03:00", ("2017-06-18T15:43:00+00:00", "minute")),
        ("June 8th, 2017", ("2017-06-08T00:00:00+00:00", "day")),
        ("8.8.2020", ("2020-08-08T00:00:00+00:00", "day")),
        ("June 18, 2017 6:43 pm", ("2017-06-18T15:43:00+00:00", "minute")),
    ],
)
def test_long_numbers_that_are_a_date_a_time_an_offset_or_a_fraction_are_read(
    text: str, expected: tuple[str, str]
) -> None:
    """The refusal above leaves alone every long number that is what it was read as."""
    moment, precision = parse_time(text, default_tz="Asia/Damascus")
    assert expected == (moment.isoformat(), precision)


def test_a_weekday_must_agree_with_its_date() -> None:
    """ "Monday 8 January 2020" (a Wednesday) is refused, saying which weekday it is; the
    right weekday, long or short, is accepted."""
    with pytest.raises(InvalidEventError, match=r"8 January 2020 is a Wednesday, not a Monday"):
        parse_time("Monday 8 January 2020")
    with pytest.raises(InvalidEventError, match="is a Wednesday, not a Friday"):
        parse_time("Fri, 8 Jan 2020 10:00 +03:00", field="reported_at")
    assert dt.datetime(2020, 1, 8, tzinfo=UTC) == parse_time("Wednesday 8 January 2020")[0]
    assert dt.datetime(2020, 1, 8, 7, tzinfo=UTC) == parse_time("Wed, 8 Jan 2020 10:00 +03:00")[0]


def test_a_weekday_of_the_date_as_written_not_of_utc() -> None:
    """The weekday is the written date's: Friday 3 January 01:00 in Baghdad is Thursday in
    UTC, and is accepted as Friday."""
    start, _ = parse_time("Friday 3 January 2020 01:00 +03:00")
    assert dt.datetime(2020, 1, 2, 22, tzinfo=UTC) == start


@pytest.mark.parametrize("text", ["Monday June 2017", "Monday January 2020"])
def test_a_weekday_without_a_day_is_refused(text: str) -> None:
    """dateutil would move to the first such weekday of the month: refused instead."""
    with pytest.raises(InvalidEventError, match="names a weekday but no day"):
        parse_time(text)


@pytest.mark.parametrize("abbreviation", ["EST", "MSK", "CEST", "BST", "EDT", "PDT", "IRST"])
@pytest.mark.parametrize("default_tz", [None, "Asia/Damascus"])
def test_zone_abbreviations_are_refused_not_dropped(
    abbreviation: str, default_tz: str | None
) -> None:
    """A time with a zone abbreviation is refused, with or without a default zone (which
    would otherwise read it as Damascus time), with a hint naming offsets and IANA zones,
    and without a dateutil warning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(InvalidEventError) as caught:
            parse_time(f"2017-06-18 15:43 {abbreviation}", default_tz=default_tz)
    assert "occurred_at" == caught.value.field
    assert f"{abbreviation!r} is a zone abbreviation" in caught.value.problem
    assert "offset" in caught.value.problem and "America/New_York" in caught.value.problem


def test_utc_names_and_a_named_offset_are_read() -> None:
    """UTC, GMT and Z are UTC; an abbreviation beside its offset (an e-mail's date) is
    read by the offset."""
    for name in ("UTC", "GMT", "Z"):
        assert (
            dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC)
            == parse_time(f"2017-06-18 15:43 {name}")[0]
        )
    email = "Sun, 18 Jun 2017 15:43:00 +0300 (MSK)"
    assert (dt.datetime(2017, 6, 18, 12, 43, tzinfo=UTC), "second") == parse_time(email)


@pytest.mark.parametrize(
    ("zone", "utc_hour", "utc_minute"), [("+03:30", 15, 13), ("-0500", 23, 43), ("+00:00", 18, 43)]
)
def test_a_fixed_offset_is_a_default_zone(zone: str, utc_hour: int, utc_minute: int) -> None:
    """default_tz accepts a fixed offset as well as an IANA zone."""
    start, _ = parse_time("2017-06-18 18:43", default_tz=zone)
    assert dt.datetime(2017, 6, 18, utc_hour, utc_minute, tzinfo=UTC) == start


@pytest.mark.parametrize("zone", ["+24:00", "+03:60", "EST5", "UTC+3"])
def test_a_zone_that_is_neither_is_refused(zone: str) -> None:
    """Neither an IANA zone nor an offset: refused, naming the field."""
    with pytest.raises(InvalidEventError, match=r"^default_tz: "):
        times.resolve_zone(zone)


@pytest.mark.parametrize(
    ("moment", "problem"),
    [
        (dt.datetime(2017, 3, 12, 2, 30, tzinfo=ZoneInfo("America/New_York")), "does not exist"),
        (dt.datetime(2017, 11, 5, 1, 30, tzinfo=ZoneInfo("America/New_York")), "happens twice"),
        (
            dt.datetime(2017, 11, 5, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
            "happens twice",
        ),
        (dt.datetime(2017, 3, 26, 2, 30, tzinfo=ZoneInfo("Europe/Berlin")), "does not exist"),
    ],
)
def test_aware_datetimes_at_a_skipped_or_repeated_wall_time_are_refused(
    moment: dt.datetime, problem: str
) -> None:
    """An aware datetime whose zone skipped or repeated its wall time is refused, as the
    same text with that default zone is."""
    with pytest.raises(
        InvalidEventError, match=rf"^occurred_at: .*{problem} in (America/New_York|Europe/Berlin)"
    ):
        parse_time(moment)
    text = moment.replace(tzinfo=None).isoformat(sep=" ")
    with pytest.raises(InvalidEventError, match=problem):
        parse_time(text, default_tz=moment.tzinfo)


def test_aware_datetimes_around_a_clock_change_are_read() -> None:
    """Wall times on either side of a change, and fixed offsets, are read as they say."""
    new_york = ZoneInfo("America/New_York")
    assert (
        dt.datetime(2017, 3, 12, 7, 30, tzinfo=UTC)
        == parse_time(dt.datetime(2017, 3, 12, 3, 30, tzinfo=new_york))[0]
    )
    fixed = dt.timezone(dt.timedelta(hours=-4))
    assert (
        dt.datetime(2017, 11, 5, 5, 30, tzinfo=UTC)
        == parse_time(dt.datetime(2017, 11, 5, 1, 30, tzinfo=fixed))[0]
    )


# -- days of the day zone -------------------------------------------------------------------

BAGHDAD = "Asia/Baghdad"


@pytest.mark.parametrize(
    ("value", "start", "precision"),
    [
        ("2020-01-03", dt.datetime(2020, 1, 2, 21, tzinfo=UTC), "day"),
        (dt.date(2020, 1, 3), dt.datetime(2020, 1, 2, 21, tzinfo=UTC), "day"),
        ("3 January 2020", dt.datetime(2020, 1, 2, 21, tzinfo=UTC), "day"),
        ("January 2020", dt.datetime(2019, 12, 31, 21, tzinfo=UTC), "month"),
        ("2020", dt.datetime(2019, 12, 31, 21, tzinfo=UTC), "year"),
        ("2020-01-03 01:00 +03:00", dt.datetime(2020, 1, 2, 22, tzinfo=UTC), "minute"),
    ],
)
def test_a_date_is_a_day_of_the_day_zone(value: object, start: dt.datetime, precision: str) -> None:
    """With a day zone, a date, a month or a year starts at its midnight there; a time of
    day keeps its own offset."""
    assert (start, precision) == parse_time(value, day_zone=BAGHDAD)


def test_the_default_zone_does_not_move_days() -> None:
    """default_tz reads times of day; dates stay days of the day zone (UTC here)."""
    assert dt.datetime(2020, 1, 3, tzinfo=UTC) == parse_time("2020-01-03", default_tz=BAGHDAD)[0]


def test_days_across_a_clock_change_are_the_day_zones() -> None:
    """In a day zone with clock changes a day is 23 or 25 hours long, a day whose
    midnight was skipped starts when the clocks jumped, and bounds follow."""
    berlin = "Europe/Berlin"
    start, _ = parse_time("2017-03-26", day_zone=berlin)
    assert dt.datetime(2017, 3, 25, 23, tzinfo=UTC) == start
    assert dt.datetime(2017, 3, 26, 22, tzinfo=UTC) == interval_end(start, "day", berlin)
    damascus = "Asia/Damascus"  # clocks went from 00:00 to 01:00 on 31 March 2017
    start, _ = parse_time("2017-03-31", day_zone=damascus)
    assert dt.datetime(2017, 3, 30, 22, tzinfo=UTC) == start
    assert dt.datetime(2017, 3, 31, 21, tzinfo=UTC) == interval_end(start, "day", damascus)
    assert (dt.datetime(2017, 3, 31, 21, tzinfo=UTC), False) == through(
        "2017-03-31", field="until", day_zone=damascus
    )


@pytest.mark.parametrize(
    ("value", "zone", "shown"),
    [
        ("2011-12-30", "Pacific/Apia", "2011-12-30"),  # Samoa went from 29 to 31 December
        (dt.date(2011, 12, 30), "Pacific/Apia", "2011-12-30"),
        ("30 December 2011", "Pacific/Fakaofo", "2011-12-30"),
        ("1994-12-31", "Pacific/Kiritimati", "1994-12-31"),
        ("1993-08-21", "Pacific/Kwajalein", "1993-08-21"),
    ],
)
def test_a_day_the_day_zone_skipped_is_refused(value: object, zone: str, shown: str) -> None:
    """A date that never happened in the day zone (its calendar jumped over it) is
    refused, as an event's time and as a bound, not read as the day after."""
    with pytest.raises(InvalidEventError, match=rf"^at: {shown} never happened in {zone}"):
        parse_time(value, field="at", day_zone=zone)
    with pytest.raises(InvalidEventError, match=rf"^until: {shown} never happened in {zone}"):
        through(value, field="until", day_zone=zone)


@settings(max_examples=300, deadline=None)
@given(
    st.dates(min_value=dt.date(1800, 1, 2), max_value=dt.date(2100, 1, 1)),
    st.sampled_from(
        [
            "Pacific/Apia",
            "Pacific/Kiritimati",
            "Asia/Damascus",
            "America/Sao_Paulo",
            "Europe/London",
        ]
    ),
)
@example(dt.date(2011, 12, 30), "Pacific/Apia")
def test_a_date_read_is_that_day_of_the_day_zone(day: dt.date, zone: str) -> None:
    """A date read in a day zone starts at an instant of that very date there and ends
    at one of a later date (or it is refused): never another day silently."""
    try:
        start, precision = parse_time(day.isoformat(), day_zone=zone)
    except InvalidEventError as e:
        assert "never happened" in str(e)
        return
    assert precision == "day"
    assert start.astimezone(ZoneInfo(zone)).date() == day
    assert (interval_end(start, "day", zone) - dt.timedelta(microseconds=1)).astimezone(
        ZoneInfo(zone)
    ).date() == day


def test_a_day_whose_midnight_a_jump_across_it_skipped_starts_at_the_jump() -> None:
    """Toronto's clocks went from 23:30 on 30 March 1919 to 00:30 on 31 March: 31 March
    starts at the jump (04:30Z), not half an hour later, and 30 March ends there."""
    toronto = "America/Toronto"
    jump = dt.datetime(1919, 3, 31, 4, 30, tzinfo=UTC)
    assert (jump, "day") == parse_time("1919-03-31", day_zone=toronto)
    start, _ = parse_time("1919-03-30", day_zone=toronto)
    assert jump == interval_end(start, "day", toronto)
    assert jump == times.unit_start(jump + dt.timedelta(minutes=15), "day", day_zone=toronto)
    assert (jump, False) == through("1919-03-30", field="until", day_zone=toronto)


def test_a_month_ends_where_the_next_begins() -> None:
    """A month covers its calendar month of the day zone: March in Berlin ends at the
    start of April there, an hour of summer time earlier in UTC than it began."""
    march = dt.datetime(2017, 2, 28, 23, tzinfo=UTC)
    assert dt.datetime(2017, 3, 31, 22, tzinfo=UTC) == interval_end(march, "month", "Europe/Berlin")
    february = dt.datetime(2017, 2, 1, tzinfo=UTC)
    assert dt.datetime(2017, 3, 1, tzinfo=UTC) == interval_end(february, "month")


# -- a precision given must start with its time ---------------------------------------------


@pytest.mark.parametrize(
    ("start", "precision", "zone", "itself"),
    [
        (dt.datetime(2020, 4, 14, tzinfo=UTC), "month", None, "2020-04"),
        (dt.datetime(2017, 1, 31, tzinfo=UTC), "month", None, "2017-01"),
        (dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC), "day", None, "2017-06-18"),
        (dt.datetime(2017, 6, 18, tzinfo=UTC), "year", None, "2017"),
        (dt.datetime(2020, 1, 3, tzinfo=UTC), "day", BAGHDAD, "2020-01-03"),
        (dt.datetime(2020, 4, 1, tzinfo=UTC), "month", BAGHDAD, "2020-04"),
    ],
)
def test_a_coarser_precision_must_start_its_calendar_unit(
    start: dt.datetime, precision: str, zone: str | None, itself: str
) -> None:
    """A month given with 14 April, or 31 January, would cover 14 April to 14 May or 31
    January to 28 February: refused, naming the unit to give instead."""
    with pytest.raises(InvalidEventError, match=rf"give the {precision} itself \({itself}\)"):
        times.check_start(start, precision, day_zone=zone)


@pytest.mark.parametrize(
    ("start", "precision", "zone"),
    [
        (dt.datetime(2020, 4, 1, tzinfo=UTC), "month", None),
        (dt.datetime(2020, 3, 31, 21, tzinfo=UTC), "month", BAGHDAD),
        (dt.datetime(2020, 1, 2, 21, tzinfo=UTC), "day", BAGHDAD),
        (dt.datetime(2019, 12, 31, 21, tzinfo=UTC), "year", BAGHDAD),
        (dt.datetime(2020, 1, 7, 21, 30, tzinfo=UTC), "hour", None),  # 01:00 in Tehran
        (dt.datetime(2020, 1, 7, 21, 30, tzinfo=UTC), "minute", None),
        (dt.datetime(2020, 1, 7, 21, 30, 5, tzinfo=UTC), "second", None),
        (dt.datetime(2020, 1, 7, 21, 30, 5, 17, tzinfo=UTC), "exact", None),
    ],
)
def test_a_precision_that_starts_with_its_time_is_accepted(
    start: dt.datetime, precision: str, zone: str | None
) -> None:
    """The first instant of a day, month or year of the day zone; an hour at a whole
    quarter-hour of UTC (the hours of zones such as Asia/Tehran); any exact moment."""
    assert precision == times.check_start(start, precision, day_zone=zone)


@pytest.mark.parametrize(
    ("start", "precision"),
    [
        (dt.datetime(2017, 6, 18, 15, 43, tzinfo=UTC), "hour"),
        (dt.datetime(2017, 6, 18, 15, 43, 10, tzinfo=UTC), "minute"),
        (dt.datetime(2017, 6, 18, 15, 43, 10, 5, tzinfo=UTC), "second"),
    ],
)
def test_an_hour_minute_or_second_must_start_with_its_time(
    start: dt.datetime, precision: str
) -> None:
    """15:43 with precision hour would cover 15:43 to 16:43: refused."""
    with pytest.raises(InvalidEventError, match=rf"^precision: '{precision}' covers a whole"):
        times.check_start(start, precision)


# -- bounds: an instant, or a whole day, month or year -------------------------------------


@pytest.mark.parametrize(
    ("text", "bound"),
    [
        ("2017-06-19 12:00Z", (dt.datetime(2017, 6, 19, 12, tzinfo=UTC), True)),
        ("2017-06-19T12Z", (dt.datetime(2017, 6, 19, 12, tzinfo=UTC), True)),
        ("2017-06-19 12:00:30Z", (dt.datetime(2017, 6, 19, 12, 0, 30, tzinfo=UTC), True)),
        ("2017-06-19", (dt.datetime(2017, 6, 20, tzinfo=UTC), False)),
        ("June 2017", (dt.datetime(2017, 7, 1, tzinfo=UTC), False)),
        ("2017", (dt.datetime(2018, 1, 1, tzinfo=UTC), False)),
    ],
)
def test_a_bound_with_a_time_of_day_is_that_instant(
    text: str, bound: tuple[dt.datetime, bool]
) -> None:
    """Text written with a time of day bounds at that instant, inclusive (not at the end
    of its minute or hour); a date, month or year at the end of the whole of it."""
    assert bound == through(text, field="at")


def test_a_date_bound_is_the_end_of_the_day_zones_day() -> None:
    """In a day zone, a date bound ends where that day ends there."""
    assert (dt.datetime(2020, 1, 3, 21, tzinfo=UTC), False) == through(
        "2020-01-03", field="until", day_zone=BAGHDAD
    )


@pytest.mark.parametrize(
    ("precision", "wholly", "inside"),
    [
        ("day", False, True),
        ("day", True, False),
        ("hour", False, False),  # 00:00 to 01:00: over before noon
        ("exact", False, False),
    ],
)
def test_the_window_takes_what_overlaps_it(precision: str, wholly: bool, inside: bool) -> None:
    """A window from noon to 23:59 on 5 January holds the day-precision events of 5
    January (they may have happened then), unless only events wholly inside are asked."""
    start = dt.datetime(2020, 1, 5, tzinfo=UTC)
    since = dt.datetime(2020, 1, 5, 12, tzinfo=UTC)
    until = (dt.datetime(2020, 1, 5, 23, 59, tzinfo=UTC), True)
    assert inside == times.in_window(start, precision, since, until, wholly=wholly)


def test_bounds_in_words() -> None:
    """A date bound reads "by the end of" that day of the day zone; an instant "by"."""
    end_of_day = (dt.datetime(2026, 12, 1, tzinfo=UTC), False)
    assert "by the end of 2026-11-30 (UTC)" == times.bound_text(end_of_day)
    baghdad_day = through("2026-11-30", field="known_at", day_zone=BAGHDAD)
    assert "by the end of 2026-11-30 (Asia/Baghdad)" == times.bound_text(baghdad_day, BAGHDAD)
    instant = (dt.datetime(2026, 11, 30, 9, 30, tzinfo=UTC), True)
    assert "by 2026-11-30T09:30:00.000000Z" == times.bound_text(instant)


@settings(max_examples=300, deadline=None)
@given(
    st.datetimes(
        min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(times.PRECISIONS),
    st.sampled_from(
        [None, "Asia/Baghdad", "Europe/Berlin", "Asia/Damascus", "America/St_Johns", "+05:45"]
    ),
)
def test_every_moment_lies_in_one_unit_of_each_precision(
    moment: dt.datetime, precision: str, zone: str | None
) -> None:
    """The unit that holds a moment starts with a time that check_start accepts, ends
    where the next unit starts, and holds the moment, in any day zone."""
    start = times.unit_start(moment, precision, day_zone=zone)
    assert precision == times.check_start(start, precision, day_zone=zone)
    end = interval_end(start, precision, zone)
    assert start <= moment and (moment < end or precision == "exact")
    assert end == times.unit_start(end, precision, day_zone=zone)


def _local_unit(moment: dt.datetime, precision: str, zone: str) -> tuple[int, ...]:
    local = moment.astimezone(ZoneInfo(zone))
    return (local.year, local.month, local.day)[: {"year": 1, "month": 2, "day": 3}[precision]]


@settings(max_examples=400, deadline=None)
@given(
    st.datetimes(
        min_value=dt.datetime(1900, 1, 2), max_value=dt.datetime(2100, 1, 1), timezones=st.just(UTC)
    ),
    st.sampled_from(times.CALENDAR_UNITS),
    st.sampled_from(
        [
            "America/Toronto",
            "Pacific/Apia",
            "Australia/Lord_Howe",
            "America/Sao_Paulo",
            "Asia/Damascus",
            "America/New_York",
        ]
    ),
)
@example(dt.datetime(1919, 3, 31, 4, 45, tzinfo=UTC), "day", "America/Toronto")
@example(dt.datetime(2011, 12, 30, 10, tzinfo=UTC), "day", "Pacific/Apia")
def test_a_calendar_unit_covers_exactly_the_instants_of_its_local_unit(
    moment: dt.datetime, precision: str, zone: str
) -> None:
    """The day, month or year of the day zone that holds a moment starts at the first
    instant whose local date is in it and ends at the first that is not: the instants
    it covers are exactly those whose local date rounds down to its start."""
    start = times.unit_start(moment, precision, day_zone=zone)
    end = interval_end(start, precision, zone)
    unit = _local_unit(moment, precision, zone)
    assert start <= moment < end
    assert unit == _local_unit(start, precision, zone)
    assert unit == _local_unit(end - dt.timedelta(microseconds=1), precision, zone)
    assert unit != _local_unit(start - dt.timedelta(microseconds=1), precision, zone)
    assert unit != _local_unit(end, precision, zone)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("EST", r"'EST' is -05:00 all year in the tz database, summer included \(America/New_York"),
        ("MST", r"'MST' is -07:00 all year in the tz database, summer included \(America/Denver"),
        ("Etc/GMT+3", r"'Etc/GMT\+3' is -03:00 \(the tz database's GMT names take POSIX signs"),
        ("Etc/GMT-3", r"'Etc/GMT-3' is \+03:00 \(the tz database's GMT names take POSIX signs"),
        ("GMT+3", r"'GMT\+3' is -03:00"),
    ],
)
def test_zone_names_that_read_as_another_offset_are_refused(name: str, problem: str) -> None:
    """A user's trial: default_tz="EST" read "2017-07-04 12:00" as 17:00Z, where New York
    was at 16:00Z (EST is the tz database's fixed -05:00), and "Etc/GMT+3" is three hours
    behind UTC. Refused as the default zone and as the day zone, with the zone to give."""
    with pytest.raises(InvalidEventError, match=problem) as e:
        times.resolve_zone(name)
    assert "default_tz" == e.value.field
    with pytest.raises(InvalidEventError, match=problem) as e:
        times.resolve_zone(name, field="day_zone")
    assert "day_zone" == e.value.field


@pytest.mark.parametrize("name", ["HST", "EST5EDT", "Etc/GMT", "Etc/GMT+0", "GMT", "UTC", "CET"])
def test_zone_names_that_mean_what_they_say_are_kept(name: str) -> None:
    """HST is Honolulu's time all year; EST5EDT keeps the US rules; GMT+0 is UTC."""
    assert name == times.zone_name(times.resolve_zone(name))


def test_a_time_without_a_zone_is_refused_quoting_what_was_written() -> None:
    """A new user's trial: "2017-06-18 6:43 pm" was refused as "2017-06-18T18:43:00 has
    no time zone", a text the user never wrote (the README quotes the text as written)."""
    with pytest.raises(InvalidEventError, match=r"^occurred_at: '2017-06-18 6:43 pm' has no"):
        parse_time("2017-06-18 6:43 pm")
    with pytest.raises(InvalidEventError, match=r"^at: 2017-06-18T18:43:00 has no time zone"):
        parse_time(dt.datetime(2017, 6, 18, 18, 43), field="at")  # a naive datetime


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("20170618T154300.123Z", ("2017-06-18T15:43:00.123000+00:00", "exact")),
        ("20170618T154300,123+0300", ("2017-06-18T12:43:00.123000+00:00", "exact")),
        ("20170618T154300.5Z", ("2017-06-18T15:43:00.500000+00:00", "exact")),
        ("09990102", ("0999-01-02T00:00:00+00:00", "day")),
        ("09990102T1000Z", ("0999-01-02T10:00:00+00:00", "minute")),
    ],
)
def test_iso_basic_forms_with_a_fraction_or_a_year_before_1000_are_read(
    text: str, expected: tuple[str, str]
) -> None:
    """A review of 0b26b4d: these were read right before it (the fraction's precision
    aside: 'second', its microseconds kept) and refused after it: the fraction after
    T154300 was taken for a number read as another field, and an 8-digit date of a
    year before 1000 was compared with strftime's unpadded %Y ('9990102')."""
    moment, precision = parse_time(text, default_tz="Asia/Damascus")
    assert expected == (moment.isoformat(), precision)


@pytest.mark.parametrize(
    "text",
    [
        "June 16-17, 2017",  # read as 16 June 2017 at 20:17: 17 the year, 2017 the time
        "June 16 and 17, 2017",
        "March 19-20, 2020",
        "12-13 September 2012",
    ],
)
def test_a_range_whose_last_day_names_the_year_is_refused(text: str) -> None:
    """A review of 0b26b4d: the range's last day read as a two-digit year that happens
    to be the year written, which passed as 'the year read', and the year became 20:17."""
    with pytest.raises(InvalidEventError, match=r"is not one date or moment as written"):
        parse_time(text, default_tz="Asia/Damascus")


@pytest.mark.parametrize(
    "text",
    [
        "2017-06-18/19",  # read as 18 June at 19:00
        "2017-06/07",  # read as 7 June
        "2017-06-18--19",  # read as 18 June at 19:00
        "2017-06-18T15:43/16:43",  # read as 16:43
        "June 18, 2017, 15:43 and 16:43",  # read as 16:43
        "2017-06-18 15:43 16:43",  # read as 16:43
        "2017-06-18 15:43Z+03:00",  # two offsets, read as 15:43 at -03:00
        "2017-06-18 15:43 Z +03:00",  # two offsets, read as 15:43Z
        "2017-06-18 15:00-16:00",  # a time range, read as 15:00 at -16:00 (no such offset)
        "June 18, 2017 10-11 PM",  # read as 22:00 at -11:00
    ],
)
def test_ranges_and_second_times_read_as_one_moment_are_refused(text: str) -> None:
    """A review of 0b26b4d: still accepted after it, each at a moment other than
    written (Damascus the default zone): a range after a date written year first, a
    second time of day, Z and an offset, an offset nowhere written as one or none keeps
    (-16:00, read from a range of hours)."""
    with pytest.raises(InvalidEventError):
        parse_time(text, default_tz="Asia/Damascus")


@pytest.mark.parametrize(
    "text",
    [
        "2017-06-18 10:00-10:30",  # was stored as 20:30Z: 10:00 at -10:30
        "2017-06-18 10:00-11:00",  # was stored as 21:00Z: -11:00 is Niue's offset
        "2017-06-18T10:00-11:00",
        "June 18, 2017 10:00-11:00",
        "2017-06-18 01:30-03:00",  # 01:30 in Brazil, or a range: written with seconds below
        "2017-06-18 9:00-10",
    ],
)
def test_a_time_then_a_later_time_behind_a_minus_is_refused(text: str) -> None:
    """Noticed in the ninth session: a range of times of one day read as a moment at an
    offset behind UTC ('10:00-10:30' as 10:00 at -10:30), stored hours off. Either
    reading is a guess; the message says how to write each."""
    with pytest.raises(InvalidEventError, match=r"reads as a range of times and as") as refused:
        parse_time(text, default_tz="Asia/Damascus")
    assert ":00-" in str(refused.value)  # the offset's form with seconds, to write instead


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2017-06-18 01:30:00-03:00", "2017-06-18T04:30:00+00:00"),  # RFC 3339: seconds
        ("2017-06-18 10:00:00-11:00", "2017-06-18T21:00:00+00:00"),
        ("2017-06-18 10:00-04:00", "2017-06-18T14:00:00+00:00"),  # 04:00 is not later
        ("2017-06-18T23:59-12:00", "2017-06-19T11:59:00+00:00"),
        ("2017-06-18 10:00+11:00", "2017-06-17T23:00:00+00:00"),  # ahead of UTC: no range
    ],
)
def test_an_offset_behind_utc_that_reads_one_way_is_kept(text: str, expected: str) -> None:
    """The refusal above leaves alone an offset after seconds, one that would be an
    earlier time of day, and one ahead of UTC."""
    assert expected == parse_time(text)[0].isoformat()


@pytest.mark.parametrize("zone", ["EST", "Etc/GMT+3", "Not/AZone"])
def test_interval_end_refuses_a_zone_it_cannot_use(zone: str) -> None:
    """A review of 55811c7: catching ValueError for 'year 10000' also caught the zone's
    refusal (InvalidEventError is a ValueError), and the interval ended in 9999."""
    with pytest.raises(InvalidEventError, match="day_zone"):
        interval_end(dt.datetime(2017, 6, 18, tzinfo=UTC), "day", zone)


@pytest.mark.parametrize(
    ("zone", "end"),
    [
        ("+03:00", dt.datetime(9999, 12, 31, 21, tzinfo=UTC)),
        ("Asia/Tokyo", dt.datetime(9999, 12, 31, 15, tzinfo=UTC)),
    ],
)
def test_the_last_day_of_a_zone_ahead_of_utc_ends_where_it_ends(
    zone: str, end: dt.datetime
) -> None:
    """A review of 55811c7: 31 December 9999 in a zone ahead of UTC ends inside the
    calendar in UTC, but its end was computed from 1 January 10000 of the zone, which
    overflowed, and so it ended at datetime.max, hours too late."""
    start, precision = parse_time("9999-12-31", day_zone=zone)
    assert end == interval_end(start, precision, zone)


# The forms people paste a moment in (news datelines, emails, spreadsheets), each with
# its precision; the offset, when the form has one, follows as +HH:MM, +HHMM or Z.
_WRITTEN_FORMS = [
    ("%Y-%m-%d", "day"),
    ("%d %B %Y", "day"),
    ("%B %d, %Y", "day"),
    ("%A, %B %d, %Y", "day"),
    ("%d.%m.%Y", "day"),
    ("%Y%m%d", "day"),
    ("%B %Y", "month"),
    ("%Y-%m-%d %H:%M{offset}", "minute"),
    ("%Y-%m-%dT%H:%M:%S{offset}", "second"),
    ("%d %b %Y %H:%M:%S {offset}", "second"),
    ("%a, %d %b %Y %H:%M:%S {offset}", "second"),
    ("%B %d, %Y %I:%M %p {offset}", "minute"),
    ("%Y-%m-%dT%H%M{offset}", "minute"),
    ("%d.%m.%Y %H:%M {offset}", "minute"),
]
_KEPT_OFFSETS = [0, 60, 180, 210, 270, 330, 345, -180, -300, -570, -720, 840]


@given(
    st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9998, 12, 30)),
    st.sampled_from(_WRITTEN_FORMS),
    st.sampled_from(_KEPT_OFFSETS),
    st.sampled_from(["+{h:02d}:{m:02d}", "+{h:02d}{m:02d}", "Z"]),
)
def test_a_moment_written_in_a_common_form_reads_as_itself(
    wall: dt.datetime, form: tuple[str, str], minutes: int, style: str
) -> None:
    """The refusals of texts whose numbers would be read as another field (ranges, a
    year twice, two times) refuse no moment written once in a common form: each reads
    as the moment written, at the precision written (a day and a month alone in UTC)."""
    pattern, precision = form
    if style == "Z":
        minutes = 0
    sign = "-" if minutes < 0 else "+"
    h, m = divmod(abs(minutes), 60)
    offset = "Z" if style == "Z" else sign + style[1:].format(h=h, m=m)
    if pattern.startswith("%d.%m.%Y") and wall.day <= 12 and wall.day != wall.month:
        return  # a day and a month that read both ways: refused on purpose
    text = wall.strftime(pattern.replace("{offset}", offset))
    if "%Y" in pattern and f"{wall.year:04d}" not in text:
        return  # strftime's %Y without its leading zero
    kept = {
        "day": wall.replace(hour=0, minute=0, second=0, microsecond=0),
        "month": wall.replace(day=1, hour=0, minute=0, second=0, microsecond=0),
        "minute": wall.replace(second=0, microsecond=0),
        "second": wall.replace(microsecond=0),
    }[precision]
    zone = dt.timezone(dt.timedelta(minutes=minutes)) if "{offset}" in pattern else UTC
    if (
        "%M{offset}" in pattern
        and ":%M" in pattern
        and minutes < 0
        and (h, m)
        > (
            wall.hour,
            wall.minute,
        )
    ):  # 01:30-03:00: a range of times as much as an offset, refused on purpose
        with pytest.raises(InvalidEventError, match="reads as a range of times"):
            parse_time(text)
        return
    assert (kept.replace(tzinfo=zone).astimezone(UTC), precision) == parse_time(text)


@pytest.mark.parametrize(
    "text", ["Jun 18 1543 2017Z", "18 June 1800 2017Z", "June 18, 1200 2017Z", "18 Jun 2017 1543Z"]
)
def test_hhmmz_does_not_make_a_time_of_day_the_year(text: str) -> None:
    """A reviewer's find: taking a four-digit number before Z for a time of day of UTC
    (as "18 Jun 2017 1543Z" writes one) let the text's other four-digit number pass as
    the year: 'Jun 18 1543 2017Z' was read as 18 June 1543 at 20:17 UTC. Both forms are
    refused (write 15:43Z)."""
    with pytest.raises(InvalidEventError):
        parse_time(text, field="t")


def test_nanoseconds_are_cut_to_the_microsecond() -> None:
    """A new user's trial: nanoseconds were dropped without a word. The store keeps
    microseconds; the digits past the sixth are cut, not rounded, as README and
    parse_time now say."""
    for text in ("2017-06-18T10:00:00.123456789Z", "2017-06-18T10:00:00.1234569Z"):
        moment, precision = parse_time(text)
        assert (123456, "exact") == (moment.microsecond, precision)


@pytest.mark.parametrize(
    ("text", "shown", "behind", "ahead"),
    [
        ("2017-06-18 15:43 UTC-5", "UTC-5", "-05:00", "+05:00"),
        ("2017-06-18 10:43 GMT-05:00", "GMT-05:00", "-05:00", "+05:00"),
        ("2017-06-18 15:43 UTC+5:30", "UTC+5:30", "-05:30", "+05:30"),
        ("2017-06-18 15:43 GMT+3", "GMT+3", "-03:00", "+03:00"),
        ("2017-06-18 15:43 UTC+530", "UTC+530", "-05:30", "+05:30"),
        ("2017-06-18 15:43 UTC+0545", "UTC+0545", "-05:45", "+05:45"),
    ],
)
def test_a_posix_style_offset_is_refused_with_the_offset_written(
    text: str, shown: str, behind: str, ahead: str
) -> None:
    """'UTC-5' is refused naming what was written and both offsets it may mean, not '+03:00'."""
    with pytest.raises(InvalidEventError) as refused:
        parse_time(text)
    message = str(refused.value)
    assert f"{shown!r} is read by some tools" in message
    assert behind in message and ahead in message
    if shown not in ("GMT+3",):
        assert "+03:00" not in message


@pytest.mark.parametrize("text", ["1M", "3M", "2d 1M", "1M30s"])
def test_a_capital_m_duration_is_refused_not_read_as_minutes(text: str) -> None:
    """ "1M" is a month to many (ISO 8601's P1M) and a minute to others: it is refused
    with a hint, not read as a minute silently (a within of "1M" matched nothing)."""
    with pytest.raises(InvalidEventError, match=r"^within: .*'M' reads as months or minutes"):
        times.parse_duration(text, field="within")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90m", dt.timedelta(minutes=90)),
        ("3D", dt.timedelta(days=3)),
        ("5MS", dt.timedelta(0, 0, 5000)),
    ],
)
def test_durations_in_either_case_read_as_they_say(text: str, expected: dt.timedelta) -> None:
    """Lower-case m is minutes; other units read in either case."""
    assert expected == times.parse_duration(text, field="within")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3 days", dt.timedelta(days=3)),
        ("1 day 12 hours", dt.timedelta(days=1, hours=12)),
        ("90 minutes", dt.timedelta(minutes=90)),
        ("2 hrs 5 min", dt.timedelta(hours=2, minutes=5)),
        ("2 Weeks", dt.timedelta(weeks=2)),
        ("10 secs", dt.timedelta(seconds=10)),
        ("500 milliseconds", dt.timedelta(milliseconds=500)),
    ],
)
def test_durations_read_in_words(text: str, expected: dt.timedelta) -> None:
    """A new user's trial: ``within="3 days"`` (as the README's prose says it) was refused;
    the units' words read as their letters do."""
    assert expected == times.parse_duration(text, field="within")


@pytest.mark.parametrize("text", ["3 months", "1 month", "1mo", "1 year", "2y", "3 dayz"])
def test_months_years_and_unknown_words_are_no_duration(text: str) -> None:
    """A month or a year has no fixed length: refused with a hint, never read as days or
    minutes; a word that is no unit is refused whole."""
    with pytest.raises(InvalidEventError, match=r"^within: .*(no fixed duration|cannot read)"):
        times.parse_duration(text, field="within")


@pytest.mark.parametrize("text", ["9999", "9999-12", "9999-12-31"])
def test_a_bound_that_runs_past_the_calendar_takes_in_its_last_instant(text: str) -> None:
    """The last day, month or year of UTC's calendar ends past datetime.max: as a bound it
    takes in every instant up to datetime.max, that one too (an exclusive datetime.max
    left out an event at 23:59:59.999999 on 31 December 9999)."""
    last = dt.datetime.max.replace(tzinfo=UTC)
    bound = through(text, field="until")
    assert (last, True) == bound
    assert times.in_window(last, "exact", None, bound)


def test_a_posix_style_zero_offset_is_refused_with_a_hint_that_holds() -> None:
    """'UTC+0' means UTC whichever way it is read: the hint says so, not '00:00 behind'."""
    with pytest.raises(InvalidEventError) as refused:
        parse_time("2017-06-18 15:43 UTC+0")
    message = str(refused.value)
    assert "behind" not in message
    assert "'UTC+0'" in message and "Z" in message and "+00:00" in message
