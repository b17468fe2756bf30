"""Effects: what an effect may say, and what it does to an actor's attributes.

One module, read by everything that touches effects, so that events, templates and the
fold can never disagree:

- :data:`OPERATORS`, the table of operators (``{"$inc": n}``): each with the check of
  its argument and its application; a new operator is one entry;
- :func:`check_changes`, the one check of ``{attribute.path: value}``, used for an
  event's effects (:func:`timeline.events.check_effects`), for templates
  (:func:`check_template`, at ``Timeline.define``) and for what a custom fold returns;
- :func:`expand`, a template made into the effects it has on one actor of one event;
- :func:`applied_paths`, the application, in one order (:func:`apply_effects` the same,
  making a :class:`Change` of each change); :func:`prepare` works out the application
  of effects that many events share once.

The rules, in short. A path is dotted parts, none empty. An effect's value is any JSON
value (``None`` removes the attribute and everything below it; an object sets the paths
below it), or exactly one known operator at the top of the value. A key starting with
``$`` anywhere else inside a value, or as a part of a path (``{"$inc": {"alert": 1}}``,
MongoDB's spelling, would set ``$inc.alert``), is refused. Two paths of one object where one lies
inside the other (``army`` and ``army.size``) are refused: stored JSON keeps no order,
so what such an object meant could not be read back. An effect on a path replaces what
was at, below and above it, so the attributes always form a tree; an operator applies to
the value at its path, never inside a plain value above it (``army.size`` while ``army``
is 7: counting from 0 would replace the 7), and ``$inc`` never gives a sum that a float
rounds past 2**53 or that Python cannot write as text: such an operator changes nothing
and is a problem.

This module reads only JSON values that :func:`timeline.events.check_json` accepted; it
imports nothing of the events, so that they can use it.
"""

from __future__ import annotations

import fractions
import functools
import itertools
import math
import re
import sys
from collections.abc import Callable, Iterable, Iterator, Mapping
from types import MappingProxyType
from typing import Any, Final

import attrs

from timeline.errors import InvalidEventError

EFFECT_RULES: Final = "4"
"""The version of what effects and templates do. Snapshots key on it (see
:meth:`timeline.fold.Folder.fingerprint`), so that states folded under other rules are
never reused: bump it whenever an effect's outcome changes."""

PLACEHOLDERS: Final = ("{actor}", "{target}")
"""What a template may be keyed by, and may mention in its paths and text values."""

_PLACEHOLDER: Final = re.compile(r"\{(actor|target)\}")
_PLACEHOLDER_LIKE: Final = re.compile(r"\{[A-Za-z_][A-Za-z0-9_]*\}")


# -- the operators ---------------------------------------------------------------------------


@attrs.frozen
class Operator:
    """One operator of effects: ``{name: argument}`` as the value of a path.

    ``accepts(argument)`` says whether an argument can be written at all (checked when
    an event or a template is made, described by ``argument``); ``apply(current,
    argument)`` returns ``(new value, None)``, or ``(None, problem)`` when it cannot
    apply to what is there (checked at fold time: listed in ``state.problems``).
    ``current`` is the attribute's value, the object of the attributes below its path
    (``{"size": 5}`` for ``army`` when ``army.size`` is set), or ``None`` when absent.

    Example:
        >>> inc = OPERATORS["$inc"]
        >>> inc.accepts(2), inc.accepts(True), inc.apply(3, 2), inc.apply("a", 2)
        (True, False, (5, None), (None, "cannot add 2 to 'a'"))
    """

    name: str
    argument: str
    accepts: Callable[[Any], bool]
    apply: Callable[[Any, Any], tuple[Any, str | None]]


def _is_number(value: Any) -> bool:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    return not isinstance(value, float) or math.isfinite(value)


# Python writes an int of at most 1,920 bits as text whatever its limit on digits (640 at
# the lowest): only a wider sum needs asking (as timeline.events.check_json does)
_WIDE: Final = 1 << 1920

# From 2**53 on a float no longer holds every integer: a float sum there may round
_EXACT_FLOATS: Final = 2.0**53


