"""The ``portfolio_analysis`` job: parameters checked at send, metrics from stored bars, reports stored."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dramatiq
import numpy as np
import polars as pl
import pytest
from sqlalchemy import Engine, select

from marketjobs.errors import ParameterError
from marketjobs.jobs import current_job, request_cancel
from marketjobs.services import portfolio_run
from marketjobs.store.bars_io import upsert_bars
from marketjobs.store.portfolios import PortfolioReport, PositionSpec, save_portfolio
from tests.actors.conftest import actor_module, store, wait_for
from tests.conftest import wait_until

pytestmark = pytest.mark.parametrize("broker", ["stub", "sqlite"], indirect=True)

StartWorker = Callable[..., dramatiq.Worker]
#: First bar day of the seeded history (a Monday).
FIRST_DAY = date(2024, 1, 1)
DAYS = 60


@pytest.fixture
def module(broker: dramatiq.Broker) -> Iterator[Any]:
    """The ``actors.portfolio_analysis`` module, its actor bound to the test's broker for the test."""
    with actor_module(broker, "portfolio_analysis", "portfolio_analysis") as loaded:
        yield loaded


@pytest.fixture
def portfolio_analysis(module: Any) -> Any:
    """The real ``portfolio_analysis`` actor."""
    return module.portfolio_analysis


def closes_of(seed: int, start: float) -> np.ndarray:
    """A seeded random walk of DAYS daily closes."""
    returns = np.random.default_rng(seed).normal(0.0005, 0.02, DAYS)
    return np.asarray(start * np.cumprod(1.0 + returns))


def seed_bars(
    engine: Engine, symbol: str, closes: np.ndarray, *, skip: int | None = None, hour: int = 21
) -> None:
    """One bar per day from FIRST_DAY (none on day ``skip``) at ``hour`` UTC."""
    days = [i for i in range(len(closes)) if i != skip]
    frame = pl.DataFrame(
        {
            "symbol": symbol,
            "ts": [datetime(2024, 1, 1, hour, tzinfo=UTC) + timedelta(days=i) for i in days],
            "close": [float(closes[i]) for i in days],
        }
    ).with_columns(
        open=pl.col("close"), high=pl.col("close") * 1.01, low=pl.col("close") * 0.99, volume=pl.lit(1e6)
    )
    upsert_bars(engine, frame)


