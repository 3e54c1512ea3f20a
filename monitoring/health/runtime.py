"""Health checks on what runs: the broker and its queues' latency, the worker pools, the scheduler leader."""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import select

from marketjobs import clock
from marketjobs.brokers import queue_depths
from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.brokers.priorities import base_queue_name
from marketjobs.config import url_scheme
from marketjobs.redact import redact_url
from marketjobs.store.schedules import Schedule, SchedulerLease
from marketjobs.store.workers import list_workers
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
    "SCHEDULER_LEASE_NAME",
    "SCHEDULER_REDIS_KEY",
    "check_broker",
    "check_queue_latency",
    "check_scheduler",
    "check_workers",
]

#: The leader lease ``marketjobs scheduler`` holds (scheduler.leader.DEFAULT_LEASE_NAME; a test keeps them
#: equal, as this layer may not import the scheduler's).
SCHEDULER_LEASE_NAME = "scheduler"
#: Where that lease lives on a Redis broker (scheduler.leader.REDIS_KEY_PREFIX + the name).
SCHEDULER_REDIS_KEY = "marketjobs:lease:" + SCHEDULER_LEASE_NAME

OK, DEGRADED, UNHEALTHY = HealthStatus.OK, HealthStatus.DEGRADED, HealthStatus.UNHEALTHY


def user_queues(ctx: HealthContext) -> list[str]:
    """The broker's declared queues without priority, delay and dead-letter variants."""
    assert ctx.broker is not None
    declared = ctx.broker.get_declared_queues()
    return sorted({base_queue_name(q) for q in declared if not q.endswith((".DQ", ".XQ"))})


def check_broker(ctx: HealthContext) -> CheckResult:
    """Unhealthy unless the broker answers a depth query on every declared queue."""
    url = redact_url(ctx.settings.broker_url)  # the password, and redis://host/0?password=... too
    hint = "is the broker up? Check MARKETJOBS_BROKER_URL (broker_url in the settings)"
    if ctx.broker is None:
        return CheckResult("broker", UNHEALTHY, f"the broker at {url} could not be opened", hint)
    try:
        depths = queue_depths(ctx.broker)
    except Exception as exc:
        return CheckResult("broker", UNHEALTHY, f"cannot reach the broker at {url}: {one_line(exc)}", hint)
    ready, delayed, dead = (sum(getattr(d, field) for d in depths) for field in ("ready", "delayed", "dead"))
    detail = f"{url}: {len(user_queues(ctx))} queues, {ready} ready, {delayed} delayed, {dead} dead"
    return CheckResult("broker", OK, detail)


def _pools_of(ctx: HealthContext, queue: str) -> str:
    names = [n for n, p in ctx.settings.pools.items() if not p.queues or queue in p.queues]
    return "pool " + "/".join(names) if names else "no pool (add it to a pool's queues)"


def check_queue_latency(ctx: HealthContext) -> CheckResult:
    """Degraded when a queue's oldest ready message has waited longer than ``health_max_latency_seconds``."""
    assert ctx.broker is not None
    if not isinstance(ctx.broker, MarketJobsBrokerMixin):
        return CheckResult("queue_latency", OK, f"{type(ctx.broker).__name__} cannot tell message ages")
    limit = ctx.settings.health_max_latency_seconds
    latencies = {q: ctx.broker.queue_latency(q) for q in user_queues(ctx)}
    known = {q: s for q, s in latencies.items() if s is not None}
    if not known:
        return CheckResult(
            "queue_latency", OK, f"{len(latencies)} queues; the broker cannot tell message ages"
        )
    queue, oldest = max(known.items(), key=lambda item: item[1])
    late = sorted((q for q, s in known.items() if s > limit), key=lambda q: -known[q])
    status = UNHEALTHY if oldest > limit * UNHEALTHY_FACTOR else DEGRADED if late else OK
    detail = f"oldest ready message {format_seconds(oldest)} old ({queue}); threshold {format_seconds(limit)}"
    if oldest == 0:
        detail = f"no ready message waits in {len(known)} queues; threshold {format_seconds(limit)}"
    if status is OK:
        return CheckResult("queue_latency", OK, detail)
    behind = "; ".join(f"{q} waits {format_seconds(known[q])} ({_pools_of(ctx, q)})" for q in late)
    hint = (
        f"{behind}: raise the pool's max in the settings or look for busy or stuck workers "
        "(`marketjobs workers`, `marketjobs queues`)"
    )
    return CheckResult("queue_latency", status, detail, hint)


