"""One view of knowledge: every reader answers on a :class:`Basis` fixed once.

A basis is what an answer rests on: every event up to a position (what the store had
recorded by ``known_at``) whose claim was public by ``reported_by``. :meth:`Timeline.as_of
<timeline.Timeline.as_of>` fixes it once and returns a :class:`View` whose readers
(``events``, ``get``, ``state``, ``states``, ``history``, ``sequence``, ``revisions``,
``chart``) all answer on it; the ``Timeline`` readers are one-line calls of a view. Every
answer carries its basis (``.basis``), so a caller can ask again on the same knowledge
(``tl.as_of(answer.basis)``) and cite it.

This module composes the store (which rows) and the rules of time in :mod:`timeline.fold`
(what they mean); it writes no SQL and decides no rule of its own.
"""

from __future__ import annotations

import builtins
import datetime as dt
import difflib
import hashlib
import heapq
import itertools
import logging
import operator
import os
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import attrs
import sqlalchemy as sa

from timeline import store as _store
from timeline.errors import (
    InvalidEventError,
    LockTimeoutError,
    NotFoundError,
    TimelineError,
    TimelineWarning,
    caller_stacklevel,
)
from timeline.events import (
    RecordedEvent,
    canonical_json,
    check_id,
    check_name,
    check_path,
    check_type_name,
)
from timeline.fold import (
    Bound,
    HistoryEntry,
    Key,
    Replay,
    State,
    by_root,
    fold,
    involved,
    key,
    reported_by,
    resolve_stream,
    standing_corrections,
    standing_form,
    timing,
    withdrawn_in_doubt,
)
from timeline.sequences import (
    MATCHES_PAGE,
    Match,
    Matcher,
    Matches,
    MatchRow,
    Partial,
    SequenceReport,
    Step,
    Where,
    check_where,
    fits,
)
from timeline.store import EventFilter, Snapshot
from timeline.times import UTC, ZoneInput, bound_text, in_window, isoformat, zone_name

if TYPE_CHECKING:
    from timeline.api import Timeline
    from timeline.chart import Chart

_log = logging.getLogger("timeline")

TimeInput = dt.datetime | dt.date | str


@attrs.frozen
class Basis:
    """The knowledge an answer rests on: events up to ``position``, reported by
    ``reported_by``.

    - ``position``: every event recorded at or below it, none above (positions never
      change, so the same basis always gives the same answer);
    - ``known_at``: the bound on recorded time that chose the position, as
      ``(moment, inclusive)`` (a date is its end, exclusive); ``None``: everything
      recorded when the basis was fixed. A bound later than the store's clock is the
      present: it is kept as that clock, inclusive;
    - ``reported_by``: the bound on reported time, likewise; ``None``: no bound;
    - ``day_zone``: the zone whose days the bounds' dates were (not compared: the same
      knowledge is the same basis), for the words of ``str(basis)``.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s",
        ...               reported_at="2017-06-17")
        >>> basis = tl.state("Syria", reported_by="2017-06-18").basis
        >>> (basis.position, str(basis))
        (1, 'position 1, reported by the end of 2017-06-18 (UTC)')
        >>> basis.reported_by
        (datetime.datetime(2017, 6, 19, 0, 0, tzinfo=datetime.timezone.utc), False)
    """

    position: int
    known_at: Bound | None = None
    reported_by: Bound | None = None
    day_zone: dt.tzinfo = attrs.field(default=UTC, eq=False, repr=False)

    def __str__(self) -> str:
        parts = [f"position {self.position}"]
        if self.known_at is not None:
            parts.append(f"recorded {bound_text(self.known_at, self.day_zone)}")
        if self.reported_by is not None:
            parts.append(f"reported {bound_text(self.reported_by, self.day_zone)}")
        return ", ".join(parts)


class Events(Iterator[RecordedEvent]):
    """The lazy answer of :meth:`View.events`: an iterator of events with its ``basis``.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s")
        >>> found = tl.events()
        >>> ([e.type for e in found], found.basis.position)
        (['truce'], 1)
    """

    def __init__(self, events: Iterator[RecordedEvent], basis: Basis) -> None:
        self._events = events
        self._ahead: list[RecordedEvent] = []  # the event __bool__ read ahead, if any
        self.basis = basis

    def __iter__(self) -> Events:
        return self

    def __next__(self) -> RecordedEvent:
        if self._ahead:
            return self._ahead.pop()
        return next(self._events)

    def __bool__(self) -> bool:
        """Whether an event is left to read (it reads one ahead, and keeps it), so that
        ``if tl.events(actor="UK"):`` means what it says: an iterator is true even when
        nothing is left in it.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s")
            >>> bool(tl.events(actor="UK")), bool(found := tl.events()), len(list(found))
            (False, True, 1)
        """
        if not self._ahead:
            try:
                self._ahead.append(next(self._events))
            except StopIteration:
                return False
        return True

    def to_pandas(self) -> Any:
        """Return the events not yet read as a pandas DataFrame, one row each, columns
        :data:`timeline.frames.EVENT_COLUMNS` (needs the ``pandas`` extra). It holds
        them all: narrow a large store first.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s")
            >>> tl.events().to_pandas()[["type", "actor", "occurred_at"]].values.tolist()
            [['truce', 'Syria', Timestamp('2017-06-17 00:00:00+0000', tz='UTC')]]
        """
        from timeline.frames import events_frame

        return events_frame(self)

    def write(self, file: IO[str], *, format: str = "jsonl") -> int:
        """Write the events not yet read to an open text file as JSON Lines or CSV
        (``format``, one of :data:`timeline.io.FORMATS`), with the fields the store
        assigned (what ``timeline events --format`` prints); return how many.

        Example:
            >>> import io, timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s")
            >>> out = io.StringIO()
            >>> tl.events().write(out, format="csv")
            1
            >>> out.getvalue().splitlines()[0].split(",")[:3]
            ['id', 'incident', 'type']
        """
        from timeline import io as _io

        writer = _io.write_csv if _io.file_format("", format) == "csv" else _io.write_jsonl
        return writer(self, file, stored=True)


class History(builtins.list[HistoryEntry]):
    """The answer of :meth:`View.history`: a list of changes, with its ``basis``."""

    basis: Basis

    def __init__(self, entries: Iterable[HistoryEntry], basis: Basis) -> None:
        super().__init__(entries)
        self.basis = basis

    def to_pandas(self) -> Any:
        """Return the changes as a pandas DataFrame, one row each, columns
        :data:`timeline.frames.HISTORY_COLUMNS` (needs the ``pandas`` extra).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("suspension", "Russia", "2017-06-19", incident="s",
            ...               effects={"Russia": {"cooperation.US": "suspended"}})
            >>> tl.history("Russia").to_pandas()[["attribute", "new"]].values.tolist()
            [['cooperation.US', 'suspended']]
        """
        from timeline.frames import history_frame

        return history_frame(self)


