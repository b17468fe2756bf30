"""SQLite: one file (or memory), one writer at a time, times kept as UTC text."""

from __future__ import annotations

import datetime as dt
import sqlite3
import urllib.parse
import uuid
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, cast

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.dialects.sqlite import dialect as sqlite_dialect

from timeline._backends.base import (
    ID_CHUNK,
    LAST,
    Backend,
    Head,
    driver_form,
    milliseconds,
    reason,
)
from timeline.errors import StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from timeline.store import Timeouts

NO_LIMIT_MS = 2**31 - 1
"""The longest busy timeout SQLite takes: what "no limit" means here."""

CACHE_KIB = 64 * 1024
"""Each connection's page cache, in KiB (``PRAGMA cache_size``, negative: KiB)."""

MMAP_BYTES = 0x7FFF0000
"""How much of a database file a read transaction maps into memory (``PRAGMA
mmap_size``; SQLite's own default ceiling, about 2 GB; a build without memory-mapped
I/O ignores it). Write transactions read through ``read()`` as before (``0``).

A read then takes pages straight from the operating system's file cache instead of
copying each into the connection's page cache: the first sequence report in a process,
which reads most pages of the events table once, cost about a fifth less CPU (issue
15). SQLite's documentation names the price (https://sqlite.org/mmap.html): an I/O
error on a mapped page (a failing disk, the file truncated behind SQLite's back) is a
signal (SIGBUS) that ends the process, where ``read()`` returned an error the store
raised as :class:`~timeline.errors.StoreError`; and it needs an operating system with
a unified buffer cache (Linux, macOS, Windows; SQLite turns mapping off where it knows
there is none). A damaged page is still reported as before: SQLite checks what it
reads either way. The mapped pages count in the process's resident set, as file
cache the system may reclaim."""


