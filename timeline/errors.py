"""Every exception the library raises on purpose, under one base class.

Callers catch :class:`TimelineError` for anything the library refuses; the subclasses
also derive from the builtin a Python programmer would reach for (``ValueError``,
``LookupError``, ``RuntimeError``), so generic handlers keep working.
"""

from __future__ import annotations

import os
import sys
import uuid


class TimelineError(Exception):
    """Base class of every error raised by ``timeline``.

    Example:
        >>> try:
        ...     raise InvalidEventError("actor", "must not be empty")
        ... except TimelineError as e:
        ...     print(e)
        actor: must not be empty
    """

    index: int | None = None
    """When an append or load refused one event of its batch for what the store holds
    (an id stored with other content, an unknown ``corrects``), its place in the batch,
    from 0; :meth:`Timeline.import_file <timeline.Timeline.import_file>` turns it into the
    file's line number."""


class InvalidEventError(TimelineError, ValueError):
    """An event, or an argument about events, is not acceptable.

    ``field`` names the offending field (``occurred_at``, ``data.casualties``,
    ``events[3].actor``), ``problem`` says what is wrong with it.

    Example:
        >>> err = InvalidEventError("type", "must be snake_case, got 'Shoot Down'")
        >>> (err.field, str(err))
        ('type', "type: must be snake_case, got 'Shoot Down'")
    """

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")

    def within(self, prefix: str) -> InvalidEventError:
        """Return the same error with ``prefix`` put before the field name."""
        err = type(self)(f"{prefix}.{self.field}", self.problem)
        err.__cause__ = self.__cause__
        return err


class InvalidFileError(InvalidEventError):
    """A file of events was refused: some of its lines are wrong, and nothing was stored.

    ``field`` is the file, ``problems`` every wrong line as ``(line number, error)`` in
    file order; the message names how many and the first.

    Example:
        >>> err = InvalidFileError("events.jsonl", [(3, InvalidEventError("actor", "is required"))])
        >>> (err.problems[0][0], str(err))
        (3, 'events.jsonl: 1 problem; nothing was stored (line 3: actor: is required)')
    """

    def __init__(self, path: object, problems: list[tuple[int, InvalidEventError]]) -> None:
        self.problems = problems
        self.path = path
        count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
        first = f"line {problems[0][0]}: {problems[0][1]}" if problems else ""
        more = f"; and {len(problems) - 1} more" if len(problems) > 1 else ""
        super().__init__(str(path), f"{count}; nothing was stored ({first}{more})")
        self.summary = f"{count}; nothing was stored"

    def within(self, prefix: str) -> InvalidFileError:
        """The same error (a file's problems are named by line, not by a prefix)."""
        return self


class ConcurrencyError(TimelineError, RuntimeError):
    """An append named an ``expected_version`` the incident is no longer at.

    Nothing of the batch was stored; read the incident again and retry.

    Example:
        >>> err = ConcurrencyError("syria-2017-06", expected=3, actual=5)
        >>> (err.incident, err.expected, err.actual)
        ('syria-2017-06', 3, 5)
    """

    def __init__(self, incident: str, *, expected: int, actual: int) -> None:
        self.incident = incident
        self.expected = expected
        self.actual = actual
        super().__init__(
            f"expected_version: incident {incident!r} is at version {actual}, "
            f"not {expected}; nothing was stored"
        )


class DuplicateEventError(TimelineError, ValueError):
    """An event id is already stored with other content.

    Appending the same id with the same content is not an error: it returns the stored
    event. Ids are claims of identity, so other content under a known id is refused.

    Example:
        >>> import uuid
        >>> err = DuplicateEventError(uuid.UUID(int=1), ["actor"])
        >>> err.fields
        ['actor']
    """

    def __init__(self, event_id: uuid.UUID, fields: list[str], *, unreported: bool = False) -> None:
        self.event_id = event_id
        self.fields = fields
        # a date read in two day zones is two moments: the likely cause when a file is
        # imported again under another --day-zone
        zoned = "occurred_at" in fields or "reported_at" in fields
        hint = (
            " (a date stands for the start of its day, month or year in the day zone it "
            "is read in: was it stored under another day zone, day_zone= or --day-zone?)"
            if zoned
            else ""
        )
        if unreported and "occurred_at" not in fields:
            # ``unreported``: stored with no reported time, given one; the likely cause
            # is a file that left it out (an older export's empty CSV cell)
            hint = (
                " (it was stored with no reported time: a reported_at left out or empty "
                "takes the source's published_at; write null in JSON Lines, none in CSV)"
            )
        super().__init__(
            f"id: event {event_id} is already stored with other content "
            f"(differs in {', '.join(fields)}){hint}; nothing was stored"
        )


