"""Portfolio metrics: hand-computed tables, numpy references under Hypothesis, edge cases and errors."""

from __future__ import annotations

import datetime as dt
import doctest
import json
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import polars as pl
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from marketjobs.analysis import portfolio, risk
from marketjobs.analysis.portfolio import analyse_portfolio
from marketjobs.errors import ParameterError

YEAR = math.sqrt(252)
DAY0 = dt.date(2024, 1, 1)


def days(n: int) -> list[dt.date]:
    return [DAY0 + dt.timedelta(days=i) for i in range(n)]


def prices_frame(closes: dict[str, list[float]]) -> pl.DataFrame:
    return pl.concat(
        pl.DataFrame({"date": days(len(series)), "symbol": symbol, "close": series})
        for symbol, series in closes.items()
    )


def positions_frame(quantities: dict[str, float], costs: dict[str, float] | None = None) -> pl.DataFrame:
    costs = costs or dict.fromkeys(quantities, 100.0)
    return pl.DataFrame(
        {
            "symbol": list(quantities),
            "quantity": list(quantities.values()),
            "cost_basis": list(costs.values()),
        }
    )


# ---------------------------------------------------------------- hand-computed risk metrics

RISK_CASES: list[tuple[str, Callable[..., Any], list[float], dict[str, Any], float | None]] = [
    ("volatility of +-1%", risk.annualised_volatility, [0.01, -0.01], {}, math.sqrt(2e-4) * YEAR),
    ("flat volatility is zero", risk.annualised_volatility, [0.0, 0.0, 0.0], {}, 0.0),
    ("sharpe", risk.sharpe_ratio, [0.01, 0.03], {}, 0.02 / math.sqrt(2e-4) * YEAR),
    (
        "sharpe less risk-free",
        risk.sharpe_ratio,
        [0.01, 0.03],
        {"risk_free_rate": 2.52},
        0.01 / 0.02**0.5 / 0.1 * YEAR,
    ),
    ("flat sharpe is undefined", risk.sharpe_ratio, [0.0, 0.0, 0.0], {}, None),
    ("constant excess sharpe is undefined", risk.sharpe_ratio, [0.01] * 4, {"risk_free_rate": 0.05}, None),
    ("sortino", risk.sortino_ratio, [0.02, -0.01, 0.02, -0.01], {}, 0.005 / math.sqrt(5e-5) * YEAR),
    ("sortino without a losing day", risk.sortino_ratio, [0.01, 0.02], {}, None),
    ("flat sortino below risk-free", risk.sortino_ratio, [0.0, 0.0], {"risk_free_rate": 0.0252}, -YEAR),
    ("var on an order statistic", risk.historical_var, [i / 100 for i in range(-10, 11)], {}, 0.09),
    ("cvar on an order statistic", risk.historical_cvar, [i / 100 for i in range(-10, 11)], {}, 0.095),
    ("var interpolated", risk.historical_var, [0.05, -0.05, 0.0], {}, 0.045),
    ("cvar interpolated", risk.historical_cvar, [0.05, -0.05, 0.0], {}, 0.05),
    ("var at 90%", risk.historical_var, [0.05, -0.05, 0.0], {"confidence": 0.9}, 0.04),
    ("var of gains is negative", risk.historical_var, [0.01, 0.02], {}, -0.0105),
    ("flat var is zero", risk.historical_var, [0.0, 0.0], {}, 0.0),
]


@pytest.mark.parametrize(("case", "metric", "returns", "kwargs", "expected"), RISK_CASES, ids=lambda v: v)
def test_risk_metric_matches_hand_computation(
    case: str,
    metric: Callable[..., Any],
    returns: list[float],
    kwargs: dict[str, Any],
    expected: float | None,
) -> None:
    result = metric(pl.Series(returns), **kwargs)
    if expected is None:
        assert result is None, case
    else:
        assert result == pytest.approx(expected, rel=1e-12, abs=1e-15), case


