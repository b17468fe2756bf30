"""Synthetic events, and the rows the raw-driver baselines insert for them.

The events are made from a seeded random generator, so every run (and both passes of a
measurement) sees the same ones: ``n`` events over 1,000 actors and 100 incidents, types
from a small set of snake_case names, ``occurred_at`` an aware ``datetime`` (precision
``exact``) somewhere in June 2017 under one of a few UTC offsets, 0-2 targets, and a
``data`` object of about 150 bytes of canonical JSON.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from timeline import Event
from timeline.events import canonical_json

ACTORS = 1_000
INCIDENTS = 100
DATA_BYTES = 150  # the mean size of ``data`` as stored (canonical JSON)
TYPES = (
    "shootdown",
    "airstrike",
    "cooperation_suspended",
    "cooperation_resumed",
    "aircraft_repositioned",
    "statement_issued",
    "truce_declared",
    "sanctions_imposed",
)
JUNE_2017 = dt.datetime(2017, 6, 1, tzinfo=dt.UTC)
JUNE_SECONDS = 30 * 24 * 3600
ZONES = tuple(dt.timezone(dt.timedelta(hours=h)) for h in (0, 3, -4, 2))
WORDS = (
    "reported", "convoy", "near", "the", "border", "crossing", "after", "dusk", "with",
    "escorts", "said", "local", "sources", "confirmed", "by", "two", "agencies", "later",
    "denied", "officials", "statement", "overnight", "airfield", "damage",
)  # fmt: skip
RECORDED_AT = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)  # the baselines' recorded_at


def actor_name(i: int) -> str:
    return f"actor-{i:04d}"


def incident_name(i: int) -> str:
    return f"incident-{i:03d}"


def event_specs(n: int, *, seed: int) -> list[dict[str, Any]]:
    """Return the keyword arguments of ``n`` events (``Event(**spec)``), from ``seed``."""
    rng = random.Random(seed)
    specs = []
    for i in range(n):
        actor = rng.randrange(ACTORS)
        others = [a for a in rng.sample(range(ACTORS), 3) if a != actor]
        moment = JUNE_2017 + dt.timedelta(
            seconds=rng.randrange(JUNE_SECONDS), microseconds=rng.randrange(1_000_000)
        )
        specs.append(
            {
                "type": rng.choice(TYPES),
                "actor": actor_name(actor),
                "occurred_at": moment.astimezone(rng.choice(ZONES)),
                "incident": incident_name(rng.randrange(INCIDENTS)),
                "targets": [actor_name(a) for a in others[: rng.randrange(3)]],
                "data": _data(rng, i),
            }
        )
    return specs


def _data(rng: random.Random, i: int) -> dict[str, Any]:
    """Return a JSON object whose canonical text is ``DATA_BYTES`` ± 20 bytes long."""
    data: dict[str, Any] = {
        "ref": f"R-{i:07d}",
        "confidence": round(rng.random(), 2),
        "casualties": rng.randrange(40),
        "reported_by": f"agency-{rng.randrange(20):02d}",
        "summary": "",
    }
    room = DATA_BYTES + rng.randint(-20, 20) - len(canonical_json(data))
    words: list[str] = []
    while len(" ".join(words)) < room:
        words.append(rng.choice(WORDS))
    data["summary"] = " ".join(words)[: max(room, 0)].strip()
    return data


def build_events(specs: Sequence[dict[str, Any]]) -> list[Event]:
    """Construct (and so validate) one :class:`timeline.Event` per spec."""
    return [Event(**spec) for spec in specs]


@dataclass(frozen=True)
class Rows:
    """The rows of the two event tables for a run of events, in the driver's own terms.

    ``events[i]`` and ``actors[i]`` are the rows of the i-th batch of ``batch`` events:
    the same columns and values the library stores, with ``position`` 1, 2, 3, …,
    per-incident ``version`` numbers and a 64-hex-digit ``hash`` chain.
    """

    events: list[list[tuple[Any, ...]]]
    actors: list[list[tuple[Any, ...]]]


def sqlite_time(moment: dt.datetime) -> str:
    """Return ``moment`` as the library keeps it in SQLite: naive UTC text with microseconds."""
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def baseline_rows(events: Sequence[Event], *, batch: int, dialect: str) -> Rows:
    """Return the table rows for ``events`` in batches of ``batch``.

    ``dialect`` ``"sqlite"``: ids as 32 hex digits and times as UTC text (what SQLAlchemy
    stores in SQLite); ``"postgresql"``: ``uuid.UUID`` and aware ``datetime`` values. JSON
    columns are canonical JSON text either way.
    """
    if dialect not in ("sqlite", "postgresql"):
        raise ValueError(dialect)
    sqlite = dialect == "sqlite"

    def uid(value: uuid.UUID) -> Any:
        return value.hex if sqlite else value

    def when(value: dt.datetime) -> Any:
        return sqlite_time(value) if sqlite else value.astimezone(dt.UTC)

    recorded_at = when(RECORDED_AT)
    versions: dict[str, int] = {}
    previous = ""
    rows = Rows(events=[], actors=[])
    for start in range(0, len(events), batch):
        event_rows: list[tuple[Any, ...]] = []
        actor_rows: list[tuple[Any, ...]] = []
        for position, event in enumerate(events[start : start + batch], start=start + 1):
            versions[event.incident] = versions.get(event.incident, 0) + 1
            previous = hashlib.sha256(f"{previous}\n{event.id}".encode()).hexdigest()
            occurred_at = when(event.occurred_at)
            event_rows.append(
                (
                    position,
                    uid(event.id),
                    event.incident,
                    versions[event.incident],
                    event.type,
                    event.actor,
                    canonical_json(list(event.targets)),
                    occurred_at,
                    event.precision,
                    canonical_json(event.data),
                    canonical_json(event.effects),
                    canonical_json(event.source),
                    None,
                    None,
                    recorded_at,
                    previous,
                    None,  # reported_at: the recorded time stands for it
                    None,
                )
            )
            names = dict.fromkeys([event.actor, *event.targets, *event.effects])
            actor_rows.extend((name, position, occurred_at) for name in names)
        rows.events.append(event_rows)
        rows.actors.append(actor_rows)
    return rows
