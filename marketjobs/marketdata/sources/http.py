"""``http``: a JSON quotes provider named in the settings, one GET per symbol, with timeouts, retries and a
client-side rate limit.

The provider's URL and credentials live in the settings and a message only names it::

    sources:
      polygon:
        base_url: https://quotes.example
        headers: {Authorization: "Bearer ${POLYGON_TOKEN}"}   # ${NAME}: the worker's environment variable

    price_update.send(source="polygon", options={"path": "/bars?symbol={symbol}&since={since}"})

so no URL, header or key ever lands in a message, job record, schedule or log. The request is
``base_url + path`` with ``{symbol}`` and ``{since}`` (ISO-8601 UTC, empty when unknown) filled in and
URL-quoted, plus the provider's ``query`` parameters, e.g.
``GET https://quotes.example/bars?symbol=AAPL&since=2024-01-02T00:00:00Z``. The answer is a JSON list of
``{ts, open, high, low, close, volume}`` objects (or that list under ``bars_key``); ``ts`` is ISO-8601 text or
epoch milliseconds. Timeouts, connection errors, 429 and 5xx are retried with exponential backoff and jitter;
other 4xx fail at once. Every host, redirects included, is checked against the settings'
``http_allowed_hosts`` (loopback and link-local refused unless listed by address), and redirects follow
:mod:`marketjobs.guards.http` (headers kept only on the same origin, no https-to-http). Errors show the URL
with ``${NAME}`` placeholders, never their values, and redacted. An answer longer than the settings'
``max_response_bytes`` fails at once (:class:`~marketjobs.errors.InputTooLargeError`). A token bucket shared
by every source of the process with the same name keeps to ``requests_per_minute`` (the stdlib's urllib is
used, so workers need no extra HTTP dependency). Limits across processes need a shared limiter, such as
Dramatiq's with ``marketjobs.brokers.rate_limiter_backend()``.
"""

from __future__ import annotations

import json
import os
import random
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import polars as pl
from pydantic import Field, field_validator

from marketjobs.config import HttpSourceSettings, Settings
from marketjobs.errors import ConfigError, InputTooLargeError, OutboundRefused
from marketjobs.guards.http import HostPolicy, build_opener
from marketjobs.guards.reads import read_capped
from marketjobs.marketdata.sources.base import BarSource, SourceError, SourceOptions
from marketjobs.redact import MASK, redact_text, redact_url

__all__ = ["SETTINGS_ONLY_OPTIONS", "HttpOptions", "HttpSource", "TokenBucket", "expand_env"]

#: HTTP statuses worth retrying besides 5xx.
RETRY_STATUSES = frozenset({408, 429})
#: Bytes of an error body quoted in a message.
BODY_EXCERPT_BYTES = 200
#: Options a message may not give: they come from the provider's entry under ``sources:`` in the settings.
SETTINGS_ONLY_OPTIONS = ("base_url", "headers", "query")
#: Upper bound of ``timeout_seconds``.
MAX_TIMEOUT_SECONDS = 300.0
#: Longest wait between two attempts, whatever ``backoff_seconds`` and the attempt number.
MAX_RETRY_DELAY_SECONDS = 60.0
#: Settings values shorter than this are not scrubbed from error texts (they would garble them).
MIN_SCRUBBED_LENGTH = 4
#: ``${NAME}``: the value of environment variable NAME.
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(text: str, where: str, environ: Mapping[str, str] | None = None) -> str:
    """``text`` with each ``${NAME}`` replaced by the environment variable NAME; ConfigError if unset."""
    env = os.environ if environ is None else environ

    def value(match: re.Match[str]) -> str:
        if match[1] not in env:
            raise ConfigError(
                f"{where} uses ${{{match[1]}}}, but {match[1]} is not set in this worker's environment; "
                "export it to the workers (e.g. in the systemd EnvironmentFile)"
            )
        return env[match[1]]

    return _PLACEHOLDER.sub(value, text)


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


def _bucket(source: str, per_minute: float, burst: float) -> TokenBucket:
    with _buckets_lock:
        key = (source, per_minute, burst)
        if key not in _buckets:
            _buckets[key] = TokenBucket(per_minute / 60.0, burst)
        return _buckets[key]


class HttpOptions(SourceOptions):
    """Options of an HTTP source a message may give (its URL and headers come from the settings)."""

    #: Appended to the provider's base_url; {symbol} and {since} are filled in.
    path: str = "/bars?symbol={symbol}&since={since}"
    #: Key of the bar list in the JSON answer; None when the answer is the list itself.
    bars_key: str | None = None
    #: Longest wait for a connection or for each read of the answer.
    timeout_seconds: float = Field(10.0, gt=0, le=MAX_TIMEOUT_SECONDS)
    #: Attempts after the first on timeouts, connection errors, 408/429 and 5xx.
    retries: int = Field(3, ge=0, le=10)
    #: First retry delay; doubles each retry (up to MAX_RETRY_DELAY_SECONDS), with up to 50% jitter.
    backoff_seconds: float = Field(0.5, ge=0, le=MAX_RETRY_DELAY_SECONDS)
    #: At least one a minute: a slower rate would keep a worker thread waiting past any time limit.
    requests_per_minute: float = Field(10.0, ge=1, le=60_000)
    #: Requests allowed back to back before the rate applies.
    burst: float = Field(1.0, ge=1, le=1_000)

    @field_validator("path")
    @classmethod
    def _stays_on_the_host(cls, path: str) -> str:
        if not path.startswith(("/", "?")):
            raise ValueError("must start with '/' or '?' so that requests stay on the provider's host")
        try:
            path.format(symbol="", since="")
        except (KeyError, IndexError, ValueError):
            raise ValueError("may use only the fields {symbol} and {since} (write {{ for a brace)") from None
        return path


