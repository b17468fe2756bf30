"""The store: every SQL statement the library runs, on SQLite and on PostgreSQL.

What differs between the engines is its backend's (:mod:`timeline._backends`): engine
and session set-up, the append lock and clock, the insert, the encoding of times and
ids. Driver errors are translated at this boundary into
:class:`~timeline.errors.TimelineError` subclasses.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import hashlib
import itertools
import json
import logging
import operator
import re
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from types import MappingProxyType
from typing import Any

import attrs
import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.sql.util import ClauseAdapter

from timeline import migrate
from timeline._backends import backend_for_url, backend_of
from timeline._backends.base import ID_CHUNK as _ID_CHUNK
from timeline._backends.base import LAST as _LAST
from timeline._backends.base import Backend
from timeline._backends.base import reason as _reason
from timeline._backends.postgres import APPEND_LOCK_KEY as APPEND_LOCK_KEY
from timeline.effects import prepare
from timeline.errors import (
    ConcurrencyError,
    DuplicateEventError,
    InvalidEventError,
    LockTimeoutError,
    NotFoundError,
    StoreError,
    TimelineError,
)
from timeline.events import (
    NO_EFFECTS,
    Event,
    Glimpse,
    RecordedEvent,
    canonical_json,
    check_event_size,
    content_json,
    differing_fields,
    event_content,
)
from timeline.schema import (
    MENDING,
    UTCDateTime,
    event_actors,
    events,
    snapshots,
)
from timeline.times import isoformat

_log = logging.getLogger("timeline")

DEFAULT_LOCK_TIMEOUT_S = 30.0
"""How long a write (or a ``known_at`` question at the present) waits for another's lock
before failing with :class:`~timeline.errors.LockTimeoutError` (seconds): PostgreSQL's
``lock_timeout``, SQLite's busy timeout."""

DEFAULT_STATEMENT_TIMEOUT_S = 300.0
"""PostgreSQL: the longest one statement may run (``statement_timeout``, seconds)."""

DEFAULT_IDLE_TIMEOUT_S = 60.0
"""PostgreSQL: the longest a session may sit idle inside a transaction before the server
ends it and rolls back (``idle_in_transaction_session_timeout``, seconds): a client that
died or was cut off mid-append never holds the append lock longer."""


@attrs.frozen
class Timeouts:
    """How long the store's sessions wait, in seconds; ``None``: no limit.

    Example:
        >>> Timeouts().lock
        30.0
    """

    lock: float | None = DEFAULT_LOCK_TIMEOUT_S
    statement: float | None = DEFAULT_STATEMENT_TIMEOUT_S
    idle: float | None = DEFAULT_IDLE_TIMEOUT_S


DEFAULT_PAGE_SIZE = 1000
_DECODED_TARGETS = 10_000  # distinct texts (targets, effects) a scan keeps decoded (see _remember)


def normalize_url(url: str | URL) -> URL:
    """Return ``url`` as a SQLAlchemy URL, with psycopg (3) as PostgreSQL's driver.

    ``postgresql://`` and ``postgres://`` mean psycopg 3 here, not SQLAlchemy's default
    psycopg2.

    Example:
        >>> normalize_url("postgresql://root@127.0.0.1/test").drivername
        'postgresql+psycopg'
    """
    if not isinstance(url, str | URL):
        raise InvalidEventError("url", f"expected a database URL, got {type(url).__name__}")
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except sa.exc.ArgumentError as e:
        raise InvalidEventError("url", f"cannot read {url!r} as a database URL") from e
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    backend_for_url(parsed)  # refuses an engine that no backend serves
    return parsed


def display_url(url: str | URL) -> str:
    """Return ``url`` as text with any password hidden, for messages.

    Example:
        >>> display_url("postgresql://me:secret@db.example/incidents")
        'postgresql+psycopg://me:***@db.example/incidents'
    """
    return normalize_url(url).render_as_string(hide_password=True)


def create_engine(url: str | URL, *, timeouts: Timeouts | None = None, **kwargs: Any) -> sa.Engine:
    """Return a SQLAlchemy engine set up the way the store needs it.

    The engine's backend (:func:`timeline._backends.backend_for_url`) sets up its
    sessions: on SQLite WAL, ``synchronous=FULL``, a busy timeout of ``timeouts.lock``
    and ``BEGIN IMMEDIATE`` for writes; on PostgreSQL ``timeouts`` as the session's
    ``lock_timeout``, ``statement_timeout`` and ``idle_in_transaction_session_timeout``,
    TCP keepalives, and server-side prepared statements only for the few statements
    written so that no plan of them can read a table whole (see
    :meth:`timeline._backends.postgres.PostgresBackend.engine_options`).

    Example:
        >>> create_engine("sqlite://").dialect.name
        'sqlite'
    """
    parsed = normalize_url(url)
    backend = backend_for_url(parsed)
    limits = Timeouts() if timeouts is None else timeouts
    options: dict[str, Any] = {"json_serializer": canonical_json, **kwargs}
    connect_args = options.setdefault("connect_args", {})
    backend.engine_options(parsed, limits, options, connect_args)
    try:
        engine = sa.create_engine(parsed, **options)
    except ImportError as e:  # the driver is an extra: say which, not a traceback
        error = backend.missing_driver(parsed, e)
        if error is None:
            raise
        raise error from e
    backend.configure(engine, parsed, limits)
    return engine


def chain_hash(previous: str, event: RecordedEvent) -> str:
    """Return the hash of ``event`` chained to ``previous`` (``""`` for position 1).

    SHA-256 over the previous hash, the event's content as canonical JSON (every field
    the caller gave, corrections and retractions included) and the fields the store
    assigned: version, position, recorded_at.
    """
    return _chain(
        previous,
        canonical_json(event_content(event)),
        event.version,
        event.position,
        isoformat(event.recorded_at),
    )


def _chain(previous: str, content: str, version: int, position: int, recorded: str) -> str:
    return hashlib.sha256(
        f"{previous}\n{content}\n{version}|{position}|{recorded}".encode()
    ).hexdigest()


Bound = tuple[dt.datetime, bool]
"""An upper bound: ``(moment, inclusive)``, as :func:`timeline.times.through` gives it."""


@attrs.frozen
class EventFilter:
    """What :meth:`Store.read` selects; every field narrows, ``None`` means any."""

    incident: str | None = None
    actor: str | None = None
    types: tuple[str, ...] | None = None
    occurred_from: dt.datetime | None = None  # occurred_at >= this
    # the interval may reach this moment (a superset: the caller decides exactly)
    reaching: dt.datetime | None = None
    occurred_to: Bound | None = None  # occurred_at <= (or <) this
    known_position: int | None = None  # position <= this
    reported_to: Bound | None = None  # the reported time starts by this
    after_position: int = 0


def _at_most(column: Any, bound: Bound) -> Any:
    moment, inclusive = bound
    return column <= moment if inclusive else column < moment


# How far before a moment an event of each precision may start and still reach it: its
# unit, and for days, months and years a day more (a day zone's days are 23 to 25 hours,
# and the calendar's months and years of any zone lie within a day of UTC's).
_REACH = {
    "second": dt.timedelta(seconds=1),
    "minute": dt.timedelta(minutes=1),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=2),
    "month": dt.timedelta(days=32),
    "year": dt.timedelta(days=367),
}


def _may_reach(column: Any, moment: dt.datetime, precision: Any = events.c.precision) -> Any:
    """Events whose precision interval may reach ``moment`` or later: a condition on the
    start per precision, which the (occurred_at) index serves (``precision``: the column
    of the events' precision, the events table's by default)."""
    terms = [sa.and_(precision == "exact", column >= moment)]
    for unit, reach in _REACH.items():
        try:
            earliest = moment - reach
        except OverflowError:
            earliest = dt.datetime.min.replace(tzinfo=dt.UTC)
        terms.append(sa.and_(precision == unit, column > earliest))
    return sa.or_(*terms)


@attrs.frozen
class Link:
    """What a correction or retraction points at: the id of the event it mends."""

    corrects: uuid.UUID | None = None
    retracts: uuid.UUID | None = None

    @property
    def target(self) -> uuid.UUID:
        """The id of the event mended."""
        found = self.corrects if self.corrects is not None else self.retracts
        assert found is not None
        return found


@attrs.define
class _AppendRun:
    """Where one append transaction stands: the chain's end and the incidents' versions."""

    position: int
    previous: str
    recorded_at: dt.datetime
    expected: dict[str, int]
    versions: dict[str, int] = attrs.field(factory=dict)
    fresh: int = 0


def _link(event: Event | RecordedEvent) -> Link | None:
    if event.corrects is None and event.retracts is None:
        return None
    return Link(corrects=event.corrects, retracts=event.retracts)


_Item = tuple[Event, str, dict[str, str]]
"""An event of a chunk, with its content's canonical JSON and each field's (``content_json``)."""


def _chunks(
    batch: Iterable[Event], size: int, max_bytes: int | None = None
) -> Iterator[list[_Item]]:
    """Cut a batch into chunks that can be written one after the other.

    An event larger than ``max_bytes`` (its canonical JSON) is refused, naming its largest
    field. An id seen twice must have the same content (else ``DuplicateEventError``). A chunk
    never holds an event together with a correction or retraction of it (the mended event
    must be stored before the check that it exists and is not retracted), nor two
    mendings of one event.
    """
    chunk: list[_Item] = []
    ids: dict[uuid.UUID, str] = {}
    mended: set[uuid.UUID] = set()
    for index, event in enumerate(batch):
        text, fields = content_json(event)
        # a character is at most 4 bytes: most events skip the encoding
        if max_bytes is not None and len(text) * 4 > max_bytes:
            _check_size(index, event_content(event), len(text.encode()), max_bytes)
        seen = ids.get(event.id)
        if seen is not None and seen != text:
            refused = DuplicateEventError(
                event.id, differing_fields(json.loads(seen), event_content(event))
            )
            raise at_index(refused, index)
        link = _link(event)
        if len(chunk) >= size or (
            link is not None and (link.target in ids or link.target in mended)
        ):
            if chunk:
                yield chunk
            chunk, ids, mended = [], {}, set()
        chunk.append((event, text, fields))
        ids[event.id] = text
        if link is not None:
            mended.add(link.target)
    if chunk:
        yield chunk


def at_index(error: TimelineError, index: int) -> TimelineError:
    """Return ``error`` saying which event of the batch was refused: its place in the
    stream given to an append or load, from 0 (``error.index``), so that an import can
    name the line it came from."""
    error.index = index
    return error


def _check_size(index: int, content: dict[str, Any], size: int, limit: int) -> None:
    try:
        check_event_size(content, limit, size=size)
    except InvalidEventError as e:
        raise at_index(e.within(f"events[{index}]"), index) from None


@attrs.frozen
class StoredEvent:
    """One event as a store holds it, for a copy or a check: the row, and the rows of the
    actor index that list it, as ``(actor, occurred_at)``; ``unreadable_index`` says
    what is wrong with the index rows that could not be read."""

    event: RecordedEvent
    index: tuple[tuple[str, dt.datetime], ...]
    unreadable_index: tuple[str, ...] = ()


@attrs.frozen
class Unreadable:
    """A stored row that cannot be read as an event: its position, the field that cannot
    be read (``None``: the row as a whole) and why."""

    position: int
    field: str | None
    problem: str

    def __str__(self) -> str:
        return self.problem if self.field is None else f"{self.field}: {self.problem}"


@attrs.define
class ChainWalk:
    """Where a walk along the stored events stands: the checks :meth:`Timeline.verify`
    makes, one event at a time, for a copy that must not carry a broken chain over."""

    position: int = 0
    hash: str = ""
    recorded_at: dt.datetime | None = None
    versions: dict[str, int] = attrs.field(factory=dict)

    def step(self, event: RecordedEvent) -> str | None:
        """Take the next event; return what is wrong with it, or ``None``."""
        version = self.versions.get(event.incident, 0)
        if event.position != self.position + 1:
            return f"positions jump from {self.position} to {event.position}"
        if event.version != version + 1:
            return f"incident {event.incident!r} goes from version {version} to {event.version}"
        if self.recorded_at is not None and event.recorded_at < self.recorded_at:
            return "recorded_at is earlier than the event before it"
        if chain_hash(self.hash, event) != event.hash:
            return "its stored fields do not match its hash"
        self.position, self.hash, self.recorded_at = event.position, event.hash, event.recorded_at
        self.versions[event.incident] = event.version
        return None


@attrs.frozen
class Snapshot:
    """A stored fold of one actor's events up to a point in valid time (a cache row).

    ``digest`` is :func:`snapshot_digest` of the row, which the store sets when it saves
    one; ``id`` is the row's, once stored.
    """

    actor: str
    fingerprint: str
    through_occurred_at: dt.datetime
    through_position: int
    known_position: int
    max_end: dt.datetime
    events_applied: int
    last_position: int
    state: dict[str, Any]
    digest: str = ""
    id: int | None = None


@attrs.frozen
class FoldStart:
    """What :meth:`Store.fold_start` read in one statement.

    - ``newest``: the position the fold's basis rests on;
    - ``mending``: the corrections and retractions indexed under the actor up to it, in
      position order;
    - ``snapshots``: the actor's newest snapshot that may start the fold (none or one),
      with what is wrong with it or ``None`` (as :meth:`Store.snapshots_for`, which
      reads the next ones when it is refused);
    - ``after``: the key the ``page`` starts after (the newest snapshot's end the
      statement found; ``None``: the start);
    - ``page``: the first page of the fold's rows after ``after`` (``None``: not read),
      as :meth:`Store.in_valid_time` takes it back (``first=``).
    """

    newest: int
    mending: list[RecordedEvent]
    snapshots: list[tuple[Snapshot, str | None]]
    after: tuple[dt.datetime, int] | None
    page: list[Any] | None


def snapshot_digest(snapshot: Snapshot, chain: str) -> str:
    """Return the digest that binds a snapshot to the hash chain: SHA-256 over its fields
    and ``chain``, the hash of the event at its ``known_position``.

    That hash covers every event up to the position, so a snapshot whose fields or state
    were edited, or that outlived a rewrite of the events, does not match. Anyone who can
    write snapshots can compute it too: it is a check against the events, not a
    signature (see :meth:`Store.snapshot_problems`).
    """
    fields = [
        snapshot.actor,
        snapshot.fingerprint,
        isoformat(snapshot.through_occurred_at),
        snapshot.through_position,
        snapshot.known_position,
        chain,
        isoformat(snapshot.max_end),
        snapshot.events_applied,
        snapshot.last_position,
        snapshot.state,
    ]
    return hashlib.sha256(canonical_json(fields).encode()).hexdigest()


def _as_recorded(snapshot: Snapshot, found: Mapping[int, RecordedEvent]) -> bool:
    """Whether the event a snapshot ends at (in ``found``, by position), as recorded,
    occurred at its ``through_occurred_at`` and names its actor; when it does not, a
    correction may have moved it there or named the actor (:meth:`Store.snapshot_problems`
    reads them)."""
    through = found.get(snapshot.through_position)
    return (
        through is not None
        and through.occurred_at == snapshot.through_occurred_at
        and snapshot.actor in _named_actors(through)
    )


