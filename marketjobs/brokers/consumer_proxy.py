"""A consumer that wraps the broker's own and forwards everything to it: the base of the wrappers that
change only what ``next()`` hands out (paused queues, outages, messages bound to their queue)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dramatiq.broker import Consumer, MessageProxy

__all__ = ["ConsumerProxy"]


class ConsumerProxy(Consumer):
    """Forwards ``next``, settlements, ``close`` and any other attribute to ``inner``."""

    def __init__(self, inner: Consumer) -> None:
        self.inner = inner

    def __next__(self) -> MessageProxy | None:
        return next(self.inner)

    def ack(self, message: MessageProxy) -> None:
        self.inner.ack(message)

    def nack(self, message: MessageProxy) -> None:
        self.inner.nack(message)

    def requeue(self, messages: Iterable[MessageProxy]) -> None:
        self.inner.requeue(messages)

    def close(self) -> None:
        self.inner.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
