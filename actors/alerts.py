"""``alerts``: evaluate the alert rules, record their firings and deliver every firing not yet delivered.

Parameters (keyword only, checked by :class:`AlertsParams` at ``send()``): ``symbols`` to evaluate (default:
every symbol the rules watch) and ``rule_ids`` (default: every enabled rule). Pipelines send it with
``pipe_ignore=True`` after technical analysis. Firings left pending or failed by earlier runs are delivered
too. When a delivery fails the firing is recorded as failed with its error and the job raises DeliveryError
after recording everything, so it is retried with backoff; evaluating again records nothing twice.
"""

from __future__ import annotations

from typing import Annotated, Any

import dramatiq
from pydantic import BaseModel, ConfigDict, Field, field_validator

from marketjobs.config import get_settings
from marketjobs.jobs import current_job
from marketjobs.jobs.params import ValidatedActor, parse_params
from marketjobs.notify import DeliveryError, SinkSet
from marketjobs.services.alerts_run import run_alerts
from marketjobs.store.bars import symbols_problem
from marketjobs.store.engine import create_store_engine
from monitoring.domain import DomainMetrics
from scheduler.periodiq_compat import cron

__all__ = ["AlertsParams", "alerts"]

#: Longest an alerts run may take (10 minutes): evaluation is quick; a slow sink fails once per run.
TIME_LIMIT_MS = 10 * 60 * 1000
#: Retries of a run whose deliveries failed (later runs re-deliver too).
MAX_RETRIES = 3


class AlertsParams(BaseModel):
    """Parameters of the ``alerts`` job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Symbols to evaluate; None: every symbol the rules watch.
    symbols: list[str] | None = Field(None, min_length=1)
    #: Rules to evaluate (enabled ones only); None: every enabled rule.
    rule_ids: list[Annotated[int, Field(ge=1, le=2**63 - 1)]] | None = Field(None, min_length=1)

    @field_validator("symbols")
    @classmethod
    def _symbols(cls, symbols: list[str] | None) -> list[str] | None:
        if symbols is not None and (problem := symbols_problem(symbols)):
            raise ValueError(f"{problem}, or none for every watched symbol")
        return symbols


class _AlertsActor(ValidatedActor):
    params_model = AlertsParams


@dramatiq.actor(
    actor_class=_AlertsActor,
    queue_name="alerts",
    max_retries=MAX_RETRIES,
    time_limit=TIME_LIMIT_MS,
    default_priority="high",
    periodic=cron("every minute"),
)
def alerts(**kwargs: Any) -> dict[str, Any]:
    """Evaluates rules and delivers alerts (see :class:`AlertsParams`); returns the run's summary."""
    params = parse_params(AlertsParams, kwargs, "alerts")
    job = current_job()
    job.raise_if_cancelled()
    job.progress(0.0, "evaluating alert rules")
    settings = get_settings()
    with SinkSet.from_settings(settings) as sinks:
        summary = run_alerts(
            create_store_engine(settings.database_url),
            sinks,
            symbols=params.symbols,
            rule_ids=params.rule_ids,
            progress=job.progress,
            should_stop=lambda: job.cancelled,  # undelivered firings stay pending for the next run
            hooks=DomainMetrics(),
        )
    if summary.failed:
        errors = "; ".join(f"{target}: {error}" for target, error in summary.errors.items())
        raise DeliveryError(
            f"{summary.failed} alert deliveries failed ({summary.delivered} delivered, {summary.deferred} "
            f"deferred): {errors}. The firings are kept as failed and sent again by the retry or the next run"
        )
    return summary.as_dict()
