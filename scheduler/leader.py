"""The leader lease: of several scheduler processes (one per host), only the lease holder enqueues.

The lease lives in the broker's store: a Redis key (``SET NX PX`` to take it, a Lua compare-and-renew to keep
it) when the broker URL is ``redis://``, else a row in the SQL store's ``scheduler_leases`` table (an
insert-ignore to take a free lease, a conditional UPDATE to renew one's own or take an expired one).
The leader renews every ``ttl / 3``; when it dies the lease expires after at most ``ttl`` and the next
follower to try takes it. With the default 60 s tick and 90 s lease a follower takes over within two ticks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import Engine, delete, update

from marketjobs.clock import now_ms
from marketjobs.config import url_scheme
from marketjobs.store.dialects import insert_ignore
from marketjobs.store.engine import create_store_engine
from marketjobs.store.schedules import SchedulerLease

__all__ = [
    "DEFAULT_LEASE_NAME",
    "REDIS_KEY_PREFIX",
    "LeaderLease",
    "RedisLease",
    "SqlLease",
    "StubLease",
    "lease_from_url",
]

#: Name of the lease (Redis key suffix, SQL row) that scheduler processes of one deployment share.
DEFAULT_LEASE_NAME = "scheduler"
#: Redis key prefix of leader leases.
REDIS_KEY_PREFIX = "marketjobs:lease:"

#: A clock returning UTC epoch milliseconds.
MillisClock = Callable[[], int]


class LeaderLease:
    """Base class: ``acquire`` takes or renews the lease for ``holder`` and says whether it is held."""

    def __init__(self, *, holder: str, ttl_seconds: float, name: str = DEFAULT_LEASE_NAME) -> None:
        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
        self.holder = holder
        self.name = name
        self.ttl_ms = max(1, int(ttl_seconds * 1000))

    @property
    def renew_seconds(self) -> float:
        """How often the leader renews (a third of the lease)."""
        return self.ttl_ms / 3000

    def acquire(self) -> bool:
        """Takes the lease if free or expired, renews it if held; True when this holder leads now."""
        return self._acquire()

    def release(self) -> None:
        """Gives the lease up (if held) so a follower takes over at once."""
        self._release()

    def _acquire(self) -> bool:
        raise NotImplementedError

    def _release(self) -> None:
        raise NotImplementedError


class SqlLease(LeaderLease):
    """A lease row in the SQL store; expiry is read on the scheduler's clock (hosts need NTP)."""

    def __init__(
        self,
        engine: Engine,
        *,
        holder: str,
        ttl_seconds: float,
        name: str = DEFAULT_LEASE_NAME,
        clock: MillisClock = now_ms,
    ) -> None:
        super().__init__(holder=holder, ttl_seconds=ttl_seconds, name=name)
        self.engine = engine
        self.clock = clock

    def _acquire(self) -> bool:
        now = self.clock()
        expires = now + self.ttl_ms
        table = SchedulerLease.__table__
        with self.engine.begin() as connection:
            row = {"name": self.name, "holder": self.holder, "expires_at": expires}
            if insert_ignore(connection, table, row):  # type: ignore[arg-type]
                return True
            taken = connection.execute(
                update(SchedulerLease)
                .where(
                    SchedulerLease.name == self.name,
                    (SchedulerLease.holder == self.holder) | (SchedulerLease.expires_at <= now),
                )
                .values(holder=self.holder, expires_at=expires)
            ).rowcount
        return bool(taken == 1)

    def _release(self) -> None:
        with self.engine.begin() as connection:
            connection.execute(
                delete(SchedulerLease).where(
                    SchedulerLease.name == self.name, SchedulerLease.holder == self.holder
                )
            )


#: Renews the lease only for its holder: KEYS[1] lease key, ARGV[1] holder, ARGV[2] ttl in ms.
_RENEW_LUA = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('pexpire', KEYS[1], ARGV[2])
end
return 0
"""
#: Deletes the lease only for its holder.
_RELEASE_LUA = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
"""


class RedisLease(LeaderLease):
    """A lease key in Redis; expiry is kept by the Redis server's clock."""

    def __init__(
        self, client: Any, *, holder: str, ttl_seconds: float, name: str = DEFAULT_LEASE_NAME
    ) -> None:
        super().__init__(holder=holder, ttl_seconds=ttl_seconds, name=name)
        self.client = client
        self.key = REDIS_KEY_PREFIX + name
        self._renew = client.register_script(_RENEW_LUA)
        self._drop = client.register_script(_RELEASE_LUA)

    def _acquire(self) -> bool:
        if self.client.set(self.key, self.holder, nx=True, px=self.ttl_ms):
            return True
        return bool(self._renew(keys=[self.key], args=[self.holder, self.ttl_ms]))

    def _release(self) -> None:
        self._drop(keys=[self.key], args=[self.holder])


class StubLease(LeaderLease):
    """Always the leader: one scheduler process, or tests."""

    def _acquire(self) -> bool:
        return True

    def _release(self) -> None:
        return None


def lease_from_url(
    broker_url: str, database_url: str, *, holder: str, ttl_seconds: float, name: str = DEFAULT_LEASE_NAME
) -> LeaderLease:
    """A Redis lease for a ``redis://`` broker, else a lease row in the SQL store at ``database_url``."""
    if url_scheme(broker_url) in ("redis", "rediss"):
        import redis

        client = redis.Redis.from_url(broker_url)
        return RedisLease(client, holder=holder, ttl_seconds=ttl_seconds, name=name)
    return SqlLease(create_store_engine(database_url), holder=holder, ttl_seconds=ttl_seconds, name=name)
