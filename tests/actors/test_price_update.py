"""The ``price_update`` job: parameters checked at send, per-symbol outcome in the summary, cancel, retry."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import dramatiq
import polars as pl
import pytest

from marketjobs.config import HttpSourceSettings, configure, get_settings
from marketjobs.errors import ParameterError
from marketjobs.jobs import request_cancel
from marketjobs.marketdata.sources import source_from_config
from marketjobs.services import price_update_run
from marketjobs.store.bars_io import load_bars, upsert_bars
from tests.actors.conftest import actor_module, store, wait_for
from tests.conftest import wait_until

pytestmark = pytest.mark.parametrize("broker", ["stub", "sqlite"], indirect=True)

StartWorker = Callable[..., dramatiq.Worker]
#: Names an HTTP provider "quotes" at a base URL in the settings.
NameProvider = Callable[[str], None]
TOKEN = "s3cr3t-t0ken-4711"


@pytest.fixture
def module(broker: dramatiq.Broker) -> Iterator[Any]:
    """The ``actors.price_update`` module, its actor bound to the test's broker for the test."""
    with actor_module(broker, "price_update", "price_update") as loaded:
        yield loaded


@pytest.fixture
def price_update(module: Any) -> Any:
    """The real ``price_update`` actor."""
    return module.price_update


@pytest.fixture(autouse=True)
def import_roots(module: Any, tmp_path: Path) -> None:
    """The test's tmp_path is the import root drop folders must lie under."""
    configure(get_settings().model_copy(update={"import_roots": [str(tmp_path)]}))


@pytest.fixture
def quotes(module: Any, monkeypatch: pytest.MonkeyPatch) -> NameProvider:
    """Names an HTTP provider "quotes" in the settings, its Authorization from $QUOTES_TOKEN."""
    monkeypatch.setenv("QUOTES_TOKEN", TOKEN)

    def name(base_url: str) -> None:
        provider = HttpSourceSettings(base_url=base_url, headers={"Authorization": "Bearer ${QUOTES_TOKEN}"})
        update = {"sources": {"quotes": provider}, "http_allowed_hosts": ["127.0.0.1"]}
        configure(get_settings().model_copy(update=update))

    return name


def seed_bars(broker: dramatiq.Broker, *symbols: str, last: datetime) -> None:
    """Five daily bars per symbol ending at ``last``."""
    frames = [
        pl.DataFrame(
            {"symbol": s, "ts": [last - timedelta(days=d) for d in range(5)], "open": 10.0, "high": 11.0}
        ).with_columns(low=pl.lit(9.0), close=pl.lit(10.5), volume=pl.lit(100.0))
        for s in symbols
    ]
    upsert_bars(store(broker), pl.concat(frames).sort("symbol", "ts"))


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"source": "ftp"}, "unknown bar source 'ftp'; known sources: file, synthetic"),
        ({"source": "synthetic", "options": {"seeds": 1}}, r"seeds: Extra inputs .* \(accepted: seed"),
        (
            {"source": "http", "options": {"base_url": "https://q.example"}},
            "unknown bar source 'http'; known sources: file, synthetic; an HTTP provider is named",
        ),
        ({"source": "synthetic", "symbols": []}, "symbols must be a non-empty list of names"),
        ({"source": "synthetic", "stale_after_minutes": 0}, "stale_after_minutes: Input should be greater"),
        ({}, "source: Field required"),
    ],
)
def test_bad_parameters_fail_at_send_time(price_update: Any, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ParameterError, match=match):
        price_update.send(**kwargs)


@pytest.mark.parametrize("option", ["base_url", "headers", "query"])
def test_a_message_cannot_carry_a_providers_url_or_credentials(
    price_update: Any, quotes: NameProvider, option: str
) -> None:
    quotes("https://q.example")
    with pytest.raises(ParameterError, match=rf"{option}: comes from the settings \(sources: quotes:"):
        price_update.send(source="quotes", options={option: {"Authorization": TOKEN}})


