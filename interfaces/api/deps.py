"""What routes are served from: the store, the broker and the settings the app was made with."""

from __future__ import annotations

from typing import Annotated

import dramatiq
from fastapi import Depends, Request
from sqlalchemy import Engine

from marketjobs.config import Settings

__all__ = ["BrokerDep", "SettingsDep", "Store"]


def _store(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _broker(request: Request) -> dramatiq.Broker:
    broker: dramatiq.Broker = request.app.state.broker
    return broker


def _settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


#: The job store's engine.
Store = Annotated[Engine, Depends(_store)]
#: The broker jobs are sent on (with every job type declared).
BrokerDep = Annotated[dramatiq.Broker, Depends(_broker)]
#: The settings the app serves.
SettingsDep = Annotated[Settings, Depends(_settings)]
