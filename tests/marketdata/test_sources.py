"""Bar sources: the registry, synthetic random walks, the file drop folder, the HTTP provider adapter."""

from __future__ import annotations

import gzip
import io
import json
import threading
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from http.client import HTTPMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import polars as pl
import pytest

from marketjobs.config import Settings, load_settings
from marketjobs.errors import ConfigError, InputTooLargeError, OutboundRefused, ParameterError
from marketjobs.guards.http import RedirectPolicy, redirect_action
from marketjobs.marketdata.sources import SourceError, check_source_config, source_from_config
from marketjobs.marketdata.sources.http import TokenBucket
from marketjobs.marketdata.validate import validate_bars

START = datetime(2024, 1, 1, tzinfo=UTC)


def history(symbol: str = "AAPL", days: int = 40, price: float = 50.0) -> pl.DataFrame:
    """A validated daily series ending on Friday 2024-02-23 (40 days) with alternating 1% moves."""
    closes = [price * (1.01 if i % 2 else 0.99) ** (i % 3) for i in range(days)]
    stamps = pl.datetime_range(
        datetime(2024, 1, 1), datetime(2024, 12, 31), "1d", time_zone="UTC", time_unit="ms", eager=True
    )
    stamps = stamps.filter(stamps.dt.weekday() <= 5).head(days)
    frame = pl.DataFrame(
        {"symbol": symbol, "ts": stamps, "open": closes, "high": [c * 1.02 for c in closes]}
    ).with_columns(low=pl.col("open") * 0.97, close=pl.col("open"), volume=pl.lit(5000.0))
    return frame


# -- registry ------------------------------------------------------------------------------------------


def test_unknown_source_lists_the_known_ones() -> None:
    with pytest.raises(ConfigError, match="unknown bar source 'ftp'; known sources: file, synthetic"):
        source_from_config("ftp", settings=load_settings())
    settings = quotes_settings("https://quotes.example")
    with pytest.raises(
        ConfigError, match="known sources: file, synthetic, quotes; an HTTP provider is named"
    ):
        source_from_config("http", settings=settings, base_url="https://quotes.example")


def test_bad_options_name_the_accepted_ones() -> None:
    with pytest.raises(
        ConfigError, match=r"seeds: Extra inputs are not permitted \(accepted: seed, interval"
    ):
        check_source_config("synthetic", {"seeds": 1})
    with pytest.raises(ConfigError, match=r"interval: .*use a count and a unit such as '1d'"):
        source_from_config("synthetic", interval="weekly")


# -- synthetic -----------------------------------------------------------------------------------------


def test_synthetic_bars_are_deterministic_for_a_seed() -> None:
    past = history()
    first = source_from_config("synthetic", seed=7, bars=30).fetch(["AAPL"], history=past)
    again = source_from_config("synthetic", seed=7, bars=30).fetch(["AAPL"], history=past)
    other = source_from_config("synthetic", seed=8, bars=30).fetch(["AAPL"], history=past)
    assert first.equals(again)
    assert not first.equals(other)


def test_synthetic_bars_are_valid_ohlc_on_business_days() -> None:
    bars = source_from_config("synthetic", seed=1, bars=500).fetch(["X", "Y"], since=START)
    valid, rejected = validate_bars(bars)
    assert rejected.is_empty()
    assert valid.height == 1000
    assert valid.filter(pl.col("low") > pl.min_horizontal("open", "close")).is_empty()
    assert valid.filter(pl.col("high") < pl.max_horizontal("open", "close")).is_empty()
    assert valid["ts"].dt.weekday().max() == 5
    assert (valid["volume"] > 0).all()


def test_synthetic_bars_continue_from_the_last_stored_bar() -> None:
    past = history(price=50.0)
    bars = source_from_config("synthetic", seed=3, bars=100).fetch(["AAPL"], history=past)
    assert past["ts"][-1] == datetime(2024, 2, 23, tzinfo=UTC)  # a Friday
    assert bars["ts"].to_list()[0] == datetime(2024, 2, 26, tzinfo=UTC)  # so the next is Monday
    last_close = past["close"][-1]
    assert abs(bars["open"][0] / last_close - 1) < 0.05
    mean_volume = bars.select(pl.col("volume").mean()).item()
    assert 4500 < mean_volume < 5500  # the stored volume is 5000


