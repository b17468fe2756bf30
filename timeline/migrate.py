"""The schema's life cycle: find the migrations, upgrade, and check a database's revision.

The Alembic configuration is built in code; the scripts are found beside the installed
package (``timeline/_migrations`` in a wheel, the repository's ``migrations/`` in a
checkout), never through the working directory.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from timeline.errors import SchemaVersionError
from timeline.schema import TABLES, VERSION_TABLE

UPGRADE_COMMAND = "timeline db upgrade --db URL"


def script_location() -> Path:
    """Return the folder that holds Alembic's ``env.py`` and ``versions/``.

    Example:
        >>> (script_location() / "env.py").is_file()
        True
    """
    installed = Path(str(resources.files("timeline"))) / "_migrations"
    if (installed / "env.py").is_file():
        return installed
    checkout = Path(__file__).resolve().parent.parent / "migrations"
    if (checkout / "env.py").is_file():
        return checkout
    raise SchemaVersionError(  # pragma: no cover - a broken installation
        f"the migrations are missing from this installation (looked in {installed})"
    )


def alembic_config(connection: sa.Connection | None = None) -> Config:
    """Return an Alembic ``Config`` for timeline's migrations, bound to ``connection``."""
    config = Config()
    config.set_main_option("script_location", str(script_location()))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@functools.cache
def head_revision() -> str:
    """Return the newest schema revision this version of the library knows (read from
    the migration scripts once per process: every ``timeline.open`` asks).

    Example:
        >>> head_revision()
        '0013'
    """
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(connection: sa.Connection) -> str | None:
    """Return the schema revision of the database behind ``connection`` (None: none)."""
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def upgrade_connection(connection: sa.Connection) -> None:
    """Run every migration that ``connection``'s database lacks, in one transaction."""
    command.upgrade(alembic_config(connection), "head")


def check_schema(connection: sa.Connection, *, url: str) -> str | None:
    """Return the database's revision if it is the one this library needs.

    Returns ``None`` for a database without timeline's tables (the caller creates them).

    Raises:
        SchemaVersionError: the schema is older (the message names the upgrade command),
            newer than this library, or timeline's tables exist without Alembic's record.
    """
    revision = current_revision(connection)
    head = head_revision()
    if revision == head:
        return revision
    if revision is None:
        existing = set(sa.inspect(connection).get_table_names()) & set(TABLES)
        if existing and current_revision(connection) is not None:
            # another process created the schema between the two reads (PostgreSQL reads
            # each statement's own snapshot): its tables and its record came in one commit
            return check_schema(connection, url=url)
        if existing:
            raise SchemaVersionError(
                f"{url} has timeline tables ({', '.join(sorted(existing))}) but no record of "
                f"their schema revision in {VERSION_TABLE}; it was not made by timeline"
            )
        return None
    known = {
        script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()
    }
    if revision in known:
        command_line = UPGRADE_COMMAND.replace("URL", url)
        raise SchemaVersionError(
            f"the database schema is at revision {revision}, this version of timeline needs "
            f"{head}; run: {command_line}  (or timeline.upgrade(url) from Python)"
        )
    raise SchemaVersionError(
        f"the database schema is at revision {revision}, which this version of timeline does "
        f"not know (its newest is {head}); upgrade the timeline package"
    )
