"""One alerts run: evaluate the enabled rules, record their firings, deliver every firing not yet delivered.

Delivery covers firings left pending or failed by earlier runs too, so an alert whose sink was down is sent
once the sink is back: never lost. A sink target (the MQTT broker, one webhook URL) that fails is not tried
again in the same run: its other firings wait for the next run (counted as ``deferred``), so a dead receiver
costs one timeout per run, not one per alert.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import Engine

from marketjobs import clock
from marketjobs.analysis.alert_rules import evaluate
from marketjobs.errors import ConfigError, DeliveryError
from marketjobs.notify.base import Notification
from marketjobs.notify.firings import (
    claim,
    last_firings,
    mark_delivered,
    mark_failed,
    outstanding,
    record_firings,
)
from marketjobs.notify.inputs import load_market_data
from marketjobs.notify.rules import list_rules, to_rule
from marketjobs.notify.sinks import SinkSet
from marketjobs.services.hooks import NO_HOOKS, RunHooks

__all__ = ["AlertsSummary", "deliver_outstanding", "run_alerts"]


@dataclass
class AlertsSummary:
    """What an alerts run did; ``as_dict()`` is the job result."""

    rules_checked: int = 0
    #: Alerts raised by the rules in this run (each becomes one firing per sink of its rule).
    fired: int = 0
    #: Firings newly recorded (an alert already recorded for its bar is not recorded again).
    recorded: int = 0
    delivered: int = 0
    failed: int = 0
    #: Firings not tried because their sink target already failed in this run; the next run tries them.
    deferred: int = 0
    #: Sink target -> the error that made it fail in this run.
    errors: dict[str, str] = field(default_factory=dict)
    #: True when a cancel ended delivery early (the rest stay pending for the next run).
    stopped: bool = False

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready values."""
        return asdict(self)


def run_alerts(
    engine: Engine,
    sinks: SinkSet,
    *,
    symbols: Sequence[str] | None = None,
    rule_ids: Sequence[int] | None = None,
    now_ms: int | None = None,
    progress: Callable[[float, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    hooks: RunHooks = NO_HOOKS,
) -> AlertsSummary:
    """Evaluates enabled rules (``rule_ids`` only, when given) on ``symbols`` (all watched when None), records
    the firings and delivers every outstanding one; returns the summary."""
    now = clock.now_ms() if now_ms is None else now_ms
    rows = list_rules(engine, rule_ids=rule_ids, enabled_only=True)
    rules = [to_rule(row) for row in rows]
    summary = AlertsSummary(rules_checked=len(rules))
    data = load_market_data(engine, rules, symbols)
    alerts = evaluate(rules, data, last_fired=last_firings(engine, [r.id for r in rules]), now_ms=now)
    summary.fired = len(alerts)
    summary.recorded = record_firings(engine, alerts, {row.id: row.sinks for row in rows}, now)
    if progress is not None:
        progress(30.0, f"{summary.fired} alerts from {summary.rules_checked} rules; delivering")
    deliver_outstanding(engine, sinks, summary, progress=progress, should_stop=should_stop, hooks=hooks)
    return summary


def deliver_outstanding(
    engine: Engine,
    sinks: SinkSet,
    summary: AlertsSummary,
    *,
    progress: Callable[[float, str], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    hooks: RunHooks = NO_HOOKS,
) -> None:
    """Delivers every pending or failed firing, counting outcomes in ``summary`` and through ``hooks``."""
    todo = outstanding(engine)
    for index, (firing, rule) in enumerate(todo):
        if should_stop is not None and should_stop():
            summary.stopped = True
            break
        target = sinks.target(firing.sink, rule.webhook_url)
        if target in summary.errors:
            summary.deferred += 1
            continue
        if not claim(engine, firing):
            continue  # another run is delivering it
        notification = Notification(
            firing_id=firing.id,
            rule_id=rule.id,
            rule_name=rule.name,
            rule_type=rule.rule_type,
            symbol=firing.symbol,
            bar_ts=firing.bar_ts,
            value=firing.value,
            message=firing.message,
            fired_at=firing.created_at,
        )
        try:
            sinks.get(firing.sink, rule.webhook_url).deliver(notification)
        except (DeliveryError, ConfigError) as exc:
            mark_failed(engine, firing.id, str(exc))
            hooks.after_alert_failed(firing.sink)
            summary.failed += 1
            summary.errors[target] = str(exc)
        else:
            mark_delivered(engine, firing.id, clock.now_ms())
            hooks.after_alert_delivered(firing.sink, rule.rule_type)
            summary.delivered += 1
        if progress is not None:
            progress(
                30.0 + 70.0 * (index + 1) / len(todo),
                f"{summary.delivered} delivered, {summary.failed} failed",
            )
