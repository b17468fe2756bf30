"""Renderers for sequence reports: plain text, Markdown, JSON and CSV, and the rule for
text meant for a terminal.

Thin functions of a :class:`~timeline.sequences.SequenceReport`; nothing here that the
report itself does not hold. Text for people (the plain text and Markdown reports, every
table and message of the ``timeline`` command) goes through
:func:`timeline.text.printable`, so that a value holding a terminal's control sequence
(``ESC[2J`` clears the screen) or a bidirectional override is shown, not obeyed; JSON and
CSV are for programs and keep every character (JSON escapes the control characters, CSV
quotes the cells; see :func:`timeline.io.spreadsheet_cell` for the cells a spreadsheet
would run). Durations, times, values and tables are written by :mod:`timeline.text`.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import json
from collections.abc import Callable, Hashable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final

from timeline.events import JSONKey
from timeline.io import spreadsheet_cell
from timeline.text import (
    duration,
    key_text,
    printable,
    table,
    table_time,
    value_text,
)
from timeline.times import bound_text, interval_end, isoformat, resolve_zone, zone_name

if TYPE_CHECKING:
    from timeline.fold import State
    from timeline.sequences import GapStats, Match, Partial, SequenceReport
    from timeline.view import Summary


def _where_text(where: Any) -> str:
    """A step's ``where`` in words: its field values, or that a predicate decides."""
    if callable(where):
        return "where a predicate holds"
    wanted = ", ".join(
        f"{path}={json.dumps(value, ensure_ascii=False)}" for path, value in where.items()
    )
    return f"where {wanted}"


def _step_text(step: Any, *, keyed: bool) -> str:
    """A step as the query line says it: its type(s), key, gap limit and conditions."""
    notes = [f"key {'+'.join(step.key)}"] if keyed else []
    if step.max_gap is not None:
        notes.append(f"at most {duration(step.max_gap)} after the step before")
    if step.where is not None:
        notes.append(_where_text(step.where))
    return step.describe() + (f" ({'; '.join(notes)})" if notes else "")


def _where_json(where: Any) -> Any:
    return "a predicate" if callable(where) else where


def _query(report: SequenceReport) -> str:
    arrows = " -> ".join(_step_text(step, keyed=True) for step in report.steps)
    limits = []
    if report.within is not None:
        limits.append(f"within {duration(report.within)}")
    if report.until is not None:
        limits.append(f"until {_step_text(report.until, keyed=True)}")
    if report.certain_only:
        limits.append("certain order only")
    if report.known_at is not None:
        limits.append(f"as known {bound_text(report.known_at, report.day_zone)}")
    reported = _reported_bound(report)
    if reported is not None:
        limits.append(f"reported {bound_text(reported, report.day_zone)}")
    return arrows + (f"  [{', '.join(limits)}]" if limits else "")


def _reported_bound(report: SequenceReport) -> tuple[dt.datetime, bool] | None:
    """The bound on reported time the report rests on, if its basis has one."""
    basis = report.basis
    return None if basis is None else basis.reported_by


def _match_rows(report: SequenceReport) -> list[list[str]]:
    days = resolve_zone(report.day_zone, field="day_zone")
    rows = []
    for number, match in enumerate(report.matches, 1):
        rows.append(
            [
                str(number),
                key_text(match.key),
                " -> ".join(
                    f"{e.type}@{table_time(p, e.precision, days)}"
                    for e, p in zip(match.events, match.placements, strict=True)
                ),
                ", ".join(duration(g) for g in match.gaps),
                duration(match.span),
                "yes" if match.order_certain else _why_uncertain(report, match, days),
            ]
        )
    return rows


def _why_uncertain(report: SequenceReport, match: Match, days: dt.tzinfo | None) -> str:
    """Why a match is not certain: its events' times overlap; else (times apart) some
    placements stand further apart than ``within`` or a step's ``max_gap`` (each
    interval's start to a later one's end); else an absent step's or until's event may
    lie between two of its events, or a claim in it may have been reported just after
    the reported-by bound (the match does not say which: both when both may be)."""
    events = match.events
    ends = [interval_end(e.occurred_at, e.precision, days) for e in events]
    if any(end > b.occurred_at for end, b in zip(ends, events[1:], strict=False)):
        return "no (overlapping times)"
    if (
        report.within is not None
        and len(events) > 1
        and ends[-1] - events[0].occurred_at > report.within
    ):
        return "no (may span more than within)"
    steps = report.present_steps
    if any(
        step.max_gap is not None and end - a.occurred_at > step.max_gap
        for step, a, end in zip(steps[1:], events, ends[1:], strict=False)
    ):
        return "no (a gap may pass its max_gap)"
    reported = report.basis is not None and report.basis.reported_by is not None
    absences = report.until is not None or any(step.absent for step in report.steps)
    if absences and not reported:
        return "no (an absent or until event may lie between)"
    if absences:
        return "no (an absent or until event may lie between, or reported maybe after the bound)"
    return "no (reported maybe after the bound)"


