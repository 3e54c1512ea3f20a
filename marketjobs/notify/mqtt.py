"""``mqtt``: each alert published as JSON to ``<topic_prefix>/<symbol>`` with QoS 1, waiting for the PUBACK.

One connection per sink (per alerts run), opened at the first alert; a broker that refuses, cannot be
reached or does not acknowledge within ``timeout_seconds`` raises DeliveryError, and the alert is sent again
by a later run. ``mqtts://`` connects with TLS; ``mqtt://user:password@host:port`` logs in.
"""

from __future__ import annotations

import json
import selectors
import threading
import urllib.parse
import uuid
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from marketjobs.errors import ConfigError, DeliveryError
from marketjobs.notify.base import Notification, Sink

__all__ = ["DEFAULT_TIMEOUT_SECONDS", "QOS", "MqttSink", "topic_for"]

#: Longest wait for the broker's CONNACK and for each PUBACK.
DEFAULT_TIMEOUT_SECONDS = 10.0
#: At least once: the broker acknowledges every alert.
QOS = 1
#: Seconds between keep-alive pings while a connection is open.
KEEPALIVE_SECONDS = 60


def topic_for(prefix: str, symbol: str) -> str:
    """``<prefix>/<symbol>``; MQTT wildcards (``+``, ``#``) in a symbol become ``_``."""
    return f"{prefix.rstrip('/')}/{symbol.replace('+', '_').replace('#', '_')}"


class NetworkLoop:
    """Drives a paho client's network I/O in a daemon thread with :mod:`selectors` (epoll on Linux).

    paho's own ``loop_start()`` waits with ``select()``, which fails on a descriptor numbered 1024 or more:
    in a long-lived worker (or a test run) with many open files the loop thread dies at once and nothing is
    ever sent. This loop has no such limit.
    """

    def __init__(self, client: mqtt.Client) -> None:
        self.client = client
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="marketjobs-mqtt", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with selectors.DefaultSelector() as selector:
            while not self._stop.is_set():
                sock = self.client.socket()
                if sock is None:
                    self._stop.wait(0.05)
                    continue
                events = selectors.EVENT_READ | (selectors.EVENT_WRITE if self.client.want_write() else 0)
                selector.register(sock, events)
                try:
                    ready = selector.select(timeout=0.1)
                finally:
                    selector.unregister(sock)
                for _key, mask in ready:
                    if mask & selectors.EVENT_READ:
                        self.client.loop_read()
                    if mask & selectors.EVENT_WRITE and self.client.socket() is not None:
                        self.client.loop_write()
                self.client.loop_misc()

    def stop(self) -> None:
        """Ends the thread (after ``client.disconnect()``)."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=5)


class MqttSink(Sink):
    """Publishes alerts to an MQTT broker (see the module docstring)."""

    name = "mqtt"

    def __init__(
        self, url: str, *, topic_prefix: str, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise ConfigError(
                f"mqtt_url {url!r} is not mqtt://host:port or mqtts://host:port; fix the setting"
            )
        self.tls = parts.scheme == "mqtts"
        self.host, self.port = parts.hostname, parts.port or (8883 if self.tls else 1883)
        self.username, self.password = parts.username, parts.password
        self.topic_prefix, self.timeout_seconds = topic_prefix, timeout_seconds
        self._client: mqtt.Client | None = None
        self._loop: NetworkLoop | None = None

    @property
    def address(self) -> str:
        """host:port of the broker."""
        return f"{self.host}:{self.port}"

    def _connect(self) -> mqtt.Client:
        if self._client is not None and self._client.is_connected():
            return self._client
        self.close()
        client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"marketjobs-alerts-{uuid.uuid4().hex[:12]}",
            protocol=mqtt.MQTTv311,
        )
        client.connect_timeout = self.timeout_seconds
        if self.username is not None:
            client.username_pw_set(
                urllib.parse.unquote(self.username), urllib.parse.unquote(self.password or "")
            )
        if self.tls:
            client.tls_set()
        answered = threading.Event()
        outcome: dict[str, Any] = {}

        def on_connect(_client: mqtt.Client, _userdata: Any, _flags: Any, reason: Any, _props: Any) -> None:
            outcome["reason"] = reason
            answered.set()

        client.on_connect = on_connect
        try:
            client.connect(self.host, self.port, keepalive=KEEPALIVE_SECONDS)
        except OSError as exc:
            raise DeliveryError(
                f"cannot reach the MQTT broker at {self.address}: {exc}; start it or fix mqtt_url "
                "(the alert is kept and sent again by the next alerts run)"
            ) from None
        self._loop = NetworkLoop(client)
        self._client = client
        if not answered.wait(self.timeout_seconds):
            self.close()
            raise DeliveryError(
                f"the MQTT broker at {self.address} did not answer CONNECT within {self.timeout_seconds} s"
            )
        reason = outcome["reason"]
        if reason.is_failure:
            self.close()
            raise DeliveryError(
                f"the MQTT broker at {self.address} refused the connection: {reason}; "
                "check mqtt_url's user and password"
            )
        return client

    def _deliver(self, notification: Notification) -> None:
        client = self._connect()
        topic = topic_for(self.topic_prefix, notification.symbol)
        info = client.publish(topic, json.dumps(notification.payload()), qos=QOS)
        if info.rc not in (mqtt.MQTT_ERR_SUCCESS, mqtt.MQTT_ERR_NO_CONN):
            raise DeliveryError(
                f"MQTT publish to {topic} at {self.address} failed: {mqtt.error_string(info.rc)}"
            )
        try:
            info.wait_for_publish(self.timeout_seconds)
        except (RuntimeError, ValueError) as exc:
            raise DeliveryError(f"MQTT publish to {topic} at {self.address} failed: {exc}") from None
        if not info.is_published():
            self.close()
            raise DeliveryError(
                f"the MQTT broker at {self.address} did not acknowledge {topic} "
                f"within {self.timeout_seconds} s"
            )

    def close(self) -> None:
        """Disconnects and stops the network thread."""
        client, self._client = self._client, None
        loop, self._loop = self._loop, None
        if client is not None:
            client.disconnect()
        if loop is not None:
            loop.stop()
