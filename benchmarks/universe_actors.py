"""Worker-side module of benchmarks/universe.py: the marketjobs actors plus the baseline users write today.

``dramatiq benchmarks.universe_actors`` imports ``actors`` (the broker and ``technical_analysis`` from
settings) and declares, on the same broker, ``universe_baseline``: one job per symbol that reads its bars with
``pandas.read_sql``, calls TA-Lib for the same 12 indicators and 25 patterns, finds the same signals on the
last bars with numpy, and writes the snapshot and each signal row by row.
"""

from __future__ import annotations

import json
import time
from functools import cache
from typing import Any

import dramatiq
import numpy as np
import pandas as pd
import talib
from sqlalchemy import Engine, text

import actors  # noqa: F401  (sets the broker from settings and declares technical_analysis)
from marketjobs.config import get_settings
from marketjobs.store.engine import create_store_engine

#: Queue of the baseline and of the readiness probe.
QUEUE = "universe_baseline"
PATTERNS = [
    "CDL3BLACKCROWS", "CDL3INSIDE", "CDL3OUTSIDE", "CDL3WHITESOLDIERS", "CDLABANDONEDBABY",
    "CDLDARKCLOUDCOVER", "CDLDOJI", "CDLDRAGONFLYDOJI", "CDLENGULFING", "CDLEVENINGDOJISTAR",
    "CDLEVENINGSTAR", "CDLGRAVESTONEDOJI", "CDLHAMMER", "CDLHANGINGMAN", "CDLHARAMI", "CDLHARAMICROSS",
    "CDLINVERTEDHAMMER", "CDLKICKING", "CDLLONGLEGGEDDOJI", "CDLMARUBOZU", "CDLMORNINGDOJISTAR",
    "CDLMORNINGSTAR", "CDLPIERCING", "CDLSHOOTINGSTAR", "CDLSPINNINGTOP",
]  # fmt: skip


@cache
def _engine() -> Engine:
    return create_store_engine(get_settings().database_url)


def _indicators(o: Any, h: Any, lo: Any, c: Any, v: Any) -> dict[str, Any]:
    out: dict[str, Any] = {
        "rsi_14": talib.RSI(c, 14),
        "sma_20": talib.SMA(c, 20),
        "sma_50": talib.SMA(c, 50),
        "ema_50": talib.EMA(c, 50),
    }
    out["macd_12_26_9"], out["macdsignal_12_26_9"], out["macdhist_12_26_9"] = talib.MACD(c, 12, 26, 9)
    out["upperband_20_2"], out["middleband_20_2"], out["lowerband_20_2"] = talib.BBANDS(c, 20, 2.0, 2.0)
    out["atr_14"] = talib.ATR(h, lo, c, 14)
    out["adx_14"] = talib.ADX(h, lo, c, 14)
    out["slowk_14_3_3"], out["slowd_14_3_3"] = talib.STOCH(h, lo, c, 14, 3, 0, 3, 0)
    out["cci_20"] = talib.CCI(h, lo, c, 20)
    out["obv"] = talib.OBV(c, v)
    out["mfi_14"] = talib.MFI(h, lo, c, v, 14)
    for name in PATTERNS:
        out[name.lower()] = getattr(talib, name)(o, h, lo, c)
    return out


def _crossings(state: Any, known: Any, first: int) -> tuple[list[int], list[int]]:
    """Bars from ``first`` on where ``state`` turned true / false, both bars known."""
    both = known[1:] & known[:-1]
    on = np.flatnonzero(both & state[1:] & ~state[:-1]) + 1
    off = np.flatnonzero(both & ~state[1:] & state[:-1]) + 1
    return [i for i in on if i >= first], [i for i in off if i >= first]


