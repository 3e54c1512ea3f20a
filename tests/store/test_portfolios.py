"""Portfolio tables: the migration matches the models; portfolios, positions and reports round-trip."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, MetaData, delete

from marketjobs.errors import ParameterError
from marketjobs.store.models import Base
from marketjobs.store.portfolios import (
    Portfolio,
    PortfolioPosition,
    PositionSpec,
    get_portfolio,
    latest_report,
    list_portfolios,
    merge_lots,
    save_portfolio,
    save_report,
)

TABLES = ("portfolios", "portfolio_positions", "portfolio_reports")


def test_migration_0007_creates_exactly_the_portfolio_models(engine: Engine) -> None:
    metadata = MetaData()
    for name in TABLES:
        Base.metadata.tables[name].to_metadata(metadata)
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": False,
                "include_name": lambda name, kind, _: kind != "table" or name in TABLES,
            },
        )
        diffs = compare_metadata(context, metadata)
    assert diffs == []


def test_lots_of_one_symbol_merge_at_their_weighted_average_price() -> None:
    merged = merge_lots(
        [PositionSpec("A", 10, 100.0, 5), PositionSpec("B", 1, 1.0), PositionSpec("A", 30, 120.0, 3)]
    )
    assert merged == [PositionSpec("A", 40.0, 115.0, 3), PositionSpec("B", 1, 1.0)]


@pytest.mark.parametrize(
    ("position", "match"),
    [
        (PositionSpec("A", 0, 1.0), "A: quantity 0 must be a finite number > 0"),
        (PositionSpec("A", float("nan"), 1.0), "A: quantity nan must be a finite number > 0"),
        (PositionSpec("A", 1, -1.0), "A: average price -1.0 must be a finite number >= 0"),
        (PositionSpec("", 1, 1.0), "symbol '' must be 1 to 32 characters"),
    ],
)
def test_bad_positions_are_refused_with_the_fix(position: PositionSpec, match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        merge_lots([position])


def test_portfolio_round_trips_and_replace_overwrites_it(engine: Engine) -> None:
    save_portfolio(
        engine, "core", [PositionSpec("AAPL", 10, 150.0), PositionSpec("MSFT", 2, 300.5)], benchmark="SPY"
    )
    portfolio, positions = get_portfolio(engine, "core")
    assert (portfolio.name, portfolio.benchmark, portfolio.base_currency) == ("core", "SPY", "USD")
    assert [(p.symbol, p.quantity, p.average_price) for p in positions] == [
        ("AAPL", 10, 150.0),
        ("MSFT", 2, 300.5),
    ]
    with pytest.raises(ParameterError, match="portfolio 'core' exists already; pass replace=True"):
        save_portfolio(engine, "core", [PositionSpec("IBM", 1, 1.0)])
    save_portfolio(engine, "core", [PositionSpec("IBM", 1, 1.0)], base_currency="eur", replace=True)
    portfolio, positions = get_portfolio(engine, "core")
    assert (portfolio.benchmark, portfolio.base_currency, [p.symbol for p in positions]) == (
        None,
        "EUR",
        ["IBM"],
    )


def test_deleting_a_portfolio_deletes_its_positions(engine: Engine) -> None:
    save_portfolio(engine, "core", [PositionSpec("AAPL", 10, 150.0)])
    with engine.begin() as connection:
        connection.execute(delete(Portfolio).where(Portfolio.name == "core"))
        assert connection.execute(PortfolioPosition.__table__.select()).all() == []


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"name": " "}, "portfolio name ' ' must be 1 to 64 characters"),
        ({"base_currency": "EURO"}, "base currency 'EURO' is not a 3-letter ISO code"),
        ({"positions": []}, "needs at least one position, e.g. AAPL=10@150"),
    ],
)
def test_bad_portfolios_are_refused(engine: Engine, kwargs: dict[str, object], match: str) -> None:
    arguments: dict[str, object] = {"name": "core", "positions": [PositionSpec("A", 1, 1.0)], **kwargs}
    name, positions = arguments.pop("name"), arguments.pop("positions")
    with pytest.raises(ParameterError, match=match):
        save_portfolio(engine, name, positions, **arguments)  # type: ignore[arg-type]


def test_reports_are_listed_newest_first_with_the_portfolios(engine: Engine) -> None:
    save_portfolio(engine, "b", [PositionSpec("A", 1, 1.0)])
    save_portfolio(engine, "a", [PositionSpec("A", 1, 1.0), PositionSpec("B", 1, 1.0)])
    assert latest_report(engine, "a") is None
    save_report(engine, portfolio="a", job_id="j1", as_of=1, summary={"summary": {"market_value": 1.5}})
    second = save_report(
        engine, portfolio="a", job_id="j2", as_of=2, summary={"summary": {"market_value": 2.5}}
    )
    save_report(engine, portfolio=None, job_id="j3", as_of=3, summary={"summary": {"market_value": 9.0}})
    report = latest_report(engine, "a")
    assert report is not None
    assert (report.id, report.job_id, report.as_of, report.summary) == (
        second,
        "j2",
        2,
        {"summary": {"market_value": 2.5}},
    )
    listed = list_portfolios(engine)
    assert [(r["name"], r["positions"], r["report_id"], r["market_value"]) for r in listed] == [
        ("a", 2, second, 2.5),
        ("b", 1, None, None),
    ]
