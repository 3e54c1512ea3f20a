"""Alert rules in the store (every database): checked before they are stored, listed, toggled, removed."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, func, select

from marketjobs.analysis.alert_rules import Alert
from marketjobs.errors import ConfigError
from marketjobs.notify.firings import record_firings
from marketjobs.notify.rules import add_rule, find_rule, list_rules, remove_rule, set_enabled, to_rule
from marketjobs.store.alerts import AlertFiring


def test_a_rule_is_stored_with_its_checked_parameters(engine: Engine) -> None:
    rule = add_rule(
        engine,
        name="aapl-move",
        symbol="AAPL",
        rule_type="pct_move",
        params={"pct": 5},
        sinks=["webhook", "MQTT", "webhook"],
        webhook_url="https://hooks.example/alerts",
        cooldown_seconds=3600,
    )
    [stored] = list_rules(engine)
    assert stored.id == rule.id
    assert (stored.params, stored.sinks) == ({"pct": 5.0, "bars": 1, "direction": "any"}, ["webhook", "mqtt"])
    assert (stored.webhook_url, stored.cooldown_seconds, stored.enabled) == (
        "https://hooks.example/alerts",
        3600,
        True,
    )
    assert to_rule(stored).params["bars"] == 1
    assert find_rule(engine, "aapl-move").id == find_rule(engine, str(rule.id)).id == rule.id


@pytest.mark.parametrize(
    ("changes", "match"),
    [
        ({"sinks": ["sms"]}, r"sinks must be one or more of log, webhook, mqtt; got \['sms'\]"),
        ({"sinks": []}, "sinks must be one or more"),
        ({"sinks": ["webhook"]}, "the webhook sink needs a webhook url"),
        ({"sinks": ["log"], "webhook_url": "https://x"}, "webhook is not among the sinks"),
        (
            {"rule_type": "price_above", "params": {"pct": 1}},
            r"pct: Extra inputs are not permitted \(accepted: level\)",
        ),
        ({"symbol": ""}, "symbol must be a symbol of at most 32 characters"),
        ({"name": "42"}, "not only digits"),
        ({"cooldown_seconds": -1}, "cooldown must be zero or more"),
    ],
)
def test_a_bad_rule_is_refused_with_the_fix(engine: Engine, changes: dict[str, object], match: str) -> None:
    values: dict[str, object] = {
        "name": "r",
        "symbol": "AAPL",
        "rule_type": "price_above",
        "params": {"level": 1},
    }
    with pytest.raises(ConfigError, match=match):
        add_rule(engine, **{**values, **changes})  # type: ignore[arg-type]
    assert list_rules(engine) == []


def test_a_taken_name_is_refused(engine: Engine) -> None:
    add_rule(engine, name="dup", symbol="*", rule_type="price_above", params={"level": 1})
    with pytest.raises(ConfigError, match="a rule named 'dup' exists; pick another name"):
        add_rule(engine, name="dup", symbol="IBM", rule_type="price_below", params={"level": 1})


def test_enable_disable_and_filters(engine: Engine) -> None:
    first = add_rule(engine, name="a", symbol="*", rule_type="price_above", params={"level": 1})
    second = add_rule(
        engine, name="b", symbol="*", rule_type="price_above", params={"level": 1}, enabled=False
    )
    assert [r.name for r in list_rules(engine, enabled_only=True)] == ["a"]
    set_enabled(engine, "b", True)
    set_enabled(engine, first.id, False)
    assert [r.name for r in list_rules(engine, enabled_only=True)] == ["b"]
    assert [r.name for r in list_rules(engine, rule_ids=[second.id])] == ["b"]


def test_remove_deletes_the_rule_and_its_firings(engine: Engine) -> None:
    kept = add_rule(engine, name="kept", symbol="AAPL", rule_type="price_above", params={"level": 1})
    gone = add_rule(engine, name="gone", symbol="AAPL", rule_type="price_above", params={"level": 1})
    alerts = [Alert(r.id, r.name, r.rule_type, "AAPL", 1, 2.0, "m") for r in (kept, gone)]
    assert record_firings(engine, alerts, {kept.id: ["log"], gone.id: ["log", "mqtt"]}, now_ms=5) == 3
    removed, firings = remove_rule(engine, "gone")
    assert (removed.id, firings) == (gone.id, 2)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(AlertFiring)).scalar_one() == 1
    with pytest.raises(ConfigError, match="no alert rule 'gone'; see `marketjobs alerts list`"):
        remove_rule(engine, "gone")
