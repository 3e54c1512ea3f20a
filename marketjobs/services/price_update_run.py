"""One price update: fetch new bars from a bar source, validate them and upsert them, symbol by symbol.

Each symbol is fetched, validated and upserted on its own: one symbol's failure is reported in the summary
and the others go on. Rejected rows are counted and sampled in the summary. A stop request is honoured
between symbols, keeping the summary so far.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import Engine

from marketjobs.marketdata.sources import BarSource
from marketjobs.marketdata.validate import validate_bars
from marketjobs.store.bars_io import load_bars, stored_symbols, upsert_bars

__all__ = ["PriceUpdateSummary", "update_prices"]

#: Rejected rows kept in the summary.
SAMPLE_ROWS = 20
#: Characters of a failure reason kept per symbol.
MAX_REASON = 300


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
