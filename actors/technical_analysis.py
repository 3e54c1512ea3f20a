"""``technical_analysis``: indicators and candlestick patterns over stored bars; snapshots and signal events.

Parameters are checked by :class:`TechnicalAnalysisParams` when the message is made (indicator spellings and
pattern names included), so a bad one fails in the sender with :class:`~marketjobs.errors.ParameterError`.
Up to ``chunk_size`` symbols run in the job itself, in batches with progress and a cancel check between them.
A larger universe fans out: the job sends a Dramatiq group of chunk jobs of ``chunk_size`` symbols (the same
actor) with a completion callback, :func:`technical_analysis_done`, whose result sums the chunks' summaries;
the parent's result names the chunks and the callback. Cancel the chunks to stop a fanned-out run.
"""

from __future__ import annotations

import time
from collections import Counter
from typing import Any, Final, Literal

import dramatiq
from pydantic import BaseModel, ConfigDict, Field, field_validator

from marketjobs.analysis.technical import DEFAULT_INDICATORS
from marketjobs.analysis.technical_specs import parse_indicators, parse_patterns
from marketjobs.config import get_settings
from marketjobs.constants import IN_FLIGHT_STATUSES, Status
from marketjobs.errors import ChunksNotFinished, ParameterError
from marketjobs.jobs import current_job, get_job
from marketjobs.jobs.bulk_send import run_group
from marketjobs.jobs.params import ValidatedActor, parse_params
from marketjobs.services.technical_run import analyse_stored
from marketjobs.store.bars import symbols_problem
from marketjobs.store.bars_io import stored_symbols
from marketjobs.store.engine import create_store_engine
from monitoring.domain import DomainMetrics
from scheduler.definitions import MARKET_TIMEZONE
from scheduler.periodiq_compat import cron

__all__ = ["TechnicalAnalysisParams", "technical_analysis", "technical_analysis_done"]

#: Longest one job (or chunk) may run: 1 hour.
TIME_LIMIT_MS: Final = 60 * 60 * 1000
#: Queue of both actors.
QUEUE: Final = "analysis"
#: How long the completion callback waits for the chunks' final records to be stored.
CHUNK_RECORD_WAIT_SECONDS: Final = 60.0


