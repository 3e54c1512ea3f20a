"""What every marketjobs broker shares: priorities, our middleware, and safe enqueue failure handling."""

from __future__ import annotations

from typing import Any, ClassVar

import dramatiq
from dramatiq.middleware import Retries as DramatiqRetries
from dramatiq.middleware import TimeLimit

from marketjobs.brokers.priorities import parse_priority, priority_queue_name, rabbitmq_priority
from marketjobs.config import Settings
from marketjobs.constants import MESSAGE_OPTION_PRIORITY, Priority

__all__ = ["MarketJobsBrokerMixin", "install_middleware", "resolve_priority"]


def resolve_priority(broker: dramatiq.Broker, message: Any) -> Priority:
    """The message's priority option, else its actor's ``default_priority``, else normal."""
    value = message.options.get(MESSAGE_OPTION_PRIORITY)
    if value is None:
        try:
            value = broker.get_actor(message.actor_name).options.get("default_priority")
        except dramatiq.errors.ActorNotFound:
            value = None
    return parse_priority(value)


class MarketJobsBrokerMixin:
    """Mixed in before a Dramatiq broker class: resolves priorities and undoes claims of failed enqueues."""

    #: True where priorities are separate queues (Redis, stub); False where the broker orders by priority.
    per_priority_queues: ClassVar[bool] = True
    #: True where the broker reads ``broker_priority`` (RabbitMQ).
    uses_broker_priority: ClassVar[bool] = False

    def declare_queue(self, queue_name: str, **kwargs: Any) -> None:
        names = (
            [priority_queue_name(queue_name, p) for p in Priority]
            if self.per_priority_queues
            else [queue_name]
        )
        for name in names:
            super().declare_queue(name, **kwargs)  # type: ignore[misc]

    def enqueue(self, message: Any, *, delay: int | None = None) -> Any:
        broker: Any = self
        priority = resolve_priority(broker, message)
        # Options are mutable on Dramatiq messages (its Retries middleware updates them the same way).
        message.options[MESSAGE_OPTION_PRIORITY] = priority.value
        if self.uses_broker_priority:
            message.options["broker_priority"] = rabbitmq_priority(priority)
        queue_name = message.queue_name
        if self.per_priority_queues and not queue_name.endswith((".DQ", ".XQ")):
            queue_name = priority_queue_name(queue_name, priority)
        if queue_name != message.queue_name:
            message = message.copy(queue_name=queue_name)
        try:
            return super().enqueue(message, delay=delay)  # type: ignore[misc]
        except Exception:
            for middleware in broker.middleware:
                release = getattr(middleware, "release_failed_enqueue", None)
                if release is not None:
                    release(message)
            raise


def install_middleware(broker: dramatiq.Broker, settings: Settings, url: str) -> dramatiq.Broker:
    """Applies settings to Dramatiq's middleware and adds priorities, retries, records, idempotency,
    results and group callbacks (with the backends that suit the broker at ``url``)."""
    from dramatiq.middleware import GroupCallbacks

    from marketjobs.brokers.backends import backends_for
    from marketjobs.jobs.idempotency import Idempotency
    from marketjobs.jobs.priority import Priorities
    from marketjobs.jobs.records import JobRecords
    from marketjobs.jobs.retries import Retries
    from marketjobs.results.middleware import Results
    from monitoring.worker import WorkerMetrics

    broker.middleware[:] = [m for m in broker.middleware if not isinstance(m, DramatiqRetries)]
    for middleware in broker.middleware:
        if isinstance(middleware, TimeLimit):
            middleware.time_limit = settings.time_limit_seconds * 1000
    results_backend, rate_limiter_backend = backends_for(url, settings)
    broker.rate_limiter_backend = rate_limiter_backend  # type: ignore[attr-defined]
    broker.add_middleware(Results(backend=results_backend))  # type: ignore[no-untyped-call]
    broker.add_middleware(GroupCallbacks(rate_limiter_backend))
    broker.add_middleware(WorkerMetrics())
    broker.add_middleware(Priorities())
    # Dramatiq calls after_* hooks in reverse order: records come before Retries so that they see what
    # Retries decided (message.failed, the retry's eta) for the same message.
    broker.add_middleware(Idempotency(settings.database_url))
    broker.add_middleware(JobRecords(settings))
    broker.add_middleware(
        Retries(
            max_retries=settings.max_retries,
            min_backoff=max(1, int(settings.min_backoff_seconds * 1000)),
            max_backoff=max(1, int(settings.max_backoff_seconds * 1000)),
        )
    )
    return broker
