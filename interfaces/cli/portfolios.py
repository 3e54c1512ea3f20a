"""``marketjobs portfolios``: create, list and show portfolios with their latest analysis."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from interfaces.cli.common import store_engine
from interfaces.cli.output import console, emit_json, print_table
from marketjobs.errors import ParameterError
from marketjobs.store.portfolios import (
    PositionSpec,
    get_portfolio,
    latest_report,
    list_portfolios,
    portfolio_dict,
    portfolio_names,
    report_dict,
    save_portfolio,
)

__all__ = ["app", "parse_position"]

app = typer.Typer(help="Portfolios: add, list, show the latest analysis.", no_args_is_help=True)

JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]

_POSITION = re.compile(r"^\s*([^=\s]+)\s*=\s*([0-9.eE+-]+)\s*@\s*([0-9.eE+-]+)\s*$")

#: Summary fields shown by ``show``, with how to format them.
_METRICS: tuple[tuple[str, str], ...] = (
    ("start", "{}"),
    ("as_of", "{}"),
    ("observations", "{}"),
    ("market_value", "{:,.2f}"),
    ("cost_basis", "{:,.2f}"),
    ("unrealised_pnl", "{:,.2f}"),
    ("unrealised_pnl_pct", "{:.2%}"),
    ("total_return", "{:.2%}"),
    ("annualised_return", "{:.2%}"),
    ("annualised_volatility", "{:.2%}"),
    ("sharpe_ratio", "{:.3f}"),
    ("sortino_ratio", "{:.3f}"),
    ("max_drawdown", "{:.2%}"),
    ("beta", "{:.3f}"),
    ("var", "{:.2%}"),
    ("cvar", "{:.2%}"),
)


def parse_position(text: str) -> PositionSpec:
    """``AAPL=10@150`` (symbol = quantity @ price per unit) as a PositionSpec.

    >>> parse_position("AAPL=10@150.5")
    PositionSpec(symbol='AAPL', quantity=10.0, average_price=150.5, opened_at=None)
    """
    match = _POSITION.match(text)
    if match is None:
        raise typer.BadParameter(f"{text!r} is not a position; write SYMBOL=QUANTITY@PRICE, e.g. AAPL=10@150")
    try:
        return PositionSpec(match.group(1).upper(), float(match.group(2)), float(match.group(3)))
    except ValueError:
        raise typer.BadParameter(f"{text!r}: quantity and price must be numbers, e.g. AAPL=10@150") from None


def _when(epoch_ms: int | None) -> str:
    if epoch_ms is None:
        return "-"
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


@app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="portfolio name", metavar="NAME")],
    position: Annotated[
        list[str], typer.Option("--position", "-p", help="SYMBOL=QUANTITY@PRICE; repeat for each holding")
    ],
    benchmark: Annotated[
        str | None, typer.Option("--benchmark", "-b", help="symbol for beta, e.g. SPY")
    ] = None,
    currency: Annotated[str, typer.Option("--currency", help="ISO code of prices and cost")] = "USD",
    replace: Annotated[bool, typer.Option("--replace", help="overwrite an existing portfolio")] = False,
    as_json: JsonOption = False,
) -> None:
    """Create a portfolio (lots of one symbol are merged at their average price)."""
    specs = [parse_position(p) for p in position]
    engine = store_engine()
    if not replace and name in portfolio_names(engine):
        raise ParameterError(f"portfolio {name!r} exists already; add --replace to overwrite it")
    save_portfolio(
        engine,
        name,
        specs,
        benchmark=benchmark.upper() if benchmark else None,
        base_currency=currency,
        replace=replace,
    )
    portfolio, stored = get_portfolio(engine, name)
    if as_json:
        emit_json(portfolio_dict(portfolio, stored))
        return
    console.print(
        f"portfolio {name}: {len(stored)} positions, benchmark {portfolio.benchmark or 'none'}; "
        f"analyse it with `marketjobs enqueue portfolio_analysis -p portfolio={name}`",
        highlight=False,
    )


@app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """Portfolios with their position count and latest report."""
    rows = list_portfolios(store_engine())
    if as_json:
        emit_json(rows)
        return
    table = Table(title=f"{len(rows)} portfolios", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("name", "benchmark", "currency", "positions", "report as of", "market value"):
        table.add_column(column, no_wrap=True, justify="right" if column == "market value" else "left")
    for row in rows:
        value = row["market_value"]
        table.add_row(
            row["name"],
            row["benchmark"] or "-",
            row["base_currency"],
            str(row["positions"]),
            _when(row["as_of"]),
            "-" if value is None else f"{value:,.2f}",
        )
    print_table(table)


def _format(template: str, value: Any) -> str:
    return "-" if value is None else template.format(value)


@app.command("show")
def show_command(name: str, as_json: JsonOption = False) -> None:
    """A portfolio's positions and its latest analysis (metrics and correlation matrix)."""
    engine = store_engine()
    portfolio, positions = get_portfolio(engine, name)
    report = latest_report(engine, name)
    if as_json:
        emit_json(
            {
                **portfolio_dict(portfolio, positions),
                "report": report_dict(report),
            }
        )
        return
    if report is None:
        held = Table(title=f"portfolio {name} ({portfolio.base_currency})", box=box.SIMPLE_HEAD)
        for column in ("symbol", "quantity", "average price"):
            held.add_column(column, justify="left" if column == "symbol" else "right")
        for p in positions:
            held.add_row(p.symbol, f"{p.quantity:,.4g}", f"{p.average_price:,.2f}")
        print_table(held)
        console.print(
            f"no analysis yet; run `marketjobs enqueue portfolio_analysis -p portfolio={name}`",
            highlight=False,
        )
        return
    print_table(_positions_table(name, portfolio.base_currency, report.summary["positions"]))
    print_table(_metrics_table(report.summary, _when(report.as_of)))
    print_table(_correlation_table(report.summary["correlation"]))


def _positions_table(name: str, currency: str, positions: list[dict[str, Any]]) -> Table:
    table = Table(title=f"portfolio {name} ({currency})", box=box.SIMPLE_HEAD, pad_edge=False)
    columns = ("symbol", "quantity", "close", "market value", "weight", "unrealised P&L", "P&L %")
    for column in columns:
        table.add_column(column, justify="left" if column == "symbol" else "right", no_wrap=True)
    for p in positions:
        table.add_row(
            p["symbol"],
            f"{p['quantity']:,.4g}",
            _format("{:,.2f}", p["close"]),
            _format("{:,.2f}", p["market_value"]),
            _format("{:.1%}", p["weight"]),
            _format("{:,.2f}", p["unrealised_pnl"]),
            _format("{:.2%}", p["unrealised_pnl_pct"]),
        )
    return table


def _metrics_table(stored: dict[str, Any], as_of: str) -> Table:
    summary = stored["summary"]
    table = Table(title=f"metrics as of {as_of}", box=box.SIMPLE_HEAD, pad_edge=False, show_header=False)
    table.add_column("metric")
    table.add_column("value", justify="right")
    for key, template in _METRICS:
        label = f"{key} ({summary['confidence']:.0%})" if key in ("var", "cvar") else key
        table.add_row(label, _format(template, summary.get(key)))
    table.add_row("benchmark", stored.get("benchmark") or "-")
    return table


def _correlation_table(matrix: dict[str, dict[str, float | None]]) -> Table:
    table = Table(title="correlation of daily returns", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("")
    for symbol in matrix:
        table.add_column(symbol, justify="right")
    for symbol, row in matrix.items():
        table.add_row(symbol, *(_format("{:.2f}", row.get(other)) for other in matrix))
    return table
