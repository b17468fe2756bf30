"""The picture of a timeline: one self-contained SVG (or HTML page holding it).

Pure drawing, no database: :func:`svg` and :func:`html` take plain data (events, the
``history`` entries of chosen attributes, sequence matches) and return text, so that
:meth:`Timeline.chart <timeline.api.Timeline.chart>` only gathers and the tests can drive
the drawing directly.

What the picture shows:

- a time axis at the top, one lane per actor below it; the axis counts days in the day
  zone (UTC unless ``day_zone`` is given), where the timeline's dates are;
- each event once, in its actor's lane: an ``exact`` event is a diamond at its moment,
  any other precision a bar across ``[occurred_at, occurred_at + one unit)``, so a
  day-precision event spans its day and imprecision is visible at a glance. An event
  whose actor has no lane (it is there because it names a lane's actor as a target or
  in its effects) is drawn hollow in the first lane it names;
- its type as a label, and on hover (an SVG ``<title>``, no script) its type, actor,
  targets, time as written with its precision, the source's quote and title;
- state bands: for each chosen attribute on each lane's actor, a strip coloured by the
  value, from each change to the next; the part of a change's strip that falls inside
  the imprecision of the event that made it is hatched;
- sequence matches: a line through the matched events at their placements, numbered by
  step, solid when the order is certain and dashed when it is not;
- past ``max_marks`` events, each lane becomes a histogram of time bins with counts,
  and a note on the chart says so.

Plain SVG written here, rather than a plotting library: the output must open with no
network and no multi-megabyte script, hover comes free with ``<title>``, and the
drawing is a few hundred lines that the tests can read back with an XML parser.
"""

from __future__ import annotations

import datetime as dt
import html as _html
import re
from array import array
from collections import Counter
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from typing import Any, Final

import attrs

from timeline.events import RecordedEvent
from timeline.fold import HistoryEntry
from timeline.sequences import Match
from timeline.text import duration, key_text, value_text, when_text
from timeline.times import UTC, ZoneInput, interval_end, resolve_zone, unit_start, zone_name

DEFAULT_WIDTH: Final = 1200
DEFAULT_MAX_MARKS: Final = 400
"""Above this many events, lanes are drawn as time bins with counts."""
LABEL_LIMIT: Final = 120
"""Above this many events, marks carry no text label (hover still tells everything)."""

_LEFT: Final = 170
_RIGHT: Final = 30
_ROW: Final = 22
_BAND: Final = 18
_BIN_PX: Final = 8
_CHAR_PX: Final = 6.6
_FONT: Final = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
_LANE_COLOURS: Final = (
    "#1f77b4",
    "#d62728",
    "#2ca02c",
    "#9467bd",
    "#ff7f0e",
    "#8c564b",
    "#e377c2",
    "#17becf",
    "#7f7f7f",
    "#bcbd22",
)
_BAND_COLOURS: Final = (
    "#9ad4a6",
    "#f2a3a3",
    "#a9c6ee",
    "#f3d58f",
    "#cdb6e8",
    "#a8dcd6",
    "#e8c0a0",
    "#d6d6d6",
)
_WEEKDAYS: Final = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS: Final = (
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "May",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Oct",
    "Nov",
    "Dec",
)
# XML 1.0 forbids these characters even escaped; a stored text may hold them.
_NOT_XML: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def escape(text: object) -> str:
    """Return ``text`` safe inside SVG/HTML text and attribute values.

    Example:
        >>> escape('say "no" & <leave>')
        'say &#34;no&#34; &amp; &lt;leave&gt;'
    """
    cleaned = _NOT_XML.sub("\ufffd", str(text))
    return _html.escape(cleaned, quote=False).replace('"', "&#34;").replace("'", "&#39;")


@attrs.frozen
class _Mark:
    event: RecordedEvent
    lane: str
    own: bool  # in its actor's lane (else hollow, in a lane it names)
    x0: float
    x1: float
    label: str
    row: int = 0
    label_left: bool = False  # no room on the right: the label ends where the mark starts


@attrs.define
class _Lane:
    name: str
    colour: str
    top: float = 0.0
    height: float = 0.0
    bands: list[tuple[str, list[HistoryEntry]]] = attrs.field(factory=list)
    marks: list[_Mark] = attrs.field(factory=list)
    events: list[RecordedEvent] = attrs.field(factory=list)  # whole, when drawn as marks
    count: int = 0
    column: _Column | None = None  # compact, when drawn as time bins

    @property
    def rows_top(self) -> float:
        return self.top + 8 + len(self.bands) * _BAND + (4 if self.bands else 0)


@attrs.frozen(slots=True)
class _Named:
    """An event of a drawn match: its id (where its mark is) and its type (the note)."""

    id: Any
    type: str


@attrs.frozen(slots=True)
class _Drawn:
    """A sequence match as the picture draws it."""

    key: Hashable
    events: tuple[_Named, ...]
    placements: tuple[dt.datetime, ...]
    order_certain: bool

    @property
    def span(self) -> dt.timedelta:
        return self.placements[-1] - self.placements[0]


class _Scale:
    def __init__(self, start: dt.datetime, end: dt.datetime, left: float, right: float):
        self.start, self.end, self.left, self.right = start, end, left, right
        self.seconds = max((end - start).total_seconds(), 1e-6)

    def x(self, moment: dt.datetime) -> float:
        offset = (moment - self.start).total_seconds() / self.seconds
        return self.left + offset * (self.right - self.left)

    def clip(self, x: float) -> float:
        return min(max(x, self.left), self.right)


