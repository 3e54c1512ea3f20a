"""One alerts run on every database: firings recorded once per bar and sink, delivered, failed and retried."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from marketjobs.notify import MemorySink, SinkSet
from marketjobs.notify.firings import claim, list_firings, outstanding
from marketjobs.notify.rules import add_rule, set_enabled
from marketjobs.services.alerts_run import run_alerts
from marketjobs.services.hooks import RunHooks
from marketjobs.store.alerts import AlertFiring
from marketjobs.store.engine import create_store_engine
from tests.notify.conftest import Receiver, Subscriber
from tests.notify.store_data import day, epoch_ms, seed_closes, seed_signal, seed_snapshot
from tests.servers import free_port

DAY_MS = 86_400_000


def sinks(**overrides: MemorySink) -> SinkSet:
    return SinkSet(
        mqtt_url="mqtt://127.0.0.1:1",
        mqtt_topic_prefix="unused",
        webhook_timeout_seconds=5.0,
        overrides=overrides,
    )


def firings(engine: Engine) -> list[AlertFiring]:
    with Session(engine) as session:
        return list(session.execute(select(AlertFiring).order_by(AlertFiring.id)).scalars())


def test_a_rule_fires_once_per_bar_for_each_of_its_sinks(engine: Engine) -> None:
    last = seed_closes(engine, "AAPL", [190.0, 201.5])
    seed_closes(engine, "MSFT", [150.0])
    rule = add_rule(
        engine,
        name="aapl-200",
        symbol="AAPL",
        rule_type="price_above",
        params={"level": 200},
        sinks=["log", "mqtt"],
    )
    log, mqtt = MemorySink(), MemorySink()
    summary = run_alerts(engine, sinks(log=log, mqtt=mqtt), now_ms=last + DAY_MS)
    assert (summary.rules_checked, summary.fired, summary.recorded, summary.delivered, summary.failed) == (
        1,
        1,
        2,
        2,
        0,
    )
    assert [n.message for n in log.delivered] == ["AAPL closed at 201.5, above 200"]
    assert [(n.rule_id, n.symbol, n.bar_ts, n.value) for n in mqtt.delivered] == [
        (rule.id, "AAPL", last, 201.5)
    ]
    rows = firings(engine)
    assert [(f.sink, f.status, f.attempts, f.bar_ts) for f in rows] == [
        ("log", "delivered", 1, last),
        ("mqtt", "delivered", 1, last),
    ]
    assert all(f.delivered_at is not None and f.last_error is None for f in rows)

    again = run_alerts(engine, sinks(log=log, mqtt=mqtt), now_ms=last + 2 * DAY_MS)
    assert (again.fired, again.recorded, again.delivered) == (0, 0, 0)
    assert len(log.delivered) == 1


def test_a_new_bar_fires_again_unless_the_cooldown_holds_it(engine: Engine) -> None:
    seed_closes(engine, "AAPL", [250.0])
    add_rule(
        engine,
        name="quiet",
        symbol="AAPL",
        rule_type="price_above",
        params={"level": 200},
        cooldown_seconds=3600,
    )
    add_rule(engine, name="chatty", symbol="AAPL", rule_type="price_above", params={"level": 200})
    log = MemorySink()
    now = epoch_ms(day(0)) + DAY_MS
    assert run_alerts(engine, sinks(log=log), now_ms=now).fired == 2
    seed_closes(engine, "AAPL", [260.0], first=1)
    assert run_alerts(engine, sinks(log=log), now_ms=now + 60_000).fired == 1  # chatty only
    assert [n.rule_name for n in log.delivered] == ["quiet", "chatty", "chatty"]


class CountingHooks(RunHooks):
    """Run hooks that note each delivery outcome."""

    def __init__(self) -> None:
        self.counted: list[tuple[str, ...]] = []

    def after_alert_delivered(self, sink: str, rule_type: str) -> None:
        self.counted.append(("fired", sink, rule_type))

    def after_alert_failed(self, sink: str) -> None:
        self.counted.append(("failed", sink))


def test_a_failed_delivery_is_recorded_and_delivered_by_a_later_run(engine: Engine) -> None:
    hooks = CountingHooks()
    counted = hooks.counted
    seed_closes(engine, "AAPL", [99.0])
    seed_closes(engine, "IBM", [98.0])
    add_rule(engine, name="cheap", symbol="*", rule_type="price_below", params={"level": 100}, sinks=["mqtt"])
    down = MemorySink(failing="broker down")
    summary = run_alerts(engine, sinks(mqtt=down), now_ms=epoch_ms(day(1)), hooks=hooks)
    # the second firing is not tried against a target that just failed
    assert (summary.fired, summary.delivered, summary.failed, summary.deferred) == (2, 0, 1, 1)
    assert summary.errors == {"mqtt": "broker down"}
    assert [(f.symbol, f.status, f.attempts, f.last_error) for f in firings(engine)] == [
        ("AAPL", "failed", 1, "broker down"),
        ("IBM", "pending", 0, None),
    ]
    assert counted == [("failed", "mqtt")]

    up = MemorySink()
    later = run_alerts(engine, sinks(mqtt=up), now_ms=epoch_ms(day(1)) + 60_000, hooks=hooks)
    assert (later.fired, later.delivered, later.failed) == (0, 2, 0)
    assert [n.symbol for n in up.delivered] == ["AAPL", "IBM"]
    assert [(f.status, f.attempts, f.last_error) for f in firings(engine)] == [
        ("delivered", 2, None),
        ("delivered", 1, None),
    ]
    assert counted[1:] == [("fired", "mqtt", "price_below"), ("fired", "mqtt", "price_below")]


def test_indicator_pct_and_pattern_rules_read_snapshots_bars_and_signals(engine: Engine) -> None:
    last = seed_closes(engine, "AAPL", [100.0, 90.0, 95.0, 111.0])
    seed_closes(engine, "IBM", [100.0, 100.0])
    seed_snapshot(engine, "AAPL", last, {"rsi_14": 72.0, "sma_20": 1.0}, {"rsi_14": 68.0, "sma_20": 1.0})
    seed_snapshot(engine, "IBM", last, {"rsi_14": 75.0}, {"rsi_14": 74.0})
    seed_signal(engine, "AAPL", last, "cdlengulfing", "up", 100.0)
    seed_signal(engine, "AAPL", last - DAY_MS, "cdlhammer", "up", 100.0)  # an older bar: not news
    seed_signal(engine, "IBM", last, "cdlengulfing", "down", -100.0)
    add_rule(
        engine,
        name="rsi-70",
        symbol="*",
        rule_type="indicator_cross_above",
        params={"indicator": "rsi_14", "level": 70},
    )
    add_rule(
        engine,
        name="engulf-up",
        symbol="*",
        rule_type="pattern_seen",
        params={"pattern": "cdlengulfing", "direction": "up"},
    )
    add_rule(engine, name="hammer", symbol="*", rule_type="pattern_seen", params={"pattern": "cdlhammer"})
    add_rule(engine, name="jump", symbol="*", rule_type="pct_move", params={"pct": 10, "bars": 3})
    log = MemorySink()
    run_alerts(engine, sinks(log=log), now_ms=last + DAY_MS)
    assert sorted((n.rule_name, n.symbol, n.value) for n in log.delivered) == [
        ("engulf-up", "AAPL", 100.0),
        ("jump", "AAPL", pytest.approx(11.0)),
        ("rsi-70", "AAPL", 72.0),
    ]


def test_symbols_and_rule_ids_narrow_the_run(engine: Engine) -> None:
    seed_closes(engine, "AAPL", [300.0])
    seed_closes(engine, "MSFT", [300.0])
    first = add_rule(engine, name="one", symbol="*", rule_type="price_above", params={"level": 200})
    add_rule(engine, name="two", symbol="*", rule_type="price_above", params={"level": 200})
    log = MemorySink()
    summary = run_alerts(
        engine, sinks(log=log), symbols=["MSFT"], rule_ids=[first.id], now_ms=epoch_ms(day(1))
    )
    assert summary.rules_checked == 1
    assert [(n.rule_name, n.symbol) for n in log.delivered] == [("one", "MSFT")]


def test_of_two_runs_holding_the_same_firing_only_one_claims_it(engine: Engine) -> None:
    seed_closes(engine, "AAPL", [300.0])
    add_rule(
        engine, name="one", symbol="AAPL", rule_type="price_above", params={"level": 200}, sinks=["mqtt"]
    )
    run_alerts(engine, sinks(mqtt=MemorySink(failing="down")), now_ms=epoch_ms(day(1)))
    [(seen_by_a, _)] = outstanding(engine)
    [(seen_by_b, _)] = outstanding(engine)
    assert claim(engine, seen_by_a) is True
    assert claim(engine, seen_by_b) is False


def test_webhook_and_log_sinks_built_from_settings(engine: Engine, receiver: Receiver, caplog: Any) -> None:
    seed_closes(engine, "AAPL", [300.0])
    add_rule(
        engine,
        name="hook",
        symbol="AAPL",
        rule_type="price_above",
        params={"level": 200},
        sinks=["webhook", "log"],
        webhook_url=receiver.url,
    )
    receiver.plan = [500]  # retried within the delivery
    with (
        SinkSet(
            mqtt_url="mqtt://127.0.0.1:1883",
            mqtt_topic_prefix="p",
            webhook_timeout_seconds=5.0,
            webhook_backoff_seconds=0.01,
            http_allowed_hosts=["127.0.0.1"],
        ) as built,
        caplog.at_level("WARNING", logger="marketjobs.alerts"),
    ):
        summary = run_alerts(engine, built, now_ms=epoch_ms(day(1)))
    assert (summary.delivered, summary.failed) == (2, 0)
    assert [b["rule_name"] for b in receiver.bodies] == ["hook", "hook"]
    assert "alert hook: AAPL closed at 300, above 200" in caplog.messages


def test_mqtt_broker_down_then_up_delivers_the_kept_alert(sqlite_url: str, subscriber: Subscriber) -> None:
    engine = create_store_engine(sqlite_url)
    seed_closes(engine, "AAPL", [300.0])
    add_rule(engine, name="mq", symbol="AAPL", rule_type="price_above", params={"level": 200}, sinks=["mqtt"])
    down_url = f"mqtt://127.0.0.1:{free_port()}"
    with SinkSet(mqtt_url=down_url, mqtt_topic_prefix=subscriber.prefix, webhook_timeout_seconds=1.0) as down:
        summary = run_alerts(engine, down, now_ms=epoch_ms(day(1)))
    assert (summary.fired, summary.failed) == (1, 1)
    [(firing, _)] = list_firings(engine, status="failed")
    assert firing.last_error is not None
    assert "cannot reach the MQTT broker" in firing.last_error

    with SinkSet(
        mqtt_url=subscriber.url, mqtt_topic_prefix=subscriber.prefix, webhook_timeout_seconds=1.0
    ) as up:
        later = run_alerts(engine, up, now_ms=epoch_ms(day(1)) + 60_000)
    assert (later.fired, later.delivered) == (0, 1)
    topic, payload, qos = subscriber.get()
    assert (topic, payload["rule_name"], payload["symbol"], qos) == (
        f"{subscriber.prefix}/AAPL",
        "mq",
        "AAPL",
        1,
    )
    assert [f.status for f in firings(engine)] == ["delivered"]


def test_a_cancelled_run_leaves_the_rest_pending_for_the_next(engine: Engine) -> None:
    for symbol in ("A", "B", "C"):
        seed_closes(engine, symbol, [300.0])
    add_rule(engine, name="all", symbol="*", rule_type="price_above", params={"level": 200})
    log = MemorySink()
    asked: list[int] = []

    def stop_after_one() -> bool:
        asked.append(1)
        return len(asked) > 1

    summary = run_alerts(engine, sinks(log=log), now_ms=epoch_ms(day(1)), should_stop=stop_after_one)
    assert (summary.fired, summary.delivered, summary.stopped) == (3, 1, True)
    assert [f.status for f in firings(engine)] == ["delivered", "pending", "pending"]
    assert run_alerts(engine, sinks(log=log), now_ms=epoch_ms(day(1))).delivered == 2
    assert [n.symbol for n in log.delivered] == ["A", "B", "C"]


def test_a_disabled_rule_fires_nothing_but_its_kept_firings_are_delivered(engine: Engine) -> None:
    seed_closes(engine, "AAPL", [300.0])
    rule = add_rule(
        engine, name="r", symbol="AAPL", rule_type="price_above", params={"level": 200}, sinks=["mqtt"]
    )
    run_alerts(engine, sinks(mqtt=MemorySink(failing="down")), now_ms=epoch_ms(day(1)))
    set_enabled(engine, rule.id, False)
    seed_closes(engine, "AAPL", [310.0], first=1)
    up = MemorySink()
    summary = run_alerts(engine, sinks(mqtt=up), now_ms=epoch_ms(day(2)))
    assert (summary.rules_checked, summary.fired, summary.delivered) == (0, 0, 1)
    assert [n.value for n in up.delivered] == [300.0]


def test_snapshot_values_stored_as_json_text_are_read_too(engine: Engine) -> None:
    last = seed_closes(engine, "AAPL", [100.0])
    seed_snapshot(engine, "AAPL", last, '{"rsi_14": 75.0}', '{"rsi_14": 65.0}')  # type: ignore[arg-type]
    add_rule(
        engine,
        name="rsi",
        symbol="AAPL",
        rule_type="indicator_cross_above",
        params={"indicator": "rsi_14", "level": 70},
    )
    log = MemorySink()
    run_alerts(engine, sinks(log=log), now_ms=last + DAY_MS)
    assert [n.value for n in log.delivered] == [75.0]
