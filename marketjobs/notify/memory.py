"""``memory``: an in-process sink for tests that keeps what it was given and can be told to fail."""

from __future__ import annotations

import threading

from marketjobs.errors import DeliveryError
from marketjobs.notify.base import Notification, Sink

__all__ = ["MemorySink"]


class MemorySink(Sink):
    """Appends notifications to ``delivered``; while ``failing`` is set, raises DeliveryError with it."""

    name = "memory"

    def __init__(self, *, failing: str | None = None) -> None:
        self.delivered: list[Notification] = []
        self.failing = failing
        self._lock = threading.Lock()

    def _deliver(self, notification: Notification) -> None:
        if self.failing is not None:
            raise DeliveryError(self.failing)
        with self._lock:
            self.delivered.append(notification)
