"""``webhook``: an HTTP POST of the alert as JSON, with a timeout and retries with exponential backoff.

Timeouts, connection errors, 408, 429 and 5xx answers are retried (``retries`` times after the first try,
waiting ``backoff_seconds`` doubled each time, plus up to 50% jitter); any other non-2xx answer fails at
once, since sending the same request again cannot fix it. Errors show the URL's scheme and host only (see
:func:`shown_url`): the rest often holds a secret token. Hosts, redirects included, are checked against
``allowed_hosts`` (the settings' ``http_allowed_hosts``; loopback and link-local are refused unless listed
by address) and a refused host is not retried. Of the receiver's answer at most ``max_response_bytes`` are
read (the rest is never waited for). The stdlib's urllib is used, as by the HTTP bar sources, so
workers need no extra HTTP dependency.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Sequence

from marketjobs.errors import DeliveryError, OutboundRefused
from marketjobs.guards.http import HostPolicy, build_opener
from marketjobs.notify.base import Notification, Sink

__all__ = [
    "DEFAULT_BACKOFF_SECONDS",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_RETRIES",
    "WebhookSink",
    "shown_url",
]

#: Attempts after the first on timeouts, connection errors, 408/429 and 5xx.
DEFAULT_RETRIES = 3
#: First retry delay; doubles on each retry.
DEFAULT_BACKOFF_SECONDS = 0.5
#: Bytes of a receiver's answer read at most (the settings' max_response_bytes).
DEFAULT_MAX_RESPONSE_BYTES = 32 * 2**20
#: HTTP statuses worth retrying besides 5xx.
RETRY_STATUSES = frozenset({408, 429})
#: Bytes of an error answer quoted in a message.
BODY_EXCERPT_BYTES = 200


def shown_url(url: str) -> str:
    """``url`` safe to show in errors and job records: scheme and host, and a digest standing for the rest.

    Webhook URLs often carry a secret token in their path or query (e.g. Slack's), so only
    ``https://hooks.example/…#1a2b3c`` is shown; the digest tells two URLs on one host apart.
    """
    parts = urllib.parse.urlsplit(url)
    digest = hashlib.sha256(url.encode()).hexdigest()[:6]
    return f"{parts.scheme}://{parts.hostname or ''}{f':{parts.port}' if parts.port else ''}/…#{digest}"


class WebhookSink(Sink):
    """POSTs each alert's :meth:`~marketjobs.notify.base.Notification.payload` to ``url``."""

    name = "webhook"

    def __init__(
        self,
        url: str,
        *,
        timeout_seconds: float,
        retries: int = DEFAULT_RETRIES,
        backoff_seconds: float = DEFAULT_BACKOFF_SECONDS,
        allowed_hosts: Sequence[str] = ("*",),
        max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise DeliveryError(f"webhook url {url!r} is not http:// or https://; fix the rule's webhook url")
        self.url, self.timeout_seconds = url, timeout_seconds
        self.shown_url = shown_url(url)
        self.retries, self.backoff_seconds = retries, backoff_seconds
        self._opener = build_opener(HostPolicy(allowed_hosts))
        self.max_response_bytes = max_response_bytes
        self._sleep = sleep

    def _deliver(self, notification: Notification) -> None:
        body = json.dumps(notification.payload()).encode()
        headers = {"Content-Type": "application/json", "User-Agent": "marketjobs-alerts"}
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                delay = self.backoff_seconds * 2 ** (attempt - 1)
                self._sleep(delay * (1 + random.random() / 2))
            request = urllib.request.Request(self.url, data=body, headers=headers, method="POST")
            try:
                with self._opener.open(request, timeout=self.timeout_seconds) as response:
                    response.read(self.max_response_bytes)  # the answer does not matter; a 2xx does
                return
            except OutboundRefused as exc:  # the host is not allowed: sending again cannot help
                raise DeliveryError(f"webhook {self.shown_url}: {exc}") from None
            except urllib.error.HTTPError as exc:
                excerpt = exc.read(BODY_EXCERPT_BYTES).decode(errors="replace")
                problem = f"HTTP {exc.code} from {self.shown_url}: {excerpt}"
                if exc.code < 500 and exc.code not in RETRY_STATUSES:
                    raise DeliveryError(f"{problem}; check the rule's webhook url and the receiver") from None
            except TimeoutError:
                problem = f"no answer from {self.shown_url} within {self.timeout_seconds} s"
            except urllib.error.URLError as exc:
                if isinstance(exc.reason, TimeoutError):
                    problem = f"no answer from {self.shown_url} within {self.timeout_seconds} s"
                else:
                    problem = f"cannot reach {self.shown_url}: {exc.reason}"
            except OSError as exc:  # connection reset or closed mid-answer
                problem = f"connection to {self.shown_url} failed: {exc!r}"
        raise DeliveryError(
            f"{problem} (after {self.retries + 1} attempts); the alert is kept and sent again by the next "
            "alerts run; check the receiver, or raise webhook_timeout_seconds"
        )
