"""The public face: :func:`open`, :func:`upgrade` and the :class:`Timeline` they give."""

from __future__ import annotations

import builtins
import datetime as dt
import os
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy.engine import URL

from timeline import store as _store
from timeline.errors import InvalidEventError, NotFoundError, StoreError, TimelineError
from timeline.events import Event, RecordedEvent, check_id, check_name, check_type_name
from timeline.store import EventFilter, Store, chain_hash
from timeline.times import ZoneInput, parse_time, resolve_zone, through

DEFAULT_URL = "sqlite:///timeline.db"


def default_url() -> str:
    """Return the embedded default database: ``$TIMELINE_DB``, else ``sqlite:///timeline.db``.

    Example:
        >>> import os; os.environ.pop("TIMELINE_DB", None) and None
        >>> default_url()
        'sqlite:///timeline.db'
    """
    return os.environ.get("TIMELINE_DB") or DEFAULT_URL


def open(url: str | URL | None = None, *, default_tz: ZoneInput = None) -> Timeline:
    """Open the timeline stored at ``url`` (SQLite or PostgreSQL).

    Args:
        url: a SQLAlchemy URL (``sqlite:///incidents.db``, ``postgresql://user@host/db``;
            ``postgresql://`` uses psycopg 3). ``None`` means ``$TIMELINE_DB``, else
            ``sqlite:///timeline.db`` in the working directory.
        default_tz: the zone (``"Asia/Damascus"``) in which to read naive datetimes and
            times of day written without an offset. Without it they are refused.

    An empty database is given the schema. A database with an older schema is refused
    with a :class:`~timeline.errors.SchemaVersionError` that names the upgrade command.

    Example:
        >>> import timeline
        >>> with timeline.open("sqlite://") as tl:
        ...     tl.record("truce", "Syria", "2017-06-17", incident="syria-2017-06").version
        1
    """
    zone = resolve_zone(default_tz)
    target = default_url() if url is None else url
    return Timeline(Store.open(target), default_tz=zone)


def upgrade(url: str | URL | None = None) -> str:
    """Bring the database at ``url`` to the newest schema; return the revision it is at.

    Safe to run at any time and from several processes at once: an up-to-date database
    is left alone. The command line's ``timeline db upgrade --db URL`` calls this.

    Example:
        >>> import timeline
        >>> timeline.upgrade("sqlite://")
        '0001'
    """
    from timeline import migrate

    target = default_url() if url is None else url
    engine = _store.create_engine(target)
    try:
        _store.upgrade(engine)
        with engine.connect() as conn:
            revision = migrate.current_revision(conn)
    except TimelineError:
        raise
    except Exception as e:
        raise StoreError(f"cannot upgrade {_store.display_url(target)}: {e}") from e
    finally:
        engine.dispose()
    assert revision is not None
    return revision


def schema_revision(url: str | URL | None = None) -> str | None:
    """Return the schema revision of the database at ``url``; ``None`` if it has none.

    Reads only: unlike :func:`open`, it never creates the schema.

    Example:
        >>> import timeline
        >>> timeline.schema_revision("sqlite://") is None
        True
    """
    from timeline import migrate

    target = default_url() if url is None else url
    parsed = _store.normalize_url(target)
    database = parsed.database or ":memory:"
    is_file = parsed.get_backend_name() == "sqlite" and database != ":memory:"
    if is_file and not Path(database).exists():
        return None  # connecting would create the file
    engine = _store.create_engine(parsed)
    try:
        with engine.connect() as conn:
            return migrate.current_revision(conn)
    except Exception as e:
        raise StoreError(f"cannot read {_store.display_url(target)}: {e}") from e
    finally:
        engine.dispose()


def head_revision() -> str:
    """Return the newest schema revision this version of timeline knows.

    Example:
        >>> import timeline
        >>> timeline.head_revision()
        '0001'
    """
    from timeline import migrate

    return migrate.head_revision()


