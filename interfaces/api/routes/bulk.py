"""Bulk actions by filter: ``POST /api/bulk/{cancel|retry|purge}`` with the job filters of ``GET /api/jobs``.

A dry run (the default) only counts and lists what would be acted on; ``dry_run=false`` acts on at most
``limit`` of them, newest first. Each action only touches the statuses it applies to: cancel jobs in
flight, retry dead, cancelled or skipped jobs not retried yet, purge finished jobs (never a running one).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field

from interfaces.api.auth import Operator
from interfaces.api.deps import BrokerDep, Store
from interfaces.api.filters import job_filter
from marketjobs.jobs.bulk import BulkAction, BulkResult, run_bulk
from marketjobs.store.job_search import JobFilter

__all__ = ["MAX_BULK", "BulkOutcome", "DryRun", "Limit", "outcome", "router"]

router = APIRouter(prefix="/api/bulk", tags=["bulk"])

#: Most jobs one bulk request acts on.
MAX_BULK = 10_000
#: Jobs one bulk request acts on unless it asks for another cap.
DEFAULT_BULK = 1_000

DryRun = Annotated[bool, Query(description="only count and list what would be acted on (the default)")]
Limit = Annotated[int, Query(ge=1, le=MAX_BULK, description="act on at most this many, newest first")]
All = Annotated[bool, Query(alias="all", description="purge: allow an empty filter (every finished job)")]


class BulkOutcome(BaseModel):
    """What a bulk action matched and did."""

    action: str
    dry_run: bool
    matched: int = Field(description="jobs the filter matches that the action applies to (beyond the cap)")
    acted: int = Field(description="jobs acted on (0 on a dry run)")
    ids: list[str] = Field(description="the jobs acted on (dry run: that would be), at most the cap")
    retried_as: dict[str, str] = Field(default_factory=dict, description="retry: old id -> new job id")
    errors: dict[str, str] = Field(default_factory=dict, description="jobs not acted on -> why")


def outcome(result: BulkResult) -> BulkOutcome:
    """The API's view of a bulk result."""
    return BulkOutcome(
        action=result.action,
        dry_run=result.dry_run,
        matched=result.matched,
        acted=result.acted,
        ids=result.ids,
        retried_as=result.retried_as,
        errors=result.errors,
    )


def refuse_empty_purge(filters: JobFilter, everything: bool) -> None:
    """422 for a purge with no filter unless ``all=true`` says that is meant."""
    if filters.is_empty and not everything:
        raise HTTPException(
            422,
            "purge needs a filter (status, job_type, since_ms, ...); "
            "pass all=true to purge every finished job",
        )


@router.post("/{action}", response_model=BulkOutcome, summary="Cancel, retry or purge every matching job")
def bulk(
    action: BulkAction,
    principal: Operator,
    engine: Store,
    broker: BrokerDep,
    filters: Annotated[JobFilter, Depends(job_filter)],
    dry_run: DryRun = True,
    limit: Limit = DEFAULT_BULK,
    everything: All = False,
) -> BulkOutcome:
    """Counts (dry run) or acts on the jobs matching the filters that ``action`` applies to."""
    if action == "purge":
        refuse_empty_purge(filters, everything)
    return outcome(run_bulk(engine, broker, action, filters, limit=limit, dry_run=dry_run))
