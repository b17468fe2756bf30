"""A brute-force sequence matcher: the rules written out plainly, for property tests.

It keeps pending partial matches in one flat list and, instead of tracking which
imprecise events are still open, looks back over every earlier event each time; an
absence arriving late looks at every match and partial match of its key, and
``within`` and ``max_gap`` are judged on the whole chain each time, as a system of
difference constraints. It shares with the library only the pure rule of placement
(``follow``), which has tests of its own.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Hashable, Sequence

from timeline import RecordedEvent, Step
from timeline.sequences import follow, key_values
from timeline.times import interval_end


class Pending:
    """A partial match in the flat list."""

    def __init__(
        self,
        key: Hashable,
        events: tuple[RecordedEvent, ...],
        placements: tuple[dt.datetime, ...],
        certain: bool,
    ) -> None:
        self.key, self.events, self.placements, self.certain = key, events, placements, certain


def newer(a: Pending, b: Pending) -> bool:
    """Whether ``a``'s events are later than ``b``'s, comparing the last first."""
    order = [(e.occurred_at, e.position) for e in reversed(a.events)]
    return order > [(e.occurred_at, e.position) for e in reversed(b.events)]


def order(event: RecordedEvent) -> tuple[dt.datetime, int]:
    return (event.occurred_at, event.position)


def between(
    before: RecordedEvent,
    placed: dt.datetime,
    absent: RecordedEvent,
    after: RecordedEvent | None,
) -> bool | None:
    """Whether ``absent`` lies between ``before`` and ``after`` (``None``: any event still
    to come): certainly (``True``), maybe (``False``) or not (``None``): the chain
    ``before``, ``absent``, ``after`` placed by ``follow``; a later event in stream order
    never certainly precedes an earlier one, an event never lies after itself, and one
    that is both ``absent`` and ``after`` is the step after, not between the steps."""
    if absent.position == before.position:
        return None
    if absent.precision == "exact" and order(absent) < order(before):
        return None  # an exact event is never open to one arriving after it
    first = follow(before, placed, absent)
    if first is None:
        return None
    certain = first[1] and order(before) < order(absent)
    if after is None:
        return certain
    if after.position == absent.position:
        return None  # the step after is not between the steps
    if after.precision == "exact" and order(after) < order(absent):
        return None
    second = follow(absent, first[0], after)
    if second is None:
        return None
    return certain and second[1] and order(absent) < order(after)


MICROSECOND = dt.timedelta(microseconds=1)


def latest(event: RecordedEvent) -> dt.datetime:
    """The latest moment ``event`` may be placed at: the last microsecond of its interval."""
    if event.precision == "exact":
        return event.occurred_at
    return interval_end(event.occurred_at, event.precision) - MICROSECOND


def placements_range(
    events: Sequence[RecordedEvent],
    gaps: Sequence[dt.timedelta | None],
    within: dt.timedelta | None,
) -> list[dt.datetime] | None:
    """The latest placement of each event when the events can be placed inside their
    intervals in step order with each gap at most its ``gaps[i]`` (the time since event
    ``i - 1``) and the span at most ``within``; ``None`` when they cannot.

    The placements ``x`` obey difference constraints ``x[v] - x[u] <= w``: ``start <= x
    <= latest``, ``x[i - 1] <= x[i]``, ``x[i] - x[i - 1] <= gaps[i]`` and ``x[-1] - x[0]
    <= within``. Bellman-Ford from a node standing for the moment ``base`` finds
    whether they have a solution (no negative cycle) and the largest value of each.
    """
    base = events[0].occurred_at
    count = len(events)
    origin = count  # the node of ``base``

    def at(moment: dt.datetime) -> int:
        return (moment - base) // MICROSECOND

    edges: list[tuple[int, int, int]] = []  # (u, v, w): x[v] - x[u] <= w
    for i, event in enumerate(events):
        edges.append((origin, i, at(latest(event))))
        edges.append((i, origin, -at(event.occurred_at)))
        if i:
            edges.append((i, i - 1, 0))
            if gaps[i] is not None:
                edges.append((i - 1, i, gaps[i] // MICROSECOND))  # type: ignore[operator]
    if within is not None and count > 1:
        edges.append((0, count - 1, within // MICROSECOND))
    distance = [0] * count + [0]
    distance[:count] = [at(latest(e)) for e in events]
    for _ in range(count + 1):
        changed = False
        for u, v, w in edges:
            if distance[u] + w < distance[v]:
                distance[v] = distance[u] + w
                changed = True
        if not changed:
            break
    else:
        return None  # still relaxing: a negative cycle, no solution
    if distance[origin] < 0:
        return None  # a cycle through the origin
    return [base + d * MICROSECOND for d in distance[:count]]


def certainly_within(
    events: Sequence[RecordedEvent],
    gaps: Sequence[dt.timedelta | None],
    within: dt.timedelta | None,
) -> bool:
    """Whether every placement inside the intervals keeps each gap and the span within
    bounds: measured from the start of the earlier event's interval to the end of the
    later one's."""
    for i in range(1, len(events)):
        gap = gaps[i]
        end = interval_end(events[i].occurred_at, events[i].precision)
        if gap is not None and end - events[i - 1].occurred_at > gap:
            return False
    if within is None or len(events) == 1:  # one event spans no time
        return True
    end = interval_end(events[-1].occurred_at, events[-1].precision)
    return end - events[0].occurred_at <= within


