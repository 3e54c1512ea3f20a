"""Alembic migrations run programmatically: ``marketjobs db upgrade`` needs no alembic.ini."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from marketjobs.errors import StoreError
from marketjobs.redact import redact_url
from marketjobs.store.engine import create_store_engine

__all__ = [
    "alembic_config",
    "current_revision",
    "ensure_migrated",
    "head_revision",
    "include_name",
    "require_current",
    "upgrade",
]

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def alembic_config(engine: Engine) -> Config:
    """An Alembic config that migrates through ``engine``."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


#: PostgreSQL advisory lock key serialising concurrent migrations (any constant; "mjob" in ASCII).
_PG_MIGRATION_LOCK = 0x6D6A6F62


def upgrade(database_url: str, revision: str = "head") -> str:
    """Migrates the store at ``database_url`` to ``revision`` and returns the revision reached."""
    engine = create_store_engine(database_url)
    _upgrade(engine, revision)
    return current_revision(engine) or ""


def _upgrade(engine: Engine, revision: str) -> None:
    # Several processes may start on a fresh database at once. SQLite serialises them (BEGIN IMMEDIATE)
    # and PostgreSQL through an advisory lock; MariaDB's DDL is not transactional, so a lost race there
    # shows up as an error and the caller checks again.
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            connection.commit()
            try:
                command.upgrade(alembic_config(engine), revision)
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_MIGRATION_LOCK})
                connection.commit()
    else:
        command.upgrade(alembic_config(engine), revision)


#: Tables migrations create that the models do not describe: the trigram text search of migration 0013
#: (SQLite: an FTS5 table and its shadow tables; PostgreSQL: a table kept by triggers).
_UNMODELLED_PREFIX = "job_records_text"


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """False for schema objects the models leave to migrations (alembic's ``include_name`` hook)."""
    return not (type_ == "table" and name is not None and name.startswith(_UNMODELLED_PREFIX))


def ensure_migrated(engine: Engine) -> None:
    """Brings the database to the head revision unless it is there already (cheap when it is)."""
    head = head_revision()
    if current_revision(engine) == head:
        return
    try:
        _upgrade(engine, "head")
    except Exception:
        if current_revision(engine) != head:
            raise


@functools.cache
def head_revision() -> str:
    """The newest migration shipped with this version of marketjobs (read from disk once per process)."""
    head = ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert head is not None, "marketjobs ships at least one migration"
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the store is at, or None when it was never migrated."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def require_current(engine: Engine) -> None:
    """Raises StoreError unless the store is migrated to the head revision."""
    current, head = current_revision(engine), head_revision()
    if current != head:
        shown = redact_url(engine.url.render_as_string())
        raise StoreError(
            f"the job store at {shown} is at revision {current or 'none'}, "
            f"this marketjobs needs {head}; run `marketjobs db upgrade`"
        )