class States(dict[str, State]):
    """The answer of :meth:`View.states`: ``{actor: State}``, sorted by actor, with its
    ``basis``.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s", targets=["rebels"])
        >>> found = tl.states()
        >>> (sorted(found), found.basis.position)
        (['Syria', 'rebels'], 1)
    """

    basis: Basis

    def __init__(self, states: Iterable[tuple[str, State]], basis: Basis) -> None:
        super().__init__(states)
        self.basis = basis

    def to_pandas(self) -> Any:
        """Return the states as a pandas DataFrame: one row per actor (the index), one
        column per attribute path (needs the ``pandas`` extra).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("suspension", "Russia", "2017-06-19", incident="s",
            ...               effects={"Russia": {"cooperation.US": "suspended"}})
            >>> tl.states().to_pandas().loc["Russia", "cooperation.US"]
            'suspended'
        """
        from timeline.frames import states_frame

        return states_frame(self)


@attrs.frozen
class Revision:
    """One form a claim took: the change that made it, and the claim as it then stood.

    - ``change``: ``"recorded"`` (the original), ``"corrected"``, ``"correction
      retracted"`` (the form goes back to the correction before it, or the original) or
      ``"retracted"``;
    - ``event``: the claim as it stood after the change (corrected fields applied;
      ``None`` once retracted);
    - ``by``: the stored event that made the change, whose ``reported`` and
      ``recorded_at`` say when it became public and when the store learned it.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("casualties", "US", "2020-01-08", incident="s",
        ...               data={"injured": 0}, reported_at="2020-01-08")
        >>> _ = tl.correct(e.id, data={"injured": 11}, reported_at="2020-01-16")
        >>> [(r.change, r.event.data["injured"], r.reported[0].day) for r in tl.revisions(e.id)]
        [('recorded', 0, 8), ('corrected', 11, 16)]
    """

    change: str
    event: RecordedEvent | None
    by: RecordedEvent

    @property
    def reported(self) -> tuple[dt.datetime, str]:
        """When the change became public, ``(start, precision)``."""
        return self.by.reported

    @property
    def recorded_at(self) -> dt.datetime:
        """When the store learned of the change."""
        return self.by.recorded_at


class Revisions(builtins.list[Revision]):
    """The answer of :meth:`View.revisions`: a list of revisions, with its ``basis``."""

    basis: Basis

    def __init__(self, revisions: Iterable[Revision], basis: Basis) -> None:
        super().__init__(revisions)
        self.basis = basis


@attrs.frozen
class Summary:
    """One name in the store: an actor, an incident or a type, with how many recorded
    events name it and when the earliest and the latest of them occurred (their
    ``occurred_at``, as recorded; corrections and retractions are not counted).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="daraa")
        >>> _ = tl.record("strike", "US", "2017-06-18", incident="daraa", targets=["Syria"])
        >>> [(s.name, s.events, s.first.day, s.last.day) for s in tl.actors()]
        [('Syria', 2, 17, 18), ('US', 1, 18, 18)]
    """

    name: str
    events: int
    first: dt.datetime
    last: dt.datetime


class Summaries(builtins.list[Summary]):
    """The answer of :meth:`View.actors`, :meth:`View.incidents` and :meth:`View.types`:
    a list of :class:`Summary`, sorted by name, with its ``basis``.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="daraa")
        >>> found = tl.incidents()
        >>> (found.names(), found.basis.position)
        (['daraa'], 1)
    """

    basis: Basis

    def __init__(self, entries: Iterable[Summary], basis: Basis) -> None:
        super().__init__(entries)
        self.basis = basis

    def to_pandas(self) -> Any:
        """Return the names as a pandas DataFrame, columns ``name``, ``events``,
        ``first``, ``last`` (needs the ``pandas`` extra).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="daraa")
            >>> tl.incidents().to_pandas()[["name", "events"]].values.tolist()
            [['daraa', 1]]
        """
        from timeline.frames import summaries_frame

        return summaries_frame(self)

    def names(self) -> list[str]:
        """The names alone, in order.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="daraa")
            >>> tl.types().names()
            ['truce']
        """
        return [s.name for s in self]


_BY_POSITION = operator.attrgetter("position")
"""Commit order: the order of :meth:`View.events`, corrected events included."""


@attrs.frozen
class Knowledge:
    """The mending a basis knows: corrections and retractions (``meta``), the events they
    mend (``roots``), and every mending event recorded by the basis's position
    (``history``), which says what each correction changed."""

    meta: list[RecordedEvent]
    roots: dict[uuid.UUID, RecordedEvent]
    history: list[RecordedEvent]

    def stream(self, originals: Iterable[Any], **options: Any) -> Iterator[Any]:
        """Stream ``originals`` as they stand on this knowledge (see
        :func:`~timeline.fold.resolve_stream`)."""
        return resolve_stream(originals, self.meta, self.roots, history=self.history, **options)

    def stream_in_doubt(
        self,
        originals: Iterable[Any],
        bound: Bound | None,
        *,
        day_zone: ZoneInput = None,
        after: Key | None = None,
        **options: Any,
    ) -> tuple[Iterator[Any], frozenset[int]]:
        """Stream ``originals`` as :meth:`stream` does, with the events withdrawn in doubt
        on the reported ``bound`` (:func:`~timeline.fold.withdrawn_in_doubt`) merged in
        where they would stand; return the stream and those events' positions, which a
        fold takes as uncertain without applying them."""
        stream = self.stream(originals, after=after, **options)
        doubtful = withdrawn_in_doubt(
            self.meta, self.roots, bound, history=self.history, day_zone=day_zone
        )
        if after is not None:
            doubtful = [e for e in doubtful if key(e) > after]
        if not doubtful:
            return stream, frozenset()
        return heapq.merge(stream, doubtful, key=key), frozenset(e.position for e in doubtful)


