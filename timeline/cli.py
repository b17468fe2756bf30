"""The ``timeline`` command: a thin client of the public API.

Every command calls public methods and turns a :class:`~timeline.errors.TimelineError`
(or a file that cannot be read or written) into one line on standard error and exit
status 1 (2 for usage mistakes), without a traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shlex
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

import timeline
from timeline.demo import run as demo_lines
from timeline.io import event_to_record, parse_json
from timeline.render import REPORT_FORMATS, SUMMARY_FORMATS, bound_json
from timeline.text import (
    asked_at,
    bound_text,
    count,
    events_table,
    isoformat,
    minute,
    printable,
    short_time,
    table,
    time_column,
    value_text,
)

MAX_PROBLEMS_SHOWN = 20
"""How many problems of an import file are listed before "... and K more"."""


class Context:
    """What the group's options hand to each command."""

    def __init__(
        self,
        db: str | None = None,
        default_tz: str | None = None,
        debug: bool = False,
        templates: Path | None = None,
        day_zone: str | None = None,
    ) -> None:
        self.db = db
        self.default_tz = default_tz
        self.day_zone = day_zone
        self.debug = debug
        self.templates = templates

    def open(self, *, reads: bool = False) -> timeline.Timeline:
        """Open the timeline the options name, with the --templates file's templates.

        ``reads``: for a command that only reads, a database without timeline's schema
        is an error naming it, and nothing is created there: a mistyped --db would
        otherwise be given a new, empty store, which answers "(no events)" and verifies
        ("ok: 0 events verified") night after night.
        """
        if reads and timeline.schema_revision(self.db) is None:
            raise timeline.StoreError(
                f"{_shown(self.db)} has no timeline schema: nothing to read (is --db "
                "right? timeline import or timeline db upgrade makes a store there)"
            )
        tl = timeline.open(self.db, default_tz=self.default_tz, day_zone=self.day_zone)
        if self.templates is not None:
            try:
                tl.define_file(self.templates)
            except BaseException:
                tl.close()
                raise
        return tl


