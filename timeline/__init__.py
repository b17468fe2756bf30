"""timeline: incident timelines as immutable, bitemporal events in SQLite or PostgreSQL.

Example:
    >>> import timeline
    >>> tl = timeline.open("sqlite://")
    >>> tl.record("shootdown", "US", "2017-06-18", incident="syria-2017-06").version
    1
"""

from timeline.api import (
    CopyResult,
    ImportResult,
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
    InvalidFileError,
    MissingExtraError,
    NotFoundError,
    SchemaVersionError,
    StoreError,
    TimelineError,
    TimelineWarning,
)
from timeline.events import Event, RecordedEvent
from timeline.fold import ActorState, Change, HistoryEntry, State
from timeline.sequences import Match, Partial, SequenceReport, Step
from timeline.times import PRECISIONS
from timeline.view import Basis, Revision, States, Summaries, Summary, View

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
    "ImportResult",
    "InvalidEventError",
    "InvalidFileError",
    "Match",
    "MissingExtraError",
    "NotFoundError",
    "Partial",
    "RecordedEvent",
    "Revision",
    "SchemaVersionError",
    "SequenceReport",
    "State",
    "States",
    "Step",
    "StoreError",
    "Summaries",
    "Summary",
    "Timeline",
    "TimelineError",
    "TimelineWarning",
    "Verification",
    "View",
    "copy",
    "head_revision",
    "open",
    "schema_revision",
    "upgrade",
]
