"""SQLAlchemy 2 models of the job and broker tables. Schema changes go through Alembic (see migrations/).

The other tables live beside their writers (bars.py, analysis.py, alerts.py, portfolios.py, schedules.py);
:mod:`marketjobs.store.schema` imports them all.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Float,
    Index,
    Integer,
    LargeBinary,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketjobs.store.base import Base

__all__ = ["Base", "BrokerMessage", "BrokerRateLimit", "BrokerResult", "IdempotencyKey", "JobRecord"]


class JobRecord(Base):
    """One row per Dramatiq message, written through its life by the job-records middleware.

    Times are UTC epoch milliseconds (:mod:`marketjobs.clock`), like every table's.
    """

    __tablename__ = "job_records"

    id: Mapped[str] = mapped_column(String(64), primary_key=True, doc="the Dramatiq message id")
    job_type: Mapped[str] = mapped_column(String(128), doc="the actor name")
    queue: Mapped[str] = mapped_column(String(128))
    priority: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))
    #: Orders writes from different processes: attempts * 4 + status rank; a lower one never overwrites.
    seq: Mapped[int] = mapped_column(Integer)
    attempts: Mapped[int] = mapped_column(Integer)
    max_attempts: Mapped[int | None] = mapped_column(Integer)
    worker_id: Mapped[str | None] = mapped_column(String(128))
    hostname: Mapped[str | None] = mapped_column(String(255))
    pid: Mapped[int | None] = mapped_column(Integer)
    parameters: Mapped[dict[str, Any] | None] = mapped_column(JSON, doc="args and kwargs")
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON, doc="message options, for dead-letter retry")
    result: Mapped[Any | None] = mapped_column(JSON, doc="result summary")
    progress: Mapped[float] = mapped_column(Float)
    progress_message: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(Text)
    traceback: Mapped[str | None] = mapped_column(Text)
    cancel_requested: Mapped[bool] = mapped_column(Boolean)
    idempotency_key: Mapped[str | None] = mapped_column(String(255))
    retry_of: Mapped[str | None] = mapped_column(String(64), doc="dead letter this job retries")
    retried_as: Mapped[str | None] = mapped_column(String(64), doc="job that retried this dead letter")
    eta: Mapped[int | None] = mapped_column(BigInteger, doc="when a delayed job becomes due")
    created_at: Mapped[int] = mapped_column(BigInteger, doc="the Dramatiq message timestamp")
    started_at: Mapped[int | None] = mapped_column(BigInteger, doc="when the latest attempt started")
    finished_at: Mapped[int | None] = mapped_column(BigInteger)
    updated_at: Mapped[int] = mapped_column(BigInteger)

    #: Job search (store/job_search.py) pages newest first: each filter's index ends with created_at
    #: (migration 0011 says why).
    __table_args__ = (
        Index("ix_job_records_status_job_type", "status", "job_type", "created_at"),
        Index("ix_job_records_created_at", "created_at"),
        Index("ix_job_records_cancel_requested", "cancel_requested"),
        Index("ix_job_records_status", "status", "created_at"),
        Index("ix_job_records_job_type", "job_type", "created_at"),
        Index("ix_job_records_queue", "queue", "created_at"),
        Index("ix_job_records_hostname", "hostname", "created_at"),
        Index("ix_job_records_pid", "pid", "created_at"),
    )


class IdempotencyKey(Base):
    """Claims an idempotency key for the message that holds it while that job is in flight."""

    __tablename__ = "idempotency_keys"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    message_id: Mapped[str] = mapped_column(String(64))
    job_type: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[int] = mapped_column(BigInteger, doc="UTC epoch milliseconds")


#: SQLite only auto-increments an INTEGER PRIMARY KEY; elsewhere message ids need 64 bits.
_MessageId = BigInteger().with_variant(Integer(), "sqlite")
#: Up to 16 MiB (MEDIUMBLOB on MariaDB, whose plain BLOB stops at 64 KiB).
_Blob = LargeBinary(16 * 1024 * 1024 - 1)


class BrokerMessage(Base):
    """A message held by the SQL broker: ready, leased to a consumer, or dead. Times are epoch millis."""

    __tablename__ = "broker_messages"

    id: Mapped[int] = mapped_column(_MessageId, primary_key=True, autoincrement=True, doc="FIFO order")
    queue: Mapped[str] = mapped_column(String(128))
    #: 0 critical .. 3 low; lower is delivered first.
    priority: Mapped[int] = mapped_column(SmallInteger)
    #: When the message becomes deliverable: enqueue time, or enqueue time + delay.
    eta: Mapped[int] = mapped_column(BigInteger)
    #: "ready", "leased" or "dead".
    state: Mapped[str] = mapped_column(String(8))
    message_id: Mapped[str] = mapped_column(String(64), doc="the Dramatiq message id")
    payload: Mapped[bytes] = mapped_column(_Blob, doc="the encoded Dramatiq message")
    lease_owner: Mapped[str | None] = mapped_column(String(64), doc="consumer holding the lease")
    lease_expires: Mapped[int | None] = mapped_column(BigInteger)
    deliveries: Mapped[int] = mapped_column(Integer, doc="times leased, less graceful requeues")
    enqueued_at: Mapped[int] = mapped_column(BigInteger)
    dead_at: Mapped[int | None] = mapped_column(BigInteger)
    #: Why a dead letter died: the error's type and message, redacted (None while it lives).
    error: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        Index("ix_broker_messages_next", "queue", "state", "priority", "eta", "id"),
        Index("ix_broker_messages_due", "queue", "state", "eta"),
        Index("ix_broker_messages_lease", "queue", "state", "lease_expires"),
        Index("ix_broker_messages_owner", "lease_owner"),
    )


class BrokerResult(Base):
    """A stored actor result (Dramatiq's Results middleware) with its expiry in epoch millis."""

    __tablename__ = "broker_results"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[bytes] = mapped_column(_Blob)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)


class BrokerRateLimit(Base):
    """A rate-limiter counter or barrier (rate limits, group callbacks), expiring in epoch millis."""

    __tablename__ = "broker_rate_limits"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[int] = mapped_column(BigInteger, index=True)
