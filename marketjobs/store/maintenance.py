"""Store maintenance: delete rows past their retention in small batches, then VACUUM/ANALYZE per database.

Retention (each table in batches of ``batch_size`` rows, one short transaction per batch, so workers writing
to the same database never wait long):

- ``job_records``: completed, cancelled and skipped jobs last updated more than
  ``job_record_retention_days`` ago. Pending, running and retrying jobs are never touched, and dead letters
  stay until ``marketjobs dlq purge`` (they are what an operator retries).
- ``idempotency_keys``: keys older than the job-record retention whose holder is not in flight (a finished
  job's key may be claimed again anyway; a purged job's key is an orphan).
- ``broker_dead_letters``: the broker's copies of messages dead for longer than
  ``dead_letter_retention_days``: rows of the SQL broker's ``broker_messages`` table, or entries of Redis'
  per-queue dead-letter sets. RabbitMQ expires them itself (``x-message-ttl`` on the dead-letter queue).
- ``bars`` older than ``bar_retention_days`` when that is set.
- ``signals`` stored more than ``signal_retention_days`` ago.
- ``alert_firings`` delivered (status "delivered") and stored more than ``job_record_retention_days`` ago
  (undelivered ones are kept for their retries); skipped while the table does not exist.

Vacuum: SQLite ``VACUUM`` then ``ANALYZE`` outside any transaction; PostgreSQL ``VACUUM (ANALYZE)`` per table
in autocommit; MariaDB ``OPTIMIZE TABLE`` (InnoDB rebuilds the table and analyses it).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

import dramatiq
from sqlalchemy import (
    ColumnElement,
    Engine,
    MetaData,
    Table,
    and_,
    delete,
    func,
    inspect,
    not_,
    select,
    tuple_,
)

from marketjobs.config import Settings
from marketjobs.constants import IN_FLIGHT_STATUSES, Status
from marketjobs.errors import StoreError
from marketjobs.store import analysis as _analysis  # noqa: F401  (registers signals on Base.metadata)
from marketjobs.store import portfolios as _portfolios  # noqa: F401  (registers the portfolio tables)
from marketjobs.store.models import Base
from marketjobs.store.types import utcnow

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "TASKS",
    "MaintenanceSummary",
    "delete_in_batches",
    "purge_broker_dead_letters",
    "run_maintenance",
    "run_retention",
    "vacuum",
]

#: Rows deleted per transaction.
DEFAULT_BATCH_SIZE = 2_000
#: The tasks ``run_maintenance`` knows, in the order they run.
TASKS = ("retention", "vacuum")
#: Job statuses whose records retention deletes (dead letters are purged with ``marketjobs dlq purge``).
RETAINED_STATUSES = (Status.COMPLETED.value, Status.CANCELLED.value, Status.SKIPPED.value)

_MS_PER_DAY = 86_400_000


@dataclass
class MaintenanceSummary:
    """What a maintenance run did; ``as_dict()`` is the job result."""

    dry_run: bool
    tasks: list[str]
    #: Table (or "broker_dead_letters") -> rows deleted (with ``dry_run``: rows that would be deleted).
    deleted: dict[str, int] = field(default_factory=dict)
    #: Table -> why its retention was not applied.
    skipped: dict[str, str] = field(default_factory=dict)
    #: Tables vacuumed / analysed.
    vacuumed: list[str] = field(default_factory=list)
    #: True when a cancel ended the run early.
    stopped: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready values."""
        return asdict(self)


class _Stop(Exception):
    """Raised between batches when the caller asked to stop."""


@dataclass
class _Run:
    """Shared state of one maintenance run."""

    engine: Engine
    summary: MaintenanceSummary
    batch_size: int
    should_stop: Callable[[], bool] | None
    now_ms: int = field(default_factory=lambda: int(time.time() * 1000))

    def check_stop(self) -> None:
        if self.should_stop is not None and self.should_stop():
            self.summary.stopped = True
            raise _Stop

    def purge(self, name: str, table: Table, condition: ColumnElement[bool]) -> None:
        """Deletes the rows of ``table`` matching ``condition`` in batches (counts them on a dry run)."""

        def record(count: int) -> None:  # kept up to date, so a cancel mid-table still reports its count
            self.summary.deleted[name] = count

        record(
            delete_in_batches(
                self.engine,
                table,
                condition,
                batch_size=self.batch_size,
                dry_run=self.summary.dry_run,
                check_stop=self.check_stop,
                on_batch=record,
            )
        )


