"""The public face: :func:`open`, :func:`upgrade` and the :class:`Timeline` they give."""

from __future__ import annotations

import builtins
import datetime as dt
import heapq
import logging
import os
import re
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import attrs
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL

from timeline import io as _io
from timeline import store as _store
from timeline._backends import backend_for_url
from timeline._backends.base import reason as _reason
from timeline.chart import Chart
from timeline.errors import (
    InvalidEventError,
    InvalidFileError,
    NotFoundError,
    StoreError,
    TimelineError,
    TimelineWarning,
    caller_stacklevel,
)
from timeline.events import (
    CORRECTABLE,
    Event,
    RecordedEvent,
    canonical_json,
    check_name,
    reported_time,
)
from timeline.fold import Bound, Folder, FoldFunction, State, resolve
from timeline.sequences import SequenceReport, Step
from timeline.store import Store
from timeline.times import (
    CALENDAR_UNITS,
    UTC,
    ZoneInput,
    check_start,
    parse_time,
    resolve_zone,
    through,
    zone_name,
)
from timeline.view import (
    Basis,
    Events,
    History,
    Revisions,
    States,
    Summaries,
    View,
    did_you_mean,
    non_negative,
)

TimeInput = dt.datetime | dt.date | str

DEFAULT_URL = "sqlite:///timeline.db"
DEFAULT_SNAPSHOT_INTERVAL = 100
DEFAULT_MAX_EVENT_BYTES = 1 << 20
DEFAULT_MAX_BATCH = 100_000
_MAX_POSITION = 2**63 - 1
_log = logging.getLogger("timeline")


def default_url() -> str:
    """Return the embedded default database: ``$TIMELINE_DB``, else ``sqlite:///timeline.db``.

    Example:
        >>> import os; os.environ.pop("TIMELINE_DB", None) and None
        >>> default_url()
        'sqlite:///timeline.db'
    """
    return os.environ.get("TIMELINE_DB") or DEFAULT_URL


def open(
    url: str | URL | None = None,
    *,
    default_tz: ZoneInput = None,
    day_zone: ZoneInput = None,
    snapshot_interval: int | None = DEFAULT_SNAPSHOT_INTERVAL,
    max_event_bytes: int | None = DEFAULT_MAX_EVENT_BYTES,
    max_batch: int | None = DEFAULT_MAX_BATCH,
    lock_timeout: float | None = _store.DEFAULT_LOCK_TIMEOUT_S,
    statement_timeout: float | None = _store.DEFAULT_STATEMENT_TIMEOUT_S,
    idle_timeout: float | None = _store.DEFAULT_IDLE_TIMEOUT_S,
) -> Timeline:
    """Open the timeline stored at ``url`` (SQLite or PostgreSQL).

    Args:
        url: a SQLAlchemy URL (``sqlite:///incidents.db``, ``postgresql://user@host/db``;
            ``postgresql://`` uses psycopg 3). ``None`` means ``$TIMELINE_DB``, else
            ``sqlite:///timeline.db`` in the working directory.
        default_tz: the zone (``"Asia/Damascus"``, or an offset such as ``"+03:30"``) in
            which to read naive datetimes and times of day written without an offset.
            Without it they are refused.
        day_zone: the zone whose days a date means (``"Asia/Baghdad"``, or an offset),
            everywhere a date is read: event times, ``at``, ``since``, ``until``,
            ``known_at``, ``reported_by``; and so the zone of months, years, labels
            and the chart's axis. Default UTC. Not stored: open a store with the day
            zone its events were recorded in, or their days read as another zone's.
        snapshot_interval: store a snapshot of an actor's state every this many events
            replayed, so that later questions skip replaying them; ``None`` or 0 turns
            snapshots off. Answers are the same either way.
        max_event_bytes: refuse an event whose JSON (data, effects, source and the rest)
            is larger than this (default 1 MiB); ``None``: no limit.
        max_batch: refuse an :meth:`Timeline.append` of more events than this (default
            100,000), which it would hold in memory; :meth:`Timeline.load` streams any
            number. ``None``: no limit.
        lock_timeout: seconds an append (or a ``known_at`` question about the present)
            waits for a lock another connection holds before it fails with a
            :class:`~timeline.errors.LockTimeoutError` that names the holder where the
            database can tell (default 30; PostgreSQL's ``lock_timeout``, SQLite's busy
            timeout). ``None``: wait for ever.
        statement_timeout: PostgreSQL: seconds one statement may run (default 300).
        idle_timeout: PostgreSQL: seconds a session may sit idle inside a transaction
            before the server ends it and rolls the transaction back (default 60), so a
            client that died or was cut off never holds the append lock longer. A
            :meth:`Timeline.load` whose events come slower than a chunk per
            ``idle_timeout`` fails; raise it for slow sources.

    An empty database is given the schema. A database with an older schema is refused
    with a :class:`~timeline.errors.SchemaVersionError` that names the upgrade command.

    Example:
        >>> import timeline
        >>> with timeline.open("sqlite://") as tl:
        ...     tl.record("truce", "Syria", "2017-06-17", incident="syria-2017-06").version
        1
        >>> with timeline.open("sqlite://", day_zone="Asia/Baghdad") as tl:
        ...     tl.record("strike", "US", "2020-01-03", incident="iraq").occurred_at.isoformat()
        '2020-01-02T21:00:00+00:00'
    """
    zone = resolve_zone(default_tz)
    days = resolve_zone(day_zone, field="day_zone")
    if days is None or zone_name(days) == "UTC":
        days = UTC
    for name, value in (
        ("snapshot_interval", snapshot_interval),
        ("max_event_bytes", max_event_bytes),
        ("max_batch", max_batch),
    ):
        if value is not None:
            non_negative(value, name)
    timeouts = _store.Timeouts(
        lock=_seconds(lock_timeout, "lock_timeout"),
        statement=_seconds(statement_timeout, "statement_timeout"),
        idle=_seconds(idle_timeout, "idle_timeout"),
    )
    target = default_url() if url is None else url
    store = Store.open(target, timeouts=timeouts)
    store.max_event_bytes = max_event_bytes
    return Timeline(
        store,
        default_tz=zone,
        day_zone=days,
        snapshot_interval=snapshot_interval,
        max_batch=max_batch,
    )


def _seconds(value: object, field: str) -> float | None:
    """A timeout: ``None`` (no limit) or a positive number of seconds up to a day."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidEventError(field, f"expected seconds as a number, got {type(value).__name__}")
    if not 0 < value <= 86_400:  # NaN fails this too
        raise InvalidEventError(
            field, f"must be more than 0 and at most 86400 seconds (None: no limit), got {value}"
        )
    return float(value)


def upgrade(url: str | URL | None = None) -> str:
    """Bring the database at ``url`` to the newest schema; return the revision it is at.

    Safe to run at any time and from several processes at once: an up-to-date database
    is left alone. The command line's ``timeline db upgrade --db URL`` calls this.

    Example:
        >>> import timeline
        >>> timeline.upgrade("sqlite://")
        '0013'
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
    database = backend_for_url(parsed).database_file(parsed)
    if database is not None and not Path(database).exists():
        return None  # connecting would create the file
    engine = _store.create_engine(parsed)
    try:
        with engine.connect() as conn:
            return migrate.current_revision(conn)
    except sa_exc.SQLAlchemyError as e:
        # what the database said, as open() words it: str(e) carried SQLAlchemy's class
        # name, an escaped line break and a link to its docs onto the one error line
        raise StoreError(f"cannot read {_store.display_url(target)}: {_reason(e)}") from e
    except Exception as e:
        raise StoreError(f"cannot read {_store.display_url(target)}: {e}") from e
    finally:
        engine.dispose()


@attrs.frozen
class CopyResult:
    """What :func:`copy` did: how many events it copied, and the head both stores share.

    ``head`` is ``(position, hash)`` of the newest event copied, the head of the source
    when the copy began and of the destination when it committed; ``(0, "")`` for an
    empty source.

    Example:
        >>> result = CopyResult(events=2, head=(2, "5f" * 32))
        >>> (result.events, result.head[0])
        (2, 2)
    """

    events: int
    head: tuple[int, str]


