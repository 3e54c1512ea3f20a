"""Which alert rules fire: pure evaluation of rules against the latest market data, with cooldown and dedupe.

Each rule type looks at one observation per symbol:

==========================  =====================================================================
rule type                   fires when (on the symbol's latest observation)
==========================  =====================================================================
``price_above``             the latest close > ``level``
``price_below``             the latest close < ``level``
``pct_move``                the close moved at least ``pct`` % over the last ``bars`` bars (``direction``
                            up, down or any)
``indicator_above``         the snapshot's ``indicator`` > ``level`` (or > the ``other`` indicator)
``indicator_below``         the snapshot's ``indicator`` < ``level`` (or < ``other``)
``indicator_cross_above``   the indicator was <= the level on the bar before the snapshot's and is > now
``indicator_cross_below``   the indicator was >= the level on the bar before and is < now
``pattern_seen``            a signal event named ``pattern`` (e.g. ``cdlengulfing``, ``rsi_above_70``),
                            of ``direction`` when given, on the symbol's latest analysed bar: the
                            snapshot's bar, else its latest bar
==========================  =====================================================================

A null, NaN or infinite value never fires, nor does a missing indicator (warm-up). A rule fires at most once
per (symbol, bar) and never for a bar older than the last one it fired on; after firing for a symbol it stays
quiet for that symbol for ``cooldown_seconds`` of wall-clock time.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from marketjobs.analysis.alert_params import (
    PARAMS_MODELS,
    IndicatorParams,
    PatternParams,
    PctMoveParams,
    PriceLevelParams,
    check_rule_params,
)
from marketjobs.errors import ConfigError

__all__ = [
    "PARAMS_MODELS",
    "Alert",
    "IndicatorParams",
    "LastFiring",
    "MarketData",
    "PatternParams",
    "PctMoveParams",
    "PriceLevelParams",
    "Rule",
    "SignalEvent",
    "Snapshot",
    "check_rule_params",
    "evaluate",
    "max_pct_bars",
]

#: Every symbol (a rule's ``symbol``).
_ALL = "*"


@dataclass(frozen=True)
class Rule:
    """An alert rule as evaluation sees it; ``params`` as stored (checked by :func:`check_rule_params`)."""

    id: int
    name: str
    rule_type: str
    symbol: str
    params: Mapping[str, Any]
    cooldown_seconds: int = 0


@dataclass(frozen=True)
class Snapshot:
    """A symbol's indicator values on its latest analysed bar ``ts`` and on the bar before it."""

    ts: int
    values: Mapping[str, Any]
    previous: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class SignalEvent:
    """A stored signal event (see :mod:`marketjobs.analysis.signals`)."""

    symbol: str
    ts: int
    signal: str
    direction: str
    value: float | None = None


@dataclass(frozen=True)
class MarketData:
    """What rules are evaluated on; times are UTC epoch milliseconds."""

    #: Symbol -> its latest (ts, close) pairs, oldest first (enough for the longest ``pct_move``).
    closes: Mapping[str, Sequence[tuple[int, float]]] = field(default_factory=dict)
    snapshots: Mapping[str, Snapshot] = field(default_factory=dict)
    #: Symbol -> its signal events on recent bars.
    signals: Mapping[str, Sequence[SignalEvent]] = field(default_factory=dict)

    def symbols(self) -> list[str]:
        """Every symbol with any data, sorted."""
        return sorted(set(self.closes) | set(self.snapshots) | set(self.signals))


@dataclass(frozen=True)
class LastFiring:
    """The newest firing of a rule for a symbol: its bar and when it was recorded (epoch ms)."""

    bar_ts: int
    fired_at: int


@dataclass(frozen=True)
class Alert:
    """A rule that fires for a symbol on a bar."""

    rule_id: int
    rule_name: str
    rule_type: str
    symbol: str
    bar_ts: int
    value: float | None
    message: str


def max_pct_bars(rules: Iterable[Rule]) -> int:
    """Bars back the longest ``pct_move`` rule looks (0 without one): load this many plus the latest."""
    return max((int(r.params.get("bars", 1)) for r in rules if r.rule_type == "pct_move"), default=0)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


#: What a rule type sees on a symbol: (bar ts, value, message) when it fires.
_Hit = tuple[int, float | None, str] | None


def _price(rule: Rule, symbol: str, data: MarketData) -> _Hit:
    closes = data.closes.get(symbol)
    if not closes:
        return None
    ts, close = closes[-1][0], _number(closes[-1][1])
    level = float(rule.params["level"])
    if close is None:
        return None
    above = rule.rule_type == "price_above"
    if (close > level) if above else (close < level):
        return ts, close, f"{symbol} closed at {close:g}, {'above' if above else 'below'} {level:g}"
    return None


