"""The interface every backend implements, and what backends share."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from timeline.schema import events

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from timeline.store import Timeouts

LAST = (
    sa.select(events.c.position, events.c.hash, events.c.recorded_at)
    .order_by(events.c.position.desc())
    .limit(1)
)
"""The newest stored event's position, hash and recorded time (the chain's head)."""

VERSION = (
    sa.select(events.c.version)
    .where(events.c.incident == sa.bindparam("incident"))
    .order_by(events.c.version.desc())
    .limit(1)
)
"""An incident's newest version: one probe of the (incident, version) key, read backwards."""

ID_CHUNK = 500  # ids per IN (...) lookup, well under every driver's parameter limit

Head = tuple[int, str, dt.datetime]
"""The chain's head as an append starts: position, hash (``0, ""`` when empty), and the
append's ``recorded_at``."""


def milliseconds(seconds: float | None) -> int:
    """A timeout in whole milliseconds for PostgreSQL: 0 is no limit, a limit is >= 1 ms."""
    return 0 if seconds is None else max(1, round(seconds * 1000))


def reason(error: sa.exc.SQLAlchemyError) -> str:
    """The first line of what the database said, for a message."""
    original = getattr(error, "orig", None)
    text = str(original if original is not None else error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def fetched(result: sa.CursorResult[Any]) -> list[Any]:
    """Every row of ``result``, as the driver's own tuples: SQLAlchemy's Row costs more
    than the decoding of the few plain columns the read paths take (each caller decodes
    them). A driver error met while fetching (a statement with no sort finds a damaged
    page only as its rows stream) is raised as SQLAlchemy raises one met while
    executing, so that the store translates it as any other."""
    error = result.context.dialect.loaded_dbapi.Error
    try:
        return list(result.cursor.fetchall())
    except error as e:
        raise sa.exc.DBAPIError.instance(result.context.statement, None, e, error) from e
    finally:
        result.close()


class DriverForm:
    """A SQLAlchemy statement as its driver takes it, compiled once (:func:`driver_form`):
    for a statement run so often that SQLAlchemy's execution of the statement object (its
    cache key, each parameter) costs as much as the database's work on it (issue 15).

    ``sql``: the text; :meth:`params` turns the values of its bound names into the
    driver's parameters, each processed as SQLAlchemy processes it for this dialect
    (``UTCDateTime`` refuses a naive time and, on SQLite, writes the stored text form);
    ``results``: each result column's processor (``None`` when no column has one).

    Example:
        >>> import sqlalchemy as sa
        >>> from sqlalchemy.dialects import sqlite
        >>> from timeline.schema import events
        >>> form = driver_form(
        ...     sa.select(events.c.position).where(events.c.recorded_at <= sa.bindparam("k")),
        ...     sqlite.dialect(),
        ... )
        >>> import datetime as dt
        >>> form.params({"k": dt.datetime(2017, 6, 19, tzinfo=dt.UTC)})
        ('2017-06-19 00:00:00.000000',)
    """

    def __init__(self, compiled: Any, statement: Any, dialect: sa.Dialect) -> None:
        self.sql: str = compiled.string
        binds = compiled.binds
        # the statement's own values (its LIMITs, say); the rest are the caller's
        self._fixed = {
            name: bind.effective_value for name, bind in binds.items() if not bind.required
        }
        # the dialect's own form of each type: a TypeDecorator's bind_processor alone
        # skips its dialect's (SQLite's DATETIME text form, for one)
        self._processors = [
            (name, processor)
            for name, bind in binds.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect)) is not None
        ]
        positions = compiled.positiontup
        self._order: tuple[str, ...] | None = None if positions is None else tuple(positions)
        results = tuple(
            column.type.dialect_impl(dialect).result_processor(dialect, None)
            for column in getattr(statement, "selected_columns", ())
        )
        self.results: tuple[Callable[[Any], Any] | None, ...] | None = (
            None if all(p is None for p in results) else results
        )

    def params(self, values: Mapping[str, Any]) -> Any:
        """The driver's parameters for ``values`` (a dict by name, or a tuple in the
        text's order for a driver of positional marks). A value a processor refuses is
        raised as SQLAlchemy raises it (``StatementError``), for the store to translate."""
        given = {**self._fixed, **values}
        try:
            for name, processor in self._processors:
                given[name] = processor(given[name])
        except (ValueError, TypeError) as e:
            raise sa.exc.StatementError(str(e), self.sql, given, e) from e
        order = self._order
        return given if order is None else tuple([given[name] for name in order])


@functools.lru_cache(maxsize=256)
def driver_form(statement: Any, dialect: sa.Dialect) -> DriverForm | None:
    """``statement`` compiled once for ``dialect`` (:class:`DriverForm`), or ``None`` for a
    statement only SQLAlchemy can run (expanding parameters, bound names that the text
    spells otherwise). The store builds each shape of its hot statements once, so the
    cache holds a few dozen."""
    compiled = statement.compile(dialect=dialect)
    if "POSTCOMPILE" in compiled.string or compiled.escaped_bind_names:
        return None
    return DriverForm(compiled, statement, dialect)


