"""Technical analysis of stored bars: load a batch of symbols, compute, write snapshots and signals, repeat.

This is the work of one ``technical_analysis`` job (or one chunk of a fanned-out universe); the pure maths is
in :mod:`marketjobs.analysis.technical`. Symbols go in batches of :data:`BATCH_SYMBOLS` so memory stays
bounded whatever the universe, and progress and cancel are checked between batches. One batch computes at a
time per process (:data:`_COMPUTE`): Polars already spreads a batch over every core, so running two at once
would only double the memory; other threads load their bars meanwhile.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, Final

from sqlalchemy import Engine

from marketjobs.analysis.technical import analyse_bars
from marketjobs.analysis.technical_specs import IndicatorSpec
from marketjobs.services.hooks import NO_HOOKS, RunHooks
from marketjobs.store.analysis import write_signals, write_snapshots
from marketjobs.store.bars_io import load_bars

__all__ = ["BATCH_SYMBOLS", "TechnicalSummary", "analyse_stored"]

#: Symbols loaded and computed together (50 x 2,520 daily bars with 12 indicators and 25 patterns is
#: about 40 MB of columns).
BATCH_SYMBOLS: Final = 50
_COMPUTE: Final = threading.Lock()


@dataclass
class TechnicalSummary:
    """What an analysis run did; ``as_dict()`` is the job result."""

    symbols: int = 0
    #: Symbols that had at least one stored bar.
    analysed: int = 0
    #: Symbols asked for that have no stored bars.
    missing: list[str] = field(default_factory=list)
    rows: int = 0
    snapshots: int = 0
    #: Signal events found (new or already stored), by signal name.
    signals: dict[str, int] = field(default_factory=dict)
    #: Signal events that were not stored before this run.
    signals_new: int = 0
    compute_seconds: float = 0.0
    seconds: float = 0.0
    #: True when a cancel ended the run before the last batch.
    stopped: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready values."""
        return asdict(self)


def analyse_stored(
    engine: Engine,
    symbols: Sequence[str],
    specs: Sequence[IndicatorSpec],
    patterns: Sequence[str],
    *,
    lookback_bars: int | None = None,
    signal_bars: int | None = None,
    job_id: str | None = None,
    progress: Callable[[float, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    hooks: RunHooks = NO_HOOKS,
) -> TechnicalSummary:
    """Analyses the stored bars of ``symbols`` batch by batch; returns the summary.

    ``lookback_bars`` limits each symbol to its latest N bars (None: every stored bar); ``signal_bars`` keeps
    the signal events of each symbol's last N bars (None: all). ``should_stop`` is asked before each batch;
    ``hooks.after_indicators(compute_seconds, rows, signal counts)`` is called after each (metrics).
    """
    started = time.perf_counter()
    summary = TechnicalSummary(symbols=len(symbols))
    counts: Counter[str] = Counter()
    for offset in range(0, len(symbols), BATCH_SYMBOLS):
        if should_stop is not None and should_stop():
            summary.stopped = True
            break
        batch = list(symbols[offset : offset + BATCH_SYMBOLS])
        bars = load_bars(engine, batch, last=lookback_bars)
        with _COMPUTE:
            result = analyse_bars(bars, specs, patterns, signal_bars=signal_bars)
        found = set(result.snapshots["symbol"].to_list())
        summary.missing += [s for s in batch if s not in found]
        summary.analysed += len(found)
        summary.rows += result.rows
        summary.compute_seconds += result.compute_seconds
        with engine.begin() as connection:
            summary.snapshots += write_snapshots(connection, result.snapshots, job_id=job_id)
            summary.signals_new += write_signals(connection, result.signals, job_id=job_id)
        batch_counts = dict(result.signals["signal"].value_counts().iter_rows())
        counts.update(batch_counts)
        hooks.after_indicators(result.compute_seconds, result.rows, batch_counts)
        if progress is not None:
            done = min(offset + BATCH_SYMBOLS, len(symbols))
            progress(
                100 * done / len(symbols), f"{done}/{len(symbols)} symbols, {sum(counts.values())} signals"
            )
    summary.signals = dict(sorted(counts.items()))
    summary.seconds = time.perf_counter() - started
    return summary
