"""The chart: every event and lane is in the picture, imprecision shows, text is escaped,
bands and sequence matches are drawn, and thousands of events are aggregated and said so.

The drawing (timeline.chart) is pure, so most tests build events in memory; the last
ones ask ``Timeline.chart`` on both backends.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import pytest

import timeline
from timeline import Step, chart
from timeline.events import Event, RecordedEvent, event_from_dict
from timeline.fold import HistoryEntry
from timeline.sequences import Match

UTC = dt.UTC
SVG = "{http://www.w3.org/2000/svg}"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SEED = EXAMPLES / "syria-2017-06.jsonl"
TEMPLATES = EXAMPLES / "syria-2017-06.templates.json"


def stored(
    type_: str,
    actor: str,
    when: object,
    position: int,
    *,
    targets: tuple[str, ...] = (),
    source: dict[str, str] | None = None,
) -> RecordedEvent:
    """A RecordedEvent built in memory, as a store would hand it back."""
    event = Event(type_, actor, when, incident="s", targets=targets, source=source)
    return RecordedEvent(
        id=event.id,
        incident=event.incident,
        version=position,
        position=position,
        type=event.type,
        actor=event.actor,
        targets=event.targets,
        occurred_at=event.occurred_at,
        precision=event.precision,
        data=event.data,
        effects=event.effects,
        source=event.source,
        recorded_at=dt.datetime(2026, 1, 1, tzinfo=UTC),
        hash="0" * 64,
    )


def parse(text: str) -> ET.Element:
    """The <svg> element of an SVG document or of an HTML page holding one."""
    found = re.search(r"<svg\b.*</svg>", text, re.S)
    assert found, "no <svg> element"
    return ET.fromstring(found.group(0))


def by_class(root: ET.Element, name: str) -> list[ET.Element]:
    """Every element whose class is ``name``."""
    return [e for e in root.iter() if e.get("class") == name]


def title_of(element: ET.Element) -> str:
    """The hover text of an element: its <title>."""
    found = element.find(f"{SVG}title")
    assert found is not None
    return found.text or ""


SAMPLE = [
    stored("truce", "Syria", "2017-06-17", 1, targets=("Syrian rebels",)),
    stored("shootdown", "US", "2017-06-18T18:43+03:00", 2, targets=("Syria",)),
    stored("cooperation_suspended", "Russia", "2017-06-19", 3, targets=("US",)),
    stored("aircraft_repositioned", "US", "2017-06-19", 4),
    stored("strike", "US", dt.datetime(2017, 6, 18, 9, 30, tzinfo=UTC), 5),
    stored("statement", "US-led coalition", "2017-06-18", 6, targets=("Syria",)),
    stored("overflight_approved", "Russia", "2017-06", 7),
]


@pytest.mark.parametrize("render", [chart.svg, chart.html])
def test_every_event_and_lane_is_in_the_picture(render) -> None:  # type: ignore[no-untyped-def]
    """Parsed back, the picture has one lane per actor asked for and one mark per event
    naming one of them, each in its actor's lane (or, for an actor without a lane, in
    the lane it names, drawn as such)."""
    lanes = ["US", "Russia", "Syria"]
    root = parse(render(SAMPLE, lanes=lanes))
    assert lanes == [g.get("data-lane") for g in by_class(root, "lane")]
    marks = {g.get("data-event-id"): g for g in by_class(root, "event")}
    assert {str(e.id) for e in SAMPLE} == set(marks)
    for event in SAMPLE:
        mark = marks[str(event.id)]
        if event.actor in lanes:
            assert (event.actor, "actor") == (mark.get("data-lane"), mark.get("data-role"))
        else:
            assert ("Syria", "named") == (mark.get("data-lane"), mark.get("data-role"))
        assert event.type in title_of(mark)
    assert "7" == root.get("data-events")


def test_lanes_default_to_every_actor_and_leave_out_events_naming_none() -> None:
    """Without lanes, every actor gets one in order of its first event; with lanes, an
    event naming none of them is left out."""
    root = parse(chart.svg(SAMPLE))
    assert ["Russia", "Syria", "US-led coalition", "US"] == [  # June 2017 is first
        g.get("data-lane") for g in by_class(root, "lane")
    ]
    only = parse(chart.svg(SAMPLE, lanes=["Russia"]))
    assert {str(SAMPLE[2].id), str(SAMPLE[6].id)} == {
        g.get("data-event-id") for g in by_class(only, "event")
    }


def test_imprecise_events_are_bars_across_their_interval() -> None:
    """An exact event is a point mark; a day is a bar one day wide; a month a bar as wide
    as its month (clipped to the axis); the hover names the precision."""
    start = dt.datetime(2017, 6, 17, tzinfo=UTC)
    end = dt.datetime(2017, 6, 21, tzinfo=UTC)
    root = parse(chart.svg(SAMPLE, start=start, end=end, width=1000 + 200))
    marks = {g.get("data-type"): g for g in by_class(root, "event")}
    day_px = 1000 / 4  # 4 days over the plot's width (the width less 200 px of margins)
    bar = marks["cooperation_suspended"].find(f"{SVG}rect")
    assert bar is not None
    assert day_px == pytest.approx(float(bar.get("width", 0)), abs=0.2)
    assert marks["strike"].find(f"{SVG}path") is not None  # exact: a diamond
    assert marks["strike"].find(f"{SVG}rect") is None
    month = marks["overflight_approved"].find(f"{SVG}rect")
    assert month is not None
    assert 1000 == pytest.approx(float(month.get("width", 0)), abs=0.2)  # clipped
    assert "2017-06-19 (the whole day, UTC)" in title_of(marks["cooperation_suspended"])
    assert "2017-06 (the whole month, UTC)" in title_of(marks["overflight_approved"])
    assert "(to the minute)" in title_of(marks["shootdown"])


def test_hover_text_is_escaped() -> None:
    """A source quote with quotes, ampersands, markup and a control character stays
    text: the SVG parses, no element is injected, and the hover reads the quote back."""
    quote = "He said \"leave\" & <script>alert('x')</script>\x07 now"
    event = stored(
        "statement",
        'O"Brien & <Co>',
        "2017-06-19",
        1,
        targets=("</g><g>",),
        source={"quote": quote, "title": "a & b"},
    )
    for text in (chart.svg([event], title="<b>"), chart.html([event], title="<b>")):
        root = parse(text)
        assert not [e for e in root.iter() if e.tag.endswith("script")]
        assert "<script>" not in text
        (mark,) = by_class(root, "event")
        assert 'O"Brien & <Co>' == mark.get("data-actor")
        hover = title_of(mark)
        assert "He said \"leave\" & <script>alert('x')</script>\ufffd now" in hover
        assert "source: a & b" in hover


def test_the_html_page_needs_no_network() -> None:
    """The page holds everything: no script, no stylesheet link, no URL but the SVG
    namespace and an empty icon."""
    page = chart.html(SAMPLE, title="t")
    assert "<script" not in page
    urls = re.findall(r"""(?:href|src)=["']([^"']*)""", page)
    assert all(u.startswith(("#", "url(#", "data:")) for u in urls), urls
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}


