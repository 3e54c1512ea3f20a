"""``synthetic``: seeded random-walk bars that continue each symbol's stored series, for demos and load tests.

Each new bar's close is the previous close times ``exp(N(0, sigma))``, with ``sigma`` the standard deviation
of the symbol's recent log returns (``default_volatility`` when fewer than 3 closes are stored). The open
gaps a little from the previous close; high and low reach beyond ``max/min(open, close)`` by a half-normal
fraction of ``sigma``, so ``low <= open, close <= high`` always holds. Volume is drawn log-normally around the
recent mean volume. Output depends only on (seed, symbol, history, since, options): the same call gives the
same bars. Daily bars fall on business days (Monday-Friday, no holiday calendar); intraday bars every
``interval`` around the clock.
"""

from __future__ import annotations

import itertools
import math
import random
import re
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import polars as pl
from pydantic import Field, field_validator

from marketjobs.errors import ConfigError
from marketjobs.marketdata.sources.base import BarSource, SourceOptions

__all__ = ["SyntheticOptions", "SyntheticSource", "parse_interval"]

#: Interval spellings: a number (up to 99,999) and a unit, m(inutes), h(ours) or d(ays, business days).
_INTERVAL = re.compile(r"^(\d{1,5})([mhd])$")


def parse_interval(text: str) -> timedelta:
    """``"1d"``, ``"5m"``, ``"1h"`` as a timedelta; ConfigError naming the accepted forms otherwise."""
    match = _INTERVAL.match(text.strip())
    if match is None or int(match.group(1)) == 0:
        raise ConfigError(f"bad interval {text!r}; use a count and a unit such as '1d', '1h' or '5m'")
    count, unit = int(match.group(1)), match.group(2)
    return timedelta(**{{"m": "minutes", "h": "hours", "d": "days"}[unit]: count})


class SyntheticOptions(SourceOptions):
    """Options of the ``synthetic`` source."""

    seed: int = Field(0, ge=-(2**63), le=2**63 - 1)
    #: Bar spacing: "1d" (business days) or an intraday step such as "5m", "1h".
    interval: str = "1d"
    #: New bars per symbol per fetch.
    bars: int = Field(1, ge=1, le=100_000)
    #: Stored bars used for volatility and volume (the latest ones).
    lookback_bars: int = Field(60, ge=2, le=100_000)
    #: Per-bar log-return volatility when a symbol has too little history.
    default_volatility: float = Field(0.02, gt=0, lt=1)
    #: First close of a symbol with no stored bars.
    start_price: float = Field(100.0, gt=0, le=1e9)
    #: Mean volume of a symbol with no stored volume.
    start_volume: float = Field(1_000_000.0, ge=0, le=1e15)
    #: When a symbol has no history and no ``since``, its first bar follows this time (UTC).
    start: datetime = datetime(2024, 1, 1, tzinfo=UTC)

    @field_validator("interval")
    @classmethod
    def _interval(cls, value: str) -> str:
        try:
            parse_interval(value)
        except ConfigError as exc:
            raise ValueError(str(exc)) from None
        return value


def _utc(ts: datetime) -> datetime:
    return ts.astimezone(UTC) if ts.tzinfo else ts.replace(tzinfo=UTC)


def _next_time(ts: datetime, step: timedelta, daily: bool) -> datetime:
    ts += step
    while daily and ts.weekday() >= 5:
        ts += timedelta(days=1)
    return ts


def _recent(history: pl.DataFrame | None, symbol: str, lookback: int) -> pl.DataFrame:
    """The latest ``lookback`` bars of ``symbol`` in ``history``, oldest first."""
    if history is None or history.is_empty():
        return pl.DataFrame({"ts": [], "close": [], "volume": []})
    return history.filter(pl.col("symbol") == symbol).sort("ts").tail(lookback)


def _volatility(closes: list[float], default: float) -> float:
    """Sample standard deviation of the log returns of ``closes``; ``default`` with under 2 returns."""
    returns = [math.log(b / a) for a, b in itertools.pairwise(closes) if a > 0 and b > 0]
    if len(returns) < 2:
        return default
    mean = sum(returns) / len(returns)
    return math.sqrt(sum((r - mean) ** 2 for r in returns) / (len(returns) - 1)) or default


class SyntheticSource(BarSource):
    """Random-walk bars extending each symbol's stored series (see the module docstring)."""

    name = "synthetic"
    options_model = SyntheticOptions
    options: SyntheticOptions

    def _fetch(
        self, symbols: list[str], since: datetime | None, history: pl.DataFrame | None
    ) -> pl.DataFrame:
        frames = [self._walk(symbol, since, history) for symbol in symbols]
        return pl.concat(frames) if frames else pl.DataFrame()

    def _walk(self, symbol: str, since: datetime | None, history: pl.DataFrame | None) -> pl.DataFrame:
        opts = self.options
        step, daily = parse_interval(opts.interval), opts.interval.endswith("d")
        recent = _recent(history, symbol, opts.lookback_bars)
        closes = [float(c) for c in recent["close"].to_list() if c is not None]
        volumes = [float(v) for v in recent["volume"].to_list() if v is not None]
        sigma = _volatility(closes, opts.default_volatility)
        mean_volume = sum(volumes) / len(volumes) if volumes else opts.start_volume
        last = cast("datetime | None", recent["ts"].max() if recent.height else None)
        known = [_utc(t) for t in (last, since) if t is not None]
        ts = max(known) if known else _utc(opts.start)
        close = closes[-1] if closes and closes[-1] > 0 else opts.start_price
        rng = random.Random(f"{opts.seed}:{symbol}:{int(ts.timestamp() * 1000)}:{opts.interval}")
        out: dict[str, list[Any]] = {c: [] for c in ("ts", "open", "high", "low", "close", "volume")}
        for _ in range(opts.bars):
            ts = _next_time(ts, step, daily)
            open_ = close * math.exp(rng.gauss(0.0, sigma * 0.2))
            close = open_ * math.exp(rng.gauss(0.0, sigma))
            high = max(open_, close) * math.exp(abs(rng.gauss(0.0, sigma * 0.5)))
            low = min(open_, close) * math.exp(-abs(rng.gauss(0.0, sigma * 0.5)))
            volume = float(round(mean_volume * math.exp(rng.gauss(-0.03125, 0.25))))  # mean-preserving
            out["ts"].append(ts)
            # Rounding is monotone, so low <= open, close <= high survives it.
            for key, value in zip(("open", "high", "low", "close"), (open_, high, low, close), strict=True):
                out[key].append(round(value, 6))
            out["volume"].append(volume)
        schema: dict[str, pl.DataType] = {
            "ts": pl.Datetime("ms", "UTC"),
            **dict.fromkeys(("open", "high", "low", "close", "volume"), pl.Float64()),
        }
        return pl.DataFrame(out, schema=schema).select(pl.lit(symbol).alias("symbol"), pl.all())
