"""Alert rules and their firings: what to watch, and every alert raised with its delivery state per sink.

Times are UTC epoch milliseconds in BIGINT columns, as in :mod:`marketjobs.store.bars`. A firing is one
(rule, symbol, bar, sink): the unique key makes evaluating the same bar twice (a retried job, two runs at
once) record it once, so a rule never fires twice for one bar. Maintenance prunes firings by ``created_at``.
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Double,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from marketjobs.store.bars import MAX_SYMBOL_LENGTH
from marketjobs.store.base import Base

__all__ = [
    "ALL_SYMBOLS",
    "FIRING_STATUSES",
    "RULE_TYPES",
    "SINK_NAMES",
    "AlertFiring",
    "AlertRule",
]

#: The ``symbol`` of a rule that watches every symbol.
ALL_SYMBOLS: Final = "*"
#: Rule types, in the order the CLI lists them.
RULE_TYPES: Final = (
    "price_above",
    "price_below",
    "pct_move",
    "indicator_above",
    "indicator_below",
    "indicator_cross_above",
    "indicator_cross_below",
    "pattern_seen",
)
#: Sinks a rule may deliver to.
SINK_NAMES: Final = ("log", "webhook", "mqtt")
#: A firing is "pending" until delivered; "failed" keeps it for re-delivery by later runs.
FIRING_STATUSES: Final = ("pending", "delivered", "failed")
#: Longest rule name stored.
MAX_RULE_NAME = 128
#: Longest webhook URL stored.
MAX_URL_LENGTH = 2000
#: Longest firing message stored.
MAX_MESSAGE_LENGTH = 500

#: SQLite only auto-increments an INTEGER PRIMARY KEY; elsewhere firing ids get 64 bits.
_FiringId = BigInteger().with_variant(Integer(), "sqlite")


class AlertRule(Base):
    """A condition watched on one symbol (or every symbol) and the sinks its firings go to."""

    __tablename__ = "alert_rules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(MAX_RULE_NAME), unique=True)
    #: A symbol, or ``"*"`` for every symbol.
    symbol: Mapped[str] = mapped_column(String(MAX_SYMBOL_LENGTH))
    #: One of :data:`RULE_TYPES`.
    rule_type: Mapped[str] = mapped_column(String(32))
    #: The rule type's parameters, e.g. {"level": 200.0}; see :mod:`marketjobs.analysis.alert_rules`.
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Names from :data:`SINK_NAMES`, e.g. ["log", "webhook"].
    sinks: Mapped[list[str]] = mapped_column(JSON)
    webhook_url: Mapped[str | None] = mapped_column(String(MAX_URL_LENGTH))
    #: After firing for a symbol, the rule stays quiet for that symbol this long.
    cooldown_seconds: Mapped[int] = mapped_column(Integer)
    enabled: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[int] = mapped_column(BigInteger)


class AlertFiring(Base):
    """One alert for one sink: recorded as pending, then delivered, or failed and retried by later runs."""

    __tablename__ = "alert_firings"

    id: Mapped[int] = mapped_column(_FiringId, primary_key=True, autoincrement=True)
    rule_id: Mapped[int] = mapped_column(Integer, ForeignKey("alert_rules.id", ondelete="CASCADE"))
    symbol: Mapped[str] = mapped_column(String(MAX_SYMBOL_LENGTH))
    #: Time of the bar the rule fired on, UTC epoch milliseconds.
    bar_ts: Mapped[int] = mapped_column(BigInteger)
    message: Mapped[str] = mapped_column(String(MAX_MESSAGE_LENGTH))
    #: The value that crossed: a price, a percentage, an indicator value or a signal's value.
    value: Mapped[float | None] = mapped_column(Double)
    sink: Mapped[str] = mapped_column(String(16))
    #: One of :data:`FIRING_STATUSES`.
    status: Mapped[str] = mapped_column(String(16))
    #: Deliveries tried (a webhook's own retries within one try count once).
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[int] = mapped_column(BigInteger)
    delivered_at: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("rule_id", "symbol", "bar_ts", "sink", name="uq_alert_firings_rule_symbol_bar_sink"),
        Index("ix_alert_firings_status", "status"),
        Index("ix_alert_firings_created_at", "created_at"),
    )
