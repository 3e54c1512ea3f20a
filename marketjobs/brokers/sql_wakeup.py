"""Wake-ups for idle SQL consumers: in-process enqueues, and PostgreSQL LISTEN/NOTIFY from other processes.

Consumers also poll (with back-off on SQLite, rarely on PostgreSQL), so a lost wake-up costs latency, never a
message.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict

from sqlalchemy import Engine

__all__ = ["PostgresListener", "Wakeups"]

logger = logging.getLogger(__name__)

#: Pause before a lost LISTEN connection is opened again, in seconds.
RECONNECT_DELAY_SECONDS = 1.0


class Wakeups:
    """Per-queue events that idle consumers wait on and enqueues set."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._events: dict[str, set[threading.Event]] = defaultdict(set)

    def register(self, queue: str, event: threading.Event) -> None:
        """Lets ``event`` be set whenever ``queue`` receives a message."""
        with self._lock:
            self._events[queue].add(event)

    def unregister(self, queue: str, event: threading.Event) -> None:
        """Stops waking ``event`` for ``queue``."""
        with self._lock:
            self._events[queue].discard(event)

    def notify(self, queue: str) -> None:
        """Wakes every consumer of ``queue`` in this process."""
        with self._lock:
            events = list(self._events.get(queue, ()))
        for event in events:
            event.set()


class PostgresListener(threading.Thread):
    """Listens on a NOTIFY channel and wakes this process' consumers of the queue each notification names."""

    def __init__(self, engine: Engine, channel: str, wakeups: Wakeups) -> None:
        super().__init__(name="marketjobs-sql-listener", daemon=True)
        self.conninfo = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
        self.channel = channel
        self.wakeups = wakeups
        self._stopped = threading.Event()

    def run(self) -> None:
        import psycopg

        while not self._stopped.is_set():
            try:
                with psycopg.connect(self.conninfo, autocommit=True) as connection:
                    connection.execute(f'LISTEN "{self.channel}"')
                    while not self._stopped.is_set():
                        for notify in connection.notifies(timeout=1.0):
                            self.wakeups.notify(notify.payload)
            except psycopg.Error as exc:
                logger.warning("LISTEN connection lost (%s); consumers poll until it is back", exc)
                self._stopped.wait(RECONNECT_DELAY_SECONDS)

    def stop(self) -> None:
        """Ends the thread within about a second."""
        self._stopped.set()
