"""``marketjobs alerts``: add, list, enable, disable and remove alert rules; list their firings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

import typer
from rich import box
from rich.table import Table

from interfaces.cli.common import parse_age, store_engine
from interfaces.cli.output import console, emit_json, print_table
from marketjobs.notify.firings import firing_dict, list_firings
from marketjobs.notify.rules import add_rule, find_rule, list_rules, remove_rule, rule_dict, set_enabled
from marketjobs.notify.webhook import shown_url
from marketjobs.store.alerts import FIRING_STATUSES, RULE_TYPES, SINK_NAMES, AlertRule

__all__ = ["app"]

app = typer.Typer(
    help="Alert rules (price, % move, indicator, pattern) and their firings.", no_args_is_help=True
)

JsonOption = Annotated[bool, typer.Option("--json", help="machine-readable output")]


def _iso(epoch_ms: int | None) -> str | None:
    return None if epoch_ms is None else datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat()


def _describe(rule: AlertRule) -> str:
    return ", ".join(f"{k}={v}" for k, v in rule.params.items() if v is not None)


@app.command("add")
def add_command(
    name: Annotated[str, typer.Argument(help="a unique name for the rule")],
    symbol: Annotated[str, typer.Option("--symbol", "-s", help="symbol to watch, or '*' for every symbol")],
    rule_type: Annotated[str, typer.Option("--type", "-t", help=f"one of: {', '.join(RULE_TYPES)}")],
    level: Annotated[float | None, typer.Option(help="price or indicator level")] = None,
    pct: Annotated[float | None, typer.Option(help="pct_move: percent moved")] = None,
    bars: Annotated[
        int | None, typer.Option(min=1, max=1000, help="pct_move: over this many bars (default 1)")
    ] = None,
    direction: Annotated[
        str | None, typer.Option(help="pct_move: up/down/any; pattern_seen: up/down")
    ] = None,
    indicator: Annotated[str | None, typer.Option(help="indicator output name, e.g. rsi_14")] = None,
    other: Annotated[str | None, typer.Option(help="compare with this indicator instead of --level")] = None,
    pattern: Annotated[str | None, typer.Option(help="pattern_seen: signal name, e.g. cdlengulfing")] = None,
    sink: Annotated[
        list[str] | None, typer.Option(help=f"repeatable: {', '.join(SINK_NAMES)} (default log)")
    ] = None,
    webhook_url: Annotated[str | None, typer.Option(help="URL the webhook sink POSTs to")] = None,
    cooldown: Annotated[str, typer.Option(help="quiet time per symbol after firing, e.g. 30m, 1d")] = "0s",
    disabled: Annotated[bool, typer.Option("--disabled", help="store the rule disabled")] = False,
    as_json: JsonOption = False,
) -> None:
    """Add a rule, e.g. `alerts add aapl-200 -s AAPL -t price_above --level 200 --sink mqtt`."""
    given = {
        "level": level,
        "pct": pct,
        "bars": bars,
        "direction": direction,
        "indicator": indicator,
        "other": other,
        "pattern": pattern,
    }
    rule = add_rule(
        store_engine(),
        name=name,
        symbol=symbol,
        rule_type=rule_type,
        params={k: v for k, v in given.items() if v is not None},
        sinks=sink or ["log"],
        webhook_url=webhook_url,
        cooldown_seconds=int(parse_age(cooldown).total_seconds()),
        enabled=not disabled,
    )
    if as_json:
        emit_json(rule_dict(rule))
    else:
        console.print(f"rule {rule.id} {rule.name}: {rule.rule_type} on {rule.symbol} ({_describe(rule)})")


@app.command("list")
def list_command(as_json: JsonOption = False) -> None:
    """Every rule with its type, parameters, sinks, cooldown and enabled flag."""
    rules = list_rules(store_engine())
    if as_json:
        emit_json([rule_dict(rule) for rule in rules])
        return
    table = Table(title=f"{len(rules)} alert rules", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("id", "name", "symbol", "type", "parameters", "sinks", "cooldown s", "enabled"):
        table.add_column(column, overflow="fold", no_wrap=column in ("id", "symbol", "type"))
    for rule in rules:
        table.add_row(
            str(rule.id),
            rule.name,
            rule.symbol,
            rule.rule_type,
            _describe(rule),
            ", ".join(rule.sinks) + (f" ({shown_url(rule.webhook_url)})" if rule.webhook_url else ""),
            str(rule.cooldown_seconds),
            "yes" if rule.enabled else "no",
        )
    print_table(table)


def _set_enabled(rule: str, enabled: bool, as_json: bool) -> None:
    stored = set_enabled(store_engine(), rule, enabled)
    if as_json:
        emit_json(rule_dict(stored))
    else:
        console.print(f"rule {stored.id} {stored.name} {'enabled' if enabled else 'disabled'}")


@app.command("enable")
def enable_command(
    rule: Annotated[str, typer.Argument(help="rule name or id")], as_json: JsonOption = False
) -> None:
    """Enable a rule."""
    _set_enabled(rule, True, as_json)


@app.command("disable")
def disable_command(
    rule: Annotated[str, typer.Argument(help="rule name or id")], as_json: JsonOption = False
) -> None:
    """Disable a rule: it fires nothing until enabled (its recorded firings are still delivered)."""
    _set_enabled(rule, False, as_json)


@app.command("remove")
def remove_command(
    rule: Annotated[str, typer.Argument(help="rule name or id")], as_json: JsonOption = False
) -> None:
    """Delete a rule and its firings (`disable` keeps them)."""
    removed, firings = remove_rule(store_engine(), rule)
    if as_json:
        emit_json({"id": removed.id, "name": removed.name, "firings_removed": firings})
    else:
        console.print(f"rule {removed.id} {removed.name} removed with {firings} firings")


@app.command("firings")
def firings_command(
    status: Annotated[
        str | None, typer.Option(help=f"only this status: {', '.join(FIRING_STATUSES)}")
    ] = None,
    rule: Annotated[str | None, typer.Option(help="only this rule (name or id)")] = None,
    symbol: Annotated[str | None, typer.Option(help="only this symbol")] = None,
    limit: Annotated[int, typer.Option(min=1, max=100_000, help="newest this many")] = 50,
    as_json: JsonOption = False,
) -> None:
    """The newest firings: rule, symbol, bar, message, sink, delivery status and last error."""
    if status is not None and status not in FIRING_STATUSES:
        raise typer.BadParameter(f"{status!r} is not a status; use one of {', '.join(FIRING_STATUSES)}")
    engine = store_engine()
    rule_id = None if rule is None else find_rule(engine, rule).id
    rows = list_firings(engine, status=status, rule_id=rule_id, symbol=symbol, limit=limit)
    items: list[dict[str, Any]] = [firing_dict(firing, name) for firing, name in rows]
    if as_json:
        emit_json(items)
        return
    table = Table(title=f"{len(items)} firings (newest first)", box=box.SIMPLE_HEAD, pad_edge=False)
    for column in ("id", "rule", "symbol", "bar", "sink", "status", "tries", "message", "error"):
        table.add_column(column, overflow="fold")
    for item in items:
        table.add_row(
            str(item["id"]),
            item["rule"],
            item["symbol"],
            (_iso(item["bar_ts"]) or "")[:16],
            item["sink"],
            item["status"],
            str(item["attempts"]),
            item["message"],
            (item["last_error"] or "")[:200],
        )
    print_table(table)