class SchemaVersionError(TimelineError, RuntimeError):
    """The database schema is not the one this version of the library needs.

    Example:
        >>> str(SchemaVersionError("schema is old; run: timeline db upgrade --db URL"))
        'schema is old; run: timeline db upgrade --db URL'
    """


class NotFoundError(TimelineError, LookupError):
    """Something named by the caller (an event id, a database) does not exist.

    Example:
        >>> str(NotFoundError("event_id: no event 42"))
        'event_id: no event 42'
    """


class StoreError(TimelineError, RuntimeError):
    """The database failed in a way the library could not translate more precisely.

    The driver's exception is kept as ``__cause__``.

    Example:
        >>> str(StoreError("cannot connect to sqlite:///nowhere/x.db"))
        'cannot connect to sqlite:///nowhere/x.db'
    """


class MissingExtraError(TimelineError, ImportError):
    """A feature needs a package of an optional extra that is not installed.

    ``extra`` names the extra; the message gives the command that installs it.

    Example:
        >>> err = MissingExtraError("to_pandas()", "pandas", "pandas")
        >>> print(err.extra, err)
        pandas to_pandas() needs pandas, which is not installed:
        pip install 'incident-timeline[pandas]'
    """

    def __init__(self, feature: str, package: str, extra: str) -> None:
        self.extra = extra
        super().__init__(
            f"{feature} needs {package}, which is not installed: "
            f"pip install 'incident-timeline[{extra}]'"
        )


class TimelineWarning(UserWarning):
    """A legitimate answer that is probably not the one meant: a name that matches nothing
    in the store (an actor, an event type, an attribute path, a template's type), or
    events that change nothing for want of templates. The message names what matched
    nothing and suggests the closest names; the command line prints it on standard error
    as ``warning: …``.

    Example:
        >>> import warnings, timeline
        >>> tl = timeline.open("sqlite://")
        >>> _ = tl.record("strike", "Iran", "2017-06-18", incident="s")
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     tl.state("Irn").events_applied
        0
        >>> print(caught[0].message)
        actor: no event in the store names 'Irn'; did you mean 'Iran'?
    """


class LockTimeoutError(StoreError):
    """A wait for another connection's lock ran out (``lock_timeout``); nothing was stored.

    ``holders`` names the connections that held the append lock, as far as the database
    tells (PostgreSQL: ``pid 4242 (user alice, application 'psql', idle in transaction,
    since ...)``; SQLite cannot tell).

    Example:
        >>> err = LockTimeoutError("waited 30 s for a lock", holders=["pid 4242"])
        >>> (isinstance(err, StoreError), err.holders)
        (True, ['pid 4242'])
    """

    def __init__(self, message: str, *, holders: list[str] | None = None) -> None:
        self.holders = list(holders or [])
        super().__init__(message)


__all__ = [
    "ConcurrencyError",
    "DuplicateEventError",
    "InvalidEventError",
    "InvalidFileError",
    "LockTimeoutError",
    "MissingExtraError",
    "NotFoundError",
    "SchemaVersionError",
    "StoreError",
    "TimelineError",
    "TimelineWarning",
]


_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def caller_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning name the first frame outside this
    package: the line of the caller that asked, however many of the library's own
    frames (``Timeline`` handing a question to ``as_of``, a lazy listing) lie between.
    Call it in the function that calls ``warnings.warn``.

    Example:
        >>> caller_stacklevel() >= 1  # from outside the package: this very line
        True
    """
    frame = sys._getframe(1)
    level = 1
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    return level
