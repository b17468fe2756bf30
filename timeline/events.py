"""Event values: what a caller records (:class:`Event`) and what the store gives back
(:class:`RecordedEvent`).

Both are frozen attrs classes. ``Event`` validates everything on construction, so an
invalid event cannot exist and the store never sees one; every refusal is an
:class:`~timeline.errors.InvalidEventError` naming the field. ``data``, ``effects`` and
``source`` are copied on the way in: later changes to the caller's dicts do not reach the
event. Treat them as read-only.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import sys
import unicodedata
import uuid
from collections.abc import Collection, Iterable, Mapping
from types import MappingProxyType
from typing import Any, Final, NamedTuple

import attrs

from timeline.effects import PLACEHOLDERS, check_changes
from timeline.errors import InvalidEventError
from timeline.times import (
    ZoneInput,
    check_precision,
    check_start,
    interval_end,
    isoformat,
    parse_time,
    resolve_zone,
)

if sys.version_info >= (3, 14):  # pragma: no cover - exercised on 3.14 only
    from uuid import uuid7 as _uuid7
else:
    from uuid6 import uuid7 as _uuid7

MAX_NAME_LENGTH: Final = 200
MAX_JSON_DEPTH: Final = 64
SOURCE_FIELDS: Final = ("title", "url", "publisher", "published_at", "quote")
_TYPE_NAME: Final = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")

JSONValue = Any
"""A value that JSON can hold: dict with str keys, list, str, int, finite float, bool, None."""


def new_id() -> uuid.UUID:
    """Return a new time-ordered event id (UUIDv7).

    Example:
        >>> new_id().version
        7
    """
    return uuid.UUID(int=_uuid7().int)


def check_type_name(value: object, *, field: str = "type") -> str:
    """Return ``value`` if it is a snake_case event type name, else raise.

    Example:
        >>> check_type_name("cooperation_suspended")
        'cooperation_suspended'
    """
    if not isinstance(value, str):
        raise InvalidEventError(field, f"expected text, got {type(value).__name__}")
    if len(value) > 100:
        raise InvalidEventError(field, f"is {len(value)} characters long; at most 100")
    if not _TYPE_NAME.fullmatch(value):
        raise InvalidEventError(
            field, f"must be snake_case (lower-case letters, digits, '_'), got {value!r}"
        )
    return value


ZWNJ: Final = "\u200c"
ZWJ: Final = "\u200d"
INVISIBLE_FILLERS: Final = frozenset("\u3164\uffa0")
"""Hangul fillers: letters (so not format characters) that show as nothing."""
_CURSIVE: Final = (
    (0x0600, 0x08FF),  # Arabic (Persian, Urdu, ...), Syriac, Thaana, N'Ko, ...
    (0x1800, 0x18AF),  # Mongolian
    (0xA840, 0xA87F),  # Phags-pa
    (0xFB50, 0xFDFF),  # Arabic presentation forms
    (0xFE70, 0xFEFF),
    (0x10AC0, 0x10AFF),  # Manichaean
    (0x10F30, 0x10F6F),  # Sogdian
)


def check_name(value: object, *, field: str) -> str:
    """Return ``value``, in Unicode's composed form (NFC), if it can name an actor or an
    incident, else raise.

    A name is non-empty text of at most 200 characters, without white space at either end
    (so that "US" and "US " are never two actors). It is kept in NFC, so that "é" typed
    as one character or as "e" and an accent is one name. Refused, since they would make
    names that look alike but differ: control characters, line and paragraph
    separators, format characters (bidirectional controls such as U+202E, the zero-width
    space U+200B, the soft hyphen, ...) and the Hangul fillers. The zero-width non-joiner
    and joiner (U+200C, U+200D) stay where a script needs them, inside a word: after a
    virama (Indic scripts), the non-joiner between two letters of a joining script
    (Persian "می‌خواهم"), the joiner between two emoji; elsewhere they are refused.

    Example:
        >>> check_name("Russian Federation", field="actor")
        'Russian Federation'
        >>> check_name("Cre\u0301pieux", field="actor") == "Cr\u00e9pieux"
        True
    """
    if not isinstance(value, str):
        raise InvalidEventError(field, f"expected text, got {type(value).__name__}")
    if not value:
        raise InvalidEventError(field, "must not be empty")
    if len(value) > MAX_NAME_LENGTH:
        raise InvalidEventError(
            field, f"is {len(value)} characters long; at most {MAX_NAME_LENGTH}"
        )
    if value != value.strip():
        raise InvalidEventError(field, f"must not start or end with white space: {value!r}")
    check_characters(value, field=field)
    if value.isascii():
        return value
    name = unicodedata.normalize("NFC", value)
    if len(name) > MAX_NAME_LENGTH:  # a few characters grow under NFC
        raise InvalidEventError(
            field, f"is {len(name)} characters long in NFC; at most {MAX_NAME_LENGTH}"
        )
    return name


def check_characters(value: str, *, field: str) -> str:
    """Return ``value`` if it holds no character that is invisible or that changes how
    the text around it is shown, else raise (the rule of :func:`check_name`).

    Refused: control characters (categories Cc, Cs), line and paragraph separators (Zl,
    Zp), format characters (Cf: bidirectional controls, zero-width space, soft hyphen,
    ...) and the Hangul fillers, but for the zero-width non-joiner and joiner inside a
    word of a script that needs them.

    Example:
        >>> check_characters("\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645", field="actor")
        'می‌خواهم'
        >>> check_characters("US\u202eAIRAK", field="actor")
        Traceback (most recent call last):
        ...
        timeline.errors.InvalidEventError: actor: must not contain U+202E (RIGHT-TO-LEFT
        OVERRIDE), which is invisible or reorders the text around it
    """
    if value.isascii():
        for ch in value:
            if ch < " " or ch == "\x7f":
                raise InvalidEventError(field, f"must not contain control character {ch!r}")
        return value
    for index, ch in enumerate(value):
        category = unicodedata.category(ch)
        if category in ("Cc", "Cs"):
            raise InvalidEventError(field, f"must not contain control character {ch!r}")
        if category in ("Zl", "Zp"):
            raise InvalidEventError(field, f"must not contain a line break, {_code(ch)}")
        if category == "Cf" or ch in INVISIBLE_FILLERS:
            if ch not in (ZWNJ, ZWJ):
                raise InvalidEventError(
                    field,
                    f"must not contain {_code(ch)}, which is invisible or reorders the "
                    "text around it",
                )
            if not _joins(value, index):
                raise InvalidEventError(
                    field,
                    f"must not contain {_code(ch)} here: a joiner is kept only inside a word "
                    "that needs it (after a virama, between letters of an Arabic-script "
                    "word, between emoji)",
                )
    return value


def _code(ch: str) -> str:
    return f"U+{ord(ch):04X} ({unicodedata.name(ch, 'unnamed')})"


def _joins(text: str, index: int) -> bool:
    """Whether the ZWNJ or ZWJ at ``index`` stands where a script needs it (after
    Unicode's rules for joiners in identifiers, UAX #31, with emoji sequences added)."""
    before = text[index - 1] if index > 0 else ""
    after = text[index + 1] if index + 1 < len(text) else ""
    if not before or before in (ZWNJ, ZWJ):
        return False
    if unicodedata.combining(before) == 9:  # a virama: Indic conjuncts and half forms
        return True
    if not after:
        return False
    if text[index] == ZWNJ:
        return _cursive(before) and _cursive(after)
    return _emoji(before) and _emoji(after)


def _cursive(ch: str) -> bool:
    code = ord(ch)
    return any(low <= code <= high for low, high in _CURSIVE) and unicodedata.category(
        ch
    ).startswith(("L", "M"))


def _emoji(ch: str) -> bool:
    # a pictograph (So), a skin tone (Sk) or the emoji presentation selector U+FE0F
    return ord(ch) > 0x2000 and (unicodedata.category(ch) in ("So", "Sk") or ch == "\ufe0f")


def check_targets(value: object, *, field: str = "targets") -> tuple[str, ...]:
    """Return the targets as a tuple of names; a single string is one target.

    A single string that holds a comma (``"US, Iraq"``) is refused, as a CSV cell is: it
    may be two names or one, so give a list (``["US", "Iraq"]``, or ``["Korea, Republic
    of"]`` for one name with a comma). So is one that holds a ``;``, which separates
    names in a CSV cell (``"US;Iraq"`` is two targets there).

    Raises:
        InvalidEventError: a target is not a valid name, appears twice, or is a single
            string with a comma.

    Example:
        >>> check_targets(["US", "coalition"])
        ('US', 'coalition')
        >>> check_targets("US")
        ('US',)
        >>> check_targets("US, Iraq")
        Traceback (most recent call last):
        ...
        timeline.errors.InvalidEventError: targets: 'US, Iraq' is one string with a comma; ...
    """
    if value is None:
        return ()
    if isinstance(value, str):
        if "," in value or ";" in value:
            # ';' separates names in a CSV cell: the same text here is refused, never
            # stored as one name where the CSV reader reads two
            parts = [part.strip() for part in value.replace(";", ",").split(",")]
            mark = "a comma" if "," in value else "a ';'"
            raise InvalidEventError(
                field,
                f"{value!r} is one string with {mark}; give a list: "
                f"{json.dumps(parts, ensure_ascii=False)} for separate names, or "
                f"{json.dumps([value], ensure_ascii=False)} for one name with a comma",
            )
        return (check_name(value, field=f"{field}[0]"),)
    if isinstance(value, Mapping | bytes) or not isinstance(value, Iterable):
        raise InvalidEventError(field, f"expected a list of names, got {type(value).__name__}")
    if isinstance(value, set | frozenset):
        raise InvalidEventError(field, "expected a list of names in a fixed order, got a set")
    names = tuple(check_name(v, field=f"{field}[{i}]") for i, v in enumerate(value))
    seen: set[str] = set()
    for name in names:
        if name in seen:
            raise InvalidEventError(field, f"{name!r} appears twice")
        seen.add(name)
    return names


def check_json(value: object, *, field: str, _depth: int = 0) -> JSONValue:
    """Return a deep copy of ``value`` made only of JSON types, or raise.

    Tuples become lists. Refused: non-text keys, NaN and infinities, the NUL character
    (PostgreSQL cannot store it in text), nesting deeper than 64, integers of more digits
    than Python writes as text (4,300 by default; ``sys.set_int_max_str_digits``), and
    any other type.

    Example:
        >>> check_json({"casualties": 0, "aircraft": ("Su-22",)}, field="data")
        {'casualties': 0, 'aircraft': ['Su-22']}
    """
    if _depth > MAX_JSON_DEPTH:
        raise InvalidEventError(field, f"nests deeper than {MAX_JSON_DEPTH} levels")
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        if value.bit_length() > _SAFE_INT_BITS:
            _check_digits(value, field=field)
        return int(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise InvalidEventError(field, f"{value!r} is not a JSON number")
        return float(value)
    if isinstance(value, str):
        if "\x00" in value:
            raise InvalidEventError(field, "must not contain the NUL character")
        if any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise InvalidEventError(field, "contains a lone surrogate, which is not text")
        return str(value)
    if isinstance(value, Mapping):
        out = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise InvalidEventError(
                    field, f"keys must be text, got {type(key).__name__} {key!r}"
                )
            check_json(key, field=f"{field} key")
            out[key] = check_json(item, field=f"{field}.{key}", _depth=_depth + 1)
        return out
    if isinstance(value, list | tuple):
        return [
            check_json(item, field=f"{field}[{i}]", _depth=_depth + 1)
            for i, item in enumerate(value)
        ]
    raise InvalidEventError(field, f"{type(value).__name__} is not a JSON value")


# An integer of at most 1,920 bits has at most 579 digits, under the lowest limit on
# int-to-text conversion Python allows (640 digits): only wider ones need asking.
_SAFE_INT_BITS: Final = 1920


def _check_digits(value: int, *, field: str) -> None:
    try:
        str(value)
    except ValueError as e:  # Python's limit on int-to-text conversion
        raise InvalidEventError(
            field, f"is an integer of more than {sys.get_int_max_str_digits():,} digits"
        ) from e


class _KeyTwice(Exception):
    """A JSON object that names a key twice (not a ValueError: those are the digits')."""


def _object(pairs: list[tuple[str, JSONValue]]) -> dict[str, JSONValue]:
    """A JSON object, refused when it names a key twice: ``json`` would keep the last
    value and drop the others in silence."""
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise _KeyTwice(key)
            seen.add(key)
    return value


def parse_json(text: str | bytes, *, field: str) -> JSONValue:
    """Return the value of JSON text, or raise :class:`InvalidEventError` naming ``field``.

    Text that is not JSON is refused saying where (``column N``, or ``line L, column N``);
    so is text that nests too deep for Python to parse (deeper than Python's recursion
    limit, far deeper than the 64 levels an event may hold) and text holding an integer
    of more digits than Python reads (4,300 by default), which would otherwise escape as
    ``RecursionError`` and ``ValueError``, and an object that names a key twice, of
    which JSON would keep the last value in silence. The JSON error, when there is one,
    is the ``__cause__``.

    Example:
        >>> parse_json('{"aircraft": "Su-22"}', field="data")
        {'aircraft': 'Su-22'}
        >>> parse_json("[" * 100_000, field="data")
        Traceback (most recent call last):
        ...
        timeline.errors.InvalidEventError: data: nests deeper than 64 levels
    """
    try:
        return json.loads(text, object_pairs_hook=_object)
    except _KeyTwice as e:
        raise InvalidEventError(
            field, f"names the key {e.args[0]!r} twice in one object; give it once"
        ) from None
    except json.JSONDecodeError as e:
        where = f"column {e.colno}" if e.lineno == 1 else f"line {e.lineno}, column {e.colno}"
        raise InvalidEventError(field, f"is not valid JSON: {e.msg} ({where})") from e
    except RecursionError as e:
        raise InvalidEventError(field, f"nests deeper than {MAX_JSON_DEPTH} levels") from e
    except ValueError as e:  # an integer past Python's limit on text-to-int conversion
        raise InvalidEventError(
            field, f"holds an integer of more than {sys.get_int_max_str_digits():,} digits"
        ) from e


def _check_object(value: object, *, field: str) -> dict[str, JSONValue]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEventError(field, f"expected a JSON object, got {type(value).__name__}")
    result: dict[str, JSONValue] = check_json(value, field=field)
    return result


def check_effects(
    value: object, *, field: str = "effects", named: Collection[str] | None = None
) -> dict[str, dict[str, JSONValue]]:
    """Return validated ``effects``: ``{actor: {attribute.path: value}}``.

    Each actor's changes pass :func:`timeline.effects.check_changes`, the check that
    templates pass too: a value is any JSON value (``None`` removes the attribute) or one
    operator of :data:`timeline.effects.OPERATORS` (``{"$inc": n}``, ``n`` a finite int
    or float); paths have non-empty dotted parts, and one object never holds a path and
    a path inside it. Actors are names (see :func:`check_name`) and each part of an
    attribute path is held to the same characters; both are kept in NFC, so two keys
    that differ only in how an accent is encoded are one key, refused when given twice.
    With ``named`` (the event's actor and targets), an actor key ``{actor}`` or
    ``{target}`` is refused unless the event names an actor so called: those are a
    template's (:meth:`Timeline.define`), which an event's effects do not fill.

    Example:
        >>> check_effects({"Russia": {"cooperation.US": "suspended"}})
        {'Russia': {'cooperation.US': 'suspended'}}
        >>> check_effects({"Russia": {"army": {"$mul": 2}}})
        Traceback (most recent call last):
        ...
        timeline.errors.InvalidEventError: effects.Russia.army: unknown operator '$mul'; use $inc
    """
    effects = _check_object(value, field=field)
    checked: dict[str, dict[str, JSONValue]] = {}
    for actor, changes in effects.items():
        name = check_name(actor, field=f"{field} actor")
        if name in PLACEHOLDERS and named is not None and name not in named:
            # a template's key written into one event's effects: it named an actor "{actor}"
            raise InvalidEventError(
                f"{field}.{name}",
                f"{name} is a template's placeholder, which an event's effects do not fill: "
                "key them by the actor's name, or define() a template for the event's type",
            )
        if name in checked:
            raise InvalidEventError(
                f"{field} actor", f"{name!r} appears twice (in NFC; once as {actor!a})"
            )
        if not isinstance(changes, dict):
            raise InvalidEventError(
                f"{field}.{actor}", f"expected {{attribute: value}}, got {type(changes).__name__}"
            )
        paths: dict[str, JSONValue] = {}
        for path, change in changes.items():
            try:
                attribute = check_path(path)
            except InvalidEventError as e:  # named by its repr: the path is not fit to show
                raise InvalidEventError(
                    f"{field}.{name}", f"attribute {path!r} {e.problem}"
                ) from None
            if attribute in paths:
                raise InvalidEventError(
                    f"{field}.{name}",
                    f"attribute {attribute!r} appears twice (in NFC; once as {path!a})",
                )
            paths[attribute] = change
        check_changes(paths, field=f"{field}.{name}")
        checked[name] = paths
    return checked


def check_path(value: str, *, field: str = "attribute") -> str:
    """Return an attribute path (``cooperation.US``) in NFC, refusing the characters a
    name may not hold (see :func:`check_characters`), which would make two paths look
    alike or reorder the text of a ``timeline state`` table.

    Example:
        >>> check_path("cooperation.US")
        'cooperation.US'
    """
    if value.isascii():
        return check_characters(value, field=field)
    return unicodedata.normalize("NFC", check_characters(value, field=field))


def check_source(value: object, *, field: str = "source") -> dict[str, str]:
    """Return validated provenance: any of title, url, publisher, published_at, quote.

    ``published_at`` may be a date, a datetime or text; it is kept as ISO text.

    Example:
        >>> check_source({"title": "Russia threatens", "published_at": dt.date(2017, 6, 19)})
        {'title': 'Russia threatens', 'published_at': '2017-06-19'}
    """
    source = _check_object(
        _published_as_text(value) if isinstance(value, Mapping) else value, field=field
    )
    for key, item in source.items():
        if key not in SOURCE_FIELDS:
            raise InvalidEventError(
                f"{field}.{key}", f"unknown field; use {', '.join(SOURCE_FIELDS)}"
            )
        if item is not None and not isinstance(item, str):
            raise InvalidEventError(f"{field}.{key}", f"expected text, got {type(item).__name__}")
    return {k: v for k, v in source.items() if v is not None}


def _published_as_text(source: Mapping[Any, Any]) -> dict[Any, Any]:
    published = source.get("published_at")
    if isinstance(published, dt.date):
        return {**source, "published_at": published.isoformat()}
    return dict(source)


def check_id(value: object, *, field: str = "id") -> uuid.UUID:
    """Return ``value`` as a UUID (a ``UUID`` or its text), or raise.

    Example:
        >>> check_id("0190a8e4-0000-7000-8000-000000000001").version
        7
    """
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, str):
        try:
            return uuid.UUID(value)
        except ValueError as e:
            raise InvalidEventError(field, f"{value!r} is not a UUID") from e
    raise InvalidEventError(field, f"expected a UUID, got {type(value).__name__}")


def reported_time(
    reported_at: object,
    precision: object,
    source: Mapping[str, str],
    *,
    default_tz: ZoneInput = None,
    day_zone: ZoneInput = None,
    check: bool = True,
) -> tuple[dt.datetime | None, str | None]:
    """Return an event's reported time and its precision, as the caller gave them.

    ``reported_at`` when given; else the source's ``published_at`` (which must then be
    a time that can be read without guessing); else ``(None, None)``: the store's
    recorded time stands for it. A date is a day of ``day_zone`` (UTC by default), and a
    precision given must start with the time (see :func:`timeline.times.check_start`;
    ``check=False`` for a time copied from a stored event).

    Example:
        >>> reported_time("2020-01-12", None, {})
        (datetime.datetime(2020, 1, 12, 0, 0, tzinfo=datetime.timezone.utc), 'day')
        >>> reported_time(None, None, {"published_at": "2020-01-12T09:30Z"})[1]
        'minute'
        >>> reported_time(None, None, {})
        (None, None)
    """
    if reported_at is None:
        published = source.get("published_at")
        if published is None:
            if precision is not None:
                raise InvalidEventError(
                    "reported_precision", "is given without reported_at; give both"
                )
            return None, None
        try:
            start, inferred = parse_time(
                published, field="source.published_at", default_tz=default_tz, day_zone=day_zone
            )
        except InvalidEventError as e:
            raise InvalidEventError(
                e.field,
                f"{e.problem} (the source's publication gives the event's reported time; "
                "give reported_at to set it otherwise)",
            ) from e
    else:
        start, inferred = parse_time(
            reported_at, field="reported_at", default_tz=default_tz, day_zone=day_zone
        )
    if precision is None:
        return start, inferred
    precision = check_precision(precision, field="reported_precision")
    if check:
        check_start(start, precision, field="reported_precision", day_zone=day_zone)
    return start, precision


@attrs.define(frozen=True, slots=True, init=False, eq=True, hash=False, repr=False)
class Event:
    """An event not yet stored: a claim that ``actor`` did ``type`` at a moment.

    Args:
        type: snake_case name, e.g. ``"shootdown"``.
        actor: who did it.
        occurred_at: when, as an aware ``datetime`` (precision ``exact``), a ``date`` (that
            day of ``day_zone``) or text ("2017-06-18", "June 2017", "2017-06-18 18:43
            +03:00"); stored in UTC.
        incident: the stream the event belongs to.
        targets: the actors it was done to or with (a list, or one name).
        data: a JSON object of anything else worth keeping.
        effects: declarative state changes, ``{actor: {attribute.path: value}}``.
        precision: ``exact``, ``second``, ``minute``, ``hour``, ``day``, ``month`` or
            ``year``; inferred from ``occurred_at`` when not given. A precision given
            must start with ``occurred_at``: ``"month"`` needs the first instant of a
            month of ``day_zone``, so 14 April with ``"month"`` is refused (give
            ``"2020-04"``); see :func:`timeline.times.check_start`.
        source: provenance: title, url, publisher, published_at, quote.
        id: a UUID; a new UUIDv7 when not given.
        corrects: the id of a stored event this one corrects (its fields replace that
            event's); usually made by :meth:`Timeline.correct`.
        retracts: the id of a stored event this one retracts; usually made by
            :meth:`Timeline.retract`.
        reported_at: when the claim became public (the source's publication moment),
            read like ``occurred_at`` and with its own precision (``"2020-01-12"`` is
            that day). Not given: ``source["published_at"]`` when the source has one,
            else the moment the store records the event.
        reported_precision: the precision of ``reported_at``, when not the one its
            form implies.
        default_tz: the zone in which to read a naive ``datetime`` or a time of day
            written without an offset; not stored. Without it such times are refused.
        day_zone: the zone whose calendar dates, months and years are of (an IANA name
            or an offset; default UTC); not stored.

    Raises:
        InvalidEventError: naming the field, for anything not acceptable.

    Example:
        >>> e = Event("shootdown", "US", "2017-06-18 18:43 +03:00",
        ...           incident="syria-2017-06", targets=["Syria"])
        >>> (e.occurred_at.isoformat(), e.precision, e.targets)
        ('2017-06-18T15:43:00+00:00', 'minute', ('Syria',))
    """

    type: str
    actor: str
    occurred_at: dt.datetime
    incident: str
    targets: tuple[str, ...]
    data: dict[str, JSONValue]
    effects: dict[str, dict[str, JSONValue]]
    precision: str
    source: dict[str, str]
    id: uuid.UUID
    corrects: uuid.UUID | None
    retracts: uuid.UUID | None
    reported_at: dt.datetime | None
    reported_precision: str | None
    # The zone whose calendar its day, month or year is of (occurred_until): the
    # day_zone it was built with (None: UTC); not part of its content.
    day_zone: dt.tzinfo | None = attrs.field(eq=False)

    def __init__(
        self,
        type: str,
        actor: str,
        occurred_at: dt.datetime | dt.date | str,
        *,
        incident: str,
        targets: Iterable[str] | str = (),
        data: Mapping[str, JSONValue] | None = None,
        effects: Mapping[str, Mapping[str, JSONValue]] | None = None,
        precision: str | None = None,
        source: Mapping[str, Any] | None = None,
        id: uuid.UUID | str | None = None,
        corrects: uuid.UUID | str | None = None,
        retracts: uuid.UUID | str | None = None,
        reported_at: dt.datetime | dt.date | str | None = None,
        reported_precision: str | None = None,
        default_tz: ZoneInput = None,
        day_zone: ZoneInput = None,
        _stored_times: bool = False,
    ) -> None:
        # _stored_times: the times are copies of a stored event's (to_event, a retraction,
        # a correction that keeps them), whose precisions were checked when it was
        # recorded, perhaps in another day zone: they are not checked again, and a reported
        # time left out is not taken from the source's published_at.
        default_tz = resolve_zone(default_tz)
        day_zone = resolve_zone(day_zone, field="day_zone")
        start, inferred = parse_time(
            occurred_at, field="occurred_at", default_tz=default_tz, day_zone=day_zone
        )
        if precision is not None:
            precision = check_precision(precision)
            if not _stored_times:
                check_start(start, precision, day_zone=day_zone)
        if corrects is not None and retracts is not None:
            raise InvalidEventError("retracts", "an event corrects or retracts, not both")
        checked_source = check_source(source)
        if _stored_times and reported_at is None:
            # a stored event's reported time is what was stored: none stays none (the
            # recorded time), even beside a source's published_at
            reported, reported_precision = None, None
        else:
            reported, reported_precision = reported_time(
                reported_at,
                reported_precision,
                checked_source,
                default_tz=default_tz,
                day_zone=day_zone,
                check=not _stored_times,
            )
        self.__attrs_init__(  # type: ignore[attr-defined]
            type=check_type_name(type),
            actor=(name := check_name(actor, field="actor")),
            occurred_at=start,
            incident=check_name(incident, field="incident"),
            targets=(checked_targets := check_targets(targets)),
            data=_check_object(data, field="data"),
            effects=check_effects(effects, named=(name, *checked_targets)),
            precision=inferred if precision is None else precision,
            source=checked_source,
            id=new_id() if id is None else check_id(id),
            corrects=None if corrects is None else check_id(corrects, field="corrects"),
            retracts=None if retracts is None else check_id(retracts, field="retracts"),
            reported_at=reported,
            reported_precision=reported_precision,
            day_zone=day_zone,
        )

    @property
    def occurred_until(self) -> dt.datetime:
        """The end (exclusive) of the interval the event covers; its start when exact.

        A day, month or year ends where the next begins in the day zone the event was
        built with (``Event(..., day_zone=...)``; UTC by default), as the timeline's
        answers end it: a day there is 23 or 25 hours long across a clock change.

        Example:
            >>> e = Event("truce", "Syria", "July 2017", incident="x", day_zone="Asia/Damascus")
            >>> e.occurred_at.isoformat(), e.occurred_until.isoformat()
            ('2017-06-30T21:00:00+00:00', '2017-07-31T21:00:00+00:00')
        """
        return interval_end(self.occurred_at, self.precision, self.day_zone)

    def content(self) -> dict[str, JSONValue]:
        """Return the caller-given fields as JSON values, the form ids are compared in.

        Example:
            >>> Event("truce", "Syria", "2017-06-17", incident="x").content()["occurred_at"]
            '2017-06-17T00:00:00.000000Z'
        """
        return event_content(self)

    def __repr__(self) -> str:
        return (
            f"Event({self.type!r}, {self.actor!r}, {isoformat(self.occurred_at)!r}, "
            f"incident={self.incident!r}, precision={self.precision!r}, id={str(self.id)!r})"
        )


@attrs.define(frozen=True, slots=True, eq=True, hash=False, repr=False, kw_only=True)
class RecordedEvent:
    """A stored event: the fields of :class:`Event` plus those the store assigned.

    ``version`` counts within the incident (1, 2, 3, … without gaps), ``position`` within
    the whole store in commit order, ``recorded_at`` is when the store learned the event
    (UTC, never decreasing with position), ``hash`` chains it to the event before it.
    ``corrects`` and ``retracts`` name the event this one corrects or retracts, if any.

    Example:
        >>> import timeline
        >>> tl = timeline.open("sqlite://")
        >>> r = tl.record("truce", "Syria", "2017-06-17", incident="syria-2017-06")
        >>> (r.version, r.position, r.to_event() == tl.events().__next__().to_event())
        (1, 1, True)
    """

    id: uuid.UUID
    incident: str
    version: int
    position: int
    type: str
    actor: str
    targets: tuple[str, ...]
    occurred_at: dt.datetime
    precision: str
    data: dict[str, JSONValue]
    effects: dict[str, dict[str, JSONValue]]
    source: dict[str, str]
    recorded_at: dt.datetime
    hash: str
    corrects: uuid.UUID | None = None
    retracts: uuid.UUID | None = None
    reported_at: dt.datetime | None = None
    reported_precision: str | None = None
    # How the event stands on a basis of knowledge, filled by the readers that resolve
    # corrections (``get``, ``events(current=True)``, ``revisions``); never stored.
    corrected_by: tuple[uuid.UUID, ...] = attrs.field(default=(), eq=False)
    retracted_by: uuid.UUID | None = attrs.field(default=None, eq=False)
    # The zone whose calendar its day, month or year is of (occurred_until): the day
    # zone of the Timeline that read or stored it (None: UTC); never stored.
    day_zone: dt.tzinfo | None = attrs.field(default=None, eq=False)

    @property
    def occurred_until(self) -> dt.datetime:
        """The end (exclusive) of the interval the event covers; its start when exact.

        A day, month or year ends where the next begins in the day zone of the
        ``Timeline`` that returned the event (UTC by default), as its answers end it: a
        day there is 23 or 25 hours long across a clock change.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://", day_zone="Asia/Damascus")
            >>> e = tl.record("truce", "Syria", "July 2017", incident="x")
            >>> e.occurred_at.isoformat(), e.occurred_until.isoformat()
            ('2017-06-30T21:00:00+00:00', '2017-07-31T21:00:00+00:00')
        """
        return interval_end(self.occurred_at, self.precision, self.day_zone)

    @property
    def reported(self) -> tuple[dt.datetime, str]:
        """When the claim became public, as ``(start, precision)``: ``reported_at`` as
        given (or taken from the source's ``published_at``), else the recorded time.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> e = tl.record("truce", "Syria", "2017-06-17", incident="s",
            ...               reported_at="2017-06-18")
            >>> e.reported[0].day, e.reported[1]
            (18, 'day')
        """
        if self.reported_at is None:
            return self.recorded_at, "exact"
        return self.reported_at, self.reported_precision or "exact"

    def to_event(self) -> Event:
        """Return the caller-given part as an :class:`Event` with the same id.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> event = timeline.Event("truce", "Syria", "2017-06-17", incident="daraa")
            >>> tl.append([event])[0].to_event() == event
            True
        """
        return Event(
            self.type,
            self.actor,
            self.occurred_at,
            incident=self.incident,
            targets=self.targets,
            data=self.data,
            effects=self.effects,
            precision=self.precision,
            source=self.source,
            id=self.id,
            corrects=self.corrects,
            retracts=self.retracts,
            reported_at=self.reported_at,
            reported_precision=self.reported_precision,
            day_zone=self.day_zone,
            _stored_times=True,
        )

    def content(self) -> dict[str, JSONValue]:
        """Return the caller-given fields as JSON values, as :meth:`Event.content` does.

        Example:
            >>> import timeline
            >>> tl = timeline.open("sqlite://")
            >>> tl.record("truce", "Syria", "2017-06-17", incident="daraa").content()["type"]
            'truce'
        """
        return event_content(self)

    def __repr__(self) -> str:
        return (
            f"RecordedEvent({self.type!r}, {self.actor!r}, {isoformat(self.occurred_at)!r}, "
            f"incident={self.incident!r}, version={self.version}, position={self.position}, "
            f"id={str(self.id)!r})"
        )


NO_EFFECTS: Mapping[str, Any] = MappingProxyType({})
"""A glimpse's effects when none were read (read-only: one object shared by all)."""


class Glimpse(NamedTuple):
    """What a sequence step or the default fold looks at of a stored event; the rest
    stays unread.

    The sequence scan reads these, and the report then swaps in the full
    :class:`RecordedEvent` of each event it names. The fold of :meth:`Timeline.state
    <timeline.Timeline.state>` reads them with ``effects`` and ``stored_id`` (the id as
    the driver returned it, decoded by :attr:`id` when a problem names it) when no
    custom fold function needs the whole event. A named tuple, not an attrs class: a
    scan makes one per event it reads, and a tuple is made several times faster.
    """

    position: int
    type: str
    actor: str
    incident: str
    precision: str
    occurred_at: dt.datetime
    targets: tuple[str, ...]
    data: dict[str, JSONValue]
    recorded_at: dt.datetime | None = None
    reported_at: dt.datetime | None = None
    reported_precision: str | None = None
    effects: Mapping[str, dict[str, JSONValue]] = NO_EFFECTS
    stored_id: uuid.UUID | str | None = None

    @property
    def reported(self) -> tuple[dt.datetime, str]:
        """As :attr:`RecordedEvent.reported` (read only when a reported bound is asked)."""
        if self.reported_at is None:
            assert self.recorded_at is not None
            return self.recorded_at, "exact"
        return self.reported_at, self.reported_precision or "exact"

    @property
    def id(self) -> uuid.UUID | None:
        """The event's id, when read (``stored_id``: as the driver returned it, decoded
        here when asked: the fold names it only in a problem)."""
        found = self.stored_id
        return uuid.UUID(hex=found) if isinstance(found, str) else found


@attrs.frozen
class Field:
    """One field of an event, declared once in :data:`FIELDS`; what lists the fields
    (import and export columns, the hashed content, what a correction may change, the
    CSV cells that hold JSON) is derived from the declaration.

    Attributes:
        name: the attribute of :class:`Event` / :class:`RecordedEvent` and the column.
        assigned: the store gives it (``version``, ``position``, ``recorded_at``,
            ``hash``); else the caller does, and it is part of the hashed content.
        correctable: a correction may change it (:meth:`Timeline.correct
            <timeline.Timeline.correct>`).
        json: a JSON object kept as JSON text in a CSV cell.
        to_json: how its value is written as a JSON value (``None``: as it is).
        unless_none: in the content only when this field is not ``None`` (so that the
            hashes of events stored before the field existed stay what they were).

    Example:
        >>> [f.name for f in FIELDS if f.correctable][:3]
        ['type', 'actor', 'targets']
    """

    name: str
    assigned: bool = False
    correctable: bool = False
    json: bool = False
    to_json: Any = None
    unless_none: str | None = None


def _text(value: Any) -> str:
    return str(value)


FIELDS: Final = (
    Field("id", to_json=_text),
    Field("incident"),
    Field("type", correctable=True),
    Field("actor", correctable=True),
    Field("targets", correctable=True, to_json=list),
    Field("occurred_at", correctable=True, to_json=isoformat),
    Field("precision", correctable=True),
    Field("data", correctable=True, json=True),
    Field("effects", correctable=True, json=True),
    Field("source", correctable=True, json=True),
    Field("corrects", to_json=_text),
    Field("retracts", to_json=_text),
    Field("reported_at", to_json=isoformat, unless_none="reported_at"),
    Field("reported_precision", unless_none="reported_at"),
    Field("version", assigned=True),
    Field("position", assigned=True),
    Field("recorded_at", assigned=True),
    Field("hash", assigned=True),
)
"""Every field of an event, in the order files and tables list them. Adding a field is
one entry here, its attribute on :class:`Event` and :class:`RecordedEvent`, its column in
:mod:`timeline.schema` and a migration; tests/test_fields.py fails until all agree."""

EVENT_FIELDS: Final = tuple(f.name for f in FIELDS if not f.assigned)
"""The fields the caller gives (the event's content, hashed), in file order."""

STORED_FIELDS: Final = tuple(f.name for f in FIELDS if f.assigned)
"""The fields a store assigns, written after the event's own when ``stored`` is asked."""

CORRECTABLE: Final = tuple(f.name for f in FIELDS if f.correctable)
"""The fields a correction may change."""

JSON_FIELDS: Final = tuple(f.name for f in FIELDS if f.json)
"""The fields that are JSON objects: a CSV cell holds their JSON text."""

_CONTENT: Final = tuple((f.name, f.to_json, f.unless_none) for f in FIELDS if not f.assigned)


def event_content(event: Event | RecordedEvent) -> dict[str, JSONValue]:
    """Return the caller-given fields of an event as JSON values (see ``Event.content``):
    each of :data:`EVENT_FIELDS` written as its :class:`Field` says.

    Example:
        >>> sorted(event_content(Event("truce", "Syria", "2017-06-17", incident="x")))[:4]
        ['actor', 'corrects', 'data', 'effects']
    """
    content: dict[str, JSONValue] = {}
    for name, to_json, unless_none in _CONTENT:
        if unless_none is not None and getattr(event, unless_none) is None:
            continue
        value = getattr(event, name)
        content[name] = value if to_json is None or value is None else to_json(value)
    return content


def canonical_json(value: JSONValue) -> str:
    """Return the one JSON text of ``value`` that the store keeps and hashes.

    Keys sorted, no white space, non-ASCII kept as is, NaN refused.

    Example:
        >>> canonical_json({"b": 1, "a": [1.5, "Ja’Din"]})
        '{"a":[1.5,"Ja’Din"],"b":1}'
    """
    return _encode(value)


class JSONKey(str):
    """A JSON value that is no text, held as its canonical JSON where a hashable value is
    needed (a sequence's key: a list, an object, ``true`` or ``false``; what the
    renderings show). Equal only to another such key, so that ``["US"]`` is not the
    text ``'["US"]'``, nor ``true`` the number ``1``.

    Example:
        >>> JSONKey('["US"]') == '["US"]', JSONKey("true") == JSONKey("true")
        (False, True)
    """

    __slots__ = ()

    def __eq__(self, other: object) -> bool:
        return type(other) is JSONKey and str.__eq__(self, other)

    def __ne__(self, other: object) -> bool:
        return not self == other

    __hash__ = str.__hash__

    def value(self) -> JSONValue:
        """The JSON value it stands for."""
        return json.loads(self)  # type: ignore[no-any-return]


# One encoder for every call: json.dumps with these options builds a new one each time.
_checked_encode = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
).encode
_quote = json.encoder.encode_basestring  # a str as _encode writes it (ensure_ascii=False)
# The C encoder that _checked_encode makes anew for each value (with a closure and a dict
# of the containers it is in, against cycles), made once: an event's data, effects,
# source and targets are checked copies (check_json), which hold no cycle.
_make_encoder = getattr(json.encoder, "c_make_encoder", None)  # None without _json's C
_iterencode = (
    None
    if _make_encoder is None
    else _make_encoder(None, json.JSONEncoder().default, _quote, None, ":", ",", True, False, False)
)