def _match_header(report: SequenceReport) -> tuple[str, ...]:
    zone = zone_name(resolve_zone(report.day_zone, field="day_zone"))
    placed = "events (placed at, UTC" + ("" if zone == "UTC" else f"; days of {zone}") + ")"
    return ("#", "key", placed, "gaps", "span", "order certain")


def _summary(report: SequenceReport) -> list[tuple[str, str]]:
    lines = [
        (f"step {i}: {step.type}", f"reached by {count}")
        for i, (step, count) in enumerate(zip(report.present_steps, report.funnel, strict=True), 1)
    ]
    for stats in report.gap_stats:
        lines.append(
            (
                f"gap into step {stats.step}",
                f"n={stats.count} min={duration(stats.minimum)} "
                f"median={duration(stats.median)} max={duration(stats.maximum)}",
            )
        )
    return lines


def report_text(report: SequenceReport) -> str:
    """Return the report as aligned plain text, safe to print (see
    :func:`~timeline.text.printable`).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="s")
        >>> print(report_text(tl.sequence([timeline.Step("shootdown")])).splitlines()[0])
        sequence: shootdown (key incident)
    """
    lines = [f"sequence: {_query(report)}", f"matches: {len(report.matches)}", ""]
    if report.matches:
        lines += table(_match_header(report), _match_rows(report))
        lines.append("")
    lines += [f"{name}: {value}" for name, value in _summary(report)]
    if report.partial:
        lines.append(f"partial matches still open: {len(report.partial)}")
        for partial in report.partial:
            reached = " -> ".join(e.type for e in partial.events)
            lines.append(f"  {key_text(partial.key)}: {reached}")
    return "\n".join(printable(line, lines=False) for line in lines) + "\n"


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    cells = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>" for row in rows
    )
    return f"<table><thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>"


def report_html(report: SequenceReport) -> str:
    """Return the report as an HTML fragment (a notebook shows it:
    ``SequenceReport._repr_html_``): the query, a table of matches, the summary.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="s")
        >>> page = report_html(tl.sequence([timeline.Step("shootdown", key="actor")]))
        >>> "<td>US</td>" in page, page.count("<tr>")
        (True, 2)
    """
    parts = [
        f"<p><b>sequence:</b> {html.escape(_query(report))}<br>"
        f"<b>matches:</b> {len(report.matches)}</p>"
    ]
    if report.matches:
        parts.append(_html_table(_match_header(report), _match_rows(report)))
    summary = "<br>".join(html.escape(f"{name}: {value}") for name, value in _summary(report))
    parts.append(f"<p>{summary}</p>")
    return '<div class="timeline-report">' + "".join(parts) + "</div>"


def state_html(state: State) -> str:
    """Return a state as an HTML fragment (a notebook shows it: ``State._repr_html_``):
    what was asked, then a table of attribute, value and a ``?`` for each uncertain one.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("suspension", "Russia", "2017-06-19", incident="s",
        ...               effects={"Russia": {"cooperation.US": "<suspended>"}})
        >>> page = state_html(tl.state("Russia", at="2017-06-19 12:00Z"))
        >>> "<td>&lt;suspended&gt;</td><td>?</td>" in page
        True
    """
    zone = None if state.basis is None else state.basis.day_zone
    asked = [f"at {bound_text(state.at, zone)}" if state.at is not None else "after all its events"]
    if state.basis is not None:
        asked.append(f"on {state.basis}")
    rows = [
        (
            path,
            value_text(value),
            "?" if path in state.uncertain else "",
        )
        for path, value in state.items()
    ]
    caption = (
        f"<p><b>{html.escape(state.actor)}</b> {html.escape(', '.join(asked))}: "
        f"{state.events_applied} event{'' if state.events_applied == 1 else 's'} applied</p>"
    )
    table = _html_table(("attribute", "value", ""), rows) if rows else "<p>(no attributes)</p>"
    notes = "".join(f"<p>problem: {html.escape(p)}</p>" for p in state.problems)
    return f'<div class="timeline-state">{caption}{table}{notes}</div>'