@attrs.frozen
class Verification:
    """The result of :meth:`Timeline.verify`; true when every stored event verified.

    ``first_bad_position`` names the first position that does not verify and
    ``problem`` says why; both are ``None`` when all is well.

    Example:
        >>> result = Verification(3, first_bad_position=2, problem="hash mismatch")
        >>> (bool(result), str(result))
        (False, 'position 2 does not verify: hash mismatch')
    """

    events_checked: int
    first_bad_position: int | None = None
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether every stored event verified."""
        return self.first_bad_position is None

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            return f"ok: {self.events_checked} events verified"
        return f"position {self.first_bad_position} does not verify: {self.problem}"


class Timeline:
    """An incident timeline stored in one database. Get one from :func:`timeline.open`.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> tl.record("shootdown", "US", "2017-06-18T18:43+03:00",
        ...           incident="syria-2017-06", targets=["Syria"]).precision
        'minute'
        >>> [e.type for e in tl.events(actor="Syria")]
        ['shootdown']
    """

    def __init__(self, store: Store, *, default_tz: dt.tzinfo | None = None) -> None:
        self._store = store
        self.default_tz = default_tz

    @property
    def url(self) -> str:
        """The database URL, with any password hidden."""
        return self._store.url

    def close(self) -> None:
        """Close the database connections. The timeline cannot be used afterwards.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> tl.close()
        """
        self._store.close()

    def __enter__(self) -> Timeline:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Timeline {self.url}>"

    # -- writing -----------------------------------------------------------------------

    def event(
        self, type: str, actor: str, occurred_at: dt.datetime | dt.date | str, **fields: Any
    ) -> Event:
        """Return an :class:`Event` read with this timeline's ``default_tz``, not yet stored.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://", default_tz="Asia/Damascus")
            >>> tl.event("shootdown", "US", "2017-06-18 18:43", incident="x").occurred_at.hour
            15
        """
        fields.setdefault("default_tz", self.default_tz)
        return Event(type, actor, occurred_at, **fields)

    def record(
        self,
        type: str,
        actor: str,
        at: dt.datetime | dt.date | str,
        *,
        incident: str,
        targets: Iterable[str] | str = (),
        data: Mapping[str, Any] | None = None,
        effects: Mapping[str, Mapping[str, Any]] | None = None,
        precision: str | None = None,
        source: Mapping[str, Any] | None = None,
        id: uuid.UUID | str | None = None,
        expected_version: int | None = None,
    ) -> RecordedEvent:
        """Validate and store one event; return it as recorded.

        ``at`` is when it happened (see :class:`Event` for the accepted forms); the
        store adds ``version``, ``position``, ``recorded_at`` and ``hash``.

        Raises:
            InvalidEventError: a field is not acceptable (nothing is stored).
            ConcurrencyError: ``expected_version`` is not the incident's version.
            DuplicateEventError: ``id`` is stored already with other content.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> e = tl.record("cooperation_suspended", "Russia", "2017-06-19",
            ...               incident="syria-2017-06", targets=["US"], expected_version=0)
            >>> (e.version, e.precision, e.occurred_at.isoformat())
            (1, 'day', '2017-06-19T00:00:00+00:00')
        """
        event = self.event(
            type,
            actor,
            at,
            incident=incident,
            targets=targets,
            data=data,
            effects=effects,
            precision=precision,
            source=source,
            id=id,
        )
        return self.append([event], expected_version=expected_version)[0]

    def append(
        self,
        events: Iterable[Event],
        *,
        expected_version: int | Mapping[str, int] | None = None,
    ) -> list[RecordedEvent]:
        """Store a batch of events atomically: all of them, or none if any is refused.

        Args:
            events: :class:`Event` objects, in the order to record them.
            expected_version: the version the incident must be at (an ``int``, when the
                batch is of one incident), or a mapping ``{incident: version}``. A new
                incident is at version 0.

        Returns:
            The events as recorded, in the order given. An event whose id is already
            stored with the same content comes back as stored and is not stored again.

        Raises:
            InvalidEventError: an item is not an ``Event``, or the arguments do not fit.
            ConcurrencyError: an incident is not at its expected version.
            DuplicateEventError: an id is stored already (or twice in the batch) with
                other content.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> batch = [timeline.Event("shootdown", "US", "2017-06-18", incident="s"),
            ...          timeline.Event("pilot_ejected", "Syria", "2017-06-18", incident="s")]
            >>> [e.version for e in tl.append(batch, expected_version=0)]
            [1, 2]
        """
        if isinstance(events, Event):
            raise InvalidEventError("events", "expected a list of events, got one Event")
        batch = builtins.list(events)
        for i, event in enumerate(batch):
            if not isinstance(event, Event):
                raise InvalidEventError(
                    f"events[{i}]", f"expected a timeline.Event, got {type(event).__name__}"
                )
        if not batch:
            return []
        expected = _expected_versions(expected_version, batch)
        return self._store.append(batch, expected=expected)

    # -- reading -----------------------------------------------------------------------

    def incident_version(self, incident: str) -> int:
        """Return the incident's current version (its event count; 0 when it has none).

        Pass it as ``expected_version`` to append only if nobody else has meanwhile.

        Example:
            >>> import timeline
            >>> timeline.open("sqlite://").incident_version("syria-2017-06")
            0
        """
        return self._store.incident_version(check_name(incident, field="incident"))

    def get(self, event_id: uuid.UUID | str) -> RecordedEvent:
        """Return the stored event with this id.

        Raises:
            NotFoundError: no event has this id.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> e = tl.record("truce", "Syria", "2017-06-17", incident="syria-2017-06")
            >>> tl.get(e.id).type
            'truce'
        """
        found = self._store.get(check_id(event_id, field="event_id"))
        if found is None:
            raise NotFoundError(f"event_id: no event {event_id} is stored")
        return found

    def events(
        self,
        *,
        incident: str | None = None,
        actor: str | None = None,
        type: str | Iterable[str] | None = None,
        since: dt.datetime | dt.date | str | None = None,
        until: dt.datetime | dt.date | str | None = None,
        after_position: int = 0,
        known_at: dt.datetime | dt.date | str | None = None,
        limit: int | None = None,
        page_size: int = _store.DEFAULT_PAGE_SIZE,
    ) -> Iterator[RecordedEvent]:
        """Yield stored events in position (commit) order, filtered, a page at a time.

        Args:
            incident: only this incident's events.
            actor: only events that name this actor as actor, target or in effects.
            type: one type name or several.
            since: only events that occurred at or after this moment (a date: its start).
            until: only events that occurred at or before this moment; a date or other
                coarse time takes in its whole interval (``until="2017-06-19"`` includes
                all of June 19).
            after_position: only events after this position; a tailing reader passes the
                last position it has seen.
            known_at: only events recorded by then (same reading as ``until``).
            limit: at most this many events.
            page_size: events fetched per query; memory holds one page.

        The iterator reads lazily: each page is a short query of its own, so events
        committed while you iterate appear at the end if they match.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="syria-2017-06")
            >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="syria-2017-06",
            ...               targets=["Syria"])
            >>> [e.type for e in tl.events(actor="Syria", since="2017-06-18")]
            ['shootdown']
        """
        zone = self.default_tz
        where = EventFilter(
            incident=None if incident is None else check_name(incident, field="incident"),
            actor=None if actor is None else check_name(actor, field="actor"),
            types=None if type is None else _type_names(type),
            occurred_from=None
            if since is None
            else parse_time(since, field="since", default_tz=zone)[0],
            occurred_to=None if until is None else through(until, field="until", default_tz=zone),
            recorded_to=None
            if known_at is None
            else through(known_at, field="known_at", default_tz=zone),
            after_position=_non_negative(after_position, "after_position"),
        )
        if limit is not None:
            limit = _non_negative(limit, "limit")
        if _non_negative(page_size, "page_size") == 0:
            raise InvalidEventError("page_size", "must be at least 1")
        return self._store.read(where, limit=limit, page_size=page_size)

    def head(self) -> tuple[int, str]:
        """Return ``(position, hash)`` of the newest event: an anchor for the hash chain.

        Keep it outside the database (a log, a signed note); if a later head does not
        chain back to it, events were removed.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> tl.head()
            (0, '')
            >>> tl.head()[0] == tl.record("truce", "Syria", "2017-06-17", incident="d").position - 1
            True
        """
        return self._store.last()

    def verify(self) -> Verification:
        """Check the stored events against their hash chain; name the first that fails.

        Recomputes each event's hash from its stored fields and the hash before it, and
        checks that positions run 1, 2, 3, … without gaps, that each incident's versions
        do too, and that ``recorded_at`` never decreases. A row changed or removed behind
        the library's back (the triggers disabled by the database owner, a file edited)
        fails here. Removing the newest events leaves a shorter chain that still
        verifies: to detect that, keep :meth:`head` somewhere else and compare.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="syria-2017-06")
            >>> print(tl.verify())
            ok: 1 events verified
        """
        previous_hash = ""
        previous_recorded: dt.datetime | None = None
        versions: dict[str, int] = {}
        checked = 0
        for event in self._store.read(EventFilter()):
            problem = None
            if event.position != checked + 1:
                problem = f"positions jump from {checked} to {event.position}"
            elif event.version != versions.get(event.incident, 0) + 1:
                problem = (
                    f"incident {event.incident!r} goes from version "
                    f"{versions.get(event.incident, 0)} to {event.version}"
                )
            elif previous_recorded is not None and event.recorded_at < previous_recorded:
                problem = "recorded_at is earlier than the event before it"
            elif chain_hash(previous_hash, event) != event.hash:
                problem = "its stored fields do not match its hash"
            if problem is not None:
                return Verification(checked, event.position, problem)
            previous_hash, previous_recorded = event.hash, event.recorded_at
            versions[event.incident] = event.version
            checked += 1
        return Verification(checked)


def _expected_versions(
    expected: int | Mapping[str, int] | None, batch: builtins.list[Event]
) -> dict[str, int] | None:
    if expected is None:
        return None
    if isinstance(expected, Mapping):
        result = {}
        for incident, version in expected.items():
            check_name(incident, field="expected_version")
            result[incident] = _non_negative(version, f"expected_version[{incident!r}]")
        return result
    version = _non_negative(expected, "expected_version")
    incidents = sorted({e.incident for e in batch})
    if len(incidents) > 1:
        raise InvalidEventError(
            "expected_version",
            f"the batch spans incidents {', '.join(map(repr, incidents))}; "
            "give a mapping {incident: version}",
        )
    return {incidents[0]: version}


def _non_negative(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidEventError(field, f"expected a whole number, got {type(value).__name__}")
    if value < 0:
        raise InvalidEventError(field, f"must not be negative, got {value}")
    return value


def _type_names(value: str | Iterable[str]) -> tuple[str, ...]:
    if isinstance(value, str):
        return (check_type_name(value),)
    return tuple(check_type_name(v, field=f"type[{i}]") for i, v in enumerate(value))
