"""Sequence matching: "A, then B, then C within N days", keyed per step. Pure Python.

The rules, for the caller:

- Events are taken in ``(occurred_at, position)`` order. For each key value there is at
  most one pending partial match per step. An event that fits step 1 starts one
  (replacing the pending one there); an event that fits step i advances the partial
  match pending after step i-1 (replacing one already pending after step i). Steps are
  tried from the last to the first, so one event never fills two consecutive steps of
  one match, but it may complete one match and start the next. ``until`` discards the
  key's pending partial matches (with imprecise times: as an absence between every two
  steps, below); ``within`` drops a partial match whose first event is too old (with
  imprecise times: its latest placement). With exact times everywhere this is Elastic
  EQL's ``sequence``.
- Imprecise times: every event covers the interval of its precision. A chain is possible
  in step order when each event can be placed inside its interval, in order: the first
  at its start, each next at the later of its start and the previous placement; it is
  possible when no placement passes the end of its interval, and certain when every
  interval ends no later than the next one starts (exact events at the same moment count
  in position order, as in EQL). Possible matches are kept with ``order_certain=False``;
  ``certain_only=True`` accepts certain steps only. Gaps and spans are measured between
  those earliest placements.
- ``within`` and ``max_gap`` among imprecise times (:func:`keeps_limits`): a chain is
  possible only when some placement inside the intervals, in step order, keeps the span
  (first to last) at most ``within`` and each gap at most its step's ``max_gap``, though
  the earliest placements may not (an event known to the month may stand days before
  the next); certain only when every placement does: from the start of the first (the
  earlier) event's interval to the end of the last (the later) one's. A partial match is
  dropped by ``within`` once its first event's latest placement (the earliest end of
  its events' intervals; under ``certain_only``, its start) is more than ``within``
  old. With exact times these are EQL's tests.
- An imprecise event stays open until the stream passes the end of its interval, so that
  an event starting later can still precede it: it is then offered, in stream order, to
  the partial match that the later event advanced or started. An event fills a step of
  at most one match per key completed with it, as an exact event does (EQL's rule): the
  first partial match that it can fill at that step, the one pending when it arrives
  before those started while it is open, and no other after it while that one lives.
  When it dies without completing (``within``, an absence or ``until``, a newer partial
  match replacing it), the open event is free again: offered to the partial match
  pending at its step then, and to those reaching it while it is open.
- "Newer", for replacing a pending partial match, means later in ``(occurred_at,
  position)`` order, comparing last events first.
- A ``targets`` key puts an event under each of its targets on its own. An event without
  a value for a step's key (no targets, a missing ``data`` path) does not take that step.
- An absent step (``absent=True``) between two steps: an event of that type with the
  same key lies between the events of the steps around it certainly when its interval
  starts no earlier than the end of the earlier one's and ends no later than the start of
  the later one's (exact events at the same moment in position order), and may lie there
  when the three can be placed in that order (each placed as above, the earlier at its
  placement in the match). Certainly: the partial match is discarded, as when an exact
  absence arrives after an exact step, so with exact times it is discarded as the event
  arrives. Maybe: the match is kept with ``order_certain=False`` (dropped under
  ``certain_only=True``). Not at all: no effect. An event that comes later in
  ``(occurred_at, position)`` order never certainly lies before another, and an event
  that may be both the absence and the step after is tried as the step first: the step
  after is not between the steps, so ``a, no b, then b`` is completed by the first b
  after a (an absence only where the event took no step). So an imprecise absence
  stays open until the stream passes the end of its interval (then it
  acts on the partial match pending, as on one that events to come would advance); and a
  match whose event after an absent step is imprecise is held back from
  :meth:`Matcher.take_found` with ``settled_only`` until the stream passes the end of
  that event's interval, an absence arriving meanwhile flagging it.
- ``until`` is an absence between every two present steps, judged by the same rule and
  acting before its event takes any step (as EQL's ``until``): certainly inside a
  partial match or after its last event, the partial match is discarded (with exact
  times, as the event arrives: EQL's answer); maybe, it is kept with
  ``order_certain=False`` (dropped under ``certain_only``), and a match that an
  ``until`` arriving later may fall inside is held back and flagged as for an absence.
"""

from __future__ import annotations

import bisect
import datetime as dt
import heapq
import math
import statistics
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Iterator, Mapping, Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any, Final

import attrs

from timeline.errors import InvalidEventError
from timeline.events import (
    JSONKey,
    JSONValue,
    RecordedEvent,
    canonical_json,
    check_type_name,
)
from timeline.times import Bound, ZoneInput, interval_end, parse_duration, resolve_zone

if TYPE_CHECKING:
    from timeline.view import Basis

KEY_FIELDS: Final = ("incident", "actor", "targets", "type", "precision")
WHERE_FIELDS: Final = ("incident", "actor", "targets", "type", "precision", "data", "source")

KeySpec = str | tuple[str, ...]
Where = Mapping[str, Any] | Callable[[RecordedEvent], bool] | None


def _check_key(key: object, *, field: str) -> tuple[str, ...]:
    names = (key,) if isinstance(key, str) else key
    if not isinstance(names, tuple) or not names:
        raise InvalidEventError(field, f"expected a field name or a tuple of them, got {key!r}")
    for name in names:
        if not isinstance(name, str) or not (
            name in KEY_FIELDS or (name.startswith("data.") and len(name) > 5)
        ):
            raise InvalidEventError(
                field, f"{name!r} is not a key; use {', '.join(KEY_FIELDS)} or data.<path>"
            )
    return names


def check_where(where: object, *, field: str = "where") -> Where:
    """Return ``where`` checked, as a :class:`Step` and :meth:`Timeline.events
    <timeline.Timeline.events>` take it: ``None``, a predicate ``event -> bool``, or a
    mapping of field path to wanted value, whose paths are ``incident``, ``actor``,
    ``targets``, ``type``, ``precision``, ``data.<path>`` or ``source.<field>`` (names in
    NFC, as stored).

    Example:
        >>> check_where({"source.publisher": "SANA"})
        {'source.publisher': 'SANA'}
        >>> check_where({"colour": "red"})
        Traceback (most recent call last):
        ...
        timeline.errors.InvalidEventError: where.colour: unknown field; use incident,
        actor, targets, type, precision, data.<path> or source.<field>
    """
    if where is None or callable(where):
        return where  # type: ignore[return-value]
    if not isinstance(where, Mapping):
        raise InvalidEventError(field, "expected a mapping of field to value, or a predicate")
    for path in where:
        root = str(path).split(".", 1)[0]
        if root not in WHERE_FIELDS or (root in ("data", "source") and "." not in str(path)):
            raise InvalidEventError(
                f"{field}.{path}",
                f"unknown field; use {', '.join(WHERE_FIELDS[:5])}, data.<path> or source.<field>",
            )
        _check_name(f"{field}.{path}", str(path), where[path])
    return {path: _named(str(path), value) for path, value in where.items()}


def _check_name(field: str, path: str, value: object) -> None:
    """Refuse a wanted incident, actor, type or precision that is not text, and targets
    that are neither a name nor a list of names: no stored event would equal it, so
    the answer would be empty in silence (``1917`` for the actor named ``"1917"``)."""
    if path not in KEY_FIELDS:
        return
    names = value if path == "targets" and isinstance(value, list | tuple) else (value,)
    for name in names:
        if not isinstance(name, str):
            wanted = "a name or a list of names" if path == "targets" else "text"
            raise InvalidEventError(field, f"expected {wanted}, got {name!r}")


