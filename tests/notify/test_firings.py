"""Firings in the store (every database): one per (rule, symbol, bar, sink) however often it is recorded."""

from __future__ import annotations

from sqlalchemy import Engine

from marketjobs.analysis.alert_rules import Alert, LastFiring
from marketjobs.notify.firings import (
    claim,
    last_firings,
    list_firings,
    mark_delivered,
    outstanding,
    record_firings,
)
from marketjobs.notify.rules import add_rule


def test_recording_the_same_alert_again_records_nothing(engine: Engine) -> None:
    rule = add_rule(
        engine, name="r", symbol="*", rule_type="price_above", params={"level": 1}, sinks=["log", "mqtt"]
    )
    alerts = [Alert(rule.id, "r", "price_above", s, 1_000, 2.0, f"{s} up") for s in ("AAPL", "IBM")]
    assert record_firings(engine, alerts, {rule.id: ["log", "mqtt"]}, now_ms=5_000) == 4
    assert record_firings(engine, alerts, {rule.id: ["log", "mqtt"]}, now_ms=6_000) == 0  # a retried run
    later_bar = Alert(rule.id, "r", "price_above", "AAPL", 2_000, 3.0, "AAPL up")
    assert record_firings(engine, [later_bar], {rule.id: ["log"]}, now_ms=7_000) == 1
    assert len(list_firings(engine)) == 5
    assert last_firings(engine, [rule.id]) == {
        (rule.id, "AAPL"): LastFiring(2_000, 7_000),
        (rule.id, "IBM"): LastFiring(1_000, 5_000),
    }


def test_a_delivered_firing_is_no_longer_outstanding_nor_claimable(engine: Engine) -> None:
    rule = add_rule(engine, name="r", symbol="AAPL", rule_type="price_above", params={"level": 1})
    record_firings(engine, [Alert(rule.id, "r", "price_above", "AAPL", 1, 2.0, "m")], {rule.id: ["log"]}, 5)
    [(firing, _)] = outstanding(engine)
    assert claim(engine, firing) is True
    mark_delivered(engine, firing.id, now_ms=9)
    assert outstanding(engine) == []
    firing.attempts = 1  # even a run that read it after the claim
    assert claim(engine, firing) is False
    [(stored, name)] = list_firings(engine, status="delivered")
    assert (name, stored.attempts, stored.delivered_at) == ("r", 1, 9)
