"""Queues as operators see them: one row per user queue (every priority of it folded in) with the messages
ready, delayed and dead, the oldest ready message's wait, and whether it is paused; and purging one."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import dramatiq
from sqlalchemy import Engine, update

from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.brokers.depth import QueueDepth
from marketjobs.brokers.priorities import base_queue_name, priority_queue_name
from marketjobs.clock import MS_PER_SECOND, now_ms
from marketjobs.constants import Priority, Status
from marketjobs.errors import ParameterError, UnsupportedBrokerError
from marketjobs.jobs.queries import oldest_pending_due_ms
from marketjobs.jobs.rows import sequence
from marketjobs.store.models import JobRecord
from marketjobs.store.queue_pauses import paused_queues

__all__ = [
    "QueuePurge",
    "QueueStatus",
    "purge_queue",
    "queue_depth",
    "queue_latency",
    "queue_statuses",
    "user_queues",
]

#: Statuses of the job records whose messages wait in a queue (ready, or delayed until a retry).
WAITING_STATUSES = (Status.PENDING.value, Status.RETRYING.value)


@dataclass(frozen=True)
class QueueStatus:
    """One user queue: its messages, the oldest ready message's wait, and its pause."""

    queue: str
    ready: int
    delayed: int
    dead: int
    #: Seconds the oldest ready message has waited since it became due (0.0: none ready; None: unknown).
    latency_seconds: float | None
    paused: bool
    paused_by: str | None
    #: When it was paused, UTC epoch ms.
    paused_at: int | None

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return asdict(self)


def user_queues(broker: dramatiq.Broker) -> list[str]:
    """The user queue names the broker declared (no priority, delay or dead-letter queues), sorted."""
    declared = broker.get_declared_queues()
    return sorted({base_queue_name(q) for q in declared if not q.endswith((".DQ", ".XQ"))})


def _priority_names(broker: dramatiq.Broker, queue: str) -> list[str]:
    if isinstance(broker, MarketJobsBrokerMixin) and broker.per_priority_queues:
        declared = broker.get_declared_queues()
        return [name for p in Priority if (name := priority_queue_name(queue, p)) in declared]
    return [queue]


def queue_depth(broker: dramatiq.Broker, queue: str) -> QueueDepth:
    """Messages of user queue ``queue``, summed over its priority queues."""
    reader: Any = getattr(broker, "queue_depth", None)
    if reader is None:
        raise UnsupportedBrokerError(
            f"{type(broker).__name__} cannot report queue depth; use marketjobs.jobs.broker.broker_from_url()"
        )
    depths = [reader(name) for name in _priority_names(broker, queue)]
    return QueueDepth(
        queue,
        ready=sum(d.ready for d in depths),
        delayed=sum(d.delayed for d in depths),
        dead=sum(d.dead for d in depths),
    )


def queue_latency(broker: dramatiq.Broker, engine: Engine, queue: str) -> float | None:
    """Seconds the oldest ready message of ``queue`` has waited: the broker's reading, else (RabbitMQ
    cannot peek) the oldest pending job record's wait."""
    if isinstance(broker, MarketJobsBrokerMixin):
        reading = broker.queue_latency(queue)
        if reading is not None:
            return reading
    now = now_ms()
    due = oldest_pending_due_ms(engine, queue, now)
    return 0.0 if due is None else (now - due) / MS_PER_SECOND


def queue_statuses(
    broker: dramatiq.Broker, engine: Engine, queues: list[str] | None = None
) -> list[QueueStatus]:
    """Every user queue (default: the declared ones and any paused one) with depth, latency and pause."""
    pauses = paused_queues(engine)
    names = queues if queues is not None else sorted(set(user_queues(broker)) | set(pauses))
    found: list[QueueStatus] = []
    for name in names:
        depth = queue_depth(broker, name)
        pause = pauses.get(name)
        found.append(
            QueueStatus(
                queue=name,
                ready=depth.ready,
                delayed=depth.delayed,
                dead=depth.dead,
                latency_seconds=queue_latency(broker, engine, name),
                paused=pause is not None,
                paused_by=None if pause is None else pause.paused_by,
                paused_at=None if pause is None else pause.paused_at,
            )
        )
    return found


@dataclass(frozen=True)
class QueuePurge:
    """What purging a queue dropped."""

    queue: str
    #: Messages dropped from the broker: ready (on the SQL broker also those being delivered) and delayed.
    messages: int
    #: Job records of waiting messages (pending, or delayed until a retry) that ended as cancelled.
    jobs_cancelled: int

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return asdict(self)


def purge_queue(broker: dramatiq.Broker, engine: Engine, queue: str) -> QueuePurge:
    """Drops every message waiting in user queue ``queue`` (each priority, with its delayed ones) and ends
    their job records as cancelled; jobs already running finish. ParameterError for an unknown queue."""
    known = user_queues(broker)
    if queue not in known:
        raise ParameterError(f"no queue {queue!r}; queues: {', '.join(known)}")
    depth = queue_depth(broker, queue)
    delay_queues = broker.get_declared_delay_queues()
    for name in _priority_names(broker, queue):
        broker.flush(name)
        if f"{name}.DQ" in delay_queues:
            broker.flush(f"{name}.DQ")
    now = now_ms()
    with engine.begin() as connection:
        cancelled = connection.execute(
            update(JobRecord)
            .where(JobRecord.queue == queue, JobRecord.status.in_(WAITING_STATUSES))
            .values(
                status=Status.CANCELLED.value,
                seq=JobRecord.attempts * 4 + sequence(0, Status.CANCELLED),
                error=f"purged from queue {queue} (marketjobs queues purge)",
                finished_at=now,
                updated_at=now,
            )
        ).rowcount
    return QueuePurge(queue, depth.ready + depth.delayed, int(cancelled))