@pytest.mark.parametrize(
    ("portfolio_returns", "benchmark_returns", "expected"),
    [
        ([0.02, -0.02, 0.04], [0.01, -0.01, 0.02], 2.0),
        ([0.01, 0.03, 0.02], [0.01, -0.01, 0.0], -1.0),
        ([0.02, 0.02, 0.05], [0.01, -0.01, 0.0], 0.0),
        ([0.01, 0.02, 0.03], [0.01, 0.01, 0.01], None),
    ],
)
def test_beta_is_covariance_over_benchmark_variance(
    portfolio_returns: list[float], benchmark_returns: list[float], expected: float | None
) -> None:
    result = risk.beta(pl.Series(portfolio_returns), pl.Series(benchmark_returns))
    assert result == (None if expected is None else pytest.approx(expected, abs=1e-12))


@pytest.mark.parametrize(
    ("values", "expected", "peak", "trough"),
    [
        ([100, 120, 90, 130, 65, 70], 0.5, 3, 4),
        ([100, 120, 90, 110], 0.25, 1, 2),
        ([100, 120, 120, 60, 60], 0.5, 2, 3),
        ([100, 100, 100], 0.0, None, None),
        ([1, 2, 3], 0.0, None, None),
        ([3, 2, 1], 2 / 3, 0, 2),
    ],
)
def test_max_drawdown_reports_depth_and_the_peak_and_trough_dates(
    values: list[float], expected: float, peak: int | None, trough: int | None
) -> None:
    frame = pl.DataFrame({"date": days(len(values)), "value": values})
    result = risk.max_drawdown(frame)
    assert result.max_drawdown == pytest.approx(expected, abs=1e-15)
    assert result.peak == (None if peak is None else days(len(values))[peak])
    assert result.trough == (None if trough is None else days(len(values))[trough])


# ---------------------------------------------------------------- the whole report, by hand


def test_report_matches_a_hand_computed_two_symbol_portfolio() -> None:
    prices = prices_frame({"A": [10.0, 11.0, 9.0, 12.0], "B": [20.0, 20.0, 22.0, 21.0], "X": [1.0] * 4})
    positions = pl.DataFrame(
        {"symbol": ["A", "B", "A"], "quantity": [1.0, 1.0, 1.0], "cost_basis": [9.0, 25.0, 11.0]}
    )
    report = analyse_portfolio(positions, prices, benchmark="A")
    summary = report.summary
    # value = 2 * A + B: 40, 42, 40, 45
    assert report.values["value"].to_list() == [40.0, 42.0, 40.0, 45.0]
    returns = [0.05, -2 / 42, 0.125]
    assert summary.observations == 3
    assert summary.market_value == 45.0
    assert summary.cost_basis == 45.0
    assert summary.unrealised_pnl == 0.0
    assert summary.unrealised_pnl_pct == 0.0
    assert summary.total_return == pytest.approx(0.125)
    assert summary.annualised_return == pytest.approx(sum(returns) / 3 * 252)
    assert summary.max_drawdown == pytest.approx(2 / 42)
    assert (summary.max_drawdown_peak, summary.max_drawdown_trough) == (days(4)[1], days(4)[2])
    assert summary.var == pytest.approx(-(-2 / 42 + 0.1 * (0.05 + 2 / 42)))
    assert summary.cvar == pytest.approx(2 / 42)
    assert summary.beta_observations == 3
    rows = {row["symbol"]: row for row in report.positions.iter_rows(named=True)}
    assert rows["A"]["quantity"] == 2.0
    assert rows["A"]["market_value"] == 24.0
    assert rows["A"]["unrealised_pnl"] == 4.0
    assert rows["A"]["unrealised_pnl_pct"] == pytest.approx(0.2)
    assert rows["B"]["unrealised_pnl_pct"] == pytest.approx(-4 / 25)
    assert rows["A"]["weight"] == pytest.approx(24 / 45)
    assert report.correlation["symbol"].to_list() == ["A", "B"]
    assert report.correlation["A"][0] == pytest.approx(1.0)


def test_per_unit_cost_basis_is_multiplied_by_quantity() -> None:
    prices = prices_frame({"A": [10.0, 11.0, 12.0]})
    report = analyse_portfolio(positions_frame({"A": 3.0}, {"A": 10.0}), prices, cost_basis="per_unit")
    assert report.summary.cost_basis == 30.0
    assert report.summary.unrealised_pnl == pytest.approx(6.0)
    assert report.summary.unrealised_pnl_pct == pytest.approx(0.2)


