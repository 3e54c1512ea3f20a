"""What every health check shares: its statuses, its result, the report of a run, and what a check reads."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import dramatiq
from sqlalchemy import Connection, Engine

from marketjobs import clock
from marketjobs.config import Settings
from marketjobs.store.engine import READ_ONLY_OPTION

__all__ = [
    "UNHEALTHY_FACTOR",
    "CheckResult",
    "HealthContext",
    "HealthReport",
    "HealthStatus",
    "format_seconds",
    "one_line",
    "read_only",
]

#: A measured check is degraded past its threshold and unhealthy past this many times it.
UNHEALTHY_FACTOR = 3.0
#: Longest error text a result quotes.
_MAX_ERROR_CHARS = 300


class HealthStatus(StrEnum):
    """How a check (or the whole report, its worst check) stands; each maps to an exit code and a gauge."""

    OK = "ok"
    DEGRADED = "degraded"
    UNHEALTHY = "unhealthy"

    @property
    def exit_code(self) -> int:
        """What ``marketjobs health`` exits with: 0 ok, 1 degraded, 2 unhealthy."""
        return _ORDER.index(self)

    @property
    def gauge(self) -> float:
        """The ``marketjobs_health_check`` value: 1 ok, 0.5 degraded, 0 unhealthy."""
        return 1.0 - _ORDER.index(self) / 2


_ORDER = (HealthStatus.OK, HealthStatus.DEGRADED, HealthStatus.UNHEALTHY)


def worst(statuses: Any) -> HealthStatus:
    """The worst of ``statuses`` (ok when there are none)."""
    return max(statuses, key=_ORDER.index, default=HealthStatus.OK)


@dataclass(frozen=True)
class CheckResult:
    """One check's outcome: a one-line ``detail`` and, unless ok, a ``hint`` naming what to look at."""

    name: str
    status: HealthStatus
    detail: str
    hint: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return {"name": self.name, "status": self.status.value, "detail": self.detail, "hint": self.hint}


@dataclass(frozen=True)
class HealthReport:
    """The results of one run of checks; its status is the worst of theirs."""

    checks: tuple[CheckResult, ...]
    #: When the checks ran, UTC epoch milliseconds.
    checked_at: int

    @property
    def status(self) -> HealthStatus:
        """The worst check's status."""
        return worst(c.status for c in self.checks)

    @property
    def exit_code(self) -> int:
        """0 healthy, 1 degraded, 2 unhealthy."""
        return self.status.exit_code

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values (``checked_at`` as ISO-8601 UTC)."""
        return {
            "status": self.status.value,
            "exit_code": self.exit_code,
            "checked_at": clock.from_ms(self.checked_at).isoformat(),
            "checks": [c.as_dict() for c in self.checks],
        }


@dataclass(frozen=True)
class HealthContext:
    """What the checks read: the job store, the broker (None when it could not be opened; its queues and
    actors declared), the settings and the moment of the run."""

    engine: Engine
    settings: Settings
    now_ms: int
    broker: dramatiq.Broker | None = None
    #: Time limit in seconds of each job type that sets its own; others run under ``time_limit_seconds``.
    time_limits: Mapping[str, float] = field(default_factory=dict)

    @property
    def window_start_ms(self) -> int:
        """Start of the failure-ratio and dead-letter window."""
        return self.now_ms - int(self.settings.health_window_minutes * 60 * clock.MS_PER_SECOND)


def read_only(engine: Engine) -> Connection:
    """A connection that only reads (on SQLite it never waits for the write lock)."""
    return engine.connect().execution_options(**{READ_ONLY_OPTION: True})


def one_line(exc: BaseException) -> str:
    """An exception as one short line: its type and the first line of its message (the driver's own
    message for SQLAlchemy errors, without the SQL statement)."""
    cause = getattr(exc, "orig", None) or exc
    lines = str(cause).strip().splitlines()
    text = f"{type(cause).__name__}: {lines[0] if lines else ''}".rstrip(": ")
    return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 3] + "..."


def format_seconds(seconds: float) -> str:
    """A duration for people: ``45 s``, ``12 min``, ``3.5 h``, ``2.0 d``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7_200:
        return f"{seconds / 60:.0f} min"
    if seconds < 172_800:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86_400:.1f} d"
