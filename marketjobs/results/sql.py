"""Dramatiq results stored in the ``broker_results`` table, so pipelines work without Redis."""

from __future__ import annotations

from typing import Any

from dramatiq.results import ResultBackend
from dramatiq.results.backend import Missing
from sqlalchemy import delete, select

from marketjobs.clock import now_ms
from marketjobs.store.dialects import upsert
from marketjobs.store.engine import READ_ONLY_OPTION, create_store_engine
from marketjobs.store.migrate import ensure_migrated
from marketjobs.store.models import BrokerResult

__all__ = ["SQLResultBackend"]

_TABLE = BrokerResult.__table__


class SQLResultBackend(ResultBackend):
    """Results of actors with ``store_results=True``, kept for their ttl in the database at ``url``."""

    def __init__(self, url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.engine = create_store_engine(url)
        ensure_migrated(self.engine)

    def _get(self, message_key: str) -> Any:
        with self.engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
            value = connection.execute(
                select(BrokerResult.value).where(
                    BrokerResult.key == message_key, BrokerResult.expires_at > now_ms()
                )
            ).scalar()
        return Missing if value is None else self.encoder.decode(bytes(value))

    def _store(self, message_key: str, result: Any, ttl: int) -> None:
        now = now_ms()
        with self.engine.begin() as connection:
            upsert(
                connection,
                _TABLE,  # type: ignore[arg-type]
                {"key": message_key, "value": self.encoder.encode(result), "expires_at": now + ttl},
            )
            # Expired results go as new ones come, so the table stays the size of the live results.
            connection.execute(delete(BrokerResult).where(BrokerResult.expires_at <= now))