def _encode(value: JSONValue) -> str:
    if _iterencode is None or isinstance(value, str):
        return _checked_encode(value)
    try:
        return "".join(_iterencode(value, 0))
    except RecursionError:  # a cycle (a value changed after its check): the checked
        return _checked_encode(value)  # encoder names it


def _field_json(value: JSONValue) -> str:
    if isinstance(value, str):
        return _quote(value)
    if not value and isinstance(value, dict | list):  # most events: no effects, no source
        return "[]" if isinstance(value, list) else "{}"
    return _encode(value)


def _names_json(value: Any) -> str:
    """A tuple of names (``targets``) as canonical JSON."""
    if all(type(name) is str for name in value):
        return "[" + ",".join(map(_quote, value)) + "]"
    return _encode(list(value))


def _writer(to_json: Any, called: str) -> str:
    """The expression that writes a field's ``value`` (not None) as canonical JSON, its
    ``to_json`` named ``called`` where the expression runs."""
    if to_json is None:  # most are text (incident, type, actor, precision): no call
        return "_quote(value) if type(value) is str else _field_json(value)"
    if to_json is list:
        return "_names_json(value)"
    if to_json is isoformat or to_json is _text:  # text: one string to quote
        return f"_quote({called}(value))"
    return f"_field_json({called}(value))"