class View:
    """The readers of a timeline, all answering on one :class:`Basis`.

    Get one from :meth:`Timeline.as_of <timeline.Timeline.as_of>`. Reads made through
    the same view agree with each other whatever is appended meanwhile.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("casualties", "US", "2020-01-08", incident="iran-2020",
        ...               effects={"US": {"injured": 0}}, reported_at="2020-01-08")
        >>> _ = tl.correct(e.id, effects={"US": {"injured": 11}}, reported_at="2020-01-16")
        >>> then = tl.as_of(reported_by="2020-01-12")
        >>> then.state("US")["injured"], tl.as_of().state("US")["injured"]
        (0, 11)
    """

    def __init__(self, timeline: Timeline, basis: Basis, *, present: bool = False) -> None:
        self._timeline = timeline
        self._store = timeline._store
        self.basis = basis
        self._zone = timeline.day_zone
        # present: the basis is everything recorded, its position fixed by the first read
        # of the knowledge (with the mending, one statement); for a view that gives one
        # answer (Timeline.state), never one a caller holds
        self._present = present

    def __repr__(self) -> str:
        return f"<View {self.basis}>"

    # -- the events --------------------------------------------------------------------

    def events(
        self,
        *,
        incident: str | None = None,
        actor: str | None = None,
        type: str | Iterable[str] | None = None,
        since: TimeInput | None = None,
        until: TimeInput | None = None,
        after_position: int = 0,
        limit: int | None = None,
        page_size: int = _store.DEFAULT_PAGE_SIZE,
        current: bool = False,
        wholly_within: bool = False,
        where: Where = None,
    ) -> Events:
        """Yield the events of the basis in position (commit) order, filtered, lazily.

        See :meth:`Timeline.events <timeline.Timeline.events>` for the filters. With
        ``current=True`` the events are listed as they stand on the basis: corrected
        fields applied (each names the corrections that stand in ``corrected_by``),
        retracted events and the corrections and retractions themselves left out, and
        the filters applied to the corrected fields.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> e = tl.record("missile_strike", "Iran", "2020-01-08", incident="s")
            >>> fix = tl.correct(e.id, occurred_at="2020-01-08T01:34+03:30")
            >>> [(x.type, x.precision) for x in tl.as_of().events()]
            [('missile_strike', 'day'), ('missile_strike', 'minute')]
            >>> [(x.precision, x.corrected_by == (fix.id,))
            ...  for x in tl.as_of().events(current=True)]
            [('minute', True)]
        """
        self._warn_known_before_any()
        since_start, until_bound = self._timeline._window(since, until)
        window = _Window(since_start, until_bound, bool(wholly_within), self._zone)
        condition = check_where(where)
        query = EventFilter(
            incident=None if incident is None else check_name(incident, field="incident"),
            actor=None if actor is None else check_name(actor, field="actor"),
            types=None if type is None else _type_names(type),
            occurred_from=since_start if wholly_within else None,
            reaching=None if wholly_within else since_start,
            occurred_to=until_bound,
            known_position=self.basis.position,
            reported_to=self.basis.reported_by,
            after_position=non_negative(after_position, "after_position"),
        )
        if limit is not None:
            limit = non_negative(limit, "limit")
        if non_negative(page_size, "page_size") == 0:
            raise InvalidEventError("page_size", "must be at least 1")
        names = [("actor", query.actor), ("incident", query.incident)]
        names += [("type", name) for name in query.types or ()]
        # an actor's empty answer under a reported bound says what the bound left out
        unreported = (
            query if query.actor is not None and query.reported_to and condition is None else None
        )
        if current:
            found = self._current_events(query, window, page_size)
        elif window.exact_in_sql and condition is None:
            found = self._store.read(query, limit=limit, page_size=page_size)
            return Events(self._said_if_none(found, names, unreported, window), self.basis)
        else:  # the query selects by start; where each event ends is decided here
            found = (e for e in self._store.read(query, page_size=page_size) if window.holds(e))
        if condition is not None:  # on the fields as listed (corrected, with current)
            found = (e for e in found if fits(e, condition))
        if limit is not None:
            found = itertools.islice(found, limit)
        return Events(self._said_if_none(found, names, unreported, window), self.basis)

    def _said_if_none(
        self,
        found: Iterator[RecordedEvent],
        names: list[tuple[str, str | None]],
        unreported: EventFilter | None = None,
        window: _Window | None = None,
    ) -> Iterator[RecordedEvent]:
        """Yield ``found``; if it held no event, warn for each name asked (an actor, an
        incident, a type) that no stored event has, naming the closest ones, and for an
        actor's events that ``unreported``'s bound on reported time left out only for
        want of a reported time. An answer with events costs nothing more."""
        empty = True
        for event in found:
            empty = False
            yield event
        if empty:
            for kind, name in names:
                if name is not None:
                    self._warn_unknown(kind, name)
            if unreported is not None:
                self._warn_unreported(unreported, window=window)

    def _current_events(
        self, where: EventFilter, window: _Window, page_size: int
    ) -> Iterator[RecordedEvent]:
        with self._store.session() as conn:
            known = self._knowledge(conn, where.actor)
        # Corrections can change the type, the time and the actors named: those filters
        # apply to the corrected event, the others (incident, positions) to the stored
        # one. The actor index names an event under its stored actors only, so an event
        # corrected to name the actor is reached through its correction (``known``
        # holds the events an actor's corrections mend) and merged in at its position.
        stored = attrs.evolve(
            where, types=None, occurred_from=None, reaching=None, occurred_to=None
        )
        roots = {
            root_id: root
            for root_id, root in known.roots.items()
            if root.position > where.after_position
            and (where.incident is None or root.incident == where.incident)
        }
        originals = (
            e
            for e in self._store.read(stored, page_size=page_size)
            if e.corrects is None and e.retracts is None
        )
        in_order = resolve_stream(
            originals, known.meta, roots, history=known.history, order=_BY_POSITION
        )
        for event in in_order:
            if where.types is not None and event.type not in where.types:
                continue
            if where.actor is not None and where.actor not in involved(event):
                continue
            if window.holds(event):
                yield event

    def get(self, event_id: uuid.UUID | str) -> RecordedEvent:
        """Return the stored event with this id, saying how it stands on the basis.

        The event is returned as recorded; ``corrected_by`` names the corrections of it
        that stand (the newest gives its current fields) and ``retracted_by`` the
        retraction that withdrew it, if any.

        Raises:
            NotFoundError: no event has this id on this basis.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> e = tl.record("truce", "Syria", "2017-06-17", incident="s")
            >>> r = tl.retract(e.id, "no truce was declared")
            >>> tl.get(e.id).retracted_by == r.id
            True
        """
        event_id = check_id(event_id, field="event_id")
        found = self._store.get(event_id)
        if found is None or not self._knows(found):
            raise NotFoundError(f"event_id: no event {event_id} is stored{self._on_basis()}")
        mending = [e for e in self._store.mending_of(event_id) if self._knows(e)]
        if found.corrects is None and found.retracts is None:
            below = self._store.mending_of_many([e.id for e in mending if e.corrects is not None])
            mending += [e for e in below if self._knows(e)]
            standing = standing_corrections(mending).get(event_id, [])
            corrected_by = tuple(f.id for f in standing)
        else:
            corrected_by = ()
        withdrawn = [e.id for e in mending if e.retracts == event_id]
        return attrs.evolve(
            found,
            corrected_by=corrected_by,
            retracted_by=withdrawn[0] if withdrawn else None,
        )

    def revisions(self, event_id: uuid.UUID | str) -> Revisions:
        """Return every form a claim took on the basis, in the order they were reported.

        The id may be the event's or one of its corrections'. The first revision is
        the event as recorded; each correction, retraction of a correction, or
        retraction of the event adds one, with when it was reported and recorded
        (``revision.reported``, ``revision.recorded_at``) and the claim as a reader
        whose ``reported_by`` bound reaches it would see it (``revision.event``).
        Changes are ordered by reported time, then position.

        Raises:
            NotFoundError: no such event on this basis.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> e = tl.record("casualties", "US", "2020-01-08", incident="s",
            ...               data={"injured": 0})
            >>> _ = tl.correct(e.id, data={"injured": 11})
            >>> [(r.change, r.event.data) for r in tl.revisions(e.id)]
            [('recorded', {'injured': 0}), ('corrected', {'injured': 11})]
        """
        asked = self.get(event_id)
        root = asked
        if asked.corrects is not None or asked.retracts is not None:
            root = self.get(asked.corrects or asked.retracts)  # type: ignore[arg-type]
            if root.corrects is not None:  # a retraction of a correction
                root = self.get(root.corrects)
        # what each correction changed is read from every mending event recorded by the
        # basis's position, known on it or not (as state() and events() read it)
        recorded = [e for e in self._store.mending_of(root.id) if e.position <= self.basis.position]
        below = [
            e
            for e in self._store.mending_of_many([e.id for e in recorded if e.corrects is not None])
            if e.position <= self.basis.position
        ]
        history = [*recorded, *below]
        first = [e for e in recorded if self._knows(e)]
        fixes = {e.id for e in first if e.corrects is not None}
        mending = sorted(
            [*first, *(e for e in below if e.retracts in fixes and self._knows(e))],
            key=lambda e: (e.reported[0], e.position),
        )
        plain = attrs.evolve(root, corrected_by=(), retracted_by=None)
        revisions = [Revision("recorded", plain, root)]
        seen: list[RecordedEvent] = []
        for change in mending:
            seen.append(change)
            if change.corrects is not None:
                kind = "corrected"
            elif change.retracts == root.id:
                kind = "retracted"
            else:
                kind = "correction retracted"
            revisions.append(Revision(kind, standing_form(plain, seen, history=history), change))
        return Revisions(revisions, self.basis)

    # -- what is in the store ---------------------------------------------------------

    def actors(self) -> Summaries:
        """Return every actor the basis's events name (as actor, target or in effects),
        with how many events name it and when the first and last of them occurred.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("strike", "US", "2017-06-18", incident="s", targets=["Syria"])
            >>> [(s.name, s.events) for s in tl.as_of().actors()]
            [('Syria', 1), ('US', 1)]
        """
        return self._tally("actor")

    def incidents(self) -> Summaries:
        """Return every incident of the basis, with its count of events (corrections and
        retractions not counted) and when the first and last of them occurred.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("strike", "US", "2017-06-18", incident="s")
            >>> [(s.name, s.events) for s in tl.as_of().incidents()]
            [('s', 1)]
        """
        return self._tally("incident")

    def types(self) -> Summaries:
        """Return every event type of the basis, with its count of events and when the
        first and last of them occurred.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("strike", "US", "2017-06-18", incident="s")
            >>> [(s.name, s.events) for s in tl.as_of().types()]
            [('strike', 1)]
        """
        return self._tally("type")

    def _tally(self, by: str) -> Summaries:
        rows = self._store.tally(
            by, known_position=self.basis.position, reported_to=self.basis.reported_by
        )
        return Summaries((Summary(*row) for row in rows), self.basis)

    # -- state -------------------------------------------------------------------------

    def state(self, actor: str, *, at: TimeInput | None = None) -> State:
        """Return ``actor``'s attributes at ``at`` on the basis (see
        :meth:`Timeline.state <timeline.Timeline.state>` for the rules of time).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident="s",
            ...               effects={"Russia": {"cooperation.US": "suspended"}},
            ...               reported_at="2017-06-19")
            >>> tl.as_of(reported_by="2017-06-18").state("Russia").get("cooperation.US")
            >>> tl.as_of(reported_by="2017-06-19").state("Russia")["cooperation.US"]
            'suspended'
        """
        self._warn_known_before_any()
        actor = check_name(actor, field="actor")
        at_bound, _ = self._timeline._moment(at, "at")
        folder = self._timeline._folder
        fingerprint = self._snapshot_key()
        checkpoints: list[Replay] = []
        # the default fold reads a few fields; a custom function gets the event whole
        whole = bool(folder.functions)
        # every read below is bounded by the position the first one fixes
        with self._store.session(brief=True) as conn:
            if fingerprint is not None and not self._store.snapshot_rights(conn)[0]:
                fingerprint = None  # a role without SELECT on the snapshots: none used
            # one statement: the basis's position and mending, the snapshots, and the
            # events after the newest snapshot (used when the fold starts there)
            begun = self._store.fold_start(
                actor,
                known_position=None if self._present else self.basis.position,
                fingerprint=fingerprint,
                occurred_to=at_bound,
                reported_to=self.basis.reported_by,
                page=not whole,
                conn=conn,
            )
            known = self._knowledge(conn, actor, begun=(begun.newest, begun.mending))
            # the statement read the newest snapshot; the next ones only if it is refused
            older = (
                None
                if fingerprint is None or begun.after is None
                else lambda: self._store.snapshots_for(
                    actor, fingerprint, through=at_bound, conn=conn
                )
            )
            start, after = self._snapshot_start(
                actor, fingerprint, begun.snapshots, conn, older=older
            )
            originals = self._store.in_valid_time(
                known_position=self.basis.position,
                actor=actor,
                occurred_to=at_bound,
                reported_to=self.basis.reported_by,
                after=after,
                whole=whole,
                first=begun.page if after == begun.after else None,
                conn=conn,
            )
            stream, withdrawn = known.stream_in_doubt(
                originals,
                self.basis.reported_by,
                day_zone=self._zone,
                after=after,
                by_position=True,
            )
            replay = fold(
                actor,
                stream,
                at=at_bound,
                folder=folder,
                start=start,
                checkpoint_every=None if fingerprint is None else self._timeline.snapshot_interval,
                on_checkpoint=checkpoints.append,
                unsure=self._unsure(known),
                withdrawn=withdrawn,
                day_zone=self._zone,
            )
            self._warn_unreported(EventFilter(actor=actor, occurred_to=at_bound), conn=conn)
        if fingerprint is not None and checkpoints:
            self._save_snapshots(actor, fingerprint, checkpoints)
        if replay.events_applied == 0:
            self._warn_unknown("actor", actor)
        elif replay.changes == 0 and not replay.problems:
            self._warn_no_templates(actor, replay.events_applied)
        return State(replay, at=at_bound, known_at=self.basis.known_at, basis=self.basis)

    def states(self, *, at: TimeInput | None = None) -> States:
        """Return the state of every actor at once on the basis, in one pass.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident="s",
            ...               targets=["US"], effects={"Russia": {"cooperation.US": "suspended"}})
            >>> sorted(tl.as_of().states(at="2017-06-19"))
            ['Russia', 'US']
        """
        self._warn_known_before_any()
        at_bound, _ = self._timeline._moment(at, "at")
        folder = self._timeline._folder
        replays: dict[str, Replay] = {}
        with self._store.session() as conn:
            known = self._knowledge(conn, None)
            unsure = self._unsure(known)
            originals = self._store.in_valid_time(
                known_position=self.basis.position,
                occurred_to=at_bound,
                reported_to=self.basis.reported_by,
                # as state(): the default fold reads a few fields (about 40 % of the CPU
                # of states() at 200,000 events went to decoding whole events)
                whole=bool(folder.functions),
                conn=conn,
            )
            stream, withdrawn = known.stream_in_doubt(
                originals, self.basis.reported_by, day_zone=self._zone
            )
            for event in stream:
                when = timing(event, at_bound, day_zone=self._zone)
                if when == "later":
                    break
                if withdrawn and event.position in withdrawn:
                    for name in involved(event):
                        replays.setdefault(name, Replay(name)).doubt(event, folder)
                    continue
                doubt = when == "uncertain" or (unsure is not None and unsure(event))
                for name in involved(event):
                    replay = replays.setdefault(name, Replay(name))
                    replay.advance(event, folder, doubt, self._zone)
        known_at = self.basis.known_at
        return States(
            (
                (name, State(replays[name], at=at_bound, known_at=known_at, basis=self.basis))
                for name in sorted(replays)
            ),
            self.basis,
        )

    def history(
        self,
        actor: str,
        attribute: str | None = None,
        *,
        since: TimeInput | None = None,
        until: TimeInput | None = None,
    ) -> History:
        """Return each change of ``actor``'s attributes on the basis, in valid-time order
        (see :meth:`Timeline.history <timeline.Timeline.history>`).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident="s",
            ...               effects={"Russia": {"cooperation.US": "suspended"}})
            >>> [(h.attribute, h.new) for h in tl.as_of().history("Russia")]
            [('cooperation.US', 'suspended')]
        """
        self._warn_known_before_any()
        return self._history(actor, attribute, since=since, until=until, warn=True)

    def _history(
        self,
        actor: str,
        attribute: str | None,
        *,
        since: TimeInput | None,
        until: TimeInput | None,
        warn: bool,
    ) -> History:
        """:meth:`history`; ``warn=False`` leaves an empty answer unexplained (the chart
        asks every lane for each band, and says once when a band is on none)."""
        actor = check_name(actor, field="actor")
        if attribute is not None and not (isinstance(attribute, str) and attribute):
            raise InvalidEventError("attribute", "expected a non-empty attribute path")
        if attribute is not None:
            attribute = check_path(attribute, field="attribute")
        since_start, until_bound = self._timeline._window(since, until)
        folder = self._timeline._folder
        entries: list[HistoryEntry] = []
        with self._store.session() as conn:
            known = self._knowledge(conn, actor)
            unsure = self._unsure(known)
            originals = self._store.in_valid_time(
                known_position=self.basis.position,
                actor=actor,
                occurred_to=until_bound,
                reported_to=self.basis.reported_by,
                conn=conn,
            )
            replay = Replay(actor)
            changed: set[str] = set()  # every path changed, to say so when none is asked
            for event in known.stream(originals):
                if actor not in involved(event):
                    continue
                when = timing(event, until_bound, day_zone=self._zone)
                if when == "later":
                    break
                doubt = when == "uncertain" or (unsure is not None and unsure(event))
                for change in replay.step(event, folder, uncertain=doubt, day_zone=self._zone):
                    changed.add(change.attribute)
                    if attribute is not None and not (
                        change.attribute == attribute
                        or change.attribute.startswith(attribute + ".")
                    ):
                        continue
                    if since_start is not None and not in_window(
                        event.occurred_at, event.precision, since_start, None, day_zone=self._zone
                    ):
                        continue  # over before the window: by overlap, as events() reads it
                    entries.append(
                        HistoryEntry(
                            when=event.occurred_at,
                            precision=event.precision,
                            attribute=change.attribute,
                            old=change.old,
                            new=change.new,
                            event=event,
                        )
                    )
            if warn:
                self._warn_unreported(EventFilter(actor=actor, occurred_to=until_bound), conn=conn)
        if warn and not entries:
            if replay.events_applied == 0:
                self._warn_unknown("actor", actor)
            elif not changed and not replay.problems:
                self._warn_no_templates(actor, replay.events_applied)
            elif attribute is not None:
                self._warn_no_attribute(actor, attribute, changed)
        return History(entries, self.basis)

    # -- sequences ---------------------------------------------------------------------

    def sequence(
        self,
        steps: Sequence[Step],
        *,
        by: str | tuple[str, ...] | None = None,
        within: dt.timedelta | str | None = None,
        until: Step | None = None,
        certain_only: bool = False,
    ) -> SequenceReport:
        """Find every "A, then B, then C" among the events of the basis (see
        :meth:`Timeline.sequence <timeline.Timeline.sequence>`).

        A match that holds a claim whose reported time straddles the basis's
        ``reported_by`` bound is kept with ``order_certain=False`` (with
        ``certain_only`` such claims fill no step, but still act as ``until`` or an
        absence).

        Example:
            >>> import timeline
            >>> from timeline import Step
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="s",
            ...               reported_at="2017-06-18")
            >>> _ = tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s",
            ...               reported_at="2017-06-20")
            >>> steps = [Step("shootdown"), Step("aircraft_repositioned")]
            >>> len(tl.as_of(reported_by="2017-06-19").sequence(steps).matches)
            0
        """
        self._warn_known_before_any()
        matcher = Matcher(
            steps,
            by=by,
            within=within,
            until=until,
            certain_only=certain_only,
            day_zone=self._zone,
        )
        asked = [(f"steps[{i}].type", t) for i, s in enumerate(matcher.steps) for t in s.types]
        if until is not None:
            asked += [("until.type", t) for t in until.types]
        for field, name in asked:
            self._warn_unknown("type", name, field=field)
        reported = self.basis.reported_by
        with self._store.session() as conn:
            known = self._knowledge(conn, None)
            unsure = self._unsure(known)
            if matcher.needs_whole_events:
                originals: Iterable[Any] = self._store.in_valid_time(
                    known_position=self.basis.position,
                    types=matcher.types,
                    reported_to=reported,
                    conn=conn,
                )
            else:
                originals = self._store.glimpses(
                    known_position=self.basis.position,
                    types=matcher.types,
                    with_data=matcher.needs_data,
                    with_incident=matcher.needs_incident,
                    reported_to=reported,
                    conn=conn,
                )
            doubtful: set[int] = set()
            rows: list[MatchRow] = []
            types, feed = matcher.types, matcher.feed  # once per event of the scan
            for event in known.stream(originals, by_position=True):
                if event.type not in types:
                    continue
                if unsure is not None and unsure(event):
                    if certain_only:
                        # it may have been reported by then: it fills no step, but it
                        # still ends partial matches as until or an absence
                        feed(event, steps=False)
                        continue
                    doubtful.add(event.position)
                feed(event)
                if len(matcher.matches) >= MATCHES_PAGE:
                    rows += _compact(matcher.take_found(settled_only=True))
            rows += _compact(matcher.take_found())
            if doubtful:
                rows = [
                    (key, events, at, False)
                    if any(getattr(e, "position", e) in doubtful for e in events)
                    else (key, events, at, sure)
                    for key, events, at, sure in rows
                ]
            report = _whole(matcher.report(known_at=self.basis.known_at), self._store, conn)
            if doubtful:  # partial matches are flagged as the matches they would become
                report = attrs.evolve(
                    report,
                    partial=tuple(
                        attrs.evolve(p, order_certain=False)
                        if any(e.position in doubtful for e in p.events)
                        else p
                        for p in report.partial
                    ),
                )
            matches: Sequence[Match]
            if len(rows) <= MATCHES_PAGE:  # read whole now: a tuple, as the matcher gives
                matches = tuple(Matches(rows, lambda at: self._store.at_positions(at, conn=conn)))
            else:
                # held compactly; their events are read whole a page at a time, when the
                # matches are read (a million events may make tens of thousands), also
                # once the timeline is closed: the report is an answer, not a reader
                matches = Matches(rows, lambda at: self._store.at_positions(at, held=True))
        return attrs.evolve(report, matches=matches, basis=self.basis)

    # -- the picture -------------------------------------------------------------------

    def chart(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        actors: str | Iterable[str] | None = None,
        incident: str | None = None,
        since: TimeInput | None = None,
        until: TimeInput | None = None,
        bands: str | Iterable[str] = (),
        sequence: SequenceReport | None = None,
        title: str | None = None,
        format: str | None = None,
        width: int = 1200,
        max_marks: int = 400,
    ) -> Chart:
        """Draw the events of the basis (see :meth:`Timeline.chart
        <timeline.Timeline.chart>`); the bands' histories are read on the same basis,
        so one picture never mixes two states of knowledge.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s")
            >>> tl.as_of().chart(format="svg").count('class="event"')
            1
        """
        from timeline import chart as drawing

        kind = format
        if kind is None:
            suffix = ".html" if path is None else Path(path).suffix.lower()
            kind = {".html": "html", ".htm": "html", ".svg": "svg"}.get(suffix)
            if kind is None:
                raise InvalidEventError("path", f"{path}: a chart is written to .html or .svg")
        if kind not in ("html", "svg"):
            raise InvalidEventError("format", f"must be html or svg; got {kind!r}")
        if isinstance(actors, str):
            actors = [actors]
        lanes = None if actors is None else [check_name(a, field="actors") for a in actors]
        if incident is not None:
            incident = check_name(incident, field="incident")
        attributes = [bands] if isinstance(bands, str) else list(bands)
        for attribute in attributes:
            if not (isinstance(attribute, str) and attribute):
                raise InvalidEventError("bands", "expected non-empty attribute paths")
        if sequence is not None and not isinstance(sequence, SequenceReport):
            raise InvalidEventError("sequence", "expected a SequenceReport from sequence()")
        since_start, until_bound = self._timeline._window(since, until)
        window = _Window(since_start, until_bound, False, self._zone)
        wanted = None if lanes is None else set(lanes)
        with self._store.session() as conn:
            known = self._knowledge(conn, None)
            originals = self._store.in_valid_time(
                known_position=self.basis.position,
                occurred_to=until_bound,
                reported_to=self.basis.reported_by,
                conn=conn,
            )
            drawn = (
                event
                for event in known.stream(originals)
                if (incident is None or event.incident == incident)
                and window.holds(event)  # a correction may have moved it out
                and (wanted is None or wanted.intersection(involved(event)))
            )
            # read once, as a stream: the drawing keeps what it needs, not every event
            picture = drawing.Drawing(
                drawn,
                lanes=lanes,
                matches=() if sequence is None else sequence.matches,
                start=since_start,
                end=None if until_bound is None else until_bound[0],
                title=title or incident or "Timeline",
                width=width,
                max_marks=max_marks,
                day_zone=self._zone,
            )
        histories = {
            (actor, attribute): self._history(actor, attribute, since=None, until=until, warn=False)
            for attribute in attributes
            for actor in (lanes if lanes is not None else picture.lane_names)
        }
        band_actors = lanes if lanes is not None else picture.lane_names
        for attribute in attributes:
            if not any(histories[actor, attribute] for actor in band_actors):
                warnings.warn(
                    f"bands: no change of {', '.join(map(repr, band_actors)) or 'any actor'} "
                    f"is at or under {attribute!r}; the band is not drawn",
                    TimelineWarning,
                    stacklevel=caller_stacklevel(),
                )
        picture.add_bands({key: entries for key, entries in histories.items() if entries})
        text = picture.html() if kind == "html" else picture.svg()
        if path is not None:
            Path(path).write_text(text, encoding="utf-8")
        return drawing.Chart(text, kind)

    # -- answers that say why they are empty ----------------------------------------------

    def _warn_unknown(self, kind: str, name: str, *, field: str | None = None) -> None:
        """Warn when no stored event has this actor or type, naming the closest ones."""
        if self._store.has_name(kind, name):
            return
        what = {"actor": "names", "type": "has the type", "incident": "is in the incident"}[kind]
        hint = did_you_mean(name, self._store.names(kind))
        warnings.warn(
            f"{field or kind}: no event in the store {what} {name!r}{hint}",
            TimelineWarning,
            stacklevel=caller_stacklevel(),
        )

    def _warn_known_before_any(self) -> None:
        """Warn when the bound on recorded time falls before this store recorded
        anything: every answer on the basis is empty. Asking "what did we know on
        19 June 2017" of a store filled today as known_at is the easy mistake, and
        reported_by the question meant; an empty store has nothing to say."""
        if self.basis.known_at is None or self.basis.position != 0:
            return
        first = self._store.at_positions([1]).get(1)
        if first is None:
            return
        warnings.warn(
            f"known_at: this store had recorded nothing "
            f"{bound_text(self.basis.known_at, self._zone)}; its first event was recorded "
            f"on {isoformat(first.recorded_at)[:10]} (UTC), so nothing is known then. "
            "known_at asks what this store knew; to ask what had been reported by then, "
            "give reported_by (--reported-by)",
            TimelineWarning,
            stacklevel=caller_stacklevel(),
        )

    def _warn_no_templates(self, actor: str, applied: int) -> None:
        """Warn when events apply but none changes an attribute, and nothing is declared
        that would: the templates were probably forgotten."""
        folder = self._timeline._folder
        if folder.templates or folder.functions:
            return
        warnings.warn(
            f"templates: {applied} event{'' if applied == 1 else 's'} of {actor!r} "
            f"appl{'ies' if applied == 1 else 'y'} but none changes an attribute: "
            "no effects, and no templates are defined "
            "(Timeline.define; on the command line --templates FILE.json)",
            TimelineWarning,
            stacklevel=caller_stacklevel(),
        )

    def _warn_unreported(
        self,
        where: EventFilter,
        *,
        window: _Window | None = None,
        conn: sa.Connection | None = None,
    ) -> None:
        """Warn when the basis's bound on reported time left out events of ``where``'s
        actor (within ``window``) only because they were given no reported time: their
        recorded time (today, for a timeline written after the fact) stands for it,
        which is rarely what the question meant. Nothing to say without the bound."""
        if self.basis.reported_by is None or where.actor is None:
            return
        asked = attrs.evolve(
            where, known_position=self.basis.position, reported_to=self.basis.reported_by
        )
        if window is None:  # counted by the database
            count, earliest = self._store.unreported_count(asked, conn=conn)
        else:  # the window's rule is in Python: each event read
            recorded = [
                recorded
                for occurred, precision, recorded in self._store.unreported(asked, conn=conn)
                if window.contains(occurred, precision)
            ]
            count, earliest = len(recorded), min(recorded, default=None)
        if not count or earliest is None:
            return
        actor = where.actor
        one = count == 1
        first = isoformat(earliest)[:10]
        warnings.warn(
            f"reported_by: {count} event{'' if one else 's'} of {actor!r} "
            f"{'was' if one else 'were'} left out because {'it has' if one else 'they have'} "
            "no reported time: the recorded time stands for it, and "
            f"{'it was' if one else 'they were'} recorded after the bound "
            f"({bound_text(self.basis.reported_by, self._zone)}), "
            f"{'on' if one else 'the first on'} {first} (UTC); give reported_at (or the "
            "source's published_at) when recording, to ask what was public when",
            TimelineWarning,
            stacklevel=caller_stacklevel(),
        )

    def _warn_no_attribute(self, actor: str, attribute: str, changed: set[str]) -> None:
        """Warn when no change of the actor is at or under the attribute asked about."""
        if any(path == attribute or path.startswith(attribute + ".") for path in changed):
            return
        paths = {".".join(p.split(".")[: i + 1]) for p in changed for i in range(p.count(".") + 1)}
        warnings.warn(
            f"attribute: no change of {actor!r} is at or under {attribute!r}"
            f"{did_you_mean(attribute, paths)}",
            TimelineWarning,
            stacklevel=caller_stacklevel(),
        )

    # -- the knowledge of the basis ------------------------------------------------------

    def _knows(self, event: RecordedEvent) -> bool:
        """Whether the basis knows ``event``: recorded at or below its position, and
        reported by its bound (a claim whose reported interval straddles it counts)."""
        return event.position <= self.basis.position and (
            reported_by(event, self.basis.reported_by, day_zone=self._zone) != "later"
        )

    def _on_basis(self) -> str:
        if self.basis.known_at is None and self.basis.reported_by is None:
            return ""
        return f" on this basis ({self.basis})"

    def _knowledge(
        self,
        conn: sa.Connection,
        actor: str | None,
        *,
        begun: tuple[int, list[RecordedEvent]] | None = None,
    ) -> Knowledge:
        """The corrections and retractions the basis knows (of ``actor``), the events they
        mend that it knows too, and all those recorded by its position, known or not,
        which say what each correction changed. ``begun``: the newest position and the
        mending up to it (or up to the basis's position), read already
        (:meth:`Store.fold_start <timeline.store.Store.fold_start>`)."""
        if begun is not None:
            newest, found = begun
            if self._present:
                self.basis = attrs.evolve(self.basis, position=newest)
                self._present = False
        elif self._present:
            newest, found = self._store.newest_and_mending(actor=actor, conn=conn)
            self.basis = attrs.evolve(self.basis, position=newest)
            self._present = False
        else:
            found = self._store.mending(known_position=self.basis.position, actor=actor, conn=conn)
        position, bound = self.basis.position, self.basis.reported_by
        if actor is None:
            history = found
            meta = history if bound is None else [e for e in history if self._knows(e)]
        else:
            # The actor index names a mending event under the actors named up to it, not
            # under those a later correction brings in: read the events it reaches, then
            # every mending of each of them.
            named = found
            targets = self._store.get_many(
                (x for e in named for x in (e.corrects, e.retracts) if x is not None), conn=conn
            )
            reached = {t.corrects or t.id for t in targets.values()}
            history = self._store.mending_tree(reached, known_position=position, conn=conn)
            meta = [e for e in history if self._knows(e)]
        mended = (x for e in history for x in (e.corrects, e.retracts) if x is not None)
        roots = self._store.get_many(mended, conn=conn)
        if bound is not None:
            roots = {i: e for i, e in roots.items() if self._knows(e)}
        return Knowledge(meta, roots, history)

    def _unsure(self, known: Knowledge) -> Callable[[Any], bool] | None:
        """The test of a claim made uncertain by the reported bound: its own reported
        interval straddles the bound, or that of a correction that stands for it, or
        that of a retraction undoing one of its corrections."""
        bound = self.basis.reported_by
        if bound is None:
            return None
        shaped_late = {
            root
            for root, fixes in standing_corrections(known.meta).items()
            if any(reported_by(fix, bound, day_zone=self._zone) == "uncertain" for fix in fixes)
        }
        # so is one whose correction is undone by a retraction straddling the bound: the
        # correction may still have stood just after it
        shaped_late.update(
            root
            for root, mending in by_root(known.meta).items()
            if any(
                m.retracts is not None
                and m.retracts != root
                and reported_by(m, bound, day_zone=self._zone) == "uncertain"
                for m in mending
            )
        )

        def unsure(event: Any) -> bool:
            if reported_by(event, bound, day_zone=self._zone) == "uncertain":
                return True
            return getattr(event, "id", None) in shaped_late

        return unsure

    def _refold_snapshots(self, found: Sequence[Snapshot]) -> list[tuple[Snapshot, str]]:
        """Fold again what each snapshot stands for; return those that differ, with why.

        ``found`` are snapshots of this timeline's fold (:meth:`_fold_key`) that hold on
        this basis (made on its position, or on one before it that nothing recorded since
        reaches behind); each actor's events are folded once, without snapshots, and the
        fold is compared with each snapshot where it passes that snapshot's end. What
        :meth:`Timeline.verify <timeline.Timeline.verify>` runs on every stored snapshot.
        """
        bad: list[tuple[Snapshot, str]] = []
        folder = self._timeline._folder
        by_actor: dict[str, list[Snapshot]] = {}
        for snap in found:
            by_actor.setdefault(snap.actor, []).append(snap)

        def end(snap: Snapshot) -> tuple[dt.datetime, int]:
            return (snap.through_occurred_at, snap.through_position)

        for actor, group in sorted(by_actor.items()):
            pending = sorted(group, key=end)
            replay = Replay(actor)
            with self._store.session() as conn:
                known = self._knowledge(conn, actor)
                originals = self._store.in_valid_time(
                    known_position=self.basis.position, actor=actor, conn=conn
                )
                for event in known.stream(originals):
                    if actor not in involved(event):
                        continue
                    point = key(event)
                    while pending and end(pending[0]) < point:
                        bad.append((pending.pop(0), "the fold of its events never ends there"))
                    replay.advance(event, folder, day_zone=self._zone)
                    while pending and end(pending[0]) == point:
                        snap = pending.pop(0)
                        difference = _snapshot_difference(snap, replay)
                        if difference is not None:
                            bad.append((snap, difference))
            bad += [(snap, "it ends past the fold of its events") for snap in pending]
        return bad

    def _snapshot_key(self) -> str | None:
        """The fingerprint snapshots of this question key on; ``None``: no snapshots (off,
        a fold function without a version, or a reported bound, which they do not hold)."""
        if not self._timeline.snapshot_interval or self.basis.reported_by is not None:
            return None
        return self._fold_key()

    def _fold_key(self) -> str | None:
        """The fingerprint of this timeline's fold (templates, versioned functions, day
        zone); ``None`` with a fold function that has no version."""
        fingerprint = self._timeline._folder.fingerprint()
        if fingerprint is None or self._zone is UTC:
            return fingerprint
        # where days end (a snapshot's max_end) depends on the day zone
        keyed = f"{fingerprint}\nday_zone={zone_name(self._zone)}".encode()
        return hashlib.sha256(keyed).hexdigest()[:32]

    def _snapshot_start(
        self,
        actor: str,
        fingerprint: str | None,
        found: Sequence[tuple[Snapshot, str | None]],
        conn: sa.Connection,
        *,
        older: Callable[[], Sequence[tuple[Snapshot, str | None]]] | None = None,
    ) -> tuple[Replay | None, Key | None]:
        """Return the newest snapshot of ``found`` (as :meth:`Store.snapshots_for
        <timeline.store.Store.snapshots_for>` gives them), then of ``older()`` (read only
        when none of ``found`` serves; those of ``found`` again are skipped), that holds
        for this question, as a replay to go on.

        A snapshot is used only when it holds together with the events it claims to
        stand for (:meth:`Store.snapshot_problems <timeline.store.Store.snapshot_problems>`;
        one that does not is logged and left for ``verify()`` to name) and nothing
        recorded between its knowledge and this basis reaches behind it.
        """
        if fingerprint is None:
            return None, None
        known = self.basis.position

        def candidates() -> Iterator[tuple[Snapshot, str | None]]:
            yield from found
            if older is not None:
                tried = {snap.id for snap, _ in found}
                yield from (pair for pair in older() if pair[0].id not in tried)

        for snap, problem in candidates():
            if problem is not None:
                _log.warning("timeline: snapshot %s of %r not used: %s", snap.id, actor, problem)
                continue
            point = (snap.through_occurred_at, snap.through_position)
            if self._store.changed_behind(
                actor, between=(snap.known_position, known), through=point, conn=conn
            ):
                continue
            tied = set(snap.state.get("tied", ()))
            replay = Replay(
                actor,
                values=dict(snap.state["values"]),
                uncertain=set(tied),
                tied=tied,
                events_applied=snap.events_applied,
                last_position=snap.last_position,
                last_key=point,
                max_end=snap.max_end,
                problems=list(snap.state["problems"]),
                changes=1,  # not kept in a snapshot: never say "nothing changed" after one
            )
            return replay, point
        return None, None

    def _save_snapshots(self, actor: str, fingerprint: str, checkpoints: list[Replay]) -> None:
        rows = [
            Snapshot(
                actor=actor,
                fingerprint=fingerprint,
                through_occurred_at=r.last_key[0],
                through_position=r.last_key[1],
                known_position=self.basis.position,
                max_end=r.max_end,
                events_applied=r.events_applied,
                last_position=r.last_position or 0,
                state={"values": r.values, "problems": r.problems, "tied": sorted(r.tied)},
            )
            for r in checkpoints
            # a checkpoint between two events of one instant would cut their tie in two
            if r.last_key is not None and r.max_end is not None and not r.tie_cut
        ]
        interval = self._timeline.snapshot_interval or 1
        if not rows or not self._store.may_write_snapshots():
            return  # a role without the rights to write them (see Store.snapshot_rights)
        try:
            self._store.save_snapshots(rows, interval=interval)
        except LockTimeoutError:  # a writer holds SQLite's lock: the next question saves it
            _log.debug("timeline: snapshots not saved: a writer holds the write lock")
        except TimelineError as e:  # a cache: a read never fails for want of one
            _log.warning("timeline: snapshots not saved: %s", e)


