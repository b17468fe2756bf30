"""PostgreSQL: the insert triggers of 0006, cheaper, refusing exactly what they refused.

0006's ``AFTER INSERT`` trigger on ``timeline_events`` rebuilt the canonical JSON text of
every value of every row in SQL (a recursive walk over its nodes, then the text ordered by
path) to recompute each row's hash, and called a function per row for the hash; it was
most of a PostgreSQL append's time (issue 15). From this revision:

- A value already in canonical form is recognised cheaply and hashed as stored: its text
  has no white space outside strings and every string in the escapes Python writes (one
  regular expression), and in each of its objects the keys are in strictly increasing
  code point order (so no key twice), and each number is an integer as Python writes one
  or a fraction whose shortest digits PostgreSQL writes the same (positional, from 1e-4
  below 1e15). Only then is the text exactly ``canonical_json`` of what it holds; any
  other value (white space, another escape, an exponent, ``1.0``, keys out of order)
  still gets the full rebuild of 0006, so a row that says the right hash for a value
  written another way is still accepted, and one that does not is still refused.
- The hash is computed inline in the statement (no function call per row).
- ``timeline_check_indexed`` tests whether an event names an actor inline as well.

The checks, their order and their messages are 0006's. No stored row is touched, so
every chain verifies as before. The downgrade puts 0006's two trigger functions back.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

from timeline._backends import backend_of

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

_SETTINGS = "SET extra_float_digits = 1 SET jit = off"  # as 0006: see there


def _time(column: str) -> str:
    """``timeline.times.isoformat`` of a timestamptz, in SQL."""
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


def _hash(previous: str, data: str, effects: str, source: str, targets: str) -> str:
    """timeline.store.chain_hash of an added row ``a`` after ``previous``, its JSON values
    given as canonical text: 0006's timeline_event_hash written out, so that no function
    is called per row."""
    return rf"""encode(sha256(convert_to(
    {previous} || E'\n'
    || '{{"actor":' || to_json(a.actor)::text
    || ',"corrects":' || coalesce(to_json(a.corrects::text)::text, 'null')
    || ',"data":' || {data}
    || ',"effects":' || {effects}
    || ',"id":' || to_json(a.id::text)::text
    || ',"incident":' || to_json(a.incident)::text
    || ',"occurred_at":"' || {_time("a.occurred_at")}
    || '","precision":' || to_json(a.precision)::text
    || CASE WHEN a.reported_at IS NULL THEN '' ELSE
        ',"reported_at":"' || {_time("a.reported_at")}
        || '","reported_precision":'
        || coalesce(to_json(a.reported_precision)::text, 'null') END
    || ',"retracts":' || coalesce(to_json(a.retracts::text)::text, 'null')
    || ',"source":' || {source}
    || ',"targets":' || {targets}
    || ',"type":' || to_json(a.type)::text
    || '}}' || E'\n'
    || a.version || '|' || a.position || '|' || {_time("a.recorded_at")},
    'UTF8')), 'hex')"""


# A JSON text with no white space outside its strings, every string written with the
# escapes Python's json.dumps uses (and only those: the json type refuses a raw control
# character, so the rest of a string is as Python writes it).
LEXICAL = r'^(?:"(?:[^"\\]|\\["\\bfnrt]|\\u00(?:0[0-7bef]|1[0-9a-f]))*"|[^"\s])*$'
# A number as Python writes it without asking PostgreSQL: an integer (not -0)...
INTEGER = r"^-?(?:0|[1-9][0-9]*)$"
# ... or, when PostgreSQL's shortest digits (extra_float_digits = 1) write it the same, a
# fraction: positional with no trailing zero, as both write one from 1e-4 below 1e15.
FRACTION = r"^-?(?:0|[1-9][0-9]*)\.[0-9]*[1-9]$"


def _check_appended(schema: str) -> str:
    path = f"SET search_path = {schema}, pg_temp"
    owns = (
        "pg_has_role(current_user, (SELECT relowner FROM pg_class "
        "WHERE oid = 'timeline_events'::regclass), 'USAGE')"
    )
    in_a_copy = f"coalesce(current_setting('timeline.copying', true), '') = 'on' AND {owns}"
    return f"""
        CREATE OR REPLACE FUNCTION timeline_check_appended() RETURNS trigger
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
                -- max() of the key is one probe at its end in every plan; an EXISTS
                -- over position > last_position got a whole-table scan as its generic
                -- plan (PL/pgSQL keeps one per session) on a store loaded from empty
                OR (SELECT max(position) FROM timeline_events) > last_position
                OR (first_position <> 1 AND NOT EXISTS (
                    SELECT 1 FROM timeline_events WHERE position = first_position - 1))
            THEN
                RAISE EXCEPTION 'timeline: positions % to % do not follow the newest '
                    'stored position without a gap', first_position, last_position
                    USING ERRCODE = 'check_violation';
            END IF;
            WITH RECURSIVE candidates AS (
                -- the values not trivially canonical (most are empty: '{{}}', '[]')
                SELECT a.position, v.col, v.value
                FROM added a CROSS JOIN LATERAL (VALUES
                    (1, a.data), (2, a.effects), (3, a.source), (4, a.targets)
                ) AS v(col, value)
                WHERE v.value::text NOT IN ('{{}}', '[]')
            ), quick(position, col, value, fine) AS (
                -- the fast path: each node of a lexically canonical value, fine when
                -- its key comes after its elder sibling's (code point order)
                SELECT position, col, value, value::text ~ '{LEXICAL}' FROM candidates
                UNION ALL
                SELECT n.position, n.col, m.value, m.fine
                FROM quick n CROSS JOIN LATERAL (
                    SELECT o.value, coalesce(
                        o.key COLLATE "C" > lag(o.key) OVER (ORDER BY o.n) COLLATE "C", true)
                    FROM json_each(CASE
                        WHEN json_typeof(n.value) = 'object' THEN n.value ELSE '{{}}' END)
                        WITH ORDINALITY AS o(key, value, n)
                    UNION ALL
                    SELECT i.value, true FROM json_array_elements(CASE
                        WHEN json_typeof(n.value) = 'array' THEN n.value ELSE '[]' END) i
                ) AS m(value, fine)
                WHERE n.fine AND json_typeof(n.value) IN ('object', 'array')
            ), settled AS (
                -- the values stored exactly as canonical_json writes them
                SELECT position, col FROM quick GROUP BY position, col
                HAVING bool_and(fine AND (json_typeof(value) <> 'number'
                    OR (value::text ~ '{INTEGER}' AND value::text <> '-0')
                    OR (value::text ~ '{FRACTION}'
                        AND value::text::float8::text = value::text)))
            ), nodes(position, col, path, parent, key, value) AS (
                -- every other value: 0006's rebuild, taken apart into its nodes, then
                -- written out in one pass, each node's text ordered by its path (object
                -- members by key, array items by place; '1' before a step, '2' for the
                -- closing bracket, after everything inside)
                SELECT c.position, c.col, ARRAY[]::text[], NULL::text[], NULL::text, c.value
                FROM candidates c WHERE NOT EXISTS (
                    SELECT 1 FROM settled s WHERE s.position = c.position AND s.col = c.col)
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
                    WHEN a.hash IS DISTINCT FROM {
        _hash(
            "coalesce(p.hash, '')",
            "coalesce(c.data, a.data::text)",
            "coalesce(c.effects, a.effects::text)",
            "coalesce(c.source, a.source::text)",
            "coalesce(c.targets, a.targets::text)",
        )
    }
                    THEN 'its hash is not the one its fields and the hash before it make'
                    END AS problem
                FROM added a
                LEFT JOIN canonical c ON c.position = a.position
                -- the event before each, looked up by key in every plan (a plain join
                -- may become a merge join along the whole key from position 1)
                LEFT JOIN LATERAL (
                    SELECT b.recorded_at, b.hash FROM timeline_events b
                    WHERE b.position = a.position - 1 LIMIT 1
                ) AS p ON true
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
        """


def _check_indexed(schema: str) -> str:
    path = f"SET search_path = {schema}, pg_temp"
    owns = (
        "pg_has_role(current_user, (SELECT relowner FROM pg_class "
        "WHERE oid = 'timeline_events'::regclass), 'USAGE')"
    )
    in_a_copy = f"coalesce(current_setting('timeline.copying', true), '') = 'on' AND {owns}"

    def names(event: str) -> str:
        # 0006's timeline_names(event, r.actor), written out
        return (
            f"({event}.actor = r.actor OR EXISTS (SELECT 1 FROM "
            f"json_array_elements_text({event}.targets) t WHERE t = r.actor) OR EXISTS ("
            f"SELECT 1 FROM json_object_keys({event}.effects) k WHERE k = r.actor))"
        )

    return f"""
        CREATE OR REPLACE FUNCTION timeline_check_indexed() RETURNS trigger
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
                    WHEN NOT ({names("e")} OR EXISTS (
                        -- the event it mends, and that event's corrections before it
                        SELECT 1 FROM timeline_events m JOIN timeline_events n
                            ON n.id = coalesce(m.corrects, m.id)
                            OR n.corrects = coalesce(m.corrects, m.id)
                        WHERE m.id = coalesce(e.corrects, e.retracts)
                            AND n.position < e.position AND {names("n")}))
                    THEN 'its event does not name that actor, nor does the event it mends'
                    END AS problem
                -- each row's event looked up by key in every plan (a plain join's
                -- generic plan on a store loaded from empty merged along the whole key)
                FROM indexed r JOIN LATERAL (
                    SELECT * FROM timeline_events x WHERE x.position = r.position LIMIT 1
                ) AS e ON true
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
        """


def _revision_0006() -> object:
    """0006's module (its file name is no module name), for the functions it defined."""
    where = Path(__file__).with_name("0006_append_tickets.py")
    spec = importlib.util.spec_from_file_location("timeline_revision_0006", where)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(statements: list[str]) -> None:
    # through the driver as written, without parameters: the functions' text holds
    # colons and percent signs that would be read as placeholders
    conn = op.get_bind()
    with conn.connection.driver_connection.cursor() as cursor:  # type: ignore[union-attr]
        for statement in statements:
            cursor.execute(statement)


def _schema() -> str:
    return str(op.get_bind().execute(sa.text("SELECT quote_ident(current_schema())")).scalar_one())


def upgrade() -> None:
    if backend_of(op.get_bind()).name != "postgresql":
        return
    schema = _schema()
    _run([_check_appended(schema), _check_indexed(schema)])


def downgrade() -> None:
    if backend_of(op.get_bind()).name != "postgresql":
        return
    schema = _schema()
    before = [
        statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
        for statement in _revision_0006()._functions(schema)  # type: ignore[attr-defined]
        if "FUNCTION timeline_check_appended()" in statement
        or "FUNCTION timeline_check_indexed()" in statement
    ]
    assert len(before) == 2, "0006 defines both trigger functions"
    _run(before)
