"""The one interface every alert sink implements: :class:`Sink`, fed :class:`Notification` records.

A sink delivers one notification or raises :class:`DeliveryError` saying why; the caller records the
firing as delivered or failed (and retries failed ones later), so a sink never swallows an error.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, ClassVar

from marketjobs.errors import DeliveryError

__all__ = ["Notification", "Sink"]


def _iso(epoch_ms: int) -> str:
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Notification:
    """One firing as a sink sees it; times are UTC epoch milliseconds."""

    firing_id: int
    rule_id: int
    rule_name: str
    rule_type: str
    symbol: str
    bar_ts: int
    value: float | None
    message: str
    fired_at: int

    def payload(self) -> dict[str, Any]:
        """The JSON object webhooks and MQTT send: every field plus ISO-8601 copies of the times."""
        return {**asdict(self), "bar_time": _iso(self.bar_ts), "fired_time": _iso(self.fired_at)}


class Sink:
    """Delivers notifications somewhere; subclasses set ``name`` and fill in :meth:`_deliver`."""

    #: The name rules use for this sink ("log", "webhook", "mqtt").
    name: ClassVar[str] = "base"

    def deliver(self, notification: Notification) -> None:
        """Delivers ``notification``; raises DeliveryError (and only that) when it could not."""
        try:
            self._deliver(notification)
        except DeliveryError:
            raise
        except Exception as exc:
            raise DeliveryError(f"{self.name} sink failed: {type(exc).__name__}: {exc}") from exc

    def _deliver(self, notification: Notification) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """Releases connections; the sink is not used afterwards. Default: nothing to release."""