_SOUND_KEPT = 64
"""How many sets of rows found sound a store remembers (``Store._sound``); when full, it
forgets them all and starts over."""


def _snapshot_problem(
    snapshot: Snapshot,
    found: Mapping[int, RecordedEvent],
    corrections: Mapping[uuid.UUID, Sequence[RecordedEvent]],
) -> str | None:
    """What is wrong with a snapshot, seen against the stored events at its positions
    (``found``, by position) and the corrections of the event it ends at (by the id
    corrected); ``None`` when it holds together with them.

    A snapshot ends at an event of its actor (``through_position``) that is not a
    correction or retraction and occurred at ``through_occurred_at`` (as recorded, or as
    a correction known to the snapshot put it), was made on a knowledge
    (``known_position``) that is stored and at or after every event it folded, and
    carries the digest of its fields and of the chain's hash there.
    """
    known = found.get(snapshot.known_position)
    if known is None:
        return f"its known_position {snapshot.known_position} is not a stored position"
    if not 0 < snapshot.through_position <= snapshot.last_position <= snapshot.known_position:
        return (
            f"its positions are out of order (through {snapshot.through_position}, last "
            f"{snapshot.last_position}, known {snapshot.known_position})"
        )
    if not 0 < snapshot.events_applied <= snapshot.last_position:
        return (
            f"it claims {snapshot.events_applied} events applied by position "
            f"{snapshot.last_position}"
        )
    through = found.get(snapshot.through_position)
    if through is None or found.get(snapshot.last_position) is None:
        return "its through_position or last_position is not a stored position"
    if through.corrects is not None or through.retracts is not None:
        return f"it ends at position {through.position}, a correction or retraction"
    forms = [
        through,
        *(c for c in corrections.get(through.id, ()) if c.position <= snapshot.known_position),
    ]
    if not any(snapshot.actor in _named_actors(form) for form in forms):
        return f"it ends at position {through.position}, which does not name {snapshot.actor!r}"
    if not any(
        form.occurred_at == snapshot.through_occurred_at and snapshot.actor in _named_actors(form)
        for form in forms
    ):
        return (
            f"its through_occurred_at {isoformat(snapshot.through_occurred_at)} is not when "
            f"the event at position {through.position} occurred, {isoformat(through.occurred_at)}"
        )
    if snapshot.max_end < snapshot.through_occurred_at:
        return "its max_end is before its through_occurred_at"
    if snapshot_digest(snapshot, known.hash) != snapshot.digest:
        return (
            "its digest does not match its fields and the hash chain at position "
            f"{snapshot.known_position}"
        )
    return None