def delete_in_batches(
    engine: Engine,
    table: Table,
    condition: ColumnElement[bool],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    check_stop: Callable[[], None] | None = None,
    on_batch: Callable[[int], None] | None = None,
) -> int:
    """Deletes the rows of ``table`` matching ``condition``, ``batch_size`` at a time; returns how many.

    Each batch selects primary keys and deletes them in its own transaction. With ``dry_run`` the matching
    rows are only counted.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size={batch_size} must be at least 1")
    if dry_run:
        with engine.connect() as connection:
            return int(
                connection.execute(select(func.count()).select_from(table).where(condition)).scalar_one()
            )
    key = list(table.primary_key.columns)
    if not key:
        raise ValueError(f"table {table.name} has no primary key; batched deletes need one")
    deleted = 0
    while True:
        if check_stop is not None:
            check_stop()
        with engine.begin() as connection:
            rows = connection.execute(select(*key).where(condition).limit(batch_size)).all()
            if not rows:
                break
            if len(key) == 1:
                match = key[0].in_([row[0] for row in rows])
            else:
                match = tuple_(*key).in_([tuple(row) for row in rows])
            deleted += int(connection.execute(delete(table).where(match)).rowcount)
        if on_batch is not None:
            on_batch(deleted)
        if len(rows) < batch_size:
            break
    return deleted


def _reflect(engine: Engine, name: str) -> Table | None:
    """Table ``name`` as it is in the database, or None when it does not exist."""
    if not inspect(engine).has_table(name):
        return None
    return Table(name, MetaData(), autoload_with=engine)


def _job_records(run: _Run, settings: Settings) -> None:
    cutoff = utcnow() - timedelta(days=settings.job_record_retention_days)
    table = Base.metadata.tables["job_records"]
    condition = and_(table.c.status.in_(RETAINED_STATUSES), table.c.updated_at < cutoff)
    run.purge("job_records", table, condition)


def _idempotency_keys(run: _Run, settings: Settings) -> None:
    cutoff = utcnow() - timedelta(days=settings.job_record_retention_days)
    keys, records = Base.metadata.tables["idempotency_keys"], Base.metadata.tables["job_records"]
    in_flight = select(records.c.id).where(
        records.c.id == keys.c.message_id, records.c.status.in_([s.value for s in IN_FLIGHT_STATUSES])
    )
    run.purge("idempotency_keys", keys, and_(keys.c.created_at < cutoff, not_(in_flight.exists())))


def _bars(run: _Run, settings: Settings) -> None:
    if settings.bar_retention_days is None:
        run.summary.skipped["bars"] = "bar_retention_days is not set; every bar is kept"
        return
    table = Base.metadata.tables["bars"]
    run.purge("bars", table, table.c.ts < run.now_ms - int(settings.bar_retention_days * _MS_PER_DAY))


def _signals(run: _Run, settings: Settings) -> None:
    table = Base.metadata.tables["signals"]
    if not inspect(run.engine).has_table("signals"):
        run.summary.skipped["signals"] = "table signals does not exist; run `marketjobs db upgrade`"
        return
    cutoff = run.now_ms - int(settings.signal_retention_days * _MS_PER_DAY)
    run.purge("signals", table, table.c.created_at < cutoff)


def _alert_firings(run: _Run, settings: Settings) -> None:
    table = _reflect(run.engine, "alert_firings")
    if table is None:
        run.summary.skipped["alert_firings"] = "table alert_firings does not exist"
        return
    if "status" in table.c:
        delivered: ColumnElement[bool] = table.c.status == "delivered"
    elif "delivered_at" in table.c:
        delivered = table.c.delivered_at.is_not(None)
    else:
        run.summary.skipped["alert_firings"] = "alert_firings has no delivered_at or status column"
        return
    cutoff = run.now_ms - int(settings.job_record_retention_days * _MS_PER_DAY)
    run.purge("alert_firings", table, and_(delivered, table.c.created_at < cutoff))


def purge_broker_dead_letters(
    broker: dramatiq.Broker,
    older_than: timedelta,
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    check_stop: Callable[[], None] | None = None,
) -> int | None:
    """Deletes the broker's copies of messages dead for longer than ``older_than``; returns how many.

    Returns None for a broker that expires its dead letters itself (RabbitMQ) or keeps none (the stub).
    """
    from marketjobs.brokers.sql import SQLBrokerBase

    cutoff_ms = int(time.time() * 1000 - older_than.total_seconds() * 1000)
    if isinstance(broker, SQLBrokerBase):
        table = Base.metadata.tables["broker_messages"]
        return delete_in_batches(
            broker.table.engine,
            table,
            and_(table.c.state == "dead", table.c.dead_at < cutoff_ms),
            batch_size=batch_size,
            dry_run=dry_run,
            check_stop=check_stop,
        )
    from dramatiq.brokers.redis import RedisBroker

    if isinstance(broker, RedisBroker):
        return _purge_redis_dead_letters(broker, cutoff_ms, batch_size, dry_run, check_stop)
    return None


def _purge_redis_dead_letters(
    broker: Any, cutoff_ms: int, batch_size: int, dry_run: bool, check_stop: Callable[[], None] | None
) -> int:
    """Dramatiq keeps a queue's dead message ids in ``<ns>:<queue>.XQ`` scored by death time, bodies in
    ``<ns>:<queue>.XQ.msgs``."""
    client = broker.client
    removed = 0
    for key in client.scan_iter(match=f"{broker.namespace}:*.XQ", count=100):
        if dry_run:
            removed += int(client.zcount(key, 0, cutoff_ms))
            continue
        while True:
            if check_stop is not None:
                check_stop()
            ids = client.zrangebyscore(key, 0, cutoff_ms, start=0, num=batch_size)
            if not ids:
                break
            with client.pipeline(transaction=True) as pipe:
                pipe.zrem(key, *ids)
                pipe.hdel(key + (b".msgs" if isinstance(key, bytes) else ".msgs"), *ids)
                removed += int(pipe.execute()[0])
    return removed


def _dead_letters(run: _Run, settings: Settings, broker: dramatiq.Broker | None) -> None:
    if broker is None:
        run.summary.skipped["broker_dead_letters"] = "no broker given"
        return
    purged = purge_broker_dead_letters(
        broker,
        timedelta(days=settings.dead_letter_retention_days),
        batch_size=run.batch_size,
        dry_run=run.summary.dry_run,
        check_stop=run.check_stop,
    )
    if purged is None:
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        run.summary.skipped["broker_dead_letters"] = (
            "RabbitMQ expires its dead letters itself (Dramatiq's dramatiq_dead_message_ttl)"
            if isinstance(broker, RabbitmqBroker)
            else f"{type(broker).__name__} keeps no dead letters to expire"
        )
    else:
        run.summary.deleted["broker_dead_letters"] = purged


def run_retention(
    engine: Engine,
    settings: Settings,
    *,
    broker: dramatiq.Broker | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    should_stop: Callable[[], bool] | None = None,
    summary: MaintenanceSummary | None = None,
) -> MaintenanceSummary:
    """Deletes every table's rows past their retention (see the module docs); returns the summary."""
    summary = summary or MaintenanceSummary(dry_run=dry_run, tasks=["retention"])
    run = _Run(engine, summary, batch_size, should_stop)
    try:
        _job_records(run, settings)
        _idempotency_keys(run, settings)
        _dead_letters(run, settings, broker)
        _bars(run, settings)
        _signals(run, settings)
        _alert_firings(run, settings)
    except _Stop:
        pass
    return summary