def history(actor: str, changes: list[tuple[str, str | None, str]]) -> list[HistoryEntry]:
    """History entries of ``cooperation.US`` on ``actor``: (day, old, new)."""
    entries = []
    for number, (day, old, new) in enumerate(changes, 1):
        event = stored("cooperation_" + new, actor, day, number)
        entries.append(
            HistoryEntry(
                when=event.occurred_at,
                precision=event.precision,
                attribute="cooperation.US",
                old=old,
                new=new,
                event=event,
            )
        )
    return entries


def test_state_bands_show_each_value_in_turn() -> None:
    """A band draws one segment per value, in order; the value before the chart's start
    (from an earlier change) shows from its left edge; a change by a day-precision event
    is hatched across its day."""
    entries = history(
        "Russia",
        [
            ("2015-10-20", None, "active"),
            ("2017-06-19", "active", "suspended"),
            ("2017-06-20", "suspended", "active"),
        ],
    )
    root = parse(
        chart.svg(
            SAMPLE,
            lanes=["Russia"],
            bands={("Russia", "cooperation.US"): entries},
            start=dt.datetime(2017, 6, 17, tzinfo=UTC),
            end=dt.datetime(2017, 6, 22, tzinfo=UTC),
        )
    )
    (band,) = by_class(root, "band")
    assert ("Russia", "cooperation.US") == (band.get("data-actor"), band.get("data-attribute"))
    segments = by_class(band, "segment")
    assert ["active", "suspended", "active"] == [s.get("data-value") for s in segments]
    first = segments[0].find(f"{SVG}rect")
    assert first is not None and float(first.get("x", 0)) == chart_left()
    assert 2 == len(by_class(band, "changing"))  # the two changes inside the axis
    assert "from 2017-06-19 (the whole day, UTC)" in title_of(segments[1])


def chart_left() -> float:
    """Where the plot starts, in pixels."""
    from timeline.chart import _LEFT

    return float(_LEFT)