def _inc(current: Any, n: Any) -> tuple[Any, str | None]:
    if type(current) is int and type(n) is int:  # most counters: nothing to check
        total = current + n
        if -_WIDE < total < _WIDE:
            return total, None
        return _wide(total)
    if current is None:
        current = 0  # a missing attribute counts as 0
    if not _is_number(current):
        return None, f"cannot add {n!r} to {current!r}"
    try:
        total = current + n
    except OverflowError:  # a float plus an int too large to be one
        return None, f"adding {n!r} overflows"
    if isinstance(total, float):
        if not math.isfinite(total):
            return None, f"adding {n!r} overflows"
        if (abs(total) >= _EXACT_FLOATS or abs(current) >= _EXACT_FLOATS) and (
            fractions.Fraction(total) != fractions.Fraction(current) + fractions.Fraction(n)
        ):
            return None, (
                f"adding {n!r} to {current!r} loses it: past 2**53 a float does not hold "
                f"every number, and the sum would be {total!r}"
            )
    elif not -_WIDE < total < _WIDE:
        return _wide(total)
    return total, None


def _wide(total: int) -> tuple[Any, str | None]:
    """An integer sum past 1,920 bits: a problem if Python cannot write it as text (nor
    then can JSON, a snapshot or any answer that shows it)."""
    try:
        str(total)
    except ValueError:
        limit = sys.get_int_max_str_digits()
        return None, f"the sum has more digits than Python writes as text ({limit:,})"
    return total, None


OPERATORS: Final[Mapping[str, Operator]] = MappingProxyType(
    {
        op.name: op
        for op in (
            # adds to a number; a missing attribute counts as 0; a sum a float would
            # round (past 2**53) or too long to write is a problem
            Operator("$inc", "a number (a finite int or float, not a bool)", _is_number, _inc),
        )
    }
)
"""The operators, by name."""


def operator_of(value: Any) -> tuple[Operator, Any] | None:
    """Return ``(operator, argument)`` if ``value`` is an operator, e.g. ``{"$inc": 1}``.

    Only for a value that :func:`check_changes` accepted; anything else is a plain value.

    Example:
        >>> op, n = operator_of({"$inc": 2})
        >>> op.name, n, operator_of({"inc": 2})
        ('$inc', 2, None)
    """
    if isinstance(value, dict) and len(value) == 1:
        ((name, argument),) = value.items()
        operator = OPERATORS.get(name)
        if operator is not None:
            return operator, argument
    return None


# -- paths -----------------------------------------------------------------------------------


def parts(path: str) -> tuple[str, ...]:
    """Return the dotted parts of an attribute path: the order effects apply in.

    Sorted by their parts, a path comes before the paths inside it.

    Example:
        >>> sorted(["army.size", "army", "air"], key=parts)
        ['air', 'army', 'army.size']
    """
    return tuple(path.split("."))


def check_path(path: str, *, field: str) -> None:
    """Raise unless ``path`` is dotted parts, none of them empty.

    Example:
        >>> check_path("cooperation.US", field="effects.Russia.cooperation.US")
        >>> check_path("cooperation.U.S.", field="effects.Russia.cooperation.U.S.")
        Traceback (most recent call last):
        ...
        timeline.errors.InvalidEventError: effects.Russia.cooperation.U.S.: an attribute path ...
    """
    if not path or not all(parts(path)):
        raise InvalidEventError(field, "an attribute path needs non-empty dotted parts")


def nested_pair(paths: Iterable[str]) -> tuple[str, str] | None:
    """Return two of ``paths`` where the second lies inside the first, or ``None``.

    Example:
        >>> nested_pair(["army.size", "navy", "army"])
        ('army', 'army.size')
        >>> nested_pair(["army.size", "army.sizes"]) is None
        True
    """
    ordered = sorted(paths, key=parts)
    # sorted by parts, a path that holds another comes just before it or before a path
    # that lies inside it too: neighbours are enough
    for outer, inner in itertools.pairwise(ordered):
        if parts(inner)[: len(parts(outer))] == parts(outer):
            return outer, inner
    return None


# -- the one check ---------------------------------------------------------------------------


