"""Which alert rules fire: a table per rule type, cooldown and dedupe, wildcards, bad values and bad rules."""

from __future__ import annotations

import math
from typing import Any

import pytest

from marketjobs.analysis.alert_rules import (
    LastFiring,
    MarketData,
    Rule,
    SignalEvent,
    Snapshot,
    check_rule_params,
    evaluate,
    max_pct_bars,
)
from marketjobs.errors import ConfigError

DAY_MS = 86_400_000
T = 1_700_000_000_000  # the latest bar
NOW = T + 3_600_000


def rule(rule_type: str, symbol: str = "AAPL", cooldown: int = 0, rule_id: int = 1, **params: Any) -> Rule:
    return Rule(rule_id, f"r{rule_id}", rule_type, symbol, check_rule_params(rule_type, params), cooldown)


def closes(*values: float, symbol: str = "AAPL") -> dict[str, list[tuple[int, float]]]:
    """Daily closes ending at T."""
    n = len(values)
    return {symbol: [(T - (n - 1 - i) * DAY_MS, v) for i, v in enumerate(values)]}


def snap(
    values: dict[str, Any], previous: dict[str, Any] | None = None, symbol: str = "AAPL"
) -> dict[str, Snapshot]:
    return {symbol: Snapshot(T, values, previous)}


def values_fired(r: Rule, data: MarketData) -> list[tuple[str, int, float | None]]:
    return [(a.symbol, a.bar_ts, a.value) for a in evaluate([r], data, now_ms=NOW)]


