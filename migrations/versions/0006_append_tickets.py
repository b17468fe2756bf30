"""PostgreSQL: a writer is only a writer. The database gives each append its place.

A role that may insert into ``timeline_events`` could write any row: a ``recorded_at`` in
the past (changing answers already given for that ``known_at``) or in 2100 (every later
append clamped to it), a position or a version of its choosing, a chain link of its own.
From this revision the database itself assigns and checks them:

- ``timeline_begin_append()`` (``SECURITY DEFINER``) takes the append lock, reads the
  newest event and the server's clock under it, and records a ticket for the calling
  transaction: its ``recorded_at``. The library's appends call it and number their
  events from what it returns.
- An ``AFTER INSERT`` statement trigger on ``timeline_events`` (a statement trigger with
  a transition table, so that ``COPY`` keeps writing rows in batches) refuses rows that
  do not follow the ticket: positions that do not continue the newest stored one without
  a gap, a ``recorded_at`` other than the ticket's, a version that does not follow the
  incident's, a hash other than the one recomputed here, in SQL, from the row and the
  stored hash before it (the canonical JSON the library hashes, rebuilt from the row).
  A transaction without a ticket stores no event.
- An ``AFTER INSERT`` statement trigger on ``timeline_event_actors`` (the index is
  outside the hash chain) refuses a row that is not one an append writes: for an event
  of another transaction, under an actor neither the event nor the event it mends (and
  that event's earlier corrections) names, or at another ``occurred_at``.
- A copy (``timeline copy``, ``SET LOCAL timeline.copying``) is trusted only for the owner
  of the table (``timeline.schema.IN_A_COPY``): it keeps its recorded times, and every
  other check on events still holds (a copy checks the index rows it copies itself).

Tickets live in ``timeline_append_tickets`` (one row per server process, unlogged: a
ticket never outlives its transaction), which only the owner can read or write. Every
role that could insert events before this revision is granted ``EXECUTE`` on the function,
so writers keep working after the upgrade. Stored events are not touched: their chains
verify as before.

SQLite has no roles: whoever can write the file can write anything, so the file's
permissions are the boundary there.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

from timeline._backends import backend_of

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# timeline.store.APPEND_LOCK_KEY ("tlappend"), written out: a revision never changes.
APPEND_LOCK_KEY = 0x746C617070656E64

# The settings every check runs under, whatever the session set: numbers are read back
# with their shortest digits, as Python writes them; no JIT (the planner cannot tell how
# small a JSON value is, and compiling the check would cost more than running it).
_SETTINGS = "SET extra_float_digits = 1 SET jit = off"


def _functions(schema: str) -> list[str]:
    path = f"SET search_path = {schema}, pg_temp"
    owns = (
        "pg_has_role(current_user, (SELECT relowner FROM pg_class "
        "WHERE oid = 'timeline_events'::regclass), 'USAGE')"
    )
    in_a_copy = f"coalesce(current_setting('timeline.copying', true), '') = 'on' AND {owns}"
    return [
        """
        CREATE UNLOGGED TABLE timeline_append_tickets (
            pid integer PRIMARY KEY,
            xact bigint NOT NULL,
            recorded_at timestamptz NOT NULL,
            after_position bigint NOT NULL
        )
        """,
        "REVOKE ALL ON timeline_append_tickets FROM PUBLIC",
        f"""
        CREATE FUNCTION timeline_begin_append(
            OUT last_position bigint, OUT last_hash text, OUT recorded_at timestamptz
        ) LANGUAGE plpgsql SECURITY DEFINER {path} AS $$
        DECLARE
            newest timestamptz;
        BEGIN
            -- the lock first, then the head and the clock: so positions grow with commits
            -- and recorded_at never decreases with position
            PERFORM pg_advisory_xact_lock({APPEND_LOCK_KEY});
            SELECT e.position, e.hash, e.recorded_at INTO last_position, last_hash, newest
                FROM timeline_events e ORDER BY e.position DESC LIMIT 1;
            recorded_at := greatest(clock_timestamp(), newest);
            last_position := coalesce(last_position, 0);
            last_hash := coalesce(last_hash, '');
            INSERT INTO timeline_append_tickets AS t
                VALUES (pg_backend_pid(), txid_current(), recorded_at, last_position)
                ON CONFLICT (pid) DO UPDATE
                SET xact = excluded.xact, recorded_at = excluded.recorded_at,
                    after_position = excluded.after_position;
        END
        $$
        """,
        "REVOKE ALL ON FUNCTION timeline_begin_append() FROM PUBLIC",
        f"""
        CREATE FUNCTION timeline_append_ticket(
            OUT recorded_at timestamptz, OUT after_position bigint
        ) LANGUAGE sql STABLE SECURITY DEFINER {path} AS $$
            SELECT recorded_at, after_position FROM timeline_append_tickets
            WHERE pid = pg_backend_pid() AND xact = txid_current_if_assigned()
        $$
        """,
        # A JSON number as Python's json.dumps writes the value it reads: an integer as
        # its digits, a float as repr() does (shortest digits that read back the same;
        # positional from 1e-4 up to 1e16, else d.ddde+XX). The helpers below take no
        # SET clause (it would cost every call): the trigger that calls them sets the
        # search path and the float digits they rely on.
        r"""
        CREATE FUNCTION timeline_json_number(token text) RETURNS text
        LANGUAGE plpgsql STABLE STRICT AS $$
        DECLARE
            parts text[];
            digits text;
            point integer;
            exponent integer;
            shorter text;
            shorter_point integer;
        BEGIN
            IF token ~ '^-?(0|[1-9][0-9]*)$' THEN
                RETURN CASE WHEN token = '-0' THEN '0' ELSE token END;
            END IF;
            parts := regexp_match(
                token::float8::text, '^(-?)([0-9]+)(?:\.([0-9]+))?(?:e([-+][0-9]+))?$');
            IF parts IS NULL THEN
                RAISE EXCEPTION 'timeline: % is not a finite JSON number', token;
            END IF;
            digits := parts[2] || coalesce(parts[3], '');
            point := length(parts[2]) + coalesce(parts[4]::integer, 0);
            WHILE left(digits, 1) = '0' LOOP
                digits := substr(digits, 2);
                point := point - 1;
            END LOOP;
            digits := rtrim(digits, '0');
            IF digits = '' THEN
                RETURN parts[1] || '0.0';
            END IF;
            -- PostgreSQL may give a digit more than the shortest (seen with 17 digits
            -- from 1e16 up); take one away while the value still reads back the same
            WHILE length(digits) > 15 LOOP
                shorter := left(digits, -1);
                IF right(digits, 1) >= '5' THEN
                    shorter := (shorter::numeric + 1)::text;
                END IF;
                shorter_point := point + length(shorter) - (length(digits) - 1);
                -- past the largest float (0.17976931348623157e309) it cannot read back
                EXIT WHEN shorter_point > 309
                    OR (shorter_point = 309 AND shorter > '17976931348623157' COLLATE "C")
                    OR (parts[1] || '0.' || shorter || 'e' || shorter_point)::float8
                        <> token::float8;
                digits := rtrim(shorter, '0');
                point := shorter_point;
            END LOOP;
            exponent := point - 1;
            IF exponent >= -4 AND exponent < 16 THEN
                IF point <= 0 THEN
                    RETURN parts[1] || '0.' || repeat('0', -point) || digits;
                ELSIF point >= length(digits) THEN
                    RETURN parts[1] || digits || repeat('0', point - length(digits)) || '.0';
                END IF;
                RETURN parts[1] || left(digits, point) || '.' || substr(digits, point + 1);
            END IF;
            RETURN parts[1] || left(digits, 1)
                || CASE WHEN length(digits) > 1 THEN '.' || substr(digits, 2) ELSE '' END
                || 'e' || CASE WHEN exponent < 0 THEN '-' ELSE '+' END
                || CASE WHEN abs(exponent) < 10 THEN '0' ELSE '' END || abs(exponent);
        END
        $$
        """,
        # A JSON scalar as timeline.events.canonical_json writes what Python reads from
        # it: strings escaped as Python escapes them, numbers as above.
        r"""
        CREATE FUNCTION timeline_json_scalar(value json) RETURNS text
        LANGUAGE sql STABLE AS $$
            SELECT CASE json_typeof(value)
                WHEN 'string' THEN CASE
                    -- escapes as Python writes them, kept; any other form rewritten
                    WHEN value::text ~ '^"([^"\\]|\\["\\bfnrt]|\\u00(0[0-7bef]|1[0-9a-f]))*"$'
                    THEN value::text ELSE to_json(value #>> '{}')::text END
                WHEN 'number' THEN CASE WHEN value::text ~ '^(0|-?[1-9][0-9]*)$'
                    THEN value::text ELSE timeline_json_number(value::text) END
                ELSE value::text  -- true, false, null
            END
        $$
        """,
        r"""
        CREATE FUNCTION timeline_time_text(moment timestamptz) RETURNS text
        LANGUAGE sql STABLE AS $$
            SELECT to_char(moment AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
        $$
        """,
        # timeline.store.chain_hash: SHA-256 over the previous hash, the event's content
        # as canonical JSON and the fields the store assigned; its JSON values are given
        # as canonical text (the trigger makes them for a whole statement at once).
        r"""
        CREATE FUNCTION timeline_event_hash(
            previous text, e timeline_events,
            data text, effects text, source text, targets text
        ) RETURNS text LANGUAGE sql STABLE AS $$
            SELECT encode(sha256(convert_to(
                previous || E'\n'
                || '{"actor":' || to_json(e.actor)::text
                || ',"corrects":' || coalesce(to_json(e.corrects::text)::text, 'null')
                || ',"data":' || data
                || ',"effects":' || effects
                || ',"id":' || to_json(e.id::text)::text
                || ',"incident":' || to_json(e.incident)::text
                || ',"occurred_at":"' || timeline_time_text(e.occurred_at)
                || '","precision":' || to_json(e.precision)::text
                || CASE WHEN e.reported_at IS NULL THEN '' ELSE
                    ',"reported_at":"' || timeline_time_text(e.reported_at)
                    || '","reported_precision":'
                    || coalesce(to_json(e.reported_precision)::text, 'null') END
                || ',"retracts":' || coalesce(to_json(e.retracts::text)::text, 'null')
                || ',"source":' || source
                || ',"targets":' || targets
                || ',"type":' || to_json(e.type)::text
                || '}' || E'\n'
                || e.version || '|' || e.position || '|' || timeline_time_text(e.recorded_at),
                'UTF8')), 'hex')
        $$
        """,
        f"""
        CREATE FUNCTION timeline_check_appended() RETURNS trigger
        LANGUAGE plpgsql {path} {_SETTINGS} AS $$
        DECLARE
            copying boolean := {in_a_copy};
            ticket record;
            first_position bigint;
            last_position bigint;
            added_count bigint;
            bad record;
        BEGIN
            SELECT min(position), max(position), count(*)
                INTO first_position, last_position, added_count FROM added;
            IF added_count = 0 THEN
                RETURN NULL;
            END IF;
            SELECT * INTO ticket FROM timeline_append_ticket();
            IF NOT copying THEN
                IF ticket.recorded_at IS NULL THEN
                    RAISE EXCEPTION 'timeline: events are appended through '
                        'timeline_begin_append(), which gives each its place; this '
                        'transaction did not call it' USING ERRCODE = 'check_violation';
                END IF;
            END IF;
            IF last_position - first_position + 1 <> added_count
                OR EXISTS (SELECT 1 FROM timeline_events WHERE position > last_position)
                OR (first_position <> 1 AND NOT EXISTS (
                    SELECT 1 FROM timeline_events WHERE position = first_position - 1))
            THEN
                RAISE EXCEPTION 'timeline: positions % to % do not follow the newest '
                    'stored position without a gap', first_position, last_position
                    USING ERRCODE = 'check_violation';
            END IF;
            -- The canonical JSON of every value of the statement at once (a query per
            -- value would cost several times the insert): each value taken apart into
            -- its nodes, then written out in one pass, each node's text ordered by its
            -- path (object members by key, array items by place; '1' before a step,
            -- '2' for the closing bracket, after everything inside).
            WITH RECURSIVE nodes(position, col, path, parent, key, value) AS (
                SELECT a.position, v.col, ARRAY[]::text[], NULL::text[], NULL::text, v.value
                FROM added a CROSS JOIN LATERAL (VALUES
                    (1, a.data), (2, a.effects), (3, a.source), (4, a.targets)
                ) AS v(col, value)
                WHERE v.value::text NOT IN ('{{}}', '[]')  -- most are empty: written below
                UNION ALL
                SELECT n.position, n.col, n.path || m.step, n.path, m.key, m.value
                FROM nodes n CROSS JOIN LATERAL (
                    SELECT '1' || o.key, o.key, o.value FROM json_each(CASE
                        WHEN json_typeof(n.value) = 'object' THEN n.value ELSE '{{}}' END) o
                    UNION ALL
                    SELECT '1' || lpad(i.n::text, 10, '0'), NULL, i.value
                    FROM json_array_elements(CASE
                        WHEN json_typeof(n.value) = 'array' THEN n.value ELSE '[]' END)
                        WITH ORDINALITY AS i(value, n)
                ) AS m(step, key, value)
                WHERE json_typeof(n.value) IN ('object', 'array')
            ), tokens AS (
                -- a member starts with E'\\x01', which canonical JSON never holds (it
                -- escapes control characters): a comma, unless it follows its opening
                -- bracket; duplicate keys are two nodes with one path
                SELECT position, col, path,
                    CASE WHEN parent IS NULL THEN '' ELSE E'\\x01' END
                    || CASE WHEN key IS NULL THEN '' ELSE to_json(key)::text || ':' END
                    || CASE json_typeof(value) WHEN 'object' THEN '{{' WHEN 'array' THEN '['
                        ELSE timeline_json_scalar(value) END AS token
                FROM nodes
                UNION ALL
                SELECT position, col, path || '2'::text,
                    CASE json_typeof(value) WHEN 'object' THEN '}}' ELSE ']' END
                FROM nodes WHERE json_typeof(value) IN ('object', 'array')
            ), texts AS (
                SELECT position, col,
                    replace(replace(replace(string_agg(token, '' ORDER BY path COLLATE "C"),
                        E'{{\\x01', '{{'), E'[\\x01', '['), E'\\x01', ',') AS text,
                    count(*) <> count(DISTINCT path) AS twice
                FROM tokens GROUP BY position, col
            ), canonical AS (
                SELECT position, bool_or(twice) AS twice,
                    max(text) FILTER (WHERE col = 1) AS data,
                    max(text) FILTER (WHERE col = 2) AS effects,
                    max(text) FILTER (WHERE col = 3) AS source,
                    max(text) FILTER (WHERE col = 4) AS targets
                FROM texts GROUP BY position
            )
            SELECT checked.position, checked.problem INTO bad FROM (
                SELECT a.position, CASE
                    WHEN NOT copying AND a.recorded_at <> ticket.recorded_at THEN
                        'its recorded_at is not the one timeline_begin_append() gave'
                    WHEN a.recorded_at < p.recorded_at THEN
                        'its recorded_at is earlier than the event before it'
                    WHEN a.version <> 1 AND NOT EXISTS (
                        SELECT 1 FROM timeline_events v WHERE v.incident = a.incident
                        AND v.version = a.version - 1 AND v.position < a.position)
                    THEN 'its version does not follow the one before it in its incident'
                    WHEN a.version = 1 AND EXISTS (
                        SELECT 1 FROM timeline_events v WHERE v.incident = a.incident
                        AND v.position < a.position)
                    THEN 'its version does not follow the one before it in its incident'
                    WHEN c.twice THEN 'a JSON object in it names a key twice'
                    WHEN a.hash IS DISTINCT FROM timeline_event_hash(coalesce(p.hash, ''), a,
                        coalesce(c.data, a.data::text), coalesce(c.effects, a.effects::text),
                        coalesce(c.source, a.source::text), coalesce(c.targets, a.targets::text))
                    THEN 'its hash is not the one its fields and the hash before it make'
                    END AS problem
                FROM added a
                LEFT JOIN canonical c ON c.position = a.position
                LEFT JOIN timeline_events p ON p.position = a.position - 1
            ) AS checked
            WHERE checked.problem IS NOT NULL
            ORDER BY checked.position LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'timeline: position % refused: %', bad.position, bad.problem
                    USING ERRCODE = 'check_violation';
            END IF;
            RETURN NULL;
        END
        $$
        """,
        # Whether an event names an actor: as its actor, a target, or in its effects.
        r"""
        CREATE FUNCTION timeline_names(e timeline_events, name text) RETURNS boolean
        LANGUAGE sql STABLE AS $$
            SELECT e.actor = name
                OR EXISTS (SELECT 1 FROM json_array_elements_text(e.targets) t WHERE t = name)
                OR EXISTS (SELECT 1 FROM json_object_keys(e.effects) k WHERE k = name)
        $$
        """,
        # The actor index is outside the hash chain: a row there must be one an append
        # writes, for an event of its own transaction (an index row of an older event
        # would list it under an actor it does not name), under an actor the event names,
        # or the event it mends and that event's earlier corrections, at its occurred_at.
        f"""
        CREATE FUNCTION timeline_check_indexed() RETURNS trigger
        LANGUAGE plpgsql {path} {_SETTINGS} AS $$
        DECLARE
            ticket record;
            bad record;
        BEGIN
            IF {in_a_copy} THEN
                RETURN NULL;  -- a copy checks each event's index rows itself
            END IF;
            SELECT * INTO ticket FROM timeline_append_ticket();
            SELECT checked.actor, checked.position, checked.problem INTO bad FROM (
                SELECT r.actor, r.position, CASE
                    WHEN ticket.recorded_at IS NULL THEN
                        'events are indexed by the transaction that appends them, through '
                        'timeline_begin_append(); this transaction did not call it'
                    WHEN r.position <= ticket.after_position THEN
                        'its event was not appended by this transaction'
                    WHEN r.occurred_at <> e.occurred_at THEN
                        'it gives another occurred_at than its event'
                    WHEN NOT (timeline_names(e, r.actor) OR EXISTS (
                        -- the event it mends, and that event's corrections before it
                        SELECT 1 FROM timeline_events m JOIN timeline_events n
                            ON n.id = coalesce(m.corrects, m.id)
                            OR n.corrects = coalesce(m.corrects, m.id)
                        WHERE m.id = coalesce(e.corrects, e.retracts)
                            AND n.position < e.position AND timeline_names(n, r.actor)))
                    THEN 'its event does not name that actor, nor does the event it mends'
                    END AS problem
                FROM indexed r JOIN timeline_events e ON e.position = r.position
            ) AS checked
            WHERE checked.problem IS NOT NULL
            ORDER BY checked.position, checked.actor LIMIT 1;
            IF FOUND THEN
                RAISE EXCEPTION 'timeline: the actor index row (%, %) refused: %',
                    bad.actor, bad.position, bad.problem USING ERRCODE = 'check_violation';
            END IF;
            RETURN NULL;
        END
        $$
        """,
    ]


def upgrade() -> None:
    if backend_of(op.get_bind()).name != "postgresql":
        return
    conn = op.get_bind()
    schema = conn.execute(sa.text("SELECT quote_ident(current_schema())")).scalar_one()
    # through the driver as written, without parameters: the functions' text holds
    # colons and percent signs that would be read as placeholders
    with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        for statement in _functions(schema):
            cursor.execute(statement)
    op.execute(
        "CREATE TRIGGER timeline_events_appended AFTER INSERT ON timeline_events "
        "REFERENCING NEW TABLE AS added FOR EACH STATEMENT "
        "EXECUTE FUNCTION timeline_check_appended()"
    )
    op.execute(
        "CREATE TRIGGER timeline_event_actors_indexed AFTER INSERT ON timeline_event_actors "
        "REFERENCING NEW TABLE AS indexed FOR EACH STATEMENT "
        "EXECUTE FUNCTION timeline_check_indexed()"
    )
    # the roles that could append before keep appending, now through the function
    writers = conn.execute(
        sa.text(
            "SELECT DISTINCT quote_ident(grantee) FROM information_schema.role_table_grants "
            "WHERE table_schema = current_schema() AND table_name = 'timeline_events' "
            "AND privilege_type = 'INSERT' AND grantee <> 'PUBLIC'"
        )
    ).scalars()
    for writer in writers:
        op.execute(f"GRANT EXECUTE ON FUNCTION timeline_begin_append() TO {writer}")


def downgrade() -> None:
    if backend_of(op.get_bind()).name != "postgresql":
        return
    op.execute("DROP TRIGGER timeline_events_appended ON timeline_events")
    op.execute("DROP TRIGGER timeline_event_actors_indexed ON timeline_event_actors")
    for function in (
        "timeline_check_indexed()",
        "timeline_names(timeline_events, text)",
        "timeline_check_appended()",
        "timeline_event_hash(text, timeline_events, text, text, text, text)",
        "timeline_time_text(timestamptz)",
        "timeline_json_scalar(json)",
        "timeline_json_number(text)",
        "timeline_append_ticket()",
        "timeline_begin_append()",
    ):
        op.execute(f"DROP FUNCTION {function}")
    op.execute("DROP TABLE timeline_append_tickets")
