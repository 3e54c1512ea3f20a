"""Health checks on the job store: reachable and migrated, failures and dead letters in the window, jobs
stuck past their time limit, and the freshness of stored bars.

The window queries use the job records' indexes: the failure ratio counts the jobs *created* in the window
that have finished (a range on ``created_at``), dead letters are the dead records finished in the window
(few rows under the ``status`` index), stuck jobs are running ones (likewise).
"""

from __future__ import annotations

from collections import Counter

from alembic.runtime.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from marketjobs import clock
from marketjobs.constants import Status
from marketjobs.redact import redact_url
from marketjobs.store.migrate import head_revision
from marketjobs.store.models import JobRecord
from monitoring.exporter import _last_bars
from monitoring.health.base import (
    UNHEALTHY_FACTOR,
    CheckResult,
    HealthContext,
    HealthStatus,
    format_seconds,
    one_line,
    read_only,
)

__all__ = [
    "check_bars",
    "check_database",
    "check_dead_letters",
    "check_failure_ratio",
    "check_stuck_jobs",
]

#: Stuck jobs read at most (the oldest first).
_MAX_STUCK_ROWS = 1_000
#: Jobs, types or symbols a detail or hint names at most.
_SHOWN = 3

OK, DEGRADED, UNHEALTHY = HealthStatus.OK, HealthStatus.DEGRADED, HealthStatus.UNHEALTHY


def check_database(ctx: HealthContext) -> CheckResult:
    """Unhealthy unless the job store answers and is migrated to this marketjobs' head revision."""
    url = redact_url(ctx.engine.url.render_as_string(hide_password=True))  # and ?password=... of libpq
    try:
        with read_only(ctx.engine) as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        return CheckResult(
            "database",
            UNHEALTHY,
            f"cannot read the job store at {url}: {one_line(exc)}",
            "is the database server up? Check MARKETJOBS_DATABASE_URL (database_url in the settings)",
        )
    head = head_revision()
    if current != head:
        return CheckResult(
            "database",
            UNHEALTHY,
            f"the job store at {url} is at revision {current or 'none'}; this marketjobs needs {head}",
            "run `marketjobs db upgrade` (if the store is newer, upgrade marketjobs on this host instead)",
        )
    return CheckResult("database", OK, f"{url} at revision {head}")


def _over(value: float, threshold: float) -> HealthStatus:
    if value > threshold * UNHEALTHY_FACTOR:
        return UNHEALTHY
    return DEGRADED if value > threshold else OK


def check_failure_ratio(ctx: HealthContext) -> CheckResult:
    """Degraded when more than ``health_failure_ratio`` of the jobs created in the window and finished since
    went to dead letters (judged from ``health_failure_min_jobs`` finished jobs on)."""
    settings = ctx.settings
    query = (
        select(JobRecord.job_type, JobRecord.status, func.count())
        .where(
            JobRecord.created_at >= ctx.window_start_ms,
            JobRecord.status.in_((Status.COMPLETED.value, Status.DEAD.value)),
        )
        .group_by(JobRecord.job_type, JobRecord.status)
    )
    finished: Counter[str] = Counter()
    dead: Counter[str] = Counter()
    with read_only(ctx.engine) as connection:
        for job_type, status, count in connection.execute(query):
            finished[job_type] += count
            if status == Status.DEAD.value:
                dead[job_type] += count
    total, failed = finished.total(), dead.total()
    window = f"{settings.health_window_minutes:g} min"
    if total < settings.health_failure_min_jobs:
        detail = f"{failed} of {total} jobs created in the last {window} died (too few to judge)"
        return CheckResult("failure_ratio", OK, detail)
    ratio = failed / total
    status = _over(ratio, settings.health_failure_ratio)
    detail = (
        f"{failed} of {total} jobs created in the last {window} died ({ratio:.0%}; "
        f"threshold {settings.health_failure_ratio:.0%})"
    )
    if status is OK:
        return CheckResult("failure_ratio", OK, detail)
    failing = ", ".join(f"{t} {n}/{finished[t]}" for t, n in dead.most_common(_SHOWN))
    hint = f"failing most: {failing}; `marketjobs dlq list --type <type>` shows their errors"
    return CheckResult("failure_ratio", status, detail, hint)


