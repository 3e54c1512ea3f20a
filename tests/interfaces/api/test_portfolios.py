"""``/api/portfolios``: the list and one portfolio with its positions and latest report (read only)."""

from __future__ import annotations

import math

from marketjobs.store.portfolios import PositionSpec, save_portfolio, save_report
from tests.interfaces.api.conftest import LiveApi, error_of


def _portfolio(api: LiveApi, summary_extra: dict[str, float] | None = None) -> None:
    save_portfolio(
        api.engine,
        "core",
        [PositionSpec("AAPL", 10, 150.0), PositionSpec("KEY", 100, 15.0)],
        benchmark="SPY",
        base_currency="USD",
    )
    summary = {"market_value": 4000.0, "sharpe_ratio": 1.2, **(summary_extra or {})}
    save_report(
        api.engine,
        portfolio="core",
        job_id="job-1",
        as_of=1_700_000_000_000,
        summary={"summary": summary, "correlation": {"AAPL": {"KEY": 0.3}, "KEY": {"AAPL": 0.3}}},
    )


def test_portfolios_are_listed_with_their_latest_report(live_api: LiveApi) -> None:
    _portfolio(live_api)
    [row] = live_api.viewer.get("/api/portfolios").json()
    assert row["name"] == "core"
    assert row["positions"] == 2
    assert row["market_value"] == 4000.0
    assert row["as_of"] == 1_700_000_000_000


def test_one_portfolio_has_its_positions_and_report(live_api: LiveApi) -> None:
    _portfolio(live_api)
    detail = live_api.viewer.get("/api/portfolios/core").json()
    assert [p["symbol"] for p in detail["positions"]] == ["AAPL", "KEY"]
    assert detail["positions"][0]["cost_basis"] == 1500.0
    assert detail["report"]["job_id"] == "job-1"
    assert detail["report"]["correlation"]["KEY"] == {"AAPL": 0.3}  # a ticker is not a secret key
    assert "no portfolio named 'nope'" in error_of(live_api.viewer.get("/api/portfolios/nope"), 404)


def test_numbers_that_json_cannot_hold_are_served_as_null(sqlite_api: LiveApi) -> None:
    _portfolio(sqlite_api, {"sortino_ratio": math.inf, "beta": math.nan})
    report = sqlite_api.viewer.get("/api/portfolios/core").json()["report"]
    assert report["summary"]["sortino_ratio"] is None
    assert report["summary"]["beta"] is None