class Chart(str):
    """The text of a chart, an HTML page or an SVG picture, that also shows itself in a
    notebook: ``_repr_html_`` gives the picture inline as SVG (no script, no network).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s")
        >>> page = tl.chart()
        >>> (page.kind, page.startswith("<!DOCTYPE html>"), page._repr_html_()[:4])
        ('html', True, '<svg')
    """

    kind: str
    """``"html"`` or ``"svg"``."""

    def __new__(cls, text: str, kind: str) -> Chart:
        chart = super().__new__(cls, text)
        chart.kind = kind
        return chart

    @property
    def svg(self) -> str:
        """The picture alone, as SVG (an HTML page holds it)."""
        start = self.find("<svg")
        end = self.rfind("</svg>")
        return str(self[start : end + len("</svg>")]) if start != -1 and end != -1 else ""

    def _repr_html_(self) -> str:
        return self.svg


def svg(
    events: Iterable[RecordedEvent],
    *,
    lanes: Sequence[str] | None = None,
    bands: Mapping[tuple[str, str], Sequence[HistoryEntry]] | None = None,
    matches: Sequence[Match] = (),
    start: dt.datetime | None = None,
    end: dt.datetime | None = None,
    title: str | None = None,
    width: int = DEFAULT_WIDTH,
    max_marks: int = DEFAULT_MAX_MARKS,
    day_zone: ZoneInput = None,
) -> str:
    """Return the chart as one self-contained SVG document.

    Args:
        events: the events to draw (as they now stand: corrected, retractions left out).
        lanes: the actors that get a lane, top to bottom; an event goes in its actor's
            lane, else (hollow) in the first lane it names as target or in effects, else
            it is left out. Default: every event's actor, in order of first event.
        bands: ``{(actor, attribute): history entries}``, each drawn as a strip in that
            actor's lane; give the whole history, so the value at the chart's start is
            known.
        matches: sequence matches to draw as connected marks.
        start, end: the time axis (default: the events' extent, a little padded).
        title: a heading (default: "Timeline").
        width: in pixels.
        max_marks: above this many events, lanes become time bins with counts.
        day_zone: the zone whose days the axis counts and whose calendar the events'
            days, months and years are of (default UTC).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("shootdown", "US", "2017-06-18T15:43Z", incident="s")
        >>> picture = svg([e])
        >>> picture.startswith("<svg") and 'data-event-id="' + str(e.id) + '"' in picture
        True
    """
    drawing = Drawing(
        events,
        lanes=lanes,
        matches=matches,
        start=start,
        end=end,
        title=title or "Timeline",
        width=width,
        max_marks=max_marks,
        day_zone=day_zone,
    )
    drawing.add_bands(bands or {})
    return drawing.svg()


def html(events: Iterable[RecordedEvent], *, title: str | None = None, **options: Any) -> str:
    """Return the chart as one HTML page: the SVG inline, no script, no external URL.

    Takes the arguments of :func:`svg`.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("truce", "Syria", "2017-06-17", incident="s")
        >>> page = html([e], title="Daraa")
        >>> page.startswith("<!DOCTYPE html>"), "<script" in page, "<svg" in page
        (True, False, True)
    """
    bands = options.pop("bands", None)
    drawing = Drawing(events, title=title or "Timeline", **options)
    drawing.add_bands(bands or {})
    return drawing.html()


