"""Rows the alerts job reads, written by the tests themselves: bars, indicator snapshots, signal events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import polars as pl
from sqlalchemy import Engine, insert

from marketjobs.store.analysis import IndicatorSnapshot, Signal
from marketjobs.store.bars_io import upsert_bars

#: Time of the first seeded bar.
START = datetime(2024, 1, 1, tzinfo=UTC)


def epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def day(index: int) -> datetime:
    """The time of daily bar ``index``."""
    return START + timedelta(days=index)


def seed_closes(engine: Engine, symbol: str, closes: list[float], first: int = 0) -> int:
    """Daily bars with these closes from bar ``first``; returns the last bar's time in epoch ms."""
    times = [day(first + i) for i in range(len(closes))]
    frame = pl.DataFrame(
        {
            "symbol": symbol,
            "ts": times,
            "open": closes,
            "high": [c + 1 for c in closes],
            "low": [c - 1 for c in closes],
            "close": closes,
            "volume": 100.0,
        }
    )
    upsert_bars(engine, frame)
    return epoch_ms(times[-1])


def seed_snapshot(
    engine: Engine, symbol: str, ts: int, values: dict[str, Any], previous: dict[str, Any] | None
) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(IndicatorSnapshot).values(
                symbol=symbol,
                ts=ts,
                close=None,
                indicator_values=values,
                previous_values=previous,
                updated_at=ts,
            )
        )


def seed_signal(engine: Engine, symbol: str, ts: int, signal: str, direction: str, value: float) -> None:
    with engine.begin() as connection:
        connection.execute(
            insert(Signal).values(
                symbol=symbol, ts=ts, signal=signal, direction=direction, value=value, created_at=ts
            )
        )
