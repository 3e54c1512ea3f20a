"""Health checks shared by ``marketjobs health``, the exporter's ``marketjobs_health_check`` gauge and the
HTTP API's ``/readyz`` (:func:`readiness`) and ``/healthz`` (:func:`liveness`).

Each check returns a :class:`CheckResult` (ok, degraded or unhealthy, a one-line detail, a hint naming what
to look at); a report's status is its worst check's: exit code 0 healthy, 1 degraded, 2 unhealthy. The
database check runs first: when it fails nothing else is checked (every marketjobs process needs the store,
and opening a SQL broker would migrate it). The broker is opened next; checks that need it are not run when
it cannot be opened or does not answer.

Thresholds are settings (``health_*``): a measured check is degraded past its threshold and unhealthy past
:data:`UNHEALTHY_FACTOR` times it.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass

import dramatiq
from sqlalchemy import Engine

from marketjobs import clock
from marketjobs.config import Settings
from monitoring.exporter import actor_time_limits
from monitoring.health.base import (
    UNHEALTHY_FACTOR,
    CheckResult,
    HealthContext,
    HealthReport,
    HealthStatus,
    one_line,
)
from monitoring.health.runtime import check_broker, check_queue_latency, check_scheduler, check_workers
from monitoring.health.store import (
    check_bars,
    check_database,
    check_dead_letters,
    check_failure_ratio,
    check_stuck_jobs,
)

__all__ = [
    "CHECKS",
    "READINESS_CHECKS",
    "UNHEALTHY_FACTOR",
    "CheckResult",
    "HealthCheck",
    "HealthContext",
    "HealthReport",
    "HealthStatus",
    "liveness",
    "readiness",
    "run_checks",
]

#: A broker, or what opens one (called once the database check passed).
BrokerSource = dramatiq.Broker | Callable[[], dramatiq.Broker]


@dataclass(frozen=True)
class HealthCheck:
    """One named check: the function, whether it needs the broker, and what to do when it raises."""

    name: str
    run: Callable[[HealthContext], CheckResult]
    needs_broker: bool
    error_hint: str


#: Hints of a check that raised instead of answering.
_STORE_ERROR = "a job-store query failed: check the database server and its log"
_BROKER_ERROR = "a broker call failed: check the broker server and its log"

#: Every check, in the order reported.
CHECKS: tuple[HealthCheck, ...] = (
    HealthCheck("database", check_database, False, _STORE_ERROR),
    HealthCheck("broker", check_broker, True, _BROKER_ERROR),
    HealthCheck("workers", check_workers, False, _STORE_ERROR),
    HealthCheck("queue_latency", check_queue_latency, True, _BROKER_ERROR),
    HealthCheck("failure_ratio", check_failure_ratio, False, _STORE_ERROR),
    HealthCheck("dead_letters", check_dead_letters, False, _STORE_ERROR),
    HealthCheck("stuck_jobs", check_stuck_jobs, False, _STORE_ERROR),
    HealthCheck("scheduler", check_scheduler, False, _STORE_ERROR + " (or Redis, where the lease lives)"),
    HealthCheck("bars", check_bars, False, _STORE_ERROR),
)
#: What ``/readyz`` needs: the store and the broker answer.
READINESS_CHECKS = ("database", "broker")


def _guarded(check: HealthCheck, ctx: HealthContext) -> CheckResult:
    try:
        return check.run(ctx)
    except Exception as exc:
        detail = f"the check failed: {one_line(exc)}"
        return CheckResult(check.name, HealthStatus.UNHEALTHY, detail, check.error_hint)


def _not_checked(check: HealthCheck, failed: str) -> CheckResult:
    detail = f"not checked: the {failed} check failed"
    return CheckResult(check.name, HealthStatus.UNHEALTHY, detail, f"fix the {failed} check first")


def run_checks(
    engine: Engine,
    settings: Settings,
    *,
    broker: BrokerSource,
    now_ms: int | None = None,
    time_limits: Mapping[str, float] | None = None,
    names: Collection[str] | None = None,
) -> HealthReport:
    """Runs the checks (``names``: only those) against ``engine`` and ``broker`` and returns the report.

    ``time_limits`` maps job types to their own time limits in seconds (default: those of the actors
    declared on the broker).
    """
    now = clock.now_ms() if now_ms is None else now_ms
    checks = [c for c in CHECKS if names is None or c.name in names]
    unknown = set(names or ()) - {c.name for c in CHECKS}
    if unknown:
        known = ", ".join(c.name for c in CHECKS)
        raise ValueError(f"unknown health checks {sorted(unknown)}; known checks are {known}")
    ctx = HealthContext(engine=engine, settings=settings, now_ms=now)
    database = _guarded(CHECKS[0], ctx)
    if database.status is not HealthStatus.OK:
        rest = [_not_checked(c, "database") for c in checks if c.name != "database"]
        return HealthReport(tuple([database] if CHECKS[0] in checks else []) + tuple(rest), now)
    opened: dramatiq.Broker | None = None
    open_error: Exception | None = None
    try:
        opened = broker if isinstance(broker, dramatiq.Broker) else broker()
    except Exception as exc:
        open_error = exc
    limits = actor_time_limits(opened) if time_limits is None and opened is not None else time_limits
    ctx = HealthContext(engine, settings, now, opened, dict(limits or {}))
    results: list[CheckResult] = []
    broker_ok = opened is not None
    for check in checks:
        if check.name == "database":
            results.append(database)
        elif check.name == "broker" and open_error is not None:
            detail = f"cannot open the broker: {one_line(open_error)}"
            results.append(CheckResult("broker", HealthStatus.UNHEALTHY, detail, check.error_hint))
        elif check.needs_broker and not broker_ok:
            results.append(_not_checked(check, "broker"))
        else:
            results.append(_guarded(check, ctx))
            if check.name == "broker":
                broker_ok = results[-1].status is HealthStatus.OK
    return HealthReport(tuple(results), now)


def readiness(
    engine: Engine, settings: Settings, *, broker: BrokerSource, now_ms: int | None = None
) -> HealthReport:
    """The ``/readyz`` subset: the store answers and is migrated, and the broker answers."""
    return run_checks(engine, settings, broker=broker, now_ms=now_ms, time_limits={}, names=READINESS_CHECKS)


def liveness(now_ms: int | None = None) -> HealthReport:
    """``/healthz``: this process answers. It reads nothing, so a slow database never restarts it."""
    now = clock.now_ms() if now_ms is None else now_ms
    return HealthReport((CheckResult("process", HealthStatus.OK, "alive"),), now)
