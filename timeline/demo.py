"""The demo: the June 2017 Syria example loaded into a fresh SQLite file, and what it
tells (``timeline demo``).

:func:`run` does the work and returns the lines to print; the ``timeline demo`` command
only prints them. The seed is ``examples/syria-2017-06.jsonl`` with the effect templates
of ``examples/syria-2017-06.templates.json`` (both shipped in the wheel, see
:func:`demo_file`).
"""

from __future__ import annotations

import shlex
import shutil
import sys
from collections.abc import Iterator, Sequence
from importlib import resources
from pathlib import Path

import timeline
from timeline.text import count, events_table, table, value_text

DEMO_INCIDENT = "syria-2017-06"
DEMO_ACTORS = ("Russia", "US", "Syria")
DEMO_DATES = ("2017-06-17", "2017-06-19", "2017-06-21")

DEMO_SEQUENCE = (
    timeline.Step("shootdown", key="actor"),
    timeline.Step("cooperation_suspended", key="targets"),
    timeline.Step("aircraft_repositioned", key="actor"),
)

DEMO_CHART_ACTORS = ("US", "Russia", "Syria")
DEMO_CHART_SINCE, DEMO_CHART_UNTIL = "2017-06-17", "2017-06-20"
DEMO_CHART_BANDS = ("cooperation.US", "cooperation.Russia")

DEMO_SUSPENSION_DAY = "2017-06-19"
"""The day Russia suspended cooperation with the US, and announced it."""
DEMO_REPORTED_BY = ("2017-06-18", "2017-06-19")


def run(out: Path) -> Iterator[str]:
    """Load the seed into the SQLite file ``out`` (replaced if it holds an earlier demo)
    and yield, line by line, what the demo shows; the chart is written beside ``out``.

    Raises:
        InvalidEventError: ``out`` holds other incidents than the demo's (field
            ``--out``).

    Example:
        >>> import pathlib, tempfile
        >>> out = pathlib.Path(tempfile.mkdtemp()) / "demo.db"
        >>> next(run(out)) == f"Loaded the June 2017 Syria example into {out} in one append:"
        True
    """
    _fresh_demo_file(out)
    templates = demo_file("syria-2017-06.templates.json")
    url = f"sqlite:///{out}"
    with timeline.open(url) as tl:
        tl.define_file(templates)
        loaded = tl.import_file(demo_data())
        yield f"Loaded the June 2017 Syria example into {out} in one append:"
        yield (
            f"{count(loaded.stored, 'event')}, in the article's own (scrambled) order, "
            "each with the day it was reported."
        )
        yield (
            "\nIn the order they happened (valid time, UTC; precision shown; reported:"
            " when the claim\nbecame public):"
        )
        yield from events_table(sorted(tl.events(), key=lambda e: (e.occurred_at, e.position)))
        yield f"\nStatus of {', '.join(DEMO_ACTORS)} on each day (UTC), by the templates"
        yield f"in {templates.name} (? = may have happened after that day):"
        yield from _status(tl, DEMO_ACTORS, DEMO_DATES)
        yield from _sequence_report(tl)
        yield from _reported_by(tl, url, templates)
        picture = demo_chart(tl, out.with_name(out.stem + ".chart.html"))
        yield f"\nHash chain: {tl.verify()}"
    base = f"{_program()} --db {shlex.quote(url)}"
    with_templates = f"{base} --templates {shlex.quote(str(templates))}"
    yield "\nTry:"
    yield f'  {with_templates} state US --at "June 19 2017"'
    yield f"  {with_templates} history Russia cooperation"
    yield f"  {base} events --actor US"
    yield (
        f"\nChart: wrote {picture} (open it in a browser): {', '.join(DEMO_CHART_ACTORS)}"
        f" from {DEMO_CHART_SINCE} to {DEMO_CHART_UNTIL}, the cooperation bands and the"
        " sequence match."
    )


def demo_file(name: str) -> Path:
    """Return the path of a file of the seed example: the installed copy, else examples/.

    ``name`` is ``syria-2017-06.jsonl`` (the events) or ``syria-2017-06.templates.json``.

    Example:
        >>> demo_file("syria-2017-06.jsonl").is_file()
        True
    """
    installed = Path(str(resources.files("timeline"))) / "_examples" / name
    if installed.is_file():
        return installed
    return Path(__file__).resolve().parent.parent / "examples" / name