def check_changes(
    changes: Any, *, field: str, template: bool = False, operators: bool = True
) -> None:
    """Raise :class:`~timeline.errors.InvalidEventError`, naming the field, unless
    ``changes`` is a valid ``{attribute.path: value}`` object (of JSON values).

    Refused: a path with an empty part or a part starting with ``$``; two paths of one
    object where one lies inside the other (their order would be lost in the store); an
    unknown operator, or one with an argument it does not take; a key starting with ``$``
    anywhere inside a value but as the one key of an operator at its top; an object value
    whose keys break these rules (its keys are paths below the value's path). With
    ``template``, a ``{name}`` other than ``{actor}`` and ``{target}`` in a path or a
    text (a misspelt placeholder).
    Without ``operators`` (what a custom fold returns: attributes, not effects), no
    operator is accepted.

    Example:
        >>> check_changes({"army": {"size": 5}, "alert": {"$inc": 1}}, field="effects.Russia")
        >>> check_changes({"army.size": 5, "army": None}, field="effects.Russia")
        Traceback (most recent call last):
        ...
        timeline.errors.InvalidEventError: effects.Russia.army.size: lies inside army, ...
        >>> check_changes({"alert": {"$max": 3}}, field="effects.{actor}")
        Traceback (most recent call last):
        ...
        timeline.errors.InvalidEventError: effects.{actor}.alert: unknown operator '$max'; ...
    """
    if not isinstance(changes, dict):
        raise InvalidEventError(
            field, f"expected {{attribute: value}}, got {type(changes).__name__}"
        )
    for path, value in changes.items():
        where = f"{field}.{path}"
        if template:
            _check_placeholders(path, field=where)
        check_path(path, field=where)
        dollar = _dollar_part_of(path)  # {"$inc": {"alert": 1}}, MongoDB's, set "$inc.alert"
        if dollar is not None:
            raise InvalidEventError(
                where,
                f"a key starting with '$' is no part of a path: an operator is the "
                f'value of its path ({{"alert": {{"$inc": 1}}}}), got {dollar!r}',
            )
        if template:
            _check_placeholders(value, field=where)
        op = operator_of(value) if operators else None
        if op is not None:
            operator, argument = op
            if not operator.accepts(argument):
                raise InvalidEventError(
                    where, f"{operator.name} needs {operator.argument}, got {argument!r}"
                )
        else:
            _check_value(value, field=where, top=True)
    _check_not_nested(changes, field=field)


def _check_not_nested(changes: Mapping[str, Any], *, field: str) -> None:
    pair = nested_pair(changes)
    if pair is not None:
        outer, inner = pair
        raise InvalidEventError(
            f"{field}.{inner}",
            f"lies inside {outer}, which the same object changes too; the order of the two "
            "would be lost in the store, so write one of them (an object value sets the "
            "paths below its own)",
        )


def _check_value(value: Any, *, field: str, top: bool) -> None:
    """Check an effect's plain value: below ``top`` an object's keys are paths below the
    value's path; inside a list an object is a plain JSON value, but never holds a ``$``
    key either."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{field}.{key}"
            if key.startswith("$"):
                if top and len(value) == 1 and key not in OPERATORS:
                    names = ", ".join(OPERATORS)
                    raise InvalidEventError(field, f"unknown operator {key!r}; use {names}")
                raise _misplaced(key, field=field)
            check_path(key, field=where)
            _check_value(item, field=where, top=False)
        _check_not_nested(value, field=field)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_no_dollar_keys(item, field=f"{field}[{i}]")


def _check_no_dollar_keys(value: Any, *, field: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            if key.startswith("$"):
                raise _misplaced(key, field=field)
            _check_no_dollar_keys(item, field=f"{field}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_no_dollar_keys(item, field=f"{field}[{i}]")


def _misplaced(key: str, *, field: str) -> InvalidEventError:
    return InvalidEventError(
        field,
        f"a key starting with '$' stands only as the one key of an operator "
        f"({', '.join(OPERATORS)}) at the top of an effect's value, got {key!r}",
    )


def _check_placeholders(value: Any, *, field: str) -> None:
    for text in _texts(value):
        for found in _PLACEHOLDER_LIKE.findall(text):
            if found not in PLACEHOLDERS:
                raise InvalidEventError(
                    field, f"unknown placeholder {found}; a template knows {{actor}} and {{target}}"
                )


def _texts(value: Any) -> Iterator[str]:
    """Every text in a JSON value: keys and strings."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)


