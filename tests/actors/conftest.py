"""Shared by the actor tests: the real actors, bound to each test's broker."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

import dramatiq

from marketjobs.config import configure
from tests.conftest import records_of


@contextmanager
def actor_module(broker: dramatiq.Broker, module_name: str, actor_name: str) -> Iterator[ModuleType]:
    """Imports ``actors.<module_name>`` and binds its actor ``actor_name`` to ``broker`` while in use."""
    settings = records_of(broker).settings
    # The actors package makes its own broker on import: a stub one, not var/marketjobs.db.
    configure(settings.model_copy(update={"broker_url": "stub://"}))
    module = importlib.import_module(f"actors.{module_name}")
    configure(settings)
    dramatiq.set_broker(broker)
    actor = getattr(module, actor_name)
    original = actor.broker
    actor.broker = broker
    broker.declare_actor(actor)
    try:
        yield module
    finally:
        actor.broker = original