def demo_data() -> Path:
    """Return the path of the seed example (examples/syria-2017-06.jsonl).

    Example:
        >>> demo_data().name
        'syria-2017-06.jsonl'
    """
    return demo_file("syria-2017-06.jsonl")


def _status(tl: timeline.Timeline, actors: Sequence[str], dates: Sequence[str]) -> list[str]:
    """Return the lines of a table of one row per (actor, attribute) and one column per
    date."""
    states = {(actor, day): tl.state(actor, at=day) for actor in actors for day in dates}
    rows = []
    for actor in actors:
        paths = sorted({path for day in dates for path in states[actor, day]})
        for path in paths:
            cells = []
            for day in dates:
                answer = states[actor, day]
                mark = "?" if path in answer.uncertain else ""
                cells.append(value_text(answer.get(path), none="-") + mark)
            rows.append((actor, path, *cells))
    return table(("actor", "attribute", *dates), rows)


def demo_chart(tl: timeline.Timeline, path: Path) -> Path:
    """Write the seed's chart (as examples/make_chart.py draws it) to ``path``; return it.

    The US, Russia and Syria from June 17 to 20, 2017, the cooperation bands, and the
    sequence shootdown -> cooperation suspended -> repositioning.
    """
    tl.chart(
        path,
        actors=DEMO_CHART_ACTORS,
        incident=DEMO_INCIDENT,
        since=DEMO_CHART_SINCE,
        until=DEMO_CHART_UNTIL,
        bands=DEMO_CHART_BANDS,
        sequence=tl.sequence(DEMO_SEQUENCE, within="3d"),
        title="syria-2017-06: the US, Russia and Syria, 17–20 June 2017",
    )
    return path


def _sequence_report(tl: timeline.Timeline) -> Iterator[str]:
    """Yield the lines of the report shootdown -> cooperation_suspended ->
    aircraft_repositioned.

    Keyed on the US: ``shootdown.actor`` -> ``cooperation_suspended.targets`` ->
    ``aircraft_repositioned.actor``, within 3 days.
    """
    found = tl.sequence(DEMO_SEQUENCE, within="3d")
    yield "\nThe sequence: a shootdown, then cooperation suspended with the shooter,"
    yield "then the shooter repositioning its aircraft, within 3 days:"
    for line in found.to_text().splitlines():
        yield f"  {line}".rstrip()
    yield (
        "  (order certain: no: the suspension and the repositioning are known only to the\n"
        "   day, so either may have come first; the match is kept and flagged.)"
    )


def _reported_by(tl: timeline.Timeline, url: str, templates: Path) -> Iterator[str]:
    """Yield the lines of one answer that changes with --reported-by, and the command
    that asks it."""
    day = DEMO_SUSPENSION_DAY
    rows = [
        (
            bound,
            value_text(
                tl.state("Russia", at=day, reported_by=bound).get("cooperation.US"), none="-"
            ),
        )
        for bound in DEMO_REPORTED_BY
    ]
    yield f"\nWhat was public, and when: Russia's cooperation with the US on {day}"
    yield from table(("as reported by", "cooperation.US"), rows, indent="  ")
    yield (
        "Russia announced the suspension on June 19: asked --reported-by June 18, the answer\n"
        "rests only on the claims made public by the end of that day. Ask it yourself:"
    )
    yield (
        f"  {_program()} --db {shlex.quote(url)} --templates {shlex.quote(str(templates))} "
        f"state Russia --at {day} --reported-by {DEMO_REPORTED_BY[0]}"
    )


def _program() -> str:
    """How the user runs this command again from the same shell: ``timeline`` when that
    is on the PATH as the running program, else the path it was run by (the README's
    ``.venv/bin/timeline``, whose virtual environment is not activated)."""
    invoked = sys.argv[0] if sys.argv else ""
    if Path(invoked).name not in ("timeline", "timeline.exe"):
        return "timeline"  # not run as the command (python -m timeline, a test)
    on_path = shutil.which("timeline")
    if on_path is not None and Path(on_path).resolve() == Path(invoked).resolve():
        return "timeline"
    return shlex.quote(invoked)


def _fresh_demo_file(out: Path) -> None:
    if not out.exists():
        return
    with timeline.open(f"sqlite:///{out}") as tl:
        incidents = {e.incident for e in tl.events()}
    if incidents - {DEMO_INCIDENT}:
        raise timeline.InvalidEventError(
            "--out", f"{out} holds other incidents than the demo's; choose another file"
        )
    for suffix in ("", "-wal", "-shm"):
        Path(f"{out}{suffix}").unlink(missing_ok=True)
