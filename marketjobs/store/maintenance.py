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
- ``workers``: rows of workers stopped more than a day ago, and of any worker silent for longer than
  ``job_record_retention_days`` (lost long ago).
- ``alert_firings`` delivered (status "delivered") and stored more than ``job_record_retention_days`` ago
  (undelivered ones are kept for their retries); skipped while the table does not exist.

Vacuum: SQLite ``VACUUM`` then ``ANALYZE`` outside any transaction; PostgreSQL ``VACUUM (ANALYZE)`` per table
in autocommit; MariaDB ``OPTIMIZE TABLE`` (InnoDB rebuilds the table and analyses it).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

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
    or_,
    select,
    tuple_,
)

from marketjobs import clock
from marketjobs.config import Settings
from marketjobs.constants import IN_FLIGHT_STATUSES, Status
from marketjobs.errors import StoreError
from marketjobs.store.schema import metadata

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "TASKS",
    "MaintenanceSummary",
    "RetentionRun",
    "RetentionStopped",
    "delete_in_batches",
    "purge_tables",
    "vacuum",
]

#: Rows deleted per transaction.
DEFAULT_BATCH_SIZE = 2_000
#: The tasks :func:`marketjobs.services.maintenance_run.run_maintenance` knows, in the order they run.
TASKS = ("retention", "vacuum")
#: Job statuses whose records retention deletes (dead letters are purged with ``marketjobs dlq purge``).
RETAINED_STATUSES = (Status.COMPLETED.value, Status.CANCELLED.value, Status.SKIPPED.value)

_MS_PER_DAY = 86_400_000
#: How long the row of a stopped worker stays listed (``marketjobs workers --all``), in ms: one day.
WORKER_ROW_RETENTION_MS = _MS_PER_DAY


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


class RetentionStopped(Exception):
    """Raised between batches when the caller asked to stop."""


@dataclass
class RetentionRun:
    """Shared state of one retention run: its summary, batch size and the caller's stop request."""

    engine: Engine
    summary: MaintenanceSummary
    batch_size: int
    should_stop: Callable[[], bool] | None
    now_ms: int = field(default_factory=clock.now_ms)

    def check_stop(self) -> None:
        """Raises RetentionStopped (and marks the summary stopped) when the caller asked to stop."""
        if self.should_stop is not None and self.should_stop():
            self.summary.stopped = True
            raise RetentionStopped

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


def _job_records(run: RetentionRun, settings: Settings) -> None:
    cutoff = run.now_ms - int(settings.job_record_retention_days * _MS_PER_DAY)
    table = metadata.tables["job_records"]
    condition = and_(table.c.status.in_(RETAINED_STATUSES), table.c.updated_at < cutoff)
    run.purge("job_records", table, condition)


def _idempotency_keys(run: RetentionRun, settings: Settings) -> None:
    cutoff = run.now_ms - int(settings.job_record_retention_days * _MS_PER_DAY)
    keys, records = metadata.tables["idempotency_keys"], metadata.tables["job_records"]
    in_flight = select(records.c.id).where(
        records.c.id == keys.c.message_id, records.c.status.in_([s.value for s in IN_FLIGHT_STATUSES])
    )
    run.purge("idempotency_keys", keys, and_(keys.c.created_at < cutoff, not_(in_flight.exists())))


def _bars(run: RetentionRun, settings: Settings) -> None:
    if settings.bar_retention_days is None:
        run.summary.skipped["bars"] = "bar_retention_days is not set; every bar is kept"
        return
    table = metadata.tables["bars"]
    run.purge("bars", table, table.c.ts < run.now_ms - int(settings.bar_retention_days * _MS_PER_DAY))


def _signals(run: RetentionRun, settings: Settings) -> None:
    table = metadata.tables["signals"]
    if not inspect(run.engine).has_table("signals"):
        run.summary.skipped["signals"] = "table signals does not exist; run `marketjobs db upgrade`"
        return
    cutoff = run.now_ms - int(settings.signal_retention_days * _MS_PER_DAY)
    run.purge("signals", table, table.c.created_at < cutoff)


def _alert_firings(run: RetentionRun, settings: Settings) -> None:
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


def _workers(run: RetentionRun, settings: Settings) -> None:
    if not inspect(run.engine).has_table("workers"):
        run.summary.skipped["workers"] = "table workers does not exist; run `marketjobs db upgrade`"
        return
    table = metadata.tables["workers"]
    stopped = and_(table.c.state == "stopped", table.c.heartbeat_at < run.now_ms - WORKER_ROW_RETENTION_MS)
    # A worker silent for a whole record retention was lost long ago (killed, its host gone).
    cutoff = run.now_ms - int(settings.job_record_retention_days * _MS_PER_DAY)
    run.purge("workers", table, or_(stopped, table.c.heartbeat_at < cutoff))


def purge_tables(run: RetentionRun, settings: Settings) -> None:
    """Deletes the store's rows past their retention, table by table (brokers purge their own copies)."""
    try:
        _job_records(run, settings)
        _idempotency_keys(run, settings)
        _bars(run, settings)
        _signals(run, settings)
        _alert_firings(run, settings)
        _workers(run, settings)
    except RetentionStopped:
        pass


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
    return sorted({*metadata.tables, *_EXTRA_TABLES})
