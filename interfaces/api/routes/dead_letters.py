"""Dead letters: jobs that failed for good. List them, retry one, retry many (by ids or filter), purge.

Retrying sends a dead letter again as a new job linked both ways (``retry_of`` / ``retried_as``). Purging
deletes the records; with ``older_than_hours`` alone it also deletes the broker's own dead copies of that
age (the SQL broker's rows; Redis and RabbitMQ expire theirs by their TTL).
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request, Response
from pydantic import BaseModel, Field

from interfaces.api.auth import Operator, Viewer
from interfaces.api.deps import BrokerDep, Store
from interfaces.api.etag import NOT_MODIFIED, etag_json
from interfaces.api.filters import MAX_PAGE, dead_letter_filter, decode_cursor, encode_cursor
from interfaces.api.routes.bulk import MAX_BULK, BulkOutcome, DryRun, Limit, outcome, refuse_empty_purge
from interfaces.api.routes.jobs import Retried
from interfaces.api.schemas import JobPage, job_summary
from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.clock import now_ms
from marketjobs.jobs.bulk import run_bulk
from marketjobs.jobs.dlq import retry_dead_letter
from marketjobs.store.job_search import JobFilter, search_jobs

__all__ = ["DeadLetterIds", "PurgeOutcome", "router"]

router = APIRouter(prefix="/api/dead-letters", tags=["dead letters"])

Filters = Annotated[JobFilter, Depends(dead_letter_filter)]


class DeadLetterIds(BaseModel):
    """Dead letters named by id (instead of by the filters)."""

    ids: list[Annotated[str, Field(max_length=64)]] = Field(max_length=MAX_BULK)


class PurgeOutcome(BulkOutcome):
    """A purge, with what the broker deleted of its own dead copies."""

    broker_purged: int | None = Field(
        default=None, description="the broker's dead copies deleted (None: none kept, or not asked)"
    )


@router.get("", response_model=JobPage, responses=NOT_MODIFIED, summary="List dead letters, newest first")
def list_dead_letters(
    request: Request,
    principal: Viewer,
    engine: Store,
    filters: Filters,
    cursor: Annotated[str | None, Query(max_length=200, description="next_cursor of the last page")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
) -> Response:
    """Dead jobs matching the filters with their last error; ``next_cursor`` continues the listing."""
    rows = search_jobs(engine, filters, after=decode_cursor(cursor), limit=limit)
    last = rows[-1] if len(rows) == limit else None
    page = JobPage(
        jobs=[job_summary(r) for r in rows],
        next_cursor=encode_cursor(last.created_at, last.id) if last is not None else None,
    )
    return etag_json(request, page)


@router.post("/retry", response_model=BulkOutcome, summary="Retry dead letters by ids or by filter")
def retry_many(
    principal: Operator,
    engine: Store,
    broker: BrokerDep,
    filters: Filters,
    body: Annotated[DeadLetterIds | None, Body(description="ids to retry; without it, the filters")] = None,
    dry_run: DryRun = True,
    limit: Limit = 1_000,
) -> BulkOutcome:
    """Retries (or, on a dry run, counts) the dead letters not retried yet that match."""
    if body is not None:
        if not body.ids:
            return BulkOutcome(action="retry", dry_run=dry_run, matched=0, acted=0, ids=[])
        filters = dataclasses.replace(filters, ids=list(dict.fromkeys(body.ids)))
    return outcome(run_bulk(engine, broker, "retry", filters, limit=limit, dry_run=dry_run))


@router.post("/purge", response_model=PurgeOutcome, summary="Delete dead letters by filter or age")
def purge(
    principal: Operator,
    engine: Store,
    broker: BrokerDep,
    filters: Filters,
    dry_run: DryRun = True,
    limit: Limit = 1_000,
    everything: Annotated[bool, Query(alias="all", description="allow purging every dead letter")] = False,
) -> PurgeOutcome:
    """Deletes (or, on a dry run, counts) the dead letters matching; ``older_than_hours`` alone also
    purges the broker's dead copies of that age."""
    refuse_empty_purge(dataclasses.replace(filters, statuses=[]), everything)
    result = outcome(run_bulk(engine, broker, "purge", filters, limit=limit, dry_run=dry_run))
    by_age_only = dataclasses.replace(filters, statuses=[], finished_before_ms=None).is_empty
    broker_purged = None
    if filters.finished_before_ms is not None and by_age_only and isinstance(broker, MarketJobsBrokerMixin):
        age = timedelta(milliseconds=max(0, now_ms() - filters.finished_before_ms))
        broker_purged = broker.purge_dead_letters(age, dry_run=dry_run)
    return PurgeOutcome(**result.model_dump(), broker_purged=broker_purged)


@router.post("/{job_id}/retry", response_model=Retried, summary="Retry one dead letter")
def retry_one(principal: Operator, engine: Store, broker: BrokerDep, job_id: str) -> Retried:
    """Sends the dead letter again as a new job; 409 when it is not dead or was retried already."""
    return Retried(id=job_id, retried_as=retry_dead_letter(engine, broker, job_id))