def test_synthetic_volatility_follows_the_series() -> None:
    calm = history().with_columns(pl.lit(50.0).alias(c) for c in ("open", "close"))
    calm = pl.concat([calm.head(20), calm.tail(20).with_columns(pl.col("close") * 1.0001)])
    wild = history()
    options = {"seed": 5, "bars": 200}
    calm_bars = source_from_config("synthetic", **options).fetch(["AAPL"], history=calm)
    wild_bars = source_from_config("synthetic", **options).fetch(["AAPL"], history=wild)

    def spread(frame: pl.DataFrame) -> float:
        return float(frame.select(pl.col("close").log().diff().std()).item())

    assert spread(calm_bars) < spread(wild_bars) / 5


def test_synthetic_intraday_interval_steps_by_minutes() -> None:
    bars = source_from_config("synthetic", interval="5m", bars=4).fetch(["X"], since=START)
    assert bars["ts"].diff().drop_nulls().dt.total_minutes().to_list() == [5, 5, 5]


# -- file drop folder ----------------------------------------------------------------------------------


def drop_folder(
    folder: Path, roots: list[Path] | None = None, caps: dict[str, int] | None = None, **options: Any
) -> Any:
    """The file source on ``folder``, with ``roots`` (default: the folder) as the import roots and ``caps``
    (drop_max_files, drop_max_file_bytes) in the settings."""
    settings = load_settings(import_roots=[str(r) for r in roots or [folder]], **(caps or {}))
    return source_from_config("file", settings=settings, folder=str(folder), **options)


def test_file_source_reads_drop_files_then_moves_them_to_done(tmp_path: Path) -> None:
    (tmp_path / "AAPL.csv").write_text("Date,Open,High,Low,Close,Volume\n2024-01-02,10,11,9,10.5,100\n")
    pl.DataFrame(
        {"symbol": ["MSFT", "IBM"], "ts": ["2024-01-02"] * 2, "open": [1.0, 2.0], "high": [1.0, 2.0]}
    ).with_columns(low=pl.col("open"), close=pl.col("open")).write_parquet(tmp_path / "more.parquet")
    source = drop_folder(tmp_path)
    assert source.offered_symbols() == ["AAPL", "IBM", "MSFT"]
    aapl = source.fetch(["AAPL"])
    assert aapl.columns == ["symbol", "ts", "open", "high", "low", "close", "volume"]
    assert aapl.row(0) == ("AAPL", "2024-01-02", "10", "11", "9", "10.5", "100")
    assert source.fetch(["MSFT"])["open"].to_list() == ["1.0"]
    source.close(["AAPL", "MSFT"])  # IBM failed: its file stays for the next run
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["more.parquet"]
    assert [p.name for p in (tmp_path / "done").iterdir()] == ["AAPL.csv"]
    assert source.offered_symbols() == ["IBM", "MSFT"]


def test_file_source_without_the_folder_says_what_to_do(tmp_path: Path) -> None:
    source = drop_folder(tmp_path / "missing", roots=[tmp_path])
    with pytest.raises(SourceError, match="does not exist; create it"):
        source.fetch(["AAPL"])


def test_the_drop_folder_must_lie_under_an_import_root(tmp_path: Path) -> None:
    (tmp_path / "drop").mkdir()
    with pytest.raises(ParameterError, match=r"drop folder .*drop is outside import_roots"):
        drop_folder(tmp_path / "drop", roots=[tmp_path / "imports"])