def _snapshot_difference(snap: Snapshot, replay: Replay) -> str | None:
    """How a snapshot differs from the fold it stands for (at its end); ``None``: not."""
    stored = {
        "values": snap.state["values"],
        "problems": snap.state["problems"],
        "tied": snap.state.get("tied", []),
        "events_applied": snap.events_applied,
        "last_position": snap.last_position,
        "max_end": snap.max_end.isoformat(),
    }
    folded = {
        "values": replay.values,
        "problems": replay.problems,
        "tied": sorted(replay.tied),
        "events_applied": replay.events_applied,
        "last_position": replay.last_position,
        "max_end": None if replay.max_end is None else replay.max_end.isoformat(),
    }
    differing = [
        name for name in stored if canonical_json(stored[name]) != canonical_json(folded[name])
    ]
    if not differing:
        return None
    return f"its {', '.join(differing)} differ from the fold of its events"


@attrs.frozen
class _Window:
    """The ``since``/``until`` window of :meth:`View.events` and :meth:`View.chart`: the
    rule is :func:`timeline.times.in_window`, on the timeline's day zone."""

    since: dt.datetime | None
    until: Bound | None
    wholly: bool
    zone: ZoneInput

    @property
    def exact_in_sql(self) -> bool:
        """Whether the store's query alone selects exactly: only bounds on the start."""
        return self.since is None and (self.until is None or not self.wholly)

    def holds(self, event: Any) -> bool:
        return self.contains(event.occurred_at, event.precision)

    def contains(self, occurred_at: dt.datetime, precision: str) -> bool:
        return in_window(
            occurred_at,
            precision,
            self.since,
            self.until,
            wholly=self.wholly,
            day_zone=self.zone,
        )


