"""Alert rules in the store: add (checked), list, find, enable/disable and remove.

A rule's parameters are checked against its type (see :mod:`marketjobs.analysis.alert_rules`) before it is
stored, so the alerts job never meets a rule it cannot evaluate. Removing a rule removes its firings too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from marketjobs.analysis.alert_rules import Rule, check_rule_params
from marketjobs.clock import now_ms
from marketjobs.errors import ConfigError
from marketjobs.notify.webhook import shown_url
from marketjobs.store.alerts import (
    ALL_SYMBOLS,
    MAX_RULE_NAME,
    MAX_URL_LENGTH,
    SINK_NAMES,
    AlertFiring,
    AlertRule,
)
from marketjobs.store.bars import MAX_SYMBOL_LENGTH, bad_symbols

__all__ = ["add_rule", "find_rule", "list_rules", "remove_rule", "rule_dict", "set_enabled", "to_rule"]


def _check_sinks(sinks: Iterable[str], webhook_url: str | None) -> list[str]:
    chosen = list(dict.fromkeys(s.strip().lower() for s in sinks))
    unknown = [s for s in chosen if s not in SINK_NAMES]
    if unknown or not chosen:
        raise ConfigError(f"sinks must be one or more of {', '.join(SINK_NAMES)}; got {list(sinks)}")
    if "webhook" in chosen:
        if not webhook_url or not webhook_url.startswith(("http://", "https://")):
            raise ConfigError("the webhook sink needs a webhook url starting with http:// or https://")
        if len(webhook_url) > MAX_URL_LENGTH:
            raise ConfigError(f"the webhook url is longer than {MAX_URL_LENGTH} characters")
    elif webhook_url:
        raise ConfigError("a webhook url was given but webhook is not among the sinks; add the webhook sink")
    return chosen


def add_rule(
    engine: Engine,
    *,
    name: str,
    symbol: str,
    rule_type: str,
    params: Mapping[str, Any],
    sinks: Sequence[str] = ("log",),
    webhook_url: str | None = None,
    cooldown_seconds: int = 0,
    enabled: bool = True,
) -> AlertRule:
    """Stores a new rule after checking it; ConfigError says what to fix (a taken name included)."""
    name, symbol = name.strip(), symbol.strip()
    if not name or len(name) > MAX_RULE_NAME or name.isdigit():
        raise ConfigError(f"a rule name must be 1 to {MAX_RULE_NAME} characters and not only digits")
    if bad_symbols([symbol]):
        raise ConfigError(
            f"symbol must be a symbol of at most {MAX_SYMBOL_LENGTH} characters, or {ALL_SYMBOLS!r}"
        )
    if cooldown_seconds < 0:
        raise ConfigError("cooldown must be zero or more seconds")
    rule = AlertRule(
        name=name,
        symbol=symbol,
        rule_type=rule_type,
        params=check_rule_params(rule_type, params),
        sinks=_check_sinks(sinks, webhook_url),
        webhook_url=webhook_url or None,
        cooldown_seconds=int(cooldown_seconds),
        enabled=enabled,
        created_at=now_ms(),
    )
    with Session(engine, expire_on_commit=False) as session:
        session.add(rule)
        try:
            session.commit()
        except IntegrityError:
            raise ConfigError(f"a rule named {name!r} exists; pick another name or remove it first") from None
    return rule


def list_rules(
    engine: Engine, *, rule_ids: Sequence[int] | None = None, enabled_only: bool = False
) -> list[AlertRule]:
    """Rules by id, optionally only ``rule_ids`` and only enabled ones."""
    query = select(AlertRule).order_by(AlertRule.id)
    if rule_ids is not None:
        query = query.where(AlertRule.id.in_(list(rule_ids)))
    if enabled_only:
        query = query.where(AlertRule.enabled.is_(True))
    with Session(engine, expire_on_commit=False) as session:
        return list(session.execute(query).scalars())


def find_rule(engine: Engine, name_or_id: str | int) -> AlertRule:
    """The rule with this name, or this id when ``name_or_id`` is a number; ConfigError when none."""
    key = str(name_or_id).strip()
    column = AlertRule.id if key.isdigit() else AlertRule.name
    value: Any = int(key) if key.isdigit() else key
    with Session(engine, expire_on_commit=False) as session:
        rule = session.execute(select(AlertRule).where(column == value)).scalar_one_or_none()
    if rule is None:
        raise ConfigError(f"no alert rule {key!r}; see `marketjobs alerts list`")
    return rule


def set_enabled(engine: Engine, name_or_id: str | int, enabled: bool) -> AlertRule:
    """Enables or disables a rule; a disabled rule fires nothing, but its recorded firings are delivered."""
    rule = find_rule(engine, name_or_id)
    with Session(engine, expire_on_commit=False) as session:
        stored = session.get_one(AlertRule, rule.id)
        stored.enabled = enabled
        session.commit()
    return stored


def remove_rule(engine: Engine, name_or_id: str | int) -> tuple[AlertRule, int]:
    """Deletes a rule and its firings; returns the rule and how many firings went with it."""
    rule = find_rule(engine, name_or_id)
    with engine.begin() as connection:
        firings = connection.execute(delete(AlertFiring).where(AlertFiring.rule_id == rule.id)).rowcount
        connection.execute(delete(AlertRule).where(AlertRule.id == rule.id))
    return rule, int(firings)


def to_rule(row: AlertRule) -> Rule:
    """The stored rule as :func:`~marketjobs.analysis.alert_rules.evaluate` takes it."""
    return Rule(row.id, row.name, row.rule_type, row.symbol, dict(row.params), row.cooldown_seconds)


def rule_dict(row: AlertRule) -> dict[str, Any]:
    """Every column of a rule as JSON-ready values; the webhook URL shown as scheme, host and a digest
    (webhook URLs carry their secret in the path or query)."""
    values = {c.key: getattr(row, c.key) for c in AlertRule.__table__.columns}
    if values.get("webhook_url"):
        values["webhook_url"] = shown_url(values["webhook_url"])
    return values