def _content_writer() -> Any:
    """``content_json``'s work written out for :data:`FIELDS` (as attrs writes an
    ``__init__`` for its classes): a line per field, in key order, instead of a loop
    over the fields' names and writers, which cost a batch append about a tenth of its
    Python time (issue 15). A field with ``unless_none`` is written only when that
    field is not ``None``."""
    scope: dict[str, Any] = {
        "_field_json": _field_json,
        "_names_json": _names_json,
        "_quote": _quote,
    }
    lines = ["def content_json(event):", "    fields = {}", "    parts = []"]
    for number, (name, to_json, unless_none) in enumerate(sorted(_CONTENT)):
        indent = "    "
        if unless_none is not None:
            lines.append(f"    if event.{unless_none} is not None:")
            indent += "    "
        text = f"t{number}"
        scope[f"to_json{number}"] = to_json
        write = _writer(to_json, f"to_json{number}")
        lines += [
            f"{indent}value = event.{name}",
            f'{indent}{text} = "null" if value is None else {write}',
            f"{indent}fields[{name!r}] = {text}",
            f"{indent}parts.append({json.dumps(name) + ':'!r} + {text})",
        ]
    lines.append('    return "{" + ",".join(parts) + "}", fields')
    exec(compile("\n".join(lines), "<timeline.events content_json>", "exec"), scope)
    return scope["content_json"]


