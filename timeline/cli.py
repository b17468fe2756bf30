"""The ``timeline`` command: a thin client of the public API.

Every command calls public methods and turns a :class:`~timeline.errors.TimelineError`
into one line on standard error and exit status 1 (2 for usage mistakes), without a
traceback unless ``--debug`` is given.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import click

import timeline
from timeline.events import event_content, event_from_dict
from timeline.times import isoformat


class Context:
    """What the group's options hand to each command."""

    def __init__(self, db: str | None, default_tz: str | None, debug: bool) -> None:
        self.db = db
        self.default_tz = default_tz
        self.debug = debug

    def open(self) -> timeline.Timeline:
        """Open the timeline the options name."""
        return timeline.open(self.db, default_tz=self.default_tz)


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


@contextmanager
def reported(debug: bool) -> Iterator[None]:
    """Turn library errors into one clean line and exit status 1."""
    try:
        yield
    except timeline.TimelineError as e:
        if debug:
            raise
        click.echo(f"error: {e}", err=True)
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
    help="Zone for times written without an offset, e.g. Asia/Damascus. "
    "Without it such times are refused.",
)
@click.option("--debug", is_flag=True, help="Show the full traceback of an error.")
@click.version_option(timeline.__version__, prog_name="timeline")
@click.pass_context
def main(ctx: click.Context, db: str | None, default_tz: str | None, debug: bool) -> None:
    """Incident timelines as immutable events in SQLite or PostgreSQL.

    \b
    Example:
        timeline demo
        timeline --db sqlite:///incidents.db record shootdown US 2017-06-18 \\
            --incident syria-2017-06 --target Syria
    """
    ctx.obj = Context(db, default_tz, debug)


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
        click.echo(f"{_shown(obj.db)} is at schema revision {revision} (newest)")


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
        click.echo(f"{_shown(obj.db)} is at schema revision {revision} (newest)")
        return
    state = "has no timeline schema" if revision is None else f"is at schema revision {revision}"
    click.echo(f"{_shown(obj.db)} {state}; newest is {head}: run timeline db upgrade", err=True)
    sys.exit(1)


@main.command()
@db_option
@click.argument("type")
@click.argument("actor")
@click.argument("when")
@click.option("--incident", required=True, help="The incident (stream) the event belongs to.")
@click.option("--target", "targets", multiple=True, help="An actor it was done to (repeatable).")
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
) -> None:
    """Record one event: TYPE done by ACTOR at WHEN.

    WHEN is written as people write it: 2017-06-19, "June 19 2017", "2017-06",
    "2017-06-18 18:43 +03:00". Prints the event as stored.

    \b
    Example:
        timeline record cooperation_suspended Russia 2017-06-19 \\
            --incident syria-2017-06 --target US --quote "Russia said it would now end co-operation"
    """
    source = {"quote": quote, "title": source_title, "url": source_url}
    with reported(obj.debug), obj.open() as tl:
        recorded = tl.record(
            type,
            actor,
            when,
            incident=incident,
            targets=targets,
            precision=precision,
            data=_json_option(data_json, "data"),
            effects=_json_option(effects_json, "effects"),
            source={k: v for k, v in source.items() if v is not None},
            id=event_id,
            expected_version=expected_version,
        )
        click.echo(
            f"recorded {recorded.id}: {recorded.incident} version {recorded.version}, "
            f"position {recorded.position}, occurred {isoformat(recorded.occurred_at)} "
            f"({recorded.precision})"
        )


