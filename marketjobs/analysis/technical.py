"""Technical analysis of many symbols at once: indicators, candlestick patterns, snapshots and signal events.

Pure Polars; nothing here touches a broker or the store. Bars come sorted by (``symbol``, ``ts``) and every
indicator runs through indicators_rs' grouped ``by="symbol"`` path: one plugin call per indicator walks all
the symbols' blocks on all cores, restarting at each symbol (faster than ``.over``, equal to TA-Lib per
symbol). Indicator specs are parsed by :mod:`marketjobs.analysis.technical_specs`.

Signals come from :func:`marketjobs.analysis.signals.detect_signals`, fed the first RSI, MACD and BBANDS of
the spec list, every SMA and every pattern column, e.g. ``rsi_overbought``, ``macd_cross``,
``sma_20_cross``, ``bollinger_upper_breakout``, ``cdlengulfing``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

import indicators_rs as ta
from marketjobs.analysis._checks import require_columns, require_numeric, require_sorted_within
from marketjobs.analysis.signals import detect_signals
from marketjobs.analysis.technical_specs import IndicatorSpec, parse_indicators, parse_patterns

__all__ = [
    "CONTEXT_BARS",
    "DEFAULT_INDICATORS",
    "TechnicalResult",
    "analyse_bars",
    "compute_indicators",
    "latest_snapshots",
    "output_columns",
    "signal_events",
]

#: What a technical_analysis job computes when given no indicator list (12 indicators).
DEFAULT_INDICATORS: Final = (
    "RSI_14", "SMA_20", "SMA_50", "EMA_50", "MACD_12_26_9", "BBANDS_20_2",
    "ATR_14", "ADX_14", "STOCH_14_3_3", "CCI_20", "OBV", "MFI_14",
)  # fmt: skip
#: Bars before the signal window that signal_events() compares states with.
CONTEXT_BARS: Final = 20
_SYMBOL: Final = "symbol"
_TIME: Final = "ts"


def output_columns(specs: Sequence[IndicatorSpec], patterns: Sequence[str]) -> list[str]:
    """The columns :func:`compute_indicators` adds, in order: indicator outputs, then patterns."""
    return [output for spec in specs for output in spec.outputs] + list(patterns)


def compute_indicators(
    bars: pl.DataFrame, specs: Sequence[IndicatorSpec], patterns: Sequence[str] = ()
) -> pl.DataFrame:
    """``bars`` with one column per indicator output and per candlestick pattern (Int32), per symbol.

    ``bars`` holds ``symbol``, ``ts`` and the price columns the specs read (``open``, ``high``, ``low``,
    ``close``, ``volume``), sorted by (symbol, ts) with no repeated ts within a symbol.

    Raises
    ------
    ParameterError
        If a column is missing or not numeric, or the rows are not sorted by (symbol, ts).
    """
    needed = sorted(
        {c for spec in specs for c in spec.inputs} | ({"open", "high", "low", "close"} if patterns else set())
    )
    require_columns(bars, [_SYMBOL, _TIME, *needed], name="bars")
    require_numeric(bars, needed, name="bars")
    require_sorted_within(bars, by=_SYMBOL, time=_TIME, name="bars")
    structs = [spec.label for spec in specs if len(spec.outputs) > 1]
    pattern_exprs = [ta.PATTERNS[name](by=_SYMBOL) for name in patterns]
    frame = bars.with_columns(*(spec.expression(by=_SYMBOL) for spec in specs), *pattern_exprs)
    return frame.unnest(structs) if structs else frame


def _json_values(columns: Sequence[str]) -> pl.Expr:
    floats = [pl.col(c).fill_nan(None) if c[:3] != "cdl" else pl.col(c) for c in columns]
    return pl.struct(floats).struct.json_encode()


def latest_snapshots(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """Per symbol: ``ts`` (epoch ms) and ``close`` of the last bar, and ``columns`` on it and the bar before.

    Returns a frame of ``symbol``, ``ts`` (Int64 epoch ms), ``close``, ``indicator_values`` and
    ``previous_values`` (JSON objects as text, column -> value, null during warm-up; ``previous_values`` is
    null for a symbol with one bar), one row per symbol in input order.
    """
    last_two = frame.group_by(_SYMBOL, maintain_order=True).tail(2)
    encoded = last_two.select(
        _SYMBOL,
        pl.col(_TIME).dt.epoch("ms").alias("ts") if frame.schema[_TIME].is_temporal() else pl.col(_TIME),
        pl.col("close").cast(pl.Float64).fill_nan(None),
        _json_values(columns).alias("indicator_values"),
        (pl.col(_SYMBOL) == pl.col(_SYMBOL).shift(1)).fill_null(False).alias("__has_previous"),
    )
    is_last = pl.col(_SYMBOL) != pl.col(_SYMBOL).shift(-1)
    return (
        encoded.with_columns(
            pl.when(pl.col("__has_previous"))
            .then(pl.col("indicator_values").shift(1))
            .alias("previous_values"),
        )
        .filter(is_last.fill_null(True))
        .drop("__has_previous")
    )


def _first(specs: Sequence[IndicatorSpec], function: str) -> IndicatorSpec | None:
    return next((spec for spec in specs if spec.function == function), None)


def signal_events(
    frame: pl.DataFrame,
    specs: Sequence[IndicatorSpec],
    patterns: Sequence[str],
    *,
    last_bars: int | None = None,
) -> pl.DataFrame:
    """Signal events of :func:`detect_signals` on a frame from :func:`compute_indicators`.

    ``last_bars`` keeps the events of each symbol's last N bars (None: every bar). The rules then run on
    those bars and the :data:`CONTEXT_BARS` before them only, so a crossing is found when the symbol's
    previous known state lies within that context (always, unless indicator values are missing for longer:
    the store's validated bars are complete, so only a gap of missing values in the data could hide one).
    """
    if last_bars is not None:
        frame = frame.group_by(_SYMBOL, maintain_order=True).tail(last_bars + CONTEXT_BARS)
    rsi, macd, bbands = (_first(specs, name) for name in ("rsi", "macd", "bbands"))
    smas = [spec.label for spec in specs if spec.function == "sma"]
    events = detect_signals(
        frame,
        rsi=rsi.label if rsi else None,
        macd=(macd.outputs[0], macd.outputs[1]) if macd else None,
        sma=smas or None,
        bollinger=(bbands.outputs[0], bbands.outputs[2]) if bbands else None,
        patterns=list(patterns),
        symbol=_SYMBOL,
        time=_TIME,
    )
    if last_bars is None or events.is_empty():
        return events
    cutoffs = frame.group_by(_SYMBOL).agg(pl.col(_TIME).tail(last_bars).first().alias("__from"))
    joined = events.join(cutoffs, left_on="symbol", right_on=_SYMBOL, how="left")
    return joined.filter(pl.col("timestamp") >= pl.col("__from")).drop("__from")


@dataclass(frozen=True)
class TechnicalResult:
    """What one batch of analysis produced."""

    #: One row per symbol, see :func:`latest_snapshots`.
    snapshots: pl.DataFrame
    #: Signal events, see :func:`signal_events`.
    signals: pl.DataFrame
    #: Bars the indicators were computed over.
    rows: int
    #: Time spent computing indicators and patterns.
    compute_seconds: float


def analyse_bars(
    bars: pl.DataFrame,
    indicators: Sequence[str | Mapping[str, Any] | IndicatorSpec],
    patterns: Sequence[str] | str | None = "all",
    *,
    signal_bars: int | None = None,
) -> TechnicalResult:
    """Indicators and patterns over ``bars`` (sorted by symbol, ts), the latest snapshots and signal events.

    ``indicators`` takes spellings, mappings or parsed specs; ``patterns`` ``"all"``, names or None.
    """
    specs = [s for s in indicators if isinstance(s, IndicatorSpec)]
    specs += parse_indicators([s for s in indicators if not isinstance(s, IndicatorSpec)])
    names = parse_patterns(patterns)
    started = time.perf_counter()
    frame = compute_indicators(bars, specs, names)
    seconds = time.perf_counter() - started
    return TechnicalResult(
        snapshots=latest_snapshots(frame, output_columns(specs, names)),
        signals=signal_events(frame, specs, names, last_bars=signal_bars),
        rows=bars.height,
        compute_seconds=seconds,
    )
