"""The alert rules ``marketjobs demo`` watches with (log sink; stored once, kept between runs)."""

from __future__ import annotations

from typing import Any

from marketjobs.config import get_settings
from marketjobs.errors import ConfigError
from marketjobs.notify.rules import add_rule, find_rule
from marketjobs.store.engine import create_store_engine

__all__ = ["DEMO_RULES", "ensure_demo_rules"]

#: name -> (symbol, rule type, parameters)
DEMO_RULES: dict[str, tuple[str, str, dict[str, Any]]] = {
    "demo-rsi-overbought": ("*", "indicator_cross_above", {"indicator": "rsi_14", "level": 70}),
    "demo-rsi-oversold": ("*", "indicator_cross_below", {"indicator": "rsi_14", "level": 30}),
    "demo-golden-cross": ("*", "indicator_cross_above", {"indicator": "sma_20", "other": "sma_50"}),
    "demo-engulfing": ("*", "pattern_seen", {"pattern": "cdlengulfing"}),
    "demo-big-move": ("*", "pct_move", {"pct": 4.0, "bars": 1}),
}


def ensure_demo_rules() -> list[str]:
    """Stores the demo's rules that are not stored yet; returns the names it added."""
    engine = create_store_engine(get_settings().database_url)
    added = []
    for name, (symbol, rule_type, params) in DEMO_RULES.items():
        try:
            find_rule(engine, name)
        except ConfigError:
            add_rule(engine, name=name, symbol=symbol, rule_type=rule_type, params=params, sinks=["log"])
            added.append(name)
    return added