class TechnicalAnalysisParams(BaseModel):
    """Parameters of the ``technical_analysis`` job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Symbols to analyse, or "all": every symbol with stored bars.
    symbols: list[str] | Literal["all"] = "all"
    #: Indicator specs: spellings such as "RSI_14", "MACD_12_26_9", or {"name": "rsi", "timeperiod": 14}.
    indicators: list[str | dict[str, Any]] = Field(
        default_factory=lambda: list[str | dict[str, Any]](DEFAULT_INDICATORS), min_length=1
    )
    #: Candlestick patterns: "all", a list of names such as "CDLENGULFING", or None for none.
    patterns: list[str] | Literal["all"] | None = "all"
    #: Bars per symbol the indicators see, the latest ones (None: every stored bar).
    lookback_bars: int | None = Field(None, ge=2, le=10_000_000)
    #: Signal events are stored for each symbol's last N bars (None: every bar analysed).
    signal_bars: int | None = Field(5, ge=1, le=10_000_000)
    #: Symbols per job: a larger universe fans out into chunk jobs of this many symbols. Small chunks
    #: spread evenly over worker processes (each prefetches 2 messages per thread).
    chunk_size: int = Field(50, ge=1, le=100_000)

    @field_validator("symbols")
    @classmethod
    def _names(cls, symbols: list[str] | Literal["all"]) -> list[str] | Literal["all"]:
        if isinstance(symbols, list) and (problem := symbols_problem(symbols)):
            raise ValueError(f"{problem}, or 'all'")
        return symbols

    @field_validator("indicators")
    @classmethod
    def _specs(cls, indicators: list[str | dict[str, Any]]) -> list[str | dict[str, Any]]:
        try:
            parse_indicators(indicators)
        except ParameterError as exc:
            raise ValueError(str(exc)) from None
        return indicators

    @field_validator("patterns")
    @classmethod
    def _patterns(cls, patterns: list[str] | Literal["all"] | None) -> list[str] | Literal["all"] | None:
        try:
            parse_patterns(patterns)
        except ParameterError as exc:
            raise ValueError(str(exc)) from None
        return patterns


class _TechnicalAnalysisActor(ValidatedActor):
    params_model = TechnicalAnalysisParams


def _fan_out(
    params: TechnicalAnalysisParams, symbols: list[str], parent: str, pipeline_next: dict[str, Any] | None
) -> dict[str, Any]:
    """Sends a group of chunk jobs of ``chunk_size`` symbols whose completion sends the summing callback.

    In a pipeline (``price_update -> technical_analysis -> alerts``) the callback carries the pipeline on,
    so the next step runs once every chunk is done, not when the chunks are merely sent.
    """
    base = params.model_dump(mode="json", exclude={"symbols"})
    size = params.chunk_size
    chunks = [
        technical_analysis.message(**base, symbols=symbols[i : i + size])
        for i in range(0, len(symbols), size)
    ]
    ids = [message.message_id for message in chunks]
    options: dict[str, Any] = {} if pipeline_next is None else {"pipe_target": pipeline_next}
    callback = technical_analysis_done.message_with_options(
        kwargs={"parent": parent, "chunks": ids}, **options
    )
    group: Any = dramatiq.group(chunks)  # type: ignore[no-untyped-call]
    group.add_completion_callback(callback)
    run_group(group)  # on the SQL broker: every chunk in one transaction
    return {
        "symbols": len(symbols),
        "fanned_out": len(chunks),
        "chunks": ids,
        "callback": callback.message_id,
    }


@dramatiq.actor(
    actor_class=_TechnicalAnalysisActor,
    queue_name=QUEUE,
    max_retries=3,
    time_limit=TIME_LIMIT_MS,
    periodic=cron("every weekday at 16:15", timezone=MARKET_TIMEZONE, missed="run_once"),
)
def technical_analysis(**kwargs: Any) -> dict[str, Any]:
    """Analyses stored bars (see :class:`TechnicalAnalysisParams`); returns the summary."""
    params = parse_params(TechnicalAnalysisParams, kwargs, "technical_analysis")
    job = current_job()
    job.raise_if_cancelled()
    engine = create_store_engine(get_settings().database_url)
    symbols = stored_symbols(engine) if params.symbols == "all" else list(dict.fromkeys(params.symbols))
    if len(symbols) > params.chunk_size:
        job.progress(100.0, f"{len(symbols)} symbols sent as chunks of {params.chunk_size}")
        sent = _fan_out(params, symbols, job.id, job.pipeline_next)
        job.hand_over_pipeline()  # the group's completion callback continues the pipeline
        return sent
    job.progress(0.0, f"analysing {len(symbols)} symbols")
    summary = analyse_stored(
        engine,
        symbols,
        parse_indicators(params.indicators),
        parse_patterns(params.patterns),
        lookback_bars=params.lookback_bars,
        signal_bars=params.signal_bars,
        job_id=job.id,
        progress=job.progress,
        should_stop=lambda: job.cancelled,  # the job then ends as cancelled, keeping this partial summary
        hooks=DomainMetrics(),
    )
    return summary.as_dict()


def _merge(results: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {"symbols": 0, "analysed": 0, "missing": [], "rows": 0, "snapshots": 0}
    total.update(signals_new=0, compute_seconds=0.0, seconds=0.0, stopped=False)
    signals: Counter[str] = Counter()
    for result in results:
        for key in ("symbols", "analysed", "rows", "snapshots", "signals_new", "compute_seconds", "seconds"):
            total[key] += result.get(key, 0)
        total["missing"] += result.get("missing", [])
        total["stopped"] = total["stopped"] or bool(result.get("stopped"))
        signals.update(result.get("signals", {}))
    total["signals"] = dict(sorted(signals.items()))
    return total


@dramatiq.actor(queue_name=QUEUE, max_retries=5, time_limit=5 * 60 * 1000)
def technical_analysis_done(*, parent: str, chunks: list[str]) -> dict[str, Any]:
    """Completion callback of a fanned-out run: the chunks' summaries summed (``seconds`` is their sum)."""
    engine = create_store_engine(get_settings().database_url)
    deadline = time.monotonic() + CHUNK_RECORD_WAIT_SECONDS
    while True:
        records = [get_job(engine, chunk) for chunk in chunks]
        pending = [r.id for r in records if Status(r.status) in IN_FLIGHT_STATUSES]
        if not pending:
            break
        if time.monotonic() > deadline:
            raise ChunksNotFinished(
                f"chunks {pending} of technical_analysis {parent} are still in flight; the callback retries"
            )
        time.sleep(0.1)  # the chunk's worker stores its final record within records_flush_seconds
    merged = _merge([r.result or {} for r in records if Status(r.status) is Status.COMPLETED])
    merged.update(parent=parent, chunks=len(chunks))
    merged["cancelled_chunks"] = [r.id for r in records if Status(r.status) is Status.CANCELLED]
    return merged
