"""What every marketjobs broker shares: priorities and safe enqueue failure handling."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

import dramatiq

from marketjobs.brokers.hooks import BrokerHooks
from marketjobs.brokers.outage import Outage, OutageConsumer, is_connection_error
from marketjobs.brokers.pause import PausableConsumer, PauseWatch
from marketjobs.brokers.priorities import parse_priority, priority_queue_name, rabbitmq_priority
from marketjobs.brokers.queue_bound import QueueBoundConsumer
from marketjobs.constants import MESSAGE_OPTION_PRIORITY, Priority

__all__ = ["MarketJobsBrokerMixin", "resolve_priority"]


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

    #: Why :meth:`purge_dead_letters` returns None on this broker (maintenance reports it; ``{broker}`` is
    #: the class name).
    dead_letters_note: ClassVar[str] = "{broker} keeps no dead letters to expire"

    #: Set by the job layer (:func:`marketjobs.jobs.broker.broker_from_url`): which queues are paused.
    pause_watch: PauseWatch | None = None

    #: Set by :func:`marketjobs.brokers.open_broker`: this broker's outages, said once per back-off step.
    outage: Outage | None = None

    def consume(self, queue_name: str, prefetch: int = 1, timeout: int = 30000) -> Any:
        """The broker's consumer, silent while ``queue_name`` is paused (when pauses are watched). While the
        broker is unreachable a new consumer waits for the next back-off step (:mod:`.outage`)."""
        outage = self.outage
        if outage is None:
            return self.pausable(super().consume(queue_name, prefetch, timeout), queue_name, timeout)  # type: ignore[misc]
        outage.quiet_dramatiq_restarts(queue_name)
        outage.wait()
        try:
            consumer = super().consume(queue_name, prefetch, timeout)  # type: ignore[misc]
        except Exception as exc:
            if is_connection_error(exc):
                outage.failed(exc)
            raise
        return OutageConsumer(self.pausable(consumer, queue_name, timeout), outage)

    def pausable(self, consumer: Any, queue_name: str, timeout: int) -> Any:
        """``consumer`` made silent while its queue is paused (delay and dead-letter queues never are), its
        messages bound to ``queue_name`` (see :mod:`marketjobs.brokers.queue_bound`)."""
        consumer = QueueBoundConsumer(consumer, queue_name)
        if self.pause_watch is None or queue_name.endswith((".DQ", ".XQ")):
            return consumer
        return PausableConsumer(consumer, queue_name, self.pause_watch, timeout)

    def purge_dead_letters(
        self,
        older_than: timedelta,
        *,
        batch_size: int = 2_000,
        dry_run: bool = False,
        check_stop: Callable[[], None] | None = None,
    ) -> int | None:
        """Deletes this broker's copies of messages dead for longer than ``older_than``; returns how many
        (with ``dry_run``: how many it would). None where the broker keeps none or expires them itself.
        ``check_stop`` is called between batches and may raise to stop."""
        return None

    def queue_latency(self, queue_name: str) -> float | None:
        """Seconds the oldest ready message of ``queue_name`` (a user queue: every priority of it) has
        waited since it became due; 0.0 when none is ready, None where the broker cannot tell."""
        return None

    def declare_queue(self, queue_name: str, **kwargs: Any) -> None:
        names = (
            [priority_queue_name(queue_name, p) for p in Priority]
            if self.per_priority_queues
            else [queue_name]
        )
        for name in names:
            super().declare_queue(name, **kwargs)  # type: ignore[misc]

    def enqueue(self, message: Any, *, delay: int | None = None) -> Any:
        message = self.routed(message)
        try:
            return super().enqueue(message, delay=delay)  # type: ignore[misc]
        except Exception:
            self.enqueue_failed(message)
            raise

    def routed(self, message: Any) -> Any:
        """``message`` with its priority resolved and, on per-priority brokers, in its priority's queue."""
        priority = resolve_priority(self, message)  # type: ignore[arg-type]
        # Options are mutable on Dramatiq messages (its Retries middleware updates them the same way).
        message.options[MESSAGE_OPTION_PRIORITY] = priority.value
        if self.uses_broker_priority:
            message.options["broker_priority"] = rabbitmq_priority(priority)
        queue_name = message.queue_name
        if self.per_priority_queues and not queue_name.endswith((".DQ", ".XQ")):
            queue_name = priority_queue_name(queue_name, priority)
        if queue_name != message.queue_name:
            message = message.copy(queue_name=queue_name)
        return message

    def enqueue_failed(self, message: Any) -> None:
        """Tells :class:`BrokerHooks` middleware that the broker refused ``message``."""
        broker: Any = self
        for middleware in broker.middleware:
            if isinstance(middleware, BrokerHooks):
                middleware.after_enqueue_failed(broker, message)
