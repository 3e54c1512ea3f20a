"""The FastAPI application: routes, error handling, and the settings and store it serves from."""

from __future__ import annotations

import dramatiq
from fastapi import FastAPI

from interfaces.api import pages
from interfaces.api.errors import install_error_handlers
from interfaces.api.openapi import install_openapi
from interfaces.api.routes import (
    alerts,
    bulk,
    dead_letters,
    docs,
    enqueue,
    events,
    health,
    jobs,
    portfolios,
    queues,
    schedules,
    stats,
    whoami,
    workers,
)
from marketjobs.config import Settings
from marketjobs.store.engine import create_store_engine

__all__ = ["create_app"]


def create_app(settings: Settings, broker: dramatiq.Broker) -> FastAPI:
    """The API and page for the store of ``settings`` and the jobs declared on ``broker``."""
    app = FastAPI(
        title="marketjobs",
        description="Background jobs for stock-market analysis: jobs, dead letters, queues, schedules, "
        "workers. Every route but /healthz and /readyz needs a bearer token.",
        version="1",
        # Served by routes/docs.py behind a viewer token instead.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.broker = broker
    app.state.engine = create_store_engine(settings.database_url)
    app.include_router(health.router)
    for module in (jobs, bulk, dead_letters, queues, schedules, workers, alerts, portfolios, stats, whoami):
        app.include_router(module.router)
    app.include_router(enqueue.router_for(broker))
    app.include_router(events.router)
    app.include_router(docs.router)
    app.include_router(pages.router)
    app.mount("/static", pages.static_files(), name="static")
    install_error_handlers(app)
    install_openapi(app)
    return app
