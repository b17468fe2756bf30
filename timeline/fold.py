"""The rules of time and the fold: pure functions over lists of events, no database.

Everything that decides an answer of :meth:`Timeline.state` lives here, so that tests can
drive it with plain lists of :class:`~timeline.events.RecordedEvent`:

- :func:`resolve` applies corrections and retractions to what was recorded;
- :func:`timing` decides whether an event applies at a moment, and whether surely;
- :class:`Folder` turns an event into changes of an actor's attributes (effects,
  templates declared per type, custom fold functions); what an effect may say and what
  it does is :mod:`timeline.effects`;
- :func:`fold` replays an actor's events in ``(occurred_at, position)`` order, listing
  as uncertain what events at one instant name in an order-dependent way
  (:meth:`Replay.tie`).

The store's only job is to fetch the right rows, in the right order.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import heapq
from collections.abc import Callable, Container, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from timeline.effects import (
    EFFECT_RULES,
    Change,
    applied_paths,
    apply_effects,
    check_changes,
    check_template,
    expand,
    leaves,
    nest,
    operator_of,
    parts,
    same_json,
)
from timeline.errors import InvalidEventError
from timeline.events import (
    CORRECTABLE,
    JSONValue,
    RecordedEvent,
    canonical_json,
    check_json,
    check_type_name,
)
from timeline.times import Bound, ZoneInput, interval_end

if TYPE_CHECKING:
    from timeline.view import Basis

Key = tuple[dt.datetime, int]
"""Where an event stands in valid time: ``(occurred_at, position)``."""

FoldFunction = Callable[["ActorState", RecordedEvent], Mapping[str, JSONValue]]
"""A custom fold: ``(state of the actor so far, event) -> new attributes of the actor``."""


def key(event: RecordedEvent) -> Key:
    """Return the event's place in valid-time order: ``(occurred_at, position)``.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("truce", "Syria", "2017-06-17", incident="d")
        >>> key(e)
        (datetime.datetime(2017, 6, 17, 0, 0, tzinfo=datetime.timezone.utc), 1)
    """
    return (event.occurred_at, event.position)


def is_meta(event: RecordedEvent) -> bool:
    """Whether the event corrects or retracts another rather than telling of the world."""
    return event.corrects is not None or event.retracts is not None


def involved(event: RecordedEvent) -> list[str]:
    """Return the actors an event names: its actor, its targets, the keys of its effects.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> involved(tl.record("shootdown", "US", "2017-06-18", incident="s", targets=["Syria"]))
        ['US', 'Syria']
    """
    return list(dict.fromkeys([event.actor, *event.targets, *event.effects]))


# -- corrections and retractions ---------------------------------------------------------


def resolve(
    events: Iterable[RecordedEvent], *, history: Iterable[RecordedEvent] | None = None
) -> list[RecordedEvent]:
    """Apply corrections and retractions; return the events as they now stand.

    ``events`` are everything known (all recorded by the ``known_at`` asked about), in
    any order. Each correction that stands changes the fields it changed (see
    :func:`standing_form`; ``history``: every correction and retraction recorded, known
    or not, default those in ``events``); the event keeps its id and position, so its
    place among events at the same moment does not move. A retracted event is left out.
    Correction and retraction events themselves are never returned. The result is in
    ``(occurred_at, position)`` order.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("shootdown", "US", "2017-06-18", incident="s")
        >>> c = tl.correct(e.id, occurred_at="2017-06-19")
        >>> [x.occurred_at.day for x in resolve(tl.events())]
        [19]
    """
    meta: list[RecordedEvent] = []
    originals: list[RecordedEvent] = []
    for event in events:
        (meta if is_meta(event) else originals).append(event)
    originals.sort(key=key)
    roots = {e.id: e for e in originals}
    return list(resolve_stream(originals, meta, roots, history=history))


def resolve_stream(
    originals: Iterable[RecordedEvent],
    meta: Iterable[RecordedEvent],
    roots: Mapping[Any, RecordedEvent],
    *,
    after: Key | None = None,
    by_position: bool = False,
    history: Iterable[RecordedEvent] | None = None,
    order: Callable[[Any], Any] = key,
) -> Iterator[Any]:
    """Stream events as they now stand, without holding the stream in memory.

    Args:
        originals: recorded events that are not corrections or retractions, in
            ``(occurred_at, position)`` order (as the store reads them, page by page).
        meta: every correction and retraction known, in any order.
        roots: the events that ``meta`` corrects, by id (they may lie outside
            ``originals``: a correction can move an event into the range read).
        after: leave out events at or before this key (a snapshot's end).
        by_position: recognise the mended events in ``originals`` by position rather
            than id (for reads that skip the id); ``roots`` must then hold every event
            that ``meta`` corrects or retracts.
        history: every correction and retraction recorded up to the same position,
            whether known or not (what each correction changed is read from them; see
            :func:`standing_form`); default ``meta``.
        order: the order of ``originals``, and of the stream: valid time (:func:`key`)
            by default; ``operator.attrgetter("position")`` for a read in commit order
            (a corrected event keeps its position, so it stays where it was).

    A corrected event leaves the stream where it was and is merged in where its
    corrected time puts it; memory grows with the corrections, not the events. See
    :func:`standing_form` for how corrections and retractions combine.
    """
    meta = list(meta)
    known = by_root(meta)
    past = known if history is None else by_root(history)
    hidden: set[Any] = set()
    moved: list[RecordedEvent] = []
    for root_id, mending in known.items():
        root = roots.get(root_id)
        if root is None:
            continue
        form = standing_form(root, mending, history=past.get(root_id, mending))
        if form is root:
            continue
        hidden.add(root_id)
        if form is not None:
            moved.append(form)
    moved.sort(key=order)
    kept: Iterator[Any] = iter(originals)  # most reads mend nothing: no filter per event
    if by_position and hidden:
        gone = {roots[i].position for i in hidden}
        kept = (e for e in originals if e.position not in gone)
    elif hidden:
        kept = (e for e in originals if e.id not in hidden)
    merged = heapq.merge(kept, moved, key=order) if moved else kept
    if after is None:
        return merged
    return (e for e in merged if order(e) > after)


def by_root(mending: Iterable[RecordedEvent]) -> dict[Any, list[RecordedEvent]]:
    """Group corrections and retractions by the event they mend in the end (a retraction
    of a correction goes with the corrected event).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("strike", "Iran", "2020-01-08", incident="s")
        >>> fix = tl.correct(e.id, occurred_at="2020-01-09")
        >>> undo = tl.retract(fix.id, "the 8th after all")
        >>> [x.id for x in by_root([fix, undo])[e.id]] == [fix.id, undo.id]
        True
    """
    mending = list(mending)
    root_of: dict[Any, Any] = {e.id: e.corrects for e in mending if e.corrects is not None}
    grouped: dict[Any, list[RecordedEvent]] = {}
    for event in mending:
        target = event.corrects if event.corrects is not None else event.retracts
        grouped.setdefault(root_of.get(target, target), []).append(event)
    return grouped


def standing_corrections(meta: Iterable[RecordedEvent]) -> dict[Any, list[RecordedEvent]]:
    """Return the corrections that stand, by the id of the event each corrects: those
    not retracted themselves, in the order they were reported (by the start of their
    reported time, then position).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("casualties", "US", "2020-01-08", incident="s", data={"injured": 0})
        >>> good = tl.correct(e.id, data={"injured": 11})
        >>> bad = tl.correct(e.id, data={"injured": 1100})
        >>> _ = tl.retract(bad.id, "a typo")
        >>> [f.data for f in standing_corrections(tl.events())[e.id]]
        [{'injured': 11}]
    """
    meta = list(meta)
    retracted = {event.retracts for event in meta if event.retracts is not None}
    standing: dict[Any, list[RecordedEvent]] = {}
    for event in sorted(meta, key=lambda e: (e.reported[0], e.position)):
        if event.corrects is not None and event.id not in retracted:
            standing.setdefault(event.corrects, []).append(event)
    return standing


def changed_fields(
    root: RecordedEvent, history: Iterable[RecordedEvent]
) -> dict[Any, dict[str, Any]]:
    """Return what each correction of ``root`` changed, by the correction's id: the fields
    in which it differs from the event as it stood when the correction was recorded.

    A correction is stored whole (every field, as :meth:`Timeline.correct` merged them);
    what it changed is read against the corrections and retractions recorded before it
    (``history``: every mending event of ``root``, any order).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("strike", "Iran", "2020-01-08", incident="s", data={"missiles": 10})
        >>> day = tl.correct(e.id, occurred_at="2020-01-09")
        >>> count = tl.correct(e.id, data={"missiles": 16})
        >>> changes = changed_fields(e, tl.events(type="strike"))
        >>> sorted(changes[day.id]), sorted(changes[count.id])
        (['occurred_at'], ['data'])
    """
    changes: dict[Any, dict[str, Any]] = {}
    standing: list[RecordedEvent] = []
    for event in sorted(history, key=lambda e: e.position):
        if event.corrects == root.id:
            before = _apply(root, standing, changes)
            changes[event.id] = {
                name: getattr(event, name)
                for name in CORRECTABLE
                if not _same_field(getattr(event, name), getattr(before, name))
            }
            standing.append(event)
        elif event.retracts is not None and event.retracts != root.id:
            standing = [c for c in standing if c.id != event.retracts]
    return changes


def standing_form(
    root: RecordedEvent,
    known: Iterable[RecordedEvent],
    *,
    history: Iterable[RecordedEvent] | None = None,
) -> RecordedEvent | None:
    """Return ``root`` as it stands with the corrections and retractions ``known``.

    - a retracted event is gone (``None``), with all its corrections;
    - a retracted correction is undone: it changes nothing any more;
    - each correction that stands changes the fields it changed when it was recorded
      (see :func:`changed_fields`; ``history`` holds every mending event recorded so
      far, default ``known``), applied in the order reported (reported time, then
      position): of two corrections of one field, the one reported last gives it.

    Identity and bookkeeping stay the event's own (id, incident, version, position,
    recorded and reported time, hash); ``corrected_by`` names the corrections that stand.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("strike", "Iran", "2020-01-08", incident="s", data={"missiles": 10})
        >>> day = tl.correct(e.id, occurred_at="2020-01-09")
        >>> count = tl.correct(e.id, data={"missiles": 16})
        >>> _ = tl.retract(day.id, "the 8th after all")
        >>> form = standing_form(e, [x for x in tl.events() if x.id != e.id])
        >>> (form.occurred_at.day, form.data, form.corrected_by == (count.id,))
        (8, {'missiles': 16}, True)
    """
    known = list(known)
    if any(e.retracts == root.id for e in known):
        return None
    fixes = standing_corrections(known).get(root.id)
    if not fixes:
        return root
    changes = changed_fields(root, known if history is None else history)
    return attrs.evolve(_apply(root, fixes, changes), corrected_by=tuple(fix.id for fix in fixes))


def _apply(
    root: RecordedEvent, fixes: list[RecordedEvent], changes: Mapping[Any, Mapping[str, Any]]
) -> RecordedEvent:
    fields: dict[str, Any] = {}
    for fix in sorted(fixes, key=lambda e: (e.reported[0], e.position)):
        fields.update(changes.get(fix.id, {}))
    return attrs.evolve(root, **fields) if fields else root


def withdrawn_in_doubt(
    meta: Iterable[RecordedEvent],
    roots: Mapping[Any, RecordedEvent],
    bound: Bound | None,
    *,
    history: Iterable[RecordedEvent] | None = None,
    day_zone: ZoneInput = None,
) -> list[RecordedEvent]:
    """Return the events withdrawn only by a retraction whose reported interval straddles
    the reported ``bound``, as each would stand without it, in ``(occurred_at,
    position)`` order.

    Such a retraction counts as reported by the bound (the event is withdrawn), but it
    may have been public only just after, when the event still stood: what the event
    would have set is uncertain, as when a correction straddles the bound. ``meta`` are
    the corrections and retractions known on the bound (none reported later), ``roots``
    the events they mend, ``history`` as for :func:`resolve_stream`.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("strike", "Iran", "2020-01-08", incident="s", reported_at="2020-01-08")
        >>> r = tl.retract(e.id, "no strike", reported_at="2020-01-12")
        >>> noon = (dt.datetime(2020, 1, 12, 12, tzinfo=dt.UTC), True)
        >>> [x.id == e.id for x in withdrawn_in_doubt([r], {e.id: e}, noon)]
        [True]
        >>> withdrawn_in_doubt([r], {e.id: e}, (dt.datetime(2020, 1, 13, tzinfo=dt.UTC), False))
        []
    """
    if bound is None:
        return []
    known = by_root(meta)
    past = known if history is None else by_root(history)
    found: list[RecordedEvent] = []
    for root_id, mending in known.items():
        root = roots.get(root_id)
        withdrawing = [m for m in mending if m.retracts == root_id]
        if root is None or not withdrawing:
            continue
        if any(reported_by(m, bound, day_zone=day_zone) != "uncertain" for m in withdrawing):
            continue  # withdrawn without doubt by a retraction reported by the bound
        rest = [m for m in mending if m.retracts != root_id]
        form = standing_form(root, rest, history=past.get(root_id, mending))
        if form is not None:
            found.append(form)
    found.sort(key=key)
    return found


def _same_field(a: Any, b: Any) -> bool:
    if isinstance(a, dict | list | tuple) or isinstance(b, dict | list | tuple):
        return canonical_json(a) == canonical_json(b)
    return bool(a == b) and type(a) is type(b)


# -- when an event applies ----------------------------------------------------------------


def timing(event: RecordedEvent, at: Bound | None, *, day_zone: ZoneInput = None) -> str:
    """Return ``"applies"``, ``"uncertain"`` or ``"later"`` for ``event`` asked about ``at``.

    The rule: an event covers ``[occurred_at, occurred_at + one unit of its precision)``.
    Asked about an instant T (inclusive bound), it applies when it starts at or before T,
    and is uncertain when it ends after T (it may have happened just after). Asked about
    a date or other coarse time (exclusive bound at its end), it applies when it starts
    before that end, and is uncertain when it ends after it. ``at=None`` is the end of
    time: everything applies, surely. Days, months and years end where the next begins
    in ``day_zone`` (UTC by default).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> day = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident="s")
        >>> noon = dt.datetime(2017, 6, 19, 12, tzinfo=dt.UTC)
        >>> timing(day, (noon, True)), timing(day, (dt.datetime(2017, 6, 20, tzinfo=dt.UTC), False))
        ('uncertain', 'applies')
    """
    return placed(event.occurred_at, event.precision, at, day_zone=day_zone)


def placed(
    start: dt.datetime, precision: str, bound: Bound | None, *, day_zone: ZoneInput = None
) -> str:
    """Return ``"applies"``, ``"uncertain"`` or ``"later"`` for the interval that
    ``start`` covers at ``precision``, asked about ``bound``: the rule of :func:`timing`,
    which :func:`reported_by` applies to reported time too.

    Example:
        >>> day = dt.datetime(2020, 1, 12, tzinfo=dt.UTC)
        >>> placed(day, "day", (day + dt.timedelta(hours=9), True))
        'uncertain'
    """
    if bound is None:
        return "applies"
    moment, inclusive = bound
    if start > moment or (start == moment and not inclusive):
        return "later"
    # an exact time is a point (interval_end's first case, without the call: the fold
    # asks this of each of thousands of events)
    if (start if precision == "exact" else interval_end(start, precision, day_zone)) > moment:
        return "uncertain"
    return "applies"


def reported_by(event: Any, bound: Bound | None, *, day_zone: ZoneInput = None) -> str:
    """Return how a claim stands for a reader bounded by reported time ``bound``:
    ``"applies"`` (reported by then), ``"uncertain"`` (its reported interval straddles
    the bound: it may have been public only just after) or ``"later"``.

    The same rule as :func:`timing`, on the interval of ``event.reported``.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("casualties", "US", "2020-01-08", incident="s",
        ...               reported_at="2020-01-12")
        >>> noon = dt.datetime(2020, 1, 12, 12, tzinfo=dt.UTC)
        >>> reported_by(e, (noon, True)), reported_by(e, (noon + dt.timedelta(days=1), True))
        ('uncertain', 'applies')
    """
    start, precision = event.reported
    return placed(start, precision, bound, day_zone=day_zone)


# -- the actor's attributes -----------------------------------------------------------------


class ActorState(Mapping[str, JSONValue]):
    """An actor's attributes as a read-only mapping of dotted paths to values.

    What a custom fold function receives; :class:`State` adds what the answer is for.

    Example:
        >>> s = ActorState("Russia", {"cooperation.US": "suspended"})
        >>> (s.actor, s["cooperation.US"], s.get("army.size"))
        ('Russia', 'suspended', None)
    """

    __slots__ = ("_values", "actor")

    def __init__(self, actor: str, values: Mapping[str, JSONValue]) -> None:
        self.actor = actor
        self._values = dict(values)

    def __getitem__(self, path: str) -> JSONValue:
        return self._values[path]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._values))

    def __len__(self) -> int:
        return len(self._values)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.actor!r}, {dict(self.items())!r})"

    def to_dict(self) -> dict[str, JSONValue]:
        """Return the attributes as a plain dict (a copy), sorted by path.

        Example:
            >>> ActorState("Russia", {"b": 2, "a": 1}).to_dict()
            {'a': 1, 'b': 2}
        """
        return {k: self._values[k] for k in sorted(self._values)}

    def tree(self) -> dict[str, JSONValue]:
        """Return the attributes nested by their dotted paths.

        The fold never leaves a path beside a path inside it (an effect replaces what was
        above and below its path), so every state it gives nests.

        Example:
            >>> ActorState("Russia", {"cooperation.US": "suspended", "army": 1}).tree()
            {'army': 1, 'cooperation': {'US': 'suspended'}}
        """
        return nest(self._values)


# -- templates and custom folds ------------------------------------------------------------


class Folder:
    """How events change actors' attributes, as declared on one ``Timeline``.

    Three sources, for an event of type T and an actor A it names:
    1. a custom fold function registered for T: it alone decides A's new attributes;
    2. otherwise the effect template declared for T (placeholders ``{actor}`` and
       ``{target}``; the ``{actor}`` part once per event, or once per target when it
       mentions ``{target}``; the ``{target}`` part once per target: see
       :func:`timeline.effects.expand`), then
    3. the event's own ``effects`` for A.
    An event type with none of these changes nothing.

    Example:
        >>> folder = Folder()
        >>> folder.define("cooperation_suspended",
        ...               {"{actor}": {"cooperation.{target}": "suspended"}})
        >>> folder.effects_for("cooperation_suspended", "Russia", ["US"], {}, "Russia")
        ([{'cooperation.US': 'suspended'}], [])
    """

    def __init__(self) -> None:
        self.templates: dict[str, dict[str, dict[str, JSONValue]]] = {}
        self.functions: dict[str, FoldFunction] = {}
        self.versions: dict[str, str | None] = {}

    def define(self, type: str, effects: Mapping[str, Mapping[str, JSONValue]]) -> None:
        """Declare the effects every event of ``type`` has (see :meth:`Timeline.define`).

        The template is checked as events' effects are (:func:`timeline.effects.
        check_template`); a refused one leaves what was declared before.

        Example:
            >>> folder = Folder()
            >>> folder.define("mobilised", {"{actor}": {"alert": {"$inc": 1}}})
            >>> folder.define("mobilised", {"{actor}": {"alert": {"$inc": "one"}}})
            Traceback (most recent call last):
            ...
            timeline.errors.InvalidEventError: effects.{actor}.alert: $inc needs ...
            >>> folder.templates["mobilised"]
            {'{actor}': {'alert': {'$inc': 1}}}
        """
        check_type_name(type)
        template = check_json(effects, field="effects")
        check_template(template)
        self.templates[type] = template

    def register(self, type: str, function: FoldFunction, *, version: str | None = None) -> None:
        """Use ``function(state, event) -> attributes`` for events of ``type``.

        ``version`` names the function's behaviour: snapshots it made are reused only
        by a function registered with the same version. Without one, no snapshots are
        stored or used while the function is registered.
        """
        check_type_name(type)
        if not callable(function):
            raise InvalidEventError("function", f"expected a callable, got {function!r}")
        if version is not None and not (isinstance(version, str) and version.strip()):
            raise InvalidEventError("version", f"expected non-empty text, got {version!r}")
        self.functions[type] = function
        self.versions[type] = version

    def effects_for(
        self,
        type: str,
        actor: str,
        targets: Iterable[str],
        effects: Mapping[str, Mapping[str, JSONValue]],
        whom: str,
    ) -> tuple[list[dict[str, JSONValue]], list[str]]:
        """Return the effect sets that an event applies to ``whom``, in order (the
        template's, then the event's own), and the problems of the template's changes
        left out (see :func:`timeline.effects.expand`)."""
        template = self.templates.get(type)
        found, problems = (
            ([], [])
            if template is None
            else expand(template, actor=actor, targets=targets, whom=whom)
        )
        own = effects.get(whom)
        if own:
            found.append(dict(own))
        return found, problems

    def apply(
        self, values: dict[str, JSONValue], whom: str, event: RecordedEvent
    ) -> tuple[list[Change], list[str]]:
        """Apply ``event`` to ``whom``'s attributes in place; return changes and problems."""
        function = self.functions.get(event.type)
        if function is not None:
            return self._apply_function(function, values, whom, event)
        if event.type not in self.templates:
            # the event's own effects alone (most events): one set, whose changes are net
            own = event.effects.get(whom)
            return apply_effects(values, own) if own else ([], [])
        changes: list[Change] = []
        sets, left_out = self.effects_for(
            event.type, event.actor, event.targets, event.effects, whom
        )
        problems = [f"template of {event.type!r}, event {event.id}: {p}" for p in left_out]
        for effects in sets:
            more, trouble = apply_effects(values, effects)
            changes.extend(more)
            problems.extend(trouble)
        return _net(changes), problems

    def changed(
        self, values: dict[str, JSONValue], whom: str, event: RecordedEvent
    ) -> tuple[list[str], list[str]]:
        """Apply ``event`` to ``whom``'s attributes in place as :meth:`apply` does; return
        the paths it changed (those of :meth:`apply`'s changes, in order) and problems.

        What a fold keeps of the changes, without making a :class:`Change` of each when
        only the event's own effects apply (most events).

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> e = tl.record("mobilised", "Iran", "2020-01-08", incident="s",
            ...               effects={"Iran": {"alert": {"$inc": 1}}})
            >>> values = {}
            >>> Folder().changed(values, "Iran", e), values
            ((['alert'], []), {'alert': 1})
        """
        type = event.type
        if type not in self.functions and type not in self.templates:
            own = event.effects.get(whom)
            return applied_paths(values, own) if own else ([], [])
        changes, problems = self.apply(values, whom, event)
        return [change.attribute for change in changes], problems

    def _apply_function(
        self,
        function: FoldFunction,
        values: dict[str, JSONValue],
        whom: str,
        event: RecordedEvent,
    ) -> tuple[list[Change], list[str]]:
        try:
            result = function(ActorState(whom, values), event)
            new = check_json(dict(result), field=f"fold function for {event.type}")
            # what it returns are attributes, which must form a tree: no operators, no
            # path beside a path inside it
            check_changes(new, field=f"fold function for {event.type}", operators=False)
        except Exception as e:  # a user's function must not make the timeline unreadable
            return [], [f"fold function for {event.type!r} failed on {event.id}: {e!r}"]
        before = dict(values)
        values.clear()
        for path in sorted(new, key=parts):
            for leaf, leaf_value in leaves(path, new[path]):
                values[leaf] = leaf_value
        changes = [
            Change(path, before.get(path), values.get(path))
            for path in sorted(set(before) | set(values))
            if not same_json(before.get(path), values.get(path))
        ]
        return changes, []

    def fingerprint(self) -> str | None:
        """Return a digest of the declared templates and versioned functions, which
        snapshots key on; ``None`` when a function without a version is registered.

        Templates are data: their canonical JSON is all they do. A function's code says
        too little (closures, default arguments and the helpers it calls change what it
        does without changing its bytecode), so only the version its author gives it
        (``define_fold(type, fn, version="2")``) can vouch that two registrations fold
        alike; without one no snapshot is stored or used.

        Example:
            >>> folder = Folder()
            >>> folder.register("report", lambda s, e: s)
            >>> folder.fingerprint() is None
            True
            >>> folder.register("report", lambda s, e: s, version="1")
            >>> len(folder.fingerprint())
            32
        """
        # the rules of effects are part of what a snapshot folded: states made under
        # other rules (an older release) are never reused
        keyed = [f"effects={EFFECT_RULES}", canonical_json(self.templates)]
        for type in sorted(self.functions):
            version = self.versions.get(type)
            if version is None:
                return None
            keyed.append(f"{type}={canonical_json(version)}")
        return hashlib.sha256("\n".join(keyed).encode()).hexdigest()[:32]


def _net(changes: list[Change]) -> list[Change]:
    """Merge several changes of one path (template then own effects) into one."""
    merged: dict[str, Change] = {}
    for change in changes:
        first = merged.get(change.attribute)
        merged[change.attribute] = (
            change if first is None else Change(change.attribute, first.old, change.new)
        )
    if len(changes) == len(merged):  # no path changed twice: each change is already net
        return changes
    return [c for c in merged.values() if not same_json(c.old, c.new)]


# -- ties ------------------------------------------------------------------------------------


def named_by(
    folder: Folder, whom: str, event: RecordedEvent
) -> dict[str, tuple[bool, tuple[str, ...]]]:
    """What an event's effects on ``whom`` name: each path, with whether it only adds an
    int other than 0 there (``{"$inc": 2}``: such adds give one sum in any order, and
    each changes the attribute whatever came first) and the attributes it
    may leave set (the path, or those below it that an object value sets). A custom fold
    names nothing: it decides the actor's attributes itself.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> e = tl.record("report", "Iran", "2020-01-08", incident="s",
        ...               effects={"Iran": {"alert": {"$inc": 1}, "army": {"size": 5}}})
        >>> named_by(Folder(), "Iran", e)
        {'alert': (True, ('alert',)), 'army': (False, ('army.size',))}
    """
    if event.type in folder.functions:
        return {}
    if event.type in folder.templates:
        sets, _ = folder.effects_for(event.type, event.actor, event.targets, event.effects, whom)
    else:
        own = event.effects.get(whom)
        sets = [own] if own else []
    named: dict[str, tuple[bool, tuple[str, ...]]] = {}
    for changes in sets:
        one: dict[str, tuple[bool, tuple[str, ...]]] = {}
        for path, value in changes.items():
            op = operator_of(value)
            # a nonzero int: adds give one sum in any order (an $inc of 0 makes an absent
            # attribute 0, a change only when it comes first)
            count = op is not None and op[0].name == "$inc" and type(op[1]) is int and op[1] != 0
            if op is None and isinstance(value, dict) and value:
                one[path] = (False, tuple(p for p, _ in leaves(path, value)) or (path,))
            else:
                one[path] = (count, (path,))
        if named:
            _merge(named, one)
        else:
            named = one
    return named


def _merge(
    named: dict[str, tuple[bool, tuple[str, ...]]],
    more: Mapping[str, tuple[bool, tuple[str, ...]]],
) -> None:
    for path, (count, attributes) in more.items():
        had = named.get(path)
        named[path] = (
            (count, attributes)
            if had is None
            else (had[0] and count, tuple(dict.fromkeys((*had[1], *attributes))))
        )


def _index_below(below: dict[str, set[str]], path: str) -> None:
    """File ``path`` under each path above it (``a`` and ``a.b`` for ``a.b.c``)."""
    steps = path.split(".")
    for i in range(1, len(steps)):
        below.setdefault(".".join(steps[:i]), set()).add(path)


def _overlap(a: str, b: str) -> bool:
    """Whether one path is the other or lies inside it."""
    return a == b or b.startswith(a + ".") or a.startswith(b + ".")


# -- the fold --------------------------------------------------------------------------------


@attrs.define
class Replay:
    """The running fold of one actor: attributes, and what was applied to get them."""

    actor: str
    values: dict[str, JSONValue] = attrs.field(factory=dict)
    uncertain: set[str] = attrs.field(factory=set)
    events_applied: int = 0
    last_position: int | None = None
    last_key: Key | None = None
    max_end: dt.datetime | None = None
    problems: list[str] = attrs.field(factory=list)
    # how many attribute changes the events made (a fold resumed from a snapshot starts
    # at 1): zero says that nothing the events declare changes anything
    changes: int = 0
    # the attributes that events starting at one instant name in an order-dependent way
    # (see tie()): listed in uncertain too, and kept in snapshots
    tied: set[str] = attrs.field(factory=set)
    # what the events applied at the newest instant name (tie(): None until a second
    # one comes), and whether a later event starts there too (a snapshot taken here would
    # cut a tie in two: never saved)
    tie_events: list[RecordedEvent] = attrs.field(factory=list, eq=False)
    tie_named: dict[str, tuple[bool, tuple[str, ...]]] | None = attrs.field(default=None, eq=False)
    tie_cut: bool = attrs.field(default=False, eq=False)
    # the paths of tie_named below each path that has some (tie(): only those that
    # overlap an event's paths are compared with them); None: to be built from tie_named
    tie_below: dict[str, set[str]] | None = attrs.field(default=None, eq=False)

    def copy(self) -> Replay:
        """Return an independent copy (for a snapshot)."""
        return attrs.evolve(
            self,
            values=dict(self.values),
            uncertain=set(self.uncertain),
            problems=list(self.problems),
            tied=set(self.tied),
            tie_events=list(self.tie_events),
            tie_named=None if self.tie_named is None else dict(self.tie_named),
        )

    def tie(self, event: RecordedEvent, folder: Folder, tied: bool) -> None:
        """Take in an event applied next, ``tied`` when it starts where the event
        applied before it started: events at one instant apply in recording order, which
        says nothing of the world, so an attribute that two of them name is listed in
        ``tied`` and ``uncertain`` (unless both only add ints other than 0, whose order
        cannot matter); see :func:`named_by`."""
        if not tied:
            self.tie_events, self.tie_named = [event], None
            return
        named = self.tie_named
        if named is None:
            named = {}
            for earlier in self.tie_events:
                _merge(named, named_by(folder, self.actor, earlier))
            self.tie_below = None
        below = self.tie_below
        if below is None:
            below = {}
            for other in named:
                _index_below(below, other)
        mine = named_by(folder, self.actor, event)
        if not mine:  # names nothing (a custom fold, no effects): nothing to tie
            self.tie_events.append(event)
            self.tie_named, self.tie_below = named, below
            return
        for path, (count, attributes) in mine.items():
            # the paths named before that overlap this one: itself, those above it and
            # those below it (not every path named at the instant: a pair check each)
            steps = path.split(".")
            above = (".".join(steps[:i]) for i in range(1, len(steps)))
            near = [p for p in (path, *above) if p in named]
            near.extend(below.get(path, ()))
            for other in near:
                other_count, others = named[other]
                if (path == other and count and other_count) or not _overlap(path, other):
                    continue
                self.tied.update(attributes, others)
                self.uncertain.update(attributes, others)
        for path in mine:
            if path not in named:
                _index_below(below, path)
        _merge(named, mine)
        self.tie_events.append(event)
        self.tie_named, self.tie_below = named, below

    def step(
        self,
        event: RecordedEvent,
        folder: Folder,
        *,
        uncertain: bool = False,
        day_zone: ZoneInput = None,
    ) -> list[Change]:
        """Apply one event (already known to apply); return what it changed."""
        changes, problems = folder.apply(self.values, self.actor, event)
        self._count(event, folder, [c.attribute for c in changes], problems, uncertain, day_zone)
        return changes

    def advance(
        self,
        event: RecordedEvent,
        folder: Folder,
        uncertain: bool = False,
        day_zone: ZoneInput = None,
    ) -> None:
        """Apply one event (already known to apply), as :meth:`step` does, for a fold
        that does not ask what it changed: no :class:`Change` is made of its changes."""
        paths, problems = folder.changed(self.values, self.actor, event)
        self._count(event, folder, paths, problems, uncertain, day_zone)

    def doubt(self, event: RecordedEvent, folder: Folder) -> None:
        """Take in an event withdrawn in doubt (see :func:`withdrawn_in_doubt`): it applies
        nothing and is not counted, but the attributes it would have changed here are
        uncertain."""
        paths, _ = folder.changed(copy.deepcopy(self.values), self.actor, event)
        self.uncertain.update(paths)

    def _count(
        self,
        event: RecordedEvent,
        folder: Folder,
        paths: list[str],
        problems: list[str],
        uncertain: bool,
        day_zone: ZoneInput,
    ) -> None:
        """Take in an event applied that changed ``paths`` (:func:`fold` counts the same
        way, unrolled in its loop)."""
        self.events_applied += 1
        position, start = event.position, event.occurred_at
        self.tie(event, folder, self.last_key is not None and self.last_key[0] == start)
        last = self.last_position
        if last is None or position > last:
            self.last_position = position
        self.last_key = (start, position)  # key(event)
        precision = event.precision
        end = start if precision == "exact" else interval_end(start, precision, day_zone)
        max_end = self.max_end
        if max_end is None or end > max_end:
            self.max_end = end
        if problems:
            self.problems.extend(problems)
        if paths:
            self.changes += len(paths)
            if uncertain:
                self.uncertain.update(paths)


def fold(
    actor: str,
    events: Iterable[RecordedEvent],
    *,
    at: Bound | None,
    folder: Folder,
    start: Replay | None = None,
    checkpoint_every: int | None = None,
    on_checkpoint: Callable[[Replay], None] | None = None,
    unsure: Callable[[RecordedEvent], bool] | None = None,
    withdrawn: Container[int] = (),
    day_zone: ZoneInput = None,
) -> Replay:
    """Replay ``actor``'s resolved events in valid-time order, as asked about ``at``.

    ``events`` must be resolved (see :func:`resolve`) and in ``(occurred_at, position)``
    order; those that do not name ``actor`` or that happen later than ``at`` are
    skipped. The attributes set by events that apply but are uncertain at ``at`` are
    collected in ``uncertain``, and so are those of events for which ``unsure(event)``
    is true (a claim whose reported time straddles the reader's bound); events whose
    position is in ``withdrawn`` (see :func:`withdrawn_in_doubt`) apply nothing, but
    the attributes they would have changed are uncertain (:meth:`Replay.doubt`). ``start``
    continues an earlier replay (a snapshot);
    ``on_checkpoint`` receives a copy of the replay after every ``checkpoint_every``
    events applied (to store as snapshots). Days, months and years are those of
    ``day_zone`` (UTC by default).

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident="s",
        ...               effects={"Russia": {"cooperation.US": "suspended"}})
        >>> noon = (dt.datetime(2017, 6, 19, 12, tzinfo=dt.UTC), True)
        >>> r = fold("Russia", resolve(tl.events()), at=noon, folder=Folder())
        >>> r.values, r.uncertain
        ({'cooperation.US': 'suspended'}, {'cooperation.US'})
    """
    replay = start if start is not None else Replay(actor)
    values, changed = replay.values, folder.changed
    # Replay.advance, unrolled: what it counts is kept here and written to the replay at
    # each checkpoint and at the end (the two calls and the attribute writes per event
    # were about a tenth of the CPU of the fold of 10,000 events)
    applied, changes, last, max_end = replay.events_applied, replay.changes, None, replay.max_end
    last_position = replay.last_position  # None: no event applied yet
    since_checkpoint = 0
    # ties (Replay.tie), kept lazily: the start of the events applied at the newest
    # instant, the first of them, whether a second came, and the checkpoint just taken
    tie_at = None if replay.last_key is None else replay.last_key[0]
    first: RecordedEvent | None = None
    tied, cut = bool(replay.tie_events), None
    for event in events:
        # whether the event names the actor (involved(), without building the list)
        if event.actor != actor and actor not in event.targets and actor not in event.effects:
            continue
        if at is None:
            doubt = False
        else:
            when = placed(event.occurred_at, event.precision, at, day_zone=day_zone)  # timing()
            if when == "later":
                break  # in valid-time order, every event after this one is later too
            doubt = when == "uncertain"
        if withdrawn and event.position in withdrawn:
            replay.doubt(event, folder)
            continue
        if unsure is not None and not doubt:
            doubt = unsure(event)
        paths, problems = changed(values, actor, event)
        applied += 1
        last = event
        position, moment = event.position, event.occurred_at
        if moment == tie_at:
            if not tied and first is not None:
                replay.tie_events, replay.tie_named = [first], None
            tied = True
            replay.tie(event, folder, True)
            if cut is not None:
                cut.tie_cut = True  # a snapshot there would cut this tie in two
        else:
            tie_at, first, tied = moment, event, False
        cut = None
        if last_position is None or position > last_position:
            last_position = position
        precision = event.precision
        end = moment if precision == "exact" else interval_end(moment, precision, day_zone)
        if max_end is None or end > max_end:
            max_end = end
        if problems:
            replay.problems.extend(problems)
        if paths:
            changes += len(paths)
            if doubt:
                replay.uncertain.update(paths)
        since_checkpoint += 1
        if checkpoint_every and on_checkpoint is not None and since_checkpoint >= checkpoint_every:
            _counted(replay, applied, changes, last, last_position, max_end, first, tied)
            cut = replay.copy()
            on_checkpoint(cut)
            since_checkpoint = 0
    _counted(replay, applied, changes, last, last_position, max_end, first, tied)
    return replay


def _counted(
    replay: Replay,
    applied: int,
    changes: int,
    last: RecordedEvent | None,
    last_position: int | None,
    max_end: dt.datetime | None,
    first: RecordedEvent | None = None,
    tied: bool = False,
) -> None:
    """Write what :func:`fold` counted to ``replay``, as :meth:`Replay._count` would have
    event by event (``last``: the last event applied, ``None``: none since the start;
    ``first``: the first event applied at the newest instant, ``tied``: whether
    :meth:`Replay.tie` took in those applied there already)."""
    if last is None:
        return
    if not tied and first is not None:
        replay.tie_events, replay.tie_named = [first], None  # as Replay.tie() keeps them
    replay.events_applied = applied
    replay.changes = changes
    replay.last_position = last_position
    replay.last_key = (last.occurred_at, last.position)
    replay.max_end = max_end


class State(ActorState):
    """The answer of :meth:`Timeline.state`: an actor's attributes at a moment, as known.

    A read-only mapping of dotted attribute paths to values (``state["cooperation.US"]``),
    with what it answers for and how it was reached:

    - ``at`` and ``known_at``: what was asked, as bounds ``(moment, inclusive)`` like
      those of the ``basis``: a date is the end of that day (of the timeline's day
      zone), exclusive, so that the answer says it took in the whole day; an instant is
      itself, inclusive (``None``: everything). ``str(state.basis)`` and
      :func:`timeline.times.bound_text` put them in words;
    - ``basis``: the knowledge the answer rests on (:class:`~timeline.view.Basis`), to
      ask again on it (``tl.as_of(state.basis)``) and to cite;
    - ``uncertain``: the attributes set by an event whose interval reaches past ``at``
      (it applies, but may have happened just after), or whose reported time straddles
      the ``reported_by`` bound (it may have been public only just after), and those
      that two events starting at one instant name (:meth:`Replay.tie`: their order is
      only the recording order);
    - ``events_applied`` and ``last_position``: how many of the actor's events were
      folded, and the newest position among them, so a caller can cite them;
    - ``problems``: effects that could not apply (an ``$inc`` on text, a failing custom
      fold), reported rather than dropped.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident="s",
        ...               effects={"Russia": {"cooperation.US": "suspended"}})
        >>> s = tl.state("Russia", at="2017-06-19 12:00Z")
        >>> (s["cooperation.US"], s.uncertain, s.events_applied)
        ('suspended', frozenset({'cooperation.US'}), 1)
        >>> tl.state("Russia", at="2017-06-19").at
        (datetime.datetime(2017, 6, 20, 0, 0, tzinfo=datetime.timezone.utc), False)
    """

    __slots__ = (
        "at",
        "basis",
        "events_applied",
        "known_at",
        "last_position",
        "problems",
        "uncertain",
    )

    def __init__(
        self,
        replay: Replay,
        *,
        at: Bound | None,
        known_at: Bound | None,
        basis: Basis | None = None,
    ) -> None:
        super().__init__(replay.actor, replay.values)
        self.at = at
        self.known_at = known_at
        self.basis = basis
        self.uncertain = frozenset(replay.uncertain)
        self.events_applied = replay.events_applied
        self.last_position = replay.last_position
        self.problems = tuple(replay.problems)

    def __repr__(self) -> str:
        return (
            f"State({self.actor!r}, {self.to_dict()!r}, uncertain={sorted(self.uncertain)!r}, "
            f"events_applied={self.events_applied})"
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, State):
            return NotImplemented
        return _comparable(self) == _comparable(other)

    def _repr_html_(self) -> str:
        """How a notebook shows the state: a table (see :func:`timeline.render.state_html`)."""
        from timeline.render import state_html

        return state_html(self)

    __hash__ = None  # type: ignore[assignment]


def _comparable(state: State) -> tuple[Any, ...]:
    return (
        state.actor,
        canonical_json(state.to_dict()),
        state.uncertain,
        state.events_applied,
        state.last_position,
        state.problems,
        state.at,
        state.known_at,
    )


@attrs.frozen
class HistoryEntry:
    """One change of one attribute: when, from what, to what, by which event.

    ``when`` is the event's ``occurred_at`` and ``precision`` its precision; ``old`` or
    ``new`` is ``None`` when the attribute was absent.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("cooperation_suspended", "Russia", "2017-06-19", incident="s",
        ...               effects={"Russia": {"cooperation.US": "suspended"}})
        >>> [(h.attribute, h.old, h.new) for h in tl.history("Russia")]
        [('cooperation.US', None, 'suspended')]
    """

    when: dt.datetime
    precision: str
    attribute: str
    old: JSONValue
    new: JSONValue
    event: RecordedEvent


__all__ = [
    "ActorState",
    "Bound",
    "Change",
    "FoldFunction",
    "Folder",
    "HistoryEntry",
    "Key",
    "Replay",
    "State",
    "apply_effects",
    "by_root",
    "changed_fields",
    "fold",
    "involved",
    "is_meta",
    "key",
    "named_by",
    "placed",
    "reported_by",
    "resolve",
    "resolve_stream",
    "standing_corrections",
    "standing_form",
    "timing",
    "withdrawn_in_doubt",
]
