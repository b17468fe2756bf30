"""The database backends: one object per engine, chosen from the URL in one place.

Everything that differs between SQLite and PostgreSQL lives in a backend
(:class:`~timeline._backends.base.Backend`): how an engine and its sessions are set up
(pragmas, timeouts), how an append takes the write lock and reads the clock, how rows
are inserted, how times and ids are encoded, what the database says about locks, rights
and its own integrity. The store asks its backend and never tests a dialect's name; so
does every migration. A URL or a connection of any other engine is refused here, with
the engines that are supported, rather than treated as one of them.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from timeline.errors import InvalidEventError, StoreError

if TYPE_CHECKING:
    from sqlalchemy.engine import URL

    from timeline._backends.base import Backend

_MODULES = {"sqlite": "timeline._backends.sqlite", "postgresql": "timeline._backends.postgres"}
"""SQLAlchemy's backend (dialect) name -> the module whose ``BACKEND`` serves it."""

_LOADED: dict[str, Backend] = {}

SUPPORTED = tuple(_MODULES)
"""The backends' names, as SQLAlchemy names their dialects."""


def _load(name: str) -> Backend | None:
    found = _LOADED.get(name)
    if found is None and name in _MODULES:
        found = _LOADED[name] = import_module(_MODULES[name]).BACKEND
    return found


def backend_for_url(url: URL) -> Backend:
    """Return the backend that serves a (parsed) database URL.

    Raises:
        InvalidEventError: (field ``url``) for any engine but SQLite and PostgreSQL; a
            PostgreSQL-compatible engine with a dialect of its own is not taken for
            either.

    Example:
        >>> from sqlalchemy.engine import make_url
        >>> backend_for_url(make_url("sqlite:///incidents.db")).name
        'sqlite'
    """
    name = url.get_backend_name()
    found = _load(name)
    if found is None:
        raise InvalidEventError("url", f"{name!r} is not supported; use {' or '.join(SUPPORTED)}")
    return found


def backend_of(bind: Any) -> Backend:
    """Return the backend of a connection, an engine or a dialect (as a migration has).

    Raises:
        StoreError: the dialect is not one of :data:`SUPPORTED`.

    Example:
        >>> import sqlalchemy as sa
        >>> backend_of(sa.create_engine("sqlite://")).name
        'sqlite'
    """
    dialect = getattr(bind, "dialect", bind)
    found = _load(dialect.name)
    if found is None:
        raise StoreError(
            f"the database engine {dialect.name!r} is not supported; use {' or '.join(SUPPORTED)}"
        )
    return found