def test_dates_missing_a_held_symbol_are_dropped_and_counted() -> None:
    prices = prices_frame({"A": [10.0, 11.0, 12.0, 13.0], "B": [5.0, 5.0, 5.0]})
    report = analyse_portfolio(positions_frame({"A": 1.0, "B": 1.0}), prices)
    assert report.summary.dates_dropped == 1
    assert report.summary.as_of == days(3)[2]


def test_flat_prices_give_zero_volatility_and_undefined_ratios_without_dividing_by_zero() -> None:
    prices = prices_frame({"A": [10.0] * 5, "B": [3.0] * 5})
    benchmark = pl.DataFrame({"date": days(5), "close": [100.0] * 5})
    report = analyse_portfolio(positions_frame({"A": 1.0, "B": 2.0}), prices, benchmark=benchmark)
    summary = report.summary
    assert summary.annualised_volatility == 0.0
    assert (summary.sharpe_ratio, summary.sortino_ratio, summary.beta) == (None, None, None)
    assert (summary.var, summary.cvar, summary.max_drawdown) == (0.0, 0.0, 0.0)
    assert summary.max_drawdown_peak is None
    assert report.correlation.drop("symbol").null_count().sum_horizontal().item() == 4
    json.dumps(report.to_dict(), allow_nan=False)


def test_zero_cost_basis_leaves_the_pnl_percentage_undefined() -> None:
    report = analyse_portfolio(positions_frame({"A": 1.0}, {"A": 0.0}), prices_frame({"A": [1.0, 2.0, 3.0]}))
    assert report.summary.unrealised_pnl_pct is None
    assert report.to_dict()["positions"][0]["unrealised_pnl_pct"] is None


def test_to_dict_is_json_with_iso_dates() -> None:
    prices = prices_frame({"A": [10.0, 12.0, 9.0, 11.0], "B": [1.0, 1.1, 1.2, 1.0]})
    report = analyse_portfolio(positions_frame({"A": 1.0, "B": 5.0}), prices, benchmark="B")
    data = json.loads(json.dumps(report.to_dict(), allow_nan=False))
    assert data["summary"]["as_of"] == "2024-01-04"
    assert data["summary"]["max_drawdown_peak"] == "2024-01-02"
    assert set(data["correlation"]) == {"A", "B"}
    assert data["correlation"]["A"]["B"] == data["correlation"]["B"]["A"]


def test_benchmark_given_as_a_frame_or_as_a_symbol_agree() -> None:
    prices = prices_frame({"A": [10.0, 12.0, 9.0, 11.0], "SPY": [100.0, 101.0, 99.0, 103.0]})
    by_frame = analyse_portfolio(
        positions_frame({"A": 1.0}),
        prices,
        benchmark=prices.filter(pl.col("symbol") == "SPY").select("date", "close").reverse(),
    )
    assert by_frame.summary == analyse_portfolio(positions_frame({"A": 1.0}), prices, benchmark="SPY").summary
    assert by_frame.summary.beta is not None


def test_datetime_dates_are_accepted() -> None:
    prices = prices_frame({"A": [10.0, 11.0, 10.5]}).with_columns(pl.col("date").cast(pl.Datetime("us")))
    assert analyse_portfolio(positions_frame({"A": 1.0}), prices).summary.as_of == dt.datetime(2024, 1, 3)


def test_the_docstring_example_runs() -> None:
    assert doctest.testmod(portfolio, raise_on_error=False).failed == 0


# ---------------------------------------------------------------- errors name the fix

GOOD_PRICES = prices_frame({"A": [10.0, 11.0, 12.0], "B": [5.0, 6.0, 5.5]})
GOOD_POSITIONS = positions_frame({"A": 1.0, "B": 2.0})


