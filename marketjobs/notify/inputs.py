"""What alert rules are evaluated on, read from the store: recent closes, indicator snapshots, signals.

Only what the rules need is read: closes for price, ``pct_move`` and pattern rules (the latest bar plus as
many before it as the longest ``pct_move`` looks back), snapshots for indicator and pattern rules, and signal
events on each symbol's latest analysed bar for pattern rules.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine, bindparam, select

from marketjobs.analysis.alert_rules import MarketData, Rule, SignalEvent, Snapshot, max_pct_bars
from marketjobs.store.alerts import ALL_SYMBOLS
from marketjobs.store.analysis import IndicatorSnapshot, Signal
from marketjobs.store.bars import Bar
from marketjobs.store.engine import READ_ONLY_OPTION

__all__ = ["load_market_data", "watched_symbols"]


def _mapping(value: Any) -> dict[str, Any] | None:
    """A JSON column's object; text is parsed too (a writer that stored JSON text in the JSON column)."""
    if isinstance(value, str):
        value = json.loads(value)
    return value if isinstance(value, dict) else None


def watched_symbols(rules: Sequence[Rule], symbols: Sequence[str] | None) -> list[str] | None:
    """Symbols to read: ``symbols`` if given, else the rules' own, or None (all) when a rule watches all."""
    if symbols is not None:
        return sorted(set(symbols))
    if any(rule.symbol == ALL_SYMBOLS for rule in rules):
        return None
    return sorted({rule.symbol for rule in rules})


def load_market_data(
    engine: Engine, rules: Sequence[Rule], symbols: Sequence[str] | None = None
) -> MarketData:
    """The data ``rules`` need, for ``symbols`` (None: as :func:`watched_symbols` decides)."""
    wanted = watched_symbols(rules, symbols)
    types = {rule.rule_type for rule in rules}
    if not rules or wanted == []:
        return MarketData()
    closes: dict[str, list[tuple[int, float]]] = defaultdict(list)
    snapshots: dict[str, Snapshot] = {}
    signals: dict[str, list[SignalEvent]] = defaultdict(list)
    with engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as connection:
        if types & {"price_above", "price_below", "pct_move", "pattern_seen"}:
            # One index seek per symbol on the (symbol, ts) key: a window function over the whole table
            # sorts every bar (seconds for millions of bars); this reads only the rows it returns.
            if wanted is None:
                wanted_bars = list(connection.execute(select(Bar.symbol).distinct()).scalars())
            else:
                wanted_bars = wanted
            recent = (
                select(Bar.ts, Bar.close)
                .where(Bar.symbol == bindparam("symbol"))
                .order_by(Bar.ts.desc())
                .limit(max_pct_bars(rules) + 1)
            )
            for symbol in wanted_bars:
                rows = connection.execute(recent, {"symbol": symbol}).all()
                if rows:
                    closes[symbol] = [(int(ts), float(close)) for ts, close in reversed(rows)]
        if any(t.startswith("indicator_") or t == "pattern_seen" for t in types):
            query_s = select(IndicatorSnapshot)
            if wanted is not None:
                query_s = query_s.where(IndicatorSnapshot.symbol.in_(wanted))
            for row in connection.execute(query_s).mappings():
                snapshots[row["symbol"]] = Snapshot(
                    int(row["ts"]), _mapping(row["indicator_values"]) or {}, _mapping(row["previous_values"])
                )
        if "pattern_seen" in types:
            latest = {s: snap.ts for s, snap in snapshots.items()}
            latest.update({s: bars[-1][0] for s, bars in closes.items() if s not in latest})
            if latest:
                query_e = select(
                    Signal.symbol, Signal.ts, Signal.signal, Signal.direction, Signal.value
                ).where(Signal.ts >= min(latest.values()))
                if wanted is not None:
                    query_e = query_e.where(Signal.symbol.in_(wanted))
                for symbol, ts, name, direction, value in connection.execute(query_e):
                    if latest.get(symbol) == ts:
                        signals[symbol].append(SignalEvent(symbol, int(ts), name, direction, value))
    return MarketData(closes=dict(closes), snapshots=snapshots, signals=dict(signals))