def report_markdown(report: SequenceReport) -> str:
    """Return the report as Markdown: the query, a table of matches, the summary; safe
    to print (see :func:`~timeline.text.printable`).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="s")
        >>> print(report_markdown(tl.sequence([timeline.Step("shootdown")])).splitlines()[0])
        **Sequence:** shootdown (key incident)
    """
    lines = [f"**Sequence:** {_query(report)}", "", f"**Matches:** {len(report.matches)}", ""]
    if report.matches:
        header = _match_header(report)
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        for row in _match_rows(report):
            lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
        lines.append("")
    lines.append("| summary | value |")
    lines.append("|---|---|")
    lines += [
        "| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |"
        for row in _summary(report)
    ]
    lines.append(f"| partial matches still open | {len(report.partial)} |")
    return "\n".join(printable(line, lines=False) for line in lines) + "\n"


def _event_json(event: Any, placement: dt.datetime) -> dict[str, Any]:
    return {
        "id": str(event.id),
        "position": event.position,
        "type": event.type,
        "actor": event.actor,
        "targets": list(event.targets),
        "occurred_at": isoformat(event.occurred_at),
        "precision": event.precision,
        "placed_at": isoformat(placement),
        "quote": event.source.get("quote"),
    }


def _key_json(key: Hashable) -> Any:
    if isinstance(key, tuple):
        return [_key_json(part) for part in key]
    return key.value() if isinstance(key, JSONKey) else key


def _match_json(match: Match | Partial) -> dict[str, Any]:
    return {
        "key": _key_json(match.key),
        "events": [_event_json(e, p) for e, p in zip(match.events, match.placements, strict=True)],
        "gaps_seconds": [
            (b - a).total_seconds()
            for a, b in zip(match.placements, match.placements[1:], strict=False)
        ],
        "span_seconds": (match.placements[-1] - match.placements[0]).total_seconds(),
        "order_certain": match.order_certain,
    }


def _stats_json(stats: GapStats) -> dict[str, Any]:
    def seconds(value: dt.timedelta | None) -> float | None:
        return None if value is None else value.total_seconds()

    return {
        "step": stats.step,
        "count": stats.count,
        "min_seconds": seconds(stats.minimum),
        "median_seconds": seconds(stats.median),
        "max_seconds": seconds(stats.maximum),
    }


def bound_json(bound: tuple[dt.datetime, bool] | None) -> dict[str, str] | None:
    """Return an upper bound (``at``, ``known_at``, ``reported_by``) as JSON:
    ``{"by": moment}`` (inclusive) or ``{"before": moment}`` (a date asked about is the
    exclusive end of its day), or ``None`` when there is none.

    Example:
        >>> bound_json((dt.datetime(2017, 6, 20, tzinfo=dt.UTC), False))
        {'before': '2017-06-20T00:00:00.000000Z'}
    """
    if bound is None:
        return None
    moment, inclusive = bound
    return {"by" if inclusive else "before": isoformat(moment)}


