"""Paused queues on every broker: a consumer of a paused queue hands out nothing until it is resumed.

Dramatiq's consumer threads call ``next(consumer)`` in a loop, and ``None`` means "nothing now". A
:class:`PausableConsumer` wraps the broker's own consumer and answers ``None`` (after a short wait, so the
thread does not spin) while its queue is paused; messages it already holds stay held and nothing is lost.
Which queues are paused comes from the store (``queue_pauses``), read at most every ``refresh_seconds`` by
one :class:`PauseWatch` per broker, so a pause reaches every worker of every host within seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable

from dramatiq.broker import Consumer, MessageProxy

from marketjobs.brokers.consumer_proxy import ConsumerProxy
from marketjobs.brokers.priorities import base_queue_name

__all__ = ["REFRESH_SECONDS", "PausableConsumer", "PauseWatch"]

logger = logging.getLogger(__name__)

#: How often workers re-read the paused queues, in seconds.
REFRESH_SECONDS = 2.0
#: How long a paused consumer waits before answering "nothing", in seconds (at most its own timeout).
PAUSED_WAIT_SECONDS = 0.5


class PauseWatch:
    """The set of paused queue names, refreshed from ``read()`` at most every ``refresh_seconds``."""

    def __init__(self, read: Callable[[], Iterable[str]], refresh_seconds: float = REFRESH_SECONDS) -> None:
        self._read = read
        self._refresh_seconds = refresh_seconds
        self._lock = threading.Lock()
        self._paused: frozenset[str] = frozenset()
        self._read_at = float("-inf")
        self._failing = False

    def paused(self, queue_name: str) -> bool:
        """True while the user queue of ``queue_name`` (any priority of it) is paused."""
        now = time.monotonic()
        if now - self._read_at >= self._refresh_seconds:
            with self._lock:
                if now - self._read_at >= self._refresh_seconds:
                    try:
                        self._paused = frozenset(self._read())
                        self._failing = False
                    except Exception as exc:  # the store is down: keep the last known pauses
                        if not self._failing:  # once per outage, not every refresh
                            logger.warning("paused queues unreadable (%s); keeping the last known", exc)
                        self._failing = True
                    self._read_at = now
        return base_queue_name(queue_name) in self._paused


class PausableConsumer(ConsumerProxy):
    """The broker's consumer of ``queue_name``, silent while that queue is paused."""

    def __init__(self, inner: Consumer, queue_name: str, watch: PauseWatch, timeout_ms: int) -> None:
        super().__init__(inner)
        self.queue_name = queue_name
        self.watch = watch
        self._wait = min(PAUSED_WAIT_SECONDS, max(timeout_ms, 1) / 1000)

    def __next__(self) -> MessageProxy | None:
        if self.watch.paused(self.queue_name):
            time.sleep(self._wait)
            return None
        return next(self.inner)
