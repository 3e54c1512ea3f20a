"""A broker outage is said once per back-off step, not by every consumer thread every few seconds."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import dramatiq
import pytest
from dramatiq.errors import ConnectionClosed

from marketjobs.brokers import open_broker
from marketjobs.brokers.base import MarketJobsBrokerMixin
from marketjobs.brokers.outage import Outage, OutageConsumer
from marketjobs.config import load_settings
from tests.conftest import wait_until
from tests.servers import SERVICES, free_port, require_service

OUTAGE_LOGGER = "marketjobs.brokers.outage"


def outage_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == OUTAGE_LOGGER]


def test_failures_within_a_step_are_said_once_and_steps_double(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    outage = Outage("broker redis://:***@h/0", "start it", min_seconds=0.2, max_seconds=0.4)
    threads = [threading.Thread(target=outage.failed, args=(ConnectionError("refused"),)) for _ in range(28)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outage_lines(caplog) == [
        "broker redis://:***@h/0 is unreachable (refused); retrying in 0 s: start it"
    ]
    time.sleep(0.25)
    assert outage.failed(ConnectionError("refused")) == pytest.approx(0.4)
    time.sleep(0.45)
    assert outage.failed(ConnectionError("refused")) == pytest.approx(0.4)  # at most max_seconds
    assert len(outage_lines(caplog)) == 3
    outage.succeeded(certain=False)  # an idle consumer right after a failure proves nothing
    assert outage.down
    outage.succeeded(certain=True)  # a message came
    outage.recovered()
    assert outage_lines(caplog)[-1].startswith("broker redis://:***@h/0 is reachable again after")
    assert len(outage_lines(caplog)) == 4
    assert not outage.down


def test_wait_holds_a_new_consumer_until_the_next_step() -> None:
    outage = Outage("broker x", "fix it", min_seconds=0.3)
    outage.failed(ConnectionError("down"))
    started = time.monotonic()
    outage.wait()
    assert 0.2 < time.monotonic() - started < 1.0


def test_the_consumer_reports_connection_errors_and_raises_them_for_dramatiq() -> None:
    class Failing:
        def __next__(self) -> Any:
            raise ConnectionClosed(OSError("Connection refused"))  # type: ignore[no-untyped-call]

    outage = Outage("broker x", "fix it")
    consumer = OutageConsumer(Failing(), outage)  # type: ignore[arg-type]
    with pytest.raises(ConnectionClosed):
        next(consumer)
    assert outage.down


class Proxy:
    """A TCP forwarder to ``upstream`` that can be cut (every connection closed) and restored."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.port = free_port()
        self._server: socket.socket | None = None
        self._sockets: list[socket.socket] = []

    def start(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port), reuse_port=True)
        threading.Thread(target=self._accept, args=(self._server,), daemon=True).start()

    def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for sock in self._sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes the pumps: the client sees the connection drop
            sock.close()
        self._sockets.clear()

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                client, _ = server.accept()
                upstream = socket.create_connection(self.upstream)
            except OSError:
                return
            self._sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.close()


@pytest.fixture
def redis_proxy() -> Iterator[Proxy]:
    require_service("redis")
    host, port, _ = SERVICES["redis"]
    proxy = Proxy((host, port))
    proxy.start()
    yield proxy
    proxy.cut()


@pytest.mark.timeout(60)
def test_a_worker_whose_redis_goes_away_says_so_per_step_and_resumes(
    redis_proxy: Proxy, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    url = f"redis://127.0.0.1:{redis_proxy.port}/15"
    broker = open_broker(url, settings=load_settings(broker_url=url, database_url="sqlite://"))
    assert isinstance(broker, MarketJobsBrokerMixin)
    assert broker.outage is not None
    broker.outage.min_seconds = 0.5
    done: list[int] = []

    @dramatiq.actor(broker=broker, queue_name="outage_test")
    def remember(value: int) -> None:
        done.append(value)

    for name in ("outage_a", "outage_b", "outage_c"):  # more consumer threads, each would log on its own
        broker.declare_queue(name)
    worker = dramatiq.Worker(broker, worker_threads=1, worker_timeout=100)
    worker.start()
    try:
        remember.send(1)
        wait_until(lambda: done == [1], timeout=15)
        time.sleep(0.5)  # its ack is written
        redis_proxy.cut()
        time.sleep(4)  # steps of 0.5, 1 and 2 s
        lines = outage_lines(caplog)
        assert 1 <= len(lines) <= 4, lines
        assert all("is unreachable" in line and "MARKETJOBS_BROKER_URL" in line for line in lines)
        dramatiq_lines = [r for r in caplog.records if r.name.startswith("dramatiq.worker.ConsumerThread")]
        assert [r.getMessage() for r in dramatiq_lines if r.levelno >= logging.INFO] == []
        redis_proxy.start()
        wait_until(lambda: any("reachable again" in line for line in outage_lines(caplog)), timeout=20)
        remember.send(2)
        wait_until(lambda: done == [1, 2], timeout=15)
    finally:
        worker.stop()
        broker.flush_all()
        broker.close()
