"""Shared by the sink tests: a webhook receiver, an MQTT subscriber on the real Mosquitto, notifications."""

from __future__ import annotations

import json
import queue
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from marketjobs.notify import Notification
from marketjobs.notify.mqtt import NetworkLoop
from tests.servers import require_service

#: Longest wait for a message the test expects (a failure, never a timing assertion).
RECEIVE_TIMEOUT_SECONDS = 10.0
#: Connections tried before a subscriber gives up.
SUBSCRIBE_ATTEMPTS = 3


def notification(symbol: str = "AAPL", firing_id: int = 1) -> Notification:
    """A price_above firing for ``symbol``."""
    return Notification(
        firing_id=firing_id,
        rule_id=7,
        rule_name="aapl-200",
        rule_type="price_above",
        symbol=symbol,
        bar_ts=1_700_000_000_000,
        value=201.5,
        message=f"{symbol} closed at 201.5, above 200",
        fired_at=1_700_000_360_000,
    )


@dataclass
class Receiver:
    """A webhook receiver: answers the statuses in ``plan`` (then 200; 0: never) and keeps the bodies."""

    url: str = ""
    plan: list[int] = field(default_factory=list)
    bodies: list[dict[str, Any]] = field(default_factory=list)
    content_types: list[str] = field(default_factory=list)
    #: Set at teardown: lets requests planned as 0 (never answered) finish.
    release: threading.Event = field(default_factory=threading.Event)

    def handler(self) -> type[BaseHTTPRequestHandler]:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.bodies.append(json.loads(body))
                receiver.content_types.append(self.headers["Content-Type"])
                status = receiver.plan.pop(0) if receiver.plan else 200
                if status == 0:  # no answer: hold the request until the client gives up
                    receiver.release.wait(RECEIVE_TIMEOUT_SECONDS)
                    return
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local HTTP server taking webhook POSTs on a free port."""
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


class Subscriber:
    """A paho client subscribed to ``<prefix>/#`` on the real broker; ``get()`` returns the next message."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.prefix = f"marketjobs-test/{uuid.uuid4().hex[:10]}"
        self.messages: queue.Queue[tuple[str, dict[str, Any], int]] = queue.Queue()
        problems: list[str] = []
        for _ in range(SUBSCRIBE_ATTEMPTS):  # a connection Mosquitto drops at once is tried again
            self.client = self._subscribed_client(problems)
            if self.client is not None:
                return
        pytest.fail(f"could not subscribe to {self.prefix}/# at {url}: {'; '.join(problems)}")

    def _subscribed_client(self, problems: list[str]) -> Any:
        parts = urlsplit(self.url)
        subscribed = threading.Event()
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"sub-{uuid.uuid4().hex[:8]}")

        def on_connect(client: mqtt.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            if reason.is_failure:
                problems.append(f"connect refused: {reason}")
                return
            client.subscribe(f"{self.prefix}/#", qos=1)

        def on_disconnect(_c: Any, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
            problems.append(f"disconnected: {reason}")

        def on_subscribe(_c: Any, _u: Any, _mid: Any, _codes: Any, _p: Any) -> None:
            subscribed.set()

        def on_message(_c: Any, _u: Any, message: mqtt.MQTTMessage) -> None:
            self.messages.put((message.topic, json.loads(message.payload), message.qos))

        client.on_connect, client.on_subscribe = on_connect, on_subscribe
        client.on_disconnect, client.on_message = on_disconnect, on_message
        client.connect(parts.hostname or "127.0.0.1", parts.port or 1883)
        self.loop = NetworkLoop(client)  # not paho's loop_start(): its select() fails on fds >= 1024
        if subscribed.wait(RECEIVE_TIMEOUT_SECONDS):
            return client
        client.disconnect()
        self.loop.stop()
        return None

    def get(self) -> tuple[str, dict[str, Any], int]:
        """(topic, JSON payload, QoS) of the next message; fails the test when none arrives."""
        try:
            return self.messages.get(timeout=RECEIVE_TIMEOUT_SECONDS)
        except queue.Empty:
            pytest.fail(f"no MQTT message on {self.prefix}/# within {RECEIVE_TIMEOUT_SECONDS} s")

    def close(self) -> None:
        self.client.disconnect()
        self.loop.stop()


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    """A subscriber to a topic prefix of its own on the Mosquitto at 127.0.0.1:1883."""
    sub = Subscriber(require_service("mosquitto"))
    yield sub
    sub.close()