def _compact(found: list[MatchRow]) -> list[MatchRow]:
    """Matches as rows of :class:`Matches`: an event the scan read in part as its
    position (read whole later), an event read whole (a corrected form) as itself."""
    return [
        (
            key,
            tuple(e if isinstance(e, RecordedEvent) else e.position for e in events),
            placements,
            certain,
        )
        for key, events, placements, certain in found
    ]


def _whole(report: SequenceReport, store: _store.Store, conn: sa.Connection) -> SequenceReport:
    """Swap the glimpses a scan read for the whole events, in matches and partial matches."""
    found: tuple[Match | Partial, ...] = (*report.matches, *report.partial)
    named = [e for m in found for e in m.events]
    wanted = [e.position for e in named if not isinstance(e, RecordedEvent)]
    if not wanted:
        return report
    whole = store.at_positions(wanted, conn=conn)

    def swap(events: tuple[Any, ...]) -> tuple[RecordedEvent, ...]:
        return tuple(e if isinstance(e, RecordedEvent) else whole[e.position] for e in events)

    return attrs.evolve(
        report,
        matches=tuple(attrs.evolve(m, events=swap(m.events)) for m in report.matches),
        partial=tuple(attrs.evolve(p, events=swap(p.events)) for p in report.partial),
    )


def did_you_mean(name: str, names: Iterable[str], *, cutoff: float = 0.6) -> str:
    """Return ``; did you mean 'A' or 'B'?`` naming the (up to three) closest of
    ``names`` to ``name`` (:func:`difflib.get_close_matches`), or ``""`` if none is close.

    Example:
        >>> did_you_mean("Irak", ["Iran", "Iraq", "US"])
        "; did you mean 'Iraq' or 'Iran'?"
        >>> did_you_mean("Russia", ["US"])
        ''
    """
    close = difflib.get_close_matches(name, sorted(set(names)), n=3, cutoff=cutoff)
    return f"; did you mean {' or '.join(map(repr, close))}?" if close else ""


