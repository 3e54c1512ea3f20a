"""Names and defaults shared across marketjobs: one place for queue suffixes, statuses and limits."""

from __future__ import annotations

from enum import StrEnum

__all__ = [
    "DEFAULT_BROKER_URL",
    "DEFAULT_DATABASE_URL",
    "DEFAULT_DROP_FOLDER",
    "FINAL_STATUSES",
    "IN_FLIGHT_STATUSES",
    "MESSAGE_OPTION_IDEMPOTENCY_KEY",
    "MESSAGE_OPTION_PRIORITY",
    "MESSAGE_OPTION_RETRY_OF",
    "MESSAGE_OPTION_UNDECODABLE",
    "Priority",
    "Status",
]

#: The embedded default: one SQLite file, no server needed.
DEFAULT_DATABASE_URL = "sqlite:///var/marketjobs.db"
#: The broker used when none is configured: the SQL broker on the same SQLite file.
DEFAULT_BROKER_URL = DEFAULT_DATABASE_URL
#: Folder the default price_update schedule reads bar files from (``marketjobs up`` creates it); override
#: the schedule in the YAML config to poll an HTTP provider instead.
DEFAULT_DROP_FOLDER = "var/incoming"

#: Message option carrying the user-facing priority name.
MESSAGE_OPTION_PRIORITY = "priority"
#: Message option carrying an idempotency key.
MESSAGE_OPTION_IDEMPOTENCY_KEY = "idempotency_key"
#: Message option linking a dead-letter retry to the original message id.
MESSAGE_OPTION_RETRY_OF = "retry_of"
#: Message option the payload encoder sets on a message it could not decrypt or read, with the reason: the
#: worker sends it to dead letters without running it (:class:`marketjobs.jobs.payloads.PayloadGuard`).
MESSAGE_OPTION_UNDECODABLE = "undecodable"


class Priority(StrEnum):
    """User-facing priorities, highest first."""

    CRITICAL = "critical"
    HIGH = "high"
    NORMAL = "normal"
    LOW = "low"

    @property
    def rank(self) -> int:
        """0 for critical up to 3 for low: lower runs first."""
        return _PRIORITY_RANKS[self]


#: Each priority's rank, highest first (``Priority.rank``).
_PRIORITY_RANKS = {priority: rank for rank, priority in enumerate(Priority)}


class Status(StrEnum):
    """Life of a job record: pending → running → completed | retrying → dead | cancelled | skipped."""

    PENDING = "pending"
    RUNNING = "running"
    RETRYING = "retrying"
    COMPLETED = "completed"
    DEAD = "dead"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


#: Statuses a job can still leave.
IN_FLIGHT_STATUSES = frozenset({Status.PENDING, Status.RUNNING, Status.RETRYING})
#: Statuses a job never leaves (except a dead letter being retried as a new job).
FINAL_STATUSES = frozenset({Status.COMPLETED, Status.DEAD, Status.CANCELLED, Status.SKIPPED})
