"""The rules that turn a caller's moment into a UTC interval, without a database."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
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
@given(canonical_texts())
def test_the_fast_path_reads_canonical_text_as_dateutil_does(text: str) -> None:
    """The fast path for canonical text gives what the general parser gives (or steps aside)."""
    fast = times._parse_iso(text)
    try:
        general = times._parse_general(text, field="occurred_at", default_tz=None)
    except InvalidEventError:
        assert fast is None  # out of range in UTC: left to the general way's message
        return
    assert fast == general
    assert fast[0].tzinfo == dt.UTC