def report_json(report: SequenceReport) -> str:
    """Return the report as one JSON document."""
    document = {
        "query": {
            "steps": [
                {
                    "type": s.type,
                    "types": list(s.types),
                    "key": list(s.key),
                    "absent": s.absent,
                    "max_gap_seconds": None if s.max_gap is None else s.max_gap.total_seconds(),
                    "where": _where_json(s.where),
                }
                for s in report.steps
            ],
            "within_seconds": None if report.within is None else report.within.total_seconds(),
            "until": None if report.until is None else report.until.type,
            "until_key": None if report.until is None else list(report.until.key),
            "until_where": None if report.until is None else _where_json(report.until.where),
            "certain_only": report.certain_only,
            "known_at": bound_json(report.known_at),
            "reported_by": bound_json(_reported_bound(report)),
        },
        "matches": [_match_json(m) for m in report.matches],
        "partial": [_match_json(p) for p in report.partial],
        "funnel": list(report.funnel),
        "gaps": [_stats_json(s) for s in report.gap_stats],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def summaries_json(summaries: Iterable[Summary]) -> str:
    """Return actors, incidents or types as one JSON list of ``{"name", "events",
    "first", "last"}`` (what ``timeline actors --json`` prints), with a line break.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s")
        >>> print(summaries_json(tl.types()), end="")
        [{"name": "truce", "events": 1, "first": "2017-06-17T00:00:00.000000Z",
          "last": "2017-06-17T00:00:00.000000Z"}]
    """
    rows = [
        {"name": s.name, "events": s.events, "first": isoformat(s.first), "last": isoformat(s.last)}
        for s in summaries
    ]
    return json.dumps(rows, ensure_ascii=False) + "\n"


def summaries_csv(summaries: Iterable[Summary]) -> str:
    """Return actors, incidents or types as CSV: ``name,events,first,last``, a cell a
    spreadsheet would run with a ``'`` before it (see :func:`timeline.io.spreadsheet_cell`).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("truce", "=Syria", "2017-06-17", incident="s")
        >>> summaries_csv(tl.actors()).splitlines()
        ['name,events,first,last',
         "'=Syria,1,2017-06-17T00:00:00.000000Z,2017-06-17T00:00:00.000000Z"]
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(("name", "events", "first", "last"))
    for s in summaries:
        cells = (s.name, s.events, isoformat(s.first), isoformat(s.last))
        writer.writerow([spreadsheet_cell(str(cell)) for cell in cells])
    return out.getvalue()


MATCH_COLUMNS = (
    "match", "key", "step", "type", "actor", "targets", "occurred_at", "precision",
    "placed_at", "gap_seconds", "span_seconds", "order_certain", "event_id",
)  # fmt: skip
"""The columns of a report's matches as a table (CSV, DataFrame): one row per match and
step."""


def match_rows(report: SequenceReport) -> list[dict[str, Any]]:
    """Return the matches as rows of :data:`MATCH_COLUMNS`, one per match and step, with
    their values as they are (the key, times as ``datetime``, the targets as a tuple),
    for :func:`report_csv` and :meth:`SequenceReport.to_pandas
    <timeline.SequenceReport.to_pandas>`.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="s")
        >>> _ = tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s")
        >>> rows = match_rows(tl.sequence([timeline.Step("shootdown"),
        ...                                timeline.Step("aircraft_repositioned")]))
        >>> [(r["step"], r["type"], r["gap_seconds"]) for r in rows]
        [(1, 'shootdown', None), (2, 'aircraft_repositioned', 86400.0)]
    """
    rows = []
    for number, match in enumerate(report.matches, 1):
        gaps = [None, *match.gaps]
        for step, (event, placement) in enumerate(
            zip(match.events, match.placements, strict=True), 1
        ):
            gap = gaps[step - 1]
            values = (
                number, match.key, step, event.type, event.actor, event.targets,
                event.occurred_at, event.precision, placement,
                None if gap is None else gap.total_seconds(), match.span.total_seconds(),
                match.order_certain, event.id,
            )  # fmt: skip
            rows.append(dict(zip(MATCH_COLUMNS, values, strict=True)))
    return rows


def report_csv(report: SequenceReport) -> str:
    """Return the matches as CSV: one row per match and step, each cell a spreadsheet
    would run as a formula with a ``'`` before it (see
    :func:`timeline.io.spreadsheet_cell`).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("shootdown", "=cmd", "2017-06-18", incident="s")
        >>> report_csv(tl.sequence([timeline.Step("shootdown", key="actor")])).splitlines()[1]
        "1,'=cmd,1,shootdown,'=cmd,,2017-06-18T00:00:00.000000Z,day,..."
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(MATCH_COLUMNS)
    for row in match_rows(report):
        shown = {
            **row,
            "key": key_text(row["key"]),
            "targets": ";".join(row["targets"]),
            "occurred_at": isoformat(row["occurred_at"]),
            "placed_at": isoformat(row["placed_at"]),
            "gap_seconds": "" if row["gap_seconds"] is None else row["gap_seconds"],
        }
        writer.writerow([spreadsheet_cell(str(cell)) for cell in shown.values()])
    return out.getvalue()


REPORT_FORMATS: Final[dict[str, Callable[[SequenceReport], str]]] = {
    "text": report_text,
    "markdown": report_markdown,
    "json": report_json,
    "csv": report_csv,
}
"""The formats a sequence report is written in, by name (what ``timeline report
sequence --format`` offers); a new format is one function and one entry here.

Example:
    >>> import timeline
    >>> tl = timeline.open("sqlite://")
    >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="s")
    >>> REPORT_FORMATS["markdown"](tl.sequence([timeline.Step("shootdown")])).splitlines()[0]
    '**Sequence:** shootdown (key incident)'
"""

SUMMARY_FORMATS: Final[dict[str, Callable[[Iterable[Summary]], str]]] = {
    "json": summaries_json,
    "csv": summaries_csv,
}
"""The formats the actors, incidents or types of a store are written in for programs,
by name (``timeline actors --format``, beside its readable table)."""
