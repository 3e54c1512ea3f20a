"""``marketjobs portfolios add/list/show``."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest
from typer.testing import CliRunner

from interfaces.cli.main import app
from marketjobs.config import configure
from marketjobs.errors import ParameterError
from marketjobs.store.bars_io import upsert_bars
from marketjobs.store.engine import create_store_engine
from marketjobs.store.portfolios import save_report

runner = CliRunner()

REPORT = {
    "summary": {
        "start": "2024-01-02",
        "as_of": "2024-03-01",
        "observations": 41,
        "market_value": 12345.678,
        "cost_basis": 10000.0,
        "unrealised_pnl": 2345.678,
        "unrealised_pnl_pct": 0.2345678,
        "total_return": 0.1,
        "annualised_return": 0.2,
        "annualised_volatility": 0.25,
        "sharpe_ratio": 1.5,
        "sortino_ratio": None,
        "max_drawdown": 0.05,
        "beta": 0.9,
        "var": 0.021,
        "cvar": 0.03,
        "confidence": 0.95,
    },
    "positions": [
        {
            "symbol": "AAPL",
            "quantity": 20.0,
            "close": 190.0,
            "market_value": 3800.0,
            "weight": 0.3,
            "unrealised_pnl": 600.0,
            "unrealised_pnl_pct": 0.1875,
        },
        {
            "symbol": "MSFT",
            "quantity": 5.0,
            "close": 400.0,
            "market_value": 2000.0,
            "weight": 0.7,
            "unrealised_pnl": 500.0,
            "unrealised_pnl_pct": None,
        },
    ],
    "correlation": {"AAPL": {"AAPL": 1.0, "MSFT": 0.4321}, "MSFT": {"AAPL": 0.4321, "MSFT": 1.0}},
    "benchmark": "SPY",
}


@pytest.fixture
def store(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A fresh migrated SQLite store the CLI uses."""
    monkeypatch.setenv("MARKETJOBS_DATABASE_URL", sqlite_url)
    monkeypatch.setenv("MARKETJOBS_BROKER_URL", "stub://")
    configure(None)
    yield sqlite_url
    configure(None)


def add_core() -> None:
    result = runner.invoke(
        app,
        [
            "portfolios",
            "add",
            "core",
            "-p",
            "aapl=10@150",
            "-p",
            "AAPL=10@170",
            "-p",
            "MSFT=5@300",
            "--benchmark",
            "spy",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "portfolio core: 2 positions, benchmark SPY" in result.output


def test_add_merges_lots_and_list_shows_the_portfolio(store: str) -> None:
    add_core()
    result = runner.invoke(app, ["portfolios", "list", "--json"])
    assert result.exit_code == 0, result.output
    [row] = json.loads(result.output)
    assert (row["name"], row["benchmark"], row["positions"], row["report_id"]) == ("core", "SPY", 2, None)
    shown = json.loads(runner.invoke(app, ["portfolios", "show", "core", "--json"]).output)
    assert [(p["symbol"], p["quantity"], p["average_price"]) for p in shown["positions"]] == [
        ("AAPL", 20.0, 160.0),
        ("MSFT", 5.0, 300.0),
    ]
    assert shown["report"] is None
    table = runner.invoke(app, ["portfolios", "list"], terminal_width=200)
    assert "1 portfolios" in table.output
    assert "core" in table.output


def test_show_renders_the_latest_report(store: str) -> None:
    add_core()
    engine = create_store_engine(store)
    save_report(engine, portfolio="core", job_id="old", as_of=1, summary={**REPORT, "summary": {}})
    report_id = save_report(engine, portfolio="core", job_id="j1", as_of=1_709_251_200_000, summary=REPORT)
    result = runner.invoke(app, ["portfolios", "show", "core"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for expected in ("metrics as of 2024-03-01 00:00", "12,345.68", "23.46%", "1.500", "var (95%)", "0.43"):
        assert expected in result.output
    shown = json.loads(runner.invoke(app, ["portfolios", "show", "core", "--json"]).output)
    assert (shown["report"]["id"], shown["report"]["job_id"]) == (report_id, "j1")
    assert shown["report"]["summary"]["market_value"] == 12345.678
    listed = json.loads(runner.invoke(app, ["portfolios", "list", "--json"]).output)
    assert (listed[0]["report_id"], listed[0]["market_value"]) == (report_id, 12345.678)


def test_show_without_a_report_says_how_to_run_the_analysis(store: str) -> None:
    add_core()
    result = runner.invoke(app, ["portfolios", "show", "core"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "marketjobs enqueue portfolio_analysis -p portfolio=core" in result.output


@pytest.mark.parametrize("position", ["AAPL=10", "AAPL@150", "AAPL=ten@150", "=1@2"])
def test_a_malformed_position_is_a_usage_error_showing_the_form(store: str, position: str) -> None:
    result = runner.invoke(app, ["portfolios", "add", "core", "-p", position])
    assert result.exit_code == 2
    assert "SYMBOL=QUANTITY@PRICE" in result.output


def test_adding_twice_needs_replace_and_unknown_portfolios_say_how_to_create_them(store: str) -> None:
    add_core()
    again = runner.invoke(app, ["portfolios", "add", "core", "-p", "IBM=1@1"])
    assert isinstance(again.exception, ParameterError)
    assert "exists already; add --replace to overwrite it" in str(again.exception)
    replaced = runner.invoke(app, ["portfolios", "add", "core", "-p", "IBM=1@1", "--replace", "--json"])
    assert json.loads(replaced.output)["positions"][0]["symbol"] == "IBM"
    missing = runner.invoke(app, ["portfolios", "show", "nope"])
    assert isinstance(missing.exception, ParameterError)
    assert "marketjobs portfolios add nope --position" in str(missing.exception)


def test_show_renders_a_report_made_by_the_analysis(store: str) -> None:
    from marketjobs.services.portfolio_run import analyse_portfolios, stored_targets

    engine = create_store_engine(store)
    days = [datetime(2024, 1, 1, 21, tzinfo=UTC) + timedelta(days=i) for i in range(10)]
    closes = {  # returns alternate in opposite directions: correlation -1
        "AAPL": [110.0 if i % 2 else 100.0 for i in range(10)],
        "MSFT": [90.0 if i % 2 else 100.0 for i in range(10)],
        "SPY": [400.0 + (i % 3) for i in range(10)],
    }
    bars = pl.DataFrame(
        {
            "symbol": [s for s in closes for _ in days],
            "ts": days * 3,
            "close": [c for v in closes.values() for c in v],
        }
    ).with_columns(open=pl.col("close"), high=pl.col("close"), low=pl.col("close"))
    upsert_bars(engine, bars)
    add_core()
    summary = analyse_portfolios(engine, stored_targets(engine))
    assert summary.failed == {}
    result = runner.invoke(app, ["portfolios", "show", "core"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "metrics as of 2024-01-10 21:00" in result.output
    assert f"{20 * 110 + 5 * 90:,.2f}" in result.output  # market value
    assert "-1.00" in result.output
