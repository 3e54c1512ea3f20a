"""Every table of the store on one metadata: import this module to see them all (Alembic, maintenance,
tests). Table modules import only :mod:`marketjobs.store.base`, so none imports another to register it."""

from __future__ import annotations

from sqlalchemy import MetaData

from marketjobs.store import alerts, analysis, bars, models, portfolios, queue_pauses, schedules, workers
from marketjobs.store.base import Base

__all__ = ["TABLE_MODULES", "metadata"]

#: The modules that declare tables, imported for their side effect of registering them.
TABLE_MODULES = (alerts, analysis, bars, models, portfolios, queue_pauses, schedules, workers)
#: The metadata holding every table of the store.
metadata: MetaData = Base.metadata