def check_options(source: str, options: Mapping[str, Any]) -> None:
    """ConfigError when ``options`` of HTTP source ``source`` hold what only the settings may give."""
    given = [key for key in SETTINGS_ONLY_OPTIONS if key in options]
    if given:
        raise ConfigError(
            f"bad options for bar source {source!r}: {', '.join(given)}: comes from the settings "
            f"(sources: {source}: {{base_url, headers, query}}), never from a message; remove it from the "
            "options"
        )


class HttpSource(BarSource):
    """Bars from a JSON quotes provider named in the settings (see the module docstring)."""

    name = "http"
    options_model = HttpOptions
    options: HttpOptions

    def __init__(self, source: str, *, settings: Settings | None = None, **options: Any) -> None:
        check_options(source, options)
        super().__init__(settings=settings, **options)
        settings = self.settings
        if source not in settings.sources:
            raise ConfigError(f"no HTTP source {source!r} under sources: in the settings; add it there")
        self.name = source
        self.provider: HttpSourceSettings = settings.sources[source]
        self._opener = build_opener(HostPolicy(settings.http_allowed_hosts))
        where = f"sources: {source}:"
        self._headers = {k: expand_env(v, f"{where} headers: {k}") for k, v in self.provider.headers.items()}
        self._query = {k: expand_env(v, f"{where} query: {k}") for k, v in self.provider.query.items()}
        values = [*self._headers.values(), *self._query.values()]
        values += [v.split()[-1] for v in values if " " in v]  # "Bearer <token>": the token alone too
        self._secrets = sorted({v for v in values if len(v) >= MIN_SCRUBBED_LENGTH}, key=len, reverse=True)

    def _path(self, symbol: str, since: datetime | None) -> str:
        iso = "" if since is None else since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        quote = urllib.parse.quote
        path = self.options.path.format(symbol=quote(symbol, safe=""), since=quote(iso, safe=""))
        return self.provider.base_url.rstrip("/") + path

    def url(self, symbol: str, since: datetime | None) -> str:
        """The request URL for ``symbol``, with the provider's query values (secrets: never show it)."""
        url = self._path(symbol, since)
        if not self._query:
            return url
        return url + ("&" if "?" in url else "?") + urllib.parse.urlencode(self._query)

    def shown_url(self, symbol: str, since: datetime | None) -> str:
        """The request URL as errors show it: ``${NAME}`` placeholders, not their values, and redacted."""
        url = self._path(symbol, since)
        query = "&".join(f"{k}={v}" for k, v in self.provider.query.items())
        return redact_url(url + ("&" if "?" in url else "?") + query if query else url)

    def _scrub(self, text: str) -> str:
        """``text`` redacted, and with every header and query value of the settings masked."""
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return redact_text(text)

    def _fetch(
        self, symbols: list[str], since: datetime | None, history: pl.DataFrame | None
    ) -> pl.DataFrame:
        frames = [self._bars(symbol, self._get(symbol, since)) for symbol in symbols]
        return pl.concat(frames, how="diagonal_relaxed") if frames else pl.DataFrame()

    def _get(self, symbol: str, since: datetime | None) -> Any:
        try:
            return self._request(self.url(symbol, since), self.shown_url(symbol, since))
        except (SourceError, OutboundRefused, InputTooLargeError) as exc:
            raise type(exc)(self._scrub(str(exc))) from None

    def _request(self, target: str, url: str) -> Any:
        """The JSON answer of GET ``target``; ``url`` is how errors show it."""
        opts = self.options
        bucket = _bucket(self.name, opts.requests_per_minute, opts.burst)
        request = urllib.request.Request(target, headers={"Accept": "application/json", **self._headers})
        problem = ""
        for attempt in range(opts.retries + 1):
            if attempt:
                delay = min(opts.backoff_seconds * 2 ** (attempt - 1), MAX_RETRY_DELAY_SECONDS)
                time.sleep(delay * (1 + random.random() / 2))
            bucket.acquire()
            try:
                with self._opener.open(request, timeout=opts.timeout_seconds) as response:
                    cap = self.settings.max_response_bytes
                    body = read_capped(
                        response, cap, what=f"the answer of {url}", setting="max_response_bytes"
                    )
            except urllib.error.HTTPError as exc:
                excerpt = exc.read(BODY_EXCERPT_BYTES).decode(errors="replace")
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
                    f"{url} did not answer JSON: {excerpt!r}; check the source's base_url and path"
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
            got = self._scrub(str(payload))[:80]  # providers echo the key they were sent in their errors
            raise SourceError(f"expected a JSON list of bar objects {hint} for {symbol}, got {got}")
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