def _existing_tables(engine: Engine, names: Iterable[str]) -> list[str]:
    present = set(inspect(engine).get_table_names())
    return sorted(set(names) & present)


def vacuum(engine: Engine, tables: Sequence[str] | None = None) -> list[str]:
    """Reclaims space and refreshes planner statistics; returns the tables done (SQLite: the whole file).

    ``tables`` defaults to every marketjobs table present (PostgreSQL and MariaDB work table by table).
    """
    dialect = engine.dialect.name
    names = _existing_tables(engine, tables if tables is not None else _marketjobs_tables())
    if dialect == "sqlite":
        raw = engine.raw_connection()  # the driver runs in autocommit: VACUUM cannot run in a transaction
        try:
            cursor = raw.cursor()
            cursor.execute("VACUUM")
            cursor.execute("ANALYZE")
            cursor.close()
        finally:
            raw.close()
        return names
    quote = engine.dialect.identifier_preparer.quote
    if dialect == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for name in names:
                connection.exec_driver_sql(f"VACUUM (ANALYZE) {quote(name)}")
        return names
    if dialect in ("mysql", "mariadb"):
        with engine.connect() as connection:
            for name in names:
                # One row per message: (table, op, msg_type, msg_text); InnoDB notes that it recreates.
                for row in connection.exec_driver_sql(f"OPTIMIZE TABLE {quote(name)}").all():
                    if str(row[2]).lower() == "error":
                        raise StoreError(f"OPTIMIZE TABLE {name} failed: {row[3]}; check the table's storage")
        return names
    raise NotImplementedError(f"vacuum does not support {dialect}; use SQLite, PostgreSQL or MariaDB")


#: Tables created by migrations whose models may not be imported here.
_EXTRA_TABLES = ("alert_rules", "alert_firings")


def _marketjobs_tables() -> list[str]:
    return sorted({*Base.metadata.tables, *_EXTRA_TABLES})


def run_maintenance(
    engine: Engine,
    settings: Settings,
    *,
    tasks: Sequence[str] = TASKS,
    broker: dramatiq.Broker | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    dry_run: bool = False,
    should_stop: Callable[[], bool] | None = None,
    progress: Callable[[float, str], None] | None = None,
) -> MaintenanceSummary:
    """Runs ``tasks`` (retention, then vacuum); ``dry_run`` only counts what retention would delete."""
    unknown = sorted(set(tasks) - set(TASKS))
    if unknown:
        raise ValueError(f"unknown maintenance task(s) {unknown}; choose from {list(TASKS)}")
    summary = MaintenanceSummary(dry_run=dry_run, tasks=[t for t in TASKS if t in tasks])
    if "retention" in summary.tasks:
        if progress is not None:
            progress(0.0, "deleting rows past their retention")
        run_retention(
            engine,
            settings,
            broker=broker,
            batch_size=batch_size,
            dry_run=dry_run,
            should_stop=should_stop,
            summary=summary,
        )
    if "vacuum" in summary.tasks and not summary.stopped:
        if should_stop is not None and should_stop():
            summary.stopped = True
        elif not dry_run:
            if progress is not None:
                progress(60.0, f"vacuuming the {engine.dialect.name} store")
            summary.vacuumed = vacuum(engine)
    return summary
