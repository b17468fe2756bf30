"""timeline: incident timelines as immutable, bitemporal events in SQLite or PostgreSQL.

Example:
    >>> import timeline
    >>> tl = timeline.open("sqlite://")
    >>> tl.record("shootdown", "US", "2017-06-18", incident="syria-2017-06").version
    1
"""

from timeline.api import (
    CopyResult,
    Timeline,
    Verification,
    copy,
    head_revision,
    open,
    schema_revision,
    upgrade,
)
from timeline.errors import (
    ConcurrencyError,
    DuplicateEventError,
    InvalidEventError,
    LockTimeoutError,
    NotFoundError,
    SchemaVersionError,
    StoreError,
    TimelineError,
)
from timeline.events import Event, RecordedEvent
from timeline.fold import ActorState, Change, HistoryEntry, State
from timeline.sequences import Match, Partial, SequenceReport, Step
from timeline.times import PRECISIONS
from timeline.view import Basis, Revision, View

__version__ = "0.1.0"

__all__ = [
    "PRECISIONS",
    "ActorState",
    "Basis",
    "Change",
    "ConcurrencyError",
    "CopyResult",
    "DuplicateEventError",
    "Event",
    "HistoryEntry",
    "InvalidEventError",
    "LockTimeoutError",
    "Match",
    "NotFoundError",
    "Partial",
    "RecordedEvent",
    "Revision",
    "SchemaVersionError",
    "SequenceReport",
    "State",
    "Step",
    "StoreError",
    "Timeline",
    "TimelineError",
    "Verification",
    "View",
    "copy",
    "head_revision",
    "open",
    "schema_revision",
    "upgrade",
]
