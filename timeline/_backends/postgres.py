"""PostgreSQL through psycopg 3: many writers, the server's clock, COPY for rows."""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import select
import sys
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY

from timeline._backends.base import Backend, Head, driver_form, milliseconds, reason
from timeline.errors import MissingExtraError, StoreError
from timeline.schema import (
    COPY_SETTING,
    IN_A_COPY,
    OWNS_EVENTS,
    UTCDateTime,
    event_actors,
    events,
)
from timeline.times import isoformat

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from timeline.store import Timeouts

"""The command that installs the PostgreSQL driver (psycopg 3), the ``postgres`` extra."""

APPEND_LOCK_KEY = 0x746C617070656E64  # "tlappend": the advisory lock of appends

FEW_ROWS = 16
"""Up to this many rows an insert is one ``INSERT ... VALUES`` (one round trip), beyond
it a COPY (two round trips, then the fastest way in for many rows)."""

KEEPALIVE = {"keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
"""TCP keepalives on both ends of each connection (seconds, probes), so that either side
finds a peer gone silent (a blackholed connection) within about a minute;
``tcp_user_timeout`` bounds data sent and never acknowledged the same way."""
TCP_USER_TIMEOUT_MS = 60_000

PING_AFTER_IDLE = 1.0
"""Seconds a pooled connection may rest and still be handed out without a ping (a
round trip), unless its socket has something to say (see ``PostgresBackend.configure``)."""

BEGIN_APPEND = sa.text("SELECT last_position, last_hash, recorded_at FROM timeline_begin_append()")
"""Take the append lock, read the head and the clock under it, and record this
transaction's ticket (``SECURITY DEFINER``; see migration 0006)."""

_VERSIONS = sa.text(
    "SELECT i.incident, (SELECT e.version FROM timeline_events e WHERE e.incident = i.incident "
    "ORDER BY e.version DESC LIMIT 1) AS version "
    "FROM unnest(CAST(:incidents AS text[])) AS i(incident)"
)
"""The newest version of each incident named, in one statement: a probe of the
(incident, version) key per incident, read backwards (see ``Backend.versions``)."""

BEGIN = "BEGIN ISOLATION LEVEL READ COMMITTED"
"""An append's transaction, begun by ``read_for_append`` (see ``append_connection``)."""

OPEN_APPEND = (
    "SELECT last_position, last_hash, recorded_at, versions, known "
    "FROM timeline_open_append(%(incidents)s::text[], %(ids)s::uuid[])"
)
"""``read_for_append``'s one statement as psycopg takes it: the ticket (which takes the
lock), the incidents' newest versions and the ids stored, read under the lock by one
PL/pgSQL function whose plans the session keeps (migration 0013)."""

_LOCK_KEY_PARTS = {"high": APPEND_LOCK_KEY >> 32, "low": APPEND_LOCK_KEY & 0xFFFFFFFF}
_HOLDERS = sa.text(
    "SELECT l.pid, a.usename, a.application_name, a.state, "
    "coalesce(a.xact_start, a.backend_start) AS since, l.mode "
    "FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :high AND l.objid = :low "
    "AND l.objsubid = 1 AND l.database = "
    "(SELECT oid FROM pg_database WHERE datname = current_database()) ORDER BY l.pid"
)
"""Who holds the append lock (a bigint advisory key is classid, objid and objsubid 1 in
pg_locks), with what pg_stat_activity shows of them to this role."""

_SNAPSHOT_RIGHTS = sa.text(
    "SELECT has_table_privilege('timeline_snapshots', 'SELECT') AS reads, "
    "has_table_privilege('timeline_snapshots', 'INSERT') "
    "AND has_table_privilege('timeline_snapshots', 'DELETE') "
    "AND has_sequence_privilege(pg_get_serial_sequence('timeline_snapshots', 'id'), 'USAGE') "
    "AS writes"
)

_TIMELINE_INDEXES = sa.text(
    "SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
    "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_am a ON a.oid = i.relam "
    "WHERE t.relname IN ('timeline_events', 'timeline_event_actors', 'timeline_snapshots') "
    "AND a.amname = 'btree' "
    "AND pg_table_is_visible(t.oid) ORDER BY i.relname"
)
"""The B-tree indexes of timeline's tables (as the search path finds them)."""


_STREAMS = itertools.count(1)


def _driver_call(
    conn: sa.Connection, statement: Any, values: Mapping[str, Any]
) -> tuple[Any, str, dict[str, Any]]:
    """psycopg's connection under ``conn``, and ``statement`` with ``values`` as it takes
    them (see :func:`~timeline._backends.base.driver_form`), the values processed as
    SQLAlchemy would."""
    import psycopg

    form = driver_form(statement, conn.dialect)
    assert form is not None, "a statement with expanding parameters needs SQLAlchemy"
    params = form.params(values)
    driver = conn.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    return driver, form.sql, params


def _stale_result(error: Exception, driver: Any) -> bool:
    """Whether ``error`` is PostgreSQL's refusal of a prepared statement whose result's
    types changed since it was prepared (SQLSTATE 0A000), met outside a transaction."""
    import psycopg

    return (
        getattr(error, "sqlstate", None) == "0A000"
        and "cached plan must not change result type" in str(error)
        and driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
    )


def session_options(timeouts: Timeouts) -> str:
    """The session settings, as libpq's ``options`` (sent when a connection starts).

    Example:
        >>> from timeline.store import Timeouts
        >>> session_options(Timeouts()).split()[:2]
        ['-c', 'lock_timeout=30000']
    """
    settings = {
        "lock_timeout": milliseconds(timeouts.lock),
        "statement_timeout": milliseconds(timeouts.statement),
        "idle_in_transaction_session_timeout": milliseconds(timeouts.idle),
        "tcp_keepalives_idle": KEEPALIVE["keepalives_idle"],
        "tcp_keepalives_interval": KEEPALIVE["keepalives_interval"],
        "tcp_keepalives_count": KEEPALIVE["keepalives_count"],
        "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
        # times come back from psycopg in the session's zone: in UTC they carry
        # datetime.timezone.utc, as the library's times do, where a server's own zone
        # ("Etc/UTC", "Europe/Paris") made every time a ZoneInfo one to convert, about a
        # fifth of a sequence scan's fetch. The library's SQL names UTC wherever it
        # turns a time into text, so no answer depends on the session's zone.
        "TimeZone": "UTC",
    }
    return " ".join(f"-c {name}={value}" for name, value in settings.items())


UPGRADE_LOCK_KEY = 0x74696D656C696E65  # "timeline"
"""The PostgreSQL advisory lock that serialises upgrades: any fixed 64-bit number."""


class PostgresBackend(Backend):
    """PostgreSQL through psycopg 3.

    Example:
        >>> BACKEND.stores_text
        False
    """

    name = "postgresql"
    stores_text = False
    snapshot_per_statement = True
    keeps_plans = True

    def engine_options(
        self, url: URL, timeouts: Timeouts, options: dict[str, Any], connect_args: dict[str, Any]
    ) -> None:
        """Every session starts with ``timeouts`` as ``lock_timeout``,
        ``statement_timeout`` and ``idle_in_transaction_session_timeout``, TCP
        keepalives and ``tcp_user_timeout`` on both ends (:data:`KEEPALIVE`), a bounded
        connect, and a pooled connection that may be stale is pinged before use (a
        server restarted since is reconnected to; see :meth:`configure`).

        psycopg prepares no statement on the server of its own accord, so each is
        planned as it runs, for the tables as they are then. A prepared statement keeps
        the generic plan PostgreSQL made on one of its first runs: made while a new
        store's tables were empty, that plan reads the whole table (a lookup of 500 ids
        compared each row with every id), and a load that grows the tables in its one
        transaction got slower with every chunk (issue 15). Only the statements the
        store writes to be kept (:meth:`fetch` with ``kept``) and a one-event append's
        INSERT of values, whose plan reads no table, are prepared.
        """
        given = url.query.get("options")
        connect_args["options"] = " ".join(
            part for part in (session_options(timeouts), given) if isinstance(part, str)
        )
        connect_args.setdefault("keepalives", 1)
        for name, value in KEEPALIVE.items():
            connect_args.setdefault(name, value)
        connect_args.setdefault("tcp_user_timeout", TCP_USER_TIMEOUT_MS)
        connect_args.setdefault("connect_timeout", 30)
        # pinged by ``configure`` only when needed (pool_pre_ping=True pings every time)
        options.setdefault("pool_pre_ping", False)
        # no server-side prepared statements but the kept ones: see above (issue 15);
        # not None, which would refuse those too (psycopg's prepare=True)
        connect_args.setdefault("prepare_threshold", sys.maxsize)

    def configure(self, engine: sa.Engine, url: URL, timeouts: Timeouts) -> None:
        """A pooled connection is pinged before use (a round trip) only when it may be
        stale: when its socket is readable, or when it has rested more than
        :data:`PING_AFTER_IDLE` seconds. A failed ping replaces it with a new connection.

        The server says nothing to an idle session of its own accord: when its socket is
        readable, the server has ended the session (a restart, a crash, an administrator,
        ``idle_session_timeout``) and the FATAL message or the end of the stream waits
        there, so the connection is pinged and replaced, as SQLAlchemy's
        ``pool_pre_ping`` would. A peer gone silent (a host lost with the connection
        open) leaves nothing on the socket: a connection that rested longer than a second
        is pinged for that, as before. One that rested less (appends one after the other)
        is used as it is, which saves each append a round trip (issue 15). An engine made
        with ``pool_pre_ping=True`` (``timeline.store.create_engine(url,
        pool_pre_ping=True)``) keeps SQLAlchemy's ping of every checkout instead.
        """
        if getattr(engine.pool, "_pre_ping", False):
            return
        dialect = engine.dialect

        @sa.event.listens_for(engine, "connect")
        @sa.event.listens_for(engine, "checkin")
        def _rested_from(dbapi_connection: Any, record: Any) -> None:
            record.info["timeline_rests_since"] = time.monotonic()

        @sa.event.listens_for(engine, "checkout")
        def _checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
            since = record.info.pop("timeline_rests_since", None)
            rested = None if since is None else time.monotonic() - since
            if (
                rested is not None
                and rested <= PING_AFTER_IDLE
                and not dbapi_connection.closed
                and not _readable(dbapi_connection.fileno())
            ):
                return
            try:
                dialect.do_ping(dbapi_connection)
            except Exception as e:  # any failure: the pool connects anew (3 tries)
                raise sa.exc.DisconnectionError(f"a pooled connection is stale: {e}") from e

    def missing_driver(self, url: URL, error: ImportError) -> Exception | None:
        shown = url.render_as_string(hide_password=True)
        return MissingExtraError(f"{shown}: PostgreSQL", "the psycopg driver", "postgres")

    def begin_upgrade(self, conn: sa.Connection) -> None:
        """No statement timeout for the upgrade's transaction (an index built over a large
        store may take longer than a statement of the library's may; an upgrade is run on
        purpose, once), and a transaction-level advisory lock, so that two processes
        opening an empty database at once create the schema once."""
        conn.execute(sa.text("SET LOCAL statement_timeout = 0"))
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": UPGRADE_LOCK_KEY})

    def by_ids(self, columns: Sequence[Any]) -> sa.Select[Any]:
        """The events with the ids of the list bound as ``ids``: one array, each id
        looked up through the unique key by a lateral subquery (issue 15).

        The shape leaves the planner no other plan: ``id IN (...)`` or ``= ANY(...)``
        has a generic plan, made while the table is empty or small, that reads the whole
        table and compares each row with every id; a lateral subquery with ``LIMIT 1``
        is always a nested loop over the ids, and an equality on a unique key is an index
        lookup even on an empty table.
        """
        ids = (
            sa.func.unnest(sa.bindparam("ids", type_=ARRAY(sa.Uuid())))
            .table_valued("id")
            .render_derived(name="ids")
        )
        found = sa.select(*columns).where(events.c.id == ids.c.id).limit(1).lateral("found")
        return sa.select(found).select_from(ids).join(found, sa.true())

    def stream(
        self, conn: sa.Connection, statement: Any, values: Mapping[str, Any], size: int
    ) -> Iterator[Sequence[Sequence[Any]]]:
        """On psycopg's own server-side cursor, in the binary protocol: a long scan (a
        sequence report reads every event of its types) spent about a tenth of its time
        in SQLAlchemy's rows around the driver's tuples, and the server and psycopg
        spend less on binary times and numbers than on their text (issue 15)."""
        import psycopg

        driver, sql, params = _driver_call(conn, statement, values)
        try:
            # a name of its own: a caller may read another stream before this one ends
            with driver.cursor(f"timeline_stream_{next(_STREAMS)}", binary=True) as cursor:
                cursor.itersize = size
                cursor.execute(sql, params)
                while page := cursor.fetchmany(size):
                    yield page
        except psycopg.Error as e:
            # as SQLAlchemy would have raised it, so that the store translates it
            raise sa.exc.DBAPIError.instance(sql, params, e, psycopg.Error) from e

    def fetch(
        self, conn: sa.Connection, statement: Any, values: Mapping[str, Any], *, kept: bool = False
    ) -> Sequence[Sequence[Any]]:
        """On psycopg's own (client-side) cursor, in the binary protocol, as
        :meth:`stream`: a page of the fold (a full replay reads ten) spends less on
        binary times and numbers than on their text, and nothing on SQLAlchemy's result;
        no transaction is needed, so it serves reads without BEGIN too.

        ``kept``: prepared on the server (psycopg's ``prepare=True``; the session keeps
        it, psycopg's cache holds a hundred): PostgreSQL then neither parses nor, once it
        keeps the generic plan, plans it again. Parsing and planning the fold's first
        statement was about three quarters of a ``state()`` with snapshots (issue 15).
        Only for statements whose every plan reads through keys (see ``keeps_plans``):
        unlike the engine's other statements, which are planned on each run, a kept
        plan may have been made while the tables were empty. A connection pooler in
        transaction mode must pass prepared statements through (PgBouncer 1.21 and
        later, ``max_prepared_statements``). A session prepares it on its first run,
        which costs that run a round trip more.

        A kept statement whose result's types a schema change altered since it was
        prepared (PostgreSQL refuses to run it: "cached plan must not change result
        type") is prepared again and run once more, where no transaction is open (as
        for ``state()``, which reads without one); in a transaction the refusal is
        raised, and the transaction's rollback makes psycopg forget what it prepared."""
        import psycopg

        if driver_form(statement, conn.dialect) is None:  # an IN list of types, say
            return super().fetch(conn, statement, values)
        driver, sql, params = _driver_call(conn, statement, values)
        for last in (not kept, True):
            try:
                with driver.cursor(binary=True) as cursor:
                    cursor.execute(sql, params, prepare=kept or None)
                    return cursor.fetchall()
            except psycopg.Error as e:
                if last or not _stale_result(e, driver):
                    raise sa.exc.DBAPIError.instance(sql, params, e, psycopg.Error) from e
                # outside a transaction nothing else clears psycopg's names of what it
                # prepared: without this every later run would be refused the same way
                driver.execute("DEALLOCATE ALL")  # psycopg forgets them on seeing it
        raise AssertionError("unreachable: the second run returns or raises")

    def begin_append(self, conn: sa.Connection) -> tuple[int, str, dt.datetime]:
        # The database gives the append its place: the lock, the head and the clock, and
        # a ticket that its insert trigger checks every row against (migration 0006), so
        # that a role that may insert cannot choose them.
        position, previous, recorded_at = conn.execute(BEGIN_APPEND).one()
        return position, previous, recorded_at.astimezone(dt.UTC)

    def lock_writes(self, conn: sa.Connection) -> None:
        # a transaction-level advisory lock, which needs no privilege beyond the tables'
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPEND_LOCK_KEY})

    def share_append_lock(self, conn: sa.Connection) -> None:
        conn.execute(sa.text("SELECT pg_advisory_xact_lock_shared(:k)"), {"k": APPEND_LOCK_KEY})

    def now(self, conn: sa.Connection) -> dt.datetime:
        # the server's clock, read under the append lock: all writers on all machines
        # share one clock
        now = conn.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
        return now.astimezone(dt.UTC)  # type: ignore[no-any-return]

    def read_for_append(
        self,
        conn: sa.Connection,
        ids: Sequence[uuid.UUID],
        incidents: Sequence[str],
        *,
        begin: bool,
    ) -> tuple[Head | None, dict[str, int], list[uuid.UUID]]:
        """An append's first chunk reads what it needs in one statement, sent with the
        transaction's BEGIN in one query (one round trip): ``timeline_open_append``
        (migration 0013) takes the ticket, then reads the incidents' versions and the
        ids stored, each read on a snapshot of its own taken after the lock was granted
        (a ``VOLATILE`` function's statements each take one under READ COMMITTED), so
        they see every append committed before it, as separate statements did; its
        plans are kept for the session, where three statements were parsed and planned
        on every append. Later chunks (a long load) read one statement after the other:
        a session the server has ended meanwhile (``idle_timeout``) then says why, where
        a pipeline only finds the connection gone."""
        if not begin:
            return super().read_for_append(conn, ids, incidents, begin=False)
        import psycopg

        driver = conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        params = {"incidents": list(incidents), "ids": list(ids)}
        # on an append's own connection (``append_connection``) the transaction starts
        # here, its BEGIN sent with the statement
        begins = driver.autocommit
        assert not begins or driver.info.transaction_status == psycopg.pq.TransactionStatus.IDLE
        try:
            if begins:
                # BEGIN and the call as one simple query, its values bound by psycopg
                # on the client (quoted as literals): a pipeline of the two cost psycopg
                # about 0.1 ms more CPU, and as much of the append's time, than this
                # query costs the server to parse (the function keeps its own plans)
                cursor: Any = psycopg.ClientCursor(driver)
                cursor.execute(f"{BEGIN}; {OPEN_APPEND}", params)
                cursor.nextset()  # the call's rows, after BEGIN's status
            else:
                # kept (prepared): a call of the function, whose plan reads no table
                cursor = driver.execute(OPEN_APPEND, params, prepare=True)
            row = cursor.fetchone()
        except psycopg.Error as e:
            # as SQLAlchemy would have raised it, so that callers tell a lock timeout
            raise sa.exc.DBAPIError.instance(OPEN_APPEND, None, e, psycopg.Error) from e
        assert row is not None  # the function returns one row
        position, previous, recorded_at, newest, known = row
        versions = dict(zip(incidents, newest, strict=True))
        return (position, previous, recorded_at.astimezone(dt.UTC)), versions, known

    def append_connection(self, conn: sa.Connection) -> sa.Connection:
        """The append's connection with the driver in autocommit mode, so that
        :meth:`read_for_append` sends the transaction's BEGIN itself, in one query with
        its statement: psycopg sends the BEGIN it adds on its own and waits for its
        answer, a round trip of its own, even in a pipeline (issue 15: four round trips
        per one-event append, now three). The transaction is as before: begun
        explicitly, READ COMMITTED (each statement reads a snapshot of its own, which
        the reads after the append lock need), committed or rolled back by the driver,
        which sends COMMIT or ROLLBACK whenever a transaction is open, autocommit or not.
        """
        return conn.execution_options(isolation_level="AUTOCOMMIT")

    def versions(self, conn: sa.Connection, incidents: Sequence[str]) -> dict[str, int]:
        # one round trip for all of them (a batch of 1,000 events names ~100 incidents)
        if not incidents:
            return {}
        rows = conn.execute(_VERSIONS, {"incidents": list(incidents)})
        return {incident: version or 0 for incident, version in rows}

    def insert_rows(
        self,
        conn: sa.Connection,
        table: str,
        columns: Sequence[str],
        rows: list[tuple[Any, ...]],
        *,
        url: str,
    ) -> None:
        # COPY, one stream per table in the append's transaction, rather than an INSERT
        # per row (about three times the rows per second), in the binary format: psycopg
        # writes a row of the events table in about 1.5 µs of CPU where the text format
        # took 10, and the server reads it in about 3.5 µs where it parsed the text in
        # 6.5 (times, ids and numbers; issue 15). A COPY costs two round trips
        # (the server must answer its start before the rows go), so a few rows go as one
        # INSERT of several rows: one round trip, and one run of the statement triggers.
        import psycopg

        names = ", ".join(columns)
        try:
            with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
                if len(rows) <= FEW_ROWS:
                    cursor.execute(*_insert_values(table, columns, rows))
                    return
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN (FORMAT BINARY)") as copy:
                    copy.set_types(_copy_types(table, tuple(columns)))
                    for row in rows:
                        copy.write_row(row)
        except psycopg.Error as e:
            raise StoreError(f"{url}: {str(e).strip().splitlines()[0]}") from e

    def insert_tables(
        self,
        conn: sa.Connection,
        writes: Sequence[tuple[str, Sequence[str], list[tuple[Any, ...]]]],
        *,
        url: str,
    ) -> None:
        # An append of a few events (its rows and their actor index rows) writes them in
        # one statement, the tables' INSERTs chained as data-modifying WITH clauses: one
        # round trip, which a pipeline of one INSERT per table took too, but one
        # statement for the server to parse and the driver to send and read back. Each
        # table's statement trigger still sees that table's rows alone, and runs after
        # the whole statement, when every row of it is visible.
        filled = [(table, columns, rows) for table, columns, rows in writes if rows]
        if not filled:
            return
        if any(len(rows) > FEW_ROWS for _, _, rows in filled):
            super().insert_tables(conn, writes, url=url)
            return
        import psycopg

        one_event = [len(rows) for table, _, rows in filled if table == events.name] == [1]
        parts = [_insert_values(table, columns, rows) for table, columns, rows in filled]
        *first, (last, values) = parts
        chained = ", ".join(f"w{i} AS ({statement})" for i, (statement, _) in enumerate(first))
        statement = f"WITH {chained} {last}" if first else last
        params = [value for _, earlier in first for value in earlier] + values
        driver = conn.connection.driver_connection
        assert isinstance(driver, psycopg.Connection)
        try:
            with driver.cursor() as cursor:
                # A one-event append's INSERT is kept (prepared): its plan reads no
                # table, and it is parsed and planned once per session and number of
                # actor rows (about 0.1 ms of server time per one-event append with
                # the call above). Other shapes vary too much to keep: each new one
                # would cost a round trip to prepare and push another out of psycopg's
                # hundred.
                cursor.execute(statement, params, prepare=one_event or None)
        except psycopg.Error as e:
            raise StoreError(f"{url}: {str(e).strip().splitlines()[0]}") from e

    def db_time(self, moment: dt.datetime) -> Any:
        return moment

    def db_uuid(self, value: uuid.UUID | None) -> Any:
        return value

    def bind_time(self, moment: dt.datetime) -> Any:
        return moment

    def start_copy(self, conn: sa.Connection, url: str) -> None:
        """Say, for the rest of this transaction, that it is a copy (only the owner of
        the events table may: a copy writes recorded times of the past)."""
        owner, owns = conn.execute(
            sa.text(
                "SELECT pg_get_userbyid(relowner), "
                f"{OWNS_EVENTS} FROM pg_class WHERE oid = 'timeline_events'::regclass"
            )
        ).one()
        if not owns:
            raise StoreError(
                f"to: {url}: a copy writes recorded times of the past, which only the "
                f"owner of timeline_events ({owner}) may do; copy as that role; nothing was "
                "copied"
            )
        conn.execute(sa.text(f"SET LOCAL {COPY_SETTING} = 'on'"))
        # the condition an insert trigger tests must hold from here on, or the hook is broken
        assert conn.execute(sa.text(f"SELECT {IN_A_COPY}")).scalar_one()

    def lock_timed_out(self, error: sa.exc.SQLAlchemyError) -> bool:
        return getattr(getattr(error, "orig", None), "sqlstate", None) == "55P03"  # lock_timeout

    def lock_holders(
        self, engine: sa.Engine, error: sa.exc.SQLAlchemyError
    ) -> tuple[list[str], str]:
        try:
            with engine.connect() as conn:
                holders = [_holder(row) for row in conn.execute(_HOLDERS, _LOCK_KEY_PARTS)]
        except sa.exc.SQLAlchemyError:
            holders = []  # the error to raise is the timeout; the names are a courtesy
        return holders, f" ({reason(error)})"

    def snapshot_rights(self, conn: sa.Connection) -> tuple[bool, bool]:
        """Reading needs SELECT on ``timeline_snapshots``; writing needs SELECT, INSERT
        and DELETE (a save prunes) and USAGE of its id sequence."""
        row = conn.execute(_SNAPSHOT_RIGHTS).one()
        return bool(row.reads), bool(row.reads and row.writes)

    def integrity(self, engine: sa.Engine, *, limit: int, url: str) -> tuple[list[str], list[str]]:
        """When the ``amcheck`` extension is installed in the database,
        ``bt_index_check`` (with ``heapallindexed``) checks each index of timeline's
        tables against its table, each failure a problem; without it, or without the
        right to run it, a note says so."""
        try:
            with engine.connect() as conn, conn.begin():
                installed = conn.execute(
                    sa.text("SELECT 1 FROM pg_extension WHERE extname = 'amcheck'")
                ).first()
                indexes = (
                    [] if installed is None else conn.execute(_TIMELINE_INDEXES).scalars().all()
                )
        except sa.exc.SQLAlchemyError as e:
            raise StoreError(f"{url}: {reason(e)}") from e
        if installed is None:
            return [], [
                "deep: the amcheck extension is not installed in this database, so its indexes "
                "were not checked (CREATE EXTENSION amcheck, as a superuser)"
            ]
        problems: list[str] = []
        for name in indexes:
            try:
                with engine.connect() as conn, conn.begin():
                    conn.execute(
                        sa.text("SELECT bt_index_check(CAST(:name AS regclass), true)"),
                        {"name": name},
                    )
            except sa.exc.ProgrammingError as e:
                if "permission denied" in reason(e):
                    return problems, [f"deep: indexes not checked: {reason(e)}"]
                problems.append(f"index {name}: {reason(e)}")
            except sa.exc.SQLAlchemyError as e:
                problems.append(f"index {name}: {reason(e)}")
        return problems, []


