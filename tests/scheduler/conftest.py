"""Shared by the scheduler tests: the schedules the real actors declare, periodiq on a frozen clock."""

from __future__ import annotations

from typing import Any

import pendulum
import periodiq  # type: ignore[import-untyped]
import pytest

from scheduler.definitions import ScheduleDefinition
from scheduler.periodic import declared_schedules


@pytest.fixture(scope="session")
def defaults() -> dict[str, ScheduleDefinition]:
    """The default schedules: those the actors package declares with ``periodic=cron(...)``, by name."""
    import actors

    return {definition.name: definition for definition in declared_schedules(actors.broker)}


@pytest.fixture
def frozen_periodiq(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Freezes periodiq's clock at Sunday 04:00 New York and records the alarm instead of arming it."""
    clock: dict[str, Any] = {"now": pendulum.datetime(2026, 11, 29, 4, 0, tz="America/New_York")}
    monkeypatch.setattr(pendulum, "now", lambda *args, **kwargs: clock["now"])
    monkeypatch.setattr(periodiq, "sleep", lambda seconds: None)
    monkeypatch.setattr(periodiq, "alarm", lambda seconds: clock.__setitem__("alarm_seconds", seconds))
    monkeypatch.setattr(periodiq, "signal", lambda signum, handler: None)
    return clock
