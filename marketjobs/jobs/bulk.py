"""Bulk actions on every job a filter matches: cancel, retry or purge, with a dry run and a cap.

Each action applies to some statuses only (:data:`ELIGIBLE`): cancel to jobs still in flight, retry to dead,
cancelled and skipped jobs not retried yet, purge to finished jobs (never a running one). A filter's
statuses are narrowed to those, so "retry everything matching" never touches a completed job. A dry run
counts and lists the targets without acting; ``limit`` caps how many are acted on, newest first.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import dramatiq
from dramatiq import Message
from sqlalchemy import Engine, delete, select

from marketjobs.constants import FINAL_STATUSES, IN_FLIGHT_STATUSES, Status
from marketjobs.errors import MarketJobsError
from marketjobs.jobs.cancel import request_cancel_many
from marketjobs.jobs.dlq import RETRYABLE_STATUSES, claim_retry, release_retries, send_retries
from marketjobs.store.job_search import JobFilter, count_jobs, job_ids
from marketjobs.store.models import JobRecord

__all__ = ["BULK_ACTIONS", "ELIGIBLE", "BulkAction", "BulkResult", "eligible", "purge_jobs", "run_bulk"]

BulkAction = Literal["cancel", "retry", "purge"]
#: Every bulk action.
BULK_ACTIONS: tuple[BulkAction, ...] = ("cancel", "retry", "purge")
#: The statuses each action applies to.
ELIGIBLE: dict[str, frozenset[Status]] = {
    "cancel": IN_FLIGHT_STATUSES,
    "retry": RETRYABLE_STATUSES,
    "purge": FINAL_STATUSES,
}
#: Ids per DELETE statement (well under every database's bound-parameter limit).
_BATCH = 500


@dataclass(frozen=True)
class BulkResult:
    """What a bulk action matched and did."""

    action: str
    dry_run: bool
    #: Records the filter matches that the action applies to (all of them, beyond the cap).
    matched: int
    #: Records acted on (0 on a dry run).
    acted: int
    #: The targets acted on (on a dry run: that would be), newest first, at most the cap.
    ids: list[str]
    #: For retry: each retried id -> the new job's id.
    retried_as: dict[str, str] = field(default_factory=dict)
    #: Targets that could not be acted on -> why (e.g. retried by someone else meanwhile).
    errors: dict[str, str] = field(default_factory=dict)


def eligible(job_filter: JobFilter, action: str) -> JobFilter | None:
    """``job_filter`` narrowed to the statuses ``action`` applies to; None when it names none of them."""
    allowed = sorted(s.value for s in ELIGIBLE[action])
    statuses = [s for s in job_filter.statuses if s in allowed] if job_filter.statuses else allowed
    if not statuses:
        return None
    narrowed = dataclasses.replace(job_filter, statuses=statuses)
    return dataclasses.replace(narrowed, retried=False) if action == "retry" else narrowed


def run_bulk(
    engine: Engine,
    broker: dramatiq.Broker,
    action: str,
    job_filter: JobFilter,
    *,
    limit: int,
    dry_run: bool = True,
) -> BulkResult:
    """Applies ``action`` to the newest ``limit`` records matching ``job_filter`` (or only counts them)."""
    if action not in ELIGIBLE:
        raise MarketJobsError(f"unknown bulk action {action!r}; use one of {', '.join(BULK_ACTIONS)}")
    narrowed = eligible(job_filter, action)
    if narrowed is None:
        return BulkResult(action, dry_run, 0, 0, [])
    matched = count_jobs(engine, narrowed)
    targets = job_ids(engine, narrowed, limit=limit) if matched else []
    if dry_run:
        return BulkResult(action, True, matched, 0, targets)
    if action == "cancel":
        done = request_cancel_many(engine, targets)
        return BulkResult(action, False, matched, len(done), done)
    if action == "purge":
        done = purge_jobs(engine, targets)
        return BulkResult(action, False, matched, len(done), done)
    retried, errors = retry_many(engine, broker, targets)
    return BulkResult(action, False, matched, len(retried), list(retried), retried, errors)


def retry_many(
    engine: Engine, broker: dramatiq.Broker, ids: Sequence[str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Retries each of ``ids``: (old id -> new id, old id -> why it was not retried).

    The retries go out together where the broker can (one transaction on the SQL broker). A job the
    broker refuses (a duplicate idempotency key, a message too large) fails alone: the rest are sent one
    by one then. When sending fails otherwise (the broker is down), the jobs not sent are free to be
    retried again and the error is raised."""
    claimed: dict[str, Message[Any]] = {}
    errors: dict[str, str] = {}
    try:
        for job_id in ids:
            try:
                claimed[job_id] = claim_retry(engine, job_id)
            except MarketJobsError as exc:
                errors[job_id] = str(exc)
    except BaseException:  # the store failed midway: give back what was claimed, then say so
        release_retries(engine, list(claimed))
        raise
    if hasattr(broker, "enqueue_many") and len(claimed) > 1:
        try:
            send_retries(engine, broker, claimed)
            return _links(claimed), errors
        except MarketJobsError:  # one refusal failed the transaction, whose claims were given back
            claimed = _claim_again(engine, list(claimed), errors)
    sent: dict[str, Message[Any]] = {}
    items = list(claimed.items())
    for number, (job_id, message) in enumerate(items):
        try:
            send_retries(engine, broker, {job_id: message})  # gives this claim back if it fails
        except MarketJobsError as exc:
            errors[job_id] = str(exc)
            continue
        except BaseException:
            release_retries(engine, [later for later, _ in items[number + 1 :]])
            raise
        sent[job_id] = message
    return _links(sent), errors


def _links(sent: Mapping[str, Message[Any]]) -> dict[str, str]:
    return {job_id: message.message_id for job_id, message in sent.items()}


def _claim_again(engine: Engine, ids: Sequence[str], errors: dict[str, str]) -> dict[str, Message[Any]]:
    claimed: dict[str, Message[Any]] = {}
    for job_id in ids:
        try:
            claimed[job_id] = claim_retry(engine, job_id)
        except MarketJobsError as exc:
            errors[job_id] = str(exc)
    return claimed


def purge_jobs(engine: Engine, ids: Sequence[str]) -> list[str]:
    """Deletes the records of those of ``ids`` that are finished; returns the ids deleted."""
    final = [s.value for s in FINAL_STATUSES]
    deleted: list[str] = []
    for start in range(0, len(ids), _BATCH):
        condition = JobRecord.id.in_(list(ids[start : start + _BATCH])) & JobRecord.status.in_(final)
        with engine.begin() as connection:
            found = list(connection.execute(select(JobRecord.id).where(condition)).scalars())
            if found:
                connection.execute(
                    delete(JobRecord).where(JobRecord.id.in_(found), JobRecord.status.in_(final))
                )
        deleted.extend(found)
    order = {job_id: n for n, job_id in enumerate(ids)}
    return sorted(deleted, key=order.__getitem__)
