"""Signal events from indicator columns: RSI levels, MACD and SMA crosses, Bollinger breakouts, candles.

Every function takes a frame sorted by (``symbol``, ``time``) with one row per bar and returns events with the
columns of :data:`EVENT_SCHEMA`: ``symbol``, ``timestamp``, ``signal``, ``value`` (Float64) and
``direction`` (``"up"`` or ``"down"``), sorted by symbol, timestamp and signal.

A crossing is a change of state between two bars of the same symbol, e.g. "RSI above 70" turning true
("up") or false ("down"): crossings of one rule alternate, and a value equal to the level counts as not
beyond it (rising to exactly 70 fires nothing; falling from 75 to exactly 70 is an exit). States are
compared within a symbol only (``shift().over(symbol)``), never across symbols. A null or NaN value
(indicator warm-up, a missing bar) never fires; the next known value is compared with the last known value
of the same symbol, so a crossing across a gap fires once, on the first bar after it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import polars as pl

from marketjobs.analysis._checks import require_columns, require_numeric, require_sorted_within
from marketjobs.errors import ParameterError

__all__ = [
    "EVENT_SCHEMA",
    "bollinger_signals",
    "detect_signals",
    "macd_signals",
    "pattern_signals",
    "rsi_signals",
    "sma_signals",
]

#: Columns and dtypes of every event frame (the timestamp keeps the input's dtype).
EVENT_SCHEMA: Final[dict[str, pl.DataType]] = {
    "symbol": pl.String(),
    "signal": pl.String(),
    "value": pl.Float64(),
    "direction": pl.String(),
}
_ORDER: Final = ["symbol", "timestamp", "signal", "value", "direction"]

#: A rule: (condition, signal name, value expression, direction).
_Rule = tuple[pl.Expr, str, pl.Expr, str]


def _known(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.Float64).fill_nan(None)


def _changes(state: pl.Expr, symbol: str) -> tuple[pl.Expr, pl.Expr]:
    """``(turned_true, turned_false)``; false where the state or the symbol's last known state is null."""
    previous = state.shift(1).forward_fill().over(symbol)
    return (state & ~previous).fill_null(False), (~state & previous).fill_null(False)


def _events(
    frame: pl.DataFrame,
    rules: list[_Rule],
    *,
    symbol: str,
    time: str,
) -> pl.DataFrame:
    """Rows of ``frame`` where each rule's condition holds, as events ``(condition, signal, value, dir)``."""
    require_columns(frame, [symbol, time], name="frame")
    require_sorted_within(frame, by=symbol, time=time, name="frame")
    flags = frame.lazy().with_columns(
        condition.alias(f"__rule{index}") for index, (condition, *_) in enumerate(rules)
    )
    parts = [
        flags.filter(pl.col(f"__rule{index}")).select(
            pl.col(symbol).cast(pl.String).alias("symbol"),
            pl.col(time).alias("timestamp"),
            pl.lit(name, pl.String).alias("signal"),
            value.cast(pl.Float64).alias("value"),
            pl.lit(direction, pl.String).alias("direction"),
        )
        for index, (_, name, value, direction) in enumerate(rules)
    ]
    if not parts:
        schema = {"timestamp": frame.schema[time], **EVENT_SCHEMA}
        return pl.DataFrame(schema={key: schema[key] for key in _ORDER})
    return pl.concat(parts).sort("symbol", "timestamp", "signal").collect()


def _numeric(frame: pl.DataFrame, columns: list[str], parameters: str) -> None:
    require_columns(frame, columns, name="frame", hint=f"pass the right names as {parameters}")
    require_numeric(frame, columns, name="frame")


def _rsi_rules(frame: pl.DataFrame, rsi: str, upper: float, lower: float, symbol: str) -> list[_Rule]:
    _numeric(frame, [rsi], "rsi=...")
    if not lower < upper:
        raise ParameterError(f"RSI levels lower={lower} and upper={upper} are reversed; pass lower < upper.")
    above_on, above_off = _changes(_known(rsi) > upper, symbol)
    below_on, below_off = _changes(_known(rsi) < lower, symbol)
    value = pl.col(rsi)
    return [
        (above_on, "rsi_overbought", value, "up"),
        (above_off, "rsi_overbought_exit", value, "down"),
        (below_on, "rsi_oversold", value, "down"),
        (below_off, "rsi_oversold_exit", value, "up"),
    ]


def _cross_rules(line: str, level: str, name: str, symbol: str) -> list[_Rule]:
    up, down = _changes(_known(line) > _known(level), symbol)
    return [(up, name, pl.col(line), "up"), (down, name, pl.col(line), "down")]


def _macd_rules(frame: pl.DataFrame, macd: str, signal: str, symbol: str) -> list[_Rule]:
    _numeric(frame, [macd, signal], "macd=... and macd_signal=...")
    return _cross_rules(macd, signal, "macd_cross", symbol)


def _sma_rules(frame: pl.DataFrame, sma: str | Sequence[str], close: str, symbol: str) -> list[_Rule]:
    columns = [sma] if isinstance(sma, str) else list(sma)
    _numeric(frame, [close, *columns], "close=... and sma=...")
    return [rule for column in columns for rule in _cross_rules(close, column, f"{column}_cross", symbol)]


