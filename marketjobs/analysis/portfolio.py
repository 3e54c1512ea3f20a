"""Portfolio maths on Polars frames: positions + daily closes (+ a benchmark) into a :class:`PortfolioReport`.

Inputs
------
positions
    ``symbol``, ``quantity`` (> 0; short positions are not supported) and ``cost_basis`` (the position's total
    cost, or the cost per unit with ``cost_basis="per_unit"``). Several lots of one symbol are summed.
prices
    ``date`` (Date or Datetime), ``symbol``, ``close`` (> 0); one row per date and symbol; other symbols are
    ignored. Only dates on which every held symbol has a close are used, and the dropped dates are counted.

The portfolio is buy-and-hold at today's quantities: ``value[t] = sum(quantity * close[t])``. Metric
conventions are in :mod:`marketjobs.analysis.risk`.
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from marketjobs.analysis import risk
from marketjobs.analysis._checks import require_columns, require_numeric
from marketjobs.analysis.report import PortfolioReport, PortfolioSummary
from marketjobs.errors import ParameterError

__all__ = ["aligned_closes", "analyse_portfolio", "correlation_matrix", "portfolio_values", "position_table"]

CostBasis = Literal["total", "per_unit"]


def _positions(positions: pl.DataFrame, cost_basis: CostBasis) -> pl.DataFrame:
    require_columns(positions, ["symbol", "quantity", "cost_basis"], name="positions")
    require_numeric(positions, ["quantity", "cost_basis"], name="positions")
    if cost_basis not in ("total", "per_unit"):
        raise ParameterError(f"cost_basis={cost_basis!r} is not 'total' or 'per_unit'; pass one of those.")
    if positions.is_empty():
        raise ParameterError("positions is empty; pass at least one (symbol, quantity, cost_basis) row.")
    frame = positions.select(
        pl.col("symbol").cast(pl.String),
        pl.col("quantity").cast(pl.Float64),
        pl.col("cost_basis").cast(pl.Float64),
    )
    if (
        frame.null_count().sum_horizontal().item()
        or not frame.select(pl.all_horizontal(pl.col("quantity", "cost_basis").is_finite().all())).item()
    ):
        raise ParameterError(
            "positions has null or non-finite values; every row needs symbol, quantity, cost."
        )
    shorts = frame.filter(pl.col("quantity") <= 0).get_column("symbol").to_list()
    if shorts:
        raise ParameterError(
            f"positions {shorts} have quantity <= 0; short and closed positions are not supported, so "
            "remove those rows."
        )
    if (frame.get_column("cost_basis") < 0).any():
        raise ParameterError("positions has a negative cost_basis; pass what was paid (>= 0).")
    reserved = sorted({"date", "symbol"} & set(frame.get_column("symbol")))
    if reserved:
        raise ParameterError(
            f"symbol(s) {reserved} clash with column names; rename them (e.g. '{reserved[0]}.X')."
        )
    if cost_basis == "per_unit":
        frame = frame.with_columns(pl.col("cost_basis") * pl.col("quantity"))
    return frame.group_by("symbol", maintain_order=True).agg(pl.col("quantity", "cost_basis").sum())


def aligned_closes(prices: pl.DataFrame, symbols: list[str]) -> tuple[pl.DataFrame, int]:
    """Closes of ``symbols`` pivoted to one column each, on the dates where all of them have a close.

    Returns
    -------
    tuple
        The wide frame (``date`` plus one Float64 column per symbol, sorted by date) and how many price dates
        were dropped because some symbol had no close on them.
    """
    require_columns(prices, ["date", "symbol", "close"], name="prices")
    require_numeric(prices, ["close"], name="prices")
    if prices.schema["date"] not in (pl.Date, pl.Datetime):
        raise ParameterError(f"prices column 'date' has dtype {prices.schema['date']}; cast it to pl.Date.")
    held = prices.filter(pl.col("symbol").cast(pl.String).is_in(symbols)).select(
        "date", pl.col("symbol").cast(pl.String), pl.col("close").cast(pl.Float64)
    )
    missing = sorted(set(symbols) - set(held.get_column("symbol").unique().to_list()))
    if missing:
        raise ParameterError(f"prices has no rows for held symbol(s) {missing}; import their bars first.")
    if held.select(pl.struct("date", "symbol").is_duplicated().any()).item():
        raise ParameterError("prices repeats a (date, symbol) pair; use prices.unique(['date', 'symbol']).")
    if not held.select((pl.col("close") > 0).all() & pl.col("close").is_finite().all()).item():
        raise ParameterError("prices has null, non-finite or non-positive closes; drop or fix those rows.")
    wide = held.pivot(on="symbol", index="date", values="close").sort("date")
    common = wide.drop_nulls().select("date", *symbols)
    return common, wide.height - common.height


def portfolio_values(closes: pl.DataFrame, positions: pl.DataFrame) -> pl.DataFrame:
    """``date, value, return, drawdown`` of the buy-and-hold portfolio over the aligned ``closes``."""
    value = pl.sum_horizontal(
        pl.col(symbol) * quantity for symbol, quantity in positions.select("symbol", "quantity").iter_rows()
    )
    return closes.select("date", value.alias("value")).with_columns(
        pl.col("value").pct_change().alias("return"),
        (1.0 - pl.col("value") / pl.col("value").cum_max()).alias("drawdown"),
    )


def position_table(positions: pl.DataFrame, last_closes: dict[str, float]) -> pl.DataFrame:
    """Per-symbol market value, weight and unrealised P&L at the given closes."""
    table = positions.with_columns(
        close=pl.col("symbol").replace_strict(last_closes, return_dtype=pl.Float64)
    ).with_columns(market_value=pl.col("quantity") * pl.col("close"))
    return table.with_columns(
        weight=pl.col("market_value") / pl.col("market_value").sum(),
        unrealised_pnl=pl.col("market_value") - pl.col("cost_basis"),
    ).with_columns(
        unrealised_pnl_pct=pl.when(pl.col("cost_basis") > 0).then(
            pl.col("unrealised_pnl") / pl.col("cost_basis")
        )
    )


def correlation_matrix(closes: pl.DataFrame) -> pl.DataFrame:
    """Pearson correlation of the daily returns of every symbol column of ``closes`` (all but ``date``)."""
    symbols = [column for column in closes.columns if column != "date"]
    returns = closes.select(pl.col(symbols).pct_change()).slice(1)
    pairs = returns.select(
        pl.corr(a, b).fill_nan(None).alias(f"{i},{j}")
        for i, a in enumerate(symbols)
        for j, b in enumerate(symbols)
        if i <= j
    ).row(0, named=True)
    cells = {
        (i, j): pairs[f"{min(i, j)},{max(i, j)}"] for i in range(len(symbols)) for j in range(len(symbols))
    }
    columns = {b: [cells[i, j] for i in range(len(symbols))] for j, b in enumerate(symbols)}
    return pl.DataFrame({"symbol": symbols, **columns}, schema_overrides=dict.fromkeys(symbols, pl.Float64))


def _benchmark_closes(benchmark: pl.DataFrame | str, prices: pl.DataFrame) -> pl.DataFrame:
    if isinstance(benchmark, str):
        closes, _ = aligned_closes(prices, [benchmark])
        return closes.select("date", pl.col(benchmark).alias("benchmark"))
    require_columns(benchmark, ["date", "close"], name="benchmark")
    require_numeric(benchmark, ["close"], name="benchmark")
    if benchmark.schema["date"] != prices.schema["date"]:
        raise ParameterError(
            f"benchmark dates are {benchmark.schema['date']} but price dates are {prices.schema['date']}; "
            "cast the benchmark's 'date' column to match."
        )
    frame = benchmark.select("date", pl.col("close").cast(pl.Float64).alias("benchmark")).sort("date")
    if frame.get_column("date").is_duplicated().any():
        raise ParameterError("benchmark repeats a date; use benchmark.unique('date').")
    if not frame.select((pl.col("benchmark") > 0).all() & pl.col("benchmark").is_finite().all()).item():
        raise ParameterError("benchmark has null, non-finite or non-positive closes; drop or fix them.")
    return frame


def analyse_portfolio(
    positions: pl.DataFrame,
    prices: pl.DataFrame,
    *,
    benchmark: pl.DataFrame | str | None = None,
    risk_free_rate: float = 0.0,
    confidence: float = risk.DEFAULT_CONFIDENCE,
    cost_basis: CostBasis = "total",
) -> PortfolioReport:
    """Market value, P&L, returns and risk metrics of a buy-and-hold portfolio.

    Parameters
    ----------
    positions, prices
        See the module docstring for the columns.
    benchmark
        ``date, close`` frame, or a symbol whose closes are in ``prices``; beta is ``None`` without one.
    risk_free_rate
        Annual risk-free rate for Sharpe and Sortino, e.g. ``0.04``.
    confidence
        Level of the one-day historical VaR and CVaR.
    cost_basis
        Whether ``positions.cost_basis`` is each position's ``"total"`` cost or its cost ``"per_unit"``.

    Raises
    ------
    ParameterError
        Missing columns, non-positive quantities or closes, held symbols without prices, or fewer than three
        common price dates (two daily returns); the message says what to fix.

    Examples
    --------
    >>> import datetime as dt
    >>> days = [dt.date(2024, 1, d) for d in (2, 3, 4)]
    >>> prices = pl.DataFrame({"date": days, "symbol": "A", "close": [10.0, 11.0, 9.9]})
    >>> positions = pl.DataFrame({"symbol": ["A"], "quantity": [2.0], "cost_basis": [20.0]})
    >>> report = analyse_portfolio(positions, prices)
    >>> report.summary.market_value, round(report.summary.max_drawdown, 6)
    (19.8, 0.1)
    """
    held = _positions(positions, cost_basis)
    closes, dropped = aligned_closes(prices, held.get_column("symbol").to_list())
    if closes.height < 3:
        raise ParameterError(
            f"prices share {closes.height} date(s) across the held symbols {held['symbol'].to_list()}; "
            "at least 3 common dates (2 daily returns) are needed, so import a longer history."
        )
    values = portfolio_values(closes, held)
    returns = values.get_column("return").slice(1)
    table = position_table(held, closes.drop("date").row(-1, named=True))
    drawdown = risk.max_drawdown(values)
    beta, beta_observations = None, 0
    if benchmark is not None:
        joined = values.select("date", "value").join(_benchmark_closes(benchmark, prices), on="date")
        if joined.height < 3:
            raise ParameterError(
                f"the benchmark shares {joined.height} date(s) with the portfolio; at least 3 are needed, "
                "so pass a benchmark covering the same dates."
            )
        joined = joined.select(pl.col("value", "benchmark").pct_change()).slice(1)
        beta, beta_observations = risk.beta(joined["value"], joined["benchmark"]), joined.height
    first, last = values.row(0, named=True), values.row(-1, named=True)
    cost = float(held.get_column("cost_basis").sum())
    summary = PortfolioSummary(
        start=first["date"],
        as_of=last["date"],
        observations=returns.len(),
        dates_dropped=dropped,
        market_value=last["value"],
        cost_basis=cost,
        unrealised_pnl=last["value"] - cost,
        unrealised_pnl_pct=(last["value"] - cost) / cost if cost > 0 else None,
        total_return=last["value"] / first["value"] - 1.0,
        annualised_return=float(returns.to_frame().select(pl.first().mean()).item())
        * risk.TRADING_DAYS_PER_YEAR,
        annualised_volatility=risk.annualised_volatility(returns),
        sharpe_ratio=risk.sharpe_ratio(returns, risk_free_rate=risk_free_rate),
        sortino_ratio=risk.sortino_ratio(returns, risk_free_rate=risk_free_rate),
        max_drawdown=drawdown.max_drawdown,
        max_drawdown_peak=drawdown.peak,
        max_drawdown_trough=drawdown.trough,
        beta=beta,
        beta_observations=beta_observations,
        var=risk.historical_var(returns, confidence=confidence),
        cvar=risk.historical_cvar(returns, confidence=confidence),
        confidence=confidence,
        risk_free_rate=risk_free_rate,
    )
    return PortfolioReport(
        summary=summary, positions=table, values=values, correlation=correlation_matrix(closes)
    )