def test_sequence_matches_are_connected_and_uncertain_order_is_dashed() -> None:
    """A match is a line through its events, numbered by step; a match of uncertain
    order is dashed and says so, a certain one is solid."""
    shootdown, suspended, repositioned = SAMPLE[1], SAMPLE[2], SAMPLE[3]
    uncertain = Match(
        "US",
        (shootdown, suspended, repositioned),
        (shootdown.occurred_at, suspended.occurred_at, repositioned.occurred_at),
        False,
    )
    certain = Match(
        "US", (shootdown, suspended), (shootdown.occurred_at, suspended.occurred_at), True
    )
    root = parse(chart.svg(SAMPLE, lanes=["US", "Russia"], matches=[uncertain, certain]))
    first, second = by_class(root, "match")
    assert "false" == first.get("data-order-certain")
    steps = [c.get("data-event-id") for c in first.iter(f"{SVG}circle")]
    assert [str(e.id) for e in uncertain.events] == steps
    lines = [p for p in first.iter(f"{SVG}polyline") if p.get("stroke") == "#222"]
    assert lines and lines[0].get("stroke-dasharray")
    assert 3 == len(lines[0].get("points", "").split())
    assert "order uncertain" in title_of(first)
    solid = [p for p in second.iter(f"{SVG}polyline") if p.get("stroke") == "#222"]
    assert solid and solid[0].get("stroke-dasharray") is None
    notes = " ".join(t.text or "" for t in by_class(root, "note"))
    assert "Sequence match 1, key US" in notes and "order uncertain" in notes


def test_five_thousand_events_are_aggregated_and_the_chart_says_so() -> None:
    """Past max_marks, lanes become time bins whose counts add up to every event, and a
    note on the chart says how they were aggregated."""
    base = dt.datetime(2017, 6, 1, tzinfo=UTC)
    actors = ["US", "Russia", "Syria", "Iran", "Iraq"]
    many = [
        stored("patrol", actors[n % 5], base + dt.timedelta(minutes=7 * n), n + 1)
        for n in range(5000)
    ]
    text = chart.svg(many, lanes=actors)
    root = parse(text)
    assert "true" == root.get("data-aggregated")
    assert not by_class(root, "event")
    bins = by_class(root, "bin")
    assert 5000 == sum(int(b.get("data-count", 0)) for b in bins)
    for actor in actors:
        assert 1000 == sum(int(b.get("data-count", 0)) for b in bins if b.get("data-lane") == actor)
    notes = " ".join(t.text or "" for t in by_class(root, "note"))
    assert "5,000 events shown as counts in" in notes
    assert "time bins per lane" in notes
    assert "patrol" in title_of(bins[0])
    assert len(text) < 1_000_000


def test_many_events_below_the_limit_are_marks_without_labels() -> None:
    """Between the label limit and max_marks, every event is a mark, unlabelled, and a
    note says to hover."""
    base = dt.datetime(2017, 6, 1, tzinfo=UTC)
    events = [stored("patrol", "US", base + dt.timedelta(hours=n), n + 1) for n in range(300)]
    root = parse(chart.svg(events))
    assert 300 == len(by_class(root, "event"))
    assert not by_class(root, "label")
    assert "labels are left out" in " ".join(t.text or "" for t in by_class(root, "note"))


def test_an_empty_chart_is_still_a_picture() -> None:
    """No events: lanes asked for are drawn, empty, and the SVG parses."""
    root = parse(chart.svg([], lanes=["US"]))
    assert ["US"] == [g.get("data-lane") for g in by_class(root, "lane")]
    assert not by_class(root, "event")


# -- Timeline.chart, on both backends -------------------------------------------------------


def seeded(tl: timeline.Timeline) -> None:
    """The seed, with its templates."""
    lines = SEED.read_text(encoding="utf-8").splitlines()
    tl.load(event_from_dict(json.loads(line)) for line in lines if line)
    for type_, template in json.loads(TEMPLATES.read_text(encoding="utf-8")).items():
        tl.define(type_, template)


DEMO_STEPS = [
    Step("shootdown", key="actor"),
    Step("cooperation_suspended", key="targets"),
    Step("aircraft_repositioned", key="actor"),
]


