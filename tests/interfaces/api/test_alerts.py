"""``/api/alerts/rules`` and ``/api/alerts/firings``: read only, webhook URLs as their host, errors
redacted."""

from __future__ import annotations

from sqlalchemy import update

from marketjobs.analysis.alert_rules import Alert
from marketjobs.clock import now_ms
from marketjobs.notify.firings import record_firings
from marketjobs.notify.rules import add_rule
from marketjobs.store.alerts import AlertFiring
from tests.interfaces.api.conftest import LiveApi, error_of

HOOK_SECRET = "T000-B000-hooksecret"
PASSWORD = "hookpass-31337"


def _rule_with_a_firing(api: LiveApi) -> int:
    rule = add_rule(
        api.engine,
        name="aapl-200",
        symbol="AAPL",
        rule_type="price_above",
        params={"level": 200.0},
        sinks=["log", "webhook"],
        webhook_url=f"https://bot:{PASSWORD}@hooks.example.com/services/{HOOK_SECRET}?token={HOOK_SECRET}",
    )
    alert = Alert(rule.id, rule.name, rule.rule_type, "AAPL", 1_700_000_000_000, 201.5, "AAPL above 200")
    record_firings(api.engine, [alert], {rule.id: ["webhook"]}, now_ms())
    with api.engine.begin() as connection:  # an error stored before errors were redacted on write
        connection.execute(
            update(AlertFiring).values(
                status="failed", last_error=f"POST https://bot:{PASSWORD}@hooks.example.com/ refused"
            )
        )
    return rule.id


def test_rules_show_the_webhook_host_only(live_api: LiveApi) -> None:
    rule_id = _rule_with_a_firing(live_api)
    response = live_api.viewer.get("/api/alerts/rules")
    [rule] = response.json()
    assert rule["id"] == rule_id
    assert rule["params"] == {"level": 200.0}
    assert rule["webhook_url"] == "https://hooks.example.com/***"
    assert HOOK_SECRET not in response.text
    assert PASSWORD not in response.text


def test_firings_are_listed_filtered_and_redacted(live_api: LiveApi) -> None:
    _rule_with_a_firing(live_api)
    response = live_api.viewer.get("/api/alerts/firings")
    [firing] = response.json()
    assert firing["rule"] == "aapl-200"
    assert firing["status"] == "failed"
    assert firing["value"] == 201.5
    assert "***" in firing["last_error"]
    assert PASSWORD not in response.text
    assert live_api.viewer.get("/api/alerts/firings", params={"rule": "aapl-200"}).json() == [firing]
    assert live_api.viewer.get("/api/alerts/firings", params={"status": "delivered"}).json() == []
    assert live_api.viewer.get("/api/alerts/firings", params={"symbol": "MSFT"}).json() == []


def test_an_unknown_rule_or_bad_status_is_refused(sqlite_api: LiveApi) -> None:
    assert error_of(sqlite_api.viewer.get("/api/alerts/firings", params={"rule": "nope"}), 404)
    assert error_of(sqlite_api.viewer.get("/api/alerts/firings", params={"status": "lost"}), 422)
