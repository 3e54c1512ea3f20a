"""The SQL store: engine, models and Alembic migrations (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

from marketjobs.store.base import Base
from marketjobs.store.engine import create_store_engine, normalize_database_url, session_factory
from marketjobs.store.migrate import upgrade
from marketjobs.store.models import IdempotencyKey, JobRecord
from marketjobs.store.schema import metadata

__all__ = [
    "Base",
    "IdempotencyKey",
    "JobRecord",
    "create_store_engine",
    "metadata",
    "normalize_database_url",
    "session_factory",
    "upgrade",
]
