"""Live: a real Prometheus scrapes a real exporter over a store with real jobs; every dashboard panel's
query, with its variables resolved, returns finite series."""

from __future__ import annotations

import json
import math
import subprocess
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dramatiq
import pytest
from prometheus_client import start_http_server

from marketjobs.brokers import broker_from_url, queue_depths
from marketjobs.config import configure
from marketjobs.errors import NonRetryableError
from marketjobs.store.engine import create_store_engine
from monitoring.exporter import StoreCollector, registry_for
from tests.conftest import fast_settings, records_of, wait_until
from tests.monitoring.dashboards import dashboards, panels, resolve
from tests.services import free_port, require_tool

SCRAPE_SECONDS = 1


@pytest.fixture
def exporter_port(sqlite_url: str) -> Iterator[int]:
    """An exporter over a SQL broker and store holding completed, dead, pending and delayed jobs."""
    settings = fast_settings(sqlite_url, sqlite_url, max_retries=0)
    configure(settings)
    broker = broker_from_url(sqlite_url, settings=settings)

    @dramatiq.actor(queue_name="live", broker=broker)
    def fine() -> None: ...

    @dramatiq.actor(queue_name="live", broker=broker)
    def broken() -> None:
        raise NonRetryableError("bad parameters")

    @dramatiq.actor(queue_name="idle", broker=broker)
    def waiting() -> None: ...

    worker = dramatiq.Worker(broker, queues={"live"}, worker_threads=2, worker_timeout=50)
    worker.start()
    for _ in range(5):
        fine.send()
    broken.send()
    waiting.send()
    waiting.send_with_options(delay=600_000)
    records = records_of(broker)
    engine = create_store_engine(sqlite_url)
    wait_until(lambda: records.flush() and broker.queue_depth("live").total == 1)
    collector = StoreCollector(engine, lambda: queue_depths(broker))
    server, thread = start_http_server(0, addr="127.0.0.1", registry=registry_for(collector))
    yield int(server.server_port)
    server.shutdown()
    thread.join(5)
    worker.stop()
    broker.close()
    configure(None)


@pytest.fixture
def prometheus(exporter_port: int, tmp_path: Path) -> Iterator[str]:
    """A real Prometheus scraping the exporter every second; yields its URL."""
    binary = require_tool("prometheus")
    port = free_port()
    config = tmp_path / "prometheus.yml"
    config.write_text(
        f"global:\n  scrape_interval: {SCRAPE_SECONDS}s\n"
        "scrape_configs:\n  - job_name: marketjobs-exporter\n"
        f"    static_configs:\n      - targets: ['127.0.0.1:{exporter_port}']\n"
    )
    process = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until(lambda: _scrapes(url) >= 4, timeout=60, interval=0.25)
        yield url
    finally:
        process.terminate()
        process.wait(30)


def _query(url: str, expr: str) -> list[dict[str, Any]]:
    query = urllib.parse.urlencode({"query": expr})
    with urllib.request.urlopen(f"{url}/api/v1/query?{query}", timeout=10) as response:
        body = json.loads(response.read())
    assert body["status"] == "success", body
    return list(body["data"]["result"])


def _scrapes(url: str) -> int:
    try:
        result = _query(url, 'count_over_time(up{job="marketjobs-exporter"}[1m])')
    except OSError:
        return 0
    return int(float(result[0]["value"][1])) if result else 0


def test_every_dashboard_panel_returns_finite_series_from_a_real_prometheus(prometheus: str) -> None:
    checked = 0
    for _, model in dashboards():
        for panel in panels(model):
            for target in panel.get("targets", []):
                expr = resolve(target["expr"], "10s")
                result = _query(prometheus, expr)
                assert result, f"panel {panel['title']!r} returned no series for {expr}"
                for series in result:
                    value = float(series["value"][1])
                    assert math.isfinite(value), f"panel {panel['title']!r}: {value} for {series['metric']}"
                checked += 1
    assert checked >= 8
