"""``price_update``: fetch new bars from a bar source, validate them and upsert them, symbol by symbol.

Parameters are checked by :class:`PriceUpdateParams` when the message is made (unknown source or bad source
options included), so a bad one fails in the sender with :class:`~marketjobs.errors.ParameterError`. Each
symbol is fetched, validated and upserted on its own: one symbol's failure is reported in the summary and
the others go on; only a run where every symbol failed raises, so the job is retried. Rejected rows are
counted and sampled in the summary. A cancel stops between symbols, keeping the summary so far.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, cast

import dramatiq
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import Engine, text

from marketjobs.config import get_settings
from marketjobs.errors import ConfigError
from marketjobs.jobs import current_job
from marketjobs.jobs.params import ValidatedActor, parse_params
from marketjobs.marketdata.bars_io import load_bars, upsert_bars
from marketjobs.marketdata.sources import BarSource, SourceError, check_source_config, source_from_config
from marketjobs.marketdata.validate import validate_bars
from marketjobs.store.bars import MAX_SYMBOL_LENGTH
from marketjobs.store.engine import create_store_engine

__all__ = ["PriceUpdateParams", "PriceUpdateSummary", "price_update", "update_prices"]

#: Longest a price update may run (30 minutes); an HTTP source at 10 requests/min covers ~300 symbols.
TIME_LIMIT_MS = 30 * 60 * 1000
#: Rejected rows kept in the summary.
SAMPLE_ROWS = 20
#: Characters of a failure reason kept per symbol.
MAX_REASON = 300


class PriceUpdateParams(BaseModel):
    """Parameters of the ``price_update`` job."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Symbols to update, or "all": every stored symbol plus those the source offers (e.g. dropped files).
    symbols: list[str] | Literal["all"] = "all"
    #: A registered bar source: "file", "synthetic" or "http".
    source: str = Field(min_length=1)
    #: The source's options, e.g. {"base_url": "https://quotes.example"} for "http".
    options: dict[str, Any] = Field(default_factory=dict)
    #: A symbol whose newest bar is older than this is reported stale (3 days covers a weekend).
    stale_after_minutes: float = Field(3 * 24 * 60, gt=0)
    #: Stored bars handed to the source per symbol (the synthetic source extends them).
    history_bars: int = Field(60, ge=1, le=100_000)

    @model_validator(mode="after")
    def _known_source(self) -> PriceUpdateParams:
        if isinstance(self.symbols, list):
            bad = [s for s in self.symbols if not s.strip() or len(s) > MAX_SYMBOL_LENGTH]
            if bad or not self.symbols:
                raise ValueError(f"symbols must be non-empty names of at most {MAX_SYMBOL_LENGTH} characters")
        try:
            check_source_config(self.source, self.options)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return self


@dataclass
class PriceUpdateSummary:
    """What a price update did; ``as_dict()`` is the job result."""

    source: str
    symbols: int = 0
    #: Symbols that got at least one bar.
    updated: list[str] = field(default_factory=list)
    #: Symbols fetched without error but with no bar to store.
    unchanged: list[str] = field(default_factory=list)
    bars_upserted: int = 0
    rows_rejected: int = 0
    rejected_sample: list[dict[str, Any]] = field(default_factory=list)
    #: Symbols whose newest bar (stored or new) is older than stale_after, or that have none.
    stale: list[str] = field(default_factory=list)
    #: Symbol -> why it failed.
    failed: dict[str, str] = field(default_factory=dict)
    #: True when a cancel ended the run before the last symbol.
    stopped: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready values."""
        return asdict(self)


def stored_symbols(engine: Engine) -> list[str]:
    """Every symbol with a stored bar, sorted."""
    with engine.connect() as connection:
        return [
            row[0] for row in connection.execute(text("SELECT DISTINCT symbol FROM bars ORDER BY symbol"))
        ]


def _update_one(
    engine: Engine, source: BarSource, symbol: str, history_bars: int, summary: PriceUpdateSummary
) -> tuple[int, datetime | None]:
    """Fetches, validates and upserts ``symbol``; returns (bars upserted, its newest bar time)."""
    history = load_bars(engine, [symbol]).tail(history_bars)
    since: datetime | None = history["ts"][-1] if history.height else None
    valid, rejected = validate_bars(source.fetch([symbol], since, history=history))
    upserted = upsert_bars(engine, valid, source=source.name)
    summary.bars_upserted += upserted
    summary.rows_rejected += rejected.height
    room = max(SAMPLE_ROWS - len(summary.rejected_sample), 0)
    summary.rejected_sample.extend(rejected.head(room).to_dicts())
    fetched = cast("datetime | None", valid["ts"].max() if valid.height else None)
    newest = [t for t in (since, fetched) if t is not None]
    return upserted, max(newest) if newest else None


def update_prices(
    engine: Engine,
    source: BarSource,
    symbols: Sequence[str] | None = None,
    *,
    stale_after: timedelta = timedelta(days=3),
    history_bars: int = 60,
    progress: Callable[[float, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    now: datetime | None = None,
) -> PriceUpdateSummary:
    """Updates ``symbols`` (None: stored ones and those ``source`` offers); returns the summary.

    A symbol whose fetch, validation or upsert fails is listed in ``failed`` and the rest go on. When
    ``should_stop`` (asked before each symbol) says True, the run ends there with ``stopped`` set.
    """
    if symbols is None:
        symbols = sorted(set(stored_symbols(engine)) | set(source.offered_symbols()))
    summary = PriceUpdateSummary(source=source.name, symbols=len(symbols))
    cutoff = (now or datetime.now(UTC)) - stale_after
    succeeded: list[str] = []
    try:
        for index, symbol in enumerate(symbols):
            if should_stop is not None and should_stop():
                summary.stopped = True
                break
            try:
                upserted, newest = _update_one(engine, source, symbol, history_bars, summary)
            except Exception as exc:  # reported per symbol; the run goes on
                summary.failed[symbol] = f"{type(exc).__name__}: {exc}"[:MAX_REASON]
            else:
                succeeded.append(symbol)
                (summary.updated if upserted else summary.unchanged).append(symbol)
                if newest is None or newest < cutoff:
                    summary.stale.append(symbol)
            if progress is not None:
                progress(100 * (index + 1) / len(symbols), f"{symbol}: {summary.bars_upserted} bars upserted")
    finally:
        source.close(succeeded)
    return summary


class _PriceUpdateActor(ValidatedActor):
    params_model = PriceUpdateParams


@dramatiq.actor(
    actor_class=_PriceUpdateActor,
    queue_name="price_update",
    max_retries=5,
    time_limit=TIME_LIMIT_MS,
    default_priority="high",
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
