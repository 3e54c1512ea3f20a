"""The servers benchmarks use: Redis, and a database of their own on PostgreSQL or MariaDB.

A server that is down is skipped with a line saying so, as in the tests; when CI=true it is an error instead
(CI starts every service). Environment variables point the benchmarks at other servers:

- ``BENCH_POSTGRES_URL``, ``BENCH_MARIADB_URL``: a server (any database on it) where a benchmark creates a
  database of its own, dropped at the end; never the shared ``test`` databases the tests reset;
- ``BENCH_REDIS_URL``: the Redis database the broker benchmarks flush and fill.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine

from marketjobs.store.engine import normalize_database_url

__all__ = ["MARIADB_SERVER", "POSTGRES_SERVER", "REDIS_URL", "private_database", "redis_up", "skipped"]

#: The PostgreSQL server; benchmarks create (and drop) databases of their own there.
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
#: The MariaDB server, likewise.
MARIADB_SERVER = os.environ.get("BENCH_MARIADB_URL", "mysql://root@127.0.0.1:3306")
#: The Redis database the broker benchmarks flush; the 5 s default timeout trips on a loaded machine.
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14?socket_timeout=120")


def skipped(what: str, reason: BaseException | str) -> None:
    """Prints that ``what`` is skipped and why; exits with that message when CI=true."""
    if isinstance(reason, BaseException):
        reason = f"{type(reason).__name__}: {(str(reason).splitlines() or [''])[0]}"
    message = f"{what} skipped: {reason}"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        raise SystemExit(f"{message}; CI=true requires every service")
    print(message, flush=True)


def redis_up(url: str = REDIS_URL) -> bool:
    """True when Redis at ``url`` answers a ping; otherwise says Redis is skipped (see ``skipped``)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        skipped("Redis", exc)
        return False
    finally:
        client.close()
    return True


@contextmanager
def private_database(server: str, label: str) -> Iterator[str | None]:
    """The URL of a new, empty database on ``server`` (dropped after), or None when the server is down."""
    url = normalize_database_url(server)
    name = f"marketjobs_bench_{label}_{os.getpid()}"
    postgres = url.get_backend_name() == "postgresql"
    what = "PostgreSQL" if postgres else "MariaDB"
    try:
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.exec_driver_sql(f"CREATE DATABASE {name}")
    except Exception as exc:
        skipped(what, exc)
        yield None
        return
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(
                f"DROP DATABASE IF EXISTS {name}" + (" WITH (FORCE)" if postgres else "")
            )
        admin.dispose()
