"""review2: failing tests for bugs found in a review of 9473727..838c75d."""

from __future__ import annotations

import warnings
from pathlib import Path

import timeline
from timeline.text import events_table


def _reported_by_warnings(call) -> list[str]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        call()
    return [str(w.message) for w in seen if str(w.message).startswith("reported_by:")]


def test_chart_until_the_calendars_last_day_in_a_zone_ahead_of_utc() -> None:
    """55811c7 keeps the axis a day inside the calendar only when the events set it: an
    ``until`` (or ``since``) given ends the axis at datetime.max, and the page's
    ``self.end.astimezone(zone)`` raises OverflowError (a traceback, not a
    TimelineError)."""
    with timeline.open("sqlite://", day_zone="+03:00") as tl:
        tl.record("a", "X", "9999-12-31", incident="s", effects={"X": {"k": "v"}})
        assert tl.chart(actors=["X"], until="9999-12-31")
        assert tl.chart(actors=["X"], since="9999-12-31T10:00Z", until="9999-12-31T22:00Z")


def test_events_table_date_of_a_day_recorded_in_another_day_zone(tmp_path: Path) -> None:
    """5060a36: a day or month recorded with UTC days, listed by a timeline opened with
    a day zone behind UTC, is written as the day zone's date of its UTC start: the day
    2017-06-18 reads '2017-06-17', the month 2017-06 reads '2017-05' (before: '2017-06-18
    00:00' in UTC, right). The store keeps no day zone per event, and the code elsewhere
    allows events recorded in another day zone (times._calendar_end)."""
    url = f"sqlite:///{tmp_path / 'x.db'}"
    with timeline.open(url) as tl:
        tl.record("truce", "Syria", "2017-06-18", incident="s")
        tl.record("truce", "Syria", "2017-06", incident="s")
    with timeline.open(url, day_zone="America/New_York") as tl:
        lines = events_table(tl.events(), day_zone=tl.day_zone)
    cells = [line.split()[1] for line in lines[1:]]
    assert cells[0] != "2017-06-17", lines
    assert cells[1] != "2017-05", lines


def test_reported_by_warning_not_for_events_a_where_leaves_out() -> None:
    """2c77d78: events(actor, reported_by, where=...) answered with nothing because the
    ``where`` matches no event warns that the reported bound left an event out; it would
    be left out whatever its reported time (the where is not applied to Store.unreported)."""
    tl = timeline.open("sqlite://")
    tl.record("truce", "Iraq", "2017-06-17", incident="s")  # no reported time
    found = _reported_by_warnings(
        lambda: list(tl.events(actor="Iraq", reported_by="2017-06-18", where={"type": "strike"}))
    )
    assert found == []


def test_reported_by_warning_counts_events_not_their_corrections() -> None:
    """2c77d78: state() counts every stored row Store.unreported finds (_select keeps
    corrections and retractions), so one event left out with its correction is '2 events
    of ... were left out'; and an event reported in time whose retraction came later
    (the retraction's reported time defaults to its recording, as documented) warns that
    '1 event ... was left out because it has no reported time'."""
    tl = timeline.open("sqlite://")
    e = tl.record("truce", "Iraq", "2017-06-17", incident="s")  # no reported time
    tl.correct(e.id, data={"n": 1})
    found = _reported_by_warnings(lambda: tl.state("Iraq", reported_by="2017-06-18"))
    assert len(found) == 1 and found[0].startswith("reported_by: 1 event of 'Iraq' was"), found
    r = tl.record("truce", "Iran", "2017-06-17", incident="s", reported_at="2017-06-17")
    tl.retract(r.id, "wrong")
    assert _reported_by_warnings(lambda: tl.state("Iran", reported_by="2017-06-18")) == []