def _readable(fileno: int) -> bool:
    """Whether a socket has something to read now (or is closed), without waiting."""
    try:
        return bool(select.select([fileno], [], [], 0)[0])
    except (OSError, ValueError):  # no longer a socket
        return True


@functools.cache
def _copy_types(table: str, columns: tuple[str, ...]) -> list[str]:
    """The PostgreSQL types of ``columns`` of ``table`` as a binary COPY writes them.

    A JSON column goes as ``text``: the binary form of ``json`` is its text (the server
    checks it as it does a text COPY's), and the rows hold the canonical text itself.

    Example:
        >>> _copy_types("timeline_event_actors", ("actor", "position", "occurred_at"))
        ['text', 'int8', 'timestamptz']
    """
    found = {"timeline_events": events, "timeline_event_actors": event_actors}[table]
    names = []
    for name in columns:
        kind = found.c[name].type
        if isinstance(kind, UTCDateTime):
            names.append("timestamptz")
        elif isinstance(kind, sa.BigInteger):
            names.append("int8")
        elif isinstance(kind, sa.Integer):
            names.append("int4")
        elif isinstance(kind, sa.Uuid):
            names.append("uuid")
        elif isinstance(kind, sa.String | sa.JSON):
            names.append("text")
        else:  # a column type this list does not know is a bug, and fails as one
            raise AssertionError(f"{table}.{name}: no COPY type for {kind!r}")
    return names


def _insert_values(
    table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> tuple[str, list[Any]]:
    """One ``INSERT ... VALUES (...), (...)`` of ``rows`` and its parameters."""
    marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
    statement = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([marks] * len(rows))}"
    )
    return statement, [value for row in rows for value in row]


def _holder(row: Any) -> str:
    facts = [f"user {row.usename}"] if row.usename else []
    if row.application_name:
        facts.append(f"application {row.application_name!r}")
    if row.state:
        facts.append(row.state)
    if row.since is not None:
        facts.append(f"since {isoformat(row.since)}")
    shown = f" ({', '.join(facts)})" if facts else ""
    return f"pid {row.pid}{shown}"


BACKEND = PostgresBackend()
