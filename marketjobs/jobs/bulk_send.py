"""Sending many messages at once: one transaction on the SQL broker, a send per message elsewhere.

The SQL broker stores a list of messages with one statement per few thousand rows and one commit
(``enqueue_many``); Redis, RabbitMQ and the stub broker take them one ``enqueue`` at a time. Either way every
enqueue hook runs per message (job records, idempotency keys, size checks), as for ``send()``::

    send_many(price_update, [{"symbols": [s]} for s in symbols], priority="high")
    run_group(dramatiq.group(messages))  # instead of group.run(): its messages go out together
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import dramatiq
from dramatiq import Message

__all__ = ["enqueue_all", "run_group", "send_many"]

#: One call of :func:`send_many`: keyword parameters, or ``(args, kwargs)``.
Call = Mapping[str, Any] | tuple[tuple[Any, ...], Mapping[str, Any]]


def send_many(
    actor: dramatiq.Actor[..., Any], calls: Iterable[Call], *, delay: int | None = None, **options: Any
) -> list[Message[Any]]:
    """Sends one message of ``actor`` per call, each with ``options`` (as ``send_with_options`` takes them).

    A call is a mapping of keyword parameters or an ``(args, kwargs)`` pair. Parameters are validated for
    every message before any is sent. On the SQL broker all are stored in one transaction: if one is
    refused (a duplicate idempotency key, a message too large) none is. Returns the messages sent.
    """
    messages = [
        actor.message_with_options(args=tuple(args), kwargs=dict(kwargs), **options)
        for args, kwargs in map(_split, calls)
    ]
    return enqueue_all(actor.broker, messages, delay=delay)


def enqueue_all(
    broker: dramatiq.Broker, messages: Sequence[Message[Any]], *, delay: int | None = None
) -> list[Message[Any]]:
    """Enqueues ``messages`` on ``broker``: in one ``enqueue_many`` call where the broker has one, else one
    ``enqueue`` each (then a failure leaves the earlier messages queued). Returns them as enqueued."""
    if not messages:
        return []
    enqueue_many = getattr(broker, "enqueue_many", None)
    if enqueue_many is not None:
        return list(enqueue_many(messages, delay=delay))
    return [broker.enqueue(message, delay=delay) for message in messages]


def run_group(group: dramatiq.group, *, delay: int | None = None) -> dramatiq.group:
    """Runs ``group`` like ``group.run()`` (completion callbacks included), its messages sent through
    :func:`enqueue_all`; pipelines in the group start as usual. Returns the group."""
    broker = group.broker
    if getattr(broker, "enqueue_many", None) is None:
        group.run(delay=delay)  # type: ignore[no-untyped-call]
        return group
    collector = _Collector(broker)
    group.broker = collector
    try:
        group.run(delay=delay)  # type: ignore[no-untyped-call]  # barriers, callback options; collects
    finally:
        group.broker = broker
    enqueue_all(broker, collector.messages, delay=delay)
    return group


def _split(call: Call) -> tuple[tuple[Any, ...], Mapping[str, Any]]:
    if isinstance(call, Mapping):
        return (), call
    args, kwargs = call
    return tuple(args), kwargs


class _Collector:
    """Stands in for a group's broker while it runs: keeps the messages it enqueues, lends the rest."""

    def __init__(self, broker: dramatiq.Broker) -> None:
        self._broker = broker
        self.messages: list[Message[Any]] = []

    def enqueue(self, message: Message[Any], *, delay: int | None = None) -> Message[Any]:
        self.messages.append(message)
        return message

    def __getattr__(self, name: str) -> Any:
        return getattr(self._broker, name)
