"""The webhook sink against a local HTTP server: JSON POST, retries on 5xx, no retry on 4xx, unreachable."""

from __future__ import annotations

import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from marketjobs.config import load_settings
from marketjobs.notify import DeliveryError, SinkSet, WebhookSink
from marketjobs.notify.webhook import shown_url
from tests.notify.conftest import Receiver, notification
from tests.servers import free_port


def sink(url: str, retries: int = 2) -> WebhookSink:
    return WebhookSink(
        url, timeout_seconds=5.0, retries=retries, backoff_seconds=0.01, allowed_hosts=["127.0.0.1"]
    )


def test_posts_the_alert_as_json(receiver: Receiver) -> None:
    sink(receiver.url).deliver(notification())
    [body] = receiver.bodies
    assert receiver.content_types == ["application/json"]
    assert body["symbol"] == "AAPL"
    assert body["rule_name"] == "aapl-200"
    assert body["value"] == 201.5
    assert body["bar_time"] == "2023-11-14T22:13:20Z"
    assert body["message"] == "AAPL closed at 201.5, above 200"


def test_retries_a_server_error_then_delivers(receiver: Receiver) -> None:
    receiver.plan = [500, 503]
    sink(receiver.url, retries=2).deliver(notification())
    assert len(receiver.bodies) == 3
    assert receiver.bodies[0] == receiver.bodies[2]


def test_gives_up_after_its_retries_and_says_the_alert_is_kept(receiver: Receiver) -> None:
    receiver.plan = [500, 500]
    with pytest.raises(DeliveryError, match=r"HTTP 500 .* \(after 2 attempts\); the alert is kept"):
        sink(receiver.url, retries=1).deliver(notification())
    assert len(receiver.bodies) == 2


def test_does_not_retry_a_client_error(receiver: Receiver) -> None:
    receiver.plan = [404]
    with pytest.raises(DeliveryError, match=r"HTTP 404 .* check the rule's webhook url"):
        sink(receiver.url, retries=3).deliver(notification())
    assert len(receiver.bodies) == 1


def test_an_unreachable_receiver_fails_after_retries() -> None:
    port = free_port()
    with pytest.raises(
        DeliveryError, match=rf"cannot reach http://127.0.0.1:{port}/…#\w+: .* \(after 3 attempts\)"
    ):
        sink(f"http://127.0.0.1:{port}/hook", retries=2).deliver(notification())


def test_errors_do_not_show_the_secret_part_of_the_url(receiver: Receiver) -> None:
    receiver.plan = [403]
    secret = f"{receiver.url}/T0123/B456/s3cr3t-token?key=abc"
    with pytest.raises(DeliveryError) as raised:
        sink(secret).deliver(notification())
    assert "s3cr3t" not in str(raised.value)
    assert "key=abc" not in str(raised.value)
    assert shown_url(secret) in str(raised.value)
    assert shown_url(secret) != shown_url(receiver.url)  # two URLs on one host stay apart


def test_a_non_http_url_is_refused() -> None:
    with pytest.raises(DeliveryError, match="is not http:// or https://"):
        WebhookSink("ftp://example.com", timeout_seconds=1.0)


def test_a_receiver_that_never_answers_times_out_and_is_retried(receiver: Receiver) -> None:
    receiver.plan = [0, 0]
    slow = WebhookSink(
        receiver.url, timeout_seconds=0.2, retries=1, backoff_seconds=0.01, allowed_hosts=["127.0.0.1"]
    )
    with pytest.raises(DeliveryError, match=r"no answer from .* within 0.2 s \(after 2 attempts\)"):
        slow.deliver(notification())
    assert len(receiver.bodies) == 2


def test_a_loopback_receiver_is_refused_unless_the_settings_allow_it(receiver: Receiver) -> None:
    with pytest.raises(DeliveryError, match=r"a loopback address; add 127\.0\.0\.1 .*http_allowed_hosts"):
        SinkSet.from_settings(load_settings()).get("webhook", receiver.url).deliver(notification())
    assert receiver.bodies == []
    allowed = SinkSet.from_settings(load_settings(http_allowed_hosts=["127.0.0.1"]))
    allowed.get("webhook", receiver.url).deliver(notification())
    assert len(receiver.bodies) == 1


def test_a_link_local_receiver_is_refused_without_retries() -> None:
    hook = WebhookSink("http://169.254.169.254/hook", timeout_seconds=5.0, retries=3, backoff_seconds=10.0)
    with pytest.raises(DeliveryError, match=r"169\.254\.169\.254 .*a link-local address"):
        hook.deliver(notification())  # no backoff sleeps: a refused host is not retried


def test_a_receivers_answer_is_read_only_up_to_max_response_bytes() -> None:
    written: list[int] = []

    class Flood(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # 2xx, then 256 MB it would take the sink long to read
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(200)
            self.send_header("Content-Length", str(256 * 2**20))
            self.end_headers()
            block = b"x" * 2**16
            try:
                for _ in range(4096):
                    self.wfile.write(block)
                    written.append(len(block))
            except OSError:
                pass  # the sink hung up: what it wanted was read

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Flood)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        hook = WebhookSink(
            f"http://127.0.0.1:{server.server_address[1]}/hook",
            timeout_seconds=5.0,
            allowed_hosts=["127.0.0.1"],
            max_response_bytes=4096,
        )
        hook.deliver(notification())
        time.sleep(0.5)
    finally:
        server.shutdown()
        server.server_close()
    assert sum(written) < 64 * 2**20  # the sink stopped reading long before the end