@pytest.mark.parametrize(
    ("positions", "prices", "kwargs", "message"),
    [
        (GOOD_POSITIONS.drop("cost_basis"), GOOD_PRICES, {}, r"missing column\(s\) \['cost_basis'\].*rename"),
        (GOOD_POSITIONS, GOOD_PRICES.rename({"close": "px"}), {}, r"prices is missing .*'close'"),
        (GOOD_POSITIONS.head(0), GOOD_PRICES, {}, "positions is empty"),
        (positions_frame({"A": -1.0}), GOOD_PRICES, {}, r"\['A'\] have quantity <= 0; short and closed"),
        (positions_frame({"A": 0.0}), GOOD_PRICES, {}, "remove those rows"),
        (positions_frame({"date": 1.0}), GOOD_PRICES, {}, r"\['date'\] clash with column names; rename"),
        (positions_frame({"A": 1.0}, {"A": -5.0}), GOOD_PRICES, {}, "negative cost_basis"),
        (positions_frame({"A": math.nan}), GOOD_PRICES, {}, "null or non-finite"),
        (
            GOOD_POSITIONS.with_columns(pl.col("quantity").cast(pl.String)),
            GOOD_PRICES,
            {},
            r"cast\(pl.Float64\)",
        ),
        (positions_frame({"Z": 1.0}), GOOD_PRICES, {}, r"no rows for held symbol\(s\) \['Z'\]; import"),
        (
            GOOD_POSITIONS,
            pl.concat([GOOD_PRICES, GOOD_PRICES.head(1)]),
            {},
            r"unique\(\['date', 'symbol'\]\)",
        ),
        (GOOD_POSITIONS, GOOD_PRICES.with_columns(close=pl.lit(0.0)), {}, "non-positive closes"),
        (GOOD_POSITIONS, GOOD_PRICES.with_columns(pl.col("date").cast(pl.String)), {}, r"cast it to pl.Date"),
        (GOOD_POSITIONS, GOOD_PRICES.head(2), {}, r"no rows for held symbol\(s\) \['B'\]"),
        (positions_frame({"A": 1.0}), GOOD_PRICES.head(2), {}, "at least 3 common dates"),
        (
            GOOD_POSITIONS,
            prices_frame({"A": [1.0, 2.0, 3.0]}).vstack(
                pl.DataFrame({"date": days(6)[3:], "symbol": "B", "close": [1.0, 2.0, 3.0]})
            ),
            {},
            r"share 0 date\(s\).*import a longer history",
        ),
        (GOOD_POSITIONS, GOOD_PRICES, {"benchmark": "Z"}, r"\['Z'\]; import their bars"),
        (
            GOOD_POSITIONS,
            GOOD_PRICES,
            {"benchmark": pl.DataFrame({"date": days(2), "close": [1.0, 2.0]})},
            "benchmark shares 2 date",
        ),
        (GOOD_POSITIONS, GOOD_PRICES, {"benchmark": pl.DataFrame({"day": days(3)})}, "benchmark is missing"),
        (
            GOOD_POSITIONS,
            GOOD_PRICES,
            {"benchmark": pl.DataFrame({"date": ["2024-01-01"], "close": [1.0]})},
            "cast the benchmark's 'date' column to match",
        ),
        (GOOD_POSITIONS, GOOD_PRICES, {"confidence": 95}, "strictly between 0 and 1, e.g. 0.95"),
        (GOOD_POSITIONS, GOOD_PRICES, {"risk_free_rate": math.inf}, "pass e.g. 0.04"),
        (GOOD_POSITIONS, GOOD_PRICES, {"cost_basis": "avg"}, "'total' or 'per_unit'"),
    ],
)
def test_bad_input_raises_a_parameter_error_that_names_the_fix(
    positions: pl.DataFrame, prices: pl.DataFrame, kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ParameterError, match=message):
        analyse_portfolio(positions, prices, **kwargs)


@pytest.mark.parametrize("returns", [[], [0.01], [0.01, None], [0.01, math.nan], [0.01, math.inf]])
def test_risk_metrics_need_two_finite_returns(returns: list[float | None]) -> None:
    with pytest.raises(ParameterError, match=r"at least 2 daily returns|null or non-finite"):
        risk.annualised_volatility(pl.Series(returns, dtype=pl.Float64))


def test_beta_needs_aligned_series() -> None:
    with pytest.raises(ParameterError, match="align them on common dates"):
        risk.beta(pl.Series([0.1, 0.2, 0.3]), pl.Series([0.1, 0.2]))


# ---------------------------------------------------------------- numpy references under Hypothesis


def approx_or_none(expected: float | None) -> Any:
    return None if expected is None else pytest.approx(expected, rel=1e-9, abs=1e-12)


def ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator <= risk.ZERO_VOLATILITY else numerator / denominator * YEAR


