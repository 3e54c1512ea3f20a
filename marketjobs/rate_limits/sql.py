"""Dramatiq's rate-limiter backend on the ``broker_rate_limits`` table.

Every operation is one transaction that first makes sure the key's row exists (insert-or-ignore) and then
locks it (``SELECT ... FOR UPDATE``; SQLite's ``BEGIN IMMEDIATE`` serialises writers anyway), so concurrent
workers in any process never lose an update. Expired rows count as absent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from dramatiq.rate_limits import RateLimiterBackend
from sqlalchemy import Connection, delete, select, update

from marketjobs.brokers.sql_table import retry_deadlocks
from marketjobs.clock import now_ms
from marketjobs.store.dialects import insert_ignore
from marketjobs.store.engine import READ_ONLY_OPTION, create_store_engine
from marketjobs.store.migrate import ensure_migrated
from marketjobs.store.models import BrokerRateLimit

__all__ = ["SQLRateLimiterBackend"]

_TABLE = BrokerRateLimit.__table__
#: How often a blocked ``wait`` looks for its notification, in seconds.
WAIT_POLL_SECONDS = 0.02
#: Rows expired this long ago are deleted, in milliseconds (long enough that no transaction still reads them).
STALE_AFTER_MS = 3_600_000
#: Suffix of the row that ``wait_notify`` sets for ``wait``.
_NOTIFY_SUFFIX = "@notified"


class SQLRateLimiterBackend(RateLimiterBackend):
    """Counters and barriers in the database at ``url``, shared by every process using it."""

    def __init__(self, url: str) -> None:
        self.engine = create_store_engine(url)
        ensure_migrated(self.engine)

    def _locked_value(self, connection: Connection, key: str, ttl: int, now: int) -> int:
        """The live value of ``key`` (0 when absent or expired), with its row locked."""
        insert_ignore(connection, _TABLE, {"key": key, "value": 0, "expires_at": now + ttl})  # type: ignore[arg-type]
        row = connection.execute(
            select(BrokerRateLimit.value, BrokerRateLimit.expires_at)
            .where(BrokerRateLimit.key == key)
            .with_for_update()
        ).one()
        return int(row.value) if int(row.expires_at) > now else 0

    def _put(self, connection: Connection, key: str, value: int, ttl: int, now: int) -> None:
        connection.execute(
            update(BrokerRateLimit)
            .where(BrokerRateLimit.key == key)
            .values(value=value, expires_at=now + ttl)
        )

    def add(self, key: str, value: int, ttl: int) -> bool:
        """Sets ``key`` to ``value`` unless it holds a live value; True when it set it."""
        return retry_deadlocks(lambda: self._add(key, value, ttl))

    def _add(self, key: str, value: int, ttl: int) -> bool:
        now = now_ms()
        with self.engine.begin() as connection:
            if insert_ignore(connection, _TABLE, {"key": key, "value": value, "expires_at": now + ttl}):  # type: ignore[arg-type]
                return True
            expires = connection.execute(
                select(BrokerRateLimit.expires_at).where(BrokerRateLimit.key == key).with_for_update()
            ).scalar_one()
            if int(expires) > now:
                return False
            self._put(connection, key, value, ttl, now)
            return True

    def incr(self, key: str, amount: int, maximum: int, ttl: int) -> bool:
        """Adds ``amount`` unless the result would exceed ``maximum``."""
        return retry_deadlocks(lambda: self._change(key, amount, ttl, lambda v: v <= maximum))

    def decr(self, key: str, amount: int, minimum: int, ttl: int) -> bool:
        """Subtracts ``amount`` unless the result would fall below ``minimum``."""
        return retry_deadlocks(lambda: self._change(key, -amount, ttl, lambda v: v >= minimum))

    def _change(self, key: str, amount: int, ttl: int, allowed: Callable[[int], bool]) -> bool:
        now = now_ms()
        with self.engine.begin() as connection:
            value = self._locked_value(connection, key, ttl, now) + amount
            if not allowed(value):
                return False
            self._put(connection, key, value, ttl, now)
            return True

    def incr_and_sum(
        self, key: str, keys: Callable[[], Iterable[str]], amount: int, maximum: int, ttl: int
    ) -> bool:
        """Adds ``amount`` to ``key`` unless it, or the sum over ``keys()``, would exceed ``maximum``."""
        window_keys = sorted({key, *keys()})
        return retry_deadlocks(lambda: self._incr_and_sum(key, window_keys, amount, maximum, ttl))

    def _incr_and_sum(self, key: str, window_keys: list[str], amount: int, maximum: int, ttl: int) -> bool:
        now = now_ms()
        with self.engine.begin() as connection:
            # Every window's row is locked, in one order for all callers (no deadlock), so two callers
            # counting different windows at a window boundary cannot both pass.
            values = {k: self._locked_value(connection, k, ttl, now) for k in window_keys}
            value = values[key] + amount
            if value > maximum or sum(values.values()) + amount > maximum:
                return False
            self._put(connection, key, value, ttl, now)
            return True

    def wait(self, key: str, timeout: int) -> bool:
        """Blocks up to ``timeout`` ms until ``wait_notify(key)``; True when notified."""
        deadline = time.monotonic() + timeout / 1000
        notified = key + _NOTIFY_SUFFIX
        while True:
            with self.engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
                found = connection.execute(
                    select(BrokerRateLimit.value).where(
                        BrokerRateLimit.key == notified, BrokerRateLimit.expires_at > now_ms()
                    )
                ).scalar()
            if found:
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(WAIT_POLL_SECONDS)

    def wait_notify(self, key: str, ttl: int) -> None:
        """Releases every ``wait(key)``, now and for ``ttl`` ms."""
        retry_deadlocks(lambda: self._notify(key, ttl))

    def _notify(self, key: str, ttl: int) -> None:
        now = now_ms()
        with self.engine.begin() as connection:
            self._locked_value(connection, key + _NOTIFY_SUFFIX, ttl, now)
            self._put(connection, key + _NOTIFY_SUFFIX, 1, ttl, now)
            connection.execute(
                delete(BrokerRateLimit).where(BrokerRateLimit.expires_at <= now - STALE_AFTER_MS)
            )