@pytest.mark.parametrize("done_dir", ["/tmp/done", "../done", "done/../../x", ""])
def test_done_dir_is_a_relative_folder_inside_the_drop_folder(done_dir: str) -> None:
    with pytest.raises(ConfigError, match=r"done_dir: .*relative folder inside the drop folder"):
        check_source_config("file", {"folder": "var/incoming", "done_dir": done_dir})


def test_a_done_dir_that_links_out_of_the_drop_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "done").symlink_to(tmp_path / "elsewhere")
    with pytest.raises(ParameterError, match=r"done folder .* is outside the drop folder"):
        drop_folder(tmp_path / "drop", roots=[tmp_path])


def test_a_stored_file_never_overwrites_one_already_done(tmp_path: Path) -> None:
    (tmp_path / "done").mkdir()
    (tmp_path / "done" / "AAPL.csv").write_text("the first drop")
    (tmp_path / "AAPL.csv").write_text("ts,open,high,low,close\n2024-01-02,10,11,9,10\n")
    source = drop_folder(tmp_path)
    source.fetch(["AAPL"])
    source.close(["AAPL"])
    assert (tmp_path / "done" / "AAPL.csv").read_text() == "the first drop"
    assert (tmp_path / "done" / "AAPL.1.csv").read_text().startswith("ts,open")


def test_a_drop_file_linking_out_of_the_import_roots_fails_its_symbol_and_stays(tmp_path: Path) -> None:
    (tmp_path / "secret.csv").write_text("ts,open,high,low,close\n2024-01-02,10,11,9,10\n")
    (tmp_path / "drop").mkdir()
    (tmp_path / "drop" / "LEAK.csv").symlink_to(tmp_path / "secret.csv")
    source = drop_folder(tmp_path / "drop")
    assert source.offered_symbols() == ["LEAK"]
    with pytest.raises(SourceError, match=r"LEAK\.csv links to .*secret\.csv, outside import_roots"):
        source.fetch(["LEAK"])
    source.close([])
    assert (tmp_path / "drop" / "LEAK.csv").is_symlink()


def test_a_run_loads_at_most_drop_max_files_and_leaves_the_rest_for_the_next(tmp_path: Path) -> None:
    for symbol in ("AAA", "BBB", "CCC"):
        (tmp_path / f"{symbol}.csv").write_text("ts,open,high,low,close\n2024-01-02,10,11,9,10\n")
    source = drop_folder(tmp_path, caps={"drop_max_files": 2})
    assert source.offered_symbols() == ["AAA", "BBB"]
    source.fetch(["AAA", "BBB"])
    source.close(["AAA", "BBB"])
    assert source.offered_symbols() == ["CCC"]


@pytest.mark.parametrize("name", ["AAPL.csv", "AAPL.csv.gz"])
def test_a_drop_file_over_drop_max_file_bytes_fails_its_symbol_and_stays(tmp_path: Path, name: str) -> None:
    rows = "ts,open,high,low,close\n" + "2024-01-02,10,11,9,10\n" * 1000
    if name.endswith(".gz"):
        (tmp_path / name).write_bytes(gzip.compress(rows.encode()))  # a few hundred bytes, 22 kB inside
    else:
        (tmp_path / name).write_text(rows)
    source = drop_folder(tmp_path, caps={"drop_max_file_bytes": 1000})
    assert source.offered_symbols() == ["AAPL"]
    with pytest.raises(SourceError, match=rf"{name} is larger than drop_max_file_bytes \(1000 bytes\)"):
        source.fetch(["AAPL"])
    source.close([])
    assert (tmp_path / name).exists()


# -- http ----------------------------------------------------------------------------------------------