@pytest.mark.parametrize(
    ("rule_type", "params", "data", "expected_value"),
    [
        ("price_above", {"level": 200}, MarketData(closes=closes(199, 201.5)), 201.5),
        ("price_above", {"level": 200}, MarketData(closes=closes(201, 200)), None),  # equal is not above
        ("price_below", {"level": 100}, MarketData(closes=closes(99.5)), 99.5),
        ("price_below", {"level": 100}, MarketData(closes=closes(100)), None),
        ("price_above", {"level": 1}, MarketData(closes=closes(math.nan)), None),
        ("price_above", {"level": 1}, MarketData(closes=closes(math.inf)), None),
        ("price_above", {"level": 1}, MarketData(), None),  # no bars
        ("pct_move", {"pct": 5}, MarketData(closes=closes(100, 105)), pytest.approx(5.0)),
        ("pct_move", {"pct": 5}, MarketData(closes=closes(100, 95)), pytest.approx(-5.0)),
        ("pct_move", {"pct": 5}, MarketData(closes=closes(100, 104.9)), None),
        ("pct_move", {"pct": 5, "direction": "up"}, MarketData(closes=closes(100, 94)), None),
        (
            "pct_move",
            {"pct": 5, "direction": "down"},
            MarketData(closes=closes(100, 94)),
            pytest.approx(-6.0),
        ),
        (
            "pct_move",
            {"pct": 10, "bars": 3},
            MarketData(closes=closes(100, 50, 50, 111)),
            pytest.approx(11.0),
        ),
        ("pct_move", {"pct": 10, "bars": 3}, MarketData(closes=closes(50, 111)), None),  # too few bars
        ("pct_move", {"pct": 10}, MarketData(closes=closes(0, 5)), None),  # from zero: undefined
        (
            "indicator_above",
            {"indicator": "rsi_14", "level": 70},
            MarketData(snapshots=snap({"rsi_14": 71.0})),
            71.0,
        ),
        (
            "indicator_above",
            {"indicator": "rsi_14", "level": 70},
            MarketData(snapshots=snap({"rsi_14": 70.0})),
            None,
        ),
        (
            "indicator_above",
            {"indicator": "rsi_14", "level": 70},
            MarketData(snapshots=snap({"rsi_14": None})),
            None,
        ),
        (
            "indicator_above",
            {"indicator": "rsi_14", "level": 70},
            MarketData(snapshots=snap({"sma_20": 99})),
            None,
        ),
        (
            "indicator_below",
            {"indicator": "rsi_14", "level": 30},
            MarketData(snapshots=snap({"rsi_14": 29.0})),
            29.0,
        ),
        (
            "indicator_above",
            {"indicator": "sma_20", "other": "sma_50"},
            MarketData(snapshots=snap({"sma_20": 10.5, "sma_50": 10.0})),
            10.5,
        ),
        (
            "indicator_cross_above",
            {"indicator": "rsi_14", "level": 70},
            MarketData(snapshots=snap({"rsi_14": 72.0}, {"rsi_14": 70.0})),
            72.0,
        ),
        (
            "indicator_cross_above",
            {"indicator": "rsi_14", "level": 70},
            MarketData(snapshots=snap({"rsi_14": 72.0}, {"rsi_14": 71.0})),  # already above: no cross
            None,
        ),
        (
            "indicator_cross_above",
            {"indicator": "rsi_14", "level": 70},
            MarketData(snapshots=snap({"rsi_14": 72.0}, None)),  # one bar: nothing to cross from
            None,
        ),
        (
            "indicator_cross_below",
            {"indicator": "rsi_14", "level": 30},
            MarketData(snapshots=snap({"rsi_14": 29.0}, {"rsi_14": 31.0})),
            29.0,
        ),
        (
            "indicator_cross_below",
            {"indicator": "rsi_14", "level": 30},
            MarketData(snapshots=snap({"rsi_14": 29.0}, {"rsi_14": math.nan})),
            None,
        ),
        (
            "indicator_cross_above",
            {"indicator": "sma_20", "other": "sma_50"},
            MarketData(snapshots=snap({"sma_20": 11.0, "sma_50": 10.0}, {"sma_20": 9.0, "sma_50": 10.0})),
            11.0,
        ),
        (
            "pattern_seen",
            {"pattern": "cdlengulfing"},
            MarketData(
                snapshots=snap({}), signals={"AAPL": [SignalEvent("AAPL", T, "cdlengulfing", "up", 100.0)]}
            ),
            100.0,
        ),
        (
            "pattern_seen",
            {"pattern": "CDLENGULFING", "direction": "down"},
            MarketData(
                snapshots=snap({}), signals={"AAPL": [SignalEvent("AAPL", T, "cdlengulfing", "up", 100.0)]}
            ),
            None,
        ),
        (
            "pattern_seen",
            {"pattern": "cdlengulfing"},
            MarketData(  # on an older bar than the snapshot's: not news
                snapshots=snap({}),
                signals={"AAPL": [SignalEvent("AAPL", T - DAY_MS, "cdlengulfing", "up", 100.0)]},
            ),
            None,
        ),
        (
            "pattern_seen",
            {"pattern": "rsi_above_70"},
            MarketData(  # no snapshot: the latest bar decides
                closes=closes(1, 2), signals={"AAPL": [SignalEvent("AAPL", T, "rsi_above_70", "up", 71.0)]}
            ),
            71.0,
        ),
    ],
)
def test_rule_fires_on_the_latest_observation(
    rule_type: str, params: dict[str, Any], data: MarketData, expected_value: Any
) -> None:
    fired = values_fired(rule(rule_type, **params), data)
    if expected_value is None:
        assert fired == []
    else:
        assert fired == [("AAPL", T, expected_value)]


def test_message_names_the_symbol_and_what_crossed() -> None:
    [alert] = evaluate(
        [rule("indicator_cross_above", indicator="rsi_14", level=70)],
        MarketData(snapshots=snap({"rsi_14": 72.0}, {"rsi_14": 69.0})),
        now_ms=NOW,
    )
    assert alert.message == "AAPL rsi_14 crossed above 70 (69 -> 72)"
    assert (alert.rule_id, alert.rule_name, alert.rule_type) == (1, "r1", "indicator_cross_above")


def test_a_wildcard_rule_watches_every_symbol_with_data() -> None:
    data = MarketData(
        closes={**closes(250, symbol="AAPL"), **closes(150, symbol="IBM"), **closes(300, symbol="MSFT")}
    )
    fired = values_fired(rule("price_above", symbol="*", level=200), data)
    assert fired == [("AAPL", T, 250), ("MSFT", T, 300)]


def test_a_rule_for_one_symbol_ignores_the_others() -> None:
    data = MarketData(closes={**closes(250, symbol="AAPL"), **closes(300, symbol="MSFT")})
    assert values_fired(rule("price_above", symbol="MSFT", level=200), data) == [("MSFT", T, 300)]