def reference_matches(
    events: Sequence[RecordedEvent],
    steps: Sequence[Step],
    *,
    by: tuple[str, ...] = (),
    within: dt.timedelta | None = None,
    until: Step | None = None,
    certain_only: bool = False,
) -> tuple[list[tuple[Hashable, list[int], bool]], list[int], list[tuple[Hashable, list[int]]]]:
    """Return (matches as (key, positions, certain), funnel, partial as (key, positions))."""
    # Only the events of the query's types take part (as in EQL): others never arrive.
    types = {t for s in [*steps, *([until] if until is not None else [])] for t in s.types}
    ordered = sorted(
        (e for e in events if e.type in types), key=lambda e: (e.occurred_at, e.position)
    )
    present = [s for s in steps if not s.absent]
    gap_absences: list[list[Step]] = [[] for _ in present]
    index = -1
    for step in steps:
        if step.absent:
            gap_absences[index].append(step)
        else:
            index += 1
    # ``until`` is an absence between every two present steps (taken before the step)
    if until is not None:
        for absences in gap_absences[:-1]:
            absences.append(until)
    pending: list[Pending] = []
    matches: list[Pending] = []
    applied: set[tuple[int, int, int]] = set()  # (stage, absent step, position) acted on
    funnel = [0] * len(present)

    def first_latest(p: Pending) -> dt.datetime:
        """The latest placement of ``p``'s first event (its start under certain_only)."""
        if certain_only:
            return p.placements[0]
        gaps = [step.max_gap for step in present[: len(p.events)]]
        latest_placements = placements_range(p.events, gaps, within)
        assert latest_placements is not None  # it was placed
        return latest_placements[0]

    def keys(step: Step, event: RecordedEvent) -> list[Hashable]:
        return key_values(event, by + step.key)

    def taken(stage: int, key: Hashable, position: int) -> bool:
        """Whether the event at ``position`` fills ``stage`` of a match of ``key`` that
        lives (pending) or completed: it fills a step of one such match per key."""
        return any(
            p.key == key and len(p.events) > stage and p.events[stage].position == position
            for p in (*pending, *matches)
        )

    def free(dead: list[Pending]) -> None:
        """Partial matches (or matches held back) that died without completing: their
        open imprecise events, taken by no other, are offered to the partial match of
        the key pending at their step now (and stay open to those reaching it later)."""
        for p in dead:
            for stage in range(1, len(p.events)):
                event = p.events[stage]
                if event.precision == "exact":
                    continue
                if interval_end(event.occurred_at, event.precision) <= event_start:
                    continue
                if taken(stage, p.key, event.position):
                    continue
                target = find(stage, p.key)
                if target is None or any(e.position == event.position for e in target.events):
                    continue
                placed = advance(target, event)
                if placed is not None:
                    offer([placed])

    def find(stage: int, key: Hashable) -> Pending | None:
        for p in pending:
            if len(p.events) == stage and p.key == key:
                return p
        return None

    def place(new: Pending) -> Pending | None:
        stage = len(new.events)
        old = find(stage, new.key)
        if old is not None and not newer(new, old):
            return None
        funnel[stage - 1] += 1
        if stage == len(present):
            matches.append(new)
            return None
        if old is not None:
            pending.remove(old)
        pending.append(new)
        if old is not None:
            free([old])  # replaced: it dies
        return new

    def advance(before: Pending, event: RecordedEvent) -> Pending | None:
        stage = len(before.events)
        result = follow(before.events[-1], before.placements[-1], event, certain_only=certain_only)
        if result is None:
            return None
        placement, certain = result
        # within and max_gap: possible when some placement keeps them, certain when
        # every one does
        chain = (*before.events, event)
        gaps = [step.max_gap for step in present[: stage + 1]]
        if placements_range(chain, gaps, within) is None:
            return None
        if not certainly_within(chain, gaps, within):
            if certain_only:
                return None
            certain = False
        # the absences still open (their interval not passed) may lie in between
        for earlier in ordered[:seen]:
            if interval_end(earlier.occurred_at, earlier.precision) <= event_start:
                continue
            if not any(
                a.takes(earlier) and before.key in keys(a, earlier) for a in gap_absences[stage - 1]
            ):
                continue
            inside = between(before.events[-1], before.placements[-1], earlier, event)
            if inside is None:
                continue
            if inside or certain_only:
                return None
            certain = False
        grown = Pending(
            before.key,
            (*before.events, event),
            (*before.placements, placement),
            before.certain and certain,
        )
        if stage + 1 < len(present):
            old = find(stage + 1, grown.key)
            if old is not None and not newer(grown, old):
                return None
        pending.remove(before)
        return place(grown)

    def close_absences(n: int, now: dt.datetime | None, *, stepped: bool = True) -> None:
        """Let the absences among the first ``n + 1`` events whose interval ended by
        ``now`` (``None``: all, the stream over) act on the partial matches pending after
        the step before them, as on ones that events to come would advance; the event
        ``n`` not yet (``stepped=False``) where it may take the step after the absence:
        it is tried as that step first."""
        for stage, absences in enumerate(gap_absences, 1):
            for which, absent in enumerate(absences):
                for earlier in ordered[: n + 1]:
                    if (stage, which, earlier.position) in applied or not absent.takes(earlier):
                        continue
                    if (
                        not stepped
                        and absent is not until
                        and earlier is ordered[n]
                        and present[stage].takes(earlier)
                    ):
                        continue
                    end = interval_end(earlier.occurred_at, earlier.precision)
                    if now is not None and end > now:
                        continue
                    applied.add((stage, which, earlier.position))
                    gone = keys(absent, earlier)
                    for p in [p for p in pending if len(p.events) == stage and p.key in gone]:
                        inside = between(p.events[-1], p.placements[-1], earlier, None)
                        if inside is None:
                            continue
                        if inside or certain_only:
                            pending.remove(p)
                            free([p])
                        else:
                            p.certain = False

    def offer(started: list[Pending]) -> None:
        """Offer the open imprecise events before the event being taken, in stream
        order, to the partial matches in ``started`` (and those they grow into): each
        fills the first it can, unless it fills that step of another match of the key."""
        while started:
            partial = started.pop(0)
            stage = len(partial.events)
            for earlier in ordered[:n]:
                if not any(p is partial for p in pending):
                    break
                if earlier.precision == "exact":
                    continue
                if interval_end(earlier.occurred_at, earlier.precision) <= event_start:
                    continue
                if not present[stage].takes(earlier):
                    continue
                if partial.key not in keys(present[stage], earlier):
                    continue
                if any(e.position == earlier.position for e in partial.events):
                    continue
                if taken(stage, partial.key, earlier.position):
                    continue  # it fills this step of another match of the key
                placed = advance(partial, earlier)
                if placed is not None:
                    started.append(placed)
                    break

    n = seen = -1  # the event being taken, and the events seen (set below)
    event_start = dt.datetime.min.replace(tzinfo=dt.UTC)  # its start
    for n, event in enumerate(ordered):
        start = event.occurred_at
        event_start = start
        seen = n  # the events an advance may find between: the event's own not yet
        # the absences closed before this event, then within, then this event's own
        # (the order in which a partial match may die, freeing its events)
        close_absences(n - 1, start)
        while within is not None:
            # dropped when no placement of its first event (under certain_only: its
            # start, the placement from which within must hold) keeps it within; its
            # open events are free again, and may fill a partial match that then expires
            dead = [p for p in pending if first_latest(p) < start - within]
            if not dead:
                break
            pending[:] = [p for p in pending if all(p is not d for d in dead)]
            free(sorted(dead, key=lambda p: [order(e) for e in p.events]))
        seen = n + 1
        close_absences(n, start, stepped=False)
        # an absence arriving after an event that took the step after it, whose
        # interval is still open, may lie before that event
        for stage, absences in enumerate(gap_absences, 1):
            for absent in absences:
                if not absent.takes(event):
                    continue
                for key in keys(absent, event):
                    dead = []
                    for found in [p for p in pending if len(p.events) > stage] + matches[:]:
                        if found.key != key:
                            continue
                        after = found.events[stage]
                        if after.precision == "exact":
                            continue
                        if interval_end(after.occurred_at, after.precision) <= start:
                            continue
                        before = found.events[stage - 1]
                        if between(before, found.placements[stage - 1], event, after) is None:
                            continue
                        if certain_only:
                            (matches if found in matches else pending).remove(found)
                            dead.append(found)
                        else:
                            found.certain = False
                    free(dead)
        started: list[Pending] = []
        for index in reversed(range(len(present))):
            step = present[index]
            if not step.takes(event):
                continue
            for key in keys(step, event):
                if index == 0:
                    placed = place(Pending(key, (event,), (start,), True))
                else:
                    before = find(index, key)
                    placed = None if before is None else advance(before, event)
                if placed is not None:
                    started.append(placed)
        offer(started)
        close_absences(n, start)  # the event's own absences where it took no step
    close_absences(n, None)
    partial_out = [(p.key, [e.position for e in p.events]) for p in pending]
    found = [(m.key, [e.position for e in m.events], m.certain) for m in matches]
    return found, funnel, partial_out