def test_timeline_chart_of_the_seed(tl: timeline.Timeline, tmp_path: Path) -> None:
    """The seed for three actors from June 17 to 20: the events that name them, the
    cooperation band on Russia (active, then suspended), the sequence match dashed; the
    file written is the text returned."""
    seeded(tl)
    report = tl.sequence(DEMO_STEPS, within="3d")
    out = tmp_path / "seed.html"
    text = tl.chart(
        out,
        actors=["US", "Russia", "Syria"],
        since="2017-06-17",
        until="2017-06-20",
        bands=["cooperation.US"],
        sequence=report,
    )
    assert text == out.read_text(encoding="utf-8")
    root = parse(text)
    assert ["US", "Russia", "Syria"] == [g.get("data-lane") for g in by_class(root, "lane")]
    expected = {
        str(e.id)
        for e in tl.events(since="2017-06-17", until="2017-06-20")
        if {e.actor, *e.targets} & {"US", "Russia", "Syria"}
    }
    assert expected == {g.get("data-event-id") for g in by_class(root, "event")}
    (band,) = by_class(root, "band")
    assert "Russia" == band.get("data-actor")
    assert ["active", "suspended"] == [s.get("data-value") for s in by_class(band, "segment")]
    (match,) = by_class(root, "match")
    assert "false" == match.get("data-order-certain")


def test_timeline_chart_sees_what_was_known_and_mended(tl: timeline.Timeline) -> None:
    """known_at leaves out what was recorded later; a correction moves its event and a
    retraction removes it; the incident filter keeps to one incident."""
    first = tl.record("shootdown", "US", "2017-06-18", incident="s")
    known = dt.datetime.now(UTC)
    moved = tl.record("strike", "US", "2017-06-18", incident="s")
    gone = tl.record("statement", "US", "2017-06-18", incident="s")
    other = tl.record("truce", "US", "2017-06-18", incident="other")
    tl.correct(moved.id, occurred_at="2017-06-19")
    tl.retract(gone.id, "never said")
    then = parse(tl.chart(known_at=known))
    assert {str(first.id)} == {g.get("data-event-id") for g in by_class(then, "event")}
    now = parse(tl.chart(incident="s", format="svg"))
    marks = {g.get("data-event-id"): g for g in by_class(now, "event")}
    assert {str(first.id), str(moved.id)} == set(marks)
    assert "2017-06-19" in title_of(marks[str(moved.id)])
    assert str(other.id) not in marks


def test_timeline_chart_refuses_an_unknown_file_kind(tl: timeline.Timeline, tmp_path: Path) -> None:
    """A path that is neither .html nor .svg is refused, naming the field, and nothing
    is written."""
    with pytest.raises(timeline.InvalidEventError, match=r"path: .*\.html or \.svg"):
        tl.chart(tmp_path / "chart.png")
    assert not (tmp_path / "chart.png").exists()
    with pytest.raises(timeline.InvalidEventError, match="format"):
        tl.chart(format="pdf")


def test_chart_svg_file(tl: timeline.Timeline, tmp_path: Path) -> None:
    """A .svg path gets a standalone SVG document."""
    tl.record("truce", "Syria", "2017-06-17", incident="s")
    text = tl.chart(tmp_path / "c.svg")
    assert text.startswith("<svg") and "<!DOCTYPE" not in text
    assert 1 == len(by_class(ET.fromstring(text), "event"))


def test_ids_in_marks_are_the_events_ids() -> None:
    """The data-event-id attribute is the event's UUID as text."""
    root = parse(chart.svg(SAMPLE[:1]))
    (mark,) = by_class(root, "event")
    assert SAMPLE[0].id == uuid.UUID(mark.get("data-event-id", ""))


def test_time_bins_kept_compactly_are_those_of_the_whole_events() -> None:
    """Past max_marks the drawing keeps only each lane's moments and types (issue 15: a
    chart of a million events held every event); its lanes, bins, counts, commonest
    types and match marks are those computed from the whole events, in any input order."""
    rnd = random.Random(15)
    base = dt.datetime(2017, 6, 1, tzinfo=UTC)
    kinds = ["patrol", "strike", "talks", "truce", "shootdown"]
    events = [
        stored(
            rnd.choice(kinds),
            rnd.choice(["US", "Russia", "Syria"]),
            base + dt.timedelta(seconds=rnd.randrange(30 * 86400), microseconds=n),
            n + 1,
        )
        for n in range(1500)
    ]
    ordered = sorted(events, key=lambda e: (e.occurred_at, e.position))
    match = Match("US", (ordered[3], ordered[9]), (ordered[3].occurred_at,) * 2, True)
    text = chart.svg(ordered, max_marks=100, matches=[match])
    assert text == chart.svg(rnd.sample(events, len(events)), max_marks=100, matches=[match])
    root = parse(text)
    lanes = list(dict.fromkeys(e.actor for e in ordered))
    assert lanes == [g.get("data-lane") for g in by_class(root, "lane")]
    # the axis: the events' extent padded by a 40th; 1200 px less the margins (170 left,
    # 30 right) is 125 bins of 8 px
    first, last = ordered[0].occurred_at, ordered[-1].occurred_at
    pad = (last - first) / 40
    start, span = first - pad, (last - first + 2 * pad) / 125
    for lane in lanes:
        bins: dict[int, list[RecordedEvent]] = {}
        for event in (e for e in ordered if e.actor == lane):
            bins.setdefault(min(int((event.occurred_at - start) / span), 124), []).append(event)
        expected = [
            (
                str(len(members)),
                ", ".join(f"{n:,} {k}" for k, n in Counter(e.type for e in members).most_common(3))
                + (" …" if len({e.type for e in members}) > 3 else ""),
            )
            for _, members in sorted(bins.items())
        ]
        drawn = [
            (b.get("data-count"), title_of(b).split(" UTC: ")[1])
            for b in by_class(root, "bin")
            if b.get("data-lane") == lane
        ]
        assert expected == drawn
    circles = [c.get("data-event-id") for c in root.iter(f"{SVG}circle")]
    assert [str(ordered[3].id), str(ordered[9].id)] == circles