def check_workers(ctx: HealthContext) -> CheckResult:
    """Unhealthy when a pool with ``min`` > 0 has no live worker (and no worker started by hand runs);
    degraded when a pool is below its ``min`` or a worker is lost (silent past ``worker_lost_seconds``)."""
    settings = ctx.settings
    workers = list_workers(
        ctx.engine,
        now_ms=ctx.now_ms,
        lost_after_ms=int(settings.worker_lost_seconds * clock.MS_PER_SECOND),
        states=("running", "draining", "lost"),
    )
    live = Counter(w.pool for w in workers if w.state == "running")
    lost = [w for w in workers if w.state == "lost"]
    unpooled = live[None]
    short = {n: p.min for n, p in settings.pools.items() if live[n] < p.min}
    counts = ", ".join(f"{n} {live[n]} (min {p.min})" for n, p in settings.pools.items())
    detail = f"live workers per pool: {counts}" + (f"; {unpooled} outside pools" if unpooled else "")
    if lost:
        detail += f"; {len(lost)} lost"
    hints = [
        f"pool {n} has {live[n]} live workers, needs {m}: is `marketjobs supervisor` running "
        "(systemd: marketjobs-supervisor.service)?"
        for n, m in short.items()
    ]
    hints += [
        f"worker {w.hostname}:{w.pid} (pool {w.pool or '-'}) silent for "
        f"{format_seconds((ctx.now_ms - w.heartbeat_at) / 1000)}: its process or host died"
        for w in lost[:3]
    ]
    if not hints:
        return CheckResult("workers", OK, detail)
    empty = any(live[n] == 0 for n in short)
    status = UNHEALTHY if empty and not unpooled else DEGRADED
    return CheckResult("workers", status, detail, "; ".join(hints) + "; see `marketjobs workers`")


def _leader(ctx: HealthContext) -> tuple[str, int] | None:
    """The scheduler lease's (holder, expiry in epoch ms), from Redis on a Redis broker, else from SQL."""
    if url_scheme(ctx.settings.broker_url) in ("redis", "rediss"):
        client: Any = getattr(ctx.broker, "client", None)
        if client is None:
            raise RuntimeError("the Redis broker could not be opened to read the scheduler lease")
        holder, ttl_ms = client.get(SCHEDULER_REDIS_KEY), client.pttl(SCHEDULER_REDIS_KEY)
        if holder is None or ttl_ms < 0:
            return None
        return holder.decode(), ctx.now_ms + int(ttl_ms)
    query = select(SchedulerLease.holder, SchedulerLease.expires_at).where(
        SchedulerLease.name == SCHEDULER_LEASE_NAME
    )
    with read_only(ctx.engine) as connection:
        row = connection.execute(query).first()
    return None if row is None else (row.holder, row.expires_at)


def check_scheduler(ctx: HealthContext) -> CheckResult:
    """With enabled schedules: unhealthy without a live leader lease; degraded when a schedule's next tick
    is more than ``health_scheduler_lag_seconds`` past due (unhealthy past 3x). Ok with none enabled."""
    query = select(Schedule.name, Schedule.last_tick_at, Schedule.next_run_at).where(
        Schedule.enabled.is_(True)
    )
    with read_only(ctx.engine) as connection:
        schedules = connection.execute(query).all()
    if not schedules:
        return CheckResult("scheduler", OK, "no enabled schedules")
    leader = _leader(ctx)
    hint = "start `marketjobs scheduler` (systemd: marketjobs-scheduler.service); `marketjobs schedules list`"
    if leader is None or leader[1] <= ctx.now_ms:
        since = ""
        if leader is not None:
            since = f" ({leader[0]}'s expired {format_seconds(_ago(ctx, leader[1]))} ago)"
        detail = f"{len(schedules)} enabled schedules but no scheduler holds the leader lease{since}"
        return CheckResult("scheduler", UNHEALTHY, detail, hint)
    ticks = [s.last_tick_at for s in schedules if s.last_tick_at is not None]
    last = f"last tick {format_seconds(_ago(ctx, max(ticks)))} ago" if ticks else "no tick yet"
    due = [s for s in schedules if s.next_run_at is not None]
    late = max(due, key=lambda s: _ago(ctx, s.next_run_at), default=None)
    lag = 0.0 if late is None else max(0.0, _ago(ctx, late.next_run_at))
    limit = ctx.settings.health_scheduler_lag_seconds
    detail = f"leader {leader[0]}; {len(schedules)} enabled schedules, {last}"
    if lag <= limit or late is None:
        return CheckResult("scheduler", OK, detail)
    status = UNHEALTHY if lag > limit * UNHEALTHY_FACTOR else DEGRADED
    detail += f"; {late.name} is {format_seconds(lag)} past due"
    return CheckResult(
        "scheduler", status, detail, f"the leader is not ticking: check its log and host; {hint}"
    )


def _ago(ctx: HealthContext, epoch_ms: int) -> float:
    return (ctx.now_ms - epoch_ms) / clock.MS_PER_SECOND