class SQLiteBackend(Backend):
    """SQLite through the standard library's ``sqlite3``.

    Example:
        >>> BACKEND.stores_text
        True
    """

    name = "sqlite"
    stores_text = True
    snapshot_per_statement = False

    def database_file(self, url: URL) -> str | None:
        database = url.database or ":memory:"
        if database == ":memory:":
            return None
        if (
            database.startswith("file:")
            and str(url.query.get("uri", "")).lower() in ("true", "1")
            and url.query.get("mode") != "memory"
        ):
            # a URI filename (``sqlite:///file:/path/x.db?mode=ro&uri=true``): its path
            return urllib.parse.unquote(urllib.parse.urlsplit(database).path) or database
        return database

    def engine_options(
        self, url: URL, timeouts: Timeouts, options: dict[str, Any], connect_args: dict[str, Any]
    ) -> None:
        connect_args["timeout"] = NO_LIMIT_MS / 1000 if timeouts.lock is None else timeouts.lock

    def configure(self, engine: sa.Engine, url: URL, timeouts: Timeouts) -> None:
        """The driver's own transaction handling is turned off so that the store can
        begin write transactions with ``BEGIN IMMEDIATE`` (a writer takes the lock up
        front instead of failing half-way); a file database uses WAL (readers never
        block the writer), ``synchronous=FULL`` (a committed append survives a power
        cut), a 64 MB page cache and a busy timeout of ``timeouts.lock`` (writers
        queue, for that long)."""
        in_memory = url.database in (None, "", ":memory:")
        busy_ms = NO_LIMIT_MS if timeouts.lock is None else milliseconds(timeouts.lock)

        @sa_event.listens_for(engine, "connect")
        def _connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves
            cursor = dbapi_connection.cursor()
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=FULL")
            # 64 MB of page cache (the default is 2 MB): an append dirties pages all over
            # the time and actor keys, whose keys arrive in random order
            cursor.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        @sa_event.listens_for(engine, "begin")
        def _begin(conn: sa.Connection) -> None:
            # on the driver (_begin_on): SQLAlchemy's execution of this one statement
            # cost a one-event append more than SQLite's work on it
            mode = conn.get_execution_options().get("timeline_sqlite_begin", "DEFERRED")
            pooled = conn.connection
            _begin_on(pooled.dbapi_connection, pooled.info, mode, in_memory=in_memory)

    @contextmanager
    def write_transaction(
        self, engine: sa.Engine, *, append: bool, wait: bool = True
    ) -> Iterator[sa.Connection]:
        """On the driver's connection, taken from the pool: ``BEGIN IMMEDIATE``, then
        ``COMMIT`` if the body ends normally; otherwise ``ROLLBACK`` on the driver (as
        after a failed ``COMMIT``), before the connection goes back to the pool, whatever
        the pool's own reset on return (``pool_reset_on_return``) would do. SQLAlchemy's
        own transaction around a one-event append (its begin and commit, their events,
        the Connection's checkout and return) cost about a tenth of its time (issue 15),
        a third of it outside the commit's fsync. SQLAlchemy's engine events ``begin``
        and ``commit`` do not fire for these transactions.

        The Connection given runs SQLAlchemy's statements in that transaction without
        beginning one of its own (no autobegin). So a statement's error must not be
        caught inside the body: SQLAlchemy, seeing no transaction of its own, rolls back
        at once, and the statements after it would each commit alone; the commit then
        refuses (``StoreError``) rather than pretend the body was one transaction. A
        driver error at BEGIN or COMMIT is raised as SQLAlchemy would raise it, so the
        store translates it as any other (a busy timeout run out: ``LockTimeoutError``).
        ``wait=False``: a busy timeout of 0 for this BEGIN, so a held write lock fails it
        at once."""
        in_memory = self.database_file(engine.url) is None
        try:
            pooled = engine.raw_connection()
        except sqlite3.Error as e:  # opening the file (a new connection of the pool)
            raise sa.exc.DBAPIError.instance(None, None, e, sqlite3.Error) from e
        driver = pooled.dbapi_connection
        begun = False  # a refused BEGIN leaves what is open on the connection alone
        busy_ms = None
        try:
            if not wait:
                raw = cast(sqlite3.Connection, driver)
                busy_ms = int(raw.execute("PRAGMA busy_timeout").fetchone()[0])
                _execute(raw, "PRAGMA busy_timeout=0")
            try:
                _begin_on(driver, pooled.info, "IMMEDIATE", in_memory=in_memory)
            finally:
                if busy_ms is not None:
                    _execute(raw, f"PRAGMA busy_timeout={busy_ms}")
            begun = True
            yield sa.Connection(
                engine, connection=pooled, _allow_revalidate=False, _allow_autobegin=False
            )
            if not driver.in_transaction:  # type: ignore[union-attr]
                raise StoreError(
                    "the write transaction ended before its commit (a statement's error "
                    "was caught inside it): what ran after that was not one transaction"
                )
            try:
                driver.commit()  # type: ignore[union-attr]
            except sqlite3.Error as e:
                raise sa.exc.DBAPIError.instance("COMMIT", None, e, sqlite3.Error) from e
        finally:
            try:
                # what an error (or a failed COMMIT) left open is rolled back here, not
                # by the pool, whose reset on return may be set to commit or do nothing;
                # only this call's own transaction: when its BEGIN was refused, what is
                # open is another's (in memory, a thread's writes share one connection)
                if begun and driver.in_transaction:  # type: ignore[union-attr]
                    driver.rollback()  # type: ignore[union-attr]
            except sqlite3.Error:
                pass  # the connection is broken: the pool's checks discard it
            finally:
                pooled.close()  # back to the pool

    def stream(
        self, conn: sa.Connection, statement: Any, values: Mapping[str, Any], size: int
    ) -> Iterator[Sequence[Sequence[Any]]]:
        """On the driver's own cursor, its tuples a page at a time: a sequence report
        reads every event of its types, and SQLAlchemy's rows around the driver's
        tuples (and their cursor wrapper) cost about a tenth of that scan (issue 15).
        A column whose type processes what the driver returns (``UTCDateTime``) is
        processed as SQLAlchemy would; the store's scans read none (their columns are
        the stored forms), so their pages are the driver's own lists."""
        form = driver_form(statement, conn.dialect)
        assert form is not None, "expanding parameters need SQLAlchemy"
        sql, params, results = form.sql, form.params(values), form.results
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cursor.execute(sql, params)
            while page := cursor.fetchmany(size):
                if results is None:
                    yield page
                else:
                    yield [
                        tuple(v if p is None else p(v) for p, v in zip(results, row, strict=True))
                        for row in page
                    ]
        except sqlite3.Error as e:  # as SQLAlchemy would raise it: the store translates it
            raise sa.exc.DBAPIError.instance(sql, params, e, sqlite3.Error) from e
        finally:
            cursor.close()

    def begin_append(self, conn: sa.Connection) -> tuple[int, str, dt.datetime]:
        # the transaction began with BEGIN IMMEDIATE, which holds the database's write lock
        last = _run(conn, _LAST, ())
        recorded_at = self.now(conn)
        if last is None:
            return 0, "", recorded_at
        position, chain, newest = last
        return position, chain, max(recorded_at, dt.datetime.fromisoformat(newest + "+00:00"))

    def read_for_append(
        self,
        conn: sa.Connection,
        ids: Sequence[uuid.UUID],
        incidents: Sequence[str],
        *,
        begin: bool,
    ) -> tuple[Head | None, dict[str, int], list[uuid.UUID]]:
        # The same statements as the default, on the driver's cursor: SQLAlchemy's
        # execution of each cost more than SQLite's work on it (about half of a one-event
        # append's time outside its commit, and a statement per incident of a batch).
        head = self.begin_append(conn) if begin else None
        known: list[uuid.UUID] = []
        for start in range(0, len(ids), ID_CHUNK):
            chunk = [value.hex for value in ids[start : start + ID_CHUNK]]
            statement = _STORED_IDS.format(marks=", ".join("?" * len(chunk)))
            found = _run(conn, statement, chunk, rows=True)
            known.extend(uuid.UUID(hex=value) for (value,) in found)
        versions = {}
        for incident in incidents:
            row = _run(conn, _VERSION, (incident,))
            versions[incident] = 0 if row is None else row[0]
        return head, versions, known

    def lock_writes(self, conn: sa.Connection) -> None:
        return None  # BEGIN IMMEDIATE took the write lock

    def share_append_lock(self, conn: sa.Connection) -> None:
        return None  # BEGIN IMMEDIATE waited for the writer

    def now(self, conn: sa.Connection) -> dt.datetime:
        return dt.datetime.now(dt.UTC)  # the one machine's clock

    def insert_rows(
        self,
        conn: sa.Connection,
        table: str,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
        *,
        url: str,
    ) -> None:
        # rows go to the driver's executemany as values it takes as they are (text for
        # ids, times and JSON), on its own cursor: SQLAlchemy's execution (per-statement
        # set-up, parameter checks) would add nothing here
        statement = _INSERTS.get((table, tuple(columns)))
        if statement is None:
            marks = ", ".join("?" for _ in columns)
            statement = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"
            _INSERTS[(table, tuple(columns))] = statement
        _run(conn, statement, rows, many=True)

    def db_time(self, moment: dt.datetime) -> Any:
        # UTC as sortable text, as SQLAlchemy's DateTime keeps it here; isoformat pads
        # the year to four digits (strftime's %Y does not before 1000), [:26] drops the
        # offset
        if moment.tzinfo is not dt.UTC:
            moment = moment.astimezone(dt.UTC)
        return moment.isoformat(" ", "microseconds")[:26]

    def db_uuid(self, value: uuid.UUID | None) -> Any:
        return None if value is None else value.hex

    def bind_time(self, moment: dt.datetime) -> Any:
        return moment.replace(tzinfo=None)

    def lock_timed_out(self, error: sa.exc.SQLAlchemyError) -> bool:
        original = getattr(error, "orig", None)  # the busy timeout ran out
        return type(original).__name__ == "OperationalError" and "database is locked" in str(
            original
        )

    def lock_holders(
        self, engine: sa.Engine, error: sa.exc.SQLAlchemyError
    ) -> tuple[list[str], str]:
        return [], " (another connection holds the database's write lock; SQLite cannot tell which)"

    def snapshot_rights(self, conn: sa.Connection) -> tuple[bool, bool]:
        return True, True  # no roles

    def integrity(self, engine: sa.Engine, *, limit: int, url: str) -> tuple[list[str], list[str]]:
        """``PRAGMA integrity_check``: every page, every index against its table; each
        line it reports is a problem."""
        try:
            with engine.connect() as conn, conn.begin():
                check = conn.exec_driver_sql(f"PRAGMA integrity_check({int(limit)})")
                lines = [row[0] for row in check]
        except sa.exc.SQLAlchemyError as e:  # a page so damaged that the check stops
            return [f"integrity_check stopped: {reason(e)}"], []
        return [f"integrity_check: {line}" for line in lines if line != "ok"], []


