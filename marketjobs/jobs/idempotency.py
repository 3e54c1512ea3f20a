"""Idempotency keys: a second send with the same key while the first job is in flight is refused.

``actor.send_with_options(args=..., idempotency_key="prices:AAPL:2026-11-25")`` claims the key in SQL, in
the same transaction that records the job as pending. While that job is pending, running or retrying,
another send with the key raises DuplicateJobError naming the job that holds it. Once the job ends
(completed, dead, cancelled, skipped) the key can be claimed again.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import Connection, Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from marketjobs.brokers.hooks import BrokerHooks
from marketjobs.clock import now_ms
from marketjobs.constants import IN_FLIGHT_STATUSES, MESSAGE_OPTION_IDEMPOTENCY_KEY, Status
from marketjobs.errors import DuplicateJobError, OptionError, StoreUnavailableError
from marketjobs.jobs.rows import event_row
from marketjobs.store.engine import create_store_engine
from marketjobs.store.models import IdempotencyKey, JobRecord
from marketjobs.store.upsert import insert_missing

__all__ = ["Idempotency", "claim_key"]

logger = logging.getLogger(__name__)

#: Longest idempotency key accepted.
MAX_KEY_LENGTH = 255


def claim_key(engine: Engine, key: str, message: Any) -> bool:
    """Claims ``key`` for ``message`` and records the job as pending, or raises DuplicateJobError.

    Returns True when this call took the key, False when ``message`` already held it (a re-enqueue).
    """
    if not isinstance(key, str) or not 0 < len(key) <= MAX_KEY_LENGTH:
        raise OptionError(
            f"idempotency_key must be a non-empty string of at most {MAX_KEY_LENGTH} characters"
        )
    # A delayed send carries its eta already (brokers set it before the enqueue hooks): keep it in the record.
    pending = event_row(message, Status.PENDING, 0, eta=message.options.get("eta"))
    claim = {
        "key": key,
        "message_id": message.message_id,
        "job_type": message.actor_name,
        "created_at": now_ms(),
    }
    try:
        with engine.begin() as connection:
            connection.execute(insert(IdempotencyKey), [claim])
            insert_missing(connection, [pending])
        return True
    except IntegrityError:
        pass
    try:
        with engine.begin() as connection:
            holder = connection.execute(
                select(IdempotencyKey.message_id).where(IdempotencyKey.key == key)
            ).scalar()
            if holder == message.message_id:
                insert_missing(connection, [pending])
                return False
            if holder is None:  # released meanwhile
                connection.execute(insert(IdempotencyKey), [claim])
            else:
                _take_over(connection, key, holder, message)
            insert_missing(connection, [pending])
            return True
    except IntegrityError:
        raise DuplicateJobError(
            f"another send claimed idempotency key {key!r} at the same moment; not queued"
        ) from None


def _take_over(connection: Connection, key: str, holder: str, message: Any) -> None:
    # The holder's record is written in the claiming transaction, so no record means it was purged.
    status = connection.execute(select(JobRecord.status).where(JobRecord.id == holder)).scalar()
    if status is not None and status in {s.value for s in IN_FLIGHT_STATUSES}:
        raise DuplicateJobError(
            f"job {holder} already holds idempotency key {key!r} and is {status}; "
            f"wait for it (`marketjobs jobs show {holder}`) or cancel it first"
        )
    taken = connection.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.key == key, IdempotencyKey.message_id == holder)
        .values(message_id=message.message_id, job_type=message.actor_name, created_at=now_ms())
    ).rowcount
    if taken != 1:
        raise DuplicateJobError(
            f"another send claimed idempotency key {key!r} at the same moment; not queued"
        )


class Idempotency(BrokerHooks):
    """Enforces the ``idempotency_key`` message option (see module docs)."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        #: Messages whose key the current enqueue claimed (not a re-enqueue of the holder).
        self._fresh_claims: set[str] = set()

    @property
    def engine(self) -> Engine:
        """The store holding the keys."""
        return create_store_engine(self.database_url)

    def before_enqueue(self, broker: Any, message: Any, delay: int | None) -> None:
        key = message.options.get(MESSAGE_OPTION_IDEMPOTENCY_KEY)
        if key is None:
            return
        try:
            fresh = claim_key(self.engine, key, message)
        except SQLAlchemyError as exc:
            raise StoreUnavailableError(
                f"could not check idempotency key {key!r} ({type(exc).__name__}); the job was not queued. "
                "Check that MARKETJOBS_DATABASE_URL is reachable and migrated (`marketjobs db upgrade`)"
            ) from exc
        if fresh:
            self._fresh_claims.add(message.message_id)

    def after_enqueue(self, broker: Any, message: Any, delay: int | None) -> None:
        self._fresh_claims.discard(message.message_id)

    def after_enqueue_failed(self, broker: Any, message: Any) -> None:
        """Frees a key claimed by this very enqueue when the broker refused the message."""
        key = message.options.get(MESSAGE_OPTION_IDEMPOTENCY_KEY)
        if key is None or message.message_id not in self._fresh_claims:
            return
        self._fresh_claims.discard(message.message_id)
        try:
            with self.engine.begin() as connection:
                connection.execute(
                    delete(IdempotencyKey).where(
                        IdempotencyKey.key == key, IdempotencyKey.message_id == message.message_id
                    )
                )
                connection.execute(
                    update(JobRecord)
                    .where(JobRecord.id == message.message_id, JobRecord.status == Status.PENDING.value)
                    .values(
                        status=Status.SKIPPED.value,
                        error="the broker refused the message",
                        updated_at=now_ms(),
                    )
                )
        except Exception:
            logger.exception("releasing idempotency key %r failed", key)