@main.command()
@db_option
@click.option("--incident", help="Only this incident.")
@click.option("--actor", help="Only events naming this actor (as actor, target or in effects).")
@click.option("--type", "types", multiple=True, help="Only this type (repeatable).")
@click.option("--since", metavar="WHEN", help="Only events that occurred at or after WHEN.")
@click.option(
    "--until", metavar="WHEN", help="Only events that occurred by WHEN (a date: all of it)."
)
@click.option("--known-at", metavar="WHEN", help="Only events recorded by WHEN.")
@click.option("--after-position", type=int, default=0, help="Only events after this position.")
@click.option("--limit", type=int, help="At most this many events.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "jsonl"]),
    default="table",
    show_default=True,
    help="A readable table, or one JSON object per line for scripts.",
)
@click.pass_obj
def events(
    obj: Context,
    incident: str | None,
    actor: str | None,
    types: tuple[str, ...],
    since: str | None,
    until: str | None,
    known_at: str | None,
    after_position: int,
    limit: int | None,
    fmt: str,
) -> None:
    """List stored events in the order they were recorded.

    \b
    Example:
        timeline events --actor Russia --since 2017-06-19 --format jsonl
    """
    with reported(obj.debug), obj.open() as tl:
        found = tl.events(
            incident=incident,
            actor=actor,
            type=types or None,
            since=since,
            until=until,
            known_at=known_at,
            after_position=after_position,
            limit=limit,
        )
        if fmt == "jsonl":
            for event in found:
                click.echo(json.dumps(_as_json(event), ensure_ascii=False))
        else:
            _echo_table(found)


@main.command()
@db_option
@click.pass_obj
def verify(obj: Context) -> None:
    """Check every stored event against the hash chain; exit 1 naming the first bad one.

    \b
    Example:
        timeline --db postgresql://auditor@db.example/incidents verify
    """
    with reported(obj.debug), obj.open() as tl:
        result = tl.verify()
    click.echo(str(result))
    if not result.ok:
        sys.exit(1)


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
    """Load the June 2017 Syria example into a fresh SQLite file and show what it holds.

    The article reports events late and out of order; the demo records them in the
    article's order and reads them back in the order they happened.

    \b
    Example:
        timeline demo --out /tmp/syria.db
    """
    with reported(obj.debug):
        _fresh_demo_file(out)
        with timeline.open(f"sqlite:///{out}") as tl:
            lines = demo_data().read_text(encoding="utf-8").splitlines()
            recorded = tl.append(event_from_dict(json.loads(line)) for line in lines if line)
            click.echo(
                f"Recorded {len(recorded)} events of the seed article into {out}, "
                "in the article's own (scrambled) order.\n"
            )
            click.echo("In the order they happened (valid time, UTC; precision shown):")
            _echo_table(sorted(tl.events(), key=lambda e: (e.occurred_at, e.position)))
            click.echo("\nEvents that name Russia, on or after 2017-06-19:")
            _echo_table(tl.events(actor="Russia", since="2017-06-19"))
            click.echo(f"\nHash chain: {tl.verify()}")
            click.echo(f"\nTry: timeline --db sqlite:///{out} events --actor US")


def demo_data() -> Path:
    """Return the path of the seed example (examples/syria-2017-06.jsonl)."""
    installed = Path(str(resources.files("timeline"))) / "_examples" / "syria-2017-06.jsonl"
    if installed.is_file():
        return installed
    return Path(__file__).resolve().parent.parent / "examples" / "syria-2017-06.jsonl"


def _fresh_demo_file(out: Path) -> None:
    if not out.exists():
        return
    with timeline.open(f"sqlite:///{out}") as tl:
        incidents = {e.incident for e in tl.events()}
    if incidents - {"syria-2017-06"}:
        raise timeline.InvalidEventError(
            "--out", f"{out} holds other incidents than the demo's; choose another file"
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{out}{suffix}").unlink(missing_ok=True)


def _echo_table(found: Iterable[timeline.RecordedEvent]) -> None:
    rows = [
        (
            str(e.position),
            isoformat(e.occurred_at)[:16].replace("T", " "),
            e.precision,
            e.type,
            e.actor,
            ", ".join(e.targets),
        )
        for e in found
    ]
    header = ("pos", "occurred_at (UTC)", "precision", "type", "actor", "targets")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
    if not rows:
        click.echo("(no events)")


def _as_json(event: timeline.RecordedEvent) -> dict[str, Any]:
    return {
        **event_content(event),
        "version": event.version,
        "position": event.position,
        "recorded_at": isoformat(event.recorded_at),
        "hash": event.hash,
    }


def _json_option(text: str | None, field: str) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise timeline.InvalidEventError(field, f"is not valid JSON: {e.msg}") from e


def _shown(url: str | None) -> str:
    from timeline.api import default_url
    from timeline.store import display_url

    return display_url(url or default_url())


if __name__ == "__main__":  # pragma: no cover
    main()
