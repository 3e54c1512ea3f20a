"""The outbound host policy: which addresses an allow-list opens, checked on every resolved address."""

from __future__ import annotations

import pytest

from marketjobs.errors import ConfigError, OutboundRefused
from marketjobs.guards.hosts import HostPolicy

PUBLIC = "93.184.216.34"


@pytest.mark.parametrize(
    ("allowed", "host", "addresses"),
    [
        (["*"], "quotes.example", [PUBLIC]),
        (["*"], "relay.internal", ["10.1.2.3"]),  # private networks are not denied by default
        (["*"], "quotes.example", [PUBLIC, "2606:2800:220:1::1"]),
        (["127.0.0.1"], "127.0.0.1", ["127.0.0.1"]),
        (["*", "127.0.0.0/8"], "localhost", ["127.0.0.5"]),
        (["::1"], "localhost", ["::1"]),
        (["quotes.example"], "QUOTES.example", [PUBLIC]),
        (["*.example"], "api.example", [PUBLIC]),
        (["10.0.0.0/8"], "relay.internal", ["10.9.9.9"]),
    ],
)
def test_allowed(allowed: list[str], host: str, addresses: list[str]) -> None:
    HostPolicy(allowed).check(host, addresses)


@pytest.mark.parametrize(
    ("allowed", "host", "addresses", "why"),
    [
        (["*"], "127.0.0.1", ["127.0.0.1"], "loopback"),
        (["*"], "localhost", ["::1"], "loopback"),
        (["*"], "169.254.169.254", ["169.254.169.254"], "link-local"),
        (["*"], "metadata", ["fe80::1"], "link-local"),
        (["*"], "0.0.0.0", ["0.0.0.0"], "unspecified"),
        (["*"], "mapped", ["::ffff:127.0.0.1"], "loopback"),
        (["*"], "rebinding.example", [PUBLIC, "169.254.169.254"], "link-local"),  # every address counts
        (["localhost"], "localhost", ["127.0.0.1"], "loopback"),  # a name does not open loopback
        (["*.example"], "example", [PUBLIC], "not in http_allowed_hosts"),
        (["127.0.0.1"], "quotes.example", [PUBLIC], "not in http_allowed_hosts"),
        (["quotes.example"], "other.example", [PUBLIC], "not in http_allowed_hosts"),
        ([], "quotes.example", [PUBLIC], "not in http_allowed_hosts"),
    ],
)
def test_refused(allowed: list[str], host: str, addresses: list[str], why: str) -> None:
    with pytest.raises(OutboundRefused, match=rf"{why}.*http_allowed_hosts"):
        HostPolicy(allowed).check(host, addresses)


@pytest.mark.parametrize("entry", ["http://quotes.example", "10.0.0.0/33", "", "a b", "*.*"])
def test_malformed_entries_are_refused(entry: str) -> None:
    with pytest.raises(ConfigError, match="http_allowed_hosts"):
        HostPolicy([entry])