_BEGIN = {mode: f"BEGIN {mode}" for mode in ("DEFERRED", "IMMEDIATE", "EXCLUSIVE")}
"""The statement that begins a transaction of each mode (the execution option
``timeline_sqlite_begin``; a mode not listed is a bug, and fails as one)."""

_INSERTS: dict[tuple[str, tuple[str, ...]], str] = {}
"""The INSERT statement of each table and columns, written once."""

_LAST = str(LAST.compile(dialect=sqlite_dialect(), compile_kwargs={"literal_binds": True}))
"""The chain's head (:data:`~timeline._backends.base.LAST`) as SQLite's text: position,
hash and ``recorded_at`` as stored (UTC text)."""

_VERSION = "SELECT version FROM timeline_events WHERE incident = ? ORDER BY version DESC LIMIT 1"
"""An incident's newest version (:data:`~timeline._backends.base.VERSION`, written out:
one probe at the end of the (incident, version) key)."""

_STORED_IDS = "SELECT id FROM timeline_events WHERE id IN ({marks})"
"""Which of some ids (32 hex digits, as stored) are stored."""


def _begin_on(driver: Any, kept: dict[Any, Any], mode: str, *, in_memory: bool) -> None:
    """Begin a transaction of ``mode`` (``DEFERRED`` for reads, ``IMMEDIATE`` for
    writes) on ``driver``, whose pooled connection keeps ``kept`` across checkouts,
    setting the file's mapping for it first (reads map it, :data:`MMAP_BYTES`; writes
    do not)."""
    if not in_memory:
        mapped = MMAP_BYTES if mode == "DEFERRED" else 0
        # set on a connection's first transaction: a build may map by default
        if kept.get("timeline_mmap") != mapped:
            # between transactions, so no mapped page is in use while it changes
            _execute(driver, f"PRAGMA mmap_size={mapped}")
            kept["timeline_mmap"] = mapped
    _execute(driver, _BEGIN[mode])


