"""Answers as tables: pandas DataFrames of events, states, histories, sequence matches and
the store's names, and the rows Parquet is written from.

pandas is an optional extra (``pip install 'incident-timeline[pandas]'``): this module
imports it only when a frame is asked for, and says which extra to install when it is
missing (:class:`~timeline.errors.MissingExtraError`), so the library imports without it.
The answers' ``to_pandas()`` methods (``tl.events(...).to_pandas()``,
``tl.states().to_pandas()``, ``tl.history(...).to_pandas()``,
``report.to_pandas()``, ``tl.actors().to_pandas()``) call the functions here.

Times are timezone-aware UTC ``datetime`` values (pandas: ``datetime64[..., UTC]``), ids
text; ``targets`` is a list, ``data``, ``effects`` and ``source`` are dicts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import ModuleType
from typing import TYPE_CHECKING, Any, Final

from timeline.errors import MissingExtraError
from timeline.events import EVENT_FIELDS, STORED_FIELDS, RecordedEvent

if TYPE_CHECKING:
    from timeline.fold import HistoryEntry, State
    from timeline.sequences import SequenceReport
    from timeline.view import Summary

EVENT_COLUMNS: Final = (*EVENT_FIELDS, *STORED_FIELDS)
"""The columns of an events table: the event's fields, then those the store assigned."""

HISTORY_COLUMNS: Final = (
    "when", "precision", "attribute", "old", "new",
    "event_id", "event_type", "event_actor", "position",
)  # fmt: skip
"""The columns of a history table, one row per change."""

SUMMARY_COLUMNS: Final = ("name", "events", "first", "last")
"""The columns of a table of actors, incidents or types."""


_TYPES: Final = {
    **dict.fromkeys(
        ("occurred_at", "reported_at", "recorded_at", "when", "placed_at", "first", "last"),
        "datetime64[us, UTC]",
    ),
    **dict.fromkeys(("version", "position", "match", "step", "events"), "int64"),
    **dict.fromkeys(("gap_seconds", "span_seconds"), "float64"),
    "order_certain": "bool",
}
"""The type of each column of a time, a count or a duration, whatever its rows: pandas
infers a type from the values, so a frame of no rows had ``object`` columns (and
``frame["occurred_at"].dt`` raised)."""


def _typed(frame: Any) -> Any:
    """Return ``frame`` with its columns of times, counts and durations of :data:`_TYPES`."""
    return frame.astype({c: t for c, t in _TYPES.items() if c in frame.columns})


def pandas(feature: str = "to_pandas()") -> ModuleType:
    """Return the pandas module, or raise :class:`~timeline.errors.MissingExtraError`
    naming the ``pandas`` extra when it is not installed.

    Example:
        >>> pandas().__name__
        'pandas'
    """
    try:
        import pandas as pd
    except ImportError as e:
        raise MissingExtraError(feature, "pandas", "pandas") from e
    return pd


def event_row(event: RecordedEvent) -> dict[str, Any]:
    """Return a stored event as a row of :data:`EVENT_COLUMNS`, its values as they are
    (times as ``datetime``, ids as text).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("truce", "Syria", "2017-06-17", incident="s", targets=["rebels"])
        >>> row = event_row(e)
        >>> (row["targets"], row["occurred_at"].day, row["position"], row["corrects"])
        (['rebels'], 17, 1, None)
    """
    return {
        "id": str(event.id),
        "incident": event.incident,
        "type": event.type,
        "actor": event.actor,
        "targets": list(event.targets),
        "occurred_at": event.occurred_at,
        "precision": event.precision,
        "data": event.data,
        "effects": event.effects,
        "source": event.source,
        "corrects": None if event.corrects is None else str(event.corrects),
        "retracts": None if event.retracts is None else str(event.retracts),
        "reported_at": event.reported_at,
        "reported_precision": event.reported_precision,
        "version": event.version,
        "position": event.position,
        "recorded_at": event.recorded_at,
        "hash": event.hash,
    }


def events_frame(events: Iterable[RecordedEvent]) -> Any:
    """Return the events as a DataFrame, one row each, columns :data:`EVENT_COLUMNS`.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s")
        >>> events_frame(tl.events())[["type", "actor", "position"]].values.tolist()
        [['truce', 'Syria', 1]]
    """
    pd = pandas()
    return _typed(pd.DataFrame([event_row(e) for e in events], columns=list(EVENT_COLUMNS)))


def states_frame(states: Mapping[str, State]) -> Any:
    """Return the states as a DataFrame: one row per actor (the index), one column per
    attribute path, empty where an actor has no such attribute.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("suspension", "Russia", "2017-06-19", incident="s",
        ...               effects={"Russia": {"cooperation.US": "suspended"},
        ...                        "US": {"aircraft": "repositioned"}})
        >>> frame = states_frame(tl.states())
        >>> (list(frame.index), sorted(frame.columns), frame.loc["US", "aircraft"])
        (['Russia', 'US'], ['aircraft', 'cooperation.US'], 'repositioned')
    """
    pd = pandas()
    rows = {actor: state.to_dict() for actor, state in states.items()}
    columns = sorted({path for values in rows.values() for path in values})
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=columns)
    frame.index.name = "actor"
    return frame


def history_frame(entries: Iterable[HistoryEntry]) -> Any:
    """Return the changes of a history as a DataFrame, one row each, columns
    :data:`HISTORY_COLUMNS`.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("suspension", "Russia", "2017-06-19", incident="s",
        ...               effects={"Russia": {"cooperation.US": "suspended"}})
        >>> history_frame(tl.history("Russia"))[["attribute", "old", "new"]].values.tolist()
        [['cooperation.US', None, 'suspended']]
    """
    pd = pandas()
    rows = [
        (
            h.when,
            h.precision,
            h.attribute,
            h.old,
            h.new,
            str(h.event.id),
            h.event.type,
            h.event.actor,
            h.event.position,
        )
        for h in entries
    ]
    return _typed(pd.DataFrame(rows, columns=list(HISTORY_COLUMNS)))


def matches_frame(report: SequenceReport) -> Any:
    """Return a sequence report's matches as a DataFrame, one row per match and step
    (the columns of :data:`timeline.render.MATCH_COLUMNS`, as its CSV has them).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="s")
        >>> _ = tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s")
        >>> report = tl.sequence([timeline.Step("shootdown"),
        ...                       timeline.Step("aircraft_repositioned")])
        >>> matches_frame(report)[["match", "step", "type"]].values.tolist()
        [[1, 1, 'shootdown'], [1, 2, 'aircraft_repositioned']]
    """
    from timeline.render import MATCH_COLUMNS, match_rows

    pd = pandas()
    rows = [
        {**row, "targets": list(row["targets"]), "event_id": str(row["event_id"])}
        for row in match_rows(report)
    ]
    return _typed(pd.DataFrame(rows, columns=list(MATCH_COLUMNS)))


def summaries_frame(summaries: Iterable[Summary]) -> Any:
    """Return actors, incidents or types as a DataFrame, columns :data:`SUMMARY_COLUMNS`.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s")
        >>> summaries_frame(tl.types())[["name", "events"]].values.tolist()
        [['truce', 1]]
    """
    pd = pandas()
    rows = [(s.name, s.events, s.first, s.last) for s in summaries]
    return _typed(pd.DataFrame(rows, columns=list(SUMMARY_COLUMNS)))


__all__ = [
    "EVENT_COLUMNS",
    "HISTORY_COLUMNS",
    "SUMMARY_COLUMNS",
    "event_row",
    "events_frame",
    "history_frame",
    "matches_frame",
    "pandas",
    "states_frame",
    "summaries_frame",
]