def check_template(template: Any, *, field: str = "effects") -> None:
    """Raise unless ``template`` is a valid effect template (see :meth:`Timeline.define`):
    ``{"{actor}" or "{target}": {attribute.path: value}}``, whose paths and values pass
    :func:`check_changes` and mention no placeholder but ``{actor}`` and ``{target}``.

    Example:
        >>> check_template({"{actor}": {"cooperation.{target}": "suspended"}})
        >>> check_template({"{actor}": {"training.{targets}": "done"}})
        Traceback (most recent call last):
        ...
        timeline.errors.InvalidEventError: effects.{actor}.training.{targets}: unknown ...
    """
    if not isinstance(template, dict) or not template:
        raise InvalidEventError(field, 'expected {"{actor}": {attribute: value}}')
    for who, changes in template.items():
        if who not in PLACEHOLDERS:
            raise InvalidEventError(
                f"{field}.{who}",
                "a template changes the event's own actors: use {actor} or {target}",
            )
        check_changes(changes, field=f"{field}.{who}", template=True)


# -- templates at fold time ------------------------------------------------------------------


def mentions_target(changes: Mapping[str, Any]) -> bool:
    """Whether a template's part names ``{target}`` in a path or a value: such an
    ``{actor}`` part applies once per target, as it names each.

    Example:
        >>> mentions_target({"cooperation.{target}": "suspended"}), mentions_target({"n": 1})
        (True, False)
    """
    return any("{target}" in text for text in _texts(changes))


def expand(
    template: Mapping[str, Mapping[str, Any]],
    *,
    actor: str,
    targets: Iterable[str],
    whom: str,
) -> tuple[list[dict[str, Any]], list[str]]:
    """Return the effects a template has on ``whom`` for one event, in the order they
    apply, and the problems of the changes left out.

    The ``{actor}`` part applies to the event's actor once per event; when it mentions
    ``{target}`` it names each target, so it applies once per target (not at all for an
    event without targets). The ``{target}`` part applies to each target once, after.
    A name is substituted in text values as it is; a name that contains ``.`` is never
    substituted into a path (it would split the path into other parts): that change is
    left out and listed as a problem. So is a change that the substitution makes into
    one an event could not hold, or into an operator (a name starting with ``$`` as a
    key inside a value).

    Example:
        >>> template = {"{actor}": {"strikes": {"$inc": 1}},
        ...             "{target}": {"struck_by.{actor}": "yes"}}
        >>> expand(template, actor="Iran", targets=["ISIS", "Kurds"], whom="Iran")
        ([{'strikes': {'$inc': 1}}], [])
        >>> expand(template, actor="Iran", targets=["ISIS", "Kurds"], whom="Kurds")
        ([{'struck_by.Iran': 'yes'}], [])
        >>> suspended = {"{actor}": {"cooperation.{target}": "suspended"}}
        >>> sets, problems = expand(suspended, actor="Russia", targets=["UK", "U.S."],
        ...                         whom="Russia")
        >>> sets
        [{'cooperation.UK': 'suspended'}]
        >>> problems
        ["{actor} cooperation.{target}: target 'U.S.' contains '.', which would split the
        path into other parts; not applied"]
    """
    targets = list(targets)
    found: list[dict[str, Any]] = []
    problems: list[str] = []
    own = template.get("{actor}")
    if own is not None and whom == actor:
        for target in targets if mentions_target(own) else [None]:
            found.append(_fill("{actor}", own, actor, target, problems))
    theirs = template.get("{target}")
    if theirs is not None and whom in targets:
        found.append(_fill("{target}", theirs, actor, whom, problems))
    return [changes for changes in found if changes], problems


