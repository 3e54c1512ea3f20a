"""The ``workers`` table: one row per worker process, kept fresh by its heartbeat (the worker registry).

The supervisor, ``marketjobs workers``, ``marketjobs health``, the exporter and the API read it. A row whose
heartbeat is older than ``lost_after_ms`` while it says ``running`` or ``draining`` is reported ``lost``: its
process was killed or its machine is gone. Times are UTC epoch milliseconds, like every table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import JSON, BigInteger, Engine, Index, Integer, String, delete, select, update
from sqlalchemy.orm import Mapped, mapped_column

from marketjobs.store.base import Base
from marketjobs.store.dialects import upsert
from marketjobs.store.engine import READ_ONLY_OPTION

__all__ = [
    "WORKER_STATES",
    "WorkerRow",
    "WorkerState",
    "WorkerStatus",
    "list_workers",
    "prune_workers",
    "set_worker_state",
    "write_heartbeat",
]

WorkerState = Literal["running", "draining", "stopped", "lost"]
#: Every state a worker may be reported in (``lost`` is derived from a stale heartbeat, never written).
WORKER_STATES: tuple[WorkerState, ...] = ("running", "draining", "stopped", "lost")


class WorkerRow(Base):
    """One worker process as its last heartbeat described it."""

    __tablename__ = "workers"

    #: "<hostname>:<pid>:<start ms>": unique per process, even when a pid is reused.
    id: Mapped[str] = mapped_column(String(200), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(128))
    pid: Mapped[int] = mapped_column(Integer)
    #: The parent process (the ``dramatiq`` main process the supervisor started).
    parent_pid: Mapped[int | None] = mapped_column(Integer)
    #: The supervisor pool the process belongs to (None: started by hand).
    pool: Mapped[str | None] = mapped_column(String(64))
    #: Queues consumed (empty list: every queue).
    queues: Mapped[list[str]] = mapped_column(JSON)
    threads: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[int] = mapped_column(BigInteger)
    heartbeat_at: Mapped[int] = mapped_column(BigInteger)
    jobs_processed: Mapped[int] = mapped_column(BigInteger)
    jobs_failed: Mapped[int] = mapped_column(BigInteger)
    #: Message ids being processed at the heartbeat.
    current_jobs: Mapped[list[str]] = mapped_column(JSON)
    rss_bytes: Mapped[int] = mapped_column(BigInteger)
    version: Mapped[str] = mapped_column(String(32))
    #: "running", "draining" or "stopped" as written by the worker (see :data:`WORKER_STATES`).
    state: Mapped[str] = mapped_column(String(16))

    __table_args__ = (Index("ix_workers_heartbeat_at", "heartbeat_at"),)


@dataclass(frozen=True)
class WorkerStatus:
    """A worker as reported: its row's values with ``state`` made ``lost`` when the heartbeat is stale."""

    id: str
    hostname: str
    pid: int
    parent_pid: int | None
    pool: str | None
    queues: list[str]
    threads: int
    started_at: int
    heartbeat_at: int
    jobs_processed: int
    jobs_failed: int
    current_jobs: list[str]
    rss_bytes: int
    version: str
    state: WorkerState

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready values."""
        return dict(self.__dict__)


def write_heartbeat(engine: Engine, values: dict[str, Any]) -> None:
    """Inserts or overwrites the row of ``values["id"]`` (every column of :class:`WorkerRow`)."""
    with engine.begin() as connection:
        upsert(connection, WorkerRow.__table__, values)  # type: ignore[arg-type]


def set_worker_state(engine: Engine, worker_id: str, state: WorkerState, heartbeat_at: int) -> None:
    """Records ``state`` (e.g. "draining", "stopped") for one worker."""
    with engine.begin() as connection:
        connection.execute(
            update(WorkerRow).where(WorkerRow.id == worker_id).values(state=state, heartbeat_at=heartbeat_at)
        )


def _status(row: Any, now_ms: int, lost_after_ms: int) -> WorkerStatus:
    values = dict(row._mapping)
    if values["state"] in ("running", "draining") and now_ms - values["heartbeat_at"] > lost_after_ms:
        values["state"] = "lost"
    values["queues"] = list(values["queues"] or [])
    values["current_jobs"] = list(values["current_jobs"] or [])
    return WorkerStatus(**values)


def list_workers(
    engine: Engine,
    *,
    now_ms: int,
    lost_after_ms: int,
    states: Sequence[WorkerState] | None = None,
    pool: str | None = None,
) -> list[WorkerStatus]:
    """Workers by pool, host and start time, with stale ones reported ``lost``; ``states`` filters."""
    table = WorkerRow.__table__
    query = select(*table.columns).order_by(table.c.pool, table.c.hostname, table.c.started_at)
    if pool is not None:
        query = query.where(table.c.pool == pool)
    with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        found = [_status(row, now_ms, lost_after_ms) for row in connection.execute(query)]
    return [w for w in found if states is None or w.state in states]


def prune_workers(engine: Engine, *, older_than_ms: int, dry_run: bool = False) -> int:
    """Deletes rows of workers stopped or silent since before ``older_than_ms``; returns how many."""
    condition = WorkerRow.heartbeat_at < older_than_ms
    with engine.begin() as connection:
        if dry_run:
            return len(connection.execute(select(WorkerRow.id).where(condition)).all())
        return int(connection.execute(delete(WorkerRow).where(condition)).rowcount)
