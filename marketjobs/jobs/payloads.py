"""Payload limits at both ends: an oversized message is refused at send, an unreadable one is never run.

:class:`PayloadGuard` runs first among the job middleware, so nothing is claimed or recorded for a message
it refuses:

- ``before_enqueue``: a fresh message whose encoded size is over ``max_message_bytes`` raises
  :class:`~marketjobs.errors.MessageTooLargeError` from ``.send()``; nothing is queued. (Retries re-enqueue
  a message that was accepted once; they are not refused for the traceback they add.)
- ``before_process_message``: a message the payload encoder could not open (see
  :mod:`marketjobs.brokers.encryption`) raises :class:`~marketjobs.errors.UndecodableMessageError`, which is
  not retried: the message goes to the broker's dead letters and its job record becomes dead with the reason.
"""

from __future__ import annotations

from typing import Any

from dramatiq import Middleware

from marketjobs.constants import MESSAGE_OPTION_UNDECODABLE
from marketjobs.errors import MessageTooLargeError, UndecodableMessageError

__all__ = ["PayloadGuard", "is_undecodable"]


def is_undecodable(message: Any) -> bool:
    """True for the stand-in of a message the payload encoder could not open."""
    return MESSAGE_OPTION_UNDECODABLE in message.options


class PayloadGuard(Middleware):
    """Refuses messages over ``max_message_bytes`` at send and undecodable ones at delivery."""

    def __init__(self, *, max_message_bytes: int) -> None:
        self.max_message_bytes = max_message_bytes

    def before_enqueue(self, broker: Any, message: Any, delay: int | None) -> None:
        if message.options.get("retries"):
            return
        size = len(message.encode())
        if size > self.max_message_bytes:
            raise MessageTooLargeError(
                f"message {message.message_id} of {message.actor_name!r} is {size} bytes encoded, over "
                f"max_message_bytes ({self.max_message_bytes}); it was not queued. Send a reference to the "
                "data (a file under the import roots, a symbol list name) instead of the data, or raise "
                "MARKETJOBS_MAX_MESSAGE_BYTES"
            )

    def before_process_message(self, broker: Any, message: Any) -> None:
        if is_undecodable(message):
            # Not retried (a NonRetryableError): the worker logs it and the job record keeps the reason.
            raise UndecodableMessageError(str(message.options[MESSAGE_OPTION_UNDECODABLE]))
