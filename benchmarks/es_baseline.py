"""The ``eventsourcing`` baselines (imported only when the package is installed).

State workload: one aggregate whose every event adds to a counter and sets a status, as
the state workload's actor; ``repository.get(id, version=v)`` rebuilds it as of its v-th
version. Append workload: one aggregate per actor, each of our events one event of its
actor's aggregate, saved with ``Application.save``. Stored through the package's own
persistence modules (``eventsourcing.sqlite``, ``eventsourcing.postgres``).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event


class Unit(Aggregate):
    """The counterpart of the state workload's actor: a counter and a status."""

    def __init__(self) -> None:
        self.counter = 0
        self.status: str | None = None

    @event("Reported")
    def report(self, amount: int, status: str, data: dict[str, Any]) -> None:
        self.counter += amount
        self.status = status


class Units(Application):
    """An application that stores :class:`Unit` aggregates."""


def build(
    store: Path | dict[str, str],
    changes: Sequence[tuple[int, str, dict[str, Any]]],
    *,
    snapshot_every: int | None,
) -> tuple[Units, Any]:
    """Store one :class:`Unit` with ``changes`` (amount, status, data) in a new store: a
    SQLite file at ``store``, or the store that the settings ``store`` name (e.g.
    ``eventsourcing.postgres``'s).

    Returns the application and the aggregate's id. Version 1 is the creation, so after k
    changes the aggregate is at version k + 1. With ``snapshot_every``, a snapshot is
    taken after every that many changes (versions n + 1, 2n + 1, …).
    """
    if isinstance(store, dict):
        env = dict(store)
    else:
        env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(store)}
    if snapshot_every:
        env["IS_SNAPSHOTTING_ENABLED"] = "y"
    app = Units(env=env)
    unit = Unit()
    for amount, status, data in changes:
        unit.report(amount=amount, status=status, data=data)
    app.save(unit)
    if snapshot_every:
        for done in range(snapshot_every, len(changes) + 1, snapshot_every):
            app.take_snapshot(unit.id, version=done + 1)
    return app, unit.id


def state_at(app: Units, unit_id: Any, changes: int) -> tuple[int, str | None]:
    """Return (counter, status) after the first ``changes`` changes."""
    unit = app.repository.get(unit_id, version=changes + 1)
    return unit.counter, unit.status


class Actor(Aggregate):
    """The counterpart of one actor of the append workload."""

    def __init__(self, name: str) -> None:
        self.name = name

    @event("Happened")
    def happen(
        self,
        type: str,
        incident: str,
        targets: list[str],
        occurred_at: str,
        data: dict[str, Any],
    ) -> None:
        pass


class Actors(Application):
    """An application that stores :class:`Actor` aggregates."""


def actors_app(env: dict[str, str], names: Sequence[str]) -> tuple[Actors, dict[str, Actor]]:
    """A new application on ``env``'s store, with one saved aggregate per name."""
    app = Actors(env=env)
    aggregates = {name: Actor(name) for name in names}
    app.save(*aggregates.values())
    return app, aggregates


def domain_events(aggregates: dict[str, Actor], calls: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """Each call's events as the package's domain events, made by the actors' aggregates
    (``happen``) and collected from them: the counterpart of building ``timeline.Event``
    objects, which the append rows do before timing too."""
    made: list[list[Any]] = []
    for call in calls:
        touched: dict[str, Actor] = {}
        for e in call:
            aggregate = aggregates[e.actor]
            aggregate.happen(
                type=e.type,
                incident=e.incident,
                targets=list(e.targets),
                occurred_at=e.occurred_at.isoformat(),
                data=e.data,
            )
            touched[e.actor] = aggregate
        made.append([event for a in touched.values() for event in a.collect_events()])
    return made


def save_all(app: Actors, calls: Sequence[Sequence[Any]]) -> int:
    """Save each call's domain events (:func:`domain_events`), a call at a time (one
    transaction each); return how many events were saved."""
    saved = 0
    for call in calls:
        app.save(*call)
        saved += len(call)
    return saved