_write_content: Final = _content_writer()


def content_json(event: Event | RecordedEvent) -> tuple[str, dict[str, str]]:
    """Return ``canonical_json(event_content(event))`` and each content field's own
    canonical JSON, by name (the store's column values of ``targets``, ``data``, …).

    The whole is put together from the fields' texts, so a large ``data`` is encoded once
    for the hash, the duplicate check and the row alike. Keys in sorted order and no
    white space, as :func:`canonical_json` writes an object.

    Example:
        >>> e = Event("truce", "Syria", "2017-06-17", incident="x", data={"n": 1})
        >>> text, fields = content_json(e)
        >>> (text == canonical_json(event_content(e)), fields["data"])
        (True, '{"n":1}')
    """
    return _write_content(event)  # type: ignore[no-any-return]


def check_event_size(
    event: Event | RecordedEvent | Mapping[str, JSONValue],
    max_bytes: int | None,
    *,
    size: int | None = None,
) -> None:
    """Refuse an event whose canonical JSON is over ``max_bytes`` bytes, naming its
    largest field (``data``, ``effects``, ``source`` or ``targets``); ``None``: no limit.

    ``event`` may be an event or its :meth:`~Event.content`; ``size``, when known, is the
    byte length of its canonical JSON.

    Example:
        >>> e = Event("report", "US", "2017-06-18", incident="s", data={"note": "x" * 500})
        >>> check_event_size(e, 1000)
        >>> check_event_size(e, 400)
        Traceback (most recent call last):
        ...
        timeline.errors.InvalidEventError: data: makes the event 740 bytes of JSON; the limit
        is 400 (max_event_bytes)
    """
    if max_bytes is None:
        return
    content = event if isinstance(event, Mapping) else event_content(event)
    if size is None:
        size = len(canonical_json(content).encode())
    if size <= max_bytes:
        return
    largest = max(
        ("data", "effects", "source", "targets"),
        key=lambda name: len(canonical_json(content.get(name)).encode()),
    )
    raise InvalidEventError(
        largest,
        f"makes the event {size:,} bytes of JSON; the limit is {max_bytes:,} (max_event_bytes)",
    )