def reference_metrics(
    closes: np.ndarray, quantities: np.ndarray, benchmark: np.ndarray, risk_free_rate: float
) -> dict[str, Any]:
    """Straightforward numpy versions of every metric, with the conventions of marketjobs.analysis.risk."""
    values = np.zeros(len(closes))
    for column, quantity in enumerate(quantities):
        values = values + quantity * closes[:, column]
    returns = values[1:] / values[:-1] - 1
    excess = returns - risk_free_rate / 252
    quantile = np.quantile(returns, 1 - 0.95)
    peaks = np.maximum.accumulate(values)
    drawdowns = 1 - values / peaks
    trough = int(np.argmax(drawdowns))
    peak = max(i for i in range(trough + 1) if values[i] == peaks[i])
    benchmark_returns = benchmark[1:] / benchmark[:-1] - 1
    symbol_returns = closes[1:] / closes[:-1] - 1
    correlation = [
        [
            None
            if min(symbol_returns[:, i].std(), symbol_returns[:, j].std()) == 0
            else float(np.corrcoef(symbol_returns[:, i], symbol_returns[:, j])[0, 1])
            for i in range(len(quantities))
        ]
        for j in range(len(quantities))
    ]
    return {
        "market_value": values[-1],
        "total_return": values[-1] / values[0] - 1,
        "annualised_return": returns.mean() * 252,
        "annualised_volatility": returns.std(ddof=1) * YEAR,
        "sharpe_ratio": ratio(excess.mean(), excess.std(ddof=1)),
        "sortino_ratio": ratio(excess.mean(), math.sqrt(np.mean(np.minimum(excess, 0) ** 2))),
        "var": -quantile,
        "cvar": -returns[returns <= quantile].mean(),
        "max_drawdown": drawdowns[trough],
        "max_drawdown_peak": days(len(values))[peak] if drawdowns[trough] > 0 else None,
        "max_drawdown_trough": days(len(values))[trough] if drawdowns[trough] > 0 else None,
        "beta": None
        if benchmark_returns.std(ddof=1) <= risk.ZERO_VOLATILITY
        else np.cov(returns, benchmark_returns, ddof=1)[0, 1] / benchmark_returns.var(ddof=1),
        "correlation": correlation,
    }


@st.composite
def portfolios(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    symbols = draw(st.integers(1, 3))
    dates = draw(st.integers(3, 30))
    cents = st.integers(100, 20_000)
    closes = draw(
        st.lists(st.lists(cents, min_size=symbols, max_size=symbols), min_size=dates, max_size=dates)
    )
    quantities = draw(st.lists(st.integers(1, 4_000), min_size=symbols, max_size=symbols))
    benchmark = draw(st.lists(cents, min_size=dates, max_size=dates))
    risk_free_rate = draw(st.sampled_from([0.0, 0.01, 0.05]))
    return np.array(closes) / 100, np.array(quantities) / 4, np.array(benchmark) / 100, risk_free_rate


FLAT = (np.full((5, 2), 10.0), np.array([1.0, 2.0]), np.full(5, 3.0), 0.05)
ONE_LOSS = (np.array([[10.0], [10.0], [9.0], [9.0]]), np.array([1.0]), np.array([1.0, 2.0, 1.0, 2.0]), 0.0)


@settings(max_examples=150, deadline=None)
@given(portfolios())
@example(FLAT)
@example(ONE_LOSS)
def test_report_matches_numpy_reference(case: tuple[np.ndarray, np.ndarray, np.ndarray, float]) -> None:
    closes, quantities, benchmark, risk_free_rate = case
    symbols = [f"S{i}" for i in range(len(quantities))]
    prices = prices_frame({symbol: closes[:, i].tolist() for i, symbol in enumerate(symbols)})
    positions = positions_frame(dict(zip(symbols, quantities.tolist(), strict=True)))
    bench = pl.DataFrame({"date": days(len(benchmark)), "close": benchmark})
    report = analyse_portfolio(positions, prices, benchmark=bench, risk_free_rate=risk_free_rate)
    expected = reference_metrics(closes, quantities, benchmark, risk_free_rate)
    summary = report.summary.to_dict()
    for name, value in expected.items():
        if name == "correlation":
            assert report.correlation.drop("symbol").rows() == [
                tuple(approx_or_none(cell) for cell in row) for row in value
            ]
        elif isinstance(value, dt.date) or value is None:
            assert summary[name] == (value.isoformat() if value else None), name
        else:
            assert summary[name] == approx_or_none(float(value)), name