def _named(path: str, value: Any) -> Any:
    """A wanted actor, target or incident in NFC, the form names are stored in, so that
    it matches however its accents were typed."""
    if path not in ("actor", "targets", "incident"):
        return value
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list | tuple):
        return type(value)(
            unicodedata.normalize("NFC", v) if isinstance(v, str) else v for v in value
        )
    return value


def _check_types(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (check_type_name(value),)
    if isinstance(value, bytes | Mapping) or not isinstance(value, Iterable):
        raise InvalidEventError(
            "type", f"expected a type name or a list of them, got {type(value).__name__}"
        )
    names = tuple(
        dict.fromkeys(check_type_name(v, field=f"type[{i}]") for i, v in enumerate(value))
    )
    if not names:
        raise InvalidEventError("type", "expected at least one type name")
    return names


@attrs.frozen(init=False)
class Step:
    """One step of a sequence: an event type, what ties it to the others, and limits.

    Args:
        type: the event type this step takes, or a list of types (any one of them:
            ``["airstrike", "drone_strike"]``); ``types`` holds them, ``type`` names them
            as the command line writes them (``airstrike|drone_strike``).
        key: the field that ties this step to the others: ``"incident"`` (the default),
            ``"actor"``, ``"targets"`` (any one of the event's targets), ``"type"``,
            ``"precision"``, ``"data.<path>"``, or a tuple of these (a composite key).
        where: narrows the step: a mapping of field path to value (``{"data.aircraft":
            "Su-22"}``; for ``targets``, a name means "among the targets"), or a
            predicate ``event -> bool``.
        max_gap: the largest time since the previous step (``timedelta`` or "36h"); after
            an absence, since the step before the absence (an absence has none).
        absent: the step is an absence: no such event (same key) between the step before
            and the step after.

    Example:
        >>> Step("cooperation_suspended", key="targets", max_gap="2d").max_gap
        datetime.timedelta(days=2)
        >>> Step(["airstrike", "drone_strike"], key="actor").type
        'airstrike|drone_strike'
    """

    types: tuple[str, ...]
    key: tuple[str, ...]
    where: Where
    max_gap: dt.timedelta | None
    absent: bool

    def __init__(
        self,
        type: str | Iterable[str],
        *,
        key: KeySpec = "incident",
        where: Where = None,
        max_gap: dt.timedelta | str | None = None,
        absent: bool = False,
    ) -> None:
        if not isinstance(absent, bool):
            raise InvalidEventError("absent", f"expected True or False, got {absent!r}")
        if absent and max_gap is not None:
            # it would be ignored: the gap into the step after it is measured from the
            # step before the absence
            raise InvalidEventError(
                "max_gap", "an absence has no gap of its own; give the step after it a max_gap"
            )
        self.__attrs_init__(  # type: ignore[attr-defined]
            types=_check_types(type),
            key=_check_key(key, field="key"),
            where=check_where(where, field="where"),
            max_gap=None if max_gap is None else parse_duration(max_gap, field="max_gap"),
            absent=absent,
        )

    @property
    def type(self) -> str:
        """The step's type, or its types joined by ``|`` (``airstrike|drone_strike``)."""
        return "|".join(self.types)

    def takes(self, event: RecordedEvent) -> bool:
        """Whether ``event`` is of this step's type and passes its ``where``.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> e = tl.record("shootdown", "US", "2017-06-18", incident="s",
            ...               data={"aircraft": "Su-22"})
            >>> Step("shootdown", where={"data.aircraft": "Su-22"}).takes(e)
            True
        """
        return event.type in self.types and fits(event, self.where)

    def describe(self) -> str:
        """A short text for reports: ``not cooperation_restored`` for an absence.

        Example:
            >>> Step("cooperation_restored", absent=True).describe()
            'not cooperation_restored'
        """
        return f"not {self.type}" if self.absent else self.type


_MISSING: Final = object()


def _lookup(event: RecordedEvent, path: str) -> Any:
    root, _, rest = path.partition(".")
    value: Any = getattr(event, root)
    if not rest:
        return value
    for part in rest.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return _MISSING
        value = value[part]
    return value


def fits(event: RecordedEvent, where: Where) -> bool:
    """Whether ``event`` passes ``where`` (checked by :func:`check_where`): every path
    has its wanted value (a ``targets`` name: among the targets; a list: the targets
    themselves), or the predicate is true.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("statement", "Syria", "2017-06-18", incident="s",
        ...               targets=["US"], source={"publisher": "SANA"})
        >>> fits(e, {"source.publisher": "SANA", "targets": "US"}), fits(e, {"data.n": 1})
        (True, False)
    """
    if where is None:
        return True
    if callable(where):
        return bool(where(event))
    return all(_field_matches(event, path, value) for path, value in where.items())


def _field_matches(event: RecordedEvent, path: str, wanted: Any) -> bool:
    value = _lookup(event, path)
    if path == "targets" and isinstance(wanted, str):
        return wanted in value
    if path == "targets" and isinstance(wanted, list | tuple):
        return tuple(value) == tuple(wanted)
    return value is not _MISSING and _same_value(value, wanted)


def _same_value(value: Any, wanted: Any) -> bool:
    """Whether a stored JSON value is the one wanted: ``true`` is not ``1`` (as Python's
    ``True == 1`` would have it), nor a list the text of its JSON; ``1`` and ``1.0`` are
    one number, as ``==`` reads them."""
    if isinstance(value, bool) or isinstance(wanted, bool):
        return value is wanted
    if isinstance(value, list) and isinstance(wanted, list):  # item by item: [1] is [1.0]
        return len(value) == len(wanted) and all(map(_same_value, value, wanted))
    if isinstance(value, dict) and isinstance(wanted, dict):
        return value.keys() == wanted.keys() and all(
            _same_value(value[name], wanted[name]) for name in value
        )
    if isinstance(value, list | dict) or isinstance(wanted, list | dict):
        return False  # a list or an object is not the text of its JSON, nor a number
    return bool(value == wanted)


def _hashable(value: JSONValue) -> Hashable:
    if isinstance(value, bool | list | dict):
        return JSONKey(canonical_json(_one_number_form(value)))
    return value


def _one_number_form(value: Any) -> Any:
    """``value`` with each integral float an int, inside lists and objects: a key is
    equal where ``where`` would find the values equal (``[1]`` and ``[1.0]``, as ``1``
    and ``1.0`` are one key), and ``true`` stays apart from ``1``."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_one_number_form(item) for item in value]
    if isinstance(value, dict):
        return {name: _one_number_form(item) for name, item in value.items()}
    return value


def key_values(event: RecordedEvent, key: tuple[str, ...]) -> list[Hashable]:
    """Return the key values ``event`` has under ``key`` (several for ``targets``).

    A single-field key gives plain values, a composite key tuples; an event without a
    value for a field (no targets, a missing data path) gives none.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("threat_issued", "Russia", "2017-06-19", incident="s",
        ...               targets=["US", "US-led coalition"])
        >>> key_values(e, ("targets",)), key_values(e, ("actor", "targets"))
        (['US', 'US-led coalition'], [('Russia', 'US'), ('Russia', 'US-led coalition')])
    """
    combos: list[tuple[Hashable, ...]] = [()]
    for name in key:
        if name == "targets":
            options: list[Hashable] = list(event.targets)
        else:
            value = _lookup(event, name)
            options = [] if value is _MISSING or value is None else [_hashable(value)]
        combos = [(*combo, option) for combo in combos for option in options]
        if not combos:
            return []
    return [combo[0] if len(key) == 1 else combo for combo in combos]


# -- matches --------------------------------------------------------------------------------


@attrs.frozen
class Match:
    """One found sequence: its key, its events in step order, and how far apart they are.

    ``placements`` are the earliest moments at which the events can stand in step order
    (each event's start, pushed later by the one before when their intervals overlap);
    ``gaps`` are the times between consecutive placements and ``span`` from first to
    last: when ``within`` or a ``max_gap`` holds only for later placements of earlier
    events (one known to the month, days before the next), they exceed it.
    ``order_certain`` is false when the intervals let the events stand in another order
    too, or further apart than ``within`` or a step's ``max_gap``.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("shootdown", "US", "2017-06-18T18:43+03:00", incident="s")
        >>> _ = tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s")
        >>> m = tl.sequence([Step("shootdown"), Step("aircraft_repositioned")]).matches[0]
        >>> (m.key, str(m.gaps[0]), m.order_certain)
        ('s', '8:17:00', True)
    """

    key: Hashable
    events: tuple[RecordedEvent, ...]
    placements: tuple[dt.datetime, ...]
    order_certain: bool

    @property
    def gaps(self) -> tuple[dt.timedelta, ...]:
        """The times between consecutive steps' placements."""
        return tuple(b - a for a, b in zip(self.placements, self.placements[1:], strict=False))

    @property
    def span(self) -> dt.timedelta:
        """The time from the first step's placement to the last one's."""
        return self.placements[-1] - self.placements[0]


@attrs.frozen
class Partial:
    """A sequence still open: the steps it has reached, keyed, as a :class:`Match` would be.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="s")
        >>> report = tl.sequence([Step("shootdown"), Step("aircraft_repositioned")])
        >>> [(p.key, p.steps_reached) for p in report.partial]
        [('s', 1)]
    """

    key: Hashable
    events: tuple[RecordedEvent, ...]
    placements: tuple[dt.datetime, ...]
    order_certain: bool

    @property
    def steps_reached(self) -> int:
        """How many of the present steps it has filled."""
        return len(self.events)

    def newer_than(self, other: Partial) -> bool:
        """Whether this partial match is newer: its last events later, last first.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> a = tl.record("shootdown", "US", "2017-06-18", incident="s")
            >>> b = tl.record("shootdown", "US", "2017-06-19", incident="s")
            >>> at = a.occurred_at
            >>> Partial("s", (b,), (at,), True).newer_than(Partial("s", (a,), (at,), True))
            True
        """
        return [_order(e) for e in reversed(self.events)] > [
            _order(e) for e in reversed(other.events)
        ]

    def extended(self, event: RecordedEvent, placement: dt.datetime, certain: bool) -> Partial:
        """Return this partial match with one more step.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> a = tl.record("shootdown", "US", "2017-06-18", incident="s")
            >>> b = tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s")
            >>> first = Partial("s", (a,), (a.occurred_at,), True)
            >>> first.extended(b, b.occurred_at, True).steps_reached
            2
        """
        return Partial(
            self.key,
            (*self.events, event),
            (*self.placements, placement),
            self.order_certain and certain,
        )


def _order(event: RecordedEvent) -> tuple[dt.datetime, int]:
    return (event.occurred_at, event.position)


def follow(
    before: RecordedEvent,
    placed: dt.datetime,
    event: RecordedEvent,
    *,
    certain_only: bool = False,
    day_zone: ZoneInput = None,
) -> tuple[dt.datetime, bool] | None:
    """Can ``event`` come after ``before`` (placed at ``placed``)? Return its placement.

    Returns ``(placement, certain)``, or ``None`` when the order is impossible (or
    uncertain while ``certain_only``). The rules of the module docstring; days, months
    and years are those of ``day_zone`` (UTC by default).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> hour = tl.record("cooperation_suspended", "Russia", "2017-06-19T09:00+03:00",
        ...                  incident="s", precision="hour")
        >>> day = tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s")
        >>> follow(hour, hour.occurred_at, day)
        (datetime.datetime(2017, 6, 19, 6, 0, tzinfo=datetime.timezone.utc), False)
    """
    start = event.occurred_at
    placement = max(start, placed)
    if event.precision == "exact":
        if placement != start:
            return None
        if (
            before.precision == "exact"
            and before.occurred_at == start
            and before.position > event.position
        ):
            return None
    elif placement >= interval_end(start, event.precision, day_zone):
        return None
    certain = interval_end(before.occurred_at, before.precision, day_zone) <= start
    if certain_only and not certain:
        return None
    return placement, certain


_MICROSECOND: Final = dt.timedelta(microseconds=1)
_NEVER: Final = math.inf  # no limit, among whole microseconds


def _latest(event: Any, day_zone: ZoneInput) -> dt.datetime:
    """The latest moment ``event`` may be placed at: its last microsecond."""
    if event.precision == "exact":
        return event.occurred_at
    return interval_end(event.occurred_at, event.precision, day_zone) - _MICROSECOND


def keeps_limits(
    events: Sequence[RecordedEvent],
    max_gaps: Sequence[dt.timedelta | None],
    within: dt.timedelta | None,
    *,
    day_zone: ZoneInput = None,
) -> bool:
    """Whether ``events`` can be placed inside their intervals, in step order, with
    each gap at most its ``max_gaps[i]`` (the time since event ``i - 1``; index 0
    unused) and the span from first to last at most ``within``.

    The earliest placements (:func:`follow`) need not keep them: an event known to the
    month may stand late in its month, days before the next. With the first event
    placed at ``t``, event ``i`` may stand from ``max(t, S)`` (``S``: the latest start
    among events 2 to ``i``) to ``min(H, t + G)`` (``G``: the sum of the gaps up to
    ``i``; ``H``: the latest moment the intervals and gaps of events 2 to ``i`` allow);
    the ``t`` that keep every event's range non-empty, and the last within ``t +
    within``, form one interval, found in one pass. The order of exact events at one
    moment is :func:`follow`'s to judge.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> month = tl.record("overflight_approved", "Iraq", "June 2017", incident="s")
        >>> strike = tl.record("missile_strike", "Iraq", "2017-06-18T12:00Z", incident="s")
        >>> keeps_limits([month, strike], [None, None], dt.timedelta(days=3))
        True
    """
    base = events[0].occurred_at
    # t: the first event's placement, in microseconds from its start
    low: float = 0
    high: float = (_latest(events[0], day_zone) - base) // _MICROSECOND
    latest_start: float = -_NEVER
    latest_allowed: float = _NEVER
    gap_sum: float = 0
    for event, max_gap in zip(events[1:], max_gaps[1:], strict=False):
        gap = _NEVER if max_gap is None else max_gap // _MICROSECOND
        gap_sum += gap
        latest_allowed = min(
            latest_allowed + gap, (_latest(event, day_zone) - base) // _MICROSECOND
        )
        latest_start = max(latest_start, (event.occurred_at - base) // _MICROSECOND)
        if latest_start > latest_allowed:
            return False
        low = max(low, latest_start - gap_sum)
        high = min(high, latest_allowed)
    if within is not None:
        low = max(low, latest_start - within // _MICROSECOND)
    return low <= high


MatchRow = tuple[Hashable, tuple[Any, ...], tuple[dt.datetime, ...], bool]
"""A match held compactly: key, its events (each a position, or an event read whole
already), placements, whether the order is certain."""

MATCHES_PAGE: Final = 1000
"""How many matches :class:`Matches` reads whole at a time."""


class Matches(Sequence[Match]):
    """The matches of a report, held compactly and read whole a page at a time.

    A report over a million events may hold tens of thousands of matches; each is kept
    as its key, the positions of its events, their placements and whether their order
    is certain (a few hundred bytes, against about 7.5 KB with three whole events).
    Reading the matches (iterating, indexing) reads their events whole from the store,
    :data:`MATCHES_PAGE` matches at a time: stored events never change, so they are
    the events the report found. Reading them needs the store open.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("shootdown", "US", "2017-06-18", incident="s")
        >>> found = Matches([("s", (e.position,), (e.occurred_at,), True)],
        ...                 lambda positions: {e.position: e})
        >>> (len(found), found[0].events == (e,))
        (1, True)
    """

    def __init__(
        self,
        rows: Sequence[MatchRow],
        read: Callable[[list[int]], Mapping[int, RecordedEvent]],
    ) -> None:
        self._rows = rows
        self._read = read

    def __len__(self) -> int:
        return len(self._rows)

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self._whole(self._rows[index]))
        return self._whole([self._rows[index]])[0]

    def __iter__(self) -> Iterator[Match]:
        for start in range(0, len(self._rows), MATCHES_PAGE):
            yield from self._whole(self._rows[start : start + MATCHES_PAGE])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or len(other) != len(self):
            return False
        return all(a == b for a, b in zip(self, other, strict=True))

    def __repr__(self) -> str:
        return f"<Matches: {len(self):,}>"

    def placements(self) -> Iterator[tuple[dt.datetime, ...]]:
        """Each match's placements, without reading its events."""
        return (row[2] for row in self._rows)

    def _whole(self, rows: Sequence[MatchRow]) -> list[Match]:
        wanted = [e for row in rows for e in row[1] if isinstance(e, int)]
        whole = self._read(wanted) if wanted else {}
        return [
            Match(key, tuple(whole[e] if isinstance(e, int) else e for e in events), at, sure)
            for key, events, at, sure in rows
        ]


# -- the report -----------------------------------------------------------------------------


@attrs.frozen
class GapStats:
    """The gaps measured into one step across all matches."""

    step: int
    count: int
    minimum: dt.timedelta | None
    median: dt.timedelta | None
    maximum: dt.timedelta | None


@attrs.frozen
class SequenceReport:
    """What :meth:`Timeline.sequence` found, and how far partial matches got.

    - ``matches``: in the order they completed;
    - ``partial``: partial matches still pending at the end of the events;
    - ``funnel``: for each present step, how many partial matches reached it;
    - ``gap_stats``: for each step after the first, count, min, median and max of the
      gaps of the matches;
    - ``known_at``: the bound on recorded time it was asked on, ``(moment, inclusive)``
      (a date: the end of that day of ``day_zone``, exclusive), which the renderings put
      in words ("as known by the end of 2026-11-30 (UTC)");
    - ``to_text()``, ``to_markdown()``, ``to_json()``, ``to_csv()`` render it.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="s")
        >>> report = tl.sequence([Step("shootdown"), Step("aircraft_repositioned")])
        >>> (len(report.matches), report.funnel, len(report.partial))
        (0, (1, 0), 1)
    """

    steps: tuple[Step, ...]
    matches: Sequence[Match]  # a tuple, or Matches (held compactly) from Timeline.sequence
    partial: tuple[Partial, ...]
    funnel: tuple[int, ...]
    within: dt.timedelta | None = None
    until: Step | None = None
    known_at: Bound | None = None
    certain_only: bool = False
    basis: Basis | None = None  # the Basis the report rests on
    day_zone: dt.tzinfo | None = attrs.field(default=None, eq=False)  # whose days it names

    @property
    def present_steps(self) -> tuple[Step, ...]:
        """The steps that take events (absences left out), in order."""
        return tuple(s for s in self.steps if not s.absent)

    @property
    def gap_stats(self) -> tuple[GapStats, ...]:
        """Gap statistics for each present step after the first (numbered from 2)."""
        stats = []
        placements = (
            list(self.matches.placements())
            if isinstance(self.matches, Matches)
            else [m.placements for m in self.matches]
        )
        for index in range(1, len(self.present_steps)):
            gaps = sorted(b[index] - b[index - 1] for b in placements)
            stats.append(
                GapStats(
                    step=index + 1,
                    count=len(gaps),
                    minimum=gaps[0] if gaps else None,
                    median=_median(gaps),
                    maximum=gaps[-1] if gaps else None,
                )
            )
        return tuple(stats)

    def to_text(self) -> str:
        """Render as a plain-text report (tables aligned for a terminal).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="s")
            >>> _ = tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s")
            >>> report = tl.sequence([Step("shootdown"), Step("aircraft_repositioned")])
            >>> print(report.to_text().splitlines()[1])
            matches: 1
        """
        from timeline.render import report_text

        return report_text(self)

    def to_markdown(self) -> str:
        """Render as Markdown (a summary and a table of matches).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="s")
            >>> _ = tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s")
            >>> report = tl.sequence([Step("shootdown"), Step("aircraft_repositioned")])
            >>> report.to_markdown().splitlines()[2]
            '**Matches:** 1'
        """
        from timeline.render import report_markdown

        return report_markdown(self)

    def to_json(self) -> str:
        """Render as one JSON document: query, matches, partial matches, summary.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="s")
            >>> _ = tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s")
            >>> report = tl.sequence([Step("shootdown"), Step("aircraft_repositioned")])
            >>> import json
            >>> json.loads(report.to_json())["matches"][0]["gaps_seconds"]
            [86400.0]
        """
        from timeline.render import report_json

        return report_json(self)

    def _repr_html_(self) -> str:
        """How a notebook shows the report (see :func:`timeline.render.report_html`)."""
        from timeline.render import report_html

        return report_html(self)

    def to_pandas(self) -> Any:
        """Return the matches as a pandas DataFrame, one row per match and step, the
        columns of :meth:`to_csv` with their values as they are (needs the ``pandas``
        extra; see :func:`timeline.frames.matches_frame`).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="s")
            >>> _ = tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s")
            >>> report = tl.sequence([Step("shootdown"), Step("aircraft_repositioned")])
            >>> report.to_pandas()[["step", "type", "gap_seconds"]].values.tolist()
            [[1, 'shootdown', nan], [2, 'aircraft_repositioned', 86400.0]]
        """
        from timeline.frames import matches_frame

        return matches_frame(self)

    def to_csv(self) -> str:
        """Render the matches as CSV, one row per match and step.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="s")
            >>> _ = tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s")
            >>> report = tl.sequence([Step("shootdown"), Step("aircraft_repositioned")])
            >>> report.to_csv().splitlines()[1].split(",")[:4]
            ['1', 's', '1', 'shootdown']
        """
        from timeline.render import report_csv

        return report_csv(self)


def _median(values: Sequence[dt.timedelta]) -> dt.timedelta | None:
    if not values:
        return None
    seconds = statistics.median(v.total_seconds() for v in values)
    return dt.timedelta(seconds=seconds)


# -- the streaming matcher --------------------------------------------------------------------


class Matcher:
    """The streaming matcher: feed it events in ``(occurred_at, position)`` order.

    Memory holds the pending partial matches (at most one per step and key), the
    imprecise events whose interval is still open and the matches held back for them,
    never the whole history.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> for t, a in [("shootdown", "US"), ("aircraft_repositioned", "US")]:
        ...     _ = tl.record(t, a, "2017-06-18", incident="s")
        >>> m = Matcher([Step("shootdown"), Step("aircraft_repositioned")])
        >>> for event in tl.events():
        ...     m.feed(event)
        >>> len(m.report().matches)
        1
    """

    def __init__(
        self,
        steps: Sequence[Step],
        *,
        by: KeySpec | None = None,
        within: dt.timedelta | str | None = None,
        until: Step | None = None,
        certain_only: bool = False,
        day_zone: ZoneInput = None,
    ) -> None:
        self.day_zone = resolve_zone(day_zone, field="day_zone")
        self.steps = tuple(_check_steps(steps))
        self.by = () if by is None else _check_key(by, field="by")
        self.within = None if within is None else parse_duration(within, field="within")
        if until is not None and not isinstance(until, Step):
            raise InvalidEventError(
                "until", f"expected a timeline.Step, got {type(until).__name__}"
            )
        if until is not None and (until.absent or until.max_gap is not None):
            raise InvalidEventError(
                "until", "an until step is an event that ends the search: not absent, no max_gap"
            )
        self.until = until
        if not isinstance(certain_only, bool):  # "false" would be true
            raise InvalidEventError("certain_only", f"expected True or False, got {certain_only!r}")
        self.certain_only = certain_only
        self.present = [s for s in self.steps if not s.absent]
        # absences[i]: the absent steps between present step i and present step i + 1
        self.absences: list[list[Step]] = [[] for _ in self.present]
        index = -1
        for step in self.steps:
            if step.absent:
                self.absences[index].append(step)
            else:
                index += 1
        # pending[i]: partial matches that have filled present steps 0..i-1, by key
        self.pending: list[dict[Hashable, _Pending]] = [{} for _ in range(len(self.present) + 1)]
        # within: partial matches by the moment they expire (the placement of their first
        # event plus ``within``), soonest on top, so that an event tests one comparison;
        # entries of partial matches replaced or advanced meanwhile are skipped, and a
        # partial match that would expire past year 9999 never does and has none
        self._ages: list[tuple[dt.datetime, int, int, Hashable]] = []
        # open imprecise events that may still serve as present step i, by (i, key), in
        # stream order; and by the end of their interval, to let them go in time
        self.held: dict[tuple[int, Hashable], list[RecordedEvent]] = {}
        # (i, key, position) of the held events that filled present step i of a match
        # of the key: they stay held (an absence arriving later may lie before them)
        # but are offered to no other match there (an event fills a step of one match
        # per key completed with it); forgotten as they close, and freed when the
        # partial match they filled dies without completing (:meth:`_free`)
        self._filled: set[tuple[int, Hashable, int]] = set()
        self._now: dt.datetime | None = None  # the start of the event being taken
        # the held events of (i, key) that fill no step i of a match of the key: those
        # a partial match reaching step i is offered, in stream order, without passing
        # over every open event that already filled one
        self._offerable: dict[tuple[int, Hashable], list[RecordedEvent]] = {}
        # open imprecise absent events that may still lie between present steps i - 1
        # and i, by (i, key), in stream order (an exact one acts when it arrives)
        self.absent_held: dict[tuple[int, Hashable], list[RecordedEvent]] = {}
        # by the end of their interval: held events (index > 0: the present step),
        # held absences (index -i: between present steps i - 1 and i) and matches held
        # back (index 0, key: the match's number), to let them go in time
        self._closing: list[tuple[dt.datetime, int, int, Hashable]] = []
        # the present steps that follow an absence (with ``until``, every one after the
        # first): an imprecise event there stays open to an absence arriving later
        self._guarded = tuple(
            i for i in range(1, len(self.present)) if self.absences[i - 1] or until is not None
        )
        # matches held back (still open to an absence arriving later), by their number
        # (counted from the first match, taken ones included), and their numbers by key
        self._unsettled: dict[int, Hashable] = {}
        self._unsettled_by_key: dict[Hashable, dict[int, None]] = {}
        self._taken = 0
        self._serial = 0
        self.matches: list[MatchRow | None] = []  # None: a match held back, then dropped
        self.funnel = [0] * len(self.present)
        self._plans: dict[str, _Plan] = {}
        self._gaps = [step.max_gap for step in self.present]
        self.types = {t for s in (*self.steps, *([until] if until else [])) for t in s.types}
        asked = [*self.steps, *([until] if until else [])]
        # What the scan must read: whole events for a predicate or a source condition,
        # data when a key or a condition looks into it; else only the glimpse.
        self.needs_whole_events = any(
            callable(s.where) or any(str(p).startswith("source") for p in (s.where or {}))
            for s in asked
        )
        # the incident when a key or a condition names it (the default key does)
        self.needs_incident = any("incident" in (*self.by, *s.key) for s in asked) or any(
            str(p).split(".")[0] == "incident"
            for s in asked
            if isinstance(s.where, Mapping)
            for p in s.where
        )
        self.needs_data = any(
            name.startswith("data") for s in asked for name in (*self.by, *s.key)
        ) or any(
            str(p).startswith("data")
            for s in asked
            if isinstance(s.where, Mapping)
            for p in s.where
        )

    def keys(self, step: Step, event: RecordedEvent) -> list[Hashable]:
        """The key values of ``event`` for ``step``, with the sequence's ``by`` fields."""
        return key_values(event, self.by + step.key)

    def _plan(self, type: str) -> _Plan:
        """What an event of ``type`` may do, worked out once per type: the absences
        (``until`` among them, between every two present steps) and the present steps
        (last first) it may take, and the present steps after the first it may serve
        while held open."""
        keyed = {
            id(step): (step, step.where, _key_function(self.by + step.key))
            for step in (*self.steps, *([self.until] if self.until else []))
        }
        count = len(self.present)
        # ``until`` is an absence between every two present steps, placed by the same
        # rule (an exact one after exact steps discards the key's partial matches as it
        # arrives, as EQL's does), acting before the event takes any step, as in EQL
        absences = [
            (index, *keyed[id(self.until)][1:], False)
            for index in range(1, count)
            if self.until and type in self.until.types
        ]
        # each absence with whether the type also takes the step after it: such an
        # event is tried as that step first, and is an absence only where it took none
        absences += [
            (index + 1, *keyed[id(step)][1:], type in self.present[index + 1].types)
            for index, steps in enumerate(self.absences)
            for step in steps
            if type in step.types
        ]
        present = [
            (index, *keyed[id(self.present[index])][1:])
            for index in reversed(range(count))
            if type in self.present[index].types
        ]
        held = [entry for entry in reversed(present) if entry[0] > 0]
        plan = (absences, present, held)
        self._plans[type] = plan
        return plan

    def feed(self, event: RecordedEvent, *, steps: bool = True) -> None:
        """Take the next event (in ``(occurred_at, position)`` order).

        ``steps=False``: the event may only end partial matches (as ``until`` or an
        absence), not fill a step (a claim that may not have been reported yet, under
        ``certain_only``).
        """
        # Once per event of a scan of a million: each test is written out here, the
        # steps an event's type may take are looked up once per type (:meth:`_plan`),
        # and partial matches are plain tuples.
        start = event.occurred_at
        self._now = start
        closing = self._closing
        if closing and closing[0][0] <= start:
            self._let_go(start)
        ages = self._ages
        if ages and ages[0][0] < start:
            self._expire(start)
        plan = self._plans.get(event.type) or self._plan(event.type)
        absences, present, held = plan
        pending = self.pending
        after: list[tuple[int, _Keys]] | None = None  # absences held for after the steps
        for stage_index, where, keys, also_after in absences:
            if where is None or fits(event, where):
                if also_after and steps:
                    after = [*(after or ()), (stage_index, keys)]
                    continue
                for key in keys(event):
                    self._absent(stage_index, key, event)
        if not steps:
            return
        # what this event advanced or started, for the open imprecise events (if any)
        started: list[_Pending] | None = [] if self.held else None
        imprecise = bool(held) and event.precision != "exact"
        for index, where, keys in present:
            if where is not None and not fits(event, where):
                continue
            for key in keys(event):
                if index == 0:
                    placed = self._place((key, (event,), (start,), True))
                else:
                    before = pending[index].get(key)
                    if before is None:
                        continue
                    placed = self._advance(before, event)
                    if imprecise and pending[index].get(key) is not before:
                        # it filled this step: it stays open (an absence arriving later
                        # may lie before it) but is offered to no other match of the key
                        self._filled.add((index, key, event.position))
                if placed is not None and started is not None:
                    started.append(placed)
        if started:
            self._offer_held(started)
        if imprecise:
            self._hold(event, held)
        # the step after an absence is not between the steps: ``a, no b, then b`` is
        # completed by the first b; where it took no step, the event is an absence
        for stage_index, keys in after or ():
            for key in keys(event):
                self._absent(stage_index, key, event)

    def _hold(self, event: RecordedEvent, steps: list[tuple[int, Where, _Keys]]) -> None:
        end = interval_end(event.occurred_at, event.precision, self.day_zone)
        for index, where, keys in steps:
            if where is None or fits(event, where):
                for key in keys(event):
                    self.held.setdefault((index, key), []).append(event)
                    if (index, key, event.position) not in self._filled:
                        self._offerable.setdefault((index, key), []).append(event)
                    self._serial += 1
                    heapq.heappush(self._closing, (end, self._serial, index, key))

    def _absent(self, stage_index: int, key: Hashable, event: RecordedEvent) -> None:
        """Take an absent event between present steps ``stage_index - 1`` and
        ``stage_index``: against the partial match pending after the step before, and
        against open imprecise events that already took the step after."""
        stage = self.pending[stage_index]
        if event.precision == "exact":
            partial = stage.get(key)
            # (a partial match this very event just started or advanced is after it)
            if partial is not None and partial[1][-1].position != event.position:
                if partial[1][-1].precision == "exact":
                    del stage[key]  # certainly after it, and before any event to come
                    if self._filled:
                        self._free(partial)
                else:
                    self._judge(stage_index, partial, event)
        else:
            # open until the stream passes its end: an event taking the step after
            # meanwhile may precede it
            self.absent_held.setdefault((stage_index, key), []).append(event)
            self._serial += 1
            end = interval_end(event.occurred_at, event.precision, self.day_zone)
            heapq.heappush(self._closing, (end, self._serial, -stage_index, key))
        if self.held and (stage_index, key) in self.held:
            self._absent_late(stage_index, key, event)

    def _judge(self, stage_index: int, partial: _Pending, absent: RecordedEvent) -> None:
        """Apply ``absent`` to ``partial`` (pending after present step ``stage_index -
        1``) as to a partial match that events still to come would advance: discard it
        when the absence certainly lies after its last event, flag it when it may."""
        key, events, placements, _ = partial
        between = _between(events[-1], placements[-1], absent, None, self.day_zone)
        if between is None:
            return
        if between or self.certain_only:
            del self.pending[stage_index][key]
            if self._filled:
                self._free(partial)
        else:
            self.pending[stage_index][key] = (key, events, placements, False)

    def _absent_late(self, stage_index: int, key: Hashable, absent: RecordedEvent) -> None:
        """An absent event arrived after an open imprecise event that took present step
        ``stage_index``: the absence may lie before it. Flag (under ``certain_only``,
        drop) the partial and held-back matches holding such an event where the absence
        may lie between it and the event before; it never certainly does, arriving
        later."""
        start = absent.occurred_at
        zone = self.day_zone

        def may_lie_inside(events: tuple[Any, ...], placements: tuple[dt.datetime, ...]) -> bool:
            after = events[stage_index]
            if after.precision == "exact":
                return False
            if interval_end(after.occurred_at, after.precision, zone) <= start:
                return False
            before = events[stage_index - 1]
            return _between(before, placements[stage_index - 1], absent, after, zone) is not None

        dead: list[_Pending] = []  # freed once the key's matches are weighed
        for stage in self.pending[stage_index + 1 :]:
            partial = stage.get(key)
            if partial is None or not may_lie_inside(partial[1], partial[2]):
                continue
            if self.certain_only:
                del stage[key]
                dead.append(partial)
            else:
                stage[key] = (key, partial[1], partial[2], False)
        numbers = self._unsettled_by_key.get(key)
        if not numbers:
            self._free_all(dead)
            return
        # a match dropped, or already uncertain (short of certain_only), has nothing more
        # to fear from an absence: it leaves the key's index (it stays held back, in
        # _unsettled, until it settles), so that each absence or until weighs only the
        # matches it may still change, not every match held back while a month is open
        done = []
        for number in numbers:
            at = number - self._taken
            row = self.matches[at]
            if row is not None and (row[3] or self.certain_only):
                if not may_lie_inside(row[1], row[2]):
                    continue
                self.matches[at] = None if self.certain_only else (key, row[1], row[2], False)
                if self.certain_only:
                    dead.append(row)  # dropped: its events fill no step of it
            done.append(number)
        for number in done:
            del numbers[number]
        if not numbers:
            del self._unsettled_by_key[key]
        self._free_all(dead)

    def _hold_back(self, match: _Pending) -> None:
        """Hold ``match`` back while an imprecise event of it that follows an absence is
        open: an absent event arriving meanwhile may lie before that event."""
        events = match[1]
        ends = [
            interval_end(events[i].occurred_at, events[i].precision, self.day_zone)
            for i in self._guarded
            if events[i].precision != "exact"
        ]
        if not ends:
            return
        number = self._taken + len(self.matches) - 1
        self._unsettled[number] = match[0]
        self._unsettled_by_key.setdefault(match[0], {})[number] = None
        self._serial += 1
        heapq.heappush(self._closing, (max(ends), self._serial, 0, number))

    def _let_go(self, now: dt.datetime) -> None:
        """Forget open events whose interval ended: nothing placed from now on can
        precede them. An absence that closes acts on the partial match pending then, as
        on one that events to come would advance; a match held back is let go."""
        while self._closing and self._closing[0][0] <= now:
            _, _, index, key = heapq.heappop(self._closing)
            if index <= 0:
                if index:
                    self._close_absence(-index, key, now)
                else:
                    self._settle(key)  # type: ignore[arg-type]
                continue
            waiting = self.held.get((index, key))
            if waiting is None:
                continue
            still = []
            for e in waiting:
                if interval_end(e.occurred_at, e.precision, self.day_zone) > now:
                    still.append(e)
                elif self._filled:
                    self._filled.discard((index, key, e.position))
            waiting = still
            if waiting:
                self.held[(index, key)] = waiting
            else:
                del self.held[(index, key)]
            offerable = self._offerable.get((index, key))
            if offerable is not None:
                offerable = [
                    e
                    for e in offerable
                    if interval_end(e.occurred_at, e.precision, self.day_zone) > now
                ]
                if offerable:
                    self._offerable[(index, key)] = offerable
                else:
                    del self._offerable[(index, key)]

    def _close_absence(self, stage_index: int, key: Hashable, now: dt.datetime) -> None:
        """Let go the absences of ``(stage_index, key)`` whose interval ended by ``now``:
        each acts on the partial match pending now, which only events starting after it
        can advance."""
        waiting = self.absent_held.get((stage_index, key))
        if waiting is None:
            return
        open_: list[RecordedEvent] = []
        closed: list[RecordedEvent] = []
        for absent in waiting:
            end = interval_end(absent.occurred_at, absent.precision, self.day_zone)
            (open_ if end > now else closed).append(absent)
        if open_:
            self.absent_held[(stage_index, key)] = open_
        else:
            del self.absent_held[(stage_index, key)]
        for absent in closed:
            partial = self.pending[stage_index].get(key)
            if partial is not None:
                self._judge(stage_index, partial, absent)

    def _settle(self, number: int) -> None:
        """Let match ``number`` go: no absence arriving from now on can lie before it."""
        key = self._unsettled.pop(number, _MISSING)
        if key is _MISSING:
            return
        numbers = self._unsettled_by_key.get(key)
        if numbers is None:  # it left the key's index once it could change no more
            return
        numbers.pop(number, None)
        if not numbers:
            del self._unsettled_by_key[key]

    def _expire(self, now: dt.datetime) -> None:
        """Drop partial matches whose first event's latest placement is more than
        ``within`` before ``now`` (an entry on the heap expired before ``now``, so ``now
        - within`` is past year 1)."""
        ages, pending = self._ages, self.pending
        oldest = now - self.within  # type: ignore[operator]
        while ages and ages[0][0] < now:
            dead = []
            while ages and ages[0][0] < now:
                _, _, stage_index, key = heapq.heappop(ages)
                partial = pending[stage_index].get(key)
                if partial is None:
                    continue
                first = partial[2][0]  # an exact first event's moment, read without a call
                if partial[1][0].precision != "exact" and not self.certain_only:
                    first = self._first_latest(partial)
                if first < oldest:
                    del pending[stage_index][key]
                    dead.append(partial)
            if not dead or not self._filled:
                return
            # all that expire are gone before their events, free again, are offered to
            # the partial matches left (what that grows may expire in its turn), oldest
            # partial match first
            dead.sort(key=lambda p: [_order(e) for e in p[1]])
            for partial in dead:
                self._free(partial)

    def _first_latest(self, partial: _Pending) -> dt.datetime:
        """The latest placement of ``partial``'s first event: no event to come can keep
        ``within`` once that is more than ``within`` old. The latest moment every one of
        its events allows (each stands no earlier than the first); an exact first
        event's moment. Under ``certain_only``, its start: ``within`` must hold from
        there."""
        events = partial[1]
        if self.certain_only or events[0].precision == "exact":
            return partial[2][0]
        return min(_latest(e, self.day_zone) for e in events)

    def _advance(self, before: _Pending, event: RecordedEvent) -> _Pending | None:
        """Advance ``before`` with ``event`` if it can; return the new pending partial."""
        key, events, placements, certain = before
        index = len(events)
        last, placed = events[-1], placements[-1]
        start = event.occurred_at
        if event.precision == "exact" and last.precision == "exact":
            # :func:`follow` for two exact events, written out: the later may not be
            # placed before its moment, nor stand before the other at the same moment
            if placed > start or (last.occurred_at == start and last.position > event.position):
                return None
            placement, sure, both_exact = start, True, True
        else:
            result = follow(
                last, placed, event, certain_only=self.certain_only, day_zone=self.day_zone
            )
            if result is None:
                return None
            (placement, sure), both_exact = result, False
        max_gap, within = self._gaps[index], self.within
        if (max_gap is not None and placement - placed > max_gap) or (
            within is not None and placement - placements[0] > within
        ):
            # the earliest placements break a limit, so it is not certain; it is possible
            # when later placements of the earlier events keep it (an event known to the
            # month may stand days before the next one), never with exact times only
            if self.certain_only:
                return None
            if both_exact:
                for e in events:
                    if e.precision != "exact":
                        break
                else:
                    return None
            if not keeps_limits((*events, event), self._gaps, within, day_zone=self.day_zone):
                return None
            sure = False
        elif not both_exact and (max_gap is not None or within is not None):
            # certain when every placement keeps the limits: from the start of the
            # earlier interval to the end of this one (two exact events: their moments,
            # tested above)
            end = interval_end(start, event.precision, self.day_zone)
            if (max_gap is not None and end - last.occurred_at > max_gap) or (
                within is not None and end - events[0].occurred_at > within
            ):
                if self.certain_only:
                    return None
                sure = False
        if self.absent_held:
            for absent in self.absent_held.get((index, key), ()):
                if not sure and absent.position != event.position:
                    # already uncertain, and an open absence never certainly lies
                    # between unless it is this very event: nothing more to learn (an
                    # until a month long stays open a month, beside every advance)
                    continue
                between = _between(last, placed, absent, event, self.day_zone)
                if between is None:
                    continue
                if between or self.certain_only:
                    # certainly only when it is this very event (an open absence
                    # never ends before an event that starts before its end): the
                    # partial match waits for the absence to close, or a later event
                    return None
                sure = False
        grown = (key, (*events, event), (*placements, placement), certain and sure)
        last_step = index + 1 == len(self.present)
        if not last_step:
            existing = self.pending[index + 1].get(key)
            if existing is not None and not _newer(grown[1], existing[1]):
                return None
        del self.pending[index][key]
        if last_step:
            self.funnel[index] += 1
            self.matches.append(grown)
            if self._guarded and (self.held or event.precision != "exact"):
                self._hold_back(grown)  # it may have an imprecise event still open
            return None
        return self._place(grown)

    def _place(self, partial: _Pending) -> _Pending | None:
        key, events = partial[0], partial[1]
        stage_index = len(events)
        stage = self.pending[stage_index]
        existing = stage.get(key)
        if existing is not None and not _newer(events, existing[1]):
            return None
        self.funnel[stage_index - 1] += 1
        if stage_index == len(self.present):  # a one-step sequence
            self.matches.append(partial)
            return None
        stage[key] = partial
        if existing is not None and self._filled:
            self._free(existing)  # replaced: it dies
        if self.within is not None:
            first = partial[2][0]  # an exact first event's moment, read without a call
            if events[0].precision != "exact" and not self.certain_only:
                first = self._first_latest(partial)
            try:
                expires = first + self.within
            except OverflowError:  # past year 9999: it never expires
                return partial
            self._serial += 1
            heapq.heappush(self._ages, (expires, self._serial, stage_index, key))
        return partial

    def _offer_held(self, queue: list[_Pending]) -> None:
        """Offer the open imprecise events, in stream order, to partial matches that the
        event just taken has advanced or started: they may have happened after it. The
        first that can fill the step does, and is offered to no other partial match
        there while that partial match lives (it stays held for absences that may lie
        before it; :meth:`_free` frees it if the partial match dies): an event fills a
        step of one match per key (EQL's rule, for exact events), the first partial
        match it meets, the one pending when it arrived before any started later."""
        while queue:
            partial = queue.pop(0)
            key, events = partial[0], partial[1]
            index = len(events)
            # the open events of the step that fill no other match of the key
            waiting = self._offerable.get((index, key))
            if not waiting or self.pending[index].get(key) is not partial:
                continue  # none open, or replaced, advanced or completed meanwhile
            for at, held in enumerate(waiting):
                if any(held.position == e.position for e in events):
                    continue
                placed = self._advance(partial, held)
                if self.pending[index].get(key) is not partial:  # it filled the step
                    self._filled.add((index, key, held.position))
                    self._unoffer(index, key, held, at)
                    if placed is not None:
                        queue.append(placed)
                    break

    def _unoffer(self, index: int, key: Hashable, event: RecordedEvent, at: int) -> None:
        """Take ``event``, which filled step ``index`` of a match of ``key``, out of the
        events offered there (at ``at``, unless what it filled freed others before it)."""
        waiting = self._offerable.get((index, key))
        if waiting is None:
            return
        if at >= len(waiting) or waiting[at] is not event:
            at = next((i for i, e in enumerate(waiting) if e is event), -1)
            if at < 0:
                return
        del waiting[at]
        if not waiting:
            del self._offerable[(index, key)]

    def _free_all(self, dead: list[Any]) -> None:
        if self._filled:
            for partial in dead:
                self._free(partial)

    def _free(self, partial: Any) -> None:
        """``partial`` (a partial match, or a match held back) died without completing
        (``within``, an absence or ``until``, a newer partial match replacing it): its
        open imprecise events fill no step of it and are free again. Each is offered,
        in step order, to the partial match of the key pending at its step now, and
        stays open to the ones that reach it later, as a held event is: an event fills
        a step of at most one match per key completed with it."""
        key, events = partial[0], partial[1]
        filled, now = self._filled, self._now
        for index in range(1, len(events)):
            event = events[index]
            if (index, key, event.position) not in filled:
                continue
            filled.discard((index, key, event.position))
            if (
                now is not None
                and interval_end(event.occurred_at, event.precision, self.day_zone) <= now
            ):
                continue  # closed, not yet let go: nothing placed from now on precedes it
            target = self.pending[index].get(key)
            placed = (
                None
                if target is None or any(e.position == event.position for e in target[1])
                else self._advance(target, event)
            )
            if target is not None and self.pending[index].get(key) is not target:
                filled.add((index, key, event.position))  # it filled the step
                if placed is not None:
                    self._offer_held([placed])
                continue
            # open to the partial matches reaching the step, in stream order
            bisect.insort(self._offerable.setdefault((index, key), []), event, key=_order)

    def take_found(self, *, settled_only: bool = False) -> list[MatchRow]:
        """Return the matches completed so far as ``(key, events, placements,
        order_certain)`` tuples, and forget them (for a caller that keeps them elsewhere,
        compactly: a later :meth:`report` lists only newer ones).

        With ``settled_only``, for a caller taking them while events still arrive, stop
        before the first match held back: one with an imprecise event after an absent
        step (with ``until``, after the first step) whose interval is still open, which
        an absent or ``until`` event arriving later may flag (or, under
        ``certain_only``, drop).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> e = tl.record("shootdown", "US", "2017-06-18", incident="s")
            >>> matcher = Matcher([Step("shootdown")])
            >>> matcher.feed(e)
            >>> [(key, len(events)) for key, events, _, _ in matcher.take_found()]
            [('s', 1)]
        """
        if settled_only and self._unsettled:
            cut = next(iter(self._unsettled)) - self._taken
            if not cut:
                return []
            taken, self.matches = self.matches[:cut], self.matches[cut:]
        else:
            taken, self.matches = self.matches, []
            self._unsettled.clear()
            self._unsettled_by_key.clear()
        self._taken += len(taken)
        return [row for row in taken if row is not None]

    def take_matches(self) -> list[Match]:
        """Return the matches completed so far and forget them (as :meth:`take_found`,
        as :class:`Match` objects).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> e = tl.record("shootdown", "US", "2017-06-18", incident="s")
            >>> matcher = Matcher([Step("shootdown")])
            >>> matcher.feed(e)
            >>> len(matcher.take_matches()), len(matcher.report().matches)
            (1, 0)
        """
        return [Match(*row) for row in self.take_found()]

    def report(self, *, known_at: Bound | None = None) -> SequenceReport:
        """Return the report: matches so far, and partial matches still pending (as the
        absences still open leave them once no event follows: discarded or flagged).

        ``known_at`` is the bound on recorded time the events were read on, as
        ``(moment, inclusive)`` (see :class:`timeline.Basis`), for the report to say.
        """
        found = [
            self._at_end(index, p) if self.absent_held else p
            for index, stage in enumerate(self.pending[1:], 1)
            for p in stage.values()
        ]
        partial = sorted(
            (Partial(*p) for p in found if p is not None),
            key=lambda p: (-len(p.events), [_order(e) for e in p.events]),
        )
        return SequenceReport(
            steps=self.steps,
            matches=tuple(Match(*row) for row in self.matches if row is not None),
            partial=tuple(partial),
            funnel=tuple(self.funnel),
            within=self.within,
            until=self.until,
            known_at=known_at,
            certain_only=self.certain_only,
            day_zone=self.day_zone,
        )

    def _at_end(self, stage_index: int, partial: _Pending) -> _Pending | None:
        """``partial`` as the open absences leave it once no event follows: the
        events to come, none, would come after them."""
        key, events, placements, certain = partial
        for absent in self.absent_held.get((stage_index, key), ()):
            between = _between(events[-1], placements[-1], absent, None, self.day_zone)
            if between is None:
                continue
            if between or self.certain_only:
                return None
            certain = False
        return (key, events, placements, certain)


def _between(
    before: Any, placed: dt.datetime, absent: Any, after: Any, day_zone: ZoneInput
) -> bool | None:
    """Whether ``absent`` lies between ``before`` (placed at ``placed``) and ``after``
    (``None``: an event arriving once the stream has passed the end of ``absent``):
    ``True`` when certainly, ``False`` when it may, ``None`` when it cannot. The rules of
    :func:`follow`, for the chain ``before``, ``absent``, ``after``; an event that
    arrives later in ``(occurred_at, position)`` order never certainly precedes
    another, an exact event is never preceded by one arriving after it (it is never held
    open), an event never lies after itself, and an event that is both the absence and
    ``after`` is not between: it is the step after (``a, no b, then b`` is completed by
    the first b)."""
    if absent.position == before.position:
        return None
    if absent.precision == "exact" and _order(absent) < _order(before):
        return None  # an exact event is never open to one arriving after it
    first = follow(before, placed, absent, day_zone=day_zone)
    if first is None:
        return None
    sure = first[1] and _order(before) < _order(absent)
    if after is None:
        return sure
    if after.position == absent.position:
        return None  # the step after is not between the steps
    if after.precision == "exact" and _order(after) < _order(absent):
        return None
    second = follow(absent, first[0], after, day_zone=day_zone)
    if second is None:
        return None
    return sure and second[1] and _order(absent) < _order(after)


_Pending = tuple[Hashable, tuple[Any, ...], tuple[dt.datetime, ...], bool]
"""A partial match inside the matcher: key, events, placements, whether the order is
certain (a :class:`Partial` once reported)."""

_Keys = Callable[[Any], Sequence[Hashable]]
_Plan = tuple[
    list[tuple[int, Where, _Keys, bool]],
    list[tuple[int, Where, _Keys]],
    list[tuple[int, Where, _Keys]],
]


def _key_function(key: tuple[str, ...]) -> _Keys:
    """:func:`key_values` for ``key``, as a function; a plain field as an attribute read."""
    if key == ("targets",):
        return attrgetter("targets")  # several, each on its own
    if len(key) == 1 and key[0] in ("incident", "actor", "type", "precision"):
        read = attrgetter(key[0])  # text, never missing
        return lambda event: (read(event),)
    return lambda event: key_values(event, key)


def _newer(events: tuple[Any, ...], other: tuple[Any, ...]) -> bool:
    """:meth:`Partial.newer_than` on the events of two partial matches."""
    for mine, theirs in zip(reversed(events), reversed(other), strict=False):
        if mine is not theirs:
            ours, its = (mine.occurred_at, mine.position), (theirs.occurred_at, theirs.position)
            if ours != its:
                return ours > its
    return len(events) > len(other)


def _check_steps(steps: Iterable[Step]) -> list[Step]:
    if isinstance(steps, Step):
        raise InvalidEventError("steps", "expected a list of steps, got one Step")
    checked = list(steps)
    for i, step in enumerate(checked):
        if not isinstance(step, Step):
            raise InvalidEventError(f"steps[{i}]", f"expected a timeline.Step, got {step!r}")
    if not any(not s.absent for s in checked):
        raise InvalidEventError("steps", "a sequence needs at least one step that is not absent")
    if checked[0].absent or checked[-1].absent:
        raise InvalidEventError(
            "steps", "an absent step stands between two steps, not first or last"
        )
    if checked[0].max_gap is not None:
        raise InvalidEventError("steps[0].max_gap", "the first step has no step before it")
    return checked


__all__ = [
    "GapStats",
    "Match",
    "Matcher",
    "Matches",
    "Partial",
    "SequenceReport",
    "Step",
    "check_where",
    "fits",
    "follow",
    "keeps_limits",
    "key_values",
]
