"""The SQL store: engine, models and Alembic migrations (SQLite, PostgreSQL, MariaDB)."""

from __future__ import annotations

from marketjobs.store.engine import create_store_engine, normalize_database_url, session_factory
from marketjobs.store.migrate import upgrade
from marketjobs.store.models import Base, IdempotencyKey, JobRecord

__all__ = [
    "Base",
    "IdempotencyKey",
    "JobRecord",
    "create_store_engine",
    "normalize_database_url",
    "session_factory",
    "upgrade",
]