def _fill(
    who: str, changes: Mapping[str, Any], actor: str, target: str | None, problems: list[str]
) -> dict[str, Any]:
    names = {"actor": actor, "target": target}
    filled: dict[str, Any] = {}
    for path in sorted(changes, key=parts):
        value = changes[path]
        split = [
            (role, name)
            for role, name in names.items()
            if name is not None
            and "." in name
            and any(f"{{{role}}}" in key for key in _keys(path, value))
        ]
        if split:
            role, name = split[0]
            problems.append(
                f"{who} {path}: {role} {name!r} contains '.', which would split the path "
                "into other parts; not applied"
            )
            continue
        new_path, new_value = _substitute(path, names), _substitute(value, names)
        if "$" in new_path or any("{" in key for key in _inner_keys(value)):
            # a name as a key inside a value: check the change as if written by hand,
            # and never let a name make the value an operator
            try:
                check_changes(
                    {new_path: new_value},
                    field=f"{who}.{new_path}",
                    operators=operator_of(value) is not None,
                )
            except InvalidEventError as e:
                problems.append(f"{who} {path}: substituted, {e.field}: {e.problem}; not applied")
                continue
        filled[new_path] = new_value
    return filled


def _keys(path: str, value: Any) -> Iterator[str]:
    """The texts of a change that are paths: its path and the keys of an object value."""
    yield path
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _keys(key, item)