def copy(
    src: str | URL | Timeline,
    dst: str | URL | Timeline,
    *,
    page_size: int = _store.DEFAULT_PAGE_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> CopyResult:
    """Copy every event of one store into an empty one, as stored; return what was copied.

    Unlike export and import, which give the events new recorded times, hashes and
    positions, a copy keeps ids, positions, versions, recorded and reported times and
    hashes: every ``events``, ``state``, ``history`` and ``sequence`` answer of the copy,
    for any ``at``, ``known_at`` and ``reported_by``, is the source's. Use it to move a
    store, from SQLite to PostgreSQL or back.

    Args:
        src: the store to copy, a URL or an open :class:`Timeline`. A URL must name a
            database with the newest schema (nothing is created there).
        dst: the store to copy into, a URL (given the schema if empty) or an open
            :class:`Timeline`; it must hold no event.
        page_size: events read from the source, and written, at a time; memory holds
            about one page.
        progress: called after each page with ``(events copied, events to copy)``.

    The source is copied as it is when the copy begins (up to its head then); events
    appended to it meanwhile are not copied. The copy is one transaction in the
    destination, holding its write lock: nothing is stored unless all is, and appends
    there wait for it. It refuses, storing nothing, a source whose events do not verify
    (a copy never carries a broken chain over) and ends by checking that the destination's
    head is the source's. How: :meth:`timeline.store.Store.copy_from`.

    Raises:
        InvalidEventError: the destination holds events (field ``to``), or a source
            event does not verify (field ``from``, naming the position).
        StoreError: a database failed, or (PostgreSQL) the destination's role is not
            the owner of its tables (a copy writes recorded times of the past).
        SchemaVersionError: either schema is not the newest.

    Example:
        >>> import timeline
        >>> source = timeline.open("sqlite://")
        >>> _ = source.record("truce", "Syria", "2017-06-17", incident="daraa")
        >>> moved = timeline.open("sqlite://")
        >>> result = timeline.copy(source, moved)
        >>> (result.events, result.head == source.head() == moved.head())
        (1, True)
        >>> [e.recorded_at for e in moved.events()] == [e.recorded_at for e in source.events()]
        True
    """
    if non_negative(page_size, "page_size") == 0:
        raise InvalidEventError("page_size", "must be at least 1")
    if not isinstance(dst, Timeline):
        _checked_url(dst, "to")
    opened: list[Store] = []
    try:
        source = src._store if isinstance(src, Timeline) else _open_source(src, opened)
        if isinstance(dst, Timeline):
            destination = dst._store
        else:
            destination = Store.open(dst)
            opened.append(destination)
        if source is destination:
            raise InvalidEventError("to", f"{destination.url} is the store copied from")
        head = source.last()
        done = 0

        def on_page(count: int) -> None:
            nonlocal done
            done += count
            if progress is not None:
                progress(done, head[0])

        copied = destination.copy_from(
            source.rows(through=head[0], page_size=page_size),
            head=head,
            page_size=page_size,
            on_page=on_page,
        )
    finally:
        for store in opened:
            store.close()
    return CopyResult(events=copied, head=head)


def _checked_url(url: str | URL, field: str) -> str | URL:
    try:
        _store.normalize_url(url)
    except InvalidEventError as e:
        raise InvalidEventError(field, e.problem) from e
    return url


def _open_source(url: str | URL, opened: list[Store]) -> Store:
    """Open the store a copy reads, creating nothing: no file, no schema."""
    parsed = _store.normalize_url(_checked_url(url, "from"))
    database = backend_for_url(parsed).database_file(parsed)
    if database is not None and not Path(database).exists():  # connecting would create it
        raise NotFoundError(f"from: there is no database file {database}")
    store = Store.open(parsed, create=False)
    opened.append(store)
    return store


Anchor = tuple[int, str]
"""A head kept outside the store, ``(position, hash)``, as :meth:`Timeline.head` gives it."""

_HEX = frozenset("0123456789abcdef")
_DIGITS = re.compile(r"[0-9]{1,19}")


def parse_anchor(text: str | Anchor, *, field: str = "anchor") -> Anchor:
    """Return an anchor from ``"N:HASH"`` (what ``timeline head`` prints) or a
    ``(position, hash)`` pair, checked.

    Raises:
        InvalidEventError: not a position and a SHA-256 hash (64 lowercase hex digits;
            ``0:`` for an empty store), naming ``field``.

    Example:
        >>> parse_anchor("2:" + "ab" * 32)[0]
        2
    """
    if isinstance(text, str):
        position_text, colon, digest = text.strip().partition(":")
        if not colon or not _DIGITS.fullmatch(position_text):
            raise InvalidEventError(field, f"expected POSITION:HASH, got {text.strip()!r}")
        position: Any = int(position_text)
    elif isinstance(text, tuple) and len(text) == 2:
        position, digest = text
    else:
        raise InvalidEventError(field, f"expected (position, hash), got {text!r}")
    if isinstance(position, bool) or not isinstance(position, int) or not 0 <= position < 2**63:
        raise InvalidEventError(field, f"the position must be a whole number, got {position!r}")
    if not isinstance(digest, str) or not (
        (position == 0 and digest == "") or (len(digest) == 64 and set(digest) <= _HEX)
    ):
        raise InvalidEventError(
            field, f"the hash must be 64 lowercase hex digits (empty at position 0), got {digest!r}"
        )
    return position, digest


def anchor_line(head: Anchor, *, note: str = "") -> str:
    """Return the line of an anchors file for ``head``: ``N:HASH``, then ``  # note``.

    Example:
        >>> anchor_line((0, ""))
        '0:'
    """
    position, digest = parse_anchor(head)
    note = " ".join(note.split())  # one line, whatever the note holds
    return f"{position}:{digest}" + (f"  # {note}" if note else "")


def read_anchors(path: str | os.PathLike[str]) -> list[Anchor]:
    """Return the anchors of a file of ``N:HASH`` lines (as ``timeline head --append``
    writes them); ``#`` starts a comment, blank lines are skipped.

    Raises:
        InvalidEventError: a line that is not an anchor, naming its number.

    Example:
        >>> import tempfile, pathlib
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "anchors"
        >>> _ = path.write_text("0:  # empty\\n")
        >>> read_anchors(path)
        [(0, '')]
    """
    found = []
    try:
        # a byte-order mark first (a file saved by Notepad) is no part of the text
        text = Path(path).read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as e:
        raise InvalidEventError("anchors", f"cannot read {path}: {e}") from e
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if line:
            found.append(parse_anchor(line, field=f"anchors: line {number}"))
    return found


def head_revision() -> str:
    """Return the newest schema revision this version of timeline knows.

    Example:
        >>> import timeline
        >>> timeline.head_revision()
        '0013'
    """
    from timeline import migrate

    return migrate.head_revision()


@attrs.frozen
class ImportResult:
    """What :meth:`Timeline.import_file` did: how many events the file held, and how many
    of them were new (the others were stored already, with the same id and content).

    Example:
        >>> result = ImportResult(events=17, stored=15)
        >>> result.events - result.stored
        2
    """

    events: int
    stored: int


@attrs.frozen
class Finding:
    """One thing :meth:`Timeline.verify` found wrong: in which part of the store
    (``part``), where (``position``, and the ``actor`` or ``field`` when they say more),
    and what (``problem``).

    ``part`` is ``"events"`` (the hash chain and the rows it covers), ``"actor index"``,
    ``"snapshots"``, ``"database"`` (the deep check) or ``"anchor"``.

    Example:
        >>> print(Finding("snapshots", "its digest does not match", position=7, actor="US"))
        snapshot of 'US' through position 7: its digest does not match
    """

    part: str
    problem: str
    position: int | None = None
    actor: str | None = None
    field: str | None = None

    @property
    def what(self) -> str:
        """The problem, after the field it concerns if any: ``"data: is not JSON (…)"``."""
        return self.problem if self.field is None else f"{self.field}: {self.problem}"

    def __str__(self) -> str:
        what = self.what
        if self.part == "events":
            return f"position {self.position} does not verify: {what}"
        if self.part == "snapshots":
            where = f"snapshot of {self.actor!r}"
            if self.position is not None:
                where += f" through position {self.position}"
            return f"{where}: {what}"
        if self.position is not None:
            return f"{self.part} at position {self.position}: {what}"
        return f"{self.part}: {what}"


MAX_FINDINGS = 100
"""How many findings of each part :meth:`Timeline.verify` lists; past it, one more finding
says how many were left out (a store damaged throughout must not fill the memory)."""


class _Findings(builtins.list[Finding]):
    """The findings of one verification, at most ``MAX_FINDINGS`` listed per part."""

    def __init__(self) -> None:
        super().__init__()
        self.counts: dict[str, int] = {}

    def append(self, finding: Finding) -> None:
        count = self.counts[finding.part] = self.counts.get(finding.part, 0) + 1
        if count <= MAX_FINDINGS:
            super().append(finding)

    def extend(self, findings: Iterable[Finding]) -> None:
        for finding in findings:
            self.append(finding)

    def __iadd__(self, findings: Iterable[Finding]) -> _Findings:  # type: ignore[override,misc]
        if isinstance(findings, _Findings):  # counts and all: what it left out stays out
            for part, count in findings.counts.items():
                self.counts[part] = self.counts.get(part, 0) + count
            super().extend(findings)
        else:
            self.extend(findings)
        return self

    def listed(self) -> tuple[Finding, ...]:
        """Every finding listed, in order, then one per part whose findings were cut."""
        cut = [
            Finding(part, f"{count - MAX_FINDINGS} more problems of this part are not listed")
            for part, count in self.counts.items()
            if count > MAX_FINDINGS
        ]
        return (*self, *cut)


@attrs.frozen
class Verification:
    """The result of :meth:`Timeline.verify`; true when nothing was found wrong.

    ``first_bad_position`` names the first position whose event does not verify and
    ``problem`` says why (both ``None`` when the chain verified); ``findings`` lists
    every problem found (:class:`Finding`), the chain's first among them;
    ``events_checked`` and ``snapshots_checked`` say how much was checked, and
    ``snapshots_folded`` how many snapshots were folded again (those of the verifying
    timeline's templates, fold versions and day zone; the others are checked against the
    events only); ``notes`` say what was not checked, and why.

    Example:
        >>> result = Verification(3, first_bad_position=2, problem="hash mismatch")
        >>> (bool(result), str(result))
        (False, 'position 2 does not verify: hash mismatch')
    """

    events_checked: int
    first_bad_position: int | None = None
    problem: str | None = None
    findings: tuple[Finding, ...] = ()
    snapshots_checked: int = 0
    snapshots_folded: int = 0
    notes: tuple[str, ...] = ()
    anchors_checked: int = 0

    @property
    def ok(self) -> bool:
        """Whether nothing was found wrong."""
        return self.first_bad_position is None and not self.findings

    def __bool__(self) -> bool:
        return self.ok

    def __str__(self) -> str:
        if self.ok:
            text = f"ok: {self.events_checked} events verified"
            if self.snapshots_checked:
                text += f", {self.snapshots_checked} snapshots checked"
                other = self.snapshots_checked - self.snapshots_folded
                if other:
                    text += f" ({other} of another fold or day zone against the events only)"
            if self.anchors_checked:
                text += f"; extends {self.anchors_checked} anchor" + (
                    "s" if self.anchors_checked > 1 else ""
                )
            return "; ".join([text, *self.notes])
        if not self.findings:
            return f"position {self.first_bad_position} does not verify: {self.problem}"
        return "\n".join(str(finding) for finding in self.findings)


def _stored_lines(store: Store, lines: list[int], ids: list[uuid.UUID], before: int) -> list[int]:
    """The numbers of ``lines`` (whose events have ``ids``) that an import stored: their
    events are at positions after ``before``, the newest position before it."""
    found: list[int] = []
    for start in range(0, len(ids), _IMPORT_CHECK_CHUNK):
        chunk = ids[start : start + _IMPORT_CHECK_CHUNK]
        stored = store.get_many(chunk)
        found += [
            number
            for number, event_id in zip(lines[start : start + len(chunk)], chunk, strict=True)
            if (event := stored.get(event_id)) is not None and event.position > before
        ]
    return found


_IMPORT_CHECK_CHUNK = 1000
"""Events read back at a time to tell which lines an import stored."""


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

    def __init__(
        self,
        store: Store,
        *,
        default_tz: dt.tzinfo | None = None,
        day_zone: dt.tzinfo | None = None,
        snapshot_interval: int | None = DEFAULT_SNAPSHOT_INTERVAL,
        max_batch: int | None = DEFAULT_MAX_BATCH,
    ) -> None:
        self._store = store
        self.max_batch = max_batch
        self.default_tz = default_tz
        store.day_zone = day_zone or UTC  # held once, by the store that reads the events
        self.snapshot_interval = snapshot_interval or None
        self._folder = Folder()

    @property
    def day_zone(self) -> dt.tzinfo:
        """The zone whose calendar dates, months and years are of (UTC unless
        ``timeline.open(day_zone=...)`` says otherwise): where this timeline reads a day
        as starting and ending, and the events it returns end theirs.

        Example:
            >>> import timeline
            >>> str(timeline.open("sqlite://", day_zone="Asia/Baghdad").day_zone)
            'Asia/Baghdad'
        """
        return self._store.day_zone

    @property
    def max_event_bytes(self) -> int | None:
        """The largest event this timeline stores, in bytes of JSON (``None``: no limit);
        ``timeline import`` refuses longer lines of a file before reading them.

        Example:
            >>> import timeline
            >>> timeline.open("sqlite://", max_event_bytes=10_000).max_event_bytes
            10000
        """
        return self._store.max_event_bytes

    @property
    def url(self) -> str:
        """The database URL, with any password hidden."""
        return self._store.url

    def close(self) -> None:
        """Close the database connections. The timeline cannot be used afterwards: every
        later question or write, and an :class:`Events` not yet read, is refused
        (``StoreError``); :meth:`verify`, which never raises, reports it as a finding of
        part ``"database"`` (so ``verify().ok`` is false). Answers given before stay
        answers: a sequence report reads the matches it holds compactly from the
        database, where the database outlives the timeline (a file, PostgreSQL).

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
        """Return an :class:`Event` read with this timeline's ``default_tz`` and
        ``day_zone``, not yet stored.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://", default_tz="Asia/Damascus")
            >>> tl.event("shootdown", "US", "2017-06-18 18:43", incident="x").occurred_at.hour
            15
        """
        fields.setdefault("default_tz", self.default_tz)
        fields.setdefault("day_zone", self.day_zone)
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
        reported_at: TimeInput | None = None,
        reported_precision: str | None = None,
    ) -> RecordedEvent:
        """Validate and store one event; return it as recorded.

        ``at`` is when it happened (see :class:`Event` for the accepted forms);
        ``reported_at`` when the claim became public (default: the source's
        ``published_at``, else when the store records it). The store adds ``version``,
        ``position``, ``recorded_at`` and ``hash``.

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
            reported_at=reported_at,
            reported_precision=reported_precision,
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
        batch = builtins.list(_checked(events, self.max_batch, day_zone=self.day_zone))
        if not batch:
            return []
        expected = _expected_versions(expected_version, {e.incident for e in batch})
        return self._store.append(batch, expected=expected)

    def load(
        self,
        events: Iterable[Event],
        *,
        expected_version: Mapping[str, int] | None = None,
        chunk_size: int = 1000,
        on_chunk: Callable[[int], None] | None = None,
    ) -> int:
        """Store any number of events atomically, streaming; return how many were new.

        Like :meth:`append`, all of them or none, in one transaction; but ``events`` may
        be an iterator of millions: it is written ``chunk_size`` at a time and never held
        whole, and nothing is returned but the count of events stored (those whose id
        was stored already with the same content are not counted). ``on_chunk(n)`` is
        called after each chunk, for a progress bar. Corrections and retractions may
        follow the events they mend in the same stream (an export reads back this way).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> stream = (timeline.Event("report", "US", f"2017-06-{d:02d}", incident="s")
            ...           for d in range(1, 31))
            >>> tl.load(stream, chunk_size=8)
            30
        """
        if isinstance(events, Event):
            raise InvalidEventError("events", "expected a list of events, got one Event")
        if non_negative(chunk_size, "chunk_size") == 0:
            raise InvalidEventError("chunk_size", "must be at least 1")
        if expected_version is not None and not isinstance(expected_version, Mapping):
            # the incidents of a stream are not known before it is read
            raise InvalidEventError(
                "expected_version",
                "load() takes a mapping {incident: version}, got "
                f"{type(expected_version).__name__}",
            )
        expected = _expected_versions(expected_version, set())
        return self._store.load(
            _checked(events, day_zone=self.day_zone),
            expected=expected,
            chunk_size=chunk_size,
            on_chunk=on_chunk,
        )

    # -- files -------------------------------------------------------------------------

    def import_file(
        self,
        path: str | os.PathLike[str],
        *,
        format: str | None = None,
        on_progress: Callable[[int, int], None] | None = None,
        chunk_size: int = 1000,
    ) -> ImportResult:
        """Store every event of a JSON Lines or CSV file in one transaction, or none.

        The fields are the event's (see :mod:`timeline.io`); times without an offset are
        read in ``default_tz``, dates as days of ``day_zone``; lines too long for
        ``max_event_bytes`` are refused before they are read. The file is read once,
        streaming, so it may be larger than memory. ``timeline import`` runs this.

        Args:
            path: the file.
            format: ``"jsonl"`` or ``"csv"``; default ``csv`` for a ``.csv`` name, else
                ``jsonl``.
            on_progress: called after each chunk stored with ``(events read, events in
                the file)``; the file is counted first only when it is given.
            chunk_size: events written at a time inside the one transaction.

        Returns:
            An :class:`ImportResult`: the events the file held and how many were new.
            An event whose id is stored already with the same content is not stored
            again, so an import of a file whose lines carry ids can be repeated. A line
            without an ``id`` is given a new one each time: a ``TimelineWarning`` says
            how many, since importing that file again stores them again. A line that
            says no reported time (``"reported_at": null``, as export writes an event
            stored without one) counts as reported when this store records it: a
            ``TimelineWarning`` says how many of them it stored (one stored already
            keeps its recorded time), since ``reported_by`` answers before the import
            then leave it out where the store it came from counted it.

        Raises:
            InvalidFileError: lines are wrong; ``problems`` lists every one by line
                number, and nothing was stored.
            InvalidFileError: the store refused an event for what it holds (its id
                stored with other content, an unknown ``corrects`` or ``retracts``),
                named by its line; nothing was stored.
            InvalidEventError: the file cannot be read (field ``path``).

        Example:
            >>> import pathlib, tempfile, timeline
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "events.jsonl"
            >>> _ = path.write_text('{"id": "01900000-0000-7000-8000-000000000015", '
            ...                     '"type": "truce", "actor": "Syria", '
            ...                     '"occurred_at": "2017-06-17", "incident": "daraa"}\\n')
            >>> tl = timeline.open("sqlite://")
            >>> tl.import_file(path)
            ImportResult(events=1, stored=1)
            >>> tl.import_file(path).stored  # the same id and content: stored already
            0
        """
        reading = _io.FileEvents(
            path,
            format=format,
            default_tz=self.default_tz,
            day_zone=self.day_zone,
            max_event_bytes=self.max_event_bytes,
        )
        try:
            total = reading.total() if on_progress is not None else 0
            done = 0

            def advance(count: int) -> None:
                nonlocal done
                done += count
                assert on_progress is not None
                on_progress(done, total)

            before, _ = self._store.last()
            stored = self.load(
                reading,
                chunk_size=chunk_size,
                on_chunk=None if on_progress is None else advance,
            )
        except OSError as e:
            raise InvalidEventError("path", f"cannot read {path}: {e.strerror or e}") from e
        except InvalidFileError:
            raise
        except TimelineError as e:  # the store refused one event: name its line
            refused = reading.refused(e)
            if refused is None:
                raise
            raise refused from e
        if reading.without_id and stored:
            lines = reading.without_id
            warnings.warn(
                f"import: {len(lines):,} line{'s' if len(lines) != 1 else ''} of {path} "
                f"(line {lines[0]}"
                f"{' and more' if len(lines) > 1 else ''}) had no id and got a new one: "
                "importing the file again stores them again; give each line an id "
                "(timeline export writes them) to make a repeated import harmless",
                TimelineWarning,
                stacklevel=caller_stacklevel(),
            )
        # only the lines this import stored count from now: one stored already (an
        # export imported back into its store) keeps its recorded time; read back only
        # when some lines were stored and some not
        if not stored:
            lines = []
        elif stored == reading.count:
            lines = reading.unreported
        else:
            lines = _stored_lines(self._store, reading.unreported, reading.unreported_ids, before)
        if lines:
            warnings.warn(
                f"import: {len(lines):,} line{'s' if len(lines) != 1 else ''} of {path} "
                f"(line {lines[0]}{' and more' if len(lines) > 1 else ''}) "
                f"say{'' if len(lines) != 1 else 's'} no reported time (reported_at "
                f"{'none' if reading.format == 'csv' else 'null'}): "
                "such an event counts as reported when this store records it, now, so "
                "answers with reported_by before now leave it out, where the store it was "
                "exported from counted it from when that store recorded it; to keep those "
                "answers, move the store with timeline copy, or give those lines reported_at",
                TimelineWarning,
                stacklevel=caller_stacklevel(),
            )
        return ImportResult(events=reading.count, stored=stored)

    def export(
        self,
        path_or_file: str | os.PathLike[str] | IO[str],
        *,
        format: str | None = None,
        incident: str | None = None,
    ) -> int:
        """Write every stored event (of one incident) to a file; return how many.

        ``jsonl`` and ``csv`` write each event in position order with all its fields
        (``id``, ``corrects`` and ``retracts`` included), the form :meth:`import_file`
        reads back into the same events, corrections, retractions and state (the new
        store assigns its own ``recorded_at`` and hash). ``timelinejs`` writes TimelineJS
        3 JSON for publishing: the events as they now stand, corrected, retracted ones
        left out (see :func:`timeline.io.to_timelinejs`). ``parquet`` writes the stored
        events with the fields the store assigned, a batch at a time, for analysis
        (:func:`timeline.io.write_parquet`; needs the ``parquet`` extra). ``timeline
        export`` runs this.

        Args:
            path_or_file: a path (written beside itself and renamed over it at the end,
                so a failure never leaves half a file under that name) or an open text
                file (for CSV, opened with ``newline=""``; for Parquet, a binary file).
            format: one of :data:`timeline.io.EXPORT_FORMATS`; default ``csv`` for a
                ``.csv`` path, ``parquet`` for a ``.parquet`` one, else ``jsonl``.
            incident: only this incident's events (with their corrections).

        Example:
            >>> import io, timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="daraa")
            >>> out = io.StringIO()
            >>> tl.export(out, format="csv")
            1
            >>> out.getvalue().splitlines()[1].split(",")[1:4]
            ['daraa', 'truce', 'Syria']
        """
        form = _io.FILE_FORMATS[_io.export_format(path_or_file, format)]
        found: Iterable[RecordedEvent] = (
            self.events() if incident is None else self._incident_events(incident)
        )
        if form.standing:
            found = resolve(found)
        return _io.write_to(
            path_or_file,
            lambda file: form.write(found, file, incident, self.day_zone),
            binary=form.binary,
        )

    def _incident_events(self, incident: str) -> Iterator[RecordedEvent]:
        """The stored events of one incident in position order, with the corrections and
        retractions of its events recorded in another incident: ``correct`` and
        ``retract`` record them in the event's own, but ``append``, ``load`` and an
        import file take a mending event of any incident, and an export of the incident
        without them would bring a retracted claim back where it is imported."""
        store = self._store
        own = self.events(incident=incident)
        newest = own.basis.position
        foreign = [
            (e, e.corrects or e.retracts)
            for e in store.mending(known_position=newest)
            if e.incident != incident
        ]
        mended = store.get_many(i for _, i in foreign if i is not None)
        roots = store.get_many(e.corrects for e in mended.values() if e.corrects is not None)

        def root_incident(mends: uuid.UUID | None) -> str | None:
            target = None if mends is None else mended.get(mends)
            if target is not None and target.corrects is not None:
                target = roots.get(target.corrects)  # a retraction of a correction
            return None if target is None else target.incident

        kept = [e for e, mends in foreign if root_incident(mends) == incident]
        return heapq.merge(own, kept, key=lambda e: e.position)

    # -- reading -----------------------------------------------------------------------

    def as_of(
        self,
        known_at: TimeInput | Basis | None = None,
        reported_by: TimeInput | None = None,
    ) -> View:
        """Fix a basis of knowledge once; return a :class:`~timeline.view.View` whose
        readers (``events``, ``get``, ``state``, ``states``, ``history``, ``sequence``,
        ``revisions``, ``chart``) all answer on it.

        Args:
            known_at: only what this store had recorded by then (a date takes in the
                whole day); ``None``: everything recorded now. A :class:`Basis` (the
                ``.basis`` of an earlier answer) asks again on exactly that knowledge.
            reported_by: only claims that had become public by then (their reported
                time; a date takes in the whole day), with the corrections and
                retractions reported by then. A claim whose reported interval straddles
                the bound applies and is uncertain. ``None``: no bound.

        The basis is fixed now, as a position in the store: an answer on it never
        changes, whatever is appended later or is in flight now (a ``known_at`` that an
        append in flight could still fall under waits for that append to commit; one
        past the store's clock is the present, and the basis says so).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident="s",
            ...               effects={"Russia": {"cooperation.US": "suspended"}},
            ...               reported_at="2017-06-19")
            >>> view = tl.as_of(reported_by="2017-06-18")
            >>> _ = tl.record("truce", "Russia", "2017-06-19", incident="s")
            >>> (view.state("Russia").get("cooperation.US"), view.basis.position)
            (None, 1)
            >>> tl.as_of(view.basis).state("Russia") == view.state("Russia")
            True
        """
        if isinstance(known_at, Basis):
            if reported_by is not None:
                raise InvalidEventError(
                    "reported_by", "a basis has its own reported_by; give one or the other"
                )
            non_negative(known_at.position, "known_at.position")
            newest = self._store.known_position(None)
            if known_at.position > newest:
                # a basis past the newest position would take in what is appended later:
                # asked again on it, the answer would change
                raise InvalidEventError(
                    "known_at.position",
                    f"{known_at.position} is past the newest position of this store "
                    f"({newest}); a basis comes from an answer of this store",
                )
            return View(self, known_at)
        known_bound, _ = self._moment(known_at, "known_at")
        reported_bound, _ = self._moment(reported_by, "reported_by")
        position, clock = self._store.settled(known_bound)
        if clock is not None:  # a bound past the store's clock: the present
            known_bound = (clock, True)
        basis = Basis(position, known_bound, reported_bound, day_zone=self.day_zone)
        return View(self, basis)

    def actors(
        self, *, known_at: TimeInput | None = None, reported_by: TimeInput | None = None
    ) -> Summaries:
        """Return every actor in the store, sorted, each a :class:`~timeline.view.Summary`
        of how many events name it (as actor, target or in effects) and when the first
        and last of them occurred (as recorded; corrections and retractions are not
        counted on their own). ``known_at`` and ``reported_by`` as in :meth:`state`.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("strike", "US", "2017-06-18", incident="s", targets=["Syria"])
            >>> _ = tl.record("truce", "Syria", "2017-06-20", incident="s")
            >>> [(s.name, s.events, s.first.day, s.last.day) for s in tl.actors()]
            [('Syria', 2, 18, 20), ('US', 1, 18, 18)]
        """
        return self.as_of(known_at, reported_by).actors()

    def incidents(
        self, *, known_at: TimeInput | None = None, reported_by: TimeInput | None = None
    ) -> Summaries:
        """Return every incident in the store, sorted, with its count of events and when
        the first and last of them occurred (see :meth:`actors`).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("strike", "US", "2017-06-18", incident="syria-2017-06")
            >>> [(s.name, s.events) for s in tl.incidents()]
            [('syria-2017-06', 1)]
        """
        return self.as_of(known_at, reported_by).incidents()

    def types(
        self, *, known_at: TimeInput | None = None, reported_by: TimeInput | None = None
    ) -> Summaries:
        """Return every event type in the store, sorted, with its count of events and
        when the first and last of them occurred (see :meth:`actors`).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("strike", "US", "2017-06-18", incident="s")
            >>> _ = tl.record("strike", "US", "2017-06-19", incident="s")
            >>> [(s.name, s.events) for s in tl.types()]
            [('strike', 2)]
        """
        return self.as_of(known_at, reported_by).types()

    def incident_version(self, incident: str) -> int:
        """Return the incident's current version (its event count; 0 when it has none).

        Pass it as ``expected_version`` to append only if nobody else has meanwhile.

        Example:
            >>> import timeline
            >>> timeline.open("sqlite://").incident_version("syria-2017-06")
            0
        """
        return self._store.incident_version(check_name(incident, field="incident"))

    def get(
        self,
        event_id: uuid.UUID | str,
        *,
        known_at: TimeInput | None = None,
        reported_by: TimeInput | None = None,
    ) -> RecordedEvent:
        """Return the stored event with this id, saying whether it was corrected or
        retracted (``corrected_by``, ``retracted_by``; see :meth:`View.get`).

        Raises:
            NotFoundError: no event has this id (on the basis asked).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> e = tl.record("truce", "Syria", "2017-06-17", incident="syria-2017-06")
            >>> (tl.get(e.id).type, tl.get(e.id).corrected_by)
            ('truce', ())
        """
        return self.as_of(known_at, reported_by).get(event_id)

    def events(
        self,
        *,
        incident: str | None = None,
        actor: str | None = None,
        type: str | Iterable[str] | None = None,
        since: TimeInput | None = None,
        until: TimeInput | None = None,
        after_position: int = 0,
        known_at: TimeInput | None = None,
        reported_by: TimeInput | None = None,
        limit: int | None = None,
        page_size: int = _store.DEFAULT_PAGE_SIZE,
        current: bool = False,
        wholly_within: bool = False,
        where: Mapping[str, Any] | Callable[[RecordedEvent], bool] | None = None,
    ) -> Events:
        """Yield stored events in position (commit) order, filtered, a page at a time.

        Args:
            incident: only this incident's events.
            actor: only events that name this actor as actor, target or in effects.
            type: one type name or several.
            since, until: only events whose time overlaps the window from ``since`` to
                ``until``, as :meth:`state` and :meth:`sequence` treat them: an event
                that may have happened inside it is listed. ``since`` starts at the first
                instant of what it names; ``until`` is read like ``at`` in :meth:`state`
                (a date, month or year takes in the whole of it, ``until="2017-06-19"``
                all of June 19 in the day zone; a time of day is that instant). So a
                day-precision event of 5 January is listed for a window from 12:00 to
                23:59 that day. An ``exact`` event is listed when it is at or after
                ``since`` and by ``until``.
            wholly_within: list only events whose whole interval lies inside the window
                (starts at or after ``since``, ends by ``until``): the day-precision
                event of 5 January is then left out of the window from 12:00 to 23:59.
            after_position: only events after this position; a tailing reader passes the
                last position it has seen.
            known_at: only events recorded by then (same reading as ``until``).
            reported_by: only claims reported by then (see :meth:`as_of`).
            limit: at most this many events.
            page_size: events fetched per query; memory holds one page.
            current: list the events as they now stand: corrected fields applied (each
                names its corrections in ``corrected_by``), retracted events, corrections
                and retractions left out; the filters apply to the corrected fields.
            where: only events whose fields have these values, as a :class:`Step`'s
                ``where`` takes them: ``{"source.publisher": "SANA"}``,
                ``{"data.aircraft": "Su-22"}``, ``{"targets": "US"}`` (among the
                targets), ``precision``, or a predicate ``event -> bool``. Tested on each
                event as read, after the other filters.

        The iterator reads lazily, each page a short query of its own, on the basis fixed
        when it was made (``.basis``): events committed while you iterate are not
        listed; a tailing reader asks again with ``after_position``.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="syria-2017-06")
            >>> _ = tl.record("shootdown", "US", "2017-06-18", incident="syria-2017-06",
            ...               targets=["Syria"])
            >>> [e.type for e in tl.events(actor="Syria", since="2017-06-18")]
            ['shootdown']
            >>> window = {"since": "2017-06-18 12:00Z", "until": "2017-06-18 23:59Z"}
            >>> [e.type for e in tl.events(**window)]
            ['shootdown']
            >>> [e.type for e in tl.events(**window, wholly_within=True)]
            []
            >>> _ = tl.record("statement", "Syria", "2017-06-19", incident="syria-2017-06",
            ...               source={"publisher": "SANA"})
            >>> [e.type for e in tl.events(where={"source.publisher": "SANA"})]
            ['statement']
        """
        return self.as_of(known_at, reported_by).events(
            incident=incident,
            actor=actor,
            type=type,
            since=since,
            until=until,
            after_position=after_position,
            limit=limit,
            page_size=page_size,
            current=current,
            wholly_within=wholly_within,
            where=where,
        )

    def revisions(
        self,
        event_id: uuid.UUID | str,
        *,
        known_at: TimeInput | None = None,
        reported_by: TimeInput | None = None,
    ) -> Revisions:
        """Return every form a claim took, with when each was reported and recorded
        (see :meth:`View.revisions`): how did the casualty count change as reports came in?

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> e = tl.record("casualties", "US", "2020-01-08", incident="s",
            ...               data={"injured": 0}, reported_at="2020-01-08")
            >>> _ = tl.correct(e.id, data={"injured": 11}, reported_at="2020-01-16")
            >>> [(r.change, r.event.data["injured"]) for r in tl.revisions(e.id)]
            [('recorded', 0), ('corrected', 11)]
        """
        return self.as_of(known_at, reported_by).revisions(event_id)

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

    # -- mending -----------------------------------------------------------------------

    def correct(
        self,
        event_id: uuid.UUID | str,
        *,
        reported_at: TimeInput | None = None,
        **fields: Any,
    ) -> RecordedEvent:
        """Record a correction of a stored event; return the correcting event.

        Args:
            event_id: the event to correct (its id; the id of one of its corrections
                means the same event).
            reported_at: when the correction became public (the correction's own
                reported time, not the event's); default: the corrected ``source``'s
                ``published_at`` when ``source`` is among the fields, else the moment
                the store records the correction.
            fields: the fields that were wrong, by their event names: ``occurred_at``,
                ``precision``, ``type``, ``actor``, ``targets``, ``data``, ``effects``,
                ``source``. The others keep their current values; a new ``occurred_at``
                without ``precision`` gets the precision its form implies.

        The correction is a new event in the same incident; nothing stored changes.
        Answers with ``known_at`` (or ``reported_by``) before it are as before; answers
        after it use the corrected fields, including a corrected ``occurred_at``. Of
        several corrections the one reported last gives the fields.

        Raises:
            NotFoundError: no such event.
            InvalidEventError: a field is unknown or invalid, the event is retracted, or
                the correction changes nothing.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> e = tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s")
            >>> c = tl.correct(e.id, occurred_at="2017-06-20")
            >>> (c.corrects == e.id, tl.state("US", at="2017-06-19").events_applied)
            (True, 0)
        """
        unknown = sorted(set(fields) - set(CORRECTABLE))
        if unknown:
            raise InvalidEventError(
                unknown[0], f"cannot be corrected; correct one of {', '.join(CORRECTABLE)}"
            )
        if not fields:
            raise InvalidEventError(
                "fields", f"nothing to correct; give one of {', '.join(CORRECTABLE)}"
            )
        root, current = self._current(event_id)
        merged = {name: getattr(current, name) for name in CORRECTABLE}
        if "occurred_at" in fields and "precision" not in fields:
            merged["precision"] = None
        merged.update(fields)
        zones: dict[str, Any] = {"default_tz": self.default_tz, "day_zone": self.day_zone}
        replacement = Event(
            merged.pop("type"),
            merged.pop("actor"),
            merged.pop("occurred_at"),
            incident=root.incident,
            reported_at=reported_at,
            # a time kept from the event was checked when it was recorded
            _stored_times="occurred_at" not in fields and "precision" not in fields,
            **zones,
            **merged,
        )
        if reported_at is None:
            # The fix is reported when its own source was published (a source given with
            # it), else when recorded: the source carried over is the event's, and its
            # publication is not the fix's.
            own, precision = (
                reported_time(None, None, replacement.source, **zones)
                if "source" in fields
                else (None, None)
            )
            replacement = attrs.evolve(
                replacement, reported_at=own, reported_precision=precision, _stored_times=True,
                **zones,
            )  # fmt: skip
        if _same_fields(replacement, current):
            raise InvalidEventError("fields", f"the correction changes nothing in {root.id}")
        fix = attrs.evolve(replacement, corrects=root.id, _stored_times=True, **zones)
        return self._store.append([fix])[0]

    def retract(
        self,
        event_id: uuid.UUID | str,
        reason: str,
        *,
        reported_at: TimeInput | None = None,
    ) -> RecordedEvent:
        """Record that a stored event, or one correction of it, should not have been;
        return the retracting event.

        Retracting an event withdraws it with all its corrections: answers with
        ``known_at`` (or ``reported_by``) before the retraction still include it,
        answers after it leave it out. Retracting a correction (by the correction's
        id) undoes that correction alone: the event goes back to the form it had
        before it. ``reported_at`` is when the retraction became public (default: when
        the store records it). The retraction is a new event (type ``retraction``, the
        reason in its ``data``) in the same incident; nothing stored changes.

        Raises:
            NotFoundError: no such event.
            InvalidEventError: no reason given, or the event or correction is retracted
                already.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> e = tl.record("drone_shootdown", "Iran", "2017-06-20", incident="s")
            >>> r = tl.retract(e.id, "the drone was not Iran's")
            >>> (r.retracts == e.id, r.data["reason"], tl.state("Iran").events_applied)
            (True, "the drone was not Iran's", 0)
        """
        if not isinstance(reason, str) or not reason.strip():
            raise InvalidEventError("reason", "say in words why the event is retracted")
        found = self.get(event_id)
        if found.retracts is not None:
            raise InvalidEventError("event_id", f"{found.id} is a retraction; it cannot be mended")
        root, current = self._current(found.corrects or found.id)
        if found.corrects is not None:
            if found.retracted_by is not None:
                raise InvalidEventError(
                    "event_id", f"the correction {found.id} is retracted already"
                )
            current = found
        retraction = Event(
            "retraction",
            current.actor,
            current.occurred_at,
            incident=root.incident,
            targets=current.targets,
            precision=current.precision,
            data={"reason": reason},
            retracts=found.id,
            reported_at=reported_at,
            default_tz=self.default_tz,
            day_zone=self.day_zone,
            _stored_times=True,  # the time is the retracted event's own
        )
        return self._store.append([retraction])[0]

    def _current(self, event_id: uuid.UUID | str) -> tuple[RecordedEvent, RecordedEvent]:
        """Return the event an id names (following a correction to its event) and how it
        now stands; refuse retracted events and retractions."""
        view = self.as_of()
        found = view.get(event_id)
        if found.retracts is not None:
            raise InvalidEventError("event_id", f"{found.id} is a retraction; it cannot be mended")
        root = found if found.corrects is None else view.get(found.corrects)
        if root.retracted_by is not None:
            raise InvalidEventError("event_id", f"{root.id} is retracted already")
        forms = view.revisions(root.id)
        current = forms[-1].event
        assert current is not None
        return root, current

    # -- state -------------------------------------------------------------------------

    def define(self, type: str, effects: Mapping[str, Mapping[str, Any]]) -> None:
        """Declare once the effects every event of ``type`` has, on this timeline.

        ``effects`` is keyed by ``"{actor}"`` or ``"{target}"``; attribute paths and
        text values may use both placeholders. The ``{actor}`` part applies to the
        event's actor once per event, or once per target when it mentions ``{target}``
        (it names each); the ``{target}`` part applies to each target once. An event's
        own ``effects`` apply after the template. A name that holds a ``.`` is never
        substituted into a path: that change is left out and listed in
        ``state.problems``. Declarations live on this ``Timeline`` object, not in the
        database.

        Raises:
            InvalidEventError: naming the field, for what an event's effects would be
                refused for (see :mod:`timeline.effects`: an unknown operator, a ``$`` key
                inside a value, a path beside a path inside it), or a placeholder other
                than ``{actor}`` and ``{target}``; what was declared before stays.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> tl.define("cooperation_suspended",
            ...           {"{actor}": {"cooperation.{target}": "suspended"}})
            >>> _ = tl.record("cooperation_suspended", "Russia", "2017-06-19",
            ...               incident="s", targets=["US"])
            >>> tl.state("Russia")["cooperation.US"]
            'suspended'
        """
        self._folder.define(type, effects)
        # a template for a type no stored event has, beside one that is close: a typo
        if not self._store.has_name("type", type):
            hint = did_you_mean(type, self._store.names("type"), cutoff=0.8)
            if hint:
                warnings.warn(
                    f"define: no event in the store has the type {type!r}{hint}",
                    TimelineWarning,
                    stacklevel=caller_stacklevel(),
                )

    def define_file(self, path: str | os.PathLike[str]) -> None:
        """Declare every effect template of a JSON file ``{event type: template}`` (what
        ``timeline --templates FILE`` reads), each as :meth:`define` would.

        Raises:
            InvalidEventError: the file cannot be read or is not such an object (field
                ``templates``), or a template is refused (field ``templates.TYPE...``);
                the templates before it stay declared.

        Example:
            >>> import pathlib, tempfile, timeline
            >>> path = pathlib.Path(tempfile.mkdtemp()) / "templates.json"
            >>> _ = path.write_text('{"cooperation_suspended": '
            ...                     '{"{actor}": {"cooperation.{target}": "suspended"}}}')
            >>> tl = timeline.open("sqlite://")
            >>> tl.define_file(path)
            >>> _ = tl.record("cooperation_suspended", "Russia", "2017-06-19",
            ...               incident="s", targets=["US"])
            >>> tl.state("Russia")["cooperation.US"]
            'suspended'
        """
        for type_name, template in _io.read_templates(path).items():
            try:
                self.define(type_name, template)
            except InvalidEventError as e:
                raise e.within(f"templates.{type_name}") from e

    def define_fold(self, type: str, function: FoldFunction, *, version: str | None = None) -> None:
        """Fold events of ``type`` with ``function(state, event) -> attributes``.

        ``state`` is the actor's attributes so far (a read-only mapping with ``.actor``);
        the function returns the actor's new attributes as a mapping and must not change
        anything else. It replaces templates and effects for that type. It is called for
        every actor the event names; registered on this ``Timeline``, not globally.

        ``version`` names what the function does: snapshots are reused only by a
        function registered under the same version, so give a new one whenever its
        behaviour changes (its code, a default, a closure, a helper it calls). Without a
        version no snapshots are stored or used while the function is registered: the
        answers are the same, only slower on long histories.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> def count(state, event):
            ...     return {**state, "reports": state.get("reports", 0) + 1}
            >>> tl.define_fold("statement", count, version="1")
            >>> _ = tl.record("statement", "US", "2017-06-19", incident="s")
            >>> tl.state("US")["reports"]
            1
        """
        self._folder.register(type, function, version=version)

    def state(
        self,
        actor: str,
        *,
        at: TimeInput | None = None,
        known_at: TimeInput | None = None,
        reported_by: TimeInput | None = None,
    ) -> State:
        """Return ``actor``'s attributes at ``at``, as known at ``known_at`` from the
        claims reported by ``reported_by``.

        The rules of time, for the caller:

        - the actor's events are those naming it as actor, as a target or in effects;
        - they apply in ``(occurred_at, position)`` order, whatever order they were
          recorded in;
        - ``at`` as a moment (a ``datetime``, or text with a time of day such as
          ``"2017-06-19 12:00Z"``) asks about that instant: an event applies when it
          starts at or before it, and is *uncertain* when its precision interval ends
          after it; ``at`` as a date (or month, year; of the timeline's ``day_zone``)
          asks about the whole of it: an event applies when it starts before the day
          ends, and is uncertain when it ends later. So a
          day-precision event of June 19 is certain at ``at="2017-06-19"`` and applied but
          uncertain at noon that day. ``at=None`` folds every event;
        - ``reported_by`` sees only the claims that had become public by then (their
          ``reported_at``, else their source's ``published_at``, else when they were
          recorded), with the corrections and retractions reported by then; a claim
          whose reported interval straddles it applies and is uncertain. ``None``: all;
        - ``known_at`` sees only events this store had recorded by then, with the
          corrections and retractions recorded by then: a report that arrived later never
          changes the answer for an earlier ``known_at``. ``None``: everything recorded.

        The answer's ``basis`` is the knowledge it rests on (see :meth:`as_of`).
        Snapshots only save work: the answer is the same with them on or off.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> tl.define("cooperation_suspended",
            ...           {"{actor}": {"cooperation.{target}": "suspended"}})
            >>> _ = tl.record("cooperation_suspended", "Russia", "2017-06-19",
            ...               incident="syria-2017-06", targets=["US"])
            >>> tl.state("Russia", at="2017-06-18").get("cooperation.US") is None
            True
            >>> tl.state("Russia", at="2017-06-19")["cooperation.US"]
            'suspended'
        """
        if known_at is None:  # the present: the read fixes the position with its first statement
            reported_bound, _ = self._moment(reported_by, "reported_by")
            basis = Basis(0, None, reported_bound, day_zone=self.day_zone)
            return View(self, basis, present=True).state(actor, at=at)
        return self.as_of(known_at, reported_by).state(actor, at=at)

    def states(
        self,
        *,
        at: TimeInput | None = None,
        known_at: TimeInput | None = None,
        reported_by: TimeInput | None = None,
    ) -> States:
        """Return the state of every actor at once, in one pass over the events.

        The same rules as :meth:`state`; the result maps each actor named by an applied
        event to its state, sorted by actor (a :class:`~timeline.view.States`, a dict
        with its ``basis`` and ``to_pandas()``: actors by attributes).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident="s",
            ...               targets=["US"], effects={"Russia": {"cooperation.US": "suspended"}})
            >>> sorted(tl.states(at="2017-06-19"))
            ['Russia', 'US']
        """
        return self.as_of(known_at, reported_by).states(at=at)

    def history(
        self,
        actor: str,
        attribute: str | None = None,
        *,
        since: TimeInput | None = None,
        until: TimeInput | None = None,
        known_at: TimeInput | None = None,
        reported_by: TimeInput | None = None,
    ) -> History:
        """Return each change of ``actor``'s attributes, in valid-time order.

        Args:
            attribute: only this attribute path and the paths below it.
            since: only changes by events that occurred at or after this moment.
            until: only events that apply by then (read like ``at`` in :meth:`state`).
            known_at, reported_by: the knowledge asked about (as in :meth:`state`).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> tl.define("cooperation_suspended",
            ...           {"{actor}": {"cooperation.{target}": "suspended"}})
            >>> _ = tl.record("cooperation_established", "Russia", "2015-10-20", incident="s",
            ...               effects={"Russia": {"cooperation.US": "active"}})
            >>> _ = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident="s",
            ...               targets=["US"])
            >>> [(h.when.year, h.old, h.new) for h in tl.history("Russia", "cooperation")]
            [(2015, None, 'active'), (2017, 'active', 'suspended')]
        """
        return self.as_of(known_at, reported_by).history(actor, attribute, since=since, until=until)

    # -- sequences ---------------------------------------------------------------------

    def sequence(
        self,
        steps: Sequence[Step],
        *,
        by: str | tuple[str, ...] | None = None,
        within: dt.timedelta | str | None = None,
        until: Step | None = None,
        known_at: TimeInput | None = None,
        reported_by: TimeInput | None = None,
        certain_only: bool = False,
    ) -> SequenceReport:
        """Find every "A, then B, then C" among the events, keyed per step; explain each.

        Args:
            steps: :class:`Step` objects in order; each names a type, the key that ties
                it to the others, optional conditions and a ``max_gap`` since the step
                before; ``absent=True`` steps are absences.
            by: key fields shared by every step (EQL's ``sequence by``).
            within: the largest span from first to last step (``timedelta`` or "3d");
                among imprecise times, a match that only some placements keep within it
                is kept with ``order_certain=False``.
            until: a step whose event discards the key's pending partial matches
                (one that may lie inside a match, as imprecise times allow, flags it).
            known_at, reported_by: the knowledge asked about (as in :meth:`state`); a
                match (or partial match) holding a claim whose reported time straddles
                ``reported_by`` is kept with ``order_certain=False`` (with
                ``certain_only``, such a claim fills no step but still acts as ``until``
                or an absence).
            certain_only: accept only steps whose order, ``within`` and ``max_gap``
                are certain despite imprecise times (a mode of the matcher, so counts
                can differ from filtering).

        The rules (EQL's ``sequence`` for exact times, and what imprecise times do) are
        those of :mod:`timeline.sequences`. Events stream from the database in
        ``(occurred_at, position)`` order through the type index; memory holds the
        pending partial matches and the imprecise events still open, not the history.
        Up to 1,000 matches are read whole before it returns; more are held compactly
        (:class:`~timeline.sequences.Matches`: key, positions, placements) and their
        events read whole, 1,000 matches at a time, when ``report.matches`` is read,
        which needs the timeline open.

        Example:
            >>> import timeline
            >>> from timeline import Step
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("shootdown", "US", "2017-06-18T18:43+03:00", incident="s",
            ...               targets=["Syria"])
            >>> _ = tl.record("cooperation_suspended", "Russia", "2017-06-19T09:00+03:00",
            ...               incident="s", targets=["US"], precision="hour")
            >>> _ = tl.record("aircraft_repositioned", "US", "2017-06-19", incident="s")
            >>> report = tl.sequence(
            ...     [Step("shootdown", key="actor"), Step("cooperation_suspended", key="targets"),
            ...      Step("aircraft_repositioned", key="actor")], within="3d")
            >>> [(m.key, m.order_certain) for m in report.matches]
            [('US', False)]
        """
        return self.as_of(known_at, reported_by).sequence(
            steps, by=by, within=within, until=until, certain_only=certain_only
        )

    # -- the picture -------------------------------------------------------------------

    def chart(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        actors: str | Iterable[str] | None = None,
        incident: str | None = None,
        since: TimeInput | None = None,
        until: TimeInput | None = None,
        known_at: TimeInput | None = None,
        reported_by: TimeInput | None = None,
        bands: str | Iterable[str] = (),
        sequence: SequenceReport | None = None,
        title: str | None = None,
        format: str | None = None,
        width: int = 1200,
        max_marks: int = 400,
    ) -> Chart:
        """Draw the timeline as one self-contained HTML page or SVG; return its text (a
        :class:`~timeline.chart.Chart`, a ``str`` that a notebook shows as the picture).

        One lane per actor, a time axis in UTC, each event a mark at its moment or a bar
        across its precision interval, state bands from :meth:`history`, and the matches
        of a sequence report drawn as connected marks (dashed when their order is
        uncertain). The file needs no network to open; hover shows each event's type,
        actor, targets, time and source quote. See :mod:`timeline.chart` for the rules.

        Args:
            path: write the chart there too (replaced if it exists); ``.html`` or
                ``.svg`` chooses the format.
            actors: one lane per actor, in this order; the events drawn are those that
                name one of them (as actor, target or in effects). Default: every
                actor that did something, in order of first event.
            incident, since, until: which events, read as in :meth:`events`; they are
                drawn as they stand, corrected and without retracted ones.
            known_at, reported_by: the knowledge drawn (as in :meth:`state`); events and
                bands are read on one basis.
            bands: attribute paths (``"cooperation.US"``) drawn as a state band on each
                lane whose actor's :meth:`history` has them (uses the templates defined).
            sequence: a :class:`SequenceReport` (from :meth:`sequence`) whose matches to
                draw.
            title: the heading (default: the incident, else "Timeline").
            format: ``"html"`` or ``"svg"`` (default: from ``path``, else HTML).
            width: in pixels.
            max_marks: above this many events, lanes become time bins with counts and
                the chart says so.

        The events are read once, as a stream: up to ``max_marks`` are held whole
        (drawn as marks), past that only their moments and types (drawn as time bins),
        so a chart of a million events holds tens of megabytes, not the events.

        Raises:
            InvalidEventError: an unknown format or file suffix, or a bad filter.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident="s",
            ...               targets=["US"], effects={"Russia": {"cooperation.US": "suspended"}})
            >>> picture = tl.chart(actors=["Russia"], bands=["cooperation.US"], format="svg")
            >>> picture.count('class="event"'), picture.count('class="band"')
            (1, 1)
        """
        return self.as_of(known_at, reported_by).chart(
            path,
            actors=actors,
            incident=incident,
            since=since,
            until=until,
            bands=bands,
            sequence=sequence,
            title=title,
            format=format,
            width=width,
            max_marks=max_marks,
        )

    def clear_snapshots(self, actor: str | None = None) -> int:
        """Delete stored snapshots (all, or one actor's); return how many.

        Snapshots are a cache: they are rebuilt as questions are asked, and answers never
        depend on them.

        Example:
            >>> import timeline
            >>> timeline.open("sqlite://").clear_snapshots()
            0
        """
        return self._store.clear_snapshots(
            None if actor is None else check_name(actor, field="actor")
        )

    def _moment(
        self, value: TimeInput | None, field: str
    ) -> tuple[Bound | None, dt.datetime | None]:
        """Read a bound the caller gave: ``(upper bound, first instant)``, in the day zone."""
        if value is None:
            return None, None
        zones = {"default_tz": self.default_tz, "day_zone": self.day_zone}
        start, _ = parse_time(value, field=field, **zones)
        return through(value, field=field, **zones), start

    def _window(
        self, since: TimeInput | None, until: TimeInput | None
    ) -> tuple[dt.datetime | None, Bound | None]:
        """Read a ``since``/``until`` window: ``(since's first instant, until's bound)``;
        refused when ``since`` starts after ``until`` ends, a window that holds nothing
        (events, history and chart would answer with nothing, silently)."""
        _, since_start = self._moment(since, "since")
        until_bound, _ = self._moment(until, "until")
        if since_start is not None and until_bound is not None:
            end, inclusive = until_bound
            if since_start > end or (since_start == end and not inclusive):
                raise InvalidEventError(
                    "since",
                    f"{since!s} starts after until ({until!s}) ends: the window holds "
                    "nothing; give a since before the until",
                )
        return since_start, until_bound

    def verify(
        self,
        *,
        deep: bool = False,
        anchor: str | Anchor | None = None,
        anchors: Iterable[str | Anchor] = (),
    ) -> Verification:
        """Check the stored events against their hash chain; name the first that fails.

        Recomputes each event's hash from its stored fields and the hash before it, and
        checks that positions run 1, 2, 3, … without gaps, that each incident's versions
        do too, and that ``recorded_at`` never decreases. A row changed or removed behind
        the library's back (the triggers disabled by the database owner, a file edited)
        fails here. Removing the newest events leaves a shorter chain that still
        verifies: to detect that, keep :meth:`head` somewhere else and compare. A value
        that cannot be read (not JSON, not a time, not an id; on SQLite, a time stored in
        another text form than ``YYYY-MM-DD HH:MM:SS.ffffff``, which range reads would
        compare elsewhere) is named by position and field; verify() reports what it finds
        and never raises for it.

        Each event's rows of the actor index (outside the hash chain, and what
        ``events(actor=...)``, ``state`` and ``history`` read) are checked against what an
        append writes: a row missing, added, renamed, re-dated or listing no event is
        named by position.

        ``deep=True`` first checks the database's own structures, which an answer may
        read and the walk does not (the pages of the other indexes): SQLite's ``PRAGMA
        integrity_check``; on PostgreSQL, ``bt_index_check`` of the ``amcheck`` extension
        on each index of timeline's tables when it is installed (else ``notes`` says it
        was not). Each problem it reports is a finding of part ``"database"``.

        Then every stored snapshot is checked against the events it claims to stand for
        (its positions, its time, its digest: what ``state()`` checks before using one),
        and those of this timeline's fold (templates, fold versions, day zone) are folded
        again from the events and compared; each bad one is named by actor and position
        in ``findings``.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> _ = tl.record("truce", "Syria", "2017-06-17", incident="syria-2017-06")
            >>> print(tl.verify())
            ok: 1 events verified
        """
        kept = [*([] if anchor is None else [anchor]), *anchors]
        # every anchor kept, however many at one position: a routine head --append after
        # a rewrite keeps the rewritten head beside the honest one, which must still fail
        wanted: dict[int, list[str]] = {}
        for given in kept:
            position, digest = parse_anchor(given, field="anchor")
            if digest not in wanted.setdefault(position, []):
                wanted[position].append(digest)
        walk = _store.ChainWalk()
        findings = _Findings()
        notes: list[str] = []
        checked = folded = 0
        try:
            if deep:  # first: a damaged page may stop the walk
                problems, deep_notes = self._store.integrity()
                findings += [Finding("database", problem) for problem in problems]
                notes += deep_notes
            findings += self._verify_events(walk, wanted)
            if not any(f.part == "events" for f in findings):
                with self._store.session() as conn:
                    readable = self._store.snapshot_rights(conn)[0]
                if readable:
                    found, checked, folded = self._verify_snapshots()
                    findings += found
                else:
                    notes.append("snapshots not checked: this role may not read timeline_snapshots")
        except StoreError as e:  # a page that cannot be read (a damaged file, a lost server)
            findings.append(Finding("database", f"cannot read past position {walk.position}: {e}"))
        except Exception as e:  # verify() reports, it never fails: whatever broke is a finding
            findings.append(
                Finding(
                    "database",
                    f"verification stopped after position {walk.position}: {type(e).__name__}: {e}",
                )
            )
        first = next((f for f in findings if f.part == "events"), None)
        return Verification(
            walk.position,
            first_bad_position=None if first is None else first.position,
            problem=None if first is None else first.what,
            findings=findings.listed(),
            snapshots_checked=checked,
            snapshots_folded=folded,
            notes=tuple(notes),
            anchors_checked=sum(map(len, wanted.values())),
        )

    def _verify_events(
        self, walk: _store.ChainWalk, anchors: Mapping[int, Sequence[str]]
    ) -> _Findings:
        """Walk the chain from position 1 and check each event's actor index rows and
        ``anchors`` (``{position: [hash, …]}``); stop at the first event that does not verify.
        Return what is wrong."""
        findings = _Findings()
        page: list[_store.StoredEvent] = []

        def check_index() -> None:
            for position, (field, problem) in sorted(self._store.index_problems(page).items()):
                part = "actor index" if field is None else "events"
                findings.append(Finding(part, problem, position=position, field=field))
            page.clear()

        for row in self._store.rows(through=_MAX_POSITION):
            if isinstance(row, _store.Unreadable):
                findings.append(Finding("events", row.problem, row.position, field=row.field))
                break
            problem = walk.step(row.event)
            if problem is not None:
                findings.append(Finding("events", problem, position=row.event.position))
                break
            for kept in anchors.get(walk.position, ()):
                if kept == walk.hash:
                    continue
                findings.append(
                    Finding(
                        "anchor",
                        f"the hash here is {walk.hash}, not the anchor's {kept}: the events up "
                        "to it were rewritten (their hashes recomputed), or this is another "
                        "store",
                        position=walk.position,
                    )
                )
            page.append(row)
            if len(page) >= _store.DEFAULT_PAGE_SIZE:
                check_index()
        check_index()
        if not any(f.part == "events" for f in findings):
            for position in sorted(p for p in anchors if p > walk.position):
                findings.append(
                    Finding(
                        "anchor",
                        f"the store ends at position {walk.position}: the events after it "
                        "were removed, or this is another store",
                        position=position,
                    )
                )
            for actor, position in self._store.index_orphans(last=walk.position):
                findings.append(
                    Finding(
                        "actor index",
                        f"a row under {actor!r} lists no stored event",
                        position=position,
                    )
                )
        findings.sort(key=lambda f: (f.position or 0, f.part != "events"))
        return findings

    def _verify_snapshots(self) -> tuple[_Findings, int, int]:
        """Check every stored snapshot against the events and fold again those of this
        timeline's fold; return what is wrong, how many were checked and folded."""
        findings = _Findings()
        ours = View(self, Basis(0))._fold_key()
        head = self._store.last()[0]
        # by the knowledge to fold them on: the head's, for every snapshot that nothing
        # recorded since reaches behind (as state() would use it there), else its own;
        # so an actor is folded once, not once per knowledge its snapshots were made on
        sound: dict[int, list[_store.Snapshot]] = {}
        checked = 0
        batch: list[_store.Snapshot] = []

        def check(batch: list[_store.Snapshot]) -> None:
            for snap, problem in zip(batch, self._store.snapshot_problems(batch), strict=True):
                if problem is not None:
                    findings.append(_snapshot_finding(snap, problem))
                elif snap.fingerprint == ours:
                    point = (snap.through_occurred_at, snap.through_position)
                    stale = self._store.changed_behind(
                        snap.actor, between=(snap.known_position, head), through=point
                    )
                    sound.setdefault(snap.known_position if stale else head, []).append(snap)

        for found in self._store.all_snapshots():
            checked += 1
            if isinstance(found, str):
                findings.append(Finding("snapshots", found))
                continue
            batch.append(found)
            if len(batch) >= 500:
                check(batch)
                batch = []
        check(batch)
        folded = 0
        for position, group in sorted(sound.items()):
            view = View(self, Basis(position, day_zone=self.day_zone))
            findings += [_snapshot_finding(s, p) for s, p in view._refold_snapshots(group)]
            folded += len(group)
        return findings, checked, folded


def _snapshot_finding(snap: _store.Snapshot, problem: str) -> Finding:
    return Finding(
        "snapshots", f"{problem} (row {snap.id})", position=snap.through_position, actor=snap.actor
    )


def _checked(
    events: Iterable[Any], limit: int | None = None, *, day_zone: ZoneInput = None
) -> Iterator[Event]:
    if isinstance(events, str | bytes | Mapping) or not isinstance(events, Iterable):
        raise InvalidEventError(
            "events", f"expected a list or iterator of events, got {type(events).__name__}"
        )
    for i, event in enumerate(events):
        if limit is not None and i >= limit:
            raise InvalidEventError(
                "events",
                f"more than {limit:,} events in one append (max_batch); "
                "use Timeline.load to stream larger batches",
            )
        if not isinstance(event, Event):
            raise InvalidEventError(
                f"events[{i}]", f"expected a timeline.Event, got {type(event).__name__}"
            )
        # A day, month or year is one of the timeline's day zone, as record() reads it:
        # an Event built in another zone (UTC by default) would cover a day this
        # timeline has not, and be uncertain on the very day it names. (Most events
        # are exact: one test each.)
        if event.precision in CALENDAR_UNITS:
            _in_day_zone(i, "occurred_at", event.occurred_at, event.precision, day_zone)
        if event.reported_at is not None and event.reported_precision in CALENDAR_UNITS:
            _in_day_zone(i, "reported_at", event.reported_at, event.reported_precision, day_zone)
        yield event


def _in_day_zone(
    index: int, name: str, start: dt.datetime, precision: str, day_zone: ZoneInput
) -> None:
    """Refuse a day, month or year of ``events[index]`` that does not start one of the
    day zone's."""
    try:
        check_start(start, precision, field=name, day_zone=day_zone)
    except InvalidEventError as e:
        raise InvalidEventError(
            f"events[{index}].{name}",
            f"{e.problem}; build the Event with day_zone= the timeline's",
        ) from e


def _expected_versions(
    expected: int | Mapping[str, int] | None, incidents: set[str]
) -> dict[str, int] | None:
    if expected is None:
        return None
    if isinstance(expected, Mapping):
        result = {}
        for incident, version in expected.items():
            name = check_name(incident, field="expected_version")
            result[name] = non_negative(version, f"expected_version[{incident!r}]")
        return result
    version = non_negative(expected, "expected_version")
    if len(incidents) != 1:
        raise InvalidEventError(
            "expected_version",
            f"the batch spans incidents {', '.join(map(repr, sorted(incidents)))}; "
            "give a mapping {incident: version}",
        )
    return {next(iter(incidents)): version}


def _same_fields(event: Event, current: RecordedEvent) -> bool:
    """Whether a correction would leave every correctable field as it stands."""
    mine, theirs = event.content(), current.content()
    return all(
        canonical_json(mine.get(name)) == canonical_json(theirs.get(name)) for name in CORRECTABLE
    )
