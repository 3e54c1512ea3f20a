"""Prometheus configuration, recording and alert rules, checked and unit-tested with promtool."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.monitoring.dashboards import dashboards
from tests.servers import require_tool

PROMETHEUS_DIR = Path(__file__).resolve().parents[2] / "monitoring" / "prometheus"
RULES = PROMETHEUS_DIR / "rules" / "marketjobs.rules.yml"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [require_tool("promtool"), *args], capture_output=True, text=True, check=False, timeout=120
    )


def test_rules_and_scrape_config_are_valid() -> None:
    checked = promtool("check", "rules", str(RULES))
    assert checked.returncode == 0, checked.stdout + checked.stderr
    config = promtool("check", "config", str(PROMETHEUS_DIR / "prometheus.yml"))
    assert config.returncode == 0, config.stdout + config.stderr


def test_every_alert_fires_and_stays_quiet_in_promtool_unit_tests() -> None:
    result = promtool("test", "rules", str(PROMETHEUS_DIR / "tests" / "marketjobs.test.yml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_alert_has_severity_summary_description_and_dashboard_and_a_unit_test() -> None:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    alerts = [rule for group in groups for rule in group["rules"] if "alert" in rule]
    assert alerts
    tests_text = (PROMETHEUS_DIR / "tests" / "marketjobs.test.yml").read_text()
    for alert in alerts:
        assert alert["labels"]["severity"] in {"critical", "warning", "info"}, alert["alert"]
        assert {"summary", "description", "dashboard"} <= set(alert["annotations"]), alert["alert"]
        assert f"alertname: {alert['alert']}" in tests_text, f"{alert['alert']} has no promtool test"


def test_the_issue_7_alerts_exist() -> None:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    alerts = {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}
    assert {
        "MarketjobsJobFailureRateHigh",
        "MarketjobsQueueBacklogGrowing",
        "MarketjobsWorkerDown",
        "MarketjobsDeadLettersGrowing",
        "MarketjobsJobStuck",
        "MarketjobsMarketDataStale",
        "MarketjobsSchedulerNotTicking",
        "MarketjobsAlertDeliveryFailing",
    } <= alerts


def test_every_alert_links_to_a_dashboard_that_exists() -> None:
    uids = {model["uid"] for _, model in dashboards()}
    groups = yaml.safe_load(RULES.read_text())["groups"]
    for rule in (rule for group in groups for rule in group["rules"] if "alert" in rule):
        link = rule["annotations"]["dashboard"]
        assert link.removeprefix("/d/") in uids, f"{rule['alert']}: no dashboard {link}"


def test_every_alert_has_a_promtool_case_firing_and_one_staying_quiet() -> None:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    alerts = {rule["alert"] for group in groups for rule in group["rules"] if "alert" in rule}
    tests = yaml.safe_load((PROMETHEUS_DIR / "tests" / "marketjobs.test.yml").read_text())["tests"]
    cases = [case for test in tests for case in test.get("alert_rule_test", [])]
    firing = {case["alertname"] for case in cases if case.get("exp_alerts")}
    quiet = {case["alertname"] for case in cases if not case.get("exp_alerts")}
    assert alerts - firing == set(), "alerts never tested firing"
    assert alerts - quiet == set(), "alerts never tested quiet"