MAX_WHOLE_NUMBER = 2**63 - 1
"""The largest position, limit or count an argument may give: the databases' BIGINT."""


def non_negative(value: object, field: str) -> int:
    """Return ``value`` if it is a whole number from 0 to 2**63 - 1, else raise.

    The upper bound is the databases' (a BIGINT): a larger number would reach the driver
    and fail there.

    Example:
        >>> non_negative(3, "limit")
        3
        >>> non_negative(2**63, "after_position")
        Traceback (most recent call last):
        ...
        timeline.errors.InvalidEventError: after_position: must be at most
        9,223,372,036,854,775,807 (2**63 - 1), got 9223372036854775808
    """
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEventError(field, f"expected a whole number, got {type(value).__name__}")
    if value < 0:
        raise InvalidEventError(field, f"must not be negative, got {value}")
    if value > MAX_WHOLE_NUMBER:
        shown = (
            f"{value}" if value.bit_length() < 256 else f"a number of {value.bit_length():,} bits"
        )
        raise InvalidEventError(
            field, f"must be at most {MAX_WHOLE_NUMBER:,} (2**63 - 1), got {shown}"
        )
    return value


def _type_names(value: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (check_type_name(value),)
    if isinstance(value, bytes | dict) or not isinstance(value, Iterable):
        raise InvalidEventError(
            "type", f"expected a type name or a list, got {type(value).__name__}"
        )
    names = tuple(check_type_name(v, field=f"type[{i}]") for i, v in enumerate(value))
    if not names:  # as a Step refuses it: a filter that would keep nothing, in silence
        raise InvalidEventError("type", "expected at least one type name")
    return names


__all__ = [
    "Basis",
    "Events",
    "History",
    "Revision",
    "Revisions",
    "States",
    "Summaries",
    "Summary",
    "View",
    "bound_text",
    "did_you_mean",
]