def differing_fields(a: Mapping[str, JSONValue], b: Mapping[str, JSONValue]) -> list[str]:
    """Return the names of the content fields in which two contents differ."""
    return [f for f in EVENT_FIELDS if canonical_json(a.get(f)) != canonical_json(b.get(f))]


def unknown_field(name: str) -> InvalidEventError:
    """The refusal of a field an import line or header names that an event is not
    given: one the store assigns (``version``, ``position``, ``recorded_at``, ``hash``,
    as ``timeline events --format jsonl`` writes them) or an unknown one.

    Example:
        >>> str(unknown_field("position"))[:62]
        'position: is assigned by the store, not imported: leave it out'
    """
    if name in STORED_FIELDS:
        return InvalidEventError(
            name,
            "is assigned by the store, not imported: leave it out (timeline export writes "
            "the fields an import reads; to keep recorded times and hashes, timeline copy)",
        )
    if name.lower() in EVENT_FIELDS:
        return InvalidEventError(
            name, f"unknown field; field names are lower-case: write {name.lower()}"
        )
    return InvalidEventError(name, f"unknown field; use {', '.join(EVENT_FIELDS)}")


def event_from_dict(
    fields: Mapping[str, Any], *, default_tz: ZoneInput = None, day_zone: ZoneInput = None
) -> Event:
    """Return the :class:`Event` that a JSON object (a line of an import file) describes.

    The keys are the event's field names; ``type``, ``actor``, ``occurred_at`` and
    ``incident`` are required, an unknown key is refused (a misspelt field is never
    silently dropped). ``reported_at`` left out takes the source's ``published_at``
    (see :func:`reported_time`); ``"reported_at": null`` says the event has no reported
    time (it counts as reported when recorded), whatever its source says, as
    :func:`timeline.io.event_to_record` writes such an event.

    Example:
        >>> event_from_dict({"type": "truce", "actor": "Syria", "occurred_at": "2017-06-17",
        ...                  "incident": "daraa"}).precision
        'day'
        >>> line = {"type": "truce", "actor": "Syria", "occurred_at": "2017-06-17",
        ...         "incident": "daraa", "source": {"published_at": "2017-06-18"}}
        >>> event_from_dict(line).reported_at.date(), event_from_dict(
        ...     {**line, "reported_at": None}).reported_at
        (datetime.date(2017, 6, 18), None)
    """
    if not isinstance(fields, Mapping):
        raise InvalidEventError("event", f"expected a JSON object, got {type(fields).__name__}")
    for key in fields:
        if key not in EVENT_FIELDS:
            raise unknown_field(str(key))
    for key in ("type", "actor", "occurred_at", "incident"):
        if fields.get(key) is None:
            raise InvalidEventError(key, "is required")
    optional = {
        k: fields[k]
        for k in EVENT_FIELDS
        if k in fields and k not in ("type", "actor", "occurred_at", "incident")
    }
    unreported = "reported_at" in fields and fields["reported_at"] is None
    if unreported and optional.get("reported_precision") is not None:
        raise InvalidEventError("reported_precision", "is given without reported_at; give both")
    event = Event(
        fields["type"],
        fields["actor"],
        fields["occurred_at"],
        incident=fields["incident"],
        default_tz=default_tz,
        day_zone=day_zone,
        **optional,
    )
    if unreported and event.reported_at is not None:
        # an explicit null is "no reported time" (what export writes for a correction
        # that carries its event's source but was reported when recorded), not "take the
        # source's published_at", which a key left out means
        event = attrs.evolve(event, reported_at=None, reported_precision=None, _stored_times=True)
    return event


__all__ = [
    "CORRECTABLE",
    "EVENT_FIELDS",
    "FIELDS",
    "JSON_FIELDS",
    "STORED_FIELDS",
    "Event",
    "Field",
    "JSONKey",
    "RecordedEvent",
    "canonical_json",
    "check_characters",
    "check_effects",
    "check_event_size",
    "check_id",
    "check_json",
    "check_name",
    "check_path",
    "check_source",
    "check_targets",
    "check_type_name",
    "content_json",
    "event_content",
    "event_from_dict",
    "new_id",
    "parse_json",
    "reported_time",
]
