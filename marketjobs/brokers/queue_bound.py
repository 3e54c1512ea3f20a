"""Consumers whose messages always name the queue they were consumed from.

Dramatiq's worker settles a message through ``consumers[message.queue_name]``. A message whose payload names
another queue than the one it came from (forged or corrupted by whoever can write to the broker, or an
undecodable message whose clear header was altered) raises ``KeyError`` there: the worker thread dies and
the message stays unsettled. The broker's consumer knows the real queue, so :class:`QueueBoundConsumer`
hands such a message out under its consumer's queue name, and logs it.
"""

from __future__ import annotations

import logging

from dramatiq.broker import Consumer, MessageProxy

from marketjobs.brokers.consumer_proxy import ConsumerProxy

__all__ = ["QueueBoundConsumer"]

logger = logging.getLogger(__name__)


class QueueBoundConsumer(ConsumerProxy):
    """The broker's consumer of ``queue_name``; a message naming another queue is renamed to this one."""

    def __init__(self, inner: Consumer, queue_name: str) -> None:
        super().__init__(inner)
        self.queue_name = queue_name

    def __next__(self) -> MessageProxy | None:
        message = next(self.inner)
        if message is not None and message.queue_name != self.queue_name:
            logger.warning(
                "Message %s consumed from queue %r names queue %r (forged or corrupted); handled as a "
                "message of %r",
                message.message_id,
                self.queue_name,
                message.queue_name,
                self.queue_name,
            )
            message._message = message._message.copy(queue_name=self.queue_name)
        return message
