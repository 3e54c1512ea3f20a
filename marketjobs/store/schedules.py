"""The ``schedules`` and ``scheduler_leases`` tables: scheduler state and runtime control in SQL.

Times are UTC epoch milliseconds in BIGINT columns, like the broker tables: ``next_run_at`` is compared for
equality in the scheduler's compare-and-set, which integers do exactly on every database.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketjobs.store.base import Base

__all__ = ["MISSED_POLICIES", "Schedule", "SchedulerLease"]

#: What a schedule does with ticks missed while no scheduler ran: drop them, or run once on return.
MISSED_POLICIES = ("skip", "run_once")


class Schedule(Base):
    """One recurring job: its spelling, the actor it sends, whether it is enabled, and its tick state."""

    __tablename__ = "schedules"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    #: The schedule spelling (cron, @macro or plain English; several joined with ";").
    spelling: Mapped[str] = mapped_column(String(500))
    timezone: Mapped[str] = mapped_column(String(64))
    #: The actor (job type) each tick sends.
    actor: Mapped[str] = mapped_column(String(128))
    kwargs: Mapped[dict[str, Any]] = mapped_column(JSON)
    enabled: Mapped[bool] = mapped_column(Boolean)
    #: "skip" or "run_once" (see MISSED_POLICIES).
    missed: Mapped[str] = mapped_column(String(16))
    #: The tick last enqueued (its scheduled time), UTC epoch ms.
    last_tick_at: Mapped[int | None] = mapped_column(BigInteger)
    #: The next tick due, UTC epoch ms; advanced by compare-and-set.
    next_run_at: Mapped[int | None] = mapped_column(BigInteger)
    #: When a message was last sent (tick or run-now), UTC epoch ms.
    last_enqueued_at: Mapped[int | None] = mapped_column(BigInteger)
    enqueued_count: Mapped[int] = mapped_column(Integer)


class SchedulerLease(Base):
    """The leader lease of a scheduler group: held by ``holder`` until ``expires_at`` (UTC epoch ms)."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[int] = mapped_column(BigInteger)
