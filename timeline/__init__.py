"""timeline: incident timelines as immutable, bitemporal events in SQLite or PostgreSQL.

Example:
    >>> import timeline
    >>> tl = timeline.open("sqlite://")
    >>> tl.record("shootdown", "US", "2017-06-18", incident="syria-2017-06").version
    1
"""

from timeline.api import (
    Anchor,
    CopyResult,
    Finding,
    ImportResult,
    Timeline,
    Verification,
    anchor_line,
    copy,
    default_url,
    head_revision,
    open,
    parse_anchor,
    read_anchors,
    schema_revision,
    upgrade,
)
from timeline.errors import (
    ConcurrencyError,
    DuplicateEventError,
    InvalidEventError,
    InvalidFileError,
    LockTimeoutError,
    MissingExtraError,
    NotFoundError,
    SchemaVersionError,
    StoreError,
    TimelineError,
    TimelineWarning,
)
from timeline.events import CORRECTABLE, Event, RecordedEvent
from timeline.fold import ActorState, Change, HistoryEntry, State
from timeline.io import EXPORT_FORMATS, FORMATS
from timeline.sequences import Match, Partial, SequenceReport, Step
from timeline.store import display_url
from timeline.times import PRECISIONS
from timeline.view import Basis, Revision, States, Summaries, Summary, View

__version__ = "0.1.0"

__all__ = [
    "CORRECTABLE",
    "EXPORT_FORMATS",
    "FORMATS",
    "PRECISIONS",
    "ActorState",
    "Anchor",
    "Basis",
    "Change",
    "ConcurrencyError",
    "CopyResult",
    "DuplicateEventError",
    "Event",
    "Finding",
    "HistoryEntry",
    "ImportResult",
    "InvalidEventError",
    "InvalidFileError",
    "LockTimeoutError",
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
    "anchor_line",
    "copy",
    "default_url",
    "display_url",
    "head_revision",
    "open",
    "parse_anchor",
    "read_anchors",
    "schema_revision",
    "upgrade",
]