def _signals(values: dict[str, Any], close: Any, first: int) -> list[tuple[int, str, str, float]]:
    events: list[tuple[int, str, str, float]] = []
    rsi = values["rsi_14"]
    for state, on_name, on_dir, off_name, off_dir in (
        (rsi > 70, "rsi_overbought", "up", "rsi_overbought_exit", "down"),
        (rsi < 30, "rsi_oversold", "down", "rsi_oversold_exit", "up"),
    ):
        on, off = _crossings(state, ~np.isnan(rsi), first)
        events += [(i, on_name, on_dir, rsi[i]) for i in on] + [(i, off_name, off_dir, rsi[i]) for i in off]
    macd, signal = values["macd_12_26_9"], values["macdsignal_12_26_9"]
    on, off = _crossings(macd > signal, ~np.isnan(macd) & ~np.isnan(signal), first)
    events += [(i, "macd_cross", "up", macd[i]) for i in on] + [
        (i, "macd_cross", "down", macd[i]) for i in off
    ]
    for sma in ("sma_20", "sma_50"):
        on, off = _crossings(close > values[sma], ~np.isnan(values[sma]), first)
        events += [(i, f"{sma}_cross", "up", close[i]) for i in on]
        events += [(i, f"{sma}_cross", "down", close[i]) for i in off]
    upper, lower = values["upperband_20_2"], values["lowerband_20_2"]
    on, _ = _crossings(close > upper, ~np.isnan(upper), first)
    events += [(i, "bollinger_upper_breakout", "up", close[i]) for i in on]
    on, _ = _crossings(close < lower, ~np.isnan(lower), first)
    events += [(i, "bollinger_lower_breakout", "down", close[i]) for i in on]
    for name in PATTERNS:
        column = values[name.lower()]
        for i in np.flatnonzero(column[first:]) + first:
            events.append((i, name.lower(), "up" if column[i] > 0 else "down", float(column[i])))
    return events


def _json(values: dict[str, Any], i: int) -> str:
    return json.dumps({k: (None if np.isnan(v[i]) else float(v[i])) for k, v in values.items()})


@dramatiq.actor(queue_name=QUEUE, max_retries=0, time_limit=3_600_000)
def universe_baseline(symbol: str, signal_bars: int | None = None) -> int:
    """One symbol the way users write it today; returns the signals found."""
    engine = _engine()
    with engine.connect() as connection:
        bars = pd.read_sql(
            text("SELECT ts, open, high, low, close, volume FROM bars WHERE symbol = :s ORDER BY ts"),
            connection,
            params={"s": symbol},
        )
    o, h, lo, c, v = (bars[k].to_numpy(dtype=float) for k in ("open", "high", "low", "close", "volume"))
    values = _indicators(o, h, lo, c, v)
    events = _signals(values, c, 0 if signal_bars is None else max(len(c) - signal_bars, 0))
    now = int(time.time() * 1000)
    ts = bars["ts"].to_numpy()
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO indicator_snapshots (symbol, ts, close, indicator_values, previous_values, "
                "job_id, updated_at) VALUES (:s, :ts, :c, :v, :p, NULL, :u) ON CONFLICT (symbol) "
                "DO UPDATE SET ts = excluded.ts, close = excluded.close, "
                "indicator_values = excluded.indicator_values, previous_values = excluded.previous_values, "
                "updated_at = excluded.updated_at"
            ),
            {
                "s": symbol,
                "ts": int(ts[-1]),
                "c": float(c[-1]),
                "v": _json(values, -1),
                "p": _json(values, -2),
                "u": now,
            },
        )
        for i, name, direction, value in events:  # row by row, as a loop over events reads naturally
            connection.execute(
                text(
                    "INSERT INTO signals (symbol, ts, signal, direction, value, job_id, created_at) "
                    "VALUES (:s, :ts, :n, :d, :v, NULL, :u) ON CONFLICT DO NOTHING"
                ),
                {"s": symbol, "ts": int(ts[i]), "n": name, "d": direction, "v": float(value), "u": now},
            )
    return len(events)


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def universe_ping() -> None:
    """Readiness probe: a worker process that runs it has imported everything."""


@dramatiq.actor(queue_name="analysis", max_retries=0)
def universe_ping_analysis() -> None:
    """Readiness probe on the marketjobs queue."""
