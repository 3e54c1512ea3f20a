"""``price_update``: fetch new bars from a bar source, validate them and upsert them, symbol by symbol.

Parameters are checked by :class:`PriceUpdateParams` when the message is made (unknown source or bad source
options included), so a bad one fails in the sender with :class:`~marketjobs.errors.ParameterError`. Each
symbol is fetched, validated and upserted on its own: one symbol's failure is reported in the summary and
the others go on; only a run where every symbol failed raises, so the job is retried. Rejected rows are
counted and sampled in the summary. A cancel stops between symbols, keeping the summary so far.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

import dramatiq
from pydantic import BaseModel, ConfigDict, Field, model_validator

from marketjobs.config import get_settings
from marketjobs.constants import DEFAULT_DROP_FOLDER
from marketjobs.errors import ConfigError
from marketjobs.jobs import current_job
from marketjobs.jobs.params import ValidatedActor, parse_params
from marketjobs.marketdata.sources import SourceError, check_source_config, source_from_config
from marketjobs.services.price_update_run import PriceUpdateSummary, update_prices
from marketjobs.store.bars import symbols_problem
from marketjobs.store.engine import create_store_engine
from scheduler.definitions import MARKET_TIMEZONE, NYSE_EVERY_5_MINUTES
from scheduler.periodiq_compat import cron

__all__ = ["PriceUpdateParams", "PriceUpdateSummary", "price_update", "update_prices"]

#: Longest a price update may run (30 minutes); an HTTP source at 10 requests/min covers ~300 symbols.
TIME_LIMIT_MS = 30 * 60 * 1000


class PriceUpdateParams(BaseModel):
    """Parameters of the ``price_update`` job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Symbols to update, or "all": every stored symbol plus those the source offers (e.g. dropped files).
    symbols: list[str] | Literal["all"] = "all"
    #: A bar source: "file", "synthetic", or an HTTP provider named under ``sources:`` in the settings
    #: (its URL and credentials stay there).
    source: str = Field(min_length=1)
    #: The source's options, e.g. {"folder": "var/incoming"} for "file", {"path": "/bars?symbol={symbol}"}
    #: for an HTTP provider.
    options: dict[str, Any] = Field(default_factory=dict)
    #: A symbol whose newest bar is older than this is reported stale (3 days covers a weekend).
    stale_after_minutes: float = Field(3 * 24 * 60, gt=0, le=366 * 24 * 60)
    #: Stored bars handed to the source per symbol (the synthetic source extends them).
    history_bars: int = Field(60, ge=1, le=100_000)

    @model_validator(mode="after")
    def _known_source(self) -> PriceUpdateParams:
        if isinstance(self.symbols, list) and (problem := symbols_problem(self.symbols)):
            raise ValueError(f"{problem}, or 'all'")
        try:
            check_source_config(self.source, self.options)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return self


class _PriceUpdateActor(ValidatedActor):
    params_model = PriceUpdateParams


@dramatiq.actor(
    actor_class=_PriceUpdateActor,
    queue_name="price_update",
    max_retries=5,
    time_limit=TIME_LIMIT_MS,
    default_priority="high",
    periodic=cron(
        NYSE_EVERY_5_MINUTES,
        timezone=MARKET_TIMEZONE,
        kwargs={"source": "file", "options": {"folder": DEFAULT_DROP_FOLDER}},
    ),
)
def price_update(**kwargs: Any) -> dict[str, Any]:
    """Updates bars from a source (see :class:`PriceUpdateParams`); returns the summary."""
    params = parse_params(PriceUpdateParams, kwargs, "price_update")
    job = current_job()
    job.raise_if_cancelled()
    job.progress(0.0, f"updating from {params.source}")
    summary = update_prices(
        create_store_engine(get_settings().database_url),
        source_from_config(params.source, **params.options),
        None if params.symbols == "all" else params.symbols,
        stale_after=timedelta(minutes=params.stale_after_minutes),
        history_bars=params.history_bars,
        progress=job.progress,
        should_stop=lambda: job.cancelled,  # the job then ends as cancelled, keeping this partial summary
    )
    if summary.symbols and len(summary.failed) == summary.symbols:
        first = next(iter(summary.failed.items()))
        raise SourceError(
            f"every symbol failed ({summary.symbols}), e.g. {first[0]}: {first[1]}; "
            "the job will retry; check the source and its options"
        )
    return summary.as_dict()
