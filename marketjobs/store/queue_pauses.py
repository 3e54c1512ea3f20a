"""The ``queue_pauses`` table: queues an operator paused. Workers of every broker stop taking their
messages while a row exists (see :mod:`marketjobs.brokers.pause`); the rows survive restarts."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import BigInteger, Engine, String, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from marketjobs.store.base import Base
from marketjobs.store.dialects import upsert
from marketjobs.store.engine import READ_ONLY_OPTION

__all__ = ["QueuePause", "QueuePauseRow", "pause_queue", "paused_queues", "resume_queue"]


class QueuePauseRow(Base):
    """One paused queue (a user queue name: every priority of it is paused)."""

    __tablename__ = "queue_pauses"

    queue: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: When it was paused, UTC epoch milliseconds.
    paused_at: Mapped[int] = mapped_column(BigInteger)
    #: Who paused it (an API token's name, or "cli").
    paused_by: Mapped[str] = mapped_column(String(64))


@dataclass(frozen=True)
class QueuePause:
    """A paused queue as listed."""

    queue: str
    paused_at: int
    paused_by: str


def pause_queue(engine: Engine, queue: str, *, by: str, now_ms: int) -> None:
    """Pauses ``queue`` (again: the time and author are updated)."""
    with engine.begin() as connection:
        upsert(connection, QueuePauseRow.__table__, {"queue": queue, "paused_at": now_ms, "paused_by": by})  # type: ignore[arg-type]


def resume_queue(engine: Engine, queue: str) -> bool:
    """Resumes ``queue``; False when it was not paused."""
    with engine.begin() as connection:
        return bool(connection.execute(delete(QueuePauseRow).where(QueuePauseRow.queue == queue)).rowcount)


def paused_queues(engine: Engine) -> dict[str, QueuePause]:
    """Every paused queue by name."""
    table = QueuePauseRow.__table__
    with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        return {
            row.queue: QueuePause(row.queue, row.paused_at, row.paused_by)
            for row in connection.execute(select(*table.columns))
        }