@pytest.mark.parametrize(
    ("last", "cooldown", "fires"),
    [
        (None, 3600, True),
        (LastFiring(bar_ts=T, fired_at=NOW - 10 * DAY_MS), 0, False),  # same bar: never twice
        (LastFiring(bar_ts=T + DAY_MS, fired_at=NOW - 10 * DAY_MS), 0, False),  # an older bar than fired on
        (LastFiring(bar_ts=T - DAY_MS, fired_at=NOW - 1000), 0, True),  # a new bar, no cooldown
        (LastFiring(bar_ts=T - DAY_MS, fired_at=NOW - 1000), 3600, False),  # within the cooldown
        (LastFiring(bar_ts=T - DAY_MS, fired_at=NOW - 3_600_000), 3600, True),  # cooldown over
    ],
)
def test_cooldown_and_dedupe(last: LastFiring | None, cooldown: int, fires: bool) -> None:
    r = rule("price_above", level=100, cooldown=cooldown)
    history = {} if last is None else {(1, "AAPL"): last}
    alerts = evaluate([r], MarketData(closes=closes(150)), last_fired=history, now_ms=NOW)
    assert bool(alerts) is fires


def test_cooldown_is_per_symbol_and_per_rule() -> None:
    data = MarketData(closes={**closes(250, symbol="AAPL"), **closes(300, symbol="MSFT")})
    rules = [
        rule("price_above", symbol="*", level=200, cooldown=3600),
        rule("price_above", "*", 0, 2, level=200),
    ]
    history = {(1, "AAPL"): LastFiring(T - DAY_MS, NOW - 60_000)}
    fired = [(a.rule_id, a.symbol) for a in evaluate(rules, data, last_fired=history, now_ms=NOW)]
    assert fired == [(1, "MSFT"), (2, "AAPL"), (2, "MSFT")]


@pytest.mark.parametrize(
    ("rule_type", "params", "match"),
    [
        (
            "price_upish",
            {"level": 1},
            "unknown rule type 'price_upish'; known types: price_above, price_below",
        ),
        ("price_above", {}, r"level: Field required \(accepted: level\)"),
        ("price_above", {"level": 1, "pct": 2}, r"pct: Extra inputs are not permitted \(accepted: level\)"),
        ("price_above", {"level": math.nan}, "level: Input should be a finite number"),
        ("pct_move", {"pct": 0}, "pct: Input should be greater than 0"),
        ("pct_move", {"pct": 1, "direction": "sideways"}, "direction: Input should be 'up', 'down' or 'any'"),
        ("indicator_above", {"indicator": "rsi_14"}, "give exactly one of level"),
        (
            "indicator_above",
            {"indicator": "rsi_14", "level": 1, "other": "sma_50"},
            "give exactly one of level",
        ),
        ("indicator_above", {"indicator": "nope_3", "level": 1}, "not an indicator output"),
        ("indicator_above", {"indicator": "rsi_14", "other": "upperband_20"}, "did you mean upperband_20_2"),
        ("pattern_seen", {}, "pattern: Field required"),
    ],
)
def test_bad_rules_say_what_is_accepted(rule_type: str, params: dict[str, Any], match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        check_rule_params(rule_type, params)


def test_check_fills_in_defaults() -> None:
    assert check_rule_params("pct_move", {"pct": 2}) == {"pct": 2.0, "bars": 1, "direction": "any"}


def test_max_pct_bars_is_the_longest_look_back() -> None:
    rules = [rule("pct_move", pct=1, bars=5), rule("pct_move", pct=1, bars=2), rule("price_above", level=1)]
    assert max_pct_bars(rules) == 5
    assert max_pct_bars([rule("price_above", level=1)]) == 0


def test_a_stored_rule_of_unknown_type_is_an_error_naming_it() -> None:
    bad = Rule(9, "legacy", "volume_spike", "AAPL", {}, 0)
    with pytest.raises(ConfigError, match="rule 'legacy' has unknown type 'volume_spike'"):
        evaluate([bad], MarketData(closes=closes(1)), now_ms=NOW)