def test_credentials_of_a_named_source_stay_out_of_job_records_and_logs(
    broker: dramatiq.Broker,
    start_worker: StartWorker,
    price_update: Any,
    quotes: NameProvider,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen: list[str] = []

    class Echo(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # a provider quoting the credential in its error
            seen.append(self.headers["Authorization"])
            body = f"bad key {self.headers['Authorization']} for {self.path}".encode()
            self.send_response(401)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        quotes(f"http://127.0.0.1:{server.server_address[1]}")
        start_worker()
        message = price_update.send_with_options(
            kwargs={"source": "quotes", "symbols": ["AAPL"], "options": {"retries": 0}}, max_retries=0
        )
        dead = wait_for(broker, message.message_id, "dead")
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [f"Bearer {TOKEN}"]  # the worker sent it
    assert dead.parameters == {
        "args": [],
        "kwargs": {"source": "quotes", "symbols": ["AAPL"], "options": {"retries": 0}},
    }
    shown = json.dumps([dead.parameters, dead.result, dead.error, dead.traceback, caplog.text])
    assert "HTTP 401 from http://127.0.0.1:" in shown
    assert TOKEN not in shown


def test_update_extends_every_stored_symbol_and_records_its_summary(
    broker: dramatiq.Broker, start_worker: StartWorker, price_update: Any
) -> None:
    seed_bars(broker, "AAPL", "MSFT", last=datetime.now(UTC) - timedelta(days=1))
    start_worker()
    message = price_update.send(source="synthetic", options={"seed": 1, "bars": 3})
    done = wait_for(broker, message.message_id, "completed")
    result = done.result
    assert result is not None
    assert (result["symbols"], result["updated"], result["bars_upserted"]) == (2, ["AAPL", "MSFT"], 6)
    assert (result["unchanged"], result["stale"], result["failed"], result["rows_rejected"]) == (
        [],
        [],
        {},
        0,
    )
    assert done.progress == 100
    bars = load_bars(store(broker))
    assert bars.height == 16
    assert bars.filter(pl.col("symbol") == "AAPL")["ts"].is_sorted()


def test_rejected_rows_failures_and_stale_symbols_are_reported(
    broker: dramatiq.Broker, start_worker: StartWorker, price_update: Any, tmp_path: Path
) -> None:
    old = datetime(2020, 1, 6, tzinfo=UTC)
    seed_bars(broker, "OLD", last=old)
    (tmp_path / "NEW.csv").write_text(
        "ts,open,high,low,close\n2099-01-02,10,11,9,10\n2099-01-03,10,9,11,10\n"
    )
    (tmp_path / "BAD.csv").write_text("when,price\n2099-01-02,10\n")  # no usable columns: BAD fails
    start_worker()
    message = price_update.send(
        source="file", options={"folder": str(tmp_path)}, symbols=["OLD", "NEW", "BAD"]
    )
    result = wait_for(broker, message.message_id, "completed").result
    assert result is not None
    assert (result["updated"], result["unchanged"]) == (["NEW"], ["OLD"])
    assert result["stale"] == ["OLD"]  # nothing new since 2020
    assert result["bars_upserted"] == 1
    assert result["rows_rejected"] == 1
    assert result["rejected_sample"][0]["reason"] == "low > high"
    assert list(result["failed"]) == ["BAD"]
    assert "no columns for" in result["failed"]["BAD"]
    assert (tmp_path / "done" / "NEW.csv").exists()
    assert (tmp_path / "BAD.csv").exists()  # read again next run, once fixed


def test_a_drop_folder_outside_the_import_roots_goes_straight_to_dead_letters(
    broker: dramatiq.Broker, start_worker: StartWorker, price_update: Any, tmp_path: Path
) -> None:
    start_worker()
    message = price_update.send(source="file", options={"folder": str(tmp_path.parent)}, symbols=["AAPL"])
    dead = wait_for(broker, message.message_id, "dead")
    assert dead.attempts == 1
    assert dead.error is not None
    assert "is outside import_roots" in dead.error


def test_update_prices_without_symbols_takes_the_files_symbols_and_moves_the_files(
    broker: dramatiq.Broker, module: Any, tmp_path: Path
) -> None:
    (tmp_path / "AAPL.csv").write_text("ts,open,high,low,close\n2099-01-02,10,11,9,10\n")
    source = source_from_config("file", folder=str(tmp_path))
    summary = module.update_prices(store(broker), source, None)
    assert (summary.updated, summary.bars_upserted, summary.stale) == (["AAPL"], 1, [])
    assert (tmp_path / "done" / "AAPL.csv").exists()


def test_every_symbol_failing_fails_the_job_so_it_retries(
    broker: dramatiq.Broker, start_worker: StartWorker, price_update: Any, quotes: NameProvider
) -> None:
    quotes("http://127.0.0.1:9")
    start_worker()
    options = {"retries": 0, "requests_per_minute": 6000}
    message = price_update.send_with_options(
        kwargs={"source": "quotes", "options": options, "symbols": ["AAPL", "MSFT"]}, max_retries=1
    )
    dead = wait_for(broker, message.message_id, "dead")
    assert dead.attempts == 2
    assert dead.error is not None
    assert "every symbol failed (2), e.g. AAPL: SourceError: cannot reach" in dead.error


def test_running_update_stops_between_symbols_when_cancelled(
    broker: dramatiq.Broker,
    start_worker: StartWorker,
    price_update: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    done: list[str] = []
    real = price_update_run._update_one

    def slow(engine: Any, source: Any, symbol: str, *args: Any) -> Any:
        done.append(symbol)
        time.sleep(0.05)
        return real(engine, source, symbol, *args)

    monkeypatch.setattr(price_update_run, "_update_one", slow)
    start_worker()
    symbols = [f"S{i:02d}" for i in range(40)]
    message = price_update.send(source="synthetic", symbols=symbols)
    wait_until(lambda: len(done) >= 2)
    request_cancel(store(broker), message.message_id)
    cancelled = wait_for(broker, message.message_id, "cancelled")
    assert len(done) < 40
    assert cancelled.result is not None
    assert cancelled.result["stopped"] is True
    assert cancelled.result["updated"] == done[: len(cancelled.result["updated"])]
    assert 0 < cancelled.progress < 100
