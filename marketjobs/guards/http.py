"""Outbound HTTP through urllib: hosts checked by a :class:`~marketjobs.guards.hosts.HostPolicy` on every
connection (redirects included), one redirect policy, and answers read up to a cap.

A redirect keeps the request's headers only to the same origin (scheme, host and port). To another origin
every header but ``Accept``, ``User-Agent`` and ``Content-Type`` is dropped, so credentials from the settings
never reach a host they were not meant for; a redirect from https to http (or to any other scheme) is
refused with :class:`~marketjobs.errors.OutboundRefused`.
"""

from __future__ import annotations

import functools
import http.client
import ssl
import urllib.parse
import urllib.request
from http.client import HTTPMessage
from typing import IO, Any, Literal

from marketjobs.errors import OutboundRefused
from marketjobs.guards.hosts import HostPolicy
from marketjobs.redact import redact_url

__all__ = ["PORTABLE_HEADERS", "HostPolicy", "RedirectPolicy", "build_opener", "redirect_action"]

#: Headers a redirect to another origin keeps (lower case); every other one is dropped.
PORTABLE_HEADERS = frozenset({"accept", "user-agent", "content-type"})
_DEFAULT_PORTS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urllib.parse.urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def redirect_action(old_url: str, new_url: str) -> Literal["keep", "strip", "refuse"]:
    """What a redirect from ``old_url`` to ``new_url`` may carry: ``keep`` every header (same origin),
    ``strip`` all but :data:`PORTABLE_HEADERS` (another origin), or ``refuse`` (https to http, other
    schemes)."""
    old, new = _origin(old_url), _origin(new_url)
    if new[0] not in _DEFAULT_PORTS or (old[0] == "https" and new[0] != "https"):
        return "refuse"
    return "keep" if old == new else "strip"


class RedirectPolicy(urllib.request.HTTPRedirectHandler):
    """urllib's redirect handler with :func:`redirect_action` applied to every hop."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: HTTPMessage,
        newurl: str,
    ) -> urllib.request.Request | None:
        """The next request of a redirect, with its headers kept, stripped or the redirect refused."""
        target = urllib.parse.urljoin(req.full_url, newurl)
        action = redirect_action(req.full_url, target)
        if action == "refuse":
            raise OutboundRefused(
                f"refused a redirect from {redact_url(req.full_url)} to {redact_url(target)}: a redirect may "
                "not go from https to http or to another scheme; point the URL at the final address"
            )
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and action == "strip":
            for name in [n for n in new.headers if n.lower() not in PORTABLE_HEADERS]:
                new.remove_header(name)
        return new


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, *args: Any, policy: HostPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = policy.create_connection


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, *args: Any, policy: HostPolicy, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = policy.create_connection


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, policy: HostPolicy) -> None:
        super().__init__()
        self._policy = policy

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(functools.partial(_GuardedHTTPConnection, policy=self._policy), req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, policy: HostPolicy) -> None:
        self._tls = ssl.create_default_context()
        super().__init__(context=self._tls)
        self._policy = policy

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        connection = functools.partial(_GuardedHTTPSConnection, policy=self._policy)
        return self.do_open(connection, req, context=self._tls)


def build_opener(policy: HostPolicy) -> urllib.request.OpenerDirector:
    """An opener that connects only to hosts ``policy`` allows and applies :class:`RedirectPolicy`; proxies
    from the environment are not used (they would resolve hosts out of the policy's sight)."""
    return urllib.request.build_opener(
        urllib.request.ProxyHandler({}),
        _GuardedHTTPHandler(policy),
        _GuardedHTTPSHandler(policy),
        RedirectPolicy(),
    )
