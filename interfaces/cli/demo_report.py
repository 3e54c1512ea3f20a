"""What ``marketjobs demo`` prints at the end: signals per symbol, the latest indicator snapshot of the real
tickers, the alerts fired and the demo portfolio's metrics, read back from the store."""

from __future__ import annotations

import json
from typing import Any

from rich import box
from rich.table import Table
from sqlalchemy import Engine, func, select, text

from interfaces.cli.demo_data import SAMPLE_TICKERS
from interfaces.cli.output import console
from marketjobs.clock import MS_PER_SECOND, from_ms
from marketjobs.store.analysis import Signal
from marketjobs.store.models import JobRecord

__all__ = ["print_jobs", "print_results"]

#: Snapshot columns shown first when present (the rest of the snapshot is in `indicator_snapshots`).
SNAPSHOT_KEYS = (
    "rsi_14",
    "sma_20",
    "ema_20",
    "macd_12_26_9",
    "upperband_20_2",
    "lowerband_20_2",
    "atr_14",
    "adx_14",
)
#: Portfolio metrics shown, with how to format each.
PORTFOLIO_METRICS = (
    ("market_value", "{:,.2f}"),
    ("unrealised_pnl", "{:,.2f}"),
    ("total_return", "{:.2%}"),
    ("annualised_volatility", "{:.2%}"),
    ("sharpe_ratio", "{:.2f}"),
    ("sortino_ratio", "{:.2f}"),
    ("max_drawdown", "{:.2%}"),
    ("beta", "{:.2f}"),
    ("var", "{:.2%}"),
    ("cvar", "{:.2%}"),
)


def _date(ms: int) -> str:
    return from_ms(ms).strftime("%Y-%m-%d")


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _number(value: Any, pattern: str = "{:.2f}") -> str:
    return "-" if value is None else pattern.format(value)


def print_results(engine: Engine) -> None:
    """Prints the demo's results (see the module docstring)."""
    with engine.connect() as connection:
        _signals(connection)
        _snapshot(connection)
        _alerts(connection)
        _portfolio(connection)


def _signals(connection: Any) -> None:
    # Core, not text: "signal" is a reserved word on MariaDB and must be quoted.
    per_symbol = (
        select(Signal.symbol, func.count().label("n"), func.max(Signal.ts).label("last_ts"))
        .group_by(Signal.symbol)
        .order_by(func.count().desc(), Signal.symbol)
    )
    rows = connection.execute(per_symbol).all()
    total = sum(row.n for row in rows)
    table = Table(title=f"signals found: {total} events on {len(rows)} symbols", box=box.SIMPLE_HEAD)
    for column in ("symbol", "signals", "latest bar with a signal", "latest signals"):
        table.add_column(column)
    real = [r for r in rows if r.symbol in SAMPLE_TICKERS]
    shown = real + [r for r in rows if r.symbol not in SAMPLE_TICKERS][:5]
    for row in shown:
        latest = connection.execute(
            select(Signal.signal, Signal.direction)
            .where(Signal.symbol == row.symbol, Signal.ts == row.last_ts)
            .order_by(Signal.signal)
        ).all()
        table.add_row(
            row.symbol,
            str(row.n),
            _date(row.last_ts),
            ", ".join(f"{s.signal} {s.direction}" for s in latest)[:70],
        )
    console.print(table)


def _snapshot(connection: Any) -> None:
    """One column per real ticker, one row per indicator (fits a terminal; the store has every symbol)."""
    rows = connection.execute(
        text("SELECT symbol, ts, close, indicator_values FROM indicator_snapshots ORDER BY symbol")
    ).all()
    real = [r for r in rows if r.symbol in SAMPLE_TICKERS] or rows[:5]
    if not real:
        console.print("no indicator snapshot was stored")
        return
    values = [_json(r.indicator_values) for r in real]
    keys = [k for k in SNAPSHOT_KEYS if any(k in v for v in values)]
    others = [k for k in sorted(values[0]) if k not in keys and not k.startswith("cdl")]
    keys += others[: max(0, 10 - len(keys))]
    table = Table(title=f"latest indicator snapshot ({len(rows)} symbols stored)", box=box.SIMPLE_HEAD)
    table.add_column("", no_wrap=True)
    for row in real:
        table.add_column(row.symbol, justify="right")
    table.add_row("bar", *(_date(r.ts) for r in real))
    table.add_row("close", *(_number(r.close) for r in real))
    for key in keys:
        table.add_row(key, *(_number(v.get(key)) for v in values))
    console.print(table)


def _alerts(connection: Any) -> None:
    counts = dict(
        connection.execute(text("SELECT status, COUNT(*) FROM alert_firings GROUP BY status")).all()
    )
    latest = connection.execute(
        text(
            "SELECT symbol, bar_ts, message, sink, status FROM alert_firings"
            " ORDER BY created_at DESC, id DESC"
        )
    ).fetchmany(5)
    summary = ", ".join(f"{n} {status}" for status, n in sorted(counts.items())) or "none"
    table = Table(title=f"alerts fired: {summary}", box=box.SIMPLE_HEAD)
    for column in ("symbol", "bar", "alert", "sink", "status"):
        table.add_column(column)
    for row in latest:
        table.add_row(row.symbol, _date(row.bar_ts), row.message[:80], row.sink, row.status)
    console.print(table)


def _portfolio(connection: Any) -> None:
    row = connection.execute(
        text("SELECT portfolio, summary FROM portfolio_reports ORDER BY created_at DESC, id DESC")
    ).first()
    if row is None:
        console.print("no portfolio report was stored")
        return
    report = _json(row.summary)
    summary = report.get("summary", report)
    table = Table(
        title=f"portfolio {row.portfolio or '(inline)'}: {summary.get('start')} to {summary.get('as_of')}",
        box=box.SIMPLE_HEAD,
    )
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, pattern in PORTFOLIO_METRICS:
        label = (
            f"{key} ({summary['confidence']:.0%})"
            if key in ("var", "cvar") and "confidence" in summary
            else key
        )
        table.add_row(label, _number(summary.get(key), pattern))
    console.print(table)


def print_jobs(engine: Engine, since_ms: int) -> int:
    """A table of the jobs run since ``since_ms`` by type and status; returns how many completed."""
    query = (
        select(
            JobRecord.job_type,
            JobRecord.status,
            func.count(),
            func.min(JobRecord.started_at),
            func.max(JobRecord.finished_at),
        )
        .where(JobRecord.created_at >= since_ms)
        .group_by(JobRecord.job_type, JobRecord.status)
        .order_by(JobRecord.job_type, JobRecord.status)
    )
    with engine.connect() as connection:
        rows = connection.execute(query).all()
        bars = connection.execute(text("SELECT COUNT(*) FROM bars")).scalar_one()
    table = Table(title=f"jobs run ({bars:,} bars in the store)", box=box.SIMPLE_HEAD)
    for column in ("job type", "status", "jobs", "first start to last finish"):
        table.add_column(column, justify="right" if column in ("jobs",) else "left")
    for job_type, status, count, first, last in rows:
        span = "-" if first is None or last is None else f"{(last - first) / MS_PER_SECOND:.1f} s"
        table.add_row(job_type, status, str(count), span)
    console.print(table)
    return sum(count for _, status, count, _, _ in rows if status == "completed")