def numpy_metrics(values: np.ndarray, benchmark: np.ndarray, risk_free_rate: float) -> dict[str, float]:
    """The metrics recomputed independently with numpy, following the conventions of analysis.risk."""
    returns = values[1:] / values[:-1] - 1.0
    excess = returns - risk_free_rate / 252
    bench = benchmark[1:] / benchmark[:-1] - 1.0
    quantile = np.quantile(returns, 0.05)
    return {
        "market_value": values[-1],
        "annualised_volatility": np.std(returns, ddof=1) * np.sqrt(252),
        "sharpe_ratio": excess.mean() / np.std(excess, ddof=1) * np.sqrt(252),
        "sortino_ratio": excess.mean() / np.sqrt(np.mean(np.minimum(excess, 0.0) ** 2)) * np.sqrt(252),
        "max_drawdown": np.max(1.0 - values / np.maximum.accumulate(values)),
        "beta": np.cov(returns, bench, ddof=1)[0, 1] / np.var(bench, ddof=1),
        "var": -quantile,
        "cvar": -returns[returns <= quantile].mean(),
        "total_return": values[-1] / values[0] - 1.0,
    }


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"portfolio": "core", "positions": [{"symbol": "A", "quantity": 1, "average_price": 1}]},
            "give either portfolio .* or positions .*, not both",
        ),
        (
            {"positions": [{"symbol": "A", "quantity": 0, "average_price": 1}]},
            "quantity: Input should be greater",
        ),
        ({"positions": []}, "positions: List should have at least 1 item"),
        (
            {"portfolio": "core", "lookback_bars": 1},
            "lookback_bars: Input should be greater than or equal to 2",
        ),
        ({"portfolio": "core", "risk_free_rate": 4}, "risk_free_rate: Input should be less than 1"),
        ({"portfolio": "  "}, "portfolio must not be blank"),
        ({"portfolio": "core", "window": 5}, "window: Extra inputs are not permitted"),
        (
            {
                "positions": [
                    {"symbol": "A", "quantity": 1},
                    {"symbol": "A", "quantity": 1, "average_price": 2},
                ]
            },
            "lots of A mix with and without average_price; give it for all or none",
        ),
    ],
)
def test_bad_parameters_fail_at_send_time(
    portfolio_analysis: Any, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(ParameterError, match=match):
        portfolio_analysis.send(**kwargs)


def test_stored_portfolio_metrics_match_numpy_and_the_report_is_stored(
    broker: dramatiq.Broker, start_worker: StartWorker, portfolio_analysis: Any
) -> None:
    engine = store(broker)
    a, b, spy = closes_of(1, 100.0), closes_of(2, 50.0), closes_of(3, 400.0)
    seed_bars(engine, "AAA", a)
    seed_bars(engine, "BBB", b, skip=DAYS - 5)  # a hole inside the window: that date is dropped
    seed_bars(engine, "SPY", spy)
    save_portfolio(
        engine,
        "core",
        [PositionSpec("AAA", 10, 90.0), PositionSpec("BBB", 20, 40.0), PositionSpec("BBB", 20, 60.0)],
        benchmark="SPY",
    )
    start_worker()
    message = portfolio_analysis.send(portfolio="core", lookback_bars=30, risk_free_rate=0.03)
    done = wait_for(broker, message.message_id, "completed")

    window = [i for i in range(DAYS) if i != DAYS - 5][-31:]  # the last 31 common dates
    values = 10 * a[window] + 40 * b[window]
    expected = numpy_metrics(values, spy[window], 0.03)
    assert done.result is not None
    assert (done.result["portfolios"], done.result["failed"], done.result["stopped"]) == (1, {}, False)
    [entry] = done.result["reports"]
    summary = entry["summary"]
    for key, value in expected.items():
        assert summary[key] == pytest.approx(value, rel=1e-9), key
    assert summary["observations"] == 30
    assert summary["dates_dropped"] == 1
    assert summary["start"] == (FIRST_DAY + timedelta(days=window[0])).isoformat()
    assert summary["cost_basis"] == pytest.approx(10 * 90 + 40 * 50)  # the two BBB lots at 50 on average
    assert summary["unrealised_pnl"] == pytest.approx(values[-1] - 2900)
    last_bar = datetime(2024, 1, 1, 21, tzinfo=UTC) + timedelta(days=DAYS - 1)
    assert entry["as_of"] == int(last_bar.timestamp() * 1000)
    assert done.progress == 100

    with engine.connect() as connection:
        report = connection.execute(select(PortfolioReport)).one()
    assert (report.id, report.portfolio, report.job_id) == (entry["report_id"], "core", message.message_id)
    assert report.as_of == entry["as_of"]
    correlation = report.summary["correlation"]
    ra, rb = (np.diff(x[window]) / x[window][:-1] for x in (a, b))
    assert correlation["AAA"]["BBB"] == pytest.approx(np.corrcoef(ra, rb)[0, 1], rel=1e-9)
    assert correlation["AAA"]["AAA"] == pytest.approx(1.0)
    assert report.summary["benchmark"] == "SPY"
    assert [p["symbol"] for p in report.summary["positions"]] == ["AAA", "BBB"]


def test_inline_positions_are_analysed_up_to_the_end_date_and_stored_without_a_portfolio(
    broker: dramatiq.Broker, start_worker: StartWorker, portfolio_analysis: Any
) -> None:
    engine = store(broker)
    a = closes_of(4, 20.0)
    seed_bars(engine, "AAA", a, hour=14)
    seed_bars(engine, "AAA", a * 1.5, hour=20)  # a later bar on the same day: its close is the day's close
    start_worker()
    end = FIRST_DAY + timedelta(days=39)
    message = portfolio_analysis.send(
        positions=[{"symbol": "AAA", "quantity": 3, "average_price": 25}],
        end=end.isoformat(),
        lookback_bars=10,
    )
    done = wait_for(broker, message.message_id, "completed")
    assert done.result is not None
    [entry] = done.result["reports"]
    assert entry["portfolio"] is None
    assert entry["benchmark"] is None
    summary = entry["summary"]
    assert summary["as_of"] == end.isoformat()
    assert summary["observations"] == 10
    assert summary["market_value"] == pytest.approx(3 * a[39] * 1.5)
    assert summary["beta"] is None
    expected = numpy_metrics(3 * 1.5 * a[29:40], 1.5 * a[29:40], 0.0)
    assert summary["annualised_volatility"] == pytest.approx(expected["annualised_volatility"], rel=1e-9)
    with engine.connect() as connection:
        stored = connection.execute(select(PortfolioReport.portfolio, PortfolioReport.job_id)).one()
    assert tuple(stored) == (None, message.message_id)


def test_missing_bars_send_the_job_to_dead_letters_saying_what_to_import(
    broker: dramatiq.Broker, start_worker: StartWorker, portfolio_analysis: Any
) -> None:
    engine = store(broker)
    seed_bars(engine, "AAA", closes_of(5, 10.0))
    save_portfolio(
        engine, "core", [PositionSpec("AAA", 1, 10.0), PositionSpec("ZZZ", 1, 10.0)], benchmark="SPY"
    )
    start_worker()
    message = portfolio_analysis.send(portfolio="core")
    dead = wait_for(broker, message.message_id, "dead")
    assert dead.attempts == 1  # a ParameterError is not retried
    assert dead.error is not None
    assert "no bars stored for ZZZ, SPY (benchmark); import their daily history first" in dead.error
    assert "marketjobs import PATH --symbol ZZZ" in dead.error


def test_no_portfolio_is_a_no_op_and_unknown_ones_or_short_histories_are_parameter_errors(
    broker: dramatiq.Broker, module: Any
) -> None:
    engine = store(broker)
    nothing = portfolio_run.analyse_portfolios(
        engine, module.targets_for(engine, module.PortfolioAnalysisParams())
    )
    assert nothing.as_dict() == {"portfolios": 0, "reports": [], "failed": {}, "stopped": False}
    with pytest.raises(
        ParameterError, match="no portfolio named 'nope'; create it with `marketjobs portfolios add"
    ):
        module.targets_for(engine, module.PortfolioAnalysisParams(portfolio="nope"))
    seed_bars(engine, "AAA", closes_of(6, 10.0)[:2])
    target = portfolio_run.Target(None, [PositionSpec("AAA", 1, 10.0)], None)
    with pytest.raises(ParameterError, match=r"at least 3 common dates .* import a longer history"):
        portfolio_run.analyse_target(engine, target)


def test_every_portfolio_is_analysed_by_default_and_one_failure_does_not_stop_the_others(
    broker: dramatiq.Broker, start_worker: StartWorker, portfolio_analysis: Any
) -> None:
    engine = store(broker)
    seed_bars(engine, "AAA", closes_of(7, 10.0))
    save_portfolio(engine, "good", [PositionSpec("AAA", 2, 10.0)])
    save_portfolio(engine, "bad", [PositionSpec("NOPE", 2, 10.0)])
    start_worker()
    message = portfolio_analysis.send()  # what the daily schedule sends
    done = wait_for(broker, message.message_id, "completed")
    assert done.result is not None
    assert done.result["portfolios"] == 2
    assert [r["portfolio"] for r in done.result["reports"]] == ["good"]
    assert list(done.result["failed"]) == ["bad"]
    assert "no bars stored for NOPE" in done.result["failed"]["bad"]


def test_benchmark_parameter_overrides_the_portfolios_and_empty_turns_beta_off(
    broker: dramatiq.Broker, module: Any
) -> None:
    engine = store(broker)
    save_portfolio(engine, "core", [PositionSpec("AAA", 1, 1.0)], benchmark="SPY")
    params = module.PortfolioAnalysisParams
    assert module.targets_for(engine, params(portfolio="core"))[0].benchmark == "SPY"
    assert module.targets_for(engine, params(portfolio="core", benchmark="QQQ"))[0].benchmark == "QQQ"
    assert module.targets_for(engine, params(portfolio="core", benchmark=""))[0].benchmark is None


def test_running_analysis_stops_between_portfolios_when_cancelled(
    broker: dramatiq.Broker,
    start_worker: StartWorker,
    portfolio_analysis: Any,
    module: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine = store(broker)
    seed_bars(engine, "AAA", closes_of(8, 10.0))
    for name in ("p1", "p2", "p3"):
        save_portfolio(engine, name, [PositionSpec("AAA", 1, 10.0)])
    real = portfolio_run.analyse_target

    def cancel_during_first(*args: Any, **kwargs: Any) -> Any:
        job_context = current_job()
        request_cancel(engine, job_context.id)
        wait_until(lambda: job_context.cancelled)
        return real(*args, **kwargs)

    monkeypatch.setattr(portfolio_run, "analyse_target", cancel_during_first)
    start_worker()
    message = portfolio_analysis.send()
    cancelled = wait_for(broker, message.message_id, "cancelled")
    assert cancelled.result is not None
    assert cancelled.result["stopped"] is True
    assert [r["portfolio"] for r in cancelled.result["reports"]] == ["p1"]


def test_inline_positions_without_a_price_are_bought_at_the_windows_first_close(
    broker: dramatiq.Broker, module: Any
) -> None:
    engine = store(broker)
    a, b = closes_of(9, 30.0), closes_of(10, 70.0)
    seed_bars(engine, "AAA", a)
    seed_bars(engine, "BBB", b)
    params = module.PortfolioAnalysisParams(
        positions=[
            {"symbol": "AAA", "quantity": 2},
            {"symbol": "AAA", "quantity": 3},
            {"symbol": "BBB", "quantity": 1, "average_price": 60},
        ]
    )
    [target] = module.targets_for(engine, params)
    assert target.priced_at_start == frozenset({"AAA"})
    entry = portfolio_run.analyse_target(engine, target, lookback_bars=20)
    summary = entry["summary"]
    start = DAYS - 21
    assert summary["start"] == (FIRST_DAY + timedelta(days=start)).isoformat()
    assert summary["cost_basis"] == pytest.approx(5 * a[start] + 60.0)
    assert summary["unrealised_pnl"] == pytest.approx(5 * (a[-1] - a[start]) + b[-1] - 60.0)
    with engine.connect() as connection:
        stored = connection.execute(select(PortfolioReport.summary)).scalar_one()
    assert stored["priced_at_start"] == ["AAA"]
