"""Alert firings in the store: record once per (rule, symbol, bar, sink), claim, mark delivered or failed.

Recording goes through insert-or-ignore on the unique key, so evaluating the same bar twice (a retried job,
two runs at once) records one firing. Before delivering, a run claims a firing by bumping its ``attempts``
from the value it read: of two runs that read the same firing, only one delivers it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from marketjobs.analysis.alert_rules import Alert, LastFiring
from marketjobs.redact import redact_text
from marketjobs.store.alerts import MAX_MESSAGE_LENGTH, AlertFiring, AlertRule
from marketjobs.store.dialects import insert_ignore

__all__ = [
    "ERROR_CHARS",
    "claim",
    "firing_dict",
    "last_firings",
    "list_firings",
    "mark_delivered",
    "mark_failed",
    "outstanding",
    "record_firings",
]

#: Characters of a delivery error kept in ``last_error``.
ERROR_CHARS = 2000
#: Most firings one run delivers; the rest wait for the next run.
MAX_DELIVERIES_PER_RUN = 10_000


def last_firings(engine: Engine, rule_ids: Sequence[int]) -> dict[tuple[int, str], LastFiring]:
    """(rule id, symbol) -> the newest bar fired on and the newest firing time, for ``rule_ids``."""
    if not rule_ids:
        return {}
    query = (
        select(
            AlertFiring.rule_id,
            AlertFiring.symbol,
            func.max(AlertFiring.bar_ts),
            func.max(AlertFiring.created_at),
        )
        .where(AlertFiring.rule_id.in_(list(rule_ids)))
        .group_by(AlertFiring.rule_id, AlertFiring.symbol)
    )
    with engine.connect() as connection:
        return {(r, s): LastFiring(int(bar), int(at)) for r, s, bar, at in connection.execute(query)}


def record_firings(
    engine: Engine, alerts: Iterable[Alert], sinks_of: Mapping[int, Sequence[str]], now_ms: int
) -> int:
    """Records each alert once per sink of its rule as pending; returns the firings newly recorded."""
    table = AlertFiring.__table__
    recorded = 0
    with engine.begin() as connection:
        for alert in alerts:
            for sink in sinks_of[alert.rule_id]:
                values: dict[str, Any] = {
                    "rule_id": alert.rule_id,
                    "symbol": alert.symbol,
                    "bar_ts": alert.bar_ts,
                    "message": alert.message[:MAX_MESSAGE_LENGTH],
                    "value": alert.value,
                    "sink": sink,
                    "status": "pending",
                    "attempts": 0,
                    "created_at": now_ms,
                }
                recorded += insert_ignore(connection, table, values)  # type: ignore[arg-type]
    return recorded


def outstanding(engine: Engine, limit: int = MAX_DELIVERIES_PER_RUN) -> list[tuple[AlertFiring, AlertRule]]:
    """Firings not yet delivered (pending or failed), oldest first, each with its rule."""
    query = (
        select(AlertFiring, AlertRule)
        .join(AlertRule, AlertRule.id == AlertFiring.rule_id)
        .where(AlertFiring.status.in_(("pending", "failed")))
        .order_by(AlertFiring.id)
        .limit(limit)
    )
    with Session(engine, expire_on_commit=False) as session:
        return [(firing, rule) for firing, rule in session.execute(query)]


def claim(engine: Engine, firing: AlertFiring) -> bool:
    """Counts a delivery attempt unless another run claimed the firing first; True when this run may send."""
    statement = (
        update(AlertFiring)
        .where(
            AlertFiring.id == firing.id,
            AlertFiring.attempts == firing.attempts,
            AlertFiring.status != "delivered",
        )
        .values(attempts=AlertFiring.attempts + 1)
    )
    with engine.begin() as connection:
        return int(connection.execute(statement).rowcount) == 1


def mark_delivered(engine: Engine, firing_id: int, now_ms: int) -> None:
    """Records a firing as delivered at ``now_ms``."""
    with engine.begin() as connection:
        connection.execute(
            update(AlertFiring)
            .where(AlertFiring.id == firing_id)
            .values(status="delivered", delivered_at=now_ms, last_error=None)
        )


def mark_failed(engine: Engine, firing_id: int, error: str) -> None:
    """Records a failed delivery and why; a later run delivers the firing again."""
    with engine.begin() as connection:
        connection.execute(
            update(AlertFiring)
            .where(AlertFiring.id == firing_id)
            .values(status="failed", last_error=redact_text(error)[:ERROR_CHARS])
        )


def list_firings(
    engine: Engine,
    *,
    status: str | None = None,
    rule_id: int | None = None,
    symbol: str | None = None,
    limit: int = 50,
) -> list[tuple[AlertFiring, str]]:
    """The newest firings first, each with its rule's name, optionally filtered."""
    query = select(AlertFiring, AlertRule.name).join(AlertRule, AlertRule.id == AlertFiring.rule_id)
    if status is not None:
        query = query.where(AlertFiring.status == status)
    if rule_id is not None:
        query = query.where(AlertFiring.rule_id == rule_id)
    if symbol is not None:
        query = query.where(AlertFiring.symbol == symbol)
    query = query.order_by(AlertFiring.id.desc()).limit(limit)
    with Session(engine, expire_on_commit=False) as session:
        return [(firing, name) for firing, name in session.execute(query)]


def firing_dict(firing: AlertFiring, rule_name: str) -> dict[str, Any]:
    """Every column of a firing plus its rule's name, as JSON-ready values."""
    return {"rule": rule_name, **{c.key: getattr(firing, c.key) for c in AlertFiring.__table__.columns}}