def _bollinger_rules(frame: pl.DataFrame, upper: str, lower: str, close: str, symbol: str) -> list[_Rule]:
    _numeric(frame, [close, upper, lower], "close=..., bb_upper=... and bb_lower=...")
    above, _ = _changes(_known(close) > _known(upper), symbol)
    below, _ = _changes(_known(close) < _known(lower), symbol)
    return [
        (above, "bollinger_upper_breakout", pl.col(close), "up"),
        (below, "bollinger_lower_breakout", pl.col(close), "down"),
    ]


def _pattern_rules(frame: pl.DataFrame, patterns: Sequence[str] | None) -> list[_Rule]:
    if patterns is None:
        patterns = [c for c, t in frame.schema.items() if t == pl.Int32 and c.lower().startswith("cdl")]
    require_columns(frame, patterns, name="frame", hint="pass the pattern column names as patterns=[...]")
    wrong = [column for column in patterns if not frame.schema[column].is_integer()]
    if wrong:
        raise ParameterError(
            f"pattern columns {wrong} are not integers; pass only candlestick (Int32) columns."
        )
    return [
        (rule, column, pl.col(column), direction)
        for column in patterns
        for rule, direction in ((pl.col(column) > 0, "up"), (pl.col(column) < 0, "down"))
    ]


def rsi_signals(
    frame: pl.DataFrame,
    *,
    rsi: str = "rsi",
    upper: float = 70.0,
    lower: float = 30.0,
    symbol: str = "symbol",
    time: str = "timestamp",
) -> pl.DataFrame:
    """RSI entering/leaving overbought (``> upper``) and oversold (``< lower``).

    Signals: ``rsi_overbought`` (up), ``rsi_overbought_exit`` (down), ``rsi_oversold`` (down),
    ``rsi_oversold_exit`` (up); the value is the RSI on the bar.
    """
    return _events(frame, _rsi_rules(frame, rsi, upper, lower, symbol), symbol=symbol, time=time)


def macd_signals(
    frame: pl.DataFrame,
    *,
    macd: str = "macd",
    macd_signal: str = "macdsignal",
    symbol: str = "symbol",
    time: str = "timestamp",
) -> pl.DataFrame:
    """``macd_cross``: the MACD line crossing above (up, bullish) or below (down, bearish) its signal line."""
    return _events(frame, _macd_rules(frame, macd, macd_signal, symbol), symbol=symbol, time=time)


def sma_signals(
    frame: pl.DataFrame,
    *,
    sma: str | Sequence[str] = "sma",
    close: str = "close",
    symbol: str = "symbol",
    time: str = "timestamp",
) -> pl.DataFrame:
    """``<sma>_cross``: the close crossing above (up) or below (down) each SMA column; value = the close."""
    return _events(frame, _sma_rules(frame, sma, close, symbol), symbol=symbol, time=time)


def bollinger_signals(
    frame: pl.DataFrame,
    *,
    bb_upper: str = "upperband",
    bb_lower: str = "lowerband",
    close: str = "close",
    symbol: str = "symbol",
    time: str = "timestamp",
) -> pl.DataFrame:
    """Close moving above the upper band (``bollinger_upper_breakout``, up) or below the lower (down)."""
    return _events(
        frame, _bollinger_rules(frame, bb_upper, bb_lower, close, symbol), symbol=symbol, time=time
    )


def pattern_signals(
    frame: pl.DataFrame,
    *,
    patterns: Sequence[str] | None = None,
    symbol: str = "symbol",
    time: str = "timestamp",
) -> pl.DataFrame:
    """One event per nonzero candlestick value (signal = column name, value = ±100/±80, up if positive).

    ``patterns=None`` takes every Int32 column whose name starts with ``cdl`` (indicators_rs' naming).
    """
    return _events(frame, _pattern_rules(frame, patterns), symbol=symbol, time=time)


def detect_signals(
    frame: pl.DataFrame,
    *,
    rsi: str | None = "rsi",
    macd: tuple[str, str] | None = ("macd", "macdsignal"),
    sma: str | Sequence[str] | None = "sma",
    bollinger: tuple[str, str] | None = ("upperband", "lowerband"),
    patterns: Sequence[str] | None = None,
    close: str = "close",
    symbol: str = "symbol",
    time: str = "timestamp",
) -> pl.DataFrame:
    """All the rule families above in one pass; ``None`` skips a family (``patterns=[]`` skips candles).

    Parameters
    ----------
    rsi
        RSI column (levels 70/30).
    macd
        ``(macd line, signal line)`` columns.
    sma
        One SMA column or several.
    bollinger
        ``(upper band, lower band)`` columns.
    patterns
        Candlestick columns; ``None`` finds the Int32 ``cdl*`` columns.
    """
    rules: list[_Rule] = []
    if rsi is not None:
        rules += _rsi_rules(frame, rsi, 70.0, 30.0, symbol)
    if macd is not None:
        rules += _macd_rules(frame, macd[0], macd[1], symbol)
    if sma is not None:
        rules += _sma_rules(frame, sma, close, symbol)
    if bollinger is not None:
        rules += _bollinger_rules(frame, bollinger[0], bollinger[1], close, symbol)
    rules += _pattern_rules(frame, patterns)
    return _events(frame, rules, symbol=symbol, time=time)
