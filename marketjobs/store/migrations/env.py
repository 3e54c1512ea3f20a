"""Alembic environment: migrates through the engine marketjobs hands over in ``config.attributes``."""

from __future__ import annotations

from alembic import context

from marketjobs.store.migrate import include_name
from marketjobs.store.schema import metadata

engine = context.config.attributes["engine"]
with engine.begin() as connection:
    context.configure(
        connection=connection, target_metadata=metadata, render_as_batch=True, include_name=include_name
    )
    context.run_migrations()