def _pct_move(rule: Rule, symbol: str, data: MarketData) -> _Hit:
    bars, pct, direction = int(rule.params["bars"]), float(rule.params["pct"]), rule.params["direction"]
    closes = data.closes.get(symbol, ())
    if len(closes) <= bars:
        return None
    ts, now, then = closes[-1][0], _number(closes[-1][1]), _number(closes[-1 - bars][1])
    if now is None or then is None or then <= 0:
        return None
    change = (now / then - 1.0) * 100.0
    moved = {"up": change >= pct, "down": change <= -pct, "any": abs(change) >= pct}[direction]
    if not moved:
        return None
    return ts, change, f"{symbol} moved {change:+.2f}% over {bars} bar{'s' if bars > 1 else ''} to {now:g}"


def _indicator(rule: Rule, symbol: str, data: MarketData) -> _Hit:
    snapshot = data.snapshots.get(symbol)
    if snapshot is None:
        return None
    name, other = str(rule.params["indicator"]), rule.params.get("other")
    kind = rule.rule_type.removeprefix("indicator_")

    def pair(values: Mapping[str, Any] | None) -> tuple[float | None, float | None]:
        if values is None:
            return None, None
        reference = rule.params["level"] if other is None else values.get(str(other))
        return _number(values.get(name)), _number(reference)

    value, reference = pair(snapshot.values)
    if value is None or reference is None:
        return None
    against = f"{reference:g}" if other is None else f"{other} {reference:g}"
    if kind in ("above", "below"):
        fires = value > reference if kind == "above" else value < reference
        text = f"{symbol} {name} {value:g} is {kind} {against}"
    else:
        before, before_reference = pair(snapshot.previous)
        if before is None or before_reference is None:
            return None
        if kind == "cross_above":
            fires = before <= before_reference and value > reference
        else:
            fires = before >= before_reference and value < reference
        text = f"{symbol} {name} crossed {kind.removeprefix('cross_')} {against} ({before:g} -> {value:g})"
    return (snapshot.ts, value, text) if fires else None


def _pattern(rule: Rule, symbol: str, data: MarketData) -> _Hit:
    events = data.signals.get(symbol, ())
    snapshot, closes = data.snapshots.get(symbol), data.closes.get(symbol)
    if snapshot is not None:
        latest = snapshot.ts
    elif closes:
        latest = closes[-1][0]
    elif events:
        latest = max(e.ts for e in events)
    else:
        return None
    pattern, direction = str(rule.params["pattern"]).lower(), rule.params.get("direction")
    for event in events:
        if event.ts == latest and event.signal.lower() == pattern and direction in (None, event.direction):
            return latest, _number(event.value), f"{symbol} {event.signal} ({event.direction}) seen"
    return None


_OBSERVERS = {
    "price_above": _price,
    "price_below": _price,
    "pct_move": _pct_move,
    "indicator_above": _indicator,
    "indicator_below": _indicator,
    "indicator_cross_above": _indicator,
    "indicator_cross_below": _indicator,
    "pattern_seen": _pattern,
}


def evaluate(
    rules: Iterable[Rule],
    data: MarketData,
    *,
    last_fired: Mapping[tuple[int, str], LastFiring] | None = None,
    now_ms: int,
) -> list[Alert]:
    """The alerts ``rules`` raise on ``data`` at ``now_ms``, in rule then symbol order.

    ``last_fired`` maps (rule id, symbol) to that rule's newest firing for the symbol: a rule does not fire
    again on the same or an older bar, nor within its cooldown of that firing.
    """
    last_fired = last_fired or {}
    everywhere = data.symbols()
    alerts: list[Alert] = []
    for rule in rules:
        observe = _OBSERVERS.get(rule.rule_type)
        if observe is None:
            raise ConfigError(
                f"rule {rule.name!r} has unknown type {rule.rule_type!r}; "
                f"known types: {', '.join(_OBSERVERS)}"
            )
        for symbol in everywhere if rule.symbol == _ALL else [rule.symbol]:
            hit = observe(rule, symbol, data)
            if hit is None:
                continue
            bar_ts, value, message = hit
            last = last_fired.get((rule.id, symbol))
            if last is not None and (
                bar_ts <= last.bar_ts or now_ms - last.fired_at < rule.cooldown_seconds * 1000
            ):
                continue
            alerts.append(Alert(rule.id, rule.name, rule.rule_type, symbol, bar_ts, value, message))
    return alerts