class Drawing:
    """The layout and the SVG text of one chart, made from a stream of events.

    The events are read once, as they come, and only what the picture needs is kept:
    up to ``max_marks`` events whole (drawn as marks); past that, for each lane, the
    moment, position and type of each event in flat arrays (about 20 bytes an event,
    drawn as time bins), so that a chart of a million events holds tens of megabytes,
    not every event. Bands are added once the events are read (:meth:`add_bands`), so
    that a caller can read histories for the lanes the events made.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("truce", "Syria", "2017-06-17", incident="s")
        >>> drawing = Drawing(iter([e]))
        >>> drawing.lane_names, drawing.svg().count('class="event"')
        (['Syria'], 1)
    """

    def __init__(
        self,
        events: Iterable[RecordedEvent],
        *,
        lanes: Sequence[str] | None = None,
        matches: Sequence[Match] = (),
        start: dt.datetime | None = None,
        end: dt.datetime | None = None,
        title: str = "Timeline",
        width: int = DEFAULT_WIDTH,
        max_marks: int = DEFAULT_MAX_MARKS,
        day_zone: ZoneInput = None,
    ) -> None:
        self.zone = resolve_zone(day_zone, field="day_zone")
        self.title = title
        self.width = max(int(width), _LEFT + _RIGHT + 200)
        # what the picture draws of each match, not its events whole: a report's matches
        # may be many, read a page at a time (timeline.sequences.Matches)
        self.matches = [
            _Drawn(
                m.key, tuple(_Named(e.id, e.type) for e in m.events), m.placements, m.order_certain
            )
            for m in matches
        ]
        self.max_marks = max_marks
        given = None if lanes is None else list(lanes)
        tally = _Tally(
            None if given is None else set(given),
            max_marks,
            self.zone,
            {e.id for m in self.matches for e in m.events},
        )
        for event in events:
            tally.add(event)
        self.count = tally.count
        self.aggregated = self.count > max_marks
        self.labelled = self.count <= LABEL_LIMIT
        names = given if given is not None else tally.actors()
        self.lanes = {
            name: _Lane(name, _LANE_COLOURS[i % len(_LANE_COLOURS)]) for i, name in enumerate(names)
        }
        self.placed: list[tuple[RecordedEvent, str, bool]] = []
        self.matched = tally.matched
        if self.aggregated:
            for name, column in tally.columns.items():
                self.lanes[name].column = column
                self.lanes[name].count = len(column.moments)
        else:
            for event in sorted(tally.whole, key=lambda e: (e.occurred_at, e.position)):
                lane = _lane_of(event, self.lanes)
                if lane is not None:
                    self.placed.append((event, lane, lane == event.actor))
                    self.lanes[lane].events.append(event)
                    self.lanes[lane].count += 1
        self.start, self.end = _extent(tally.first, tally.last, start, end)
        self.scale = _Scale(self.start, self.end, _LEFT, self.width - _RIGHT)
        self.band_attributes: list[str] = []
        self.values: dict[str, str] = {}
        self.notes: list[str] = []
        self.centres: dict[Any, tuple[float, float]] = {}

    @property
    def lane_names(self) -> list[str]:
        """The lanes, top to bottom."""
        return list(self.lanes)

    def add_bands(self, bands: Mapping[tuple[str, str], Sequence[HistoryEntry]]) -> None:
        """Draw ``{(actor, attribute): history entries}`` as strips in the actors' lanes
        (see :func:`svg`)."""
        for (actor, attribute), entries in bands.items():
            if actor in self.lanes and entries:
                self.lanes[actor].bands.append((attribute, list(entries)))
        self.band_attributes += [
            a
            for a in dict.fromkeys(attribute for _, attribute in bands)
            if a not in self.band_attributes
        ]
        self.values = _band_values(self.lanes.values())

    def svg(self) -> str:
        """Return the chart as one SVG document."""
        return "\n".join([*self._lines(), ""])

    def html(self) -> str:
        """Return the chart as one HTML page (see :func:`html`)."""
        page = (
            "<!DOCTYPE html>\n"
            '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{escape(self.title)}</title>\n"
            # an empty icon, so that the browser asks for no favicon.ico beside the file
            '<link rel="icon" href="data:,">\n'
            "<style>body{margin:16px;background:#fff;color:#222;"
            f"font-family:{_FONT}}}svg{{max-width:100%;height:auto}}</style>\n"
            "</head>\n<body>"
        )
        return "\n".join([page, *self._lines(), "", "</body>", "</html>", ""])

    # -- layout --------------------------------------------------------------------

    def _layout(self, top: float) -> float:
        bins = max(int((self.scale.right - self.scale.left) // _BIN_PX), 1)
        for lane in self.lanes.values():
            lane.top = top
            if self.aggregated:
                lane.height = lane.rows_top - lane.top + 44
            else:
                rows = self._pack(lane)
                lane.height = max(lane.rows_top - lane.top + rows * _ROW + 8, 44)
            top += lane.height
        if self.aggregated:
            span = (self.end - self.start) / bins
            self.notes.append(
                f"{self.count:,} events shown as counts in {bins} time bins per lane "
                f"(each bin {duration(span, parts=2)}); give a shorter time range or fewer actors "
                f"to see each event (marks are drawn up to {self.max_marks:,} events)."
            )
        elif not self.labelled:
            self.notes.append(
                f"{self.count:,} events: labels are left out above {LABEL_LIMIT}; "
                "hover over a mark for its type, actor, targets, time and source."
            )
        return top

    def _pack(self, lane: _Lane) -> int:
        """Place the lane's marks in rows so that no two marks or labels overlap."""
        ends: list[float] = []
        for event, name, own in self.placed:
            if name != lane.name:
                continue
            x0 = self.scale.x(event.occurred_at)
            x1 = self.scale.x(interval_end(event.occurred_at, event.precision, self.zone))
            label = _label(event, own) if self.labelled else ""
            left = self.scale.clip(x0) - (5 if event.precision == "exact" else 0)
            right = max(self.scale.clip(x1), self.scale.clip(x0) + 5)
            text_px = len(label) * _CHAR_PX + 12 if label else 0
            label_left = False
            if text_px and right - left < text_px:
                if right + text_px <= self.width - 4:
                    right += text_px  # the label goes after the mark
                else:
                    left -= text_px
                    label_left = True
            row = next((i for i, e in enumerate(ends) if e <= left), len(ends))
            if row == len(ends):
                ends.append(right + 4)
            else:
                ends[row] = right + 4
            lane.marks.append(_Mark(event, name, own, x0, x1, label, row, label_left))
        return max(len(ends), 1)

    # -- drawing -------------------------------------------------------------------

    def _lines(self) -> list[str]:
        """The SVG document's lines (joined once by :meth:`svg` or :meth:`html`: a large
        chart's text is tens of megabytes, and each copy of it counts)."""
        head: list[str] = []
        notes_top = 52
        match_notes = [self._match_note(i, m) for i, m in enumerate(self.matches, 1)]
        # the notes are known before the layout only in part; lay out once to learn them
        self._layout(0)
        wanted = self.notes + match_notes[:6]
        if len(match_notes) > 6:
            wanted.append(f"… and {len(match_notes) - 6} more sequence matches.")
        notes = [line for note in wanted for line in _wrap(note, (self.width - 32) / 6.4)]
        axis_top = notes_top + 18 * len(notes) + 14
        plot_top = axis_top + 34
        for lane in self.lanes.values():
            lane.marks.clear()
        self.notes.clear()
        plot_bottom = self._layout(plot_top)
        legend_top = plot_bottom + 24
        legend, legend_bottom = self._legend(legend_top)
        height = legend_top + max(90, legend_bottom + 26)
        head.append(
            f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" '
            f'height="{height:.0f}" viewBox="0 0 {self.width} {height:.0f}" '
            f'font-family="{_FONT}" font-size="12" class="timeline-chart" '
            f'data-events="{self.count}" data-lanes="{len(self.lanes)}" '
            f'data-aggregated="{str(self.aggregated).lower()}">'
        )
        head.append(f"<title>{escape(self.title)}</title>")
        head.append(_STYLE)
        head.append(
            '<defs><pattern id="hatch" width="6" height="6" patternUnits="userSpaceOnUse" '
            'patternTransform="rotate(45)"><rect width="6" height="6" fill="#fff" '
            'fill-opacity="0.35"/><line x1="0" y1="0" x2="0" y2="6" stroke="#555" '
            'stroke-width="1.6"/></pattern>'
            f'<clipPath id="plot"><rect x="{self.scale.left:.1f}" y="0" '
            f'width="{self.scale.right - self.scale.left:.1f}" height="{height:.0f}"/>'
            "</clipPath></defs>"
        )
        head.append(f'<rect width="{self.width}" height="{height:.0f}" fill="#fff"/>')
        head.append(f'<text x="16" y="28" class="heading">{escape(self.title)}</text>')
        first_text = _day(self.start, zone=self.zone)
        if _day_start(self.start, self.zone) == self.start:  # a day's start, 01:00 or not
            first_text = first_text[:10]
        through, last_text = "to", _day(self.end, zone=self.zone)
        if _day_start(self.end, self.zone) == self.end:
            # the axis ends where a day begins (at midnight, or where the clocks jumped
            # over it): it runs through the day before
            last = (self.end - _MICROSECOND).astimezone(self.zone or UTC)
            through, last_text = "through", f"{last.year:04d}-{last.month:02d}-{last.day:02d}"
        subtitle = (
            f"{self.count:,} events, {len(self.lanes)} lanes, "
            f"{first_text} {through} {last_text} "
            f"({zone_name(self.zone)})"
        )
        head.append(f'<text x="16" y="44" class="subtitle">{escape(subtitle)}</text>')
        for number, note in enumerate(notes):
            head.append(
                f'<text x="16" y="{notes_top + 18 * number + 8}" class="note">{escape(note)}</text>'
            )
        head += self._axis(axis_top, plot_top, plot_bottom)
        head += self._lanes()
        head += self._matches()
        head += legend
        head.append("</svg>")
        return head

    def _axis(self, axis_top: float, plot_top: float, plot_bottom: float) -> list[str]:
        out = ['<g class="axis">']
        out.append(
            f'<text x="{_LEFT - 12}" y="{axis_top + 14}" text-anchor="end" '
            f'class="axis-title">time ({escape(zone_name(self.zone))})</text>'
        )
        ticks = _ticks(
            self.start, self.end, (self.scale.right - self.scale.left) / 120, zone=self.zone
        )
        for moment, text in ticks:
            x = self.scale.x(moment)
            if x + len(text) * _CHAR_PX > self.width:
                text = ""  # no room for it at the right edge
            out.append(
                f'<line x1="{x:.1f}" y1="{axis_top + 20}" x2="{x:.1f}" y2="{plot_bottom:.1f}" '
                'class="grid"/>'
            )
            out.append(
                f'<text x="{x + 3:.1f}" y="{axis_top + 14}" class="tick" '
                f'data-tick="{moment.isoformat()}">{escape(text)}</text>'
            )
        out.append(
            f'<line x1="{self.scale.left:.1f}" y1="{plot_top - 6}" x2="{self.scale.right:.1f}" '
            f'y2="{plot_top - 6}" stroke="#888"/>'
        )
        out.append("</g>")
        return out

    def _lanes(self) -> list[str]:
        out: list[str] = []
        for index, lane in enumerate(self.lanes.values()):
            out.append(
                f'<g class="lane" data-lane="{escape(lane.name)}" data-events="{lane.count}">'
            )
            fill = "#f6f7f9" if index % 2 == 0 else "#fff"
            out.append(
                f'<rect x="0" y="{lane.top:.1f}" width="{self.width}" '
                f'height="{lane.height:.1f}" fill="{fill}"/>'
            )
            # beside the first row of marks, below the band names (right-aligned above it)
            out.append(
                f'<text x="16" y="{lane.rows_top + 16:.1f}" class="lane-name" '
                f'fill="{lane.colour}">'
                f"{escape(_cut(lane.name, 17))}<title>{escape(lane.name)}</title></text>"
            )
            for number, (attribute, entries) in enumerate(lane.bands):
                out.extend(self._band(lane, number, attribute, entries))
            if self.aggregated:
                out.extend(self._bins(lane))
            else:
                out.extend(self._mark(mark, lane) for mark in lane.marks)
            out.append("</g>")
        return out

    def _band(
        self, lane: _Lane, number: int, attribute: str, entries: list[HistoryEntry]
    ) -> list[str]:
        y = lane.top + 8 + number * _BAND
        h = _BAND - 3
        out = [
            f'<g class="band" data-actor="{escape(lane.name)}" '
            f'data-attribute="{escape(attribute)}">',
            f'<text x="{_LEFT - 8}" y="{y + h - 3:.1f}" text-anchor="end" class="band-name">'
            f"{escape(_cut(attribute, 28))}<title>{escape(attribute)}</title></text>",
        ]
        changes = sorted(entries, key=lambda h: h.when)
        for i, entry in enumerate(changes):
            until = changes[i + 1].when if i + 1 < len(changes) else self.end
            if entry.new is None or until <= self.start or entry.when >= self.end:
                continue
            x0 = self.scale.clip(self.scale.x(entry.when))
            x1 = self.scale.clip(self.scale.x(until))
            value = value_text(entry.new)
            colour = self.values.get(value, "#ddd")
            tip = (
                f"{lane.name} {attribute} = {value}\n"
                f"from {when_text(entry.when, entry.precision, self.zone)}"
                f" ({entry.event.type} by {entry.event.actor})"
            )
            if i + 1 < len(changes):
                following = changes[i + 1]
                tip += f"\nuntil {when_text(following.when, following.precision, self.zone)}"
            out.append(
                f'<g class="segment" data-value="{escape(value)}">'
                f"<title>{escape(tip)}</title>"
                f'<rect x="{x0:.1f}" y="{y:.1f}" width="{max(x1 - x0, 1):.1f}" height="{h}" '
                f'fill="{colour}"/>'
            )
            fuzzy_end = interval_end(entry.when, entry.precision, self.zone)
            if fuzzy_end > entry.when:
                f0, f1 = x0, self.scale.clip(self.scale.x(min(fuzzy_end, until)))
                if f1 - f0 >= 1:
                    out.append(
                        f'<rect x="{f0:.1f}" y="{y:.1f}" width="{f1 - f0:.1f}" height="{h}" '
                        'fill="url(#hatch)" class="changing"/>'
                    )
            if x1 - x0 > len(value) * _CHAR_PX + 10:
                fuzzy_px = self.scale.clip(self.scale.x(min(fuzzy_end, until))) - x0
                tx = x0 + (fuzzy_px + 4 if x1 - x0 - fuzzy_px > len(value) * _CHAR_PX + 10 else 4)
                out.append(
                    f'<text x="{tx:.1f}" y="{y + h - 4:.1f}" class="value">{escape(value)}</text>'
                )
            out.append("</g>")
        out.append("</g>")
        return out

    def _mark(self, mark: _Mark, lane: _Lane) -> str:
        event = mark.event
        y = lane.rows_top + mark.row * _ROW + _ROW / 2
        x0, x1 = self.scale.clip(mark.x0), self.scale.clip(mark.x1)
        colour = lane.colour
        fill = colour if mark.own else "#fff"
        dash = "" if mark.own else ' stroke-dasharray="3 2"'
        parts = [
            f'<g class="event" data-event-id="{event.id}" data-actor="{escape(event.actor)}" '
            f'data-lane="{escape(lane.name)}" data-type="{escape(event.type)}" '
            f'data-precision="{event.precision}" data-role="{"actor" if mark.own else "named"}">',
            f"<title>{escape(_tooltip(event, mark.own, lane.name, self.zone))}</title>",
        ]
        if event.precision == "exact":
            parts.append(
                f'<path d="M{x0:.1f},{y - 6:.1f} l6,6 l-6,6 l-6,-6 z" fill="{fill}" '
                f'stroke="{colour}" stroke-width="1.5"{dash}/>'
            )
            text_x = x0 + 9
            self.centres[event.id] = (x0, y)
        else:
            w = max(x1 - x0, 4)
            opacity = "0.28" if mark.own else "1"
            parts.append(
                f'<rect x="{x0:.1f}" y="{y - 7:.1f}" width="{w:.1f}" height="14" rx="2" '
                f'fill="{fill}" fill-opacity="{opacity}" stroke="{colour}" '
                f'stroke-width="1.2"{dash}/>'
            )
            if w < 6:  # too thin to see as a bar: a tick across it
                parts.append(
                    f'<rect x="{x0 + w / 2 - 1.5:.1f}" y="{y - 8:.1f}" width="3" height="16" '
                    f'fill="{colour}"/>'
                )
            inside = mark.label and w >= len(mark.label) * _CHAR_PX + 12
            text_x = x0 + 8 if inside else x0 + w + 4
            self.centres[event.id] = (x0, y)
        if mark.label and mark.label_left:
            parts.append(
                f'<text x="{x0 - 4 - (6 if event.precision == "exact" else 0):.1f}" '
                f'y="{y + 4:.1f}" text-anchor="end" class="label">{escape(mark.label)}</text>'
            )
        elif mark.label:
            parts.append(
                f'<text x="{text_x:.1f}" y="{y + 4:.1f}" class="label">{escape(mark.label)}</text>'
            )
        parts.append("</g>")
        return "".join(parts)

    def _bins(self, lane: _Lane) -> list[str]:
        count = max(int((self.scale.right - self.scale.left) // _BIN_PX), 1)
        span = (self.end - self.start) / count
        origin, width = _micros(self.start), span // _MICROSECOND
        # each bin's types counted in the lane's (occurred_at, position) order, so that
        # the commonest types are named in the same order as from whole events
        kinds: list[Counter[int] | None] = [None] * count
        sizes = [0] * count
        column = lane.column or _Column()
        for moment, kind in column.in_order():
            index = int((moment - origin) / width) if width else 0
            index = min(max(index, 0), count - 1)
            sizes[index] += 1
            found = kinds[index]
            if found is None:
                found = kinds[index] = Counter()
            found[kind] += 1
        top = lane.rows_top
        biggest = max(sizes, default=0) or 1
        out = []
        for index, members in enumerate(sizes):
            if not members:
                continue
            counted = kinds[index]
            assert counted is not None
            begin = self.start + span * index
            x = self.scale.x(begin)
            h = 4 + 32 * members / biggest
            tip = (
                f"{members:,} events of {lane.name}, {_day(begin, clock=True)} to "
                f"{_day(begin + span, clock=True)} UTC: "
                + ", ".join(f"{n:,} {column.names[kind]}" for kind, n in counted.most_common(3))
            )
            # "…" as a character reference: one character past ASCII in a line makes
            # Python hold the whole text at two bytes a character (a million-event
            # chart's bins have it nearly all)
            more = " &#8230;" if len(counted) > 3 else ""
            out.append(
                f'<g class="bin" data-lane="{escape(lane.name)}" data-count="{members}">'
                f"<title>{escape(tip)}{more}</title>"
                f'<rect x="{x:.1f}" y="{top + 36 - h:.1f}" width="{_BIN_PX - 1}" '
                f'height="{h:.1f}" fill="{lane.colour}" fill-opacity="0.75"/></g>'
            )
        for event_id, (name, occurred_at) in self.matched.items():
            if name == lane.name:
                self.centres[event_id] = (self.scale.x(occurred_at), top + 18)
        return out

    def _match_note(self, number: int, match: _Drawn) -> str:
        steps = " → ".join(e.type for e in match.events)
        order = (
            "order certain (solid line)"
            if match.order_certain
            else "order uncertain (dashed line): imprecise times let some events stand "
            "in either order"
        )
        return (
            f"Sequence match {number}, key {key_text(match.key)}: {steps}; "
            f"span {duration(match.span, parts=2)} between earliest placements; {order}."
        )

    def _matches(self) -> list[str]:
        out: list[str] = []
        for number, match in enumerate(self.matches, 1):
            points = []
            for step, (event, placement) in enumerate(
                zip(match.events, match.placements, strict=True), 1
            ):
                centre = self.centres.get(event.id)
                if centre is None:
                    continue
                x = self.scale.clip(self.scale.x(placement))
                points.append((step, event, x, centre[1]))
            if not points:
                continue
            certain = "true" if match.order_certain else "false"
            out.append(
                f'<g class="match" data-match="{number}" data-order-certain="{certain}" '
                f'data-events="{" ".join(str(e.id) for e in match.events)}">'
            )
            out.append(f"<title>{escape(self._match_note(number, match))}</title>")
            path = " ".join(f"{x:.1f},{y:.1f}" for _, _, x, y in points)
            dash = "" if match.order_certain else ' stroke-dasharray="7 4"'
            out.append(
                f'<polyline points="{path}" fill="none" stroke="#fff" stroke-width="5" '
                'stroke-opacity="0.8"/>'
            )
            out.append(
                f'<polyline points="{path}" fill="none" stroke="#222" stroke-width="2.2"{dash}/>'
            )
            for step, event, x, y in points:
                out.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="#222" stroke="#fff" '
                    f'stroke-width="1.5" data-step="{step}" data-event-id="{event.id}"/>'
                )
                out.append(
                    f'<text x="{x - 8:.1f}" y="{y - 6:.1f}" text-anchor="end" class="step">'
                    f"{step}</text>"
                )
            out.append("</g>")
        return out

    def _legend(self, top: float) -> tuple[list[str], float]:
        """The legend's SVG, wrapped to the width, and how far down it reaches."""
        out = [f'<g class="legend" transform="translate(16,{top:.0f})">']
        x = 0.0
        items: list[tuple[str, str]] = [
            (
                '<path d="M6,2 l6,6 l-6,6 l-6,-6 z" fill="#555"/>',
                "exact moment",
            ),
            (
                '<rect x="0" y="3" width="34" height="10" rx="2" fill="#555" fill-opacity="0.28" '
                'stroke="#555"/>',
                "imprecise: a bar across its hour, day, month…",
            ),
            (
                '<rect x="0" y="3" width="34" height="10" rx="2" fill="#fff" stroke="#555" '
                'stroke-dasharray="3 2"/>',
                "actor has no lane; drawn in a lane it names",
            ),
        ]
        if self.aggregated:
            items = [
                (
                    '<rect x="4" y="2" width="7" height="14" fill="#555" fill-opacity="0.75"/>'
                    '<rect x="14" y="8" width="7" height="8" fill="#555" fill-opacity="0.75"/>',
                    "a time bin: its height is its count of events, against the lane's "
                    "fullest bin; hover for the count and the commonest types",
                )
            ]
        if self.matches:
            items.append(
                (
                    '<line x1="0" y1="8" x2="34" y2="8" stroke="#222" stroke-width="2.2"/>',
                    "sequence, order certain",
                )
            )
            items.append(
                (
                    '<line x1="0" y1="8" x2="34" y2="8" stroke="#222" stroke-width="2.2" '
                    'stroke-dasharray="7 4"/>',
                    "sequence, order uncertain",
                )
            )
        y = 0.0
        for symbol, text in items:
            if x and x + 42 + len(text) * 6.2 > self.width - 32:
                x, y = 0.0, y + 22
            out.append(f'<g transform="translate({x:.0f},{y:.0f})">{symbol}')
            shown = escape(text).replace("…", "&#8230;")  # ASCII, as the bins' (above)
            out.append(f'<text x="42" y="12" class="legend-text">{shown}</text></g>')
            x += 42 + len(text) * 6.2 + 24
        bottom = y + 16
        if self.values:
            # Wrapped to the width like the row above: several bands' names and values
            # ran past the right edge on one line.
            room = self.width - 32
            y += 30
            *heads, states = _wrap("state: " + ", ".join(self.band_attributes), room / 6.2)
            for line in heads:
                out.append(
                    f'<text x="0" y="{y + 10:.0f}" class="legend-text">{escape(line)}</text>'
                )
                y += 20
            out.append(f'<text x="0" y="{y + 10:.0f}" class="legend-text">{escape(states)}</text>')
            x = len(states) * 6.2 + 24
            swatches = [
                (f'fill="{colour}"', value) for value, colour in self.values.items()
            ] + [
                ('fill="url(#hatch)" stroke="#999" stroke-width="0.5"',
                 "changing: inside the imprecision of the event that changed it"),
            ]  # fmt: skip
            for paint, value in swatches:
                if x and x + 24 + len(value) * 6.2 > room:
                    x, y = 0.0, y + 20
                out.append(
                    f'<rect x="{x:.0f}" y="{y:.0f}" width="18" height="12" {paint}/>'
                    f'<text x="{x + 24:.0f}" y="{y + 10:.0f}" class="legend-text">'
                    f"{escape(value)}</text>"
                )
                x += 24 + len(value) * 6.2 + 18
            bottom = y + 12
        out.append("</g>")
        return out, bottom


_STYLE: Final = (
    "<style>"
    ".heading{font-size:18px;font-weight:bold;fill:#222}"
    ".subtitle{font-size:12px;fill:#555}"
    ".note{font-size:12px;fill:#8a4b00}"
    ".axis-title{font-size:11px;fill:#666}"
    ".tick{font-size:11px;fill:#444}"
    ".grid{stroke:#d0d4da;stroke-width:1}"
    ".lane-name{font-size:14px;font-weight:bold}"
    ".band-name{font-size:10px;fill:#555}"
    ".value{font-size:10px;fill:#222}"
    ".label{font-size:11px;fill:#222}"
    ".step{font-size:10px;font-weight:bold;fill:#222}"
    ".legend-text{font-size:11px;fill:#444}"
    ".event:hover rect,.event:hover path{stroke-width:2.5}"
    ".event:hover .label{font-weight:bold}"
    "</style>"
)


def _lane_of(event: RecordedEvent, lanes: Mapping[str, _Lane] | set[str]) -> str | None:
    if event.actor in lanes:
        return event.actor
    for name in (*event.targets, *event.effects):
        if name in lanes:
            return name
    return None


def _extent(
    first: dt.datetime | None,
    last: dt.datetime | None,
    start: dt.datetime | None,
    end: dt.datetime | None,
) -> tuple[dt.datetime, dt.datetime]:
    """The time axis: ``start`` to ``end``, else the events' extent (their earliest
    start ``first`` to their latest end ``last``) a little padded."""
    if first is None or last is None:
        first = last = start or end or dt.datetime(2000, 1, 1, tzinfo=UTC)
    pad = max((last - first) / 40, dt.timedelta(minutes=30))
    lo = _shifted(start, dt.timedelta(0)) if start is not None else _shifted(first, -pad)
    hi = _shifted(end, dt.timedelta(0)) if end is not None else _shifted(last, pad)
    if hi <= lo:
        hi = _shifted(lo, dt.timedelta(hours=1))
        lo = min(lo, _shifted(hi, -dt.timedelta(hours=1)))  # at the calendar's end
    return lo, hi


# The axis stays a day inside the calendar's ends (the years 1 and 9999), so that its
# ends have a wall time in every zone (offsets are under a day)
_AXIS_FIRST: Final = dt.datetime.min.replace(tzinfo=UTC) + dt.timedelta(days=1)
_AXIS_LAST: Final = dt.datetime.max.replace(tzinfo=UTC) - dt.timedelta(days=1)


def _shifted(moment: dt.datetime, delta: dt.timedelta) -> dt.datetime:
    """``moment + delta``, held a day inside the calendar's ends."""
    if delta >= dt.timedelta(0):
        return _AXIS_LAST if moment > _AXIS_LAST - delta else max(moment + delta, _AXIS_FIRST)
    return _AXIS_FIRST if moment < _AXIS_FIRST - delta else min(moment + delta, _AXIS_LAST)


_EPOCH: Final = dt.datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = dt.timedelta(microseconds=1)


def _micros(moment: dt.datetime) -> int:
    """Microseconds since 1970 (exact: the time bins divide these as ``timedelta`` does)."""
    return (moment - _EPOCH) // _MICROSECOND


class _Column:
    """One lane's events in flat arrays: moment (µs), position and type number of each."""

    def __init__(self, names: list[str] | None = None) -> None:
        self.moments = array("q")
        self.positions = array("q")
        self.kinds = array("I")
        self.names = names if names is not None else []  # type numbers' names (shared)
        self.ordered = True  # appended in (moment, position) order

    def append(self, moment: int, position: int, kind: int) -> None:
        if (
            self.ordered
            and self.moments
            and (moment, position)
            < (
                self.moments[-1],
                self.positions[-1],
            )
        ):
            self.ordered = False
        self.moments.append(moment)
        self.positions.append(position)
        self.kinds.append(kind)

    def in_order(self) -> Iterator[tuple[int, int]]:
        """``(moment, type number)`` of each event, in ``(occurred_at, position)`` order
        (ties in the order given, as a stable sort leaves them)."""
        if self.ordered:
            return zip(self.moments, self.kinds, strict=True)
        moments, positions = self.moments, self.positions
        order = sorted(range(len(moments)), key=lambda i: (moments[i], positions[i]))
        return ((moments[i], self.kinds[i]) for i in order)


class _Tally:
    """What a chart keeps of a stream of events: every event whole up to ``max_marks``,
    the lanes' columns, the extent, the order of the actors' first events, and the lane
    of each event that a drawn sequence match names."""

    def __init__(
        self, lanes: set[str] | None, max_marks: int, zone: dt.tzinfo | None, wanted: set[Any]
    ) -> None:
        self.lanes, self.max_marks, self.zone, self.wanted = lanes, max_marks, zone, wanted
        self.count = 0
        self.whole: list[RecordedEvent] = []
        self.columns: dict[str, _Column] = {}
        self.kinds: dict[str, int] = {}
        self.names: list[str] = []
        self.first: dt.datetime | None = None
        self.last: dt.datetime | None = None
        self.firsts: dict[str, tuple[dt.datetime, int, int]] = {}
        self.matched: dict[Any, tuple[str, dt.datetime]] = {}

    def add(self, event: RecordedEvent) -> None:
        lane = event.actor if self.lanes is None else _lane_of(event, self.lanes)
        if lane is None:
            return
        self.count += 1
        if self.count <= self.max_marks:
            self.whole.append(event)
        elif self.whole:
            self.whole = []  # drawn as time bins: the columns hold what they need
        moment = event.occurred_at
        if self.first is None or moment < self.first:
            self.first = moment
        ends = interval_end(moment, event.precision, self.zone)
        if self.last is None or ends > self.last:
            self.last = ends
        if self.lanes is None:
            seen = self.firsts.get(lane)
            if seen is None or (moment, event.position) < seen[:2]:
                self.firsts[lane] = (moment, event.position, self.count)
        kind = self.kinds.get(event.type)
        if kind is None:
            kind = self.kinds[event.type] = len(self.names)
            self.names.append(event.type)
        column = self.columns.get(lane)
        if column is None:
            column = self.columns[lane] = _Column(self.names)
        column.append(_micros(moment), event.position, kind)
        if event.id in self.wanted:
            self.matched[event.id] = (lane, moment)

    def actors(self) -> list[str]:
        """Every actor with a lane, in the order of their first events."""
        return sorted(self.firsts, key=lambda actor: self.firsts[actor])


def _band_values(lanes: Iterable[_Lane]) -> dict[str, str]:
    values: dict[str, str] = {}
    for lane in lanes:
        for _, entries in lane.bands:
            for entry in sorted(entries, key=lambda h: h.when):
                if entry.new is not None:
                    text = value_text(entry.new)
                    if text not in values:
                        values[text] = _BAND_COLOURS[len(values) % len(_BAND_COLOURS)]
    return values


def _cut(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1] + "…"


def _label(event: RecordedEvent, own: bool) -> str:
    """Who did what to whom, short: the type, its targets, and the actor when it has no
    lane of its own."""
    text = event.type if own else f"{event.actor}: {event.type}"
    if event.targets:
        text += " → " + ", ".join(event.targets)
    return _cut(text, 48)


def _tooltip(event: RecordedEvent, own: bool, lane: str, zone: dt.tzinfo | None = None) -> str:
    lines = [f"{event.type} by {event.actor}"]
    if event.targets:
        lines[0] += " → " + ", ".join(event.targets)
    lines.append(when_text(event.occurred_at, event.precision, zone))
    if not own:
        lines.append(f"(drawn in {lane}'s lane: {event.actor} has no lane)")
    for name, value in event.data.items():
        lines.append(f"{name}: {value_text(value)}")
    if event.source.get("quote"):
        lines.append(f"“{event.source['quote']}”")
    if event.source.get("title"):
        lines.append(f"source: {event.source['title']}")
    if event.source.get("url"):
        lines.append(event.source["url"])
    lines.append(f"incident {event.incident}, position {event.position}, id {event.id}")
    return "\n".join(lines)


def _wrap(text: str, width: float) -> list[str]:
    lines: list[str] = []
    for word in text.split(" "):
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines


def _day_start(moment: dt.datetime, zone: dt.tzinfo | None) -> dt.datetime | None:
    """The first instant of the day of ``zone`` that holds ``moment`` (None past the
    calendar's ends)."""
    try:
        return unit_start(moment, "day", day_zone=zone)
    except (OverflowError, ValueError):
        return None


def _day(moment: dt.datetime, *, clock: bool = False, zone: dt.tzinfo | None = None) -> str:
    m = moment.astimezone(zone or UTC)
    text = f"{m.year:04d}-{m.month:02d}-{m.day:02d}"
    return f"{text} {m.hour:02d}:{m.minute:02d}" if clock or (m.hour or m.minute) else text


_STEPS: Final = (
    (dt.timedelta(minutes=1), "minute"),
    (dt.timedelta(minutes=5), "minute"),
    (dt.timedelta(minutes=15), "minute"),
    (dt.timedelta(minutes=30), "minute"),
    (dt.timedelta(hours=1), "hour"),
    (dt.timedelta(hours=3), "hour"),
    (dt.timedelta(hours=6), "hour"),
    (dt.timedelta(hours=12), "hour"),
    (dt.timedelta(days=1), "day"),
    (dt.timedelta(days=2), "day"),
    (dt.timedelta(days=7), "day"),
)


def _ticks(
    start: dt.datetime, end: dt.datetime, most: float, *, zone: dt.tzinfo | None = None
) -> list[tuple[dt.datetime, str]]:
    """Round moments between ``start`` and ``end``, at most about ``most`` of them, on the
    clock and calendar of ``zone`` (UTC by default): its midnights, hours, months."""
    most = max(most, 2)
    span = end - start
    zone = zone or UTC
    for step, unit in _STEPS:
        if span / step <= most:
            local = start.astimezone(zone).replace(tzinfo=None)
            wall = local.replace(hour=0, minute=0, second=0, microsecond=0)
            if unit == "day" and step == dt.timedelta(days=7):
                wall -= dt.timedelta(days=wall.weekday())  # Mondays
            ticks: list[tuple[dt.datetime, str]] = []
            while True:
                try:
                    moment = _instant(wall, zone)
                except (OverflowError, ValueError):
                    return ticks  # the calendar's end (the year 9999)
                if moment > end:
                    return ticks
                if moment >= start and moment.astimezone(zone).replace(tzinfo=None) == wall:
                    ticks.append((moment, _tick_text(wall, unit)))  # not a skipped wall time
                if wall > dt.datetime.max - step:
                    return ticks
                wall += step
    months = span.days / 30.4
    for every in (1, 3, 6, 12, 24, 60, 120, 240, 600, 1200):
        if months / every <= most:
            break
    ticks = []
    year, month = start.astimezone(zone).year, 1
    while True:
        try:
            moment = _instant(dt.datetime(year, month, 1), zone)
        except (OverflowError, ValueError):
            return ticks  # the calendar's end (the year 9999)
        if moment > end:
            return ticks
        if moment >= start and ((year * 12 + month - 1) % every == 0):
            unit = "month" if every < 12 else "year"
            ticks.append((moment, _tick_text(moment.astimezone(zone), unit)))
        month += 1
        if month > 12:
            year, month = year + 1, 1
        if year > 9999:
            return ticks


def _instant(wall: dt.datetime, zone: dt.tzinfo) -> dt.datetime:
    """The UTC moment of a wall time in ``zone`` (past the ends of the calendar: its end)."""
    try:
        return wall.replace(tzinfo=zone).astimezone(UTC)
    except OverflowError:
        return dt.datetime.max.replace(tzinfo=UTC)


def _tick_text(m: dt.datetime, unit: str) -> str:
    if unit == "year":
        return f"{m.year}"
    if unit == "month":
        return f"{_MONTHS[m.month - 1]} {m.year}"
    day = f"{_WEEKDAYS[m.weekday()]} {m.day} {_MONTHS[m.month - 1]}"
    if unit == "day" or (m.hour == 0 and m.minute == 0):
        return f"{day} {m.year}" if unit == "day" else day
    return f"{m.hour:02d}:{m.minute:02d}"


__all__ = [
    "DEFAULT_MAX_MARKS",
    "DEFAULT_WIDTH",
    "LABEL_LIMIT",
    "Chart",
    "escape",
    "html",
    "svg",
]