def _inner_keys(value: Any) -> Iterator[str]:
    """The keys of every object inside a value, in lists too."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _inner_keys(item)
    elif isinstance(value, list):
        for item in value:
            yield from _inner_keys(item)


def _substitute(value: Any, names: Mapping[str, str | None]) -> Any:
    # one pass, so that a name which itself reads "{target}" is never substituted again
    if isinstance(value, str):
        return _PLACEHOLDER.sub(lambda m: names[m.group(1)] or m.group(0), value)
    if isinstance(value, dict):
        return {_substitute(k, names): _substitute(v, names) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, names) for v in value]
    return value


# -- the application -------------------------------------------------------------------------


@attrs.frozen
class Change:
    """One attribute of one actor changed by one event: ``old`` → ``new`` (``None``: absent).

    Example:
        >>> Change("cooperation.US", "active", "suspended").new
        'suspended'
    """

    attribute: str
    old: Any
    new: Any


def apply_effects(
    values: dict[str, Any], changes: Mapping[str, Any]
) -> tuple[list[Change], list[str]]:
    """Apply one actor's effects to ``values`` in place; return the changes and problems.

    Each effect is ``path: value``. A value sets the attribute (an object sets the
    attributes under the path); ``None`` removes the attribute and everything under it;
    an operator (``{"$inc": n}`` adds ``n`` to a number; a missing attribute counts as
    0) computes the new value from the current one. Whatever it sets, an effect replaces
    what was at its path, below it and above it, so the attributes always form a tree.
    An operator that cannot apply (``$inc`` on text, on ``army`` while ``army.size``
    is set, on ``army.size`` while ``army`` holds a plain value, or where the sum would
    be a float that rounds it past 2**53 or an integer Python cannot write as text)
    changes nothing and is reported as a problem rather than silently dropped.

    Effects apply in the order of their paths' parts (a path before the paths inside
    it), whatever order the mapping has: the order of a stored event and of the event in
    hand is the same. ``values`` must form a tree (no path beside a path inside it), as
    every state the fold makes does; it still does after.

    Example:
        >>> values = {"army.size": 5, "aircraft": 10}
        >>> changes, problems = apply_effects(values, {"aircraft": {"$inc": -1},
        ...                                            "army": {"$inc": 1},
        ...                                            "cooperation.US": "suspended"})
        >>> values
        {'army.size': 5, 'aircraft': 9, 'cooperation.US': 'suspended'}
        >>> [c.attribute for c in changes], problems
        (['aircraft', 'cooperation.US'], ["army: cannot add 1 to {'size': 5}"])
    """
    olds: list[Any] = []
    paths, problems = applied_paths(values, changes, olds=olds)
    return [
        Change(path, old, values.get(path)) for path, old in zip(paths, olds, strict=True)
    ], problems


_APPLY: Final[dict[str, Callable[[Any, Any], tuple[Any, str | None]]]] = {
    name: operator.apply for name, operator in OPERATORS.items()
}
"""The application of each operator of :data:`OPERATORS`, by name (one look-up per effect;
a plain dict, private, as a look-up in a read-only mapping costs a call more)."""


def applied_paths(
    values: dict[str, Any], changes: Mapping[str, Any], *, olds: list[Any] | None = None
) -> tuple[list[str], list[str]]:
    """Apply effects as :func:`apply_effects` does; return the paths whose values changed
    (in the order of its changes) and the problems; ``olds``, if given, receives the old
    value of each of those paths (``None``: absent), in the same order.

    What the fold keeps of the changes (how many, and which when the event is uncertain),
    without making a :class:`Change` of each: the one application, which
    :func:`apply_effects` reads too. ``changes`` may be :class:`PreparedEffects`, whose
    steps are worked out already.

    Example:
        >>> values = {"aircraft": 10, "status": "ready"}
        >>> applied_paths(values, {"aircraft": {"$inc": -1}, "status": "ready"})
        (['aircraft'], [])
        >>> values
        {'aircraft': 9, 'status': 'ready'}
    """
    if type(changes) is PreparedEffects:
        steps, nested = changes.steps, changes.nested
    else:
        steps, nested = _steps(changes)
    problems: list[str] = []
    if nested:
        return _apply_nested(values, steps, problems, olds)
    # No path of the effects lies inside another (all an event may hold now), so each
    # attribute is written or removed by one effect alone: whether it changed is known
    # as soon as that effect is applied, without keeping every old value to the end.
    found: list[str] = []
    for path, apply, value in steps:
        if apply is not None:  # an operator: value is its argument
            value, problem = _operate(values, path, apply, value)
            if problem is not None:
                problems.append(f"{path}: {problem}")
                continue
        if path in values and value is not None and not isinstance(value, dict):
            # a leaf replaced by a leaf (most effects): what _covered and leaves say then
            old = values.pop(path)
            values[path] = value
            if same_json(old, value):
                continue
            found.append(path)
            if olds is not None:
                olds.append(old)
            continue
        before = _write(values, path, value, {})
        for touched in _changed(before, values):
            found.append(touched)
            if olds is not None:
                olds.append(before[touched])
    return found, problems


Step = tuple[str, Callable[[Any, Any], tuple[Any, str | None]] | None, Any]
"""One effect as it applies: ``(path, the operator's application, its argument)``, or
``(path, None, value)`` for a plain value."""


class PreparedEffects(dict[str, Any]):
    """One actor's effects with their application worked out once (:func:`prepare`):
    the steps in the order they apply, each operator looked up, and whether a path lies
    inside another. A read of many events decodes each distinct text of effects once
    (their effects are then one object, read only, never changed) and prepares it once:
    a fold applies it thousands of times.

    Example:
        >>> prepared = prepare({"status": "ready", "alert": {"$inc": 1}})
        >>> [(path, value) for path, _, value in prepared.steps], prepared.nested
        ([('alert', 1), ('status', 'ready')], False)
        >>> prepared == {"status": "ready", "alert": {"$inc": 1}}
        True
    """

    __slots__ = ("nested", "steps")

    steps: tuple[Step, ...]
    nested: bool


def prepare(changes: Mapping[str, Any]) -> PreparedEffects:
    """Return ``changes`` (one actor's effects, as :func:`check_changes` accepts them) as
    :class:`PreparedEffects`, for effects that many events share."""
    prepared = PreparedEffects(changes)
    prepared.steps, prepared.nested = _steps(changes)
    return prepared


def _steps(changes: Mapping[str, Any]) -> tuple[tuple[Step, ...], bool]:
    """The steps of ``changes`` in the order they apply (by their paths' parts), and
    whether a path lies inside another."""
    paths, nested = _in_order(tuple(changes)) if len(changes) > 1 else (changes, False)
    steps: list[Step] = []
    for path in paths:
        value = changes[path]
        if _dollar_part_of(path) is not None:
            # held by a store older than their refusal ({"$inc": {"alert": 1}} set
            # "$inc.alert"): sets nothing, a problem, as a template's substitution is
            steps.append((path, _dollar_part, value))
            continue
        if type(value) is dict and len(value) == 1:  # an operator is an object of one key
            ((name, argument),) = value.items()
            apply = _APPLY.get(name)
            if apply is not None:
                steps.append((path, apply, argument))
                continue
        steps.append((path, None, value))
    return tuple(steps), nested


def _apply_nested(
    values: dict[str, Any],
    steps: tuple[Step, ...],
    problems: list[str],
    olds: list[Any] | None,
) -> tuple[list[str], list[str]]:
    """:func:`applied_paths` of effects where a path lies inside another (refused in new
    effects, perhaps held by an older store): a later effect may write again what an
    earlier one wrote, so each attribute's first old value is kept to the end."""
    before: dict[str, Any] = {}
    for path, apply, value in steps:
        if apply is not None:
            value, problem = _operate(values, path, apply, value)
            if problem is not None:
                problems.append(f"{path}: {problem}")
                continue
        _write(values, path, value, before)
    found = _changed(before, values)
    if olds is not None:
        olds.extend(before[path] for path in found)
    return found, problems


def _write(values: dict[str, Any], path: str, value: Any, before: dict[str, Any]) -> dict[str, Any]:
    """Set ``value`` at ``path`` in place, replacing what was at, below and above it;
    keep in ``before`` the old value of each attribute written or removed (``None``:
    absent) that it does not hold yet, in the order first touched; return ``before``."""
    for old_path in _covered(values, path):
        before.setdefault(old_path, values[old_path])
        del values[old_path]
    for leaf, leaf_value in leaves(path, value):
        before.setdefault(leaf, values.get(leaf))
        values[leaf] = leaf_value
    return before


def _changed(before: Mapping[str, Any], values: Mapping[str, Any]) -> list[str]:
    """The paths of ``before`` whose value in ``values`` is not the same JSON value."""
    return [path for path, old in before.items() if not same_json(old, values.get(path))]


@functools.lru_cache(maxsize=4096)
def _in_order(paths: tuple[str, ...]) -> tuple[tuple[str, ...], bool]:
    """``paths`` in the order effects apply (by their parts), and whether one of them
    lies inside another: a fold meets the same few sets of paths again and again."""
    return tuple(sorted(paths, key=parts)), nested_pair(paths) is not None


def _dollar_part_of(path: str) -> str | None:
    """The first part of ``path`` that starts with ``$`` (an operator's name written as a
    path's part), if any."""
    if "$" not in path:
        return None
    return next((part for part in parts(path) if part.startswith("$")), None)


def _dollar_part(current: Any, value: Any) -> tuple[Any, str | None]:
    """The step of a stored path with a part starting with ``$``: never applies."""
    return None, (
        "a key starting with '$' is no part of a path: an operator is the value of its "
        'path ({"alert": {"$inc": 1}}); left out'
    )


_NAMES: Final[dict[Callable[[Any, Any], tuple[Any, str | None]], str]] = {
    operator.apply: name for name, operator in OPERATORS.items()
}


def _operate(
    values: Mapping[str, Any],
    path: str,
    apply: Callable[[Any, Any], tuple[Any, str | None]],
    argument: Any,
) -> tuple[Any, str | None]:
    """An operator's new value at ``path``, or the problem that keeps it from applying.

    Inside a plain value (``army.size`` while ``army`` is 7) the path is not absent: an
    operator there would count from nothing and replace the value, so it is a problem;
    inside an empty object, which holds no attribute, it applies as to an absent one."""
    if path in values:
        return apply(values[path], argument)
    if apply is _dollar_part:
        return apply(None, argument)
    if "." in path:
        split = parts(path)
        for i in range(1, len(split)):
            above = ".".join(split[:i])
            if above in values and values[above] != {}:
                return None, (
                    f"lies inside {above}, which holds {values[above]!r}: {_NAMES[apply]} "
                    "does not apply inside a value (it would replace it)"
                )
    return apply(_read(values, path), argument)


def _read(values: Mapping[str, Any], path: str) -> Any:
    """The value at ``path``: the attribute, the object of those below it, or ``None``."""
    if path in values:
        return values[path]
    prefix = path + "."
    below = {p[len(prefix) :]: v for p, v in values.items() if p.startswith(prefix)}
    return nest(below) if below else None


def _covered(values: Mapping[str, Any], path: str) -> list[str]:
    """The stored paths a new value at ``path`` replaces: itself, below it, above it."""
    if path in values:
        # the attributes form a tree (the fold keeps them so): beside a leaf at this
        # path there is nothing above it or below it to look for
        return [path]
    split = parts(path)
    above = [p for p in (".".join(split[:i]) for i in range(1, len(split))) if p in values]
    if above:  # a plain value above: nothing can be below this path
        return above
    prefix = path + "."
    return [p for p in values if p.startswith(prefix)]


def leaves(path: str, value: Any) -> list[tuple[str, Any]]:
    """Return the attributes that ``value`` set at ``path`` stands for, as a tree's leaves.

    ``None`` stands for nothing, a non-empty object for the leaves below it, anything
    else for itself. Should two keys of an object overlap (``a`` and ``a.b``: refused in
    new effects, perhaps held by an older store), the key later in the order of their
    parts wins, as it would applied after: the leaves never hold a path and a path
    inside it.

    Example:
        >>> leaves("army", {"size": 5, "units": {"tanks": 2}, "navy": None})
        [('army.size', 5), ('army.units.tanks', 2)]
    """
    if not isinstance(value, dict) or not value:
        return [] if value is None else [(path, value)]
    found: list[tuple[str, Any]] = []
    _walk(path, value, found)
    if nested_pair(p for p, _ in found) is None and len({p for p, _ in found}) == len(found):
        return found
    kept: list[tuple[str, Any]] = []
    for leaf, leaf_value in found:
        kept = [(p, v) for p, v in kept if not _overlap(p, leaf)]
        kept.append((leaf, leaf_value))
    return kept


def _walk(path: str, value: Any, found: list[tuple[str, Any]]) -> None:
    if value is None:
        return
    if isinstance(value, dict) and value:
        for sub in sorted(value, key=parts):
            _walk(f"{path}.{sub}", value[sub], found)
        return
    found.append((path, value))


def _overlap(a: str, b: str) -> bool:
    """Whether one path is the other or lies inside it."""
    shorter, longer = sorted((parts(a), parts(b)), key=len)
    return longer[: len(shorter)] == shorter


def nest(values: Mapping[str, Any]) -> dict[str, Any]:
    """Return attributes keyed by dotted paths as nested objects.

    Example:
        >>> nest({"cooperation.US": "suspended", "army": 1})
        {'army': 1, 'cooperation': {'US': 'suspended'}}
    """
    tree: dict[str, Any] = {}
    for path in sorted(values):
        node = tree
        *parents, leaf = path.split(".")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = values[path]
    return tree


def same_json(a: Any, b: Any) -> bool:
    """Whether two JSON values are the same value as JSON (``1`` is not ``1.0`` nor ``True``).

    Example:
        >>> same_json(1, 1), same_json(1, 1.0), same_json({"a": [1]}, {"a": [1]})
        (True, False, True)
    """
    kind = type(a)
    if kind is not type(b):
        return False
    if kind is str or kind is int or a is None:  # most values: no need to look further
        return bool(a == b)
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(map(same_json, a, b))
    if isinstance(a, float):
        return a.hex() == b.hex()  # -0.0 is not 0.0, as in their JSON text
    return bool(a == b)


__all__ = [
    "EFFECT_RULES",
    "OPERATORS",
    "PLACEHOLDERS",
    "Change",
    "Operator",
    "PreparedEffects",
    "Step",
    "applied_paths",
    "apply_effects",
    "check_changes",
    "check_path",
    "check_template",
    "expand",
    "leaves",
    "mentions_target",
    "nest",
    "nested_pair",
    "operator_of",
    "parts",
    "prepare",
    "same_json",
]