class Store:
    """SQL access to one database. The ``Timeline`` facade is the public face.

    Example:
        >>> store = Store.open("sqlite://")
        >>> store.incident_version("syria-2017-06")
        0
    """

    def __init__(
        self,
        engine: sa.Engine,
        *,
        url: str,
        max_event_bytes: int | None = None,
        timeouts: Timeouts | None = None,
    ) -> None:
        self.engine = engine
        self.backend: Backend = backend_of(engine)
        self.url = url
        self.max_event_bytes = max_event_bytes
        # the zone whose calendar the events it reads cover their days, months and years
        # in (RecordedEvent.occurred_until): the Timeline's day zone, set by it
        self.day_zone: dt.tzinfo = dt.UTC
        self._snapshot_rights: tuple[bool, bool] | None = None
        # Snapshots found sound, by the rows they were checked on as the driver gave them
        # (the snapshot's, then the events' at its positions): the check is a function
        # of those rows alone when no correction had to be read (see _usable_snapshots),
        # so the same rows read again need no second check. A few (_SOUND_KEPT).
        self._sound: dict[tuple[Any, ...], None] = {}
        self.timeouts = Timeouts() if timeouts is None else timeouts
        self._by_ids_query = self.backend.by_ids(_STORED)
        # the engine of write transactions, its options set once (on each connection
        # they would be set again per append); SQLite's write_transaction begins
        # IMMEDIATE on the driver without them, a settled read's transaction with them
        self._write_engine = engine.execution_options(timeline_sqlite_begin="IMMEDIATE")
        self._closed = False

    @classmethod
    def open(
        cls, url: str | URL, *, create: bool = True, timeouts: Timeouts | None = None
    ) -> Store:
        """Connect, give an empty database the schema, refuse an out-of-date one."""
        shown = display_url(url)
        engine = create_engine(url, timeouts=timeouts)
        try:
            with engine.connect() as conn:
                revision = migrate.check_schema(conn, url=shown)
            if revision is None:
                if not create:
                    raise StoreError(f"{shown} has no timeline schema; run: timeline db upgrade")
                upgrade(engine)
        except TimelineError:
            engine.dispose()
            raise
        except sa.exc.SQLAlchemyError as e:
            engine.dispose()
            raise StoreError(f"cannot open {shown}: {_reason(e)}") from e
        return cls(engine, url=shown, timeouts=timeouts)

    def close(self) -> None:
        """Release every pooled connection; every later read or write is refused (the
        pool would open new connections, and an in-memory database would be a new,
        empty one)."""
        self._closed = True
        self.engine.dispose()

    @contextmanager
    def _write(self, *, append: bool = False, wait: bool = True) -> Iterator[sa.Connection]:
        """A write transaction (the backend's ``write_transaction``: SQLite runs it on the
        driver's connection); ``append``: an append's, whose first statement is the
        backend's ``read_for_append(begin=True)`` (see ``Backend.append_connection``);
        ``wait=False``: fail at once (``LockTimeoutError``) rather than wait for a writer
        that holds the database's write lock (a cache write, see ``save_snapshots``)."""
        with (
            self._translate(),
            self.backend.write_transaction(self._write_engine, append=append, wait=wait) as conn,
        ):
            yield conn

    @contextmanager
    def _read(self, *, held: bool = False) -> Iterator[sa.Connection]:
        with self._translate(held=held), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def session(self, *, brief: bool = False) -> Iterator[sa.Connection]:
        """One read transaction for several reads (pass it as ``conn=``): one connection,
        one round of BEGIN/COMMIT, instead of one per query.

        ``brief``: reads that stream nothing and need no snapshot shared between their
        statements (each is bounded by a position it read). Where each statement reads
        a snapshot of its own anyway (:attr:`Backend.snapshot_per_statement
        <timeline._backends.base.Backend.snapshot_per_statement>`: PostgreSQL's READ
        COMMITTED), they run without BEGIN and COMMIT, two round trips fewer.
        """
        if brief and self.backend.snapshot_per_statement:
            with self._translate(), self.engine.connect() as conn:
                yield conn.execution_options(isolation_level="AUTOCOMMIT")
            return
        with self._read() as conn:
            yield conn

    @contextmanager
    def _using(self, conn: sa.Connection | None, *, held: bool = False) -> Iterator[sa.Connection]:
        if conn is not None:
            with self._translate(held=held):
                yield conn
            return
        with self._read(held=held) as own:
            yield own

    @contextmanager
    def _translate(self, *, held: bool = False) -> Iterator[None]:
        """Translate the driver's errors into the library's. ``held``: a read for an
        answer given before the store was closed (a sequence report's matches, held
        compactly and read whole as they are used), which a closed store still serves
        where its database outlives it; any other use of a closed store is refused."""
        if self._closed and not held:
            raise StoreError(f"{self.url}: the timeline is closed; open it again (timeline.open)")
        try:
            yield
        except TimelineError:
            raise
        except sa.exc.SQLAlchemyError as e:
            if self.backend.lock_timed_out(e):
                raise self._lock_timeout(e) from e
            raise StoreError(f"{self.url}: {_reason(e)}") from e

    def _lock_timeout(self, error: sa.exc.SQLAlchemyError) -> LockTimeoutError:
        """The error for a lock wait that ran out, naming the append lock's holders as
        far as the database tells (PostgreSQL: pg_locks and pg_stat_activity)."""
        waited = self.timeouts.lock
        limit = "" if waited is None else f" {waited:g} s (lock_timeout)"
        holders, unnamed = self.backend.lock_holders(self.engine, error)
        held = "; the append lock is held by " + ", ".join(holders) if holders else unnamed
        return LockTimeoutError(
            f"{self.url}: waited{limit} for a lock{held}; nothing was stored", holders=holders
        )

    # -- writing -----------------------------------------------------------------------

    def append(
        self, batch: Iterable[Event], *, expected: Mapping[str, int] | None = None
    ) -> list[RecordedEvent]:
        """Store ``batch`` in one transaction; return it as recorded, in input order.

        See :meth:`load` for how.
        """
        return self._append(batch, expected=expected, collect=True)[0]

    def load(
        self,
        batch: Iterable[Event],
        *,
        expected: Mapping[str, int] | None = None,
        chunk_size: int = DEFAULT_PAGE_SIZE,
        on_chunk: Callable[[int], None] | None = None,
    ) -> int:
        """Store ``batch`` in one transaction, streaming; return how many were new.

        How positions stay gap-free and in commit order, even with many writers on
        PostgreSQL: every append first takes one store-wide write lock and holds it until
        commit (PostgreSQL: a transaction-level advisory lock, which needs no privilege
        beyond INSERT and SELECT on the tables; SQLite: ``BEGIN IMMEDIATE``, the
        database's one write lock). Under it the append reads the newest stored event and
        numbers its events from that position on, so positions have no gaps (no sequence
        is used, which would leave holes on rollback), and no other append can commit in
        between, so a reader that has seen position N never later finds a new event below
        N: PostgreSQL makes a commit visible before it releases the transaction's locks.
        The same lock makes the per-incident versions and the hash chain race-free, and
        lets ``recorded_at`` be clamped so that it never decreases with position. The
        primary key on position backs the lock: a writer that bypassed it would fail, not
        fork the chain. Validation and serialisation are done before taking the lock.

        ``expected`` maps incidents to the version each must be at. Events whose id is
        already stored with the same content are returned as stored and take no new
        version; if the whole batch is such, nothing is checked or written (a retried
        append is harmless).

        Events that correct or retract another (``corrects``, ``retracts``) are checked
        under the lock (the event exists, is not itself a correction or retraction, and is
        not retracted), and indexed under every actor the event and its corrections ever
        named, so that reading any of those actors finds them.

        The batch is written ``chunk_size`` events at a time inside the one transaction,
        so an iterator of a million events is never held in memory whole; ``on_chunk`` is
        told how many events each chunk took.
        """
        return self._append(
            batch, expected=expected, collect=False, chunk_size=chunk_size, on_chunk=on_chunk
        )[1]

    def _append(
        self,
        batch: Iterable[Event],
        *,
        expected: Mapping[str, int] | None,
        collect: bool,
        chunk_size: int = DEFAULT_PAGE_SIZE,
        on_chunk: Callable[[int], None] | None = None,
    ) -> tuple[list[RecordedEvent], int]:
        run: _AppendRun | None = None
        results: list[RecordedEvent] = []
        start = 0  # the place of the chunk's first event in the batch
        with self._write(append=True) as conn:
            for chunk in _chunks(batch, chunk_size, self.max_event_bytes):
                # what the chunk needs to know, read under the lock (taken by the first)
                named = {event.incident for event, _, _ in chunk}
                head, versions, known = self.backend.read_for_append(
                    conn,
                    [event.id for event, _, _ in chunk],
                    sorted(named if run is None else named - set(run.versions)),
                    begin=run is None,
                )
                if run is None:
                    assert head is not None
                    run = _AppendRun(
                        position=head[0],
                        previous=head[1],
                        recorded_at=head[2],
                        expected=dict(expected or {}),
                    )
                done = self._append_chunk(conn, run, chunk, start, versions, known)
                start += len(chunk)
                if collect:
                    results.extend(done)
                if on_chunk is not None:
                    on_chunk(len(chunk))
            if run is not None and run.fresh:
                unseen = sorted(set(run.expected) - set(run.versions))
                for incident, version in self._versions(conn, unseen).items():
                    if version != run.expected[incident]:
                        raise ConcurrencyError(
                            incident, expected=run.expected[incident], actual=version
                        )
        return results, 0 if run is None else run.fresh

    def _append_chunk(
        self,
        conn: sa.Connection,
        run: _AppendRun,
        chunk: list[_Item],
        start: int,
        versions: Mapping[str, int],
        known: list[uuid.UUID],
    ) -> list[RecordedEvent]:
        """Write ``chunk``; ``versions``: the newest version of each incident it names
        that ``run`` has not seen yet, ``known``: which of its ids are stored already."""
        stored = self._by_ids(conn, known) if known else {}
        for offset, (event, text, _) in enumerate(chunk if stored else ()):
            found = stored.get(event.id)
            if found is not None and canonical_json(found.content()) != text:
                refused = DuplicateEventError(
                    event.id,
                    differing_fields(found.content(), json.loads(text)),
                    unreported=found.reported_at is None and event.reported_at is not None,
                )
                raise at_index(refused, start + offset)
        if stored:
            fresh = [item for item in chunk if item[0].id not in stored]
            places = [start + i for i, (e, _, _) in enumerate(chunk) if e.id not in stored]
        else:  # most chunks: nothing stored already, every event is new
            fresh, places = chunk, list(range(start, start + len(chunk)))
        new_incidents = sorted({e.incident for e, _, _ in fresh} - set(run.versions))
        for incident in new_incidents:
            version = versions[incident]
            wanted = run.expected.get(incident)
            if wanted is not None and version != wanted:
                raise ConcurrencyError(incident, expected=wanted, actual=version)
            run.versions[incident] = version
        links = [_link(e) for e, _, _ in fresh]
        mended = self._check_links(conn, links, places)
        # by the id's JSON text (content_json's): a str hashes in C, once, where a UUID
        # hashes through Python at each of the three uses per event
        made: dict[str, RecordedEvent] = {}
        event_rows: list[tuple[Any, ...]] = []
        actor_rows: list[tuple[Any, ...]] = []
        backend = self.backend
        recorded_at = backend.db_time(run.recorded_at)
        recorded_text = isoformat(run.recorded_at)
        # the run's place in locals for the loop, written back after it
        position, previous, versions_now = run.position, run.previous, run.versions
        recorded_moment = run.recorded_at
        for (event, text, fields), link in zip(fresh, links, strict=True):
            id_text = fields["id"]
            if id_text in made:
                continue  # the same event twice in one batch: stored once
            position += 1
            version = versions_now[event.incident] = versions_now[event.incident] + 1
            previous = _chain(previous, text, version, position, recorded_text)
            recorded = RecordedEvent(
                id=event.id,
                incident=event.incident,
                version=version,
                position=position,
                type=event.type,
                actor=event.actor,
                targets=event.targets,
                occurred_at=event.occurred_at,
                precision=event.precision,
                data=event.data,
                effects=event.effects,
                source=event.source,
                recorded_at=recorded_moment,
                hash=previous,
                corrects=event.corrects,
                retracts=event.retracts,
                reported_at=event.reported_at,
                reported_precision=event.reported_precision,
                day_zone=self.day_zone,
            )
            made[id_text] = recorded
            occurred = backend.db_time(event.occurred_at)
            event_rows.append(_event_values(recorded, fields, occurred, recorded_at, backend))
            names = _named_actors(event)
            if link is not None:
                names = list(dict.fromkeys([*names, *mended[link.target]]))
            for name in names:  # a loop, not a comprehension: no frame per event
                actor_rows.append((name, position, occurred))
        run.position, run.previous = position, previous
        if event_rows:
            run.fresh += len(event_rows)
            self._insert(conn, event_rows, actor_rows)
        return [made.get(fields["id"]) or stored[e.id] for e, _, fields in chunk]

    def _insert(
        self, conn: sa.Connection, event_rows: list[tuple[Any, ...]], actor_rows: list[Any]
    ) -> None:
        self.backend.insert_tables(
            conn,
            [
                ("timeline_events", EVENT_COLUMNS, event_rows),
                ("timeline_event_actors", ACTOR_COLUMNS, actor_rows),
            ],
            url=self.url,
        )

    def _insert_rows(self, conn: sa.Connection, which: str, rows: list[tuple[Any, ...]]) -> None:
        """Write rows of ``_event_values`` (``which="events"``) or of ``ACTOR_COLUMNS``."""
        if not rows:
            return
        table, columns = (
            ("timeline_event_actors", ACTOR_COLUMNS)
            if which == "actors"
            else ("timeline_events", EVENT_COLUMNS)
        )
        self.backend.insert_rows(conn, table, columns, rows, url=self.url)

    def _check_links(
        self, conn: sa.Connection, links: list[Link | None], places: list[int]
    ) -> dict[uuid.UUID, list[str]]:
        """Check each mended event; return the actors each one ever named, by id.

        A correction mends an event that is neither a correction nor a retraction; a
        retraction mends such an event (with all its corrections) or one correction of
        it (undoing that correction). Neither may mend what is retracted already.
        ``places`` are the links' events' places in the batch, which a refusal names.
        """
        # the field that named each mended event, for the messages, and the place of the
        # first event that named it
        fields: dict[uuid.UUID, str] = {}
        named_at: dict[uuid.UUID, int] = {}
        for link, place in zip(links, places, strict=True):
            if link is not None and link.target not in fields:
                fields[link.target] = "corrects" if link.corrects is not None else "retracts"
                named_at[link.target] = place
        targets = list(fields)
        if not targets:
            return {}
        found = self._by_ids(conn, targets)
        roots: dict[uuid.UUID, uuid.UUID] = {}  # each target's event (itself, or corrected)
        for target in targets:
            event = found.get(target)
            if event is None:
                raise at_index(
                    NotFoundError(
                        f"{fields[target]}: no event {target} is stored (an event is "
                        "mended once stored: in a batch or a file, put it before its "
                        "corrections and retractions)"
                    ),
                    named_at[target],
                )
            if event.retracts is not None or (
                event.corrects is not None and fields[target] == "corrects"
            ):
                refused = InvalidEventError(
                    fields[target],
                    f"{target} is itself a correction or retraction; "
                    f"mend the event it refers to ({event.corrects or event.retracts})",
                )
                raise at_index(refused, named_at[target])
            roots[target] = target if event.corrects is None else event.corrects
        root_ids = list(dict.fromkeys(roots.values()))
        found.update(self._by_ids(conn, [r for r in root_ids if r not in found]))
        watched = list(dict.fromkeys([*targets, *root_ids]))
        retracted = {
            row.retracts
            for row in conn.execute(
                sa.select(events.c.retracts).where(events.c.retracts.in_(watched))
            )
        }
        for target in targets:
            if roots[target] in retracted:
                refused = InvalidEventError(fields[target], f"{roots[target]} is retracted already")
                raise at_index(refused, named_at[target])
            if target in retracted:
                refused = InvalidEventError(
                    fields[target], f"the correction {target} is retracted already"
                )
                raise at_index(refused, named_at[target])
        named = {root: _named_actors(found[root]) for root in root_ids}
        for row in conn.execute(
            sa.select(*_STORED).where(events.c.corrects.in_(root_ids)).order_by(events.c.position)
        ):
            correction = _recorded(row, self.day_zone)
            root = correction.corrects
            assert root is not None
            named[root] = list(dict.fromkeys([*named[root], *_named_actors(correction)]))
        seen_retractions: set[uuid.UUID] = set()
        for link, place in zip(links, places, strict=True):
            if link is not None and link.retracts is not None:
                if link.retracts in seen_retractions:
                    refused = InvalidEventError("retracts", f"{link.retracts} is retracted twice")
                    raise at_index(refused, place)
                seen_retractions.add(link.retracts)
        return {target: named[roots[target]] for target in targets}

    def _lock_and_read_last(self, conn: sa.Connection) -> Any:
        self.backend.lock_writes(conn)
        return conn.execute(_LAST).first()

    def _versions(self, conn: sa.Connection, incidents: list[str]) -> dict[str, int]:
        return self.backend.versions(conn, incidents)

    def _by_ids(self, conn: sa.Connection, ids: list[uuid.UUID]) -> dict[uuid.UUID, RecordedEvent]:
        found: dict[uuid.UUID, RecordedEvent] = {}
        for start in range(0, len(ids), _ID_CHUNK):
            chunk = ids[start : start + _ID_CHUNK]
            for row in conn.execute(self._by_ids_query, {"ids": chunk}).all():
                event = _recorded(row, self.day_zone)
                found[event.id] = event
        return found

    # -- copying -----------------------------------------------------------------------

    def rows(
        self, *, through: int, page_size: int = DEFAULT_PAGE_SIZE
    ) -> Iterator[StoredEvent | Unreadable]:
        """Yield the stored events up to position ``through``, each with its rows of the
        actor index, in position order, as :meth:`copy_from` and :meth:`Timeline.verify`
        take them.

        A row that cannot be read as an event (a value that is not JSON, a time or an id,
        or a time not in the one form SQLite stores: ``TIME_FORM``) comes as an
        :class:`Unreadable` naming the field, never as an exception. A page per read
        (keyset paging on position, as :meth:`read`), its index rows read in the same
        transaction; a reader holds one page in memory.
        """
        after = 0
        while after < through:
            query = self._select(EventFilter(after_position=after, known_position=through))
            with self._read() as conn:
                page = [
                    _decoded(row, self.day_zone)
                    for row in conn.execute(query.limit(page_size)).all()
                ]
                if not page:
                    return
                index: dict[int, list[tuple[str, dt.datetime]]] = {}
                unreadable: dict[int, list[str]] = {}
                for row in conn.execute(
                    _INDEX_ROWS, {"after": after, "last": page[-1].position}
                ).all():
                    try:
                        occurred = _checked_time(row.occurred_at)
                    except (ValueError, TypeError, OverflowError) as e:
                        unreadable.setdefault(row.position, []).append(
                            f"the actor index row under {row.actor!r}: occurred_at {e}"
                        )
                        continue
                    index.setdefault(row.position, []).append((row.actor, occurred))
            for event in page:
                if isinstance(event, Unreadable):
                    yield event
                    continue
                yield StoredEvent(
                    event,
                    tuple(index.get(event.position, ())),
                    tuple(unreadable.get(event.position, ())),
                )
            after = page[-1].position

    def index_problems(self, page: Sequence[StoredEvent]) -> dict[int, tuple[str | None, str]]:
        """Check each event's actor index rows against what an append writes; return
        ``{position: (field, problem)}`` for those that differ.

        The index is outside the hash chain: an append lists an event under every actor
        it names, and a correction or retraction also under those of the event it mends
        and of that event's earlier corrections, each row with the event's own
        ``occurred_at``. A row missing, added, renamed or re-dated is named (``field``
        ``None``); so is a correction or retraction of an event not stored before it
        (``field`` ``"corrects"`` or ``"retracts"``). The events must be stored here.
        """
        with self._read() as conn:
            return self._index_problems(conn, page)

    def index_orphans(self, *, last: int, limit: int = 100) -> list[tuple[str, int]]:
        """Return ``(actor, position)`` of actor index rows that list no event at or
        below ``last``, the head of a chain that verified (at most ``limit``), and no
        stored event at all: an append committed since the walk read ``last`` wrote its
        event and its rows in one transaction, and its rows are no orphans."""
        stored = sa.exists().where(events.c.position == event_actors.c.position)
        query = (
            sa.select(event_actors.c.actor, event_actors.c.position)
            .where(sa.or_(event_actors.c.position > last, event_actors.c.position < 1))
            .where(~stored)
            .order_by(event_actors.c.position, event_actors.c.actor)
            .limit(limit)
        )
        with self._read() as conn:
            return [(row.actor, row.position) for row in conn.execute(query)]

    def _index_problems(
        self, conn: sa.Connection, page: Sequence[StoredEvent]
    ) -> dict[int, tuple[str | None, str]]:
        names, problems = self._mended_names(
            conn, [s.event for s in page if _link(s.event) is not None]
        )
        found: dict[int, tuple[str | None, str]] = dict(problems)
        for stored in page:
            position = stored.event.position
            if position in found:
                continue
            problem = _index_problem(stored, names.get(position, ()))
            if problem is not None:
                found[position] = (None, problem)
        return found

    def copy_from(
        self,
        rows: Iterable[StoredEvent | Unreadable],
        *,
        head: tuple[int, str],
        page_size: int = DEFAULT_PAGE_SIZE,
        on_page: Callable[[int], None] | None = None,
    ) -> int:
        """Write another store's events into this one as they are stored, in one
        transaction; return how many.

        ``rows`` are the other store's :meth:`rows` up to its ``head`` (``(position,
        hash)``), in position order. Ids, positions, versions, recorded and reported times
        and hashes are written as they are, so every answer here, for any ``known_at``,
        is the other store's. Nothing is stored unless all of it is:

        - this store must hold no event (``InvalidEventError`` naming ``to``); the copy
          takes the write lock an append takes, so no append gets in first or between;
        - on PostgreSQL the role must have the privileges of the events table's owner
          (``StoreError`` naming ``to``): the copy writes recorded times of the past,
          and it says so for the rest of its transaction with ``SET LOCAL
          timeline.copying = 'on'``, which an insert trigger recognises by
          :data:`timeline.schema.IN_A_COPY`;
        - every event must pass the checks of :meth:`Timeline.verify` (positions and
          versions without gaps, ``recorded_at`` never decreasing, the hash recomputed
          from the fields and the hash before it), so a copy never carries a broken
          chain over (``InvalidEventError`` naming ``from`` and the position);
        - the actor index rows are copied as the other store holds them, not recomputed,
          because an append indexes a correction or retraction under the actors named
          when its chunk was checked, which a recomputation in position order can exceed:
          copied, ``events(actor=...)`` lists what the other store lists. The index is
          outside the hash chain, so each event's rows are checked against what an
          append writes: every actor the event names, no other actor than those of the
          event it mends and that event's earlier corrections, its own ``occurred_at``;
        - at the end this store's head, read in the transaction, must be ``head``.

        The rows are written ``page_size`` at a time (COPY on PostgreSQL); ``on_page`` is
        told how many each page took.
        """
        copied = 0
        with self._write() as conn:
            last = self._lock_and_read_last(conn)
            if last is not None:
                raise InvalidEventError(
                    "to",
                    f"{self.url} holds {last.position:,} events; a copy goes into an empty "
                    "store; nothing was copied",
                )
            self.backend.start_copy(conn, self.url)
            walk = ChainWalk()
            for page in _pages(rows, page_size):
                self._copy_page(conn, walk, page)
                copied += len(page)
                if on_page is not None:
                    on_page(len(page))
            last = conn.execute(_LAST).first()
            found = (0, "") if last is None else (last.position, last.hash)
            if found != tuple(head):
                raise InvalidEventError(
                    "from",
                    f"the copy ends at position {found[0]} (hash {found[1] or '-'}), not at "
                    f"the head read before it began, position {head[0]} (hash "
                    f"{head[1] or '-'}); nothing was copied",
                )
        return copied

    def _copy_page(
        self, conn: sa.Connection, walk: ChainWalk, rows: list[StoredEvent | Unreadable]
    ) -> None:
        backend = self.backend
        event_rows = []
        page: list[StoredEvent] = []
        for stored in rows:
            if isinstance(stored, Unreadable):
                raise _not_copied(stored.position, str(stored))
            page.append(stored)
            event = stored.event
            problem = walk.step(event)
            if problem is not None:
                raise _not_copied(event.position, problem)
            event_rows.append(
                _event_values(
                    event,
                    content_json(event)[1],
                    backend.db_time(event.occurred_at),
                    backend.db_time(event.recorded_at),
                    backend,
                )
            )
        # The events first: what the index of a correction may name is read from the
        # events it mends, which may be in this very page.
        self._insert_rows(conn, "events", event_rows)
        problems = self._index_problems(conn, page)
        actor_rows: list[tuple[Any, ...]] = []
        for stored in page:
            event = stored.event
            if event.position in problems:
                raise _not_copied(event.position, problems[event.position][1])
            occurred = backend.db_time(event.occurred_at)
            actor_rows.extend((name, event.position, occurred) for name, _ in stored.index)
        self._insert_rows(conn, "actors", actor_rows)

    def _mended_names(
        self, conn: sa.Connection, mending: list[RecordedEvent]
    ) -> tuple[dict[int, list[str]], dict[int, tuple[str, str]]]:
        """The actors an append may index each correction or retraction under besides its
        own: those of the event it mends and of that event's corrections stored before it
        (as :meth:`_check_links` finds them), by the mending event's position; and, by
        position, ``(field, problem)`` for those that mend no event stored before them."""
        if not mending:
            return {}, {}
        links = {e.position: _link(e) for e in mending}
        found = self._by_ids(conn, [link.target for link in links.values() if link is not None])
        roots: dict[int, uuid.UUID] = {}
        problems: dict[int, tuple[str, str]] = {}
        for event in mending:
            link = links[event.position]
            assert link is not None
            target = found.get(link.target)
            if target is None or target.position >= event.position:
                field = "corrects" if link.corrects is not None else "retracts"
                problems[event.position] = (
                    field,
                    f"it mends {link.target}, which is not stored before it",
                )
                continue
            roots[event.position] = target.corrects or target.id
        root_ids = list(dict.fromkeys(roots.values()))
        found.update(self._by_ids(conn, [r for r in root_ids if r not in found]))
        corrections: dict[uuid.UUID, list[RecordedEvent]] = {}
        for start in range(0, len(root_ids), _ID_CHUNK):
            for row in conn.execute(
                sa.select(*_STORED).where(
                    events.c.corrects.in_(root_ids[start : start + _ID_CHUNK])
                )
            ):
                correction = _recorded(row, self.day_zone)
                assert correction.corrects is not None
                corrections.setdefault(correction.corrects, []).append(correction)
        names = {
            position: [
                *_named_actors(found[root]),
                *(
                    name
                    for correction in corrections.get(root, ())
                    if correction.position < position
                    for name in _named_actors(correction)
                ),
            ]
            for position, root in roots.items()
        }
        return names, problems

    # -- reading -----------------------------------------------------------------------

    def incident_version(self, incident: str) -> int:
        """Return the incident's current version: its number of events, 0 when none."""
        with self._read() as conn:
            return self._versions(conn, [incident])[incident]

    def get(self, event_id: uuid.UUID) -> RecordedEvent | None:
        """Return the stored event with this id, or ``None``."""
        with self._read() as conn:
            return self._by_ids(conn, [event_id]).get(event_id)

    def read(
        self,
        where: EventFilter,
        *,
        limit: int | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[RecordedEvent]:
        """Yield the events ``where`` selects in position order, a page per query.

        Each page is its own short read (keyset paging on position), so a reader of a
        million events holds one page in memory and no transaction open between pages.
        """
        after = where.after_position
        remaining = limit
        while remaining is None or remaining > 0:
            size = page_size if remaining is None else min(page_size, remaining)
            query = self._select(attrs.evolve(where, after_position=after)).limit(size)
            with self._read() as conn:
                page = [_recorded(row, self.day_zone) for row in conn.execute(query).all()]
            yield from page
            if len(page) < size:
                return
            after = page[-1].position
            if remaining is not None:
                remaining -= len(page)

    def _select(self, where: EventFilter) -> sa.Select[Any]:
        query = sa.select(*_STORED)
        occurred, position = events.c.occurred_at, events.c.position
        if where.actor is not None:
            # The actor's rows in position order, from the (actor, position) index (0010)
            # or, for an actor named by most events, the (position, actor) one: a page
            # reads its own rows, not every row of the actor to sort them. Each event is
            # then looked up by its key: "+ 0" makes the join's condition one that no
            # index of the actor table serves, so neither database walks the events from
            # position 1 (PostgreSQL: a merge join along the events' key) to find the
            # actor's rows beyond the page's start.
            query = query.select_from(
                events.join(event_actors, events.c.position == event_actors.c.position + _ZERO)
            ).where(event_actors.c.actor == where.actor)
            occurred, position = event_actors.c.occurred_at, event_actors.c.position
        conditions = [*_placed(where, occurred, position), *_described(where, events)]
        if where.reported_to is not None:
            conditions.append(_at_most(_REPORTED, where.reported_to))
        return query.where(*conditions).order_by(position)

    def known_position(
        self, recorded_to: Bound | None, *, conn: sa.Connection | None = None
    ) -> int:
        """Return the last position recorded by ``recorded_to`` (all of them when None).

        Positions grow with ``recorded_at``, so "known at K" is "every position up to P".
        """
        if recorded_to is None:
            query, values = _KNOWN[None], {}
        else:
            query, values = _KNOWN[recorded_to[1]], {"bound": recorded_to[0]}
        with self._using(conn) as conn:
            return conn.execute(query, values).scalar() or 0

    def settled(self, recorded_to: Bound | None) -> tuple[int, dt.datetime | None]:
        """Return ``(P, clock)``: the last position recorded by ``recorded_to``, fixed
        for good, and the store's clock when the bound reaches past it (else ``None``).

        An append reads its ``recorded_at`` when it takes the write lock, but its rows
        become visible only at commit; a reader that counted "recorded by K" from the
        committed rows alone would miss an append in flight whose ``recorded_at`` is
        before K, and answer differently once it commits. So:

        - when K is before the newest committed ``recorded_at``, no append in flight or
          to come can be recorded by K (each is recorded at or after the newest one,
          under the lock), and the committed rows answer;
        - otherwise the reader takes the write lock itself for a moment (PostgreSQL: the
          append key's advisory lock, shared, so readers never wait for each other;
          SQLite: ``BEGIN IMMEDIATE``), which waits for an append in flight to commit,
          and counts under it. Every later append reads its clock after that, so it
          is recorded after the clock read here: a K at or beyond that clock is the
          present, answered with everything committed, and the clock is returned so
          the basis can say so.

        ``recorded_to=None`` is everything committed now.
        """
        if recorded_to is None:
            return self.known_position(None), None
        moment, inclusive = recorded_to
        with self._read() as conn:
            last = conn.execute(_LAST).first()
            newest = None if last is None else _raw_time(last.recorded_at)
            if newest is not None and (moment < newest or (moment == newest and not inclusive)):
                return self.known_position(recorded_to, conn=conn), None
        with self._translate(), self._write_engine.connect() as conn, conn.begin() as transaction:
            self.backend.share_append_lock(conn)
            clock = self.backend.now(conn)
            if moment < clock:
                position = self.known_position(recorded_to, conn=conn)
                transaction.rollback()
                return position, None
            position = self.known_position(None, conn=conn)
            transaction.rollback()
            return position, clock

    def unreported(
        self, where: EventFilter, *, conn: sa.Connection | None = None
    ) -> list[tuple[dt.datetime, str, dt.datetime]]:
        """``(occurred_at, precision, recorded_at)`` of each event of ``where`` (not a
        correction or retraction, nor retracted by a retraction within the bounds) that
        its bound on reported time leaves out only because it was given no reported time
        (its recorded time stands for it, and is after the bound), in position order.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s")
            >>> bound = (dt.datetime(2017, 6, 18, tzinfo=dt.UTC), True)
            >>> [p for _, p, _ in tl._store.unreported(EventFilter(actor="Syria",
            ...                                                     reported_to=bound))]
            ['day']
        """
        listed = self._unreported(where)
        query = sa.select(listed.c.occurred_at, listed.c.precision, listed.c.recorded_at)
        with self._using(conn) as reader:
            return [
                (_raw_time(occurred), precision, _raw_time(recorded))
                for occurred, precision, recorded in reader.execute(query)
            ]

    def unreported_count(
        self, where: EventFilter, *, conn: sa.Connection | None = None
    ) -> tuple[int, dt.datetime | None]:
        """How many events :meth:`unreported` lists, and the first recorded time among
        them, counted by the database: ``state()`` and ``history()`` need no more, and
        listing every event of a large actor cost a ``state()`` with ``reported_by`` a
        hundred times its answer (issue 15).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="s")
            >>> bound = (dt.datetime(2017, 6, 18, tzinfo=dt.UTC), True)
            >>> tl._store.unreported_count(EventFilter(actor="Syria", reported_to=bound))[0]
            1
        """
        listed = self._unreported(where)
        query = sa.select(sa.func.count(), sa.func.min(listed.c.recorded_at))
        with self._using(conn) as reader:
            count, first = reader.execute(query).one()
        return int(count), None if first is None else _raw_time(first)

    def _unreported(self, where: EventFilter) -> Any:
        """The events :meth:`unreported` lists, as a subquery: the actor's index rows
        within the bounds, each event probed by its key (on PostgreSQL ``_event_at``,
        where a join was planned as a hash join over a scan of every event: 90 ms of a
        ``state()`` with ``reported_by`` asked of one actor among 100,000; issue 15)."""
        assert where.reported_to is not None and where.actor is not None
        rows = event_actors
        unreported = [
            events.c.reported_at.is_(None),
            sa.not_(_at_most(events.c.recorded_at, where.reported_to)),
            events.c.corrects.is_(None),  # events, not their corrections and retractions
            events.c.retracts.is_(None),
        ]
        terms = [*unreported, *_described(where, events)]
        if self.backend.keeps_plans:  # PostgreSQL: a probe per row, in every plan
            event: Any = _event_at(rows.c.position, *terms)
            joined, terms = rows.join(event, sa.true()), []
        else:  # SQLite (no LATERAL) probes the events' key per row of a join
            event, joined = events, rows.join(events, events.c.position == rows.c.position)
        # a retraction within the basis leaves its event out whatever the event's own
        # reported time
        retraction = events.alias("retraction")
        retracted = sa.exists().where(
            retraction.c.retracts == event.c.id,
            *(
                []
                if where.known_position is None
                else [retraction.c.position <= where.known_position]
            ),
            _at_most(
                sa.func.coalesce(
                    retraction.c.reported_at, retraction.c.recorded_at, type_=UTCDateTime
                ),
                where.reported_to,
            ),
        )
        return (
            sa.select(event.c.occurred_at, event.c.precision, event.c.recorded_at)
            .select_from(joined)
            .where(
                rows.c.actor == where.actor,
                *_placed(where, rows.c.occurred_at, rows.c.position, event.c.precision),
                *terms,
                sa.not_(retracted),
            )
            .order_by(rows.c.position)
            .subquery()
        )

    def in_valid_time(
        self,
        *,
        known_position: int,
        actor: str | None = None,
        types: Iterable[str] | None = None,
        occurred_to: Bound | None = None,
        reported_to: Bound | None = None,
        after: tuple[dt.datetime, int] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        whole: bool = True,
        first: list[Any] | None = None,
        conn: sa.Connection | None = None,
    ) -> Iterator[RecordedEvent] | Iterator[Glimpse]:
        """Iterate over recorded events (not corrections or retractions) in valid-time order.

        ``(occurred_at, position)`` order, positions up to ``known_position``, naming
        ``actor`` if given, of one of ``types`` if given, reported by ``reported_to`` if
        given, starting after the key ``after``; a page per query (keyset paging on the
        same key, served by the actor, the type or the occurred_at index).

        ``whole=False`` yields :class:`~timeline.events.Glimpse` objects with what the
        default fold reads (id, position, type, actor, targets, time, precision,
        effects; the reported times when ``reported_to`` is given), not ``data``,
        ``source``, the hash or the links: a full replay then decodes a third of the
        bytes, and builds no :class:`RecordedEvent`. ``first``: its first page, read
        already (:attr:`FoldStart.page`, with ``whole=False``).
        """
        columns = _STORED
        if not whole:
            columns = list(_FOLD_COLUMNS)
            if reported_to is not None:  # to tell which claims straddle the bound
                columns += _REPORTED_COLUMNS
        pages = self._valid_time_pages(
            columns,
            known_position=known_position,
            actor=actor,
            types=types,
            occurred_to=occurred_to,
            reported_to=reported_to,
            after=after,
            page_size=page_size,
            first=first,
            conn=conn,
        )
        # the rows' own iterators, returned rather than yielded from: a generator here
        # would hand on each of a replay's thousands of events once more
        if not whole:
            return _fold_glimpses(pages, reported=reported_to is not None)
        rows = itertools.chain.from_iterable(pages)
        if self.day_zone is None:
            return map(_recorded, rows)
        # the events a history, a sequence or a fold function gets end their days in the
        # timeline's day zone, as every other read's do
        return map(_recorded, rows, itertools.repeat(self.day_zone))

    def glimpses(
        self,
        *,
        known_position: int,
        types: Iterable[str],
        with_data: bool,
        with_incident: bool = True,
        reported_to: Bound | None = None,
        page_size: int = 20_000,
        conn: sa.Connection | None = None,
    ) -> Iterator[Glimpse]:
        """Yield what a sequence step looks at of each event of ``types``, in valid-time
        order (as :meth:`in_valid_time`), without decoding the rest of the row.

        The scan of a sequence report reads every event of its types: reading only
        position, type, actor, targets, time, precision and incident (and ``data`` when a
        step needs it), as the driver returns them, is most of its speed. The targets
        are read as text on both backends and each distinct text decoded once: the
        events of a scan name the same few lists of targets again and again.
        ``with_incident=False``: the glimpses' ``incident`` is ``None``, unread (no step
        keys on it or asks for it: a tenth of SQLite's work on the scan).
        """
        columns = _GLIMPSE_COLUMNS[with_data, reported_to is not None, with_incident]
        pages = self._valid_time_pages(
            columns,
            known_position=known_position,
            types=types,
            reported_to=reported_to,
            page_size=page_size,
            conn=conn,
        )
        make = tuple.__new__  # Glimpse(...) by keyword is several times slower
        decoded: dict[str, tuple[str, ...]] = {}
        if with_data or reported_to is not None:
            time = _raw_time
            reported = 8 if with_data else 7  # where the reported columns start
            for page in pages:
                for row in page:
                    raw = row[6]
                    targets = decoded.get(raw)
                    if targets is None:
                        targets = _remember(decoded, raw, tuple(json.loads(raw)))
                    claimed: tuple[Any, ...] = (None, None, None)
                    if reported_to is not None:
                        later = row[reported + 1]
                        claimed = (
                            time(row[reported]),
                            None if later is None else time(later),
                            row[reported + 2],
                        )
                    data = _raw_json(row[7]) if with_data else _NO_DATA
                    yield make(
                        Glimpse, (*row[:5], time(row[5]), targets, data, *claimed, NO_EFFECTS, None)
                    )
            return
        # The scan of most reports: once per event of a scan of a million, so the row
        # is unpacked, its time read (SQLite's UTC text, or psycopg's aware time in the
        # session's UTC) and its glimpse made in a few steps, without a call.
        text = self.backend.stores_text
        from_iso, utc = _from_iso, _UTC_SUFFIX
        for page in pages:
            for position, kind, actor, incident, precision, occurred, raw in page:
                targets = decoded.get(raw)
                if targets is None:
                    targets = _remember(decoded, raw, tuple(json.loads(raw)))
                yield make(
                    Glimpse,
                    (
                        position,
                        kind,
                        actor,
                        incident,
                        precision,
                        from_iso(occurred + utc) if text else _raw_time(occurred),
                        targets,
                        _NO_DATA,
                        None,
                        None,
                        None,
                        NO_EFFECTS,
                        None,
                    ),
                )

    def _valid_time_pages(
        self,
        columns: list[Any],
        *,
        known_position: int,
        actor: str | None = None,
        types: Iterable[str] | None = None,
        occurred_to: Bound | None = None,
        reported_to: Bound | None = None,
        after: tuple[dt.datetime, int] | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
        first: list[Any] | None = None,
        conn: sa.Connection | None = None,
    ) -> Iterator[Sequence[Any]]:
        """The rows of :meth:`in_valid_time` for ``columns``, a page (list) at a time;
        ``first``, the first page, read already (its rows start with ``columns``)."""
        wanted = None if types is None else tuple(sorted(set(types)))
        # Several types without an actor: one index range per type, merged by the
        # database as one UNION ALL (see _valid_time_query), streamed as one statement
        merged = actor is None and wanted is not None and len(wanted) > 1
        # the statement is built once per shape (then SQLAlchemy reuses its compiled form
        # and cache key); the values are bound
        shape = (
            tuple(columns),
            actor is not None,
            None if occurred_to is None else occurred_to[1],
            None if reported_to is None else reported_to[1],
            wanted,
            None if merged else page_size,
        )
        values: dict[str, Any] = {"known": known_position, "actor": actor}
        if occurred_to is not None:
            values["occurred_to"] = occurred_to[0]
        if reported_to is not None:
            values["reported_to"] = reported_to[0]
        if merged:
            # One statement, streamed a page at a time (a server-side cursor on
            # PostgreSQL): PostgreSQL plans a LIMIT on this union as a sort of every
            # remaining row, so keyset pages would sort the rest once per page.
            if after is not None:
                values["after_moment"], values["after_position"] = after
            query = _valid_time_query(*shape, paged=after is not None)
            with self._using(conn) as reader:
                yield from self.backend.stream(reader, query, values, page_size)
            return
        # the page's key, to start the next one after
        names = [column.name for column in columns]
        at, position = names.index("occurred_at"), names.index("position")
        last = after
        if first is not None:
            yield first
            if len(first) < page_size:
                return
            last = (_raw_time(first[-1][at]), first[-1][position])
        # where plans are kept, an actor's pages probe each event by its key, which no
        # plan can turn into a whole-table read: so they may be kept too (a full replay
        # of 10,000 events reads ten; parsing and planning each cost about a
        # millisecond), and a page near the end of a large actor's events, planned
        # afresh, was a hash join over a scan of every event (16 ms a page instead of 5
        # on 50,000 events)
        keyed = actor is not None and self.backend.keeps_plans
        while True:
            query = _valid_time_query(*shape, paged=last is not None, keyed=keyed)
            if last is not None:
                values["after_moment"], values["after_position"] = last
            with self._using(conn) as reader:
                # the driver's own tuples (each caller decodes the few columns it takes);
                # kept only outside a transaction, where a statement a schema change made
                # stale is prepared again (inside one, the refusal would be the caller's)
                kept = keyed and not reader.in_transaction()
                page = self.backend.fetch(reader, query, values, kept=kept)
            yield page
            if len(page) < page_size:
                return
            last = (_raw_time(page[-1][at]), page[-1][position])

    def mending(
        self,
        *,
        known_position: int,
        actor: str | None = None,
        conn: sa.Connection | None = None,
    ) -> list[RecordedEvent]:
        """Return every correction and retraction up to ``known_position`` (indexed under
        ``actor``, if given)."""
        query = _MENDING_UP_TO[actor is not None]
        values = {"known": known_position, "actor": actor}
        with self._using(conn) as conn:
            return [_recorded(row, self.day_zone) for row in conn.execute(query, values)]

    def newest_and_mending(
        self, *, actor: str | None = None, conn: sa.Connection | None = None
    ) -> tuple[int, list[RecordedEvent]]:
        """Return the newest position (0 when empty) and :meth:`mending` up to it, read
        in one statement: a question on everything recorded fixes its basis with the
        first read it makes, a round trip less than :meth:`known_position` first."""
        with self._using(conn) as conn:
            rows = conn.execute(_NEWEST_MENDING[actor is not None], {"actor": actor}).all()
        newest = rows[0].newest or 0
        return newest, [
            _recorded(row[1:], self.day_zone) for row in rows if row.position is not None
        ]

    def mending_of(self, event_id: uuid.UUID) -> list[RecordedEvent]:
        """Return the corrections and retractions of one event, in position order."""
        return self.mending_of_many([event_id])

    def mending_of_many(
        self,
        ids: Sequence[uuid.UUID],
        *,
        known_position: int | None = None,
        conn: sa.Connection | None = None,
    ) -> list[RecordedEvent]:
        """Return the corrections and retractions of these events (up to
        ``known_position``), in position order."""
        found: list[RecordedEvent] = []
        with self._using(conn) as reader:
            for start in range(0, len(ids), _ID_CHUNK):
                chunk = list(ids[start : start + _ID_CHUNK])
                query = sa.select(*_STORED).where(
                    sa.or_(events.c.corrects.in_(chunk), events.c.retracts.in_(chunk))
                )
                if known_position is not None:
                    query = query.where(events.c.position <= known_position)
                found += [_recorded(row, self.day_zone) for row in reader.execute(query)]
        return sorted(found, key=lambda e: e.position)

    def mending_tree(
        self, roots: Iterable[uuid.UUID], *, known_position: int, conn: sa.Connection
    ) -> list[RecordedEvent]:
        """Return every correction and retraction of these events up to
        ``known_position``, the retractions of their corrections included, in position
        order."""
        first = self.mending_of_many(list(roots), known_position=known_position, conn=conn)
        fixes = [e.id for e in first if e.corrects is not None]
        below = self.mending_of_many(fixes, known_position=known_position, conn=conn)
        return sorted({e.id: e for e in [*first, *below]}.values(), key=lambda e: e.position)

    def at_positions(
        self, positions: Iterable[int], *, conn: sa.Connection | None = None, held: bool = False
    ) -> dict[int, RecordedEvent]:
        """Return the stored events at these positions, by position (``held``: for an
        answer given before the store was closed, see :meth:`_translate`)."""
        wanted = sorted(set(positions))
        found: dict[int, RecordedEvent] = {}
        try:
            with self._using(conn, held=held) as reader:
                for start in range(0, len(wanted), _ID_CHUNK):
                    chunk = wanted[start : start + _ID_CHUNK]
                    for row in reader.execute(
                        sa.select(*_STORED).where(events.c.position.in_(chunk))
                    ).all():
                        found[row.position] = _recorded(row, self.day_zone)
        finally:
            if self._closed:  # a read for an answer after close: no pool is left open
                self.engine.dispose()
        return found

    def get_many(
        self, ids: Iterable[uuid.UUID], *, conn: sa.Connection | None = None
    ) -> dict[uuid.UUID, RecordedEvent]:
        """Return the stored events with these ids (missing ones left out)."""
        with self._using(conn) as conn:
            return self._by_ids(conn, list(dict.fromkeys(ids)))

    def has_name(self, by: str, name: str, *, conn: sa.Connection | None = None) -> bool:
        """Whether any stored event has this actor (as actor, target or in effects),
        incident or type (``by``); one probe of an index."""
        column = _NAMED[by]
        with self._using(conn) as conn:
            return (
                conn.execute(sa.select(column).where(column == name).limit(1)).first() is not None
            )

    def names(self, by: str, *, conn: sa.Connection | None = None) -> list[str]:
        """Every actor, incident or type (``by``) of the stored events, sorted."""
        column = _NAMED[by]
        with self._using(conn) as conn:
            return list(conn.execute(sa.select(column).distinct().order_by(column)).scalars())

    def tally(
        self,
        by: str,
        *,
        known_position: int | None = None,
        reported_to: Bound | None = None,
        conn: sa.Connection | None = None,
    ) -> list[tuple[str, int, dt.datetime, dt.datetime]]:
        """Return ``(name, events, first, last)`` per actor, incident or type (``by``),
        sorted by name: how many recorded events (not corrections or retractions) name
        it, and the earliest and latest ``occurred_at`` among them, as recorded.

        Actors are counted through the actor index, so an event counts for its actor, each
        target and each actor of its effects. One grouped scan; for listings and the
        suggestions of near names, not for hot paths.
        """
        if by == "actor":
            name, occurred = event_actors.c.actor, event_actors.c.occurred_at
            source: Any = event_actors.join(events, event_actors.c.position == events.c.position)
        elif by in ("incident", "type"):
            name, occurred, source = events.c[by], events.c.occurred_at, events
        else:
            raise InvalidEventError("by", f"expected actor, incident or type, got {by!r}")
        conditions: list[Any] = [events.c.corrects.is_(None), events.c.retracts.is_(None)]
        if known_position is not None:
            conditions.append(events.c.position <= known_position)
        if reported_to is not None:
            conditions.append(_at_most(_REPORTED, reported_to))
        query = (
            sa.select(
                name,
                sa.func.count(),
                sa.type_coerce(sa.func.min(occurred), sa.String),
                sa.type_coerce(sa.func.max(occurred), sa.String),
            )
            .select_from(source)
            .where(*conditions)
            .group_by(name)
            .order_by(name)
        )
        with self._using(conn) as conn:
            return [
                (row[0], row[1], _raw_time(row[2]), _raw_time(row[3]))
                for row in conn.execute(query)
            ]

    # -- snapshots ---------------------------------------------------------------------

    def snapshot_rights(self, conn: sa.Connection) -> tuple[bool, bool]:
        """Return whether this role may read and may write snapshots, asked once.

        PostgreSQL: reading needs SELECT on ``timeline_snapshots``; writing needs SELECT,
        INSERT and DELETE (a save prunes) and USAGE of its id sequence. A role without
        them answers without snapshots, rather than failing (a failed statement would
        end the read's transaction). SQLite has no roles: both are true.
        """
        if self._snapshot_rights is None:
            self._snapshot_rights = self.backend.snapshot_rights(conn)
        return self._snapshot_rights

    def may_write_snapshots(self) -> bool:
        """Whether this role may write snapshots (see :meth:`snapshot_rights`)."""
        if self._snapshot_rights is None:
            with self._read() as conn:
                self.snapshot_rights(conn)
        assert self._snapshot_rights is not None
        return self._snapshot_rights[1]

    def snapshots_for(
        self,
        actor: str,
        fingerprint: str,
        *,
        through: Bound | None,
        conn: sa.Connection | None = None,
    ) -> list[tuple[Snapshot, str | None]]:
        """Return the actor's snapshots that end at or before ``through``, newest first,
        each with what is wrong with it or ``None`` (see :meth:`snapshot_problems`).

        One statement reads the snapshots with the stored events at their positions
        (each row joined with the events at its known, through and last positions), so
        the check costs no round trip of its own. Rows that cannot be read as snapshots
        are left out (a warning is logged): they are a cache, and :meth:`Timeline.verify`
        names them.
        """
        values: dict[str, Any] = {"actor": actor, "fingerprint": fingerprint}
        if through is None:
            query = _SNAPSHOTS[None]
        else:
            query = _SNAPSHOTS[through[1]]
            values["bound"] = through[0]
        with self._using(conn) as conn:
            rows = conn.execute(query, values).all()

            def bound_events(found: list[Snapshot]) -> dict[int, RecordedEvent]:
                kept = {snap.id for snap in found}
                stored: dict[int, RecordedEvent] = {}
                for row in rows:  # the joined events of the rows kept
                    if row.id in kept:
                        stored.update(_bound_events(row))
                return stored

            return self._usable_snapshots(actor, rows, bound_events, through=through, conn=conn)

    def _usable_snapshots(
        self,
        actor: str,
        rows: Iterable[Any],
        bound_events: Callable[[list[Snapshot]], Mapping[int, RecordedEvent]],
        *,
        through: Bound | None,
        conn: sa.Connection,
        read_as: tuple[Any, ...] | None = None,
    ) -> list[tuple[Snapshot, str | None]]:
        """The snapshots of ``rows`` (as :func:`_snapshot` reads them, newest first) that
        end by ``through``, each with its problem (see :meth:`snapshots_for`);
        ``bound_events(found)`` decodes the stored events at their positions.

        ``read_as``: the driver's rows the snapshots and those events were read from,
        whole; when the same rows were found sound before, they are not checked again.
        """
        found: list[Snapshot] = []
        for row in rows:
            snapshot = _snapshot(row)
            if isinstance(snapshot, str):
                _log.warning("timeline: snapshot %s of %r not used: %s", row.id, actor, snapshot)
                continue
            # the bound again, on the times as read (the SQL compared stored text)
            if through is not None and (
                not _at_or_before(snapshot.through_occurred_at, through)
                or snapshot.max_end > through[0]
            ):
                continue
            found.append(snapshot)
        if found and read_as is not None and read_as in self._sound:
            return [(snap, None) for snap in found]
        try:
            stored = bound_events(found)
        except (ValueError, TypeError) as e:  # a damaged event: verify() names it
            unreadable = f"the events at its positions cannot be read ({e})"
            return [(snap, unreadable) for snap in found]
        checked = list(zip(found, self._snapshot_problems(found, stored, conn), strict=True))
        if (
            found
            and read_as is not None
            and all(problem is None and _as_recorded(snap, stored) for snap, problem in checked)
        ):
            if len(self._sound) >= _SOUND_KEPT:
                self._sound.clear()  # one step, safe with other threads asking too
            self._sound[read_as] = None
        return checked

    def fold_start(
        self,
        actor: str,
        *,
        known_position: int | None,
        fingerprint: str | None,
        occurred_to: Bound | None,
        reported_to: Bound | None = None,
        page: bool = True,
        page_size: int = DEFAULT_PAGE_SIZE,
        conn: sa.Connection,
    ) -> FoldStart:
        """Read in one statement what a fold of ``actor`` starts from: the newest
        position (``known_position=None``; else that one), the mending events indexed
        under the actor up to it (:meth:`newest_and_mending`, :meth:`mending`), its
        newest snapshot of ``fingerprint`` that ends by ``occurred_to`` (as
        :meth:`snapshots_for` checks it; ``None``: none read) and, ``page``, the first
        page of the default fold's rows (:meth:`in_valid_time` with ``whole=False``)
        after that snapshot, or from the start when there is none.

        The page is read before the snapshot is checked: it serves when the fold
        starts from that snapshot (or from no snapshot when none was read), which
        :attr:`FoldStart.after` tells; otherwise the caller reads older snapshots
        (:meth:`snapshots_for`) and the events after the one it chose. On PostgreSQL
        the three reads were three round trips and three plans. The statement is run
        as SQL compiled once per shape (:func:`~timeline._backends.base.driver_form`)
        and, where the engine keeps plans, prepared (``Backend.fetch`` with ``kept``).

        Example:
            >>> store = Store.open("sqlite://")
            >>> with store.session() as conn:
            ...     begun = store.fold_start(
            ...         "US", known_position=None, fingerprint=None, occurred_to=None, conn=conn
            ...     )
            >>> begun.newest, begun.mending, begun.snapshots, begun.after, begun.page
            (0, [], [], None, [])
        """
        shape = (
            known_position is None,
            None if fingerprint is None else (None if occurred_to is None else occurred_to[1]),
            fingerprint is not None,
            None if occurred_to is None else occurred_to[1],
            None if reported_to is None else reported_to[1],
            page_size if page else None,
            self.backend.keeps_plans,
        )
        values: dict[str, Any] = {"actor": actor, "floor": _FLOOR}
        if known_position is not None:
            values["known"] = known_position
        if fingerprint is not None:
            values["fingerprint"] = fingerprint
        if occurred_to is not None:
            values["bound"] = values["occurred_to"] = occurred_to[0]
        if reported_to is not None:
            values["reported_to"] = reported_to[0]
        with self._translate():
            # kept: written so that any plan of it reads through keys (Backend.fetch)
            rows = self.backend.fetch(conn, _fold_start_query(*shape), values, kept=True)
        by_kind: dict[int, list[Any]] = {kind: [] for kind in range(5)}
        for row in rows:
            by_kind[row[-1]].append(row)
        (head,) = by_kind[_HEAD]
        newest = (head[0] or 0) if known_position is None else known_position
        mending = sorted(
            (_recorded(_laid_out(row), self.day_zone) for row in by_kind[_MENDED]),
            key=lambda e: e.position,
        )
        snapshot_rows: list[Any] = [
            _SnapshotRow._make(row[_SNAPSHOT_SLICE]) for row in by_kind[_SNAPSHOT]
        ]
        # the page starts after the newest snapshot's end (as stored), usable or not
        after = (
            None
            if not snapshot_rows
            else (
                _raw_time(snapshot_rows[0].through_occurred_at),
                snapshot_rows[0].through_position,
            )
        )
        page_rows = by_kind[_PAGE]
        page_rows.sort(key=_PAGE_KEY)  # the statement has no ORDER BY (see there)

        def bound_events(found: list[Snapshot]) -> dict[int, RecordedEvent]:
            named = {
                p
                for snap in found
                for p in (snap.known_position, snap.through_position, snap.last_position)
            }
            return {
                row[0]: _recorded(_laid_out(row), self.day_zone)
                for row in by_kind[_BOUND]
                if row[0] in named
            }

        found = (
            []
            if fingerprint is None
            else self._usable_snapshots(
                actor,
                snapshot_rows,
                bound_events,
                through=occurred_to,
                conn=conn,
                read_as=(*by_kind[_SNAPSHOT], *sorted(by_kind[_BOUND], key=_POSITION)),
            )
        )
        return FoldStart(newest, mending, found, after, page_rows if page else None)

    def all_snapshots(self, *, page_size: int = DEFAULT_PAGE_SIZE) -> Iterator[Snapshot | str]:
        """Yield every stored snapshot by id, each as a :class:`Snapshot`, or as the text
        ``"snapshot ID of ACTOR: problem"`` when its row cannot be read as one."""
        after = -1
        while True:
            with self._read() as conn:
                page = conn.execute(
                    sa.select(*_SNAPSHOT_COLUMNS)
                    .where(snapshots.c.id > after)
                    .order_by(snapshots.c.id)
                    .limit(page_size)
                ).all()
            for row in page:
                snapshot = _snapshot(row)
                yield (
                    snapshot
                    if not isinstance(snapshot, str)
                    else (f"snapshot {row.id} of {row.actor!r}: {snapshot}")
                )
            if len(page) < page_size:
                return
            after = page[-1].id

    def snapshot_problems(
        self, found: Sequence[Snapshot], *, conn: sa.Connection | None = None
    ) -> list[str | None]:
        """Check snapshots against the events they claim to stand for; return, for each,
        what is wrong with it or ``None``.

        What a reader can check cheaply, with one read of the events at a few positions:
        that they end at a stored event of their actor, at its time, on a stored
        knowledge, and carry the digest of their fields and of the hash chain there
        (:func:`snapshot_digest`). An edited row, one made up with positions or times
        the events do not have, or one that outlived a rewrite of the events fails. The
        state itself is checked only by folding again, which :meth:`Timeline.verify`
        does: a role that can write snapshots and computes the digest can make one that
        passes here, which is why only the owner should hold that right.
        """
        if not found:
            return []
        positions = {
            p
            for s in found
            for p in (s.known_position, s.through_position, s.last_position)
            if 0 < p < 2**63
        }
        try:
            stored = self.at_positions(positions, conn=conn)
        except (ValueError, TypeError) as e:  # a damaged event: verify() names it
            return [f"the events at its positions cannot be read ({e})"] * len(found)
        return self._snapshot_problems(found, stored, conn)

    def _snapshot_problems(
        self,
        found: Sequence[Snapshot],
        stored: Mapping[int, RecordedEvent],
        conn: sa.Connection | None,
    ) -> list[str | None]:
        """:meth:`snapshot_problems` on the events at the snapshots' positions, read."""
        # a correction may have moved the event a snapshot ends at, or named its actor:
        # read the corrections of those that do not match as recorded (a few, by index)
        moved = {
            stored[s.through_position].id
            for s in found
            if s.through_position in stored and not _as_recorded(s, stored)
        }
        corrections: dict[uuid.UUID, list[RecordedEvent]] = {}
        for fix in self.mending_of_many(sorted(moved), conn=conn) if moved else ():
            if fix.corrects is not None:
                corrections.setdefault(fix.corrects, []).append(fix)
        return [_snapshot_problem(s, stored, corrections) for s in found]

    def changed_behind(
        self,
        actor: str,
        *,
        between: tuple[int, int],
        through: tuple[dt.datetime, int],
        conn: sa.Connection | None = None,
    ) -> bool:
        """Whether events of ``actor`` recorded between two positions reach behind a point.

        True when any event naming the actor with a position in ``(low, high]`` occurred
        at or before ``through`` or corrects or retracts anything: then a snapshot taken
        with one of the two knowledges does not hold for the other.
        """
        low, high = sorted(between)
        if low == high:
            return False
        # Two keys may serve: (actor, occurred_at, position), which reads every event of
        # the actor, or (position, actor), which reads every event recorded in between.
        # Usually few are recorded between a snapshot and a question (a fold saves new
        # snapshots), so the second: the actor is compared as an expression, which no
        # key serves, so that the planner takes the position range (schema 0007).
        named = (
            event_actors.c.actor == actor
            if high - low > _FEW_RECORDED
            else sa.func.coalesce(event_actors.c.actor, "") == actor
        )
        query = (
            sa.select(events.c.position)
            .join(event_actors, event_actors.c.position == events.c.position)
            .where(
                named,
                event_actors.c.position > low,
                event_actors.c.position <= high,
                sa.or_(
                    event_actors.c.occurred_at <= through[0],
                    events.c.corrects.is_not(None),
                    events.c.retracts.is_not(None),
                ),
            )
            .limit(1)
        )
        with self._using(conn) as conn:
            return conn.execute(query).first() is not None

    def save_snapshots(self, rows: Sequence[Snapshot], *, interval: int) -> None:
        """Store snapshots made every ``interval`` events of a fold, bound to the chain
        (their digest), and prune (a cache: the caller may ignore a failure).

        The cache stays bounded: per actor and fold key, at most twice the snapshots one
        fold of the actor's events makes (its events applied / ``interval``, plus one)
        are kept; beyond that the snapshots of the oldest knowledge (``known_position``)
        go first. Each late report makes every snapshot behind it stale for the
        questions after it, which then fold again and store a new set: without pruning,
        each would add a set for good.
        """
        if not rows:
            return
        now = dt.datetime.now(dt.UTC)
        # never behind a writer: a question would wait lock_timeout (30 s) for a cache
        # write while a long load holds SQLite's write lock; the next question saves it
        with self._write(wait=False) as conn:
            wanted = sorted({row.known_position for row in rows})
            chain = dict(
                conn.execute(
                    sa.select(events.c.position, events.c.hash).where(events.c.position.in_(wanted))
                ).all()
            )
            sealed = [
                {
                    **attrs.asdict(row, recurse=False, filter=lambda a, _: a.name != "id"),
                    "digest": snapshot_digest(row, chain[row.known_position]),
                    "created_at": now,
                }
                for row in rows
                if row.known_position in chain
            ]
            if not sealed:
                return
            conn.execute(snapshots.insert(), sealed)
            for actor, fingerprint in sorted({(row.actor, row.fingerprint) for row in rows}):
                applied = max(r.events_applied for r in rows if r.actor == actor)
                keep = 2 * (applied // max(interval, 1) + 1)
                kept = (
                    sa.select(snapshots.c.id)
                    .where(snapshots.c.actor == actor, snapshots.c.fingerprint == fingerprint)
                    .order_by(snapshots.c.known_position.desc(), snapshots.c.id.desc())
                    .limit(keep)
                )
                conn.execute(
                    snapshots.delete().where(
                        snapshots.c.actor == actor,
                        snapshots.c.fingerprint == fingerprint,
                        snapshots.c.id.not_in(kept),
                    )
                )

    def clear_snapshots(self, actor: str | None = None) -> int:
        """Delete snapshots (of one actor, or all); return how many."""
        query = snapshots.delete()
        if actor is not None:
            query = query.where(snapshots.c.actor == actor)
        with self._write() as conn:
            return conn.execute(query).rowcount

    def integrity(self, *, limit: int = 100) -> tuple[list[str], list[str]]:
        """Check the database's own structures; return ``(problems, notes)``.

        SQLite: ``PRAGMA integrity_check`` (every page, every index against its table);
        each line it reports is a problem. PostgreSQL has no such pragma: when the
        ``amcheck`` extension is installed in the database, ``bt_index_check`` (with
        ``heapallindexed``) checks each index of timeline's tables against its table, each
        failure a problem; without it, or without the right to run it, a note says so.
        Table pages are read whole by the walk of :meth:`Timeline.verify` (PostgreSQL
        checks their checksums as it reads them, on a cluster that has them on).
        """
        with self._translate():  # a closed store is refused here too, not reopened
            return self.backend.integrity(self.engine, limit=limit, url=self.url)

    def last(self) -> tuple[int, str]:
        """Return the position and hash of the newest event; ``(0, "")`` when empty."""
        with self._read() as conn:
            row = conn.execute(
                sa.select(events.c.position, events.c.hash)
                .order_by(events.c.position.desc())
                .limit(1)
            ).first()
        return (0, "") if row is None else (row.position, row.hash)


_FEW_RECORDED = 10_000
"""Up to this many positions between a snapshot's knowledge and a question's, the check
that nothing reached behind the snapshot reads them by position (``Store.changed_behind``)."""


def upgrade(engine: sa.Engine) -> None:
    """Bring the database behind ``engine`` to the newest schema, in one transaction."""
    with engine.connect() as conn:
        migrate.upgrade_connection(conn.execution_options(timeline_sqlite_begin="IMMEDIATE"))


_MENDING = sa.text(f"({MENDING})")
"""The mending events (corrections, retractions): the partial index's condition, verbatim."""
_NEWEST_POSITION = sa.select(sa.func.max(events.c.position).label("newest"))
"""The newest position (0 rows stored: NULL), as one row."""
_NEWEST = _NEWEST_POSITION.subquery("newest")
"""The newest position, as a one-row table to join with (:meth:`Store.newest_and_mending`)."""


def _mending_terms(known_position: Any, named: bool) -> list[Any]:
    """The mending events up to a position (indexed under the actor bound as ``actor``,
    if ``named``)."""
    # The condition is the partial index's own (MENDING), so the few mending events are
    # read through it; the actor is then a key lookup for each of them.
    terms = [events.c.position <= known_position, _MENDING]
    if named:
        terms.append(
            sa.exists().where(
                event_actors.c.actor == sa.bindparam("actor"),
                event_actors.c.position == events.c.position,
            )
        )
    return terms


_ZERO = sa.literal_column("0", sa.BigInteger())
"""Added to a column of a join's condition so that no index serves that side of it."""
_REPORTED = sa.func.coalesce(events.c.reported_at, events.c.recorded_at, type_=UTCDateTime)
"""When an event's claim became public: its reported time if given, else its recorded time."""


def _named_actors(event: Event | RecordedEvent) -> list[str]:
    names = dict.fromkeys([event.actor, *event.targets, *event.effects])
    return list(names)


EVENT_COLUMNS = tuple(column.name for column in events.c)
"""The events table's columns in its order (every field of
:data:`timeline.events.FIELDS`; tests/test_fields.py checks that they agree), as
:func:`_event_values` gives them."""
_JSON_COLUMNS = frozenset({"targets", "data", "effects", "source"})
ACTOR_COLUMNS = ("actor", "position", "occurred_at")


def _pages(
    rows: Iterable[StoredEvent | Unreadable], size: int
) -> Iterator[list[StoredEvent | Unreadable]]:
    page: list[StoredEvent | Unreadable] = []
    for row in rows:
        page.append(row)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page


def _not_copied(position: int, problem: str) -> InvalidEventError:
    return InvalidEventError(
        "from", f"position {position} does not verify: {problem}; nothing was copied"
    )


def _index_problem(stored: StoredEvent, mended: Iterable[str]) -> str | None:
    """What is wrong with an event's actor index rows, as an append would have written
    them (``mended``: the other actors a correction or retraction may be listed under)."""
    if stored.unreadable_index:
        return stored.unreadable_index[0]
    event = stored.event
    own = _named_actors(event)
    listed = [name for name, _ in stored.index]
    for name in own:
        if name not in listed:
            return f"the actor index does not list it under {name!r}, which it names"
    allowed = {*own, *mended}
    if len(set(listed)) != len(listed):
        return "the actor index lists it twice under one actor"
    for name, occurred in stored.index:
        if name not in allowed:
            return (
                f"the actor index lists it under {name!r}, which neither it nor the event "
                "it mends names"
            )
        if occurred != event.occurred_at:
            return (
                f"the actor index row under {name!r} says it occurred at "
                f"{isoformat(occurred)}, not {isoformat(event.occurred_at)}"
            )
    return None


def _event_values(
    event: RecordedEvent, fields: dict[str, str], occurred: Any, recorded: Any, backend: Backend
) -> tuple[Any, ...]:
    """The row of ``event``; ``fields``: its fields' canonical JSON (``content_json``),
    the JSON columns' text."""
    return (
        event.position,
        backend.db_uuid(event.id),
        event.incident,
        event.version,
        event.type,
        event.actor,
        fields["targets"],
        occurred,
        event.precision,
        fields["data"],
        fields["effects"],
        fields["source"],
        backend.db_uuid(event.corrects),
        backend.db_uuid(event.retracts),
        recorded,
        event.hash,
        None if event.reported_at is None else backend.db_time(event.reported_at),
        event.reported_precision,
    )


_from_iso = dt.datetime.fromisoformat
_UTC_SUFFIX = "+00:00"  # SQLite's UTC text, made an aware time by fromisoformat
_NO_DATA: Any = MappingProxyType({})  # a glimpse's data when no step looks into it

TIME_FORM = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}")
"""The one form of a stored time on SQLite, UTC: ``YYYY-MM-DD HH:MM:SS.ffffff``. Range
reads compare the text, so another form of the same instant (``T`` for the space, an
offset) would sort elsewhere; CHECK constraints refuse it (migrations 0005, 0009) and
:meth:`Store.rows` names a row stored so before them."""


def _raw_time(value: Any, *, checked: bool = False) -> dt.datetime:
    # SQLite: the stored UTC text; PostgreSQL: psycopg's aware datetime
    if isinstance(value, str):
        if checked and not TIME_FORM.fullmatch(value):
            raise ValueError(f"{value!r} is not in the stored form YYYY-MM-DD HH:MM:SS.ffffff")
        return _from_iso(value + _UTC_SUFFIX)  # several times faster than .replace(tzinfo=)
    if checked and not isinstance(value, dt.datetime):
        raise ValueError(f"{value!r} is not a time")
    return value.astimezone(dt.UTC)  # type: ignore[no-any-return]


def _raw_times(values: list[Any]) -> Iterable[dt.datetime]:
    """:func:`_raw_time` of each of ``values``, times of one column of one page (all
    stored text on SQLite, all the driver's datetimes on PostgreSQL), decoded in a few
    calls rather than one a value."""
    if values and type(values[0]) is str:
        # a value that were not text would make the addition fail, never a wrong time
        return map(_from_iso, map(operator.add, values, itertools.repeat("+00:00")))
    return map(_raw_time, values)


def _raw_json(value: Any) -> Any:
    # SQLite: the stored text; PostgreSQL: psycopg has decoded the json already
    if isinstance(value, str):
        if value == "{}":  # most events have no effects or source: skip the decoder
            return {}
        if value == "[]":
            return []
        return json.loads(value)
    return value


def _raw_id(value: Any) -> uuid.UUID:
    # SQLite: 32 hex digits; PostgreSQL: psycopg's UUID
    return value if isinstance(value, uuid.UUID) else uuid.UUID(hex=value)


def _raw_uuid(value: Any) -> uuid.UUID | None:
    return None if value is None else _raw_id(value)


def _as_stored(column: sa.Column[Any]) -> Any:
    if column.name in _JSON_COLUMNS or isinstance(column.type, sa.Uuid | UTCDateTime):
        return sa.type_coerce(column, sa.String).label(column.name)
    return column


_STORED = [_as_stored(column) for column in events.c]
"""The columns of an event as the driver returns them: decoded by :func:`_recorded`, which
is several times faster than SQLAlchemy's per-value result processing on long reads."""
_FOLD_COLUMNS = [
    *(_as_stored(events.c[name]) for name in ("position", "id", "type", "actor", "incident")),
    sa.cast(events.c.targets, sa.Text).label("targets"),
    _as_stored(events.c.occurred_at),
    events.c.precision,
    sa.cast(events.c.effects, sa.Text).label("effects"),
]
"""What the default fold reads of an event (:meth:`Store.in_valid_time` with
``whole=False``), in the order it unpacks them; the JSON as text on both backends (see
:func:`_fold_glimpses`)."""
_REPORTED_COLUMNS = [_as_stored(events.c[n]) for n in ("recorded_at", "reported_at")] + [
    events.c.reported_precision
]
_GLIMPSE_COLUMNS = {
    (with_data, reported, with_incident): [
        events.c.position,
        events.c.type,
        events.c.actor,
        events.c.incident if with_incident else sa.null().label("incident"),
        events.c.precision,
        sa.type_coerce(events.c.occurred_at, sa.String).label("occurred_at"),
        sa.cast(events.c.targets, sa.Text).label("targets_raw"),
        *([sa.type_coerce(events.c.data, sa.String).label("data_raw")] if with_data else []),
        *(_REPORTED_COLUMNS if reported else []),
    ]
    for with_data in (False, True)
    for reported in (False, True)
    for with_incident in (False, True)
}
"""What :meth:`Store.glimpses` reads, by whether it reads ``data``, the reported times
and the incident, in the order it unpacks them (built once, so that each shape's statement is)."""


@functools.lru_cache(maxsize=64)
def _valid_time_query(
    columns: tuple[Any, ...],
    named: bool,
    occurred_to: bool | None,
    reported_to: bool | None,
    types: tuple[str, ...] | None,
    page_size: int | None,
    *,
    paged: bool,
    known: Any = None,
    after: tuple[Any, Any] | None = None,
    keyed: bool = False,
) -> Any:
    """The statement of one page of :meth:`Store._valid_time_pages`, by its shape: the
    bounds' kinds (``None``: no bound; ``True``: inclusive), whether an actor is named,
    whether the page starts after a key; values bound as ``known``, ``actor``,
    ``occurred_to``, ``reported_to``, ``after_moment`` and ``after_position`` (or, for
    :data:`_FOLD_START`, the position and key given as SQL in ``known`` and ``after``).

    ``page_size=None``: every row, as one UNION ALL of a range per type, each arm
    ordered by its own index and merged by SQLite (its compound-select merge); one range
    for all the types at once would sort every remaining event of those types there.
    PostgreSQL 15 plans no Merge Append for this union: it sorts the arms' rows once,
    read through a server-side cursor (:meth:`Backend.stream`).

    ``keyed`` (with ``named``): each index row's event is probed by its key (``LATERAL
    ... LIMIT 1``) instead of joined, so that a plan kept from a store's empty days
    (``Backend.keeps_plans``) still reads the page through the actor's key: a join's
    generic plan made then scanned the events table once per index row."""
    assert not keyed or page_size is not None, "a keyed page is one statement's page"
    occurred = events.c.occurred_at
    unmended = [events.c.corrects.is_(None), events.c.retracts.is_(None)]
    event_column: Any = _same
    if named and keyed:
        probe = _event_at(event_actors.c.position, *unmended)
        event_column = ClauseAdapter(probe).traverse
        query = sa.select(*map(event_column, columns)).select_from(event_actors)
        query = query.join(probe, sa.true())
        unmended = []  # the probe's
    else:
        query = sa.select(*columns)
        if named:
            query = query.join(event_actors, event_actors.c.position == events.c.position)
    if named:
        query = query.where(event_actors.c.actor == sa.bindparam("actor"))
        occurred = event_actors.c.occurred_at
    position = event_actors.c.position if named else events.c.position
    query = query.where(
        position <= (sa.bindparam("known", type_=sa.BigInteger()) if known is None else known),
        *unmended,
    )
    if occurred_to is not None:
        bound = sa.bindparam("occurred_to", type_=occurred.type)
        query = query.where(occurred <= bound if occurred_to else occurred < bound)
    if reported_to is not None:
        bound = sa.bindparam("reported_to", type_=_REPORTED.type)
        reported = event_column(_REPORTED)
        query = query.where(reported <= bound if reported_to else reported < bound)
    if types is not None and page_size is not None:
        query = query.where(event_column(events.c.type).in_(types))
    if paged:
        # a row-value comparison, which both databases use as an index range (the
        # equivalent OR form makes every page rescan from the start)
        query = query.where(
            sa.tuple_(occurred, position)
            > sa.tuple_(
                *(
                    (
                        sa.bindparam("after_moment", type_=occurred.type),
                        sa.bindparam("after_position", type_=sa.BigInteger()),
                    )
                    if after is None
                    else after
                )
            )
        )
    if page_size is None:
        assert types is not None
        union = sa.union_all(*(query.where(events.c.type == type) for type in types))
        # the union ordered by the columns' names
        return union.order_by(sa.literal_column("occurred_at"), sa.literal_column("position"))
    return query.order_by(occurred, position).limit(page_size)


def _same(clause: Any) -> Any:
    return clause


def _placed(
    where: EventFilter, occurred: Any, position: Any, precision: Any = events.c.precision
) -> list[Any]:
    """The conditions of ``where`` on an event's valid time and position, on the columns
    given (the events table's, or the actor index rows' and a probed event's)."""
    conditions = [position > where.after_position]
    if where.occurred_from is not None:
        conditions.append(occurred >= where.occurred_from)
    if where.reaching is not None:
        conditions.append(_may_reach(occurred, where.reaching, precision))
    if where.occurred_to is not None:
        conditions.append(_at_most(occurred, where.occurred_to))
    if where.known_position is not None:
        conditions.append(position <= where.known_position)
    return conditions


def _described(where: EventFilter, table: Any) -> list[Any]:
    """The conditions of ``where`` on what an event is (its incident and type)."""
    conditions = []
    if where.incident is not None:
        conditions.append(table.c.incident == where.incident)
    if where.types is not None:
        conditions.append(table.c.type.in_(where.types))
    return conditions


def _event_at(position: Any, *terms: Any) -> Any:
    """The event at ``position`` (a column of the row it joins; ``terms``: more
    conditions), probed by its key: ``LATERAL (... LIMIT 1)``, a lookup of the key in
    every plan, where a join's or an IN list's generic plan made on an empty store
    scanned the table (see ``Backend.keeps_plans``)."""
    return sa.select(events).where(events.c.position == position, *terms).limit(1).lateral()


def _bounded(column: Any, inclusive: bool) -> Any:
    bound = sa.bindparam("bound", type_=column.type)
    return column <= bound if inclusive else column < bound


# Statements of the hot paths, built once (SQLAlchemy then reuses their compiled form);
# keyed by the bound's kind (None: no bound; True: inclusive; False: exclusive).
# The last position recorded by a bound: ``recorded_at`` never decreases with position,
# so it is the last of those recorded at the newest time by the bound: two probes of the
# recorded-time index (SQLite walked back from the newest event for ``max(position)
# WHERE recorded_at <= K``: a full scan for a K before them all).
_KNOWN: dict[bool | None, Any] = {
    None: sa.select(sa.func.max(events.c.position)),
    **{
        inclusive: sa.select(sa.func.max(events.c.position)).where(
            events.c.recorded_at
            == sa.select(sa.func.max(events.c.recorded_at))
            .where(_bounded(events.c.recorded_at, inclusive))
            .scalar_subquery()
        )
        for inclusive in (True, False)
    },
}


# Statements of the read paths, built once (SQLAlchemy then reuses their compiled form),
# keyed by whether an actor is named.
_MENDING_UP_TO = {
    named: sa.select(*_STORED)
    .where(*_mending_terms(sa.bindparam("known", type_=sa.BigInteger()), named))
    .order_by(events.c.position)
    for named in (False, True)
}
_NEWEST_MENDING = {
    named: sa.select(_NEWEST.c.newest, *_STORED)
    .select_from(_NEWEST.outerjoin(events, sa.and_(*_mending_terms(_NEWEST.c.newest, named))))
    .order_by(events.c.position)
    for named in (False, True)
}


_SNAPSHOT_COLUMNS = [
    sa.type_coerce(c, sa.String).label(c.name)
    if isinstance(c.type, UTCDateTime) or c.name == "state"
    else c
    for c in snapshots.c
]
"""The columns of a snapshot as the driver returns them, decoded by :func:`_snapshot`
(which turns a row it cannot read into a problem rather than an exception)."""


def _snapshot(row: sa.Row[Any]) -> Snapshot | str:
    """Build a Snapshot from a row of :data:`_SNAPSHOT_COLUMNS`, or say why not."""
    try:
        state = _raw_json(row.state)
        if not (
            isinstance(state, dict)
            and isinstance(state.get("values"), dict)
            and isinstance(state.get("problems"), list)
            and isinstance(state.get("tied", []), list)
            and all(isinstance(path, str) for path in state.get("tied", []))
        ):
            return "its state is not {values: {...}, problems: [...], tied: [...]}"
        return Snapshot(
            actor=row.actor,
            fingerprint=row.fingerprint,
            through_occurred_at=_raw_time(row.through_occurred_at),
            through_position=row.through_position,
            known_position=row.known_position,
            max_end=_raw_time(row.max_end),
            events_applied=row.events_applied,
            last_position=row.last_position,
            state=state,
            digest=row.digest,
            id=row.id,
        )
    except (ValueError, TypeError, OverflowError) as e:  # JSONDecodeError is a ValueError
        return f"its row cannot be read: {e}"


def _at_or_before(moment: dt.datetime, bound: Bound) -> bool:
    return moment <= bound[0] if bound[1] else moment < bound[0]


_BOUND_TO = {
    "known_event_": snapshots.c.known_position,
    "through_event_": snapshots.c.through_position,
    "last_event_": snapshots.c.last_position,
}
"""The positions a snapshot names, by the prefix its joined event's columns take."""
_BOUND_ALIASES = {prefix: events.alias(prefix.rstrip("_")) for prefix in _BOUND_TO}


def _bound_events(row: sa.Row[Any]) -> Iterator[tuple[int, RecordedEvent]]:
    """The stored events a row of :data:`_SNAPSHOTS` was joined with, by position."""
    mapping = row._mapping
    for prefix in _BOUND_TO:
        if mapping[f"{prefix}position"] is not None:
            fields = {name: mapping[prefix + name] for name in EVENT_COLUMNS}
            yield fields["position"], _recorded(tuple(fields.values()))


def _picked_snapshots(inclusive: bool | None, *, newest: int = 3) -> Any:
    """The actor's ``newest`` snapshots of a fingerprint (ending by the bound, of this
    kind): :meth:`Store.snapshots_for` reads three, :meth:`Store.fold_start` one."""
    picked = (
        sa.select(snapshots)
        .where(
            snapshots.c.actor == sa.bindparam("actor"),
            snapshots.c.fingerprint == sa.bindparam("fingerprint"),
        )
        .order_by(snapshots.c.through_occurred_at.desc(), snapshots.c.through_position.desc())
        .limit(newest)
    )
    if inclusive is not None:
        picked = picked.where(
            _bounded(snapshots.c.through_occurred_at, inclusive),
            snapshots.c.max_end <= sa.bindparam("bound", type_=snapshots.c.max_end.type),
        )
    return picked


def _snapshots_query(inclusive: bool | None) -> Any:
    # The newest three first, then the events at their positions: joined before the
    # LIMIT, PostgreSQL joined every snapshot of the actor before the bound (the key
    # orders by time alone, so the sort by time and position waits for all of them).
    newest = _picked_snapshots(inclusive).subquery("picked")
    columns = [
        sa.type_coerce(newest.c[c.name], sa.String).label(c.name)
        if isinstance(c.type, UTCDateTime) or c.name == "state"
        else newest.c[c.name]
        for c in snapshots.c
    ]
    bound = [
        _as_stored(column).label(prefix + column.name)
        for prefix, alias in _BOUND_ALIASES.items()
        for column in alias.c
    ]
    source: Any = newest
    for prefix, alias in _BOUND_ALIASES.items():
        source = source.outerjoin(alias, alias.c.position == newest.c[_BOUND_TO[prefix].name])
    return (
        sa.select(*columns, *bound)
        .select_from(source)
        .order_by(newest.c.through_occurred_at.desc(), newest.c.through_position.desc())
    )


_SNAPSHOTS = {inclusive: _snapshots_query(inclusive) for inclusive in (None, True, False)}

# -- the one statement a fold starts with (Store.fold_start) ------------------------------------

_LAYOUT = (
    *("position", "id", "type", "actor", "incident", "targets", "occurred_at", "precision"),
    *("effects", "recorded_at", "reported_at", "reported_precision"),
    *("version", "data", "source", "corrects", "retracts", "hash"),
)
"""The event columns of a row of :func:`_fold_start_query`: those of :data:`_FOLD_COLUMNS`
then :data:`_REPORTED_COLUMNS` (so that :func:`_fold_glimpses` reads its rows as they
come), then the rest; JSON as text on both backends."""
_FOLD_WIDTH = 12
"""The columns of :data:`_LAYOUT` the fold reads (the rest are NULL on its rows)."""
_FROM_LAYOUT = [_LAYOUT.index(name) for name in EVENT_COLUMNS]
_SnapshotRow = collections.namedtuple("_SnapshotRow", [c.name for c in snapshots.c])  # type: ignore[misc]
_SNAPSHOT_SLICE = slice(len(_LAYOUT), len(_LAYOUT) + len(snapshots.c))
_POSITION = operator.itemgetter(_LAYOUT.index("position"))
_PAGE_KEY = operator.itemgetter(_LAYOUT.index("occurred_at"), _LAYOUT.index("position"))
"""The order of a page's rows: its key, ``(occurred_at, position)``, as the index has it
(on SQLite the stored text, which sorts as the moments do)."""
_HEAD, _MENDED, _SNAPSHOT, _BOUND, _PAGE = range(5)
"""The kinds of rows, in the statement's order: the head (newest position, the page's
start), mending events, snapshots, the events at the snapshots' positions, the page."""
_FLOOR = dt.datetime(1, 1, 1, tzinfo=dt.UTC)
"""Before every event: where a page starts when no snapshot was found."""


def _laid_out(row: Sequence[Any]) -> tuple[Any, ...]:
    """A row of :func:`_fold_start_query` as :func:`_recorded` reads one."""
    return tuple([row[i] for i in _FROM_LAYOUT])


def _no_event(name: str) -> Any:
    """NULL in the event column ``name`` of :data:`_LAYOUT`, of its type (PostgreSQL
    types the arms of a UNION one after the other: a bare NULL would be text)."""
    kind = sa.Text() if name in _JSON_COLUMNS else events.c[name].type
    return sa.cast(sa.null(), kind).label(name)


_NO_SNAPSHOT = [
    sa.cast(sa.null(), sa.Text() if c.name == "state" else c.type).label(f"snapshot_{c.name}")
    for c in snapshots.c
]
"""NULL in each snapshot column of a row of :func:`_fold_start_query`."""


def _snapshot_column(picked: Any, name: str) -> Any:
    """A snapshot column of a row of :func:`_fold_start_query`: times as the driver
    returns them (decoded by :func:`_snapshot`), the state as text on both backends (so
    that the row, whole, can key :attr:`Store._sound`)."""
    column = picked.c[name]
    if name == "state":
        column = sa.cast(column, sa.Text)
    elif isinstance(column.type, UTCDateTime):
        column = sa.type_coerce(column, sa.String)
    return column.label(f"snapshot_{name}")


def _event_layout(table: Any, *, fold: bool = False) -> list[Any]:
    """The :data:`_LAYOUT` columns of ``table`` (``fold``: those the fold reads, the rest
    NULL), then NULL for each snapshot column."""
    columns = []
    for index, name in enumerate(_LAYOUT):
        column = table.c[name]
        if fold and index >= _FOLD_WIDTH:
            columns.append(_no_event(name))
        elif name in _JSON_COLUMNS:
            columns.append(sa.cast(column, sa.Text).label(name))
        else:
            columns.append(_as_stored(column).label(name))
    return columns + _NO_SNAPSHOT


def _kind(kind: int) -> Any:
    return sa.literal_column(str(kind), sa.Integer()).label("kind")


_NEWEST_ONCE = _NEWEST_POSITION.cte("newest")
"""The newest position, as a CTE the arms of :func:`_fold_start_query` share."""


@functools.lru_cache(maxsize=64)
def _fold_start_query(
    present: bool,
    snapshot_bound: bool | None,
    with_snapshots: bool,
    occurred_to: bool | None,
    reported_to: bool | None,
    page_size: int | None,
    keyed: bool,
) -> Any:
    """The statement of :meth:`Store.fold_start`, by its shape: ``present`` (the newest
    position, else the one bound as ``known``), whether snapshots are read (and the kind
    of their bound), the bounds' kinds, the page's size (``None``: no page), and
    ``keyed``: written for a kept plan (``Backend.keeps_plans``), each event it joins
    probed by its key.

    One UNION ALL of the reads it replaces, each arm the statement it was, so each is
    planned as before (the page through the actor key from the snapshot's end on); a
    row's last column says which read it belongs to."""
    # the newest position once (three arms compare with it: planned once on PostgreSQL)
    known = (
        sa.select(_NEWEST_ONCE.c.newest).scalar_subquery()
        if present
        else sa.bindparam("known", type_=sa.BigInteger())
    )
    head_columns: dict[str, Any] = {name: _no_event(name) for name in _LAYOUT}
    head_columns["position"] = known.label("position")
    arms = []
    after = None
    if with_snapshots:
        # The newest snapshot alone: the fold starts from it unless it is refused (rare:
        # a late report behind it, a damaged row), and then the caller reads the next
        # ones (Store.snapshots_for). One row keeps the statement small to plan (about
        # 0.9 ms of PostgreSQL's planning went to three and their events) and the
        # check to one snapshot.
        picked = _picked_snapshots(snapshot_bound, newest=1).cte("picked")
        after = (
            sa.func.coalesce(
                sa.select(picked.c.through_occurred_at).scalar_subquery(),
                sa.bindparam("floor", type_=event_actors.c.occurred_at.type),
            ),
            sa.func.coalesce(sa.select(picked.c.through_position).scalar_subquery(), _ZERO),
        )
        if keyed:
            # the snapshot's positions, each probed by key: an IN list of them got a
            # whole-table scan as the generic plan of a store's empty days
            positions = sa.union(
                *(sa.select(picked.c[c.name].label("at")) for c in _BOUND_TO.values())
            ).subquery("named")
            probe = _event_at(positions.c.at)
            bound = sa.select(*_event_layout(probe), _kind(_BOUND)).select_from(positions)
            bound = bound.join(probe, sa.true())
        else:
            # each position a value of its own (an InitPlan on PostgreSQL): a probe of
            # the key per position, planned in less time than a join or a UNION of them
            named = [sa.select(picked.c[c.name]).scalar_subquery() for c in _BOUND_TO.values()]
            bound = sa.select(*_event_layout(events), _kind(_BOUND))
            bound = bound.where(events.c.position.in_(named))
        arms += [
            sa.select(
                *(_no_event(name) for name in _LAYOUT),
                *(_snapshot_column(picked, c.name) for c in snapshots.c),
                _kind(_SNAPSHOT),
            ),
            bound,
        ]
    head = sa.select(*head_columns.values(), *_NO_SNAPSHOT, _kind(_HEAD))
    mended = sa.select(*_event_layout(events), _kind(_MENDED)).where(
        *_mending_terms(known, named=True)
    )
    arms = [head, mended, *arms]
    if page_size is not None:
        page = _valid_time_query(
            (*_event_layout(events, fold=True), _kind(_PAGE)),
            True,
            occurred_to,
            reported_to,
            None,
            page_size,
            paged=after is not None,
            known=known,
            after=after,
            keyed=keyed,
        ).subquery("page")
        arms.append(sa.select(page))
    # no ORDER BY: the rows are sorted by kind in Python, the page by its key there
    # (sorting every row's 31 columns cost SQLite about 30 % of the statement's steps)
    return sa.union_all(*arms)


_NAMED = {"actor": event_actors.c.actor, "incident": events.c.incident, "type": events.c.type}
"""The column that holds each kind of name, each the start of an index."""
_INDEX_ROWS = (
    sa.select(
        event_actors.c.actor,
        event_actors.c.position,
        sa.type_coerce(event_actors.c.occurred_at, sa.String).label("occurred_at"),
    )
    .where(
        event_actors.c.position > sa.bindparam("after"),
        event_actors.c.position <= sa.bindparam("last"),
    )
    .order_by(event_actors.c.position, event_actors.c.actor)
)


def _remember(decoded: dict[str, Any], raw: str, value: Any) -> Any:
    """Keep ``value``, decoded from ``raw``, in a scan's cache of decoded texts and return
    it; a cache of :data:`_DECODED_TARGETS` texts starts over, so memory stays bounded
    however many distinct texts a scan meets (most scans repeat a few)."""
    if len(decoded) >= _DECODED_TARGETS:
        decoded.clear()
    decoded[raw] = value
    return value


def _fold_glimpses(pages: Iterable[Sequence[Any]], *, reported: bool) -> Iterator[Glimpse]:
    """The default fold's glimpses of rows of ``_FOLD_COLUMNS`` (then, ``reported``,
    ``_REPORTED_COLUMNS``): see :meth:`Store.in_valid_time` with ``whole=False``."""
    # Rows were validated when they were appended (and verify() walks them): decoded
    # here with the plain decoders, positionally, into glimpses made as the tuples
    # they are (Glimpse(...) by keyword costs more than the decoding). An actor's events
    # repeat a few texts of targets and effects: each distinct text is decoded once
    # (effects only when nothing of them can end up in a state, see _shareable; those
    # are prepared once too, see timeline.effects.prepare). The times of a page are
    # decoded together (_raw_times: one call a page, not a row).
    time, make = _raw_time, tuple.__new__
    targets_of: dict[str, tuple[str, ...]] = {"[]": ()}
    effects_of: dict[str, Any] = {}
    for page in pages:
        for row, occurred_at in zip(page, _raw_times([row[6] for row in page]), strict=True):
            raw = row[5]
            targets = targets_of.get(raw)
            if targets is None:
                targets = _remember(targets_of, raw, tuple(json.loads(raw)))
            raw = row[8]
            effects = effects_of.get(raw)
            if effects is None:
                effects = _raw_json(raw)
                if _shareable(effects):
                    # shared by the events that store this text: prepared once for all
                    effects = {whom: prepare(changes) for whom, changes in effects.items()}
                    _remember(effects_of, raw, effects)
            yield make(
                Glimpse,
                (
                    row[0],  # position
                    row[2],  # type
                    row[3],  # actor
                    row[4],  # incident
                    row[7],  # precision
                    occurred_at,
                    targets,
                    {},  # data: not read
                    None,  # recorded_at
                    None,  # reported_at
                    None,  # reported_precision
                    effects,
                    row[1],  # stored_id: decoded when asked (Glimpse.id)
                )
                if not reported
                else (
                    row[0],
                    row[2],
                    row[3],
                    row[4],
                    row[7],
                    occurred_at,
                    targets,
                    {},
                    time(row[9]),
                    None if row[10] is None else time(row[10]),
                    row[11],
                    effects,
                    row[1],
                ),
            )


def _shareable(effects: Any) -> bool:
    """Whether decoded effects may serve every event that stores the same text: nothing
    in them that the fold could put into a state as an object a caller might change (a
    list, an empty object). The fold only reads effects.

    Example:
        >>> _shareable({"US": {"alert": {"$inc": 1}, "army.size": 5}})
        True
        >>> _shareable({"US": {"units": ["a"]}}), _shareable({"US": {"units": {}}})
        (False, False)
    """
    return isinstance(effects, dict) and all(
        isinstance(paths, dict) and all(_plain(value) for value in paths.values())
        for paths in effects.values()
    )


def _plain(value: Any) -> bool:
    if isinstance(value, dict):
        return bool(value) and all(_plain(v) for v in value.values())
    return not isinstance(value, list)


def _recorded(row: Sequence[Any], day_zone: dt.tzinfo | None = None) -> RecordedEvent:
    """Build a RecordedEvent from a row of :data:`_STORED`, by position (the columns in
    :data:`EVENT_COLUMNS` order): a SQLAlchemy row or the driver's own tuple."""
    (
        position,
        stored_id,
        incident,
        version,
        type,
        actor,
        targets,
        occurred_at,
        precision,
        data,
        effects,
        source,
        corrects,
        retracts,
        recorded_at,
        hash,
        reported_at,
        reported_precision,
    ) = row
    return RecordedEvent(
        id=_raw_id(stored_id),
        incident=incident,
        version=version,
        position=position,
        type=type,
        actor=actor,
        targets=tuple(_raw_json(targets)),
        occurred_at=_raw_time(occurred_at),
        precision=precision,
        data=_raw_json(data),
        effects=_raw_json(effects),
        source=_raw_json(source),
        recorded_at=_raw_time(recorded_at),
        hash=hash,
        corrects=_raw_uuid(corrects),
        retracts=_raw_uuid(retracts),
        reported_at=None if reported_at is None else _raw_time(reported_at),
        reported_precision=reported_precision,
        day_zone=day_zone,
    )


def _json(value: Any) -> Any:
    try:
        return _raw_json(value)
    except json.JSONDecodeError as e:
        raise ValueError(f"is not JSON ({e})") from e


ID_FORM = re.compile(r"[0-9a-f]{32}")
"""SQLite: the one stored form of an id, 32 lowercase hex digits (``UUID.hex``). Lookups
by id (``get``, the mending of corrections and retractions, the duplicate check) compare
the text, so the same UUID in another form (capitals, hyphens, braces), which
``uuid.UUID`` reads and the hash therefore holds, would be another id to them."""


def _uuid(value: Any) -> uuid.UUID | None:
    if isinstance(value, str) and not ID_FORM.fullmatch(value):
        try:
            uuid.UUID(hex=value)
        except ValueError as e:
            raise ValueError(f"{value!r} is not a UUID") from e
        raise ValueError(f"{value!r} is not in the stored form of an id (32 lowercase hex digits)")
    try:
        return _raw_uuid(value)
    except (ValueError, TypeError, AttributeError) as e:
        raise ValueError(f"{value!r} is not a UUID") from e


def _object(value: Any) -> Any:
    found = _json(value)
    if not isinstance(found, dict):
        raise ValueError(f"is {type(found).__name__}, not a JSON object")
    return found


def _array(value: Any) -> Any:
    found = _json(value)
    if not isinstance(found, list) or not all(isinstance(x, str) for x in found):
        raise ValueError("is not a JSON array of names")
    return found


def _checked_time(value: Any) -> dt.datetime:
    try:
        return _raw_time(value, checked=True)
    except (ValueError, TypeError, OverflowError) as e:
        if isinstance(value, str) and TIME_FORM.fullmatch(value):
            raise ValueError(f"{value!r} is not a time ({e})") from e
        raise


_FIELDS: dict[str, Callable[[Any], Any]] = {
    "id": _uuid,
    "occurred_at": _checked_time,
    "recorded_at": _checked_time,
    "reported_at": lambda v: None if v is None else _checked_time(v),
    "corrects": _uuid,
    "retracts": _uuid,
    "targets": _array,
    "data": _object,
    "effects": _object,
    "source": _object,
}
"""How :func:`_decoded` reads each field whose stored value may not decode."""


def _decoded(row: sa.Row[Any], day_zone: dt.tzinfo | None = None) -> RecordedEvent | Unreadable:
    """Build a RecordedEvent from a row of :data:`_STORED`, or name the field that cannot
    be read (a value that is not JSON, a time in another form than ``TIME_FORM``, an id
    that is not a UUID) and why."""
    values: dict[str, Any] = {}
    for field, decode in _FIELDS.items():
        try:
            values[field] = decode(getattr(row, field))
        except (ValueError, TypeError, AttributeError, OverflowError, RecursionError) as e:
            return Unreadable(row.position, field, str(e) or type(e).__name__)
    for field in ("incident", "type", "actor", "precision", "hash"):
        if not isinstance(getattr(row, field), str):
            return Unreadable(row.position, field, "is not text")
    return RecordedEvent(
        incident=row.incident,
        version=row.version,
        position=row.position,
        type=row.type,
        actor=row.actor,
        precision=row.precision,
        hash=row.hash,
        reported_precision=row.reported_precision,
        day_zone=day_zone,
        **{**values, "targets": tuple(values["targets"])},
    )