def _execute(driver: sqlite3.Connection, statement: str) -> None:
    """Run ``statement`` (no parameters, no rows wanted) on ``driver``; a driver error
    is raised as SQLAlchemy would raise it."""
    try:
        driver.execute(statement).close()
    except sqlite3.Error as e:
        raise sa.exc.DBAPIError.instance(statement, None, e, sqlite3.Error) from e


def _run(
    conn: sa.Connection, statement: str, params: Any, *, many: bool = False, rows: bool = False
) -> Any:
    """Run ``statement`` on the driver's own cursor, inside ``conn``'s transaction; return
    the first row (``rows``: every row; ``many``: run it once per row of ``params``,
    return nothing).

    The append's few statements skip SQLAlchemy's execution, which costs more than
    SQLite's work on them; a driver error is raised as SQLAlchemy would raise it, so the
    store translates it as any other."""
    # the pool's own attribute: for sqlite3 the DBAPI connection is the driver's, and
    # driver_connection reads it through two properties, six times an append
    cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        if many:
            cursor.executemany(statement, params)
            return None
        if rows:
            return cursor.execute(statement, params).fetchall()
        return cursor.execute(statement, params).fetchone()
    except sqlite3.Error as e:
        raise sa.exc.DBAPIError.instance(statement, None, e, sqlite3.Error) from e
    finally:
        cursor.close()


BACKEND = SQLiteBackend()
