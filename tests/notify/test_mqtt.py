"""The MQTT sink against the real Mosquitto: JSON on <prefix>/<symbol> with QoS 1; a broker that is down."""

from __future__ import annotations

import pytest

from marketjobs.errors import ConfigError
from marketjobs.notify import DeliveryError, MqttSink
from marketjobs.notify.mqtt import topic_for
from tests.notify.conftest import Subscriber, notification
from tests.servers import free_port


def test_publishes_the_alert_to_the_symbols_topic(subscriber: Subscriber) -> None:
    sink = MqttSink(subscriber.url, topic_prefix=subscriber.prefix, timeout_seconds=5.0)
    try:
        sink.deliver(notification("AAPL", firing_id=1))
        sink.deliver(notification("MSFT", firing_id=2))  # the same connection
    finally:
        sink.close()
    topic, payload, qos = subscriber.get()
    assert (topic, payload["symbol"], payload["firing_id"], qos) == (
        f"{subscriber.prefix}/AAPL",
        "AAPL",
        1,
        1,
    )
    assert payload["message"] == "AAPL closed at 201.5, above 200"
    topic, payload, _ = subscriber.get()
    assert (topic, payload["firing_id"]) == (f"{subscriber.prefix}/MSFT", 2)


def test_a_broker_that_is_down_is_a_delivery_error() -> None:
    port = free_port()
    sink = MqttSink(f"mqtt://127.0.0.1:{port}", topic_prefix="marketjobs/alerts", timeout_seconds=2.0)
    with pytest.raises(
        DeliveryError, match=rf"cannot reach the MQTT broker at 127.0.0.1:{port}: .* start it"
    ):
        sink.deliver(notification())
    sink.close()


def test_a_bad_url_names_the_setting() -> None:
    with pytest.raises(ConfigError, match="mqtt_url 'http://x' is not mqtt://host:port"):
        MqttSink("http://x", topic_prefix="p")


@pytest.mark.parametrize(
    ("prefix", "symbol", "topic"),
    [
        ("marketjobs/alerts", "AAPL", "marketjobs/alerts/AAPL"),
        ("marketjobs/alerts/", "BRK.B", "marketjobs/alerts/BRK.B"),
        ("a", "X+#", "a/X__"),
    ],
)
def test_topic_is_prefix_then_symbol_without_wildcards(prefix: str, symbol: str, topic: str) -> None:
    assert topic_for(prefix, symbol) == topic


def test_delivers_from_a_process_with_more_than_1024_open_files(subscriber: Subscriber) -> None:
    """paho's loop_start() uses select(), which fails on descriptors >= 1024; the sink's loop does not."""
    import os
    import resource

    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 1200:
        pytest.skip("needs an open-files limit of at least 1200 (ulimit -n)")

    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        sink = MqttSink(subscriber.url, topic_prefix=subscriber.prefix, timeout_seconds=5.0)
        try:
            sink.deliver(notification("IBM", firing_id=7))
        finally:
            sink.close()
    finally:
        for fd in held:
            os.close(fd)
    topic, payload, _ = subscriber.get()
    assert (topic, payload["firing_id"]) == (f"{subscriber.prefix}/IBM", 7)