def _set_db(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        ctx.ensure_object(Context).db = value


db_option = click.option(
    "--db",
    metavar="URL",
    expose_value=False,
    callback=_set_db,
    help="Database URL; the same as the --db before the command.",
)
"""``--db`` accepted after the command too: ``timeline db upgrade --db URL``."""


def reader_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Add ``--known-at`` and ``--reported-by``, the knowledge a reader answers on, to a
    command: its function takes ``known_at`` and ``reported_by`` (text or ``None``)."""
    command = click.option(
        "--reported-by",
        metavar="WHEN",
        help="Only claims reported (made public) by WHEN, with the corrections and "
        "retractions reported by then; a date takes in the whole day.",
    )(command)
    return click.option(
        "--known-at",
        metavar="WHEN",
        help="As the store knew it: only what it had recorded by WHEN; a date takes in the "
        "whole day. Default: everything recorded now.",
    )(command)


WINDOWS: dict[str, tuple[str, str]] = {
    "events": (
        "Only events that may have happened at or after WHEN.",
        "Only events that may have happened by WHEN (a date: all of it; a time: that instant).",
    ),
    "changes": (
        "Only changes by events at or after WHEN.",
        "Only changes by events that apply by WHEN.",
    ),
}
"""The help of ``--since`` and ``--until`` by what they bound: the events whose time
overlaps the window (``events``, ``chart``), or the changes of a history."""


def window_options(bounded: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add ``--since`` and ``--until`` to a command, with the help of :data:`WINDOWS`
    for what they bound: its function takes ``since`` and ``until`` (text or ``None``)."""
    since_help, until_help = WINDOWS[bounded]

    def add(command: Callable[..., Any]) -> Callable[..., Any]:
        command = click.option("--until", metavar="WHEN", help=until_help)(command)
        return click.option("--since", metavar="WHEN", help=since_help)(command)

    return add


@contextmanager
def reported(debug: bool) -> Iterator[None]:
    """Turn library errors, and files that cannot be read or written, into one clean
    line and exit status 1; print the library's warnings (a name that matches nothing in
    the store, …) as ``warning: …`` lines on standard error, each time they occur."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("always", timeline.TimelineWarning)
            shown = warnings.showwarning

            def show(message: Any, category: Any, *args: Any, **kwargs: Any) -> None:
                if issubclass(category, timeline.TimelineWarning):
                    _echo(f"warning: {message}", err=True, lines=False)
                else:
                    shown(message, category, *args, **kwargs)

            warnings.showwarning = show
            yield
    except timeline.TimelineError as e:
        if debug:
            raise
        _echo(f"error: {e}", err=True, lines=False)
        sys.exit(1)
    except BrokenPipeError:
        # The reader went away (`timeline events | head`): stop quietly, and keep Python
        # from complaining again when it flushes standard output at exit.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
    except OSError as e:
        if debug:
            raise
        where = f"{e.filename}: " if e.filename else ""
        _echo(f"error: {where}{e.strerror or e}", err=True, lines=False)
        sys.exit(1)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--db",
    envvar="TIMELINE_DB",
    metavar="URL",
    help="Database URL (sqlite:///file.db, postgresql://user@host/db). "
    "Default: $TIMELINE_DB, else sqlite:///timeline.db.",
)
@click.option(
    "--default-tz",
    metavar="ZONE",
    help="Zone for times written without an offset: an IANA zone (Asia/Damascus) or an "
    "offset (+03:30). Without it such times are refused.",
)
@click.option(
    "--day-zone",
    metavar="ZONE",
    help="Zone whose days a date means, everywhere a date is read or shown: an IANA zone "
    "(Asia/Baghdad) or an offset (+03:00). Default: UTC.",
)
@click.option(
    "--templates",
    envvar="TIMELINE_TEMPLATES",
    metavar="FILE.json",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Effect templates, a JSON object {event_type: template} as Timeline.define takes, "
    'e.g. {"cooperation_suspended": {"{actor}": {"cooperation.{target}": "suspended"}}}; '
    "used by state and history. Default: $TIMELINE_TEMPLATES.",
)
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.version_option(timeline.__version__, prog_name="timeline")
@click.pass_context
def main(
    ctx: click.Context,
    db: str | None,
    default_tz: str | None,
    day_zone: str | None,
    templates: Path | None,
    debug: bool,
) -> None:
    """Incident timelines as immutable events in SQLite or PostgreSQL.

    \b
    Example:
        timeline demo
        timeline --db sqlite:///incidents.db import examples/syria-2017-06.jsonl
        timeline --db sqlite:///incidents.db --templates examples/syria-2017-06.templates.json \\
            state Russia --at "June 19 2017"
    """
    ctx.obj = Context(db, default_tz, debug, templates, day_zone)


@main.group()
def db() -> None:
    """Create and upgrade the database schema.

    \b
    Example:
        timeline --db postgresql://app@db.example/incidents db upgrade
    """


@db.command("upgrade")
@db_option
@click.pass_obj
def db_upgrade(obj: Context) -> None:
    """Bring the database to the newest schema (creates it when empty).

    Safe to run again: an up-to-date database is left alone.

    \b
    Example:
        timeline --db sqlite:///incidents.db db upgrade
    """
    with reported(obj.debug):
        revision = timeline.upgrade(obj.db)
        _echo(f"{_shown(obj.db)} is at schema revision {revision} (newest)")


@db.command("current")
@db_option
@click.pass_obj
def db_current(obj: Context) -> None:
    """Print the database's schema revision; exit 1 unless it is the newest.

    Reads only: an empty database is reported, not created.

    \b
    Example:
        timeline --db sqlite:///incidents.db db current
    """
    with reported(obj.debug):
        revision, head = timeline.schema_revision(obj.db), timeline.head_revision()
    if revision == head:
        _echo(f"{_shown(obj.db)} is at schema revision {revision} (newest)")
        return
    state = "has no timeline schema" if revision is None else f"is at schema revision {revision}"
    _echo(f"{_shown(obj.db)} {state}; newest is {head}: run timeline db upgrade", err=True)
    sys.exit(1)


@main.command("import")
@db_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(timeline.FORMATS),
    help="The file's format. Default: csv for a .csv name, else jsonl.",
)
@click.pass_obj
def import_(obj: Context, file: Path, fmt: str | None) -> None:
    """Store every event of a JSON Lines or CSV FILE, or none if any line is wrong.

    The fields are the event's: id, incident, type, actor, targets, occurred_at,
    precision, data, effects, source, corrects, retracts, reported_at, reported_precision
    (type, actor, occurred_at and incident required). In CSV, the header names the
    fields; targets is a JSON list or names separated by ";"; data, effects and source
    are JSON text; an empty cell is an absent field. The file is read once and stored in
    one transaction: if any line is wrong, every problem is listed by line number and
    nothing is stored; an event the store refuses (its id stored with other content, an
    unknown corrects) is named by its line too. Interrupted (Ctrl-C), it stores nothing
    and says so. An event whose id is stored already with the same content is not
    stored again, so an import of a file whose lines carry ids can be repeated (a line
    without one gets a new id each time: a warning says how many).

    \b
    Example:
        timeline --db sqlite:///incidents.db import examples/syria-2017-06.jsonl
        timeline --default-tz Asia/Damascus import reports.csv
    """
    with reported(obj.debug), obj.open() as tl:
        try:
            with _progress(f"importing {file.name}") as advance:
                result = tl.import_file(file, format=fmt, on_progress=advance)
        except timeline.InvalidFileError as e:
            for number, problem in e.problems[:MAX_PROBLEMS_SHOWN]:
                _echo(f"line {number}: {problem}", err=True, lines=False)
            if len(e.problems) > MAX_PROBLEMS_SHOWN:
                _echo(f"... and {len(e.problems) - MAX_PROBLEMS_SHOWN} more", err=True)
            _echo(f"error: {file}: {e.summary}", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            # the load's one transaction was rolled back on the way here
            _echo(f"interrupted: nothing of {file} was stored", err=True)
            sys.exit(130)
        _echo(
            f"stored {count(result.stored, 'event')} from {file} "
            f"({result.events - result.stored} already stored)"
        )


@main.command()
@db_option
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file (replaced if it exists). Default: standard output.",
)
@click.option("--incident", help="Only this incident's events (with their corrections).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(timeline.EXPORT_FORMATS),
    help="Default: csv for a .csv output name, parquet for .parquet, else jsonl. "
    "timelinejs: TimelineJS 3 JSON, for publishing; parquet: for analysis (needs the "
    "parquet extra); neither is read back by import.",
)
@click.pass_obj
def export(obj: Context, output: Path | None, incident: str | None, fmt: str | None) -> None:
    """Write every stored event, in position order, in the form import reads back.

    Each event has all its fields, id, corrects and retracts included, so importing the
    export into a new database gives the same events, the same corrections and
    retractions, and the same state. What the new store assigns itself (recorded_at,
    hash) is its own: known_at questions about the new database see everything as
    recorded when it was imported.

    --format timelinejs writes the TimelineJS 3 JSON format instead, for publishing with
    TimelineJS: the events as they now stand (corrected, retracted ones left out) in
    the order they happened, one group per actor, each date given only to the parts its
    precision knows (a month-precision event has a year and a month). --format parquet
    (or a .parquet name) writes every stored event with the fields the store assigned,
    for pandas, DuckDB or Spark (needs the parquet extra).

    \b
    Example:
        timeline --db sqlite:///incidents.db export -o incidents.jsonl
        timeline --db sqlite:///copy.db import incidents.jsonl
        timeline --db sqlite:///incidents.db export --format timelinejs -o timeline.json
        timeline --db sqlite:///incidents.db export -o incidents.parquet
    """
    if output is None and fmt == "parquet":
        raise click.UsageError("--format parquet writes a file: give -o FILE.parquet")
    with reported(obj.debug), obj.open(reads=True) as tl:
        written = tl.export(sys.stdout if output is None else output, format=fmt, incident=incident)
    if output is not None:
        _echo(f"exported {count(written, 'event')} to {output}")


@main.command("copy")
@click.option(
    "--from",
    "source",
    metavar="URL",
    help="The store to copy. Default: the --db database ($TIMELINE_DB, else "
    "sqlite:///timeline.db).",
)
@click.option(
    "--to",
    "destination",
    metavar="URL",
    required=True,
    help="The store to copy into: an empty database (given the schema) or a timeline "
    "store that holds no event.",
)
@click.pass_obj
def copy(obj: Context, source: str | None, destination: str) -> None:
    """Copy every event of one store into an empty one, keeping everything it stored.

    Unlike export and import, the copy keeps ids, positions, versions, recorded and
    reported times and hashes, so every answer of the copy, for any --known-at, is the
    source's: the way to move from the SQLite file to a PostgreSQL server, or back. One
    transaction: a destination that holds any event, or a source event that does not
    verify, is refused and nothing is stored. Progress goes to standard error; the last
    line names both heads, which the copy checked are equal. On PostgreSQL, copy as the
    owner of the destination's tables.

    \b
    Example:
        timeline copy --from sqlite:///incidents.db --to postgresql://timeline_owner@db.example/incidents
        timeline copy --from postgresql://timeline_owner@db.example/incidents --to sqlite:///back.db
    """
    source = source or obj.db or timeline.default_url()
    with reported(obj.debug), _copy_progress() as progress:
        result = timeline.copy(source, destination, progress=progress)
    head = _head_text(result.head)
    click.echo(
        f"copied {count(result.events, 'event')}; head of {_shown(source)}: {head}; "
        f"head of {_shown(destination)}: {head}"
    )


@main.command()
@db_option
@click.argument("type")
@click.argument("actor")
@click.argument("when")
@click.option("--incident", required=True, help="The incident (stream) the event belongs to.")
@click.option(
    "--target",
    "targets",
    multiple=True,
    help="An actor it was done to (repeatable; a name with a comma as a JSON list: "
    "'[\"Korea, Republic of\"]').",
)
@click.option(
    "--precision", type=click.Choice(timeline.PRECISIONS), help="Override the inferred one."
)
@click.option("--data", "data_json", metavar="JSON", help="A JSON object of other details.")
@click.option(
    "--effects",
    "effects_json",
    metavar="JSON",
    help='E.g. {"Russia": {"cooperation.US": "suspended"}}.',
)
@click.option("--quote", help="The source sentence.")
@click.option("--source-title", help="The source's title.")
@click.option("--source-url", help="The source's URL.")
@click.option("--id", "event_id", help="The event's UUID (default: a new one).")
@click.option("--expected-version", type=int, help="Refuse unless the incident is at this version.")
@click.option(
    "--reported-at",
    metavar="WHEN",
    help="When the claim became public, e.g. the day the statement was published "
    "(default: when the store records it).",
)
@click.pass_obj
def record(
    obj: Context,
    type: str,
    actor: str,
    when: str,
    incident: str,
    targets: tuple[str, ...],
    precision: str | None,
    data_json: str | None,
    effects_json: str | None,
    quote: str | None,
    source_title: str | None,
    source_url: str | None,
    event_id: str | None,
    expected_version: int | None,
    reported_at: str | None,
) -> None:
    """Record one event: TYPE done by ACTOR at WHEN.

    WHEN is written as people write it: 2017-06-19, "June 19 2017", "2017-06",
    "2017-06-18 18:43 +03:00"; so is --reported-at, when the claim became public, which
    readers' --reported-by compares with. Prints the event as stored.

    \b
    Example:
        timeline record cooperation_suspended Russia 2017-06-19 \\
            --incident syria-2017-06 --target US --reported-at 2017-06-19 \\
            --quote "Russia said it would now end co-operation"
    """
    source = {"quote": quote, "title": source_title, "url": source_url}
    with reported(obj.debug), obj.open() as tl:
        recorded = tl.record(
            type,
            actor,
            when,
            incident=incident,
            targets=_target_names(targets),
            precision=precision,
            data=_json_option(data_json, "data"),
            effects=_json_option(effects_json, "effects"),
            source={k: v for k, v in source.items() if v is not None},
            id=event_id,
            expected_version=expected_version,
            reported_at=reported_at,
        )
        _echo(
            f"recorded {recorded.id}: {recorded.incident} version {recorded.version}, "
            f"position {recorded.position}, occurred {isoformat(recorded.occurred_at)} "
            f"({recorded.precision}){_reported_text(recorded)}"
        )


@main.command()
@db_option
@click.option("--incident", help="Only this incident.")
@click.option("--actor", help="Only events naming this actor (as actor, target or in effects).")
@click.option("--type", "types", multiple=True, help="Only this type (repeatable).")
@window_options("events")
@click.option(
    "--wholly-within",
    is_flag=True,
    help="Only events whose whole time (a day-precision event: its day) lies between "
    "--since and --until, not those that overlap them.",
)
@reader_options
@click.option(
    "--current",
    is_flag=True,
    help="The events as they now stand: corrections applied, retracted events (and the "
    "corrections and retractions themselves) left out.",
)
@click.option(
    "--where",
    "wheres",
    multiple=True,
    metavar="FIELD=VALUE",
    help="Only events whose FIELD has VALUE: source.publisher=SANA, data.aircraft=Su-22; "
    "targets=US means among the targets. Repeatable (all must hold).",
)
@click.option("--after-position", type=int, default=0, help="Only events after this position.")
@click.option("--limit", type=int, help="At most this many events.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", *timeline.FORMATS]),
    default="table",
    show_default=True,
    help="A readable table; one JSON object per line; or CSV. JSON Lines and CSV add "
    "version, position, recorded_at and hash to the event's fields.",
)
@click.pass_obj
def events(
    obj: Context,
    incident: str | None,
    actor: str | None,
    types: tuple[str, ...],
    since: str | None,
    until: str | None,
    wholly_within: bool,
    known_at: str | None,
    reported_by: str | None,
    current: bool,
    wheres: tuple[str, ...],
    after_position: int,
    limit: int | None,
    fmt: str,
) -> None:
    """List stored events in the order they were recorded.

    The table gives each event's time (UTC, with its precision), when it was reported
    (made public), type, actor and targets. With --current the events are listed as
    they now stand: each with its corrections applied (the filters apply to the
    corrected fields; the table says how many corrections shaped it), retracted events
    left out; an event keeps its own id, position, recorded_at and hash.
    --since and --until select the events whose time overlaps the window, as state and
    report treat them: a day-precision event of June 19 is listed for a window from noon
    to 23:59 that day (--wholly-within leaves it out). Dates are days of --day-zone.

    \b
    Example:
        timeline events --actor Russia --since 2017-06-19 --format jsonl
        timeline events --type shootdown --format csv
        timeline events --current --reported-by 2017-06-19
        timeline events --where source.publisher=SANA --where targets=US
    """
    condition = _where_fields(wheres)
    with reported(obj.debug), obj.open(reads=True) as tl:
        found = tl.events(
            incident=incident,
            actor=actor,
            type=types or None,
            since=since,
            until=until,
            wholly_within=wholly_within,
            known_at=known_at,
            reported_by=reported_by,
            after_position=after_position,
            limit=limit,
            current=current,
            where=condition,
        )
        if fmt in timeline.FORMATS:
            found.write(sys.stdout, format=fmt)
        else:
            _echo_table(found, corrections=current, day_zone=tl.day_zone)


def _summary_command(kind: str, plural: str, example: str) -> click.Command:
    """The command that lists the actors, incidents or types of the store (``kind``)."""

    @db_option
    @reader_options
    @click.option(
        "--format",
        "fmt",
        type=click.Choice(["table", *SUMMARY_FORMATS]),
        default="table",
        show_default=True,
        help="A readable table; one JSON list of {name, events, first, last}; or CSV.",
    )
    @click.option("--json", "as_json", is_flag=True, help="The same as --format json.")
    @click.pass_obj
    def command(
        obj: Context, known_at: str | None, reported_by: str | None, fmt: str, as_json: bool
    ) -> None:
        with reported(obj.debug), obj.open(reads=True) as tl:
            found = getattr(tl, plural)(known_at=known_at, reported_by=reported_by)
        if as_json:
            fmt = "json"
        if fmt in SUMMARY_FORMATS:
            click.echo(SUMMARY_FORMATS[fmt](found), nl=False)
        else:
            _echo_rows(
                (kind, "events", "first (UTC)", "last (UTC)"),
                [(s.name, str(s.events), minute(s.first), minute(s.last)) for s in found],
            )
            if not found:
                _echo(f"(no {plural})")

    command.__doc__ = f"""List the {plural} in the store, each with how many events name it
    and when the first and last of them occurred (UTC, as recorded; corrections and
    retractions are not counted on their own).

    \b
    Example:
        {example}
    """
    return main.command(plural)(command)


actors = _summary_command(
    "actor", "actors", "timeline --db sqlite:///incidents.db actors --format csv"
)
incidents = _summary_command(
    "incident", "incidents", "timeline --db sqlite:///incidents.db incidents --json"
)
types = _summary_command(
    "type", "types", "timeline --db sqlite:///incidents.db types --known-at 2017-06-19"
)


@main.command()
@db_option
@click.argument("actor")
@click.option(
    "--at",
    metavar="WHEN",
    help="The moment asked about (a date: all of that day; a time: that instant).",
)
@reader_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object, for scripts.")
@click.pass_obj
def state(
    obj: Context,
    actor: str,
    at: str | None,
    known_at: str | None,
    reported_by: str | None,
    as_json: bool,
) -> None:
    """Print ACTOR's attributes at a moment, as known at a moment.

    Without --at, after all of the actor's events. A date (2017-06-19, "June 19 2017")
    asks about the whole day (of --day-zone, UTC by default), a time ("2017-06-19 14:00
    +03:00") about that instant. "?" marks an attribute set by an event that may have
    happened just after the moment asked about, or by a claim that may have been
    reported just after --reported-by. Event types change attributes through their
    effects and the --templates file. --json prints {"actor", "at", "known_at",
    "values", "uncertain", "events_applied", "basis"}, with "at" and "known_at" as
    bounds: {"before": the end of the day asked} or {"by": the instant asked}; the basis
    is what the answer rests on: {"position", "known_at", "reported_by"}, each bound
    likewise or null.

    \b
    Example:
        timeline --templates examples/syria-2017-06.templates.json \\
            state Russia --at "June 19 2017" --known-at 2017-06-20
        timeline --templates examples/syria-2017-06.templates.json \\
            state Russia --at 2017-06-19 --reported-by 2017-06-18
        timeline state US --at "2017-06-19 14:00 +03:00" --json
    """
    with reported(obj.debug), obj.open(reads=True) as tl:
        answer = tl.state(actor, at=at, known_at=known_at, reported_by=reported_by)
        assert answer.basis is not None  # every answer of a Timeline carries its basis
        if as_json:
            click.echo(json.dumps(state_json(answer), ensure_ascii=False))
        else:
            asked = asked_at(at, default_tz=tl.default_tz, day_zone=tl.day_zone)
            _echo(
                f"{answer.actor} {asked}, {_asked_known(answer.basis, tl)}"
                f"{_asked_reported(answer.basis, tl)}: "
                f"{count(answer.events_applied, 'event')} applied"
            )
            _echo_state(answer)
        for problem in answer.problems:
            _echo(f"warning: {problem}", err=True)


def state_json(answer: timeline.State) -> dict[str, Any]:
    """Return what ``timeline state --json`` prints for a :class:`~timeline.State`."""
    assert answer.basis is not None  # every answer of a Timeline carries its basis
    return {
        "actor": answer.actor,
        "at": bound_json(answer.at),
        "known_at": bound_json(answer.known_at),
        "values": answer.to_dict(),
        "uncertain": sorted(answer.uncertain),
        "events_applied": answer.events_applied,
        "basis": basis_json(answer.basis),
    }


def basis_json(basis: timeline.Basis) -> dict[str, Any]:
    """Return a :class:`~timeline.Basis` as JSON: its position and its two bounds, each
    ``{"before": moment}`` (a date asked about is the exclusive end of its day),
    ``{"by": moment}`` (an instant) or ``None``.

    Example:
        >>> bound = (dt.datetime(2017, 6, 19, tzinfo=dt.UTC), False)
        >>> basis_json(timeline.Basis(17, reported_by=bound))
        {'position': 17, 'known_at': None, 'reported_by': {'before': '2017-06-19T00:00:00.000000Z'}}
    """
    return {
        "position": basis.position,
        "known_at": bound_json(basis.known_at),
        "reported_by": bound_json(basis.reported_by),
    }


@main.command()
@db_option
@click.argument("actor")
@click.argument("attribute", required=False)
@window_options("changes")
@reader_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object, for scripts.")
@click.pass_obj
def history(
    obj: Context,
    actor: str,
    attribute: str | None,
    since: str | None,
    until: str | None,
    known_at: str | None,
    reported_by: str | None,
    as_json: bool,
) -> None:
    """Print each change of ACTOR's attributes (or of ATTRIBUTE and below), in time order.

    Each change says when (UTC, to the event's precision), from what, to what, and by
    which event. --json prints {"actor", "attribute", "changes": [{"when", "precision",
    "attribute", "old", "new", "event": {"id", "type", "actor", "position"}}]}.

    \b
    Example:
        timeline --templates examples/syria-2017-06.templates.json history Russia cooperation
        timeline history US --since 2017-06-18 --until 2017-06-19 --json
        timeline history Russia --reported-by 2017-06-18
    """
    with reported(obj.debug), obj.open(reads=True) as tl:
        changes = tl.history(
            actor,
            attribute,
            since=since,
            until=until,
            known_at=known_at,
            reported_by=reported_by,
        )
    if as_json:
        click.echo(json.dumps(history_json(actor, attribute, changes), ensure_ascii=False))
        return
    rows = [
        (
            short_time(h.when, h.precision, tl.day_zone),
            h.precision,
            h.attribute,
            value_text(h.old, none="-"),
            value_text(h.new, none="-"),
            h.event.type,
            str(h.event.id),
        )
        for h in changes
    ]
    when = time_column("when", tl.day_zone)
    _echo_rows((when, "precision", "attribute", "from", "to", "event", "id"), rows)
    if not rows:
        _echo("(no changes)")


def history_json(
    actor: str, attribute: str | None, changes: Sequence[timeline.HistoryEntry]
) -> dict[str, Any]:
    """Return what ``timeline history --json`` prints."""
    return {
        "actor": actor,
        "attribute": attribute,
        "changes": [
            {
                "when": isoformat(h.when),
                "precision": h.precision,
                "attribute": h.attribute,
                "old": h.old,
                "new": h.new,
                "event": {
                    "id": str(h.event.id),
                    "type": h.event.type,
                    "actor": h.event.actor,
                    "position": h.event.position,
                },
            }
            for h in changes
        ],
    }


@main.command()
@db_option
@click.argument("event_id")
@click.option("--occurred-at", metavar="WHEN", help="When it really happened.")
@click.option(
    "--precision",
    type=click.Choice(timeline.PRECISIONS),
    help="Its precision (default: inferred from a new --occurred-at).",
)
@click.option("--type", "type_", metavar="TYPE", help="Its real type.")
@click.option("--actor", help="Who really did it.")
@click.option(
    "--target",
    "targets",
    multiple=True,
    help="Its real targets (repeatable; a name with a comma as a JSON list).",
)
@click.option("--no-targets", is_flag=True, help="It had no targets.")
@click.option("--data", "data_json", metavar="JSON", help="Its data (a JSON object, whole).")
@click.option("--effects", "effects_json", metavar="JSON", help="Its effects (JSON, whole).")
@click.option("--source", "source_json", metavar="JSON", help="Its source (JSON, whole).")
@click.option(
    "--reported-at",
    metavar="WHEN",
    help="When the correction became public (default: the --source's published_at, "
    "else when the store records it).",
)
@click.pass_obj
def correct(
    obj: Context,
    event_id: str,
    occurred_at: str | None,
    precision: str | None,
    type_: str | None,
    actor: str | None,
    targets: tuple[str, ...],
    no_targets: bool,
    data_json: str | None,
    effects_json: str | None,
    source_json: str | None,
    reported_at: str | None,
) -> None:
    """Record a correction of event EVENT_ID: the fields given replace its own.

    Nothing stored changes: the correction is a new event. Answers asked with --known-at
    before it was recorded, or --reported-by before it was reported (--reported-at),
    stay as they were; later ones use the corrected fields (a corrected --occurred-at
    moves the event in time). Of several corrections, the one reported last gives the
    fields; timeline revisions EVENT_ID lists them.

    \b
    Example:
        timeline correct 01900000-0000-7000-8000-000000000014 --occurred-at 2017-06-20 \\
            --reported-at 2017-06-21
    """
    if targets and no_targets:
        raise click.UsageError("give --target or --no-targets, not both")
    with reported(obj.debug):
        given: dict[str, Any] = {
            "occurred_at": occurred_at,
            "precision": precision,
            "type": type_,
            "actor": actor,
            "targets": () if no_targets else (_target_names(targets) or None),
            "data": _json_option(data_json, "data"),
            "effects": _json_option(effects_json, "effects"),
            "source": _json_option(source_json, "source"),
        }
        fields = {name: value for name, value in given.items() if value is not None}
        if not fields:
            raise click.UsageError(
                "say what to correct: --occurred-at, --precision, --type, --actor, "
                "--target, --no-targets, --data, --effects or --source"
            )
        with obj.open() as tl:
            fix = tl.correct(event_id, reported_at=reported_at, **fields)
        _echo(
            f"recorded correction {fix.id} of {fix.corrects}: position {fix.position}, "
            f"{fix.type} by {fix.actor}, occurred {isoformat(fix.occurred_at)} ({fix.precision})"
            f"{_reported_text(fix)}"
        )


@main.command()
@db_option
@click.argument("event_id")
@click.option("--reason", required=True, help="Why the event should not have been recorded.")
@click.option(
    "--reported-at",
    metavar="WHEN",
    help="When the retraction became public (default: when the store records it).",
)
@click.pass_obj
def retract(obj: Context, event_id: str, reason: str, reported_at: str | None) -> None:
    """Record that event EVENT_ID should not have been: answers from now on leave it out.

    Nothing stored changes: the retraction is a new event. Answers asked with --known-at
    before it was recorded, or --reported-by before it was reported (--reported-at),
    still include the event. EVENT_ID may name one correction of an event: retracting
    it undoes that correction alone, and the event goes back to the form it had
    without it.

    \b
    Example:
        timeline retract 01900000-0000-7000-8000-000000000011 \\
            --reason "coalition officials would not say whether Iran launched the drone"
    """
    with reported(obj.debug), obj.open() as tl:
        retraction = tl.retract(event_id, reason, reported_at=reported_at)
        _echo(
            f"recorded retraction {retraction.id} of {retraction.retracts}: "
            f"position {retraction.position}{_reported_text(retraction)}"
        )


@main.command()
@db_option
@click.argument("event_id")
@reader_options
@click.option("--json", "as_json", is_flag=True, help="Print one JSON list, for scripts.")
@click.pass_obj
def revisions(
    obj: Context,
    event_id: str,
    known_at: str | None,
    reported_by: str | None,
    as_json: bool,
) -> None:
    """Print every form the claim EVENT_ID took: as recorded, then each correction,
    retracted correction or retraction, in the order they were reported.

    EVENT_ID may be the event's or one of its corrections'. Each row gives the change,
    when it was reported (UTC, to its precision), when the store recorded it, the id of
    the event that made it, and the claim's fields that it changed (all of them for the
    first row), or "(retracted)". --json prints a list of {"change", "reported_at",
    "reported_precision", "recorded_at", "by", "reason", "event"}, where "event" is the
    claim after the change, in the form export writes (null once retracted).

    \b
    Example:
        timeline --db sqlite:///incidents.db revisions 01900000-0000-7000-8000-000000000009
        timeline revisions 01900000-0000-7000-8000-000000000009 --reported-by 2017-06-19 --json
    """
    with reported(obj.debug), obj.open(reads=True) as tl:
        found = tl.revisions(event_id, known_at=known_at, reported_by=reported_by)
        if as_json:
            click.echo(json.dumps(revisions_json(found), ensure_ascii=False))
            return
        first = found[0].by
        _echo(
            f"Revisions of {first.id} ({first.type} by {first.actor}), "
            f"{_asked_known(found.basis, tl)}{_asked_reported(found.basis, tl)}:"
        )
    rows = []
    before: timeline.RecordedEvent | None = None
    for revision in found:
        start, precision = revision.reported
        rows.append(
            (
                revision.change,
                f"{short_time(start, precision)} ({precision})",
                isoformat(revision.recorded_at),
                str(revision.by.id),
                _claim_text(revision, before),
            )
        )
        before = revision.event
    _echo_rows(("change", "reported (UTC)", "recorded_at (UTC)", "by", "claim"), rows)


def revisions_json(found: Sequence[timeline.Revision]) -> list[dict[str, Any]]:
    """Return what ``timeline revisions --json`` prints."""
    return [
        {
            "change": revision.change,
            "reported_at": isoformat(revision.reported[0]),
            "reported_precision": revision.reported[1],
            "recorded_at": isoformat(revision.recorded_at),
            "by": str(revision.by.id),
            "reason": revision.by.data.get("reason") if revision.by.retracts else None,
            "event": None if revision.event is None else event_to_record(revision.event),
        }
        for revision in found
    ]


CLAIM_FIELDS = tuple(name for name in timeline.CORRECTABLE if name != "precision")
"""The fields of a claim that ``timeline revisions`` shows, in this order (the precision
is shown with ``occurred_at``)."""


def _claim_text(revision: timeline.Revision, before: timeline.RecordedEvent | None) -> str:
    """The claim after ``revision``: the fields that differ from ``before`` (every one
    with a value, for the first form), ``(retracted: REASON)``, or ``(no change)``."""
    claim = revision.event
    if claim is None:
        reason = revision.by.data.get("reason") if revision.by.retracts else None
        return f"(retracted: {reason})" if reason else "(retracted)"
    shown = []
    for name in CLAIM_FIELDS:
        value = _claim_field(claim, name)
        if before is None:
            if name == "source" or value in ("", "-", "{}"):
                continue  # the first form: what it says, without its empty fields
        elif value == _claim_field(before, name):
            continue
        shown.append(f"{name}: {value}")
    return "; ".join(shown) or "(no change)"


def _claim_field(event: timeline.RecordedEvent, name: str) -> str:
    if name == "occurred_at":
        return f"{short_time(event.occurred_at, event.precision)} ({event.precision})"
    if name == "targets":
        return ", ".join(event.targets) or "-"
    value = getattr(event, name)
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


@main.group()
def report() -> None:
    """Reports over the timeline: sequences of events.

    \b
    Example:
        timeline report sequence shootdown:actor cooperation_suspended:targets \\
            aircraft_repositioned:actor --within 3d
    """


STEP_HELP = """Each STEP is [!]TYPE[|TYPE...][:KEY[+KEY...]][/MAX_GAP]: the event type (several
joined by | take any of them: airstrike|drone_strike); the field that ties
it to the other steps (incident, actor, targets, type, precision or data.<path>; default
incident; several joined by + make a composite key); the largest time since the step
before (3d, 12h, 90m). A leading ! makes the step an absence: no such event, same key,
between the steps around it."""


def parse_step(text: str) -> timeline.Step:
    """Return the Step that a command-line STEP names (see ``report sequence --help``).

    Example:
        >>> step = parse_step("!cooperation_restored:targets")
        >>> (step.type, step.key, step.max_gap, step.absent)
        ('cooperation_restored', ('targets',), None, True)
        >>> parse_step("aircraft_repositioned:actor/2d").max_gap.days
        2
        >>> parse_step("airstrike|drone_strike:actor").types
        ('airstrike', 'drone_strike')
    """
    absent = text.startswith("!")
    body = text[1:] if absent else text
    body, slash, gap = body.partition("/")
    types, colon, key = body.partition(":")
    # A ':' or '/' with nothing after it is refused by Step, not read as no key or gap.
    fields = tuple(key.split("+")) if colon else ("incident",)
    return timeline.Step(
        types.split("|"),
        key=fields if len(fields) > 1 else fields[0],
        max_gap=gap if slash else None,
        absent=absent,
    )


def _where_option(values: tuple[str, ...], count: int) -> dict[int, dict[str, Any]]:
    found: dict[int, dict[str, Any]] = {}
    for value in values:
        number, colon, condition = value.partition(":")
        field, equals, raw = condition.partition("=")
        if not (colon and equals and number.isdigit() and 1 <= int(number) <= count and field):
            raise click.BadParameter(
                f"{value!r}: write N:FIELD=VALUE with N a step number from 1 to {count}",
                param_hint="--where",
            )
        found.setdefault(int(number) - 1, {})[field] = _where_value(raw, field)
    return found


def _target_names(values: tuple[str, ...]) -> tuple[str, ...]:
    """The names given by ``--target`` (repeatable): each value one name, or a JSON list
    of names (``'["Korea, Republic of"]'``). A value with a comma or ``;`` that is no
    list is refused, as a CSV cell is: ``US;Iraq`` may be two names or one, and stored
    as one actor it would be missing from each one's answers."""
    names: list[str] = []
    for value in values:
        if value.lstrip().startswith("["):
            names.extend(parse_json(value, field="targets"))  # the event checks each name
        elif "," in value or ";" in value:
            mark = "a comma" if "," in value else "';'"
            raise timeline.InvalidEventError(
                "targets",
                f"{value!r} holds {mark}: give --target once per name, or a JSON list "
                f"for one name that holds it: --target {shlex.quote(json.dumps([value]))}",
            )
        else:
            names.append(value)
    return tuple(names)


def _where_value(raw: str, field: str) -> Any:
    """A --where VALUE: JSON when it reads as JSON (1, true, ["US"]), else the text. A
    name (incident, actor, type, precision, a target) is always text, so that an actor
    named 1917 is found; ``targets`` also takes a JSON list of names."""
    if field in ("incident", "actor", "type", "precision") or (
        field == "targets" and not raw.lstrip().startswith("[")
    ):
        return raw
    try:
        return parse_json(raw, field="--where")
    except timeline.InvalidEventError as e:
        if not isinstance(e.__cause__, json.JSONDecodeError):
            raise
        return raw  # not JSON: the text itself


def _where_fields(values: tuple[str, ...]) -> dict[str, Any] | None:
    """The conditions of ``events --where FIELD=VALUE`` (repeatable); ``None`` if none."""
    found: dict[str, Any] = {}
    for value in values:
        field, equals, raw = value.partition("=")
        if not (equals and field):
            raise click.BadParameter(f"{value!r}: write FIELD=VALUE", param_hint="--where")
        found[field] = _where_value(raw, field)
    return found or None


@report.command("sequence", epilog=STEP_HELP)
@db_option
@click.argument("steps", nargs=-1, required=True, metavar="STEP...")
@click.option("--within", metavar="DURATION", help="Largest span from first to last step: 3d, 12h.")
@click.option("--by", "by_fields", metavar="FIELD[+FIELD]", help="Key fields shared by every step.")
@click.option(
    "--until",
    "until_step",
    metavar="TYPE[:KEY]",
    help="An event that discards pending partial matches.",
)
@click.option(
    "--where",
    "wheres",
    multiple=True,
    metavar="N:FIELD=VALUE",
    help="Narrow step N (from 1, every STEP as written, absences too, where the "
    "report's 'step N' counts the steps that take events): data.aircraft=Su-22; "
    "targets=US means among the targets. Repeatable.",
)
@reader_options
@click.option(
    "--certain-only",
    is_flag=True,
    help="Accept only steps whose order, --within and max_gap are certain despite imprecise times.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(REPORT_FORMATS)),
    default="text",
    show_default=True,
    help="How to print the report.",
)
@click.pass_obj
def report_sequence(
    obj: Context,
    steps: tuple[str, ...],
    within: str | None,
    by_fields: str | None,
    until_step: str | None,
    wheres: tuple[str, ...],
    known_at: str | None,
    reported_by: str | None,
    certain_only: bool,
    fmt: str,
) -> None:
    """Find each STEP, then the next, ...: every match with its key, gaps and span.

    The matching is Elastic EQL's sequence for exact times; events whose times are
    imprecise may stand in either order, or further apart than --within or a max_gap,
    and such matches are flagged (see the README), as are matches holding a claim that
    may have been reported just after --reported-by.

    \b
    Example:
        timeline report sequence shootdown:actor cooperation_suspended:targets \\
            aircraft_repositioned:actor --within 3d --format markdown
        timeline report sequence cooperation_suspended:targets \\
            '!cooperation_restored:actor' aircraft_repositioned:actor/2d
    """
    with reported(obj.debug):
        parsed = _where_steps([parse_step(text) for text in steps], wheres)
        by = None if by_fields is None else tuple(by_fields.split("+"))
        until = None if until_step is None else parse_step(until_step)
        with obj.open(reads=True) as tl:
            found = tl.sequence(
                parsed,
                by=by,
                within=within,
                until=until,
                known_at=known_at,
                reported_by=reported_by,
                certain_only=certain_only,
            )
        click.echo(REPORT_FORMATS[fmt](found), nl=False)


@main.command()
@db_option
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The file to write (replaced if it exists): FILE.html, a page that holds the "
    "picture, or FILE.svg, the picture alone.",
)
@click.option("--actor", "actors", multiple=True, help="One lane for this actor (repeatable).")
@click.option("--incident", help="Only this incident's events.")
@window_options("events")
@reader_options
@click.option(
    "--band",
    "bands",
    multiple=True,
    metavar="ATTRIBUTE",
    help="Draw this attribute's values as a band on each lane that has it, e.g. "
    "cooperation.US (repeatable; needs --templates or effects).",
)
@click.option(
    "--step",
    "steps",
    multiple=True,
    metavar="STEP",
    help="A step of a sequence to draw, written as for report sequence (repeatable, in order).",
)
@click.option("--within", metavar="DURATION", help="The sequence's largest span: 3d, 12h.")
@click.option("--by", "by_fields", metavar="FIELD[+FIELD]", help="The sequence's shared key.")
@click.option(
    "--where",
    "wheres",
    multiple=True,
    metavar="N:FIELD=VALUE",
    help="Narrow sequence step N, as for report sequence. Repeatable.",
)
@click.option("--title", help="The chart's heading (default: the incident).")
@click.pass_obj
def chart(
    obj: Context,
    output: Path,
    actors: tuple[str, ...],
    incident: str | None,
    since: str | None,
    until: str | None,
    known_at: str | None,
    reported_by: str | None,
    bands: tuple[str, ...],
    steps: tuple[str, ...],
    within: str | None,
    by_fields: str | None,
    wheres: tuple[str, ...],
    title: str | None,
) -> None:
    """Draw the timeline into one self-contained HTML page or SVG picture.

    One lane per actor (every actor, or those given with --actor); each event a mark at
    its moment or, when its time is imprecise, a bar across its hour, day or month; type
    and targets as a label, and on hover the time as written and the source quote.
    --band draws an attribute's values from history (active, then suspended) on each
    lane; --step draws the matches of a sequence (as report sequence finds them with
    --within, --by and --where) as connected marks, dashed when the order is uncertain.
    With more than 400 events, lanes show counts per time bin, and the chart says so.
    --known-at and --reported-by draw what was known (or public) then: events, bands and
    the sequence all on that one knowledge. The file opens in any browser without network.

    \b
    Example:
        timeline --db sqlite:///incidents.db --templates examples/syria-2017-06.templates.json \\
            chart -o syria.html --actor US --actor Russia --actor Syria \\
            --since 2017-06-17 --until 2017-06-20 --band cooperation.US \\
            --step shootdown:actor --step cooperation_suspended:targets \\
            --step aircraft_repositioned:actor --within 3d
    """
    with reported(obj.debug), obj.open(reads=True) as tl:
        if not steps and (within or by_fields or wheres):
            raise click.UsageError("--within, --by and --where need at least one --step")
        # One view, so that the sequence and the picture rest on the same knowledge.
        view = tl.as_of(known_at, reported_by)
        report = None
        if steps:
            parsed = _where_steps([parse_step(text) for text in steps], wheres)
            by = None if by_fields is None else tuple(by_fields.split("+"))
            report = view.sequence(parsed, by=by, within=within)
        view.chart(
            output,
            actors=actors or None,
            incident=incident,
            since=since,
            until=until,
            bands=bands,
            sequence=report,
            title=title,
        )
    matches = "" if report is None else f", {count(len(report.matches), 'sequence match', 'es')}"
    _echo(f"wrote the chart to {output}{matches}; open it in a browser")


def _where_steps(parsed: list[timeline.Step], wheres: tuple[str, ...]) -> list[timeline.Step]:
    """The steps with the --where conditions added, as report sequence reads them."""
    for index, where in _where_option(wheres, len(parsed)).items():
        step = parsed[index]
        parsed[index] = timeline.Step(
            step.types, key=step.key, where=where, max_gap=step.max_gap, absent=step.absent
        )
    return parsed


@main.command()
@db_option
@click.option(
    "--deep",
    is_flag=True,
    help="Also check the database's own pages and indexes (SQLite: PRAGMA integrity_check; "
    "PostgreSQL: amcheck, when installed).",
)
@click.option(
    "--anchor",
    "anchor_texts",
    metavar="N:HASH",
    multiple=True,
    help="A head kept elsewhere (as timeline head prints it): the store must still extend "
    "it, with the same hash at position N. May be given several times.",
)
@click.option(
    "--anchors",
    "anchors_file",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A file of N:HASH lines (as timeline head --append writes them), each an anchor.",
)
@click.pass_obj
def verify(
    obj: Context, deep: bool, anchor_texts: tuple[str, ...], anchors_file: Path | None
) -> None:
    """Check the hash chain, the actor index and the snapshots; exit 1 naming what fails.

    Each problem is one line: the first event that does not verify (its position, the
    field and why), each actor index row and each snapshot that does not match the events.
    The chain alone cannot tell a store whose owner rewrote a value and recomputed every
    hash after it: an anchor kept elsewhere (--anchor, --anchors) can. A database without
    timeline's schema is an error (a mistyped --db), not an empty store that verifies.

    \b
    Example:
        timeline --db postgresql://auditor@db.example/incidents verify --anchors heads.txt
    """
    with reported(obj.debug):
        anchors = [timeline.parse_anchor(text) for text in anchor_texts]
        if anchors_file is not None:
            anchors += timeline.read_anchors(anchors_file)
        with obj.open(reads=True) as tl:
            result = tl.verify(deep=deep, anchors=anchors)
    _echo(str(result))
    if not result.ok:
        sys.exit(1)


@main.command()
@db_option
@click.option(
    "--append",
    "append_to",
    metavar="FILE",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also append the line, with the time and the store, to FILE (an anchors file for "
    "timeline verify --anchors); keep it outside the database.",
)
@click.pass_obj
def head(obj: Context, append_to: Path | None) -> None:
    """Print the newest event's position and hash as N:HASH: an anchor for verify.

    \b
    Example:
        timeline --db sqlite:///incidents.db head --append ~/incident-heads.txt
    """
    with reported(obj.debug):
        with obj.open(reads=True) as tl:
            found = tl.head()
            url = tl.url
        _echo(timeline.anchor_line(found))
        if append_to is not None:
            now = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            with append_to.open("a", encoding="utf-8") as file:
                file.write(timeline.anchor_line(found, note=f"{now} {url}") + "\n")


@main.command()
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("timeline-demo.db"),
    show_default=True,
    help="The SQLite file to load the example into (replaced if it holds an earlier demo).",
)
@click.pass_obj
def demo(obj: Context, out: Path) -> None:
    """Load the June 2017 Syria example into a fresh SQLite file and show what it tells.

    The example's reports are loaded in one append, in the article's own (scrambled)
    order, each with the day it was reported (made public). The demo then shows them in
    the order they happened, the status of Russia, the US and Syria on three dates, the
    sequence shootdown -> cooperation suspended -> repositioning, and an answer that
    differs with --reported-by (Russia's cooperation with the US on June 19, as reported
    by June 18 and by June 19), with the command to ask it yourself. It draws the chart
    of the US, Russia and Syria beside the SQLite file (timeline-demo.chart.html for the
    default --out) and says where.

    \b
    Example:
        timeline demo --out /tmp/syria.db
    """
    with reported(obj.debug):
        for line in demo_lines(out):
            _echo(line)


@contextmanager
def _progress(label: str) -> Iterator[Callable[[int, int], None] | None]:
    """A progress bar on standard error when it is a terminal, as an ``on_progress(done,
    total)`` for the API; otherwise ``None`` (so that the file is not counted)."""
    if not sys.stderr.isatty():
        yield None
        return
    bar: Any = None

    def advance(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = click.progressbar(length=total, label=printable(label), file=sys.stderr)
            bar.__enter__()
        bar.update(done - bar.pos)

    try:
        yield advance
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)


@contextmanager
def _copy_progress() -> Iterator[Callable[[int, int], None]]:
    """Report a copy's progress on standard error: on a terminal one line rewritten after
    each page, elsewhere (a log) a line at each tenth of the way."""
    terminal = sys.stderr.isatty()
    shown = -1

    def report(done: int, total: int) -> None:
        nonlocal shown
        line = f"copied {done:,} of {total:,} events"
        if terminal:
            click.echo(f"\r{line}", err=True, nl=False)
            shown = done
            return
        tenth = done * 10 // total if total else 10
        if tenth > shown:
            click.echo(line, err=True)
            shown = tenth

    try:
        yield report
    finally:
        if terminal and shown >= 0:
            click.echo(err=True)


def _head_text(head: tuple[int, str]) -> str:
    position, digest = head
    return f"position {position}, hash {digest}" if position else "position 0 (empty)"


def _echo_state(answer: timeline.State) -> None:
    """Print a state as a table, with the note that explains its "?" marks."""
    rows = [
        (path, value_text(value, none="-"), "?" if path in answer.uncertain else "")
        for path, value in answer.items()
    ]
    if not rows:
        _echo("(no attributes)")
        return
    _echo_rows(("attribute", "value", ""), rows)
    if answer.uncertain:
        note = "? set by an event that may have happened just after the moment asked about"
        if answer.basis is not None and answer.basis.reported_by is not None:
            note += ",\n  or that may have been reported just after the reported bound"
        _echo(note)


def _asked_known(basis: timeline.Basis, tl: timeline.Timeline) -> str:
    """What ``--known-at`` asked, as the answer's basis bounds it."""
    if basis.known_at is None:
        return "as known now"
    return f"as known {bound_text(basis.known_at, tl.day_zone)}"


def _asked_reported(basis: timeline.Basis, tl: timeline.Timeline) -> str:
    """``, from claims reported by ...`` for a --reported-by bound; nothing without one."""
    if basis.reported_by is None:
        return ""
    return f", from claims reported {bound_text(basis.reported_by, tl.day_zone)}"


def _reported_text(event: timeline.RecordedEvent) -> str:
    """``, reported WHEN (PRECISION)`` for an event given a reported time; else nothing."""
    if event.reported_at is None:
        return ""
    start, precision = event.reported
    return f", reported {isoformat(start)} ({precision})"


def _echo_table(
    found: Iterable[timeline.RecordedEvent],
    *,
    corrections: bool = False,
    day_zone: dt.tzinfo | None = None,
) -> None:
    for line in events_table(found, corrections=corrections, day_zone=day_zone):
        _echo(line)


def _echo(text: str = "", *, err: bool = False, nl: bool = True, lines: bool = True) -> None:
    """Print text for a person: control characters and bidirectional controls escaped
    (see :func:`~timeline.text.printable`); ``lines=False`` escapes line breaks too, for
    a message that must stay one line. JSON and CSV are printed with ``click.echo``."""
    click.echo(printable(text, lines=lines), err=err, nl=nl)


def _echo_rows(header: Sequence[str], given: Sequence[Sequence[str]], indent: str = "") -> None:
    for line in table(header, given, indent):
        _echo(line)


def _json_option(text: str | None, field: str) -> Any:
    return None if text is None else parse_json(text, field=field)


def _shown(url: str | None) -> str:
    return timeline.display_url(url or timeline.default_url())


if __name__ == "__main__":  # pragma: no cover
    main()