class Provider:
    """A local quotes provider: records request times, can fail or stall on demand."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self.paths: list[str] = []
        self.headers: list[dict[str, str]] = []
        #: Per request: "ok", "500", "404", "slow", "garbage", "big" (5 kB of JSON), "echo" (a 401 quoting
        #: the request's Authorization), or "redirect <url>" (a 302 there).
        self.plan: list[str] = []

    def handler(self) -> type[BaseHTTPRequestHandler]:
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                provider.times.append(time.monotonic())
                provider.paths.append(self.path)
                provider.headers.append(dict(self.headers.items()))
                step = provider.plan.pop(0) if provider.plan else "ok"
                if step.startswith("redirect "):
                    self.send_response(302)
                    self.send_header("Location", step.split(" ", 1)[1])
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                query = parse_qs(urlparse(self.path).query)
                if step == "slow":
                    time.sleep(1.0)
                status, body = 200, b""
                if step in ("500", "404"):
                    status, body = int(step), b"nope"
                elif step == "garbage":
                    body = b"<html>"
                elif step == "big":
                    body = b"[" + b" " * 5000 + b"]"
                elif step == "echo":
                    status, body = 401, f"bad credentials {self.headers['Authorization']}".encode()
                else:
                    bars = [
                        {"ts": "2024-01-02T00:00:00Z", "open": 10, "high": 11, "low": 9, "close": 10.5},
                        {"ts": 1704240000000, "open": 10, "high": 9, "low": 11, "close": 10, "volume": 5},
                    ]
                    body = json.dumps({"bars": bars, "symbol": query["symbol"][0]}).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                except OSError:
                    pass  # the client gave up (timeout test)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler


@pytest.fixture
def provider() -> Iterator[tuple[Provider, str]]:
    """A local HTTP quotes provider on a free port, and its base URL."""
    state = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def other_provider() -> Iterator[tuple[Provider, str]]:
    """A second provider: another origin (its own port) for redirect tests."""
    state = Provider()
    server = ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield state, f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


TOKEN = "s3cr3t-t0ken-4711"


def quotes_settings(base_url: str, **provider: Any) -> Settings:
    """Settings naming the HTTP provider at ``base_url`` as source "quotes", 127.0.0.1 allowed, answers of
    up to 4 kB."""
    return load_settings(
        sources={"quotes": {"base_url": base_url, **provider}},
        http_allowed_hosts=["127.0.0.1"],
        max_response_bytes=4096,
    )


def http_source(base_url: str, *, provider: dict[str, Any] | None = None, **options: Any) -> Any:
    """The source "quotes" at ``base_url`` (``provider``: its headers/query settings) with ``options``."""
    defaults: dict[str, Any] = {"bars_key": "bars", "backoff_seconds": 0.01, "requests_per_minute": 6000}
    settings = quotes_settings(base_url, **(provider or {}))
    return source_from_config("quotes", settings=settings, **{**defaults, **options})


def test_http_source_fetches_bars_and_leaves_bad_rows_to_validation(provider: tuple[Provider, str]) -> None:
    state, url = provider
    source = http_source(url, path="/bars?symbol={symbol}&since={since}")
    raw = source.fetch(["BRK.B"], since=datetime(2024, 1, 1, tzinfo=UTC))
    assert state.paths == ["/bars?symbol=BRK.B&since=2024-01-01T00%3A00%3A00Z"]
    valid, rejected = validate_bars(raw)
    assert valid["close"].to_list() == [10.5]
    assert rejected["reason"].to_list() == ["low > high"]


def test_http_source_retries_a_server_error(provider: tuple[Provider, str]) -> None:
    state, url = provider
    state.plan = ["500", "500", "ok"]
    assert http_source(url, retries=2).fetch(["AAPL"]).height == 2
    assert len(state.times) == 3


def test_http_source_gives_up_after_its_retries(provider: tuple[Provider, str]) -> None:
    state, url = provider
    state.plan = ["500"] * 3
    with pytest.raises(SourceError, match=r"HTTP 500 .* \(after 2 attempts\); check the provider"):
        http_source(url, retries=1).fetch(["AAPL"])


def test_http_source_does_not_retry_a_client_error(provider: tuple[Provider, str]) -> None:
    state, url = provider
    state.plan = ["404"]
    with pytest.raises(SourceError, match="HTTP 404"):
        http_source(url, retries=3).fetch(["NOPE"])
    assert len(state.times) == 1


def test_http_source_times_out(provider: tuple[Provider, str]) -> None:
    state, url = provider
    state.plan = ["slow", "slow"]
    with pytest.raises(SourceError, match=r"no answer from .* within 0.2 s \(after 2 attempts\)"):
        http_source(url, timeout_seconds=0.2, retries=1).fetch(["AAPL"])


def test_http_source_rejects_a_non_json_answer(provider: tuple[Provider, str]) -> None:
    state, url = provider
    state.plan = ["garbage"]
    with pytest.raises(SourceError, match="did not answer JSON"):
        http_source(url).fetch(["AAPL"])


def test_http_source_unreachable_says_so() -> None:
    with pytest.raises(SourceError, match=r"cannot reach http://127\.0\.0\.1:9/"):
        http_source("http://127.0.0.1:9", retries=0).fetch(["AAPL"])


def test_http_source_keeps_to_its_rate_limit(provider: tuple[Provider, str]) -> None:
    state, url = provider
    source = http_source(url + "/ratelimited", path="?symbol={symbol}", requests_per_minute=600)  # 10/s
    source.fetch([f"S{i}" for i in range(7)])
    assert len(state.times) == 7
    # Requests seen by the server: at most 1 (burst) + 10/s * 0.3 s within any 0.3 s window.
    for start in state.times:
        assert sum(1 for t in state.times if start <= t < start + 0.3) <= 4


def test_token_bucket_waits_for_a_token() -> None:
    now = [0.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        now[0] += seconds

    bucket = TokenBucket(0.5, capacity=2, clock=lambda: now[0], sleep=sleep)
    assert [bucket.acquire() for _ in range(4)] == [0.0, 0.0, 2.0, 2.0]
    now[0] += 10  # idle: the bucket refills up to its capacity only
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 2.0]


# -- http: credentials in the settings, never in messages -----------------------------------------------


def test_http_source_sends_the_headers_and_query_of_its_settings_with_values_from_the_environment(
    provider: tuple[Provider, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = provider
    monkeypatch.setenv("QUOTES_TOKEN", TOKEN)
    setup = {"headers": {"Authorization": "Bearer ${QUOTES_TOKEN}"}, "query": {"apikey": "${QUOTES_TOKEN}"}}
    source = http_source(url, provider=setup, path="/bars?symbol={symbol}")
    assert source.fetch(["AAPL"]).height == 2
    assert state.headers[0]["Authorization"] == f"Bearer {TOKEN}"
    assert state.paths == [f"/bars?symbol=AAPL&apikey={TOKEN}"]
    assert source.name == "quotes"  # the bars' source column names the provider


def test_http_source_with_an_unset_environment_variable_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QUOTES_TOKEN", raising=False)
    setup = {"headers": {"Authorization": "Bearer ${QUOTES_TOKEN}"}}
    with pytest.raises(ConfigError, match=r"QUOTES_TOKEN.* is not set in this worker's environment"):
        http_source("https://quotes.example", provider=setup)


@pytest.mark.parametrize("option", ["base_url", "headers"])
def test_message_options_cannot_carry_the_url_or_headers(option: str) -> None:
    settings = quotes_settings("https://quotes.example")
    with pytest.raises(ConfigError, match=rf"{option}: .*comes from the settings \(sources: quotes:"):
        check_source_config("quotes", {option: {"Authorization": TOKEN}}, settings=settings)


@pytest.mark.parametrize("path", ["@evil.example/bars", "bars", "/bars?symbol={symbol}&x={secret}"])
def test_a_path_cannot_leave_the_providers_host_or_name_unknown_fields(path: str) -> None:
    settings = quotes_settings("https://quotes.example")
    with pytest.raises(ConfigError, match="path: "):
        check_source_config("quotes", {"path": path}, settings=settings)


def test_http_errors_show_a_redacted_url_and_no_credential(
    provider: tuple[Provider, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = provider
    monkeypatch.setenv("QUOTES_TOKEN", TOKEN)
    setup = {"headers": {"Authorization": "Bearer ${QUOTES_TOKEN}"}, "query": {"api_key": "${QUOTES_TOKEN}"}}
    state.plan = ["echo"]
    with pytest.raises(SourceError) as raised:
        http_source(url, provider=setup).fetch(["AAPL"])
    text = str(raised.value)
    assert TOKEN not in text
    assert "HTTP 401 from http://127.0.0.1:" in text
    assert "api_key=***" in text


def test_a_redirect_to_another_origin_drops_the_settings_headers(
    provider: tuple[Provider, str], other_provider: tuple[Provider, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = provider
    other, other_url = other_provider
    monkeypatch.setenv("QUOTES_TOKEN", TOKEN)
    setup = {"headers": {"Authorization": "Bearer ${QUOTES_TOKEN}", "X-Api-Key": "${QUOTES_TOKEN}"}}
    state.plan = ["redirect /moved?symbol=AAPL", f"redirect {other_url}/bars?symbol=AAPL"]
    assert http_source(url, provider=setup).fetch(["AAPL"]).height == 2
    assert [h.get("Authorization") for h in state.headers] == [f"Bearer {TOKEN}"] * 2  # same origin: kept
    [seen] = other.headers
    assert "Authorization" not in seen
    assert "X-Api-Key" not in seen
    assert seen["Accept"] == "application/json"


@pytest.mark.parametrize(
    ("old", "new", "action"),
    [
        ("https://q.example/a", "https://q.example/b", "keep"),
        ("https://q.example/a", "https://Q.EXAMPLE:443/b", "keep"),
        ("http://q.example/a", "https://q.example/b", "strip"),
        ("https://q.example/a", "https://cdn.example/b", "strip"),
        ("https://q.example/a", "https://q.example:8443/b", "strip"),
        ("https://q.example/a", "http://q.example/b", "refuse"),
        ("https://q.example/a", "ftp://q.example/b", "refuse"),
    ],
)
def test_redirect_policy(old: str, new: str, action: str) -> None:
    assert redirect_action(old, new) == action


def test_a_redirect_from_https_to_http_is_refused() -> None:
    request = urllib.request.Request("https://q.example/a?api_key=k", headers={"Authorization": TOKEN})
    with pytest.raises(OutboundRefused, match=r"from https://q.example/a\?api_key=\*\*\* to http"):
        RedirectPolicy().redirect_request(
            request, io.BytesIO(), 302, "Found", HTTPMessage(), "http://q.example/b"
        )


# -- http: hosts --------------------------------------------------------------------------------------


def test_http_source_refuses_loopback_unless_the_settings_allow_it(provider: tuple[Provider, str]) -> None:
    state, url = provider
    settings = load_settings(sources={"quotes": {"base_url": url}})  # default http_allowed_hosts: ["*"]
    source = source_from_config("quotes", settings=settings, retries=0)
    with pytest.raises(
        OutboundRefused, match=r"refused 127\.0\.0\.1 \(127\.0\.0\.1\): a loopback address; add"
    ):
        source.fetch(["AAPL"])
    assert state.paths == []


def test_a_redirect_to_a_link_local_address_is_refused(provider: tuple[Provider, str]) -> None:
    state, url = provider
    state.plan = ["redirect http://169.254.169.254/latest/meta-data/"]
    with pytest.raises(OutboundRefused, match=r"169\.254\.169\.254 .*a link-local address"):
        http_source(url).fetch(["AAPL"])


# -- http: answer size ----------------------------------------------------------------------------------


def test_an_answer_over_max_response_bytes_fails_at_once_naming_the_setting(
    provider: tuple[Provider, str],
) -> None:
    state, url = provider
    state.plan = ["big", "big"]
    with pytest.raises(
        InputTooLargeError,
        match=r"answer of http://127.0.0.1:\d+/bars\?symbol=AAPL.* is larger than max_response_bytes \(4096",
    ):
        http_source(url, retries=1).fetch(["AAPL"])
    assert len(state.paths) == 1  # not retried