class Backend(ABC):
    """What differs between the engines, as one small object per engine.

    ``stores_text``: times, ids and JSON go to the driver as text (SQLite); else as the
    driver's own values (PostgreSQL: ``timestamptz``, ``uuid``, ``json``).

    ``snapshot_per_statement``: each statement of a read transaction reads a snapshot of
    its own (PostgreSQL's READ COMMITTED), so a transaction adds nothing to reads that
    need none shared (:meth:`Store.session <timeline.store.Store.session>` with
    ``brief``); SQLite's read transaction holds one snapshot for all its statements.

    ``keeps_plans``: a statement :meth:`fetch` is told to keep is prepared on the server
    and its plan kept for the session (PostgreSQL), so the store writes such statements
    in a form whose every plan, even one made while the tables were empty, reads the
    tables through their keys (each joined row probed by key, ``LATERAL ... LIMIT 1``).
    SQLite keeps each statement's compiled form in the driver's cache anyway, and
    plans it for the tables as they are each time.
    """

    name: str
    stores_text: bool
    snapshot_per_statement: bool
    keeps_plans: bool = False

    # -- engine and sessions -------------------------------------------------------------

    def database_file(self, url: URL) -> str | None:
        """The file the URL names, if the database is a file (connecting creates it)."""
        return None

    @abstractmethod
    def engine_options(
        self, url: URL, timeouts: Timeouts, options: dict[str, Any], connect_args: dict[str, Any]
    ) -> None:
        """Fill in SQLAlchemy's engine options and the driver's connect arguments."""

    def configure(self, engine: sa.Engine, url: URL, timeouts: Timeouts) -> None:
        """Set up a new engine's sessions (event listeners); nothing by default."""
        return None

    def missing_driver(self, url: URL, error: ImportError) -> Exception | None:
        """The error to raise when the driver cannot be imported (``None``: re-raise)."""
        return None

    def begin_upgrade(self, conn: sa.Connection) -> None:
        """Prepare the transaction of a schema upgrade (``migrations/env.py``): nothing by
        default (SQLite's upgrade holds the write lock from ``BEGIN IMMEDIATE``)."""
        return None

    # -- statements --------------------------------------------------------------------

    def by_ids(self, columns: Sequence[Any]) -> sa.Select[Any]:
        """The events with the ids of the list bound as ``ids``, as ``columns``.

        ``id IN (...)``: SQLite reads each id through the unique key, whatever the size
        of the table.
        """
        return sa.select(*columns).where(events.c.id.in_(sa.bindparam("ids", expanding=True)))

    def stream(
        self, conn: sa.Connection, statement: Any, values: Mapping[str, Any], size: int
    ) -> Iterator[Sequence[Sequence[Any]]]:
        """The rows of ``statement`` (a SELECT) with ``values`` bound, as one statement
        read ``size`` rows at a time (a server-side cursor where the engine has them),
        a page (a list) at a time; each row holds the driver's values in the
        statement's column order, read by position. SQLAlchemy's streamed result by
        default."""
        result = conn.execute(statement, values, execution_options={"yield_per": size})
        yield from result.partitions()

    def fetch(
        self, conn: sa.Connection, statement: Any, values: Mapping[str, Any], *, kept: bool = False
    ) -> Sequence[Sequence[Any]]:
        """Every row of ``statement`` (a SELECT of a bounded page) with ``values`` bound,
        each holding the driver's values in the statement's column order, read by
        position: the driver's own tuples, since SQLAlchemy's rows cost more than the
        decoding of the few plain columns that a page's reader takes. The statement's
        :func:`driver_form` run as it is (else SQLAlchemy's execution), then its
        cursor's rows (:func:`fetched`), by default.

        ``kept``: the statement is one of the store's hot reads, written so that every
        plan of it reads through keys (see ``keeps_plans``); an engine that keeps plans
        prepares it. Ignored by default."""
        form = driver_form(statement, conn.dialect)
        if form is None:  # an IN list of types, say
            return fetched(conn.execute(statement, values))
        return fetched(conn.exec_driver_sql(form.sql, form.params(values)))

    # -- the append lock and the clock ---------------------------------------------------

    @abstractmethod
    def begin_append(self, conn: sa.Connection) -> Head:
        """Take the append lock in a write transaction; return the head's position and
        hash (``0, ""`` when empty) and this append's ``recorded_at``, never before the
        head's."""

    @abstractmethod
    def lock_writes(self, conn: sa.Connection) -> None:
        """Take the append lock in a write transaction (a copy takes it too)."""

    @abstractmethod
    def share_append_lock(self, conn: sa.Connection) -> None:
        """Wait for an append in flight, in a transaction begun as a write's (readers do
        not wait for each other where the engine allows it)."""

    @abstractmethod
    def now(self, conn: sa.Connection) -> dt.datetime:
        """The store's clock (UTC), read under the append lock."""

    @contextmanager
    def write_transaction(
        self, engine: sa.Engine, *, append: bool, wait: bool = True
    ) -> Iterator[sa.Connection]:
        """A write transaction on a connection of ``engine`` (the store's engine of
        writes), committed when the body ends normally, rolled back otherwise;
        ``append``: an append's, begun on :meth:`append_connection`; ``wait=False``: do
        not wait for a database-wide write lock another connection holds (SQLite's), fail
        at once instead. SQLAlchemy's transaction by default (no such lock to wait for)."""
        with engine.connect() as conn:
            if append:
                conn = self.append_connection(conn)
            with conn.begin():
                yield conn

    def append_connection(self, conn: sa.Connection) -> sa.Connection:
        """The connection an append's transaction runs on, given before it begins.

        The append's first statement is always :meth:`read_for_append` with
        ``begin=True``, so a backend may leave the start of the transaction to it (see
        ``PostgresBackend``). By default ``conn`` itself.
        """
        return conn

    def read_for_append(
        self,
        conn: sa.Connection,
        ids: Sequence[uuid.UUID],
        incidents: Sequence[str],
        *,
        begin: bool,
    ) -> tuple[Head | None, dict[str, int], list[uuid.UUID]]:
        """What a chunk of an append reads under the append lock: the head (``begin``:
        the append's first chunk, which takes the lock, see :meth:`begin_append`), the
        newest version of each of ``incidents`` (:meth:`versions`), and which of ``ids``
        are stored already. One statement after the other by default."""
        head = self.begin_append(conn) if begin else None
        stored_ids = self.by_ids([events.c.id])  # compiled once: SQLAlchemy caches it
        known = [
            found
            for start in range(0, len(ids), ID_CHUNK)
            for found in conn.execute(
                stored_ids, {"ids": list(ids[start : start + ID_CHUNK])}
            ).scalars()
        ]
        return head, self.versions(conn, incidents), known

    def versions(self, conn: sa.Connection, incidents: Sequence[str]) -> dict[str, int]:
        """Each incident's newest version (0 for none), read under the append lock.

        One probe of the (incident, version) key per incident, read backwards from its
        end; a GROUP BY over all of them reads every version of every incident named,
        which made each batch of a growing store slower than the one before. Here a
        statement per incident (no round trip in process); a server answers them in one.
        """
        return {
            incident: conn.execute(VERSION, {"incident": incident}).scalar() or 0
            for incident in incidents
        }

    # -- writing rows --------------------------------------------------------------------

    @abstractmethod
    def insert_rows(
        self,
        conn: sa.Connection,
        table: str,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
        *,
        url: str,
    ) -> None:
        """Write ``rows`` (tuples of driver values, see :meth:`db_time`) into ``table``."""

    def insert_tables(
        self,
        conn: sa.Connection,
        writes: Sequence[tuple[str, Sequence[str], list[tuple[Any, ...]]]],
        *,
        url: str,
    ) -> None:
        """Write each ``(table, columns, rows)`` in order (:meth:`insert_rows` each, by
        default); a table without rows is left alone."""
        for table, columns, rows in writes:
            if rows:
                self.insert_rows(conn, table, columns, rows, url=url)

    @abstractmethod
    def db_time(self, moment: dt.datetime) -> Any:
        """An aware time as the driver takes it for a time column."""

    @abstractmethod
    def db_uuid(self, value: uuid.UUID | None) -> Any:
        """An id as the driver takes it for a uuid column."""

    @abstractmethod
    def bind_time(self, moment: dt.datetime) -> Any:
        """An aware UTC time as SQLAlchemy's ``DateTime`` takes it for this engine."""

    def start_copy(self, conn: sa.Connection, url: str) -> None:
        """Prepare a write transaction for :meth:`Store.copy_from` (nothing by default)."""
        return None

    # -- what the database tells -------------------------------------------------------

    @abstractmethod
    def lock_timed_out(self, error: sa.exc.SQLAlchemyError) -> bool:
        """Whether ``error`` is a lock wait that ran out (``lock_timeout``)."""

    @abstractmethod
    def lock_holders(
        self, engine: sa.Engine, error: sa.exc.SQLAlchemyError
    ) -> tuple[list[str], str]:
        """Who holds the append lock after a lock wait ran out, and the words for the
        message when nobody can be named."""

    @abstractmethod
    def snapshot_rights(self, conn: sa.Connection) -> tuple[bool, bool]:
        """Whether this role may read, and may write, snapshots."""

    @abstractmethod
    def integrity(self, engine: sa.Engine, *, limit: int, url: str) -> tuple[list[str], list[str]]:
        """Check the database's own structures; return ``(problems, notes)``."""
