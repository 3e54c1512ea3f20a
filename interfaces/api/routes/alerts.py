"""Alert rules and their firings, read only (``marketjobs alerts`` changes them). Webhook URLs are shown as
their host only, errors and messages redacted."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field

from interfaces.api.auth import Viewer
from interfaces.api.deps import Store
from interfaces.api.redacted import served, webhook
from marketjobs.errors import ConfigError
from marketjobs.notify.firings import list_firings
from marketjobs.notify.rules import find_rule, list_rules
from marketjobs.redact import redact_text
from marketjobs.store.alerts import AlertFiring, AlertRule

__all__ = ["Firing", "Rule", "router"]

router = APIRouter(prefix="/api/alerts", tags=["alerts"])

#: Most firings one request returns.
MAX_FIRINGS = 500


class Rule(BaseModel):
    """One alert rule (times in UTC epoch milliseconds)."""

    id: int
    name: str
    symbol: str = Field(description="a symbol, or '*' for every symbol")
    rule_type: str
    params: Any = Field(description="the rule type's parameters")
    sinks: list[str]
    webhook_url: str | None = Field(description="the webhook's scheme and host only")
    cooldown_seconds: int
    enabled: bool
    created_at: int


class Firing(BaseModel):
    """One alert for one sink, with its delivery state."""

    id: int
    rule_id: int
    rule: str = Field(description="the rule's name")
    symbol: str
    bar_ts: int = Field(description="the bar it fired on, UTC epoch milliseconds")
    message: str
    value: float | None
    sink: str
    status: str = Field(description="pending, delivered or failed")
    attempts: int
    last_error: str | None
    created_at: int
    delivered_at: int | None


def _rule(rule: AlertRule) -> Rule:
    return Rule(
        id=rule.id,
        name=rule.name,
        symbol=rule.symbol,
        rule_type=rule.rule_type,
        params=served(rule.params),
        sinks=list(rule.sinks),
        webhook_url=webhook(rule.webhook_url),
        cooldown_seconds=rule.cooldown_seconds,
        enabled=rule.enabled,
        created_at=rule.created_at,
    )


def _firing(firing: AlertFiring, rule_name: str) -> Firing:
    return Firing(
        id=firing.id,
        rule_id=firing.rule_id,
        rule=rule_name,
        symbol=firing.symbol,
        bar_ts=firing.bar_ts,
        message=redact_text(firing.message),
        value=served(firing.value),
        sink=firing.sink,
        status=firing.status,
        attempts=firing.attempts,
        last_error=None if firing.last_error is None else redact_text(firing.last_error),
        created_at=firing.created_at,
        delivered_at=firing.delivered_at,
    )


@router.get("/rules", response_model=list[Rule], summary="Every alert rule")
def rules(principal: Viewer, engine: Store) -> list[Rule]:
    """Rules by id with their type, parameters, sinks, cooldown and enabled flag."""
    return [_rule(rule) for rule in list_rules(engine)]


@router.get("/firings", response_model=list[Firing], summary="The newest firings")
def firings(
    principal: Viewer,
    engine: Store,
    status: Annotated[Literal["pending", "delivered", "failed"] | None, Query()] = None,
    rule: Annotated[str | None, Query(max_length=128, description="a rule's name or id")] = None,
    symbol: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_FIRINGS)] = 50,
) -> list[Firing]:
    """Firings newest first with their rule, bar, message, sink, delivery status and last error."""
    rule_id = None
    if rule is not None:
        try:
            rule_id = find_rule(engine, rule).id
        except ConfigError as exc:
            raise HTTPException(404, str(exc)) from None
    rows = list_firings(engine, status=status, rule_id=rule_id, symbol=symbol, limit=limit)
    return [_firing(firing, name) for firing, name in rows]
