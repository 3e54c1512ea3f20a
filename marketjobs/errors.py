"""The one exception hierarchy of marketjobs; every message says what to do next."""

from __future__ import annotations

from typing import TYPE_CHECKING

from dramatiq.middleware import MiddlewareError, SkipMessage

if TYPE_CHECKING:
    from pydantic import ValidationError

__all__ = [
    "BadBarFile",
    "ChunksNotFinished",
    "ConfigError",
    "DeliveryError",
    "DuplicateJobError",
    "InputTooLargeError",
    "JobCancelled",
    "JobNotFoundError",
    "JobStateError",
    "MarketJobsError",
    "MessageTooLargeError",
    "NonRetryableError",
    "OptionError",
    "OutboundRefused",
    "ParameterError",
    "PortInUseError",
    "QueueJoinFailed",
    "ScheduleError",
    "SourceError",
    "StoreError",
    "StoreUnavailableError",
    "UndecodableMessageError",
    "UnsupportedBrokerError",
    "describe_problems",
]


class MarketJobsError(Exception):
    """Base class for every error raised by marketjobs."""


class ConfigError(MarketJobsError):
    """A setting is missing or invalid."""


class ScheduleError(ConfigError):
    """A schedule spelling cannot be parsed or never fires; the message lists the accepted forms."""


class UnsupportedBrokerError(ConfigError):
    """The broker URL names a scheme marketjobs cannot serve."""


class StoreError(MarketJobsError):
    """The SQL store is unreachable or not migrated."""


class StoreUnavailableError(StoreError, MiddlewareError):
    """The store could not be used while enqueueing; the message was not sent."""


class PortInUseError(MarketJobsError):
    """A port a command serves on (metrics, exporter, API) is taken; the message names what moves it."""


class QueueJoinFailed(MarketJobsError):
    """A message was dead-lettered while ``broker.join(..., fail_fast=True)`` waited on its queue."""


class JobNotFoundError(MarketJobsError):
    """No job record has the given id."""


class JobStateError(MarketJobsError):
    """The job's status does not allow the action (cancel a finished job, retry a running one)."""


class OptionError(MarketJobsError, MiddlewareError):
    """A job option (priority, idempotency key, ...) is invalid; raised at send or declare time."""


class DuplicateJobError(OptionError):
    """A job with the same idempotency key is already pending or running."""


class NonRetryableError(MarketJobsError):
    """A job failure that retrying cannot fix; the message goes straight to dead letters."""


class ParameterError(NonRetryableError):
    """Job parameters failed validation."""


class BadBarFile(NonRetryableError):
    """A bar file that cannot be parsed (empty, binary, a quote that does not close, bad gzip or Parquet)."""


class InputTooLargeError(NonRetryableError):
    """An input (a file, a line, an HTTP answer) is over a size cap of the settings; the message names it."""


class MessageTooLargeError(MarketJobsError, MiddlewareError):
    """An encoded message is larger than ``max_message_bytes``; raised at send time, nothing was queued."""


class UndecodableMessageError(NonRetryableError, MiddlewareError):
    """A delivered message could not be decrypted or read (tampered, unknown key, not encrypted); it goes
    straight to dead letters with the reason."""


class OutboundRefused(NonRetryableError):
    """An outbound request broke a guard of the settings (a host not allowed, an https-to-http redirect)."""


class JobCancelled(MarketJobsError, SkipMessage):
    """Raised inside an actor to stop a cancelled job; the job ends as cancelled, not failed."""


class SourceError(MarketJobsError):
    """A bar source could not deliver bars (unreachable, bad payload); retrying may help."""


class DeliveryError(MarketJobsError):
    """An alert could not be delivered to a sink; the firing is kept as failed and delivered again later."""


class ChunksNotFinished(MarketJobsError):
    """A fanned-out run's chunk records were not final in time; the completion callback is retried."""


def describe_problems(exc: ValidationError, what: str) -> str:
    """Every problem of a pydantic ``exc`` on one line, each as ``field: message`` (``what`` when the
    problem is with the whole input), joined by ``"; "``: the one way marketjobs words bad input."""
    return "; ".join(f"{'.'.join(map(str, e['loc'])) or what}: {e['msg']}" for e in exc.errors())