def check_dead_letters(ctx: HealthContext) -> CheckResult:
    """Degraded when more than ``health_max_dead_letters`` jobs went to dead letters in the window."""
    settings = ctx.settings
    query = (
        select(JobRecord.job_type, func.count())
        .where(JobRecord.status == Status.DEAD.value, JobRecord.finished_at >= ctx.window_start_ms)
        .group_by(JobRecord.job_type)
    )
    with read_only(ctx.engine) as connection:
        by_type = Counter({job_type: count for job_type, count in connection.execute(query)})
    limit = settings.health_max_dead_letters
    count = by_type.total()
    status = DEGRADED if count > limit else OK
    if count > max(limit, 1) * UNHEALTHY_FACTOR:
        status = UNHEALTHY
    window = f"{settings.health_window_minutes:g} min"
    detail = f"{count} new dead letters in the last {window} (threshold {limit})"
    if status is OK:
        return CheckResult("dead_letters", OK, detail)
    types = ", ".join(f"{t} {n}" for t, n in by_type.most_common(_SHOWN))
    hint = (
        f"most from {types}: `marketjobs dlq list --type <type>` shows the errors; "
        "`marketjobs dlq retry` re-enqueues them once fixed"
    )
    return CheckResult("dead_letters", status, detail, hint)


def check_stuck_jobs(ctx: HealthContext) -> CheckResult:
    """Degraded when a job has been running longer than its time limit plus ``health_stuck_margin_seconds``
    (its worker hangs, or died without its record being told)."""
    settings = ctx.settings
    margin_ms = int(settings.health_stuck_margin_seconds * clock.MS_PER_SECOND)
    default_ms = int(settings.time_limit_seconds * clock.MS_PER_SECOND)
    limits_ms = {t: int(s * clock.MS_PER_SECOND) for t, s in ctx.time_limits.items()}
    shortest = min([default_ms, *limits_ms.values()])
    query = (
        select(JobRecord.id, JobRecord.job_type, JobRecord.started_at, JobRecord.hostname, JobRecord.pid)
        .where(
            JobRecord.status == Status.RUNNING.value,
            JobRecord.started_at < ctx.now_ms - shortest - margin_ms,
        )
        .order_by(JobRecord.started_at)
        .limit(_MAX_STUCK_ROWS)
    )
    with read_only(ctx.engine) as connection:
        rows = connection.execute(query).all()
    stuck = [
        row
        for row in rows
        if ctx.now_ms - row.started_at > limits_ms.get(row.job_type, default_ms) + margin_ms
    ]
    if not stuck:
        return CheckResult("stuck_jobs", OK, "no job runs past its time limit")
    shown = "; ".join(
        f"{r.id} ({r.job_type}) running {format_seconds((ctx.now_ms - r.started_at) / 1000)} "
        f"on {r.hostname or '?'}:{r.pid or '?'}"
        for r in stuck[:_SHOWN]
    )
    more = f" and {len(stuck) - _SHOWN} more" if len(stuck) > _SHOWN else ""
    return CheckResult(
        "stuck_jobs",
        DEGRADED,
        f"{len(stuck)} jobs run past their time limit: {shown}{more}",
        "`marketjobs jobs show <id>` for its progress, `marketjobs jobs cancel <id>` to stop it; "
        "`marketjobs workers` shows whether its worker is alive",
    )


def check_bars(ctx: HealthContext) -> CheckResult:
    """Degraded when the newest stored bar of any symbol is older than ``health_bar_max_age_hours``; ok when
    no bars are stored (nothing to judge)."""
    with read_only(ctx.engine) as connection:
        last = [(ts, symbol) for symbol, ts in connection.execute(_last_bars(connection.dialect))]
    if not last:
        return CheckResult("bars", OK, "no bars stored (nothing to judge)")
    max_age = ctx.settings.health_bar_max_age_hours * 3600
    newest_ts, newest_symbol = max(last)
    age = max(0.0, (ctx.now_ms - newest_ts) / clock.MS_PER_SECOND)
    stale = sum(1 for ts, _ in last if (ctx.now_ms - ts) / clock.MS_PER_SECOND > max_age)
    status = _over(age, max_age)
    detail = (
        f"newest bar {format_seconds(age)} old ({newest_symbol}); {len(last)} symbols, {stale} older than "
        f"{ctx.settings.health_bar_max_age_hours:g} h"
    )
    if status is OK:
        return CheckResult("bars", OK, detail)
    return CheckResult(
        "bars",
        status,
        detail,
        "prices are not being updated: `marketjobs schedules list` (is price_update enabled and ticking?) "
        "and `marketjobs jobs list --type price_update` (are its jobs failing?)",
    )
