"""``http``: a JSON quotes provider, one GET per symbol, with timeouts, retries and a client-side rate limit.

The request is ``base_url + path`` with ``{symbol}`` and ``{since}`` (ISO-8601 UTC, empty when unknown)
filled in and URL-quoted, e.g. ``GET https://quotes.example/bars?symbol=AAPL&since=2024-01-02T00:00:00Z``.
The answer is a JSON list of ``{ts, open, high, low, close, volume}`` objects (or that list under
``bars_key``); ``ts`` is ISO-8601 text or epoch milliseconds. Timeouts, connection errors, 429 and 5xx are
retried with exponential backoff and jitter; other 4xx fail at once. A token bucket shared by every source
in the process with the same ``base_url`` keeps to ``requests_per_minute`` (the stdlib's urllib is used, so
workers need no extra HTTP dependency). Limits across processes need a shared limiter, such as Dramatiq's
with ``marketjobs.brokers.rate_limiter_backend()``.
"""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import polars as pl
from pydantic import Field

from marketjobs.marketdata.sources.base import BarSource, SourceError, SourceOptions

__all__ = ["HttpOptions", "HttpSource", "TokenBucket"]

#: HTTP statuses worth retrying besides 5xx.
RETRY_STATUSES = frozenset({408, 429})
#: Bytes of an error body quoted in a message.
BODY_EXCERPT_BYTES = 200


class TokenBucket:
    """Allows ``rate_per_second`` acquisitions on average with bursts up to ``capacity``; thread-safe."""

    def __init__(
        self,
        rate_per_second: float,
        capacity: float = 1.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate_per_second, self.capacity = rate_per_second, capacity
        self._clock, self._sleep = clock, sleep
        self._tokens, self._at = capacity, clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Takes one token, sleeping until one is free; returns the seconds waited."""
        with self._lock:
            now = self._clock()
            self._tokens = min(self.capacity, self._tokens + (now - self._at) * self.rate_per_second)
            self._at = now
            self._tokens -= 1.0
            wait = max(0.0, -self._tokens / self.rate_per_second)
        if wait:
            self._sleep(wait)
        return wait


_buckets: dict[tuple[str, float, float], TokenBucket] = {}
_buckets_lock = threading.Lock()


def _bucket(base_url: str, per_minute: float, burst: float) -> TokenBucket:
    with _buckets_lock:
        key = (base_url, per_minute, burst)
        if key not in _buckets:
            _buckets[key] = TokenBucket(per_minute / 60.0, burst)
        return _buckets[key]


class HttpOptions(SourceOptions):
    """Options of the ``http`` source."""

    base_url: str = Field(pattern=r"^https?://")
    #: Appended to base_url; {symbol} and {since} are filled in.
    path: str = "/bars?symbol={symbol}&since={since}"
    #: Key of the bar list in the JSON answer; None when the answer is the list itself.
    bars_key: str | None = None
    headers: dict[str, str] = Field(default_factory=dict)
    timeout_seconds: float = Field(10.0, gt=0)
    #: Attempts after the first on timeouts, connection errors, 408/429 and 5xx.
    retries: int = Field(3, ge=0, le=10)
    #: First retry delay; doubles each retry, with up to 50% jitter.
    backoff_seconds: float = Field(0.5, ge=0)
    requests_per_minute: float = Field(10.0, gt=0)
    #: Requests allowed back to back before the rate applies.
    burst: float = Field(1.0, ge=1)


class HttpSource(BarSource):
    """Bars from a JSON quotes provider (see the module docstring)."""

    name = "http"
    options_model = HttpOptions
    options: HttpOptions

    def url(self, symbol: str, since: datetime | None) -> str:
        """The request URL for ``symbol``."""
        iso = "" if since is None else since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        quote = urllib.parse.quote
        path = self.options.path.format(symbol=quote(symbol, safe=""), since=quote(iso, safe=""))
        return self.options.base_url.rstrip("/") + path

    def _fetch(
        self, symbols: list[str], since: datetime | None, history: pl.DataFrame | None
    ) -> pl.DataFrame:
        frames = [self._bars(symbol, self._get(self.url(symbol, since))) for symbol in symbols]
        return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()

    def _get(self, url: str) -> Any:
        opts = self.options
        bucket = _bucket(opts.base_url, opts.requests_per_minute, opts.burst)
        request = urllib.request.Request(url, headers={"Accept": "application/json", **opts.headers})
        problem = ""
        for attempt in range(opts.retries + 1):
            if attempt:
                delay = opts.backoff_seconds * 2 ** (attempt - 1)
                time.sleep(delay * (1 + random.random() / 2))
            bucket.acquire()
            try:
                with urllib.request.urlopen(request, timeout=opts.timeout_seconds) as response:
                    body = response.read()
            except urllib.error.HTTPError as exc:
                excerpt = exc.read()[:BODY_EXCERPT_BYTES].decode(errors="replace")
                problem = f"HTTP {exc.code} from {url}: {excerpt}"
                if exc.code < 500 and exc.code not in RETRY_STATUSES:
                    raise SourceError(f"{problem}; check the symbol and the source's base_url/path") from None
                continue
            except TimeoutError:
                problem = f"no answer from {url} within {opts.timeout_seconds} s"
                continue
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, TimeoutError):
                    problem = f"no answer from {url} within {opts.timeout_seconds} s"
                else:
                    problem = f"cannot reach {url}: {exc.reason}"
                continue
            except OSError as exc:  # connection reset or closed mid-answer
                problem = f"connection to {url} failed: {exc!r}"
                continue
            try:
                return json.loads(body)
            except ValueError:
                excerpt = body[:BODY_EXCERPT_BYTES].decode(errors="replace")
                raise SourceError(
                    f"{url} did not answer JSON: {excerpt!r}; check base_url and path"
                ) from None
        raise SourceError(
            f"{problem} (after {opts.retries + 1} attempts); "
            "check the provider, or raise timeout_seconds or retries"
        )

    def _bars(self, symbol: str, payload: Any) -> pl.DataFrame:
        key = self.options.bars_key
        rows = payload.get(key) if key is not None and isinstance(payload, dict) else payload
        if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
            hint = f"under {key!r}" if key else "at the top level (or set bars_key)"
            raise SourceError(
                f"expected a JSON list of bar objects {hint} for {symbol}, got {str(payload)[:80]}"
            )
        data: dict[str, Any] = {"symbol": [symbol] * len(rows), "ts": [_ts_text(r.get("ts")) for r in rows]}
        for column in ("open", "high", "low", "close", "volume"):
            data[column] = [None if r.get(column) is None else str(r.get(column)) for r in rows]
        return pl.DataFrame(data, schema=dict.fromkeys(data, pl.String()))


def _ts_text(value: Any) -> str | None:
    """A ``ts`` as text for validate_bars() to parse (and report when bad); epoch ms become ISO-8601 UTC."""
    if isinstance(value, int) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value / 1000, UTC)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value % 1000:03d}Z"
    return None if value is None else str(value)
