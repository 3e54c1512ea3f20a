"""Retries with exponential backoff and jitter (Dramatiq's) that never retry a NonRetryableError."""

from __future__ import annotations

from typing import Any

from dramatiq.middleware import Retries as DramatiqRetries

from marketjobs.errors import NonRetryableError

__all__ = ["Retries"]


class Retries(DramatiqRetries):
    """Dramatiq's Retries, plus: a NonRetryableError fails the message at once (straight to dead letters)."""

    def after_process_message(
        self, broker: Any, message: Any, *, result: Any = None, exception: BaseException | None = None
    ) -> None:
        if isinstance(exception, NonRetryableError):
            self.logger.warning(
                "Message %r failed with a non-retryable error: %s", message.message_id, exception
            )
            message.fail()
            return
        super().after_process_message(broker, message, result=result, exception=exception)  # type: ignore[no-untyped-call]
