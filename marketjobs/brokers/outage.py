"""Outages of a broker or the store, said once per back-off step instead of once per thread per second.

When Redis, RabbitMQ or the database goes away, every consumer thread of a worker (one per queue and
priority: 28 with the default actors) fails, and Dramatiq restarts each every few seconds with two log lines
(972 lines in 25 s). One :class:`Outage` is shared by all the users of a service in a process: the first
failure logs one warning naming the service, the error, the next attempt and the fix; failures within that
back-off step are silent; steps double from :data:`MIN_BACKOFF_SECONDS` to :data:`MAX_BACKOFF_SECONDS`; the
first success afterwards logs that the service is back.

:class:`OutageConsumer` wraps a broker's consumer: it reports connection errors to the broker's outage (and
re-raises them, so Dramatiq drops its in-memory delayed messages and restarts the consumer as usual, its own
lines about it silenced while the outage is reported) and makes a new consumer wait for the next step.
"""

from __future__ import annotations

import logging
import threading
import time

from dramatiq.broker import Consumer, MessageProxy
from dramatiq.errors import BrokerConnectionError, ConnectionClosed

from marketjobs.brokers.consumer_proxy import ConsumerProxy
from marketjobs.redact import redact_text

__all__ = ["MAX_BACKOFF_SECONDS", "MIN_BACKOFF_SECONDS", "Outage", "OutageConsumer", "is_connection_error"]

logger = logging.getLogger(__name__)

#: First back-off step of an outage, in seconds; each failed step doubles it.
MIN_BACKOFF_SECONDS = 1.0
#: Longest back-off step, in seconds.
MAX_BACKOFF_SECONDS = 30.0
#: How long a waiting consumer sleeps between looks at whether its worker is stopping, in seconds.
WAIT_SLICE_SECONDS = 0.5
#: Seconds without a failure (at least two steps) after which an idle consumer's calls prove recovery.
QUIET_SECONDS = 5.0
#: Dramatiq's own lines for each failed consumer, dropped while an outage is reported.
_DRAMATIQ_RESTART_LINES = ("Consumer encountered a connection error", "Restarting consumer in")


def _reason(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return redact_text(text)[:300]


class Outage:
    """The state of one service (a broker, the store) as seen by this process, and its one-line reports."""

    def __init__(
        self,
        service: str,
        fix: str,
        *,
        min_seconds: float = MIN_BACKOFF_SECONDS,
        max_seconds: float = MAX_BACKOFF_SECONDS,
    ) -> None:
        #: What is unreachable, e.g. "broker redis://:***@cache:6379/0" (no password).
        self.service = service
        #: What to do about it, e.g. "start it or fix MARKETJOBS_BROKER_URL".
        self.fix = fix
        self.min_seconds = min_seconds
        self.max_seconds = max_seconds
        self._lock = threading.Lock()
        self._since: float | None = None
        self._failed_at = 0.0
        self._step = 0.0
        self._retry_at = 0.0

    @property
    def down(self) -> bool:
        """True from a failure until the next success."""
        return self._since is not None

    def failed(self, exc: BaseException) -> float:
        """Records a failure, logged when it starts a back-off step; returns the seconds to the next try."""
        now = time.monotonic()
        with self._lock:
            self._failed_at = now
            if self._since is not None and now < self._retry_at:
                return self._retry_at - now  # this step was reported already
            self._step = self.min_seconds if self._since is None else min(2 * self._step, self.max_seconds)
            self._since = now if self._since is None else self._since
            self._retry_at, step = now + self._step, self._step
        logger.warning(
            "%s is unreachable (%s); retrying in %.0f s: %s", self.service, _reason(exc), step, self.fix
        )
        return step

    def succeeded(self, *, certain: bool) -> None:
        """Records a call that did not fail: the end of an outage when ``certain`` (a message came), else
        only after a quiet time (an idle consumer may answer "nothing" without asking its server)."""
        if self._since is None:
            return
        if certain or time.monotonic() - self._failed_at >= max(2 * self._step, QUIET_SECONDS):
            self.recovered()

    def recovered(self) -> None:
        """Records a success; logs the end of an outage."""
        if self._since is None:
            return
        with self._lock:
            since, self._since, self._step, self._retry_at = self._since, None, 0.0, 0.0
        if since is not None:
            logger.warning("%s is reachable again after %.0f s", self.service, time.monotonic() - since)

    def wait(self) -> None:
        """Sleeps until the next back-off step while the service is down; returns early when the calling
        Dramatiq thread is told to stop (its ``running`` flag)."""
        thread = threading.current_thread()
        while self._since is not None and getattr(thread, "running", True):
            remaining = self._retry_at - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(remaining, WAIT_SLICE_SECONDS))

    def quiet_dramatiq_restarts(self, queue_name: str) -> None:
        """Drops the connection-error and restart lines of ``queue_name``'s Dramatiq consumer thread while
        this outage is being reported (this class says it once per step instead)."""
        thread_logger = logging.getLogger(f"dramatiq.worker.ConsumerThread({queue_name})")
        if not any(isinstance(f, _QuietRestarts) for f in thread_logger.filters):
            thread_logger.addFilter(_QuietRestarts(self))


class _QuietRestarts(logging.Filter):
    def __init__(self, outage: Outage) -> None:
        super().__init__()
        self.outage = outage

    def filter(self, record: logging.LogRecord) -> bool:
        return not (self.outage.down and str(record.msg).startswith(_DRAMATIQ_RESTART_LINES))


def is_connection_error(exc: BaseException) -> bool:
    """True for errors of a lost connection: Dramatiq's, sockets', Redis' that Dramatiq lets through, and a
    database's (SQLAlchemy's OperationalError and InterfaceError)."""
    if isinstance(exc, BrokerConnectionError | OSError):
        return True
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from sqlalchemy.exc import InterfaceError, OperationalError

    return isinstance(exc, RedisConnectionError | RedisTimeoutError | OperationalError | InterfaceError)


class OutageConsumer(ConsumerProxy):
    """A broker's consumer whose connection errors are reported to ``outage`` (then raised as before)."""

    def __init__(self, inner: Consumer, outage: Outage) -> None:
        super().__init__(inner)
        self.outage = outage

    def __next__(self) -> MessageProxy | None:
        try:
            message = next(self.inner)
        except BrokerConnectionError as exc:
            self.outage.failed(exc)
            raise
        except Exception as exc:
            if not is_connection_error(exc):
                raise
            self.outage.failed(exc)  # e.g. a Redis read timeout Dramatiq does not translate
            raise ConnectionClosed(exc) from exc  # type: ignore[no-untyped-call]
        self.outage.succeeded(certain=message is not None)
        return message