def test_timeline_chart_streams_the_store(tl: timeline.Timeline) -> None:
    """Timeline.chart reads the store as a stream and draws what chart.svg draws from the
    same events held in a list, as marks and as time bins."""
    base = dt.datetime(2017, 6, 1, tzinfo=UTC)
    tl.append(
        Event("patrol", ["US", "Russia"][n % 2], base + dt.timedelta(hours=5 * n), incident="s")
        for n in range(60)
    )
    events = list(tl.events())
    for most in (20, 400):
        drawn = tl.chart(format="svg", max_marks=most)
        assert chart.svg(events, max_marks=most) == drawn
        assert (most == 20) == ('data-aggregated="true"' in drawn)


def test_a_report_held_compactly_draws_as_one_read_whole(
    tl: timeline.Timeline, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sequence report of more matches than a page (held compactly, issue 15) draws the
    same matches as the same report read whole."""
    base = dt.datetime(2017, 6, 1, tzinfo=UTC)
    tl.append(
        Event(kind, "US", base + dt.timedelta(hours=5 * n + step), incident="s")
        for n in range(5)
        for step, kind in enumerate(["shootdown", "aircraft_repositioned"])
    )
    steps = [Step("shootdown"), Step("aircraft_repositioned")]
    whole = tl.sequence(steps)
    monkeypatch.setattr(timeline.view, "MATCHES_PAGE", 2)
    monkeypatch.setattr(timeline.sequences, "MATCHES_PAGE", 2)
    compact = tl.sequence(steps)
    assert isinstance(compact.matches, timeline.sequences.Matches)
    drawn = tl.chart(format="svg", sequence=compact)
    assert tl.chart(format="svg", sequence=whole) == drawn
    assert 5 == len(by_class(parse(drawn), "match"))


def test_the_legend_fits_with_three_bands(tmp_path: Path) -> None:
    """With three bands (and their values) the state legend wraps inside the picture:
    every legend text ends inside the width, and the picture is tall enough for it."""
    bands = ["deconfliction.US-led coalition", "overflight.Iraq", "diplomatic_relations.US"]
    values = ["active", "suspended", "restored under the 2015 memorandum", "under review"]
    with timeline.open(f"sqlite:///{tmp_path / 'legend.db'}") as tl:
        for day, value in enumerate(values, start=17):
            tl.record("status", "Russia", f"2017-06-{day}", incident="s",
                      effects={"Russia": dict.fromkeys(bands, value)})  # fmt: skip
        picture = tl.chart(actors=["Russia"], bands=bands, format="svg")
    root = parse(picture)
    width, height = float(root.get("width") or 0), float(root.get("height") or 0)
    [legend] = by_class(root, "legend")
    top = float(re.findall(r"translate\(16,([\d.]+)\)", legend.get("transform") or "")[0])
    texts = legend.iter("{http://www.w3.org/2000/svg}text")
    placed = []
    for text in texts:
        x, y = float(text.get("x") or 0), float(text.get("y") or 0)
        for group in legend.findall("{http://www.w3.org/2000/svg}g"):
            if text in list(group):  # a symbol's text sits in a translated group
                gx, gy = re.findall(
                    r"translate\(([\d.]+),([\d.]+)\)", group.get("transform") or ""
                )[0]
                x, y = x + float(gx), y + float(gy)
        placed.append((16 + x + len(text.text or "") * 6.2, top + y, text.text))
    assert any("diplomatic_relations.US" in (t or "") for _, _, t in placed)
    assert [] == [t for right, _, t in placed if right > width]
    assert [] == [t for _, bottom, t in placed if bottom > height - 8]
