"""Builds job-record rows from Dramatiq messages; pure functions, no I/O."""

from __future__ import annotations

import json
import os
import socket
import threading
from functools import lru_cache
from typing import Any

from marketjobs.brokers.priorities import base_queue_name
from marketjobs.clock import now_ms
from marketjobs.constants import (
    MESSAGE_OPTION_IDEMPOTENCY_KEY,
    MESSAGE_OPTION_PRIORITY,
    MESSAGE_OPTION_RETRY_OF,
    Status,
)

__all__ = ["base_row", "event_row", "sequence", "summarize_result"]

#: Largest result stored verbatim; bigger results are summarised by type and a short repr.
MAX_RESULT_BYTES = 16_384
#: Message options not worth storing (large or transient).
_DROPPED_OPTIONS = frozenset({"traceback", "requeue_timestamp", "redis_message_id"})

_STATUS_RANK = {
    Status.PENDING: 0,
    Status.RUNNING: 1,
    Status.RETRYING: 2,
    Status.COMPLETED: 3,
    Status.DEAD: 3,
    Status.CANCELLED: 3,
    Status.SKIPPED: 3,
}


def sequence(attempt: int, status: Status) -> int:
    """Orders events of one message: a later attempt or a later state of the same attempt is larger."""
    return attempt * 4 + _STATUS_RANK[status]


def base_row(message: Any, *, full: bool = True) -> dict[str, Any]:
    """Fields every event of ``message`` carries, so any event alone can create the row.

    ``full`` adds parameters, options and links; later events of an attempt leave them out, since the
    attempt's first event (written first by the same process) already carries them.
    """
    options = message.options
    row = {
        "id": message.message_id,
        "job_type": message.actor_name,
        "queue": base_queue_name(message.queue_name.removesuffix(".DQ")),
        "priority": options.get(MESSAGE_OPTION_PRIORITY, "normal"),
        "created_at": message.message_timestamp,
        "cancel_requested": False,
        "progress": 0.0,
        "attempts": 0,
    }
    if full:
        row["parameters"] = {"args": list(message.args), "kwargs": dict(message.kwargs)}
        row["options"] = {k: v for k, v in options.items() if k not in _DROPPED_OPTIONS}
        row["idempotency_key"] = options.get(MESSAGE_OPTION_IDEMPOTENCY_KEY)
        row["retry_of"] = options.get(MESSAGE_OPTION_RETRY_OF)
    return row


def event_row(
    message: Any, status: Status, attempt: int, *, full: bool = True, **fields: Any
) -> dict[str, Any]:
    """A row for ``message`` entering ``status`` on ``attempt``, plus any extra ``fields``."""
    row = base_row(message, full=full)
    row.update(status=status.value, seq=sequence(attempt, status), attempts=attempt, updated_at=now_ms())
    row.update(fields)
    return row


@lru_cache(maxsize=4)
def _process_identity(pid: int) -> tuple[str, int]:
    return socket.gethostname()[:255], pid


def worker_fields() -> dict[str, Any]:
    """Who is running the job: worker id, hostname and pid."""
    hostname, pid = _process_identity(os.getpid())
    return {
        "worker_id": f"{hostname}:{pid}:{threading.current_thread().name}"[:128],
        "hostname": hostname,
        "pid": pid,
    }


def summarize_result(result: Any) -> Any:
    """The result itself when it is small JSON, else its type and a short repr."""
    if result is None:
        return None
    try:
        text = json.dumps(result)
    except (TypeError, ValueError):
        return {"type": type(result).__name__, "repr": repr(result)[:1000]}
    if len(text) > MAX_RESULT_BYTES:
        return {"type": type(result).__name__, "truncated": True, "repr": text[:1000]}
    return result
