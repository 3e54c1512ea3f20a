"""One spelling of priorities for users, mapped onto what each broker can do.

- Redis and the stub broker: per-priority queues. ``analysis`` at ``high`` goes to ``analysis.high``; every
  priority queue has its own consumer, so urgent work never waits behind a backlog of low-priority work, and
  within a worker process higher-priority actors are picked first. Not a strict global order.
- RabbitMQ: one queue declared with ``x-max-priority`` and a message priority: the broker delivers higher
  priorities first among messages not yet prefetched.
"""

from __future__ import annotations

from marketjobs.constants import MESSAGE_OPTION_PRIORITY, Priority
from marketjobs.errors import OptionError

__all__ = [
    "RABBITMQ_MAX_PRIORITY",
    "base_queue_name",
    "parse_priority",
    "priority_queue_name",
    "rabbitmq_priority",
]

#: ``x-max-priority`` of RabbitMQ queues; message priorities are 1 (low) to 4 (critical).
RABBITMQ_MAX_PRIORITY = 4

_SUFFIXES: dict[Priority, str] = {p: f".{p.value}" for p in Priority if p is not Priority.NORMAL}


def parse_priority(value: object) -> Priority:
    """The Priority named by ``value`` (None means normal), or OptionError listing the choices."""
    if value is None:
        return Priority.NORMAL
    try:
        return Priority(str(value).lower())
    except ValueError:
        choices = ", ".join(p.value for p in Priority)
        raise OptionError(f"unknown {MESSAGE_OPTION_PRIORITY} {value!r}; use one of {choices}") from None


def base_queue_name(queue_name: str) -> str:
    """The user's queue name without a priority suffix."""
    for suffix in _SUFFIXES.values():
        if queue_name.endswith(suffix):
            return queue_name[: -len(suffix)]
    return queue_name


def priority_queue_name(queue_name: str, priority: Priority) -> str:
    """The queue a message of ``priority`` goes to on brokers that use per-priority queues."""
    return base_queue_name(queue_name) + _SUFFIXES.get(priority, "")


def rabbitmq_priority(priority: Priority) -> int:
    """RabbitMQ message priority for ``priority`` (higher is delivered first)."""
    return RABBITMQ_MAX_PRIORITY - priority.rank
