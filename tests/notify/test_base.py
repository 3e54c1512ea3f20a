"""The sink interface: the JSON payload every sink sends, and any sink failure surfacing as DeliveryError."""

from __future__ import annotations

import pytest

from marketjobs.notify import DeliveryError, MemorySink, Notification, Sink
from tests.notify.conftest import notification


def test_payload_has_every_field_and_iso_times() -> None:
    payload = notification().payload()
    assert payload == {
        "firing_id": 1,
        "rule_id": 7,
        "rule_name": "aapl-200",
        "rule_type": "price_above",
        "symbol": "AAPL",
        "bar_ts": 1_700_000_000_000,
        "value": 201.5,
        "message": "AAPL closed at 201.5, above 200",
        "fired_at": 1_700_000_360_000,
        "bar_time": "2023-11-14T22:13:20Z",
        "fired_time": "2023-11-14T22:19:20Z",
    }


class Broken(Sink):
    name = "broken"

    def _deliver(self, notification: Notification) -> None:
        raise KeyError("topic")


def test_an_unexpected_sink_error_becomes_a_delivery_error_naming_the_sink() -> None:
    with pytest.raises(DeliveryError, match="broken sink failed: KeyError: 'topic'"):
        Broken().deliver(notification())


def test_the_memory_sink_keeps_deliveries_and_fails_on_demand() -> None:
    sink = MemorySink()
    sink.deliver(notification(firing_id=3))
    sink.failing = "receiver down"
    with pytest.raises(DeliveryError, match="receiver down"):
        sink.deliver(notification(firing_id=4))
    assert [n.firing_id for n in sink.delivered] == [3]
